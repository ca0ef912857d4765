"""``driftscope corpus``: the whole pipeline over many documents (``driftscope.corpus``).

Parses the options, calls :func:`driftscope.corpus.run_corpus` once, and renders a progress bar
(documents, throughput, errors) and a one-line summary. Heavy modules load inside the body.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from driftscope.cli import app
from driftscope.cli._common import setup_logging
from driftscope.errors import ConfigError, InputError


def version_spec(spec: str) -> tuple[str, Path]:
    """``ID=FILE`` (or ``FILE``: the id is the last dotted part of its stem, ``ref.rus`` -> rus)."""
    if "=" in spec and not Path(spec).exists():
        vid, _, path = spec.partition("=")
        if not vid.strip() or not path:
            raise ConfigError(f"{spec!r}: expected ID=FILE")
        return vid.strip(), Path(path)
    return Path(spec).stem.rsplit(".", 1)[-1], Path(spec)


def line_parallel(original: str, versions: list[str], doc_ids: Path | None) -> Any:
    """The :class:`~driftscope.corpus.LineParallel` input of ``--original``/``--version``."""
    from driftscope.corpus import LineParallel

    specs = tuple(version_spec(s) for s in [original, *versions])
    ids = [v for v, _ in specs]
    if len(set(ids)) != len(ids):
        raise ConfigError(f"version ids must differ, got {ids}")
    for _, p in specs:
        if not p.is_file():
            raise InputError(f"{p}: no such file")
    if doc_ids is not None and doc_ids.is_dir():
        doc_ids = doc_ids / "DOCUMENT_IDS.tsv"
    if doc_ids is not None and not doc_ids.is_file():
        raise InputError(f"{doc_ids}: no such file")
    return LineParallel(specs, doc_ids)


@contextmanager
def progress_bar(quiet: bool) -> Iterator[Any]:
    """``update(done, skipped, errors)`` drawing a rich bar on stderr (silent when quiet)."""
    if quiet or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(
        SpinnerColumn(),
        TextColumn("{task.completed} documents"),
        TextColumn("[progress.data.speed]{task.fields[rate]}"),
        TextColumn("{task.fields[note]}"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task("corpus", total=None, rate="", note="")

        def update(done: int, skipped: int, errors: int) -> None:
            speed = bar.tasks[0].speed
            rate = f"{speed:.1f} docs/s" if speed else ""
            bar.update(task, completed=done, rate=rate, note=f"{skipped} skipped, {errors} failed")

        yield update


@app.command("corpus")
def corpus_cmd(
    source: Annotated[
        Path,
        typer.Argument(
            help="A folder of corpus manifests, a .jsonl/.parquet table (doc_id, version, lang, "
            "role, text), or with --original: the DOCUMENT_IDS.tsv of line-parallel files."
        ),
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder (resumed if it exists).")],
    original: Annotated[
        str | None, typer.Option("--original", help="Line-parallel original: ID=FILE.")
    ] = None,
    version: Annotated[
        list[str] | None, typer.Option("--version", help="Line-parallel version ID=FILE; repeat.")
    ] = None,
    engine: Annotated[str, typer.Option("--engine", help="local (default) or ray.")] = "local",
    workers: Annotated[
        int, typer.Option("--workers", min=0, help="Local worker processes (0: one per core).")
    ] = 0,
    ray_address: Annotated[
        str, typer.Option("--ray-address", help="Ray cluster ADDR or auto (default: start one).")
    ] = "",
    num_gpus: Annotated[
        float, typer.Option("--num-gpus", min=0.0, help="GPUs per Ray embedding actor.")
    ] = 0.0,
    actors: Annotated[int, typer.Option("--actors", min=0, help="Ray embedding actors.")] = 0,
    reports: Annotated[
        bool, typer.Option("--reports", help="Also write each document's HTML report.")
    ] = False,
    all_pairs: Annotated[
        bool, typer.Option("--all-pairs", help="Compare every pair of versions too.")
    ] = False,
    presegmented: Annotated[
        bool, typer.Option("--presegmented", help="Texts have one segment per line.")
    ] = False,
    model: Annotated[
        str | None, typer.Option("--model", help="Encoder name or folder (default e5-small).")
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of every random step.")] = 0,
    no_terms: Annotated[
        bool, typer.Option("--no-terms", help="Skip the token-level suspicious-term check.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or logs.")] = False,
) -> None:
    """Align, score and flag every document of a corpus into Parquet tables and index.html."""
    from driftscope.corpus import CorpusConfig, RayOptions, run_corpus
    from driftscope.pipeline import PipelineConfig

    setup_logging(quiet)
    if engine == "ray":  # our bar counts documents; Ray's executor logs would break it
        logging.getLogger("ray").setLevel(logging.ERROR if quiet else logging.WARNING)
        logging.getLogger("ray.data").setLevel(logging.ERROR)
    if (original is None) != (not version):
        raise ConfigError("line-parallel input needs both --original and --version")
    src = line_parallel(original, version or [], source) if original else source
    cfg = CorpusConfig(
        pipeline=PipelineConfig(model=model, seed=seed, terms=not no_terms),
        engine=engine,
        workers=workers,
        ray=RayOptions(address=ray_address, num_gpus=num_gpus, actors=actors),
        presegmented=presegmented,
        all_pairs=all_pairs,
        reports=reports,
        quiet=quiet,
    )
    with progress_bar(quiet) as update:
        s = run_corpus(src, out, cfg, progress=update)
    if not quiet:
        typer.echo(
            f"{s.documents} documents ({s.processed} processed, {s.skipped} already done, "
            f"{s.errors} failed) -> {out}",
            err=True,
        )
    if s.documents and s.errors == s.documents:  # the error rows are written; the run failed
        rows = s.error_rows
        first = f"; the first: {rows[0]['doc_id']}: {rows[0]['error']}" if rows else ""
        raise InputError(f"every document failed ({s.errors}){first}")
