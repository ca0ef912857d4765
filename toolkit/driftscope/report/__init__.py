"""Renderers of a RunResult: HTML, Markdown, CSV and JSON. Layer: report (imports only model).

Renderers take a :class:`~driftscope.model.RunResult` and return text; they never embed,
align or write files (the CLI writes them). ``WRITERS`` maps each output file name to its
renderer; :func:`render_all` renders every one from a single view model.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from importlib import resources
from typing import Any

from driftscope.model import RunResult, to_json

logging.getLogger(__name__).addHandler(logging.NullHandler())


def render_json(result: RunResult) -> str:
    """The versioned RunResult document (``model.to_json``), newline-terminated."""
    return to_json(result) + "\n"


def _html(result: RunResult) -> str:
    from driftscope.report.html import render_html  # jinja2 only when HTML is asked for

    return render_html(result)


def _markdown(result: RunResult) -> str:
    from driftscope.report.markdown import render_markdown

    return render_markdown(result)


def _beads(result: RunResult) -> str:
    from driftscope.report.tables import render_beads_csv

    return render_beads_csv(result)


def _flags(result: RunResult) -> str:
    from driftscope.report.tables import render_flags_csv

    return render_flags_csv(result)


WRITERS: dict[str, Callable[[RunResult], str]] = {
    "report.json": render_json,
    "report.html": _html,
    "report.md": _markdown,
    "beads.csv": _beads,
    "flags.csv": _flags,
}


def render_all(result: RunResult, names: tuple[str, ...] = tuple(WRITERS)) -> dict[str, str]:
    """Render the named outputs (default: all of ``WRITERS``), sharing one view model.

    Raises:
        KeyError: for a name not in ``WRITERS``.
    """
    from driftscope.report.html import render_html
    from driftscope.report.markdown import render_markdown
    from driftscope.report.view import build_view

    view = build_view(result) if {"report.html", "report.md"} & set(names) else None
    out = {}
    for name in names:
        if name == "report.html":
            out[name] = render_html(result, view)
        elif name == "report.md":
            out[name] = render_markdown(result, view)
        else:
            out[name] = WRITERS[name](result)
    return out


def load_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a RunResult (``schema/runresult.schema.json``)."""
    text = (
        resources.files("driftscope")
        .joinpath("schema", "runresult.schema.json")
        .read_text(encoding="utf-8")
    )
    return dict(json.loads(text))
