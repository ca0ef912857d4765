"""Shared CLI plumbing: safe output writing, stderr console, logging set-up, shared options."""

from __future__ import annotations

import logging
import os
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from driftscope.errors import ConfigError, OutputError

#: ``driftscope.embed.e5.BACKENDS`` (not imported here, so ``--help`` stays light).
BACKENDS = ("torch", "onnx", "onnx-int8")
#: ``--backend`` on every command that embeds; None means the library default.
BackendOption = Annotated[
    str | None,
    typer.Option(
        "--backend",
        help="Where e5-small runs: torch, onnx (ONNX Runtime fp32, the default) or onnx-int8 "
        "(dynamic int8: about 1.9x faster, but -0.007 strict F1 on Text+Berg dev; see README). "
        "Uses CUDA when available.",
    ),
]


def check_backend(backend: str | None) -> str | None:
    """``backend`` if it is None or one of :data:`BACKENDS`; else a :class:`ConfigError`."""
    if backend is not None and backend not in BACKENDS:
        raise ConfigError(f"--backend must be one of {', '.join(BACKENDS)}, not {backend!r}")
    return backend


def setup_logging(quiet: bool = False, verbose: bool = False) -> None:
    """Logs go to stderr; data goes to stdout or ``-o``.

    Only driftscope's own loggers get INFO/DEBUG; other libraries stay at WARNING, so
    sentence-transformers neither logs its model loading nor draws tqdm "Batches" bars.
    """
    level = logging.WARNING if quiet else (logging.DEBUG if verbose else logging.INFO)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="driftscope: %(message)s")
    logging.getLogger("driftscope").setLevel(level)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def check_output_path(out: Path, inputs: Iterable[Path | str] = ()) -> None:
    """Raise :class:`OutputError` if ``out`` is an input, lies in an input folder, or its
    folder is not writable."""
    from driftscope.ingest.paths import refuse_inside_inputs  # not at import: --help stays light

    inputs = list(inputs)
    refuse_inside_inputs(out, inputs)
    for inp in inputs:
        p = Path(inp)
        if _same_file(out, p) or out.resolve() == p.resolve():
            raise OutputError(f"{out}: refusing to overwrite an input file")
    parent = out.resolve().parent
    if not parent.exists():
        raise OutputError(f"{out}: folder {parent} does not exist")
    if not parent.is_dir():
        raise OutputError(f"{out}: {parent} is a file, not a folder")
    if out.is_dir():
        raise OutputError(f"{out}: is a folder, expected a file")
    if not os.access(parent, os.W_OK):
        raise OutputError(f"{out}: folder {parent} is not writable")


def write_atomic(out: Path, data: str | bytes, inputs: Iterable[Path | str] = ()) -> None:
    """Write ``data`` to ``out`` through a temporary file and rename (never half a file)."""
    inputs = list(inputs)
    check_output_path(out, inputs)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.resolve().parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(raw)
            # mkstemp creates 0600; give the file the mode a plain open() would (umask).
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
            os.replace(tmp, out)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as err:
        raise OutputError(f"{out}: cannot write ({err.strerror or err})") from err


def emit(data: str, out: Path | None, inputs: Iterable[Path | str] = ()) -> None:
    """Write ``data`` to ``out`` atomically, or to stdout when ``out`` is None."""
    if out is None:
        sys.stdout.write(data)
        if data and not data.endswith("\n"):
            sys.stdout.write("\n")
        sys.stdout.flush()
    else:
        write_atomic(out, data, inputs)


def in_range(
    lo: float | None = None, hi: float | None = None, *, hi_open: bool = False, why: str = ""
) -> Callable[[float | None], float | None]:
    """A typer callback that refuses a number outside ``[lo, hi]`` (``[lo, hi)`` with
    ``hi_open``) at parse time: one line, exit 2, before any work."""

    def check(value: float | None) -> float | None:
        if value is None:
            return value
        low = lo is not None and value < lo
        high = hi is not None and (value >= hi if hi_open else value > hi)
        if low or high:
            left = "" if lo is None else f"{lo:g} <= "
            right = "" if hi is None else f" {'<' if hi_open else '<='} {hi:g}"
            raise typer.BadParameter(f"{value:g} is outside {left}x{right}{why}")
        return value

    return check


def fail_on_exit(n_flags: int, level: str, where: str) -> None:
    """Exit 1 for ``--fail-on``, saying why on one stderr line (exit 1 is not an error)."""
    if n_flags:
        noun = "flag" if n_flags == 1 else "flags"
        print(
            f"driftscope: {n_flags} {noun} at or above {level} (--fail-on {level}); see {where}",
            file=sys.stderr,
        )
        raise typer.Exit(1)


@contextmanager
def progress(quiet: bool) -> Iterator[Any]:
    """A rich progress bar on stderr, or a silent stand-in with ``--quiet`` or when stderr is
    not a terminal (a transient bar would leave a blank line in logs and before errors)."""
    if quiet or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        yield bar
