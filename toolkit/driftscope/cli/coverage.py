"""``driftscope coverage``: what each language version keeps, omits and adds, over documents.

A thin layer over :mod:`driftscope.coverage`; heavy modules are imported inside the body.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from driftscope.cli import app
from driftscope.cli._common import check_output_path, emit, in_range, progress, setup_logging
from driftscope.errors import ConfigError, InputError

COVERAGE_FORMATS = ("csv", "json", "html")


def _version_id(spec: str) -> tuple[str, Path]:
    """``ID=PATH`` or ``PATH`` (id: the last dotted part of the stem, e.g. ``ref.rus`` -> rus)."""
    if "=" in spec and not Path(spec).exists():
        vid, _, path = spec.partition("=")
        return vid, Path(path)
    stem = Path(spec).stem
    return stem.rsplit(".", 1)[-1], Path(spec)


def read_doc_ids(path: Path) -> list[str]:
    """First column of a DOCUMENT_IDS.tsv, one id per line (CRLF or LF)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as err:
        raise InputError(f"{path}: cannot read ({err.strerror or err})") from err
    ids = [line.split("\t", 1)[0].strip() for line in text.splitlines()]
    if not ids or not all(ids):
        raise InputError(f"{path}: empty document id")
    return ids


def load_groups(path: Path, doc_ids: list[str] | None, presegmented: bool) -> list[list[str]]:
    """Segment texts of one version, grouped by document (one group without ``doc_ids``)."""
    from driftscope.ingest import detect_language, read_document, read_lines, segment_text

    if doc_ids is None:
        return [list(read_document(path, presegmented=presegmented).texts)]
    lines = read_lines(path)
    if len(lines) != len(doc_ids):
        raise InputError(f"{path}: {len(lines)} lines but {len(doc_ids)} document ids")
    lang = "" if presegmented else detect_language("\n".join(lines[:200]))[0]
    groups: dict[str, list[str]] = {}
    for did, line in zip(doc_ids, lines, strict=True):
        segs = [line.strip()] if presegmented else segment_text(line, lang)
        groups.setdefault(did, []).extend(s for s in segs if s.strip())
    return list(groups.values())


def _align_fn(encoder: str, seed: int) -> Any:
    import numpy as np

    from driftscope.align import AlignConfig, align
    from driftscope.embed import get_encoder

    enc = get_encoder(encoder) if encoder else get_encoder()
    cfg = AlignConfig()
    rng = np.random.default_rng(seed)
    return lambda a, b: align(list(a), list(b), enc, cfg, rng).beads


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
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars or logs.")] = False,
) -> None:
    """Share of the original's segments each version represents, omits and adds."""
    from driftscope.coverage import align_groups, coverage_csv, coverage_json, version_pairs

    if fmt not in COVERAGE_FORMATS:
        raise ConfigError(f"--format must be one of {', '.join(COVERAGE_FORMATS)}, not {fmt!r}")
    setup_logging(quiet)
    specs = [_version_id(str(original))] + [_version_id(v) for v in version]
    if out is not None:  # fail before aligning anything
        check_output_path(out, [p for _, p in specs] + ([doc_ids] if doc_ids else []))
    ids = read_doc_ids(doc_ids) if doc_ids else None
    docs = {vid: load_groups(p, ids, presegmented) for vid, p in specs}
    names = list(dict.fromkeys(ids)) if ids else [specs[0][0]]
    steps = len(version_pairs(specs[0][0], list(docs))) * len(names)
    with progress(quiet) as bar:
        task = bar.add_task("aligning documents", total=steps) if bar else None
        report = align_groups(
            specs[0][0],
            docs,
            _align_fn(encoder, seed),
            names,
            on_step=(lambda: bar.advance(task)) if bar else None,
        )
    text = {"csv": coverage_csv, "json": coverage_json, "html": _coverage_html}[fmt](report)
    emit(text, out, [p for _, p in specs] + ([doc_ids] if doc_ids else []))


def _coverage_html(report: Any) -> str:
    from driftscope.report.coverage_html import render_coverage_html

    return render_coverage_html(report.to_dict())
