"""Inputs are read, never written: where an output may not go. Imports ``errors`` only."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from driftscope.errors import OutputError


def refuse_inside_inputs(out: Path, inputs: Iterable[Path | str]) -> None:
    """Raise :class:`OutputError` if ``out`` is an input folder or lies inside one.

    A report written into the corpus it reads would mix outputs with the versions and change
    what a later run reads.
    """
    target = out.resolve()
    for inp in inputs:
        p = Path(inp)
        if p.is_dir() and (target == p.resolve() or p.resolve() in target.parents):
            where = "is" if target == p.resolve() else "is inside"
            raise OutputError(f"{out}: {where} the input folder {p}; write outside it")
