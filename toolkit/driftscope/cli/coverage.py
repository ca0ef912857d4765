"""``driftscope coverage``: what each language version keeps, omits and adds, over documents.

A thin view over the corpus engine (:func:`driftscope.corpus.coverage`): the same per-document
pipeline as ``driftscope corpus``, reduced to coverage counts. Heavy modules are imported
inside the body.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer

from driftscope.cli import app
from driftscope.cli._common import (
    BackendOption,
    check_backend,
    check_output_path,
    emit,
    in_range,
    progress,
    setup_logging,
)
from driftscope.errors import ConfigError

COVERAGE_FORMATS = ("csv", "json", "html")


@app.command("coverage")
def coverage_cmd(
    original: Annotated[Path, typer.Option("--original", help="The original version's file.")],
    version: Annotated[
        list[str],
        typer.Option("--version", help="A version's file, or ID=FILE; repeat for each version."),
    ],
    doc_ids: Annotated[
        Path | None,
        typer.Option("--doc-ids", help="DOCUMENT_IDS.tsv: the document id of each line."),
    ] = None,
    presegmented: Annotated[
        bool, typer.Option("--presegmented", help="One segment per line.")
    ] = False,
    fmt: Annotated[str, typer.Option("--format", "-f", help="csv, json or html.")] = "json",
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write here (atomically), not stdout.")
    ] = None,
    encoder: Annotated[
        str,
        typer.Option(
            "--model", "--encoder", help="Encoder name or folder (default: the offline e5-small)."
        ),
    ] = "",
    seed: Annotated[
        int, typer.Option("--seed", help="Seed of the aligner's sampling.", callback=in_range(0))
    ] = 0,
    workers: Annotated[
        int,
        typer.Option("--workers", help="Worker processes (0: one per core).", callback=in_range(0)),
    ] = 0,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars or logs.")] = False,
    backend: BackendOption = None,
) -> None:
    """Share of the original's segments each version represents, omits and adds."""
    from driftscope.cli.corpus import line_parallel
    from driftscope.coverage import coverage_csv, coverage_json

    if fmt not in COVERAGE_FORMATS:
        raise ConfigError(f"--format must be one of {', '.join(COVERAGE_FORMATS)}, not {fmt!r}")
    setup_logging(quiet)
    check_backend(backend)
    src = line_parallel(str(original), version, doc_ids)
    inputs = [p for _, p in src.versions] + ([src.doc_ids] if src.doc_ids else [])
    if out is not None:  # fail before aligning anything
        check_output_path(out, inputs)
    with tempfile.TemporaryDirectory(prefix="driftscope-coverage-") as tmp:
        report = _run(_decoded(src, Path(tmp)), presegmented, encoder, seed, backend, workers,
                      quiet)  # fmt: skip
    text = {"csv": coverage_csv, "json": coverage_json, "html": _coverage_html}[fmt](report)
    emit(text, out, inputs)


def _decoded(src: Any, tmp: Path) -> Any:
    """The same line-parallel input with every version decoded by the ingest layer (UTF-16,
    cp1251, NFD, ... : one clear error for empty, binary or undecodable files, before any model
    loads) and rewritten as plain UTF-8 lines the engine streams."""
    from dataclasses import replace

    from driftscope.ingest import read_lines

    specs = []
    for k, (vid, path) in enumerate(src.versions):
        lines = read_lines(path)
        copy = tmp / f"{k}-{path.name}"
        copy.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        specs.append((vid, copy))
    return replace(src, versions=tuple(specs))


def _run(src: Any, presegmented: bool, encoder: str, seed: int, backend: str | None,
         workers: int, quiet: bool) -> Any:  # fmt: skip
    from driftscope.corpus import CorpusConfig, coverage
    from driftscope.pipeline import PipelineConfig

    cfg = CorpusConfig(
        pipeline=PipelineConfig(model=encoder or None, seed=seed, backend=backend),
        presegmented=presegmented,
        workers=workers,
        quiet=quiet,
    )
    with progress(quiet) as bar:
        task = bar.add_task("aligning documents", total=None) if bar else None
        return coverage(
            src, cfg, progress=(lambda d, _s, _e: bar.update(task, completed=d)) if bar else None
        )


def _coverage_html(report: Any) -> str:
    from driftscope.report.coverage_html import render_coverage_html

    return render_coverage_html(report.to_dict())
