"""``driftscope report`` and ``driftscope coverage``: render a RunResult; coverage over documents.

``report`` takes a saved RunResult JSON (re-render, nothing recomputed), a corpus folder or
manifest (computed by ``driftscope.pipeline.run_manifest``), or two plain files with
``--lang`` (``run_pair``). Heavy modules are imported inside the command bodies.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from driftscope.cli import app
from driftscope.cli._common import check_output_path, emit, setup_logging, write_atomic
from driftscope.errors import ConfigError, InputError, OutputError

FORMATS = ("text", "json")
COVERAGE_FORMATS = ("csv", "json", "html")


@contextmanager
def _progress(quiet: bool) -> Iterator[Any]:
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


def _is_run_json(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() == ".json"


def _pipeline() -> Any:
    import importlib

    try:
        # import_module returns the sys.modules entry (tests substitute a fake pipeline)
        pipeline = importlib.import_module("driftscope.pipeline")
    except ModuleNotFoundError as err:
        if err.name != "driftscope.pipeline":
            raise
        raise ConfigError(
            "computing a report needs driftscope.pipeline, which is not available; "
            "pass a saved RunResult JSON instead"
        ) from err
    return pipeline


def load_result(
    inputs: list[Path],
    langs: list[str],
    presegmented: bool,
    progress: Any = None,
    cfg: Any = None,
) -> Any:
    """A RunResult from a saved JSON, a corpus folder/manifest, or two plain files."""
    from driftscope.model import RunResult, from_json

    for p in inputs:
        if not p.exists():
            raise InputError(f"{p}: no such file or folder")
    if len(inputs) == 1 and _is_run_json(inputs[0]):
        try:
            return from_json(inputs[0].read_text(encoding="utf-8"), RunResult)
        except (ValueError, KeyError, TypeError) as err:
            raise InputError(f"{inputs[0]}: not a driftscope RunResult JSON ({err})") from err
    if len(inputs) == 1 and (inputs[0].is_dir() or inputs[0].suffix.lower() == ".toml"):
        return _pipeline().run_manifest(inputs[0], cfg, progress=progress)
    if len(inputs) == 2:
        if len(langs) != 2:
            raise ConfigError("two plain files need two --lang values (source, then target)")
        return _pipeline().run_pair(
            inputs[0],
            inputs[1],
            src_lang=langs[0],
            tgt_lang=langs[1],
            cfg=cfg,
            presegmented=presegmented,
            progress=progress,
        )
    raise ConfigError("give a RunResult .json, a corpus folder or manifest.toml, or two files")


def write_outputs(result: Any, outdir: Path, inputs: list[Path], quiet: bool) -> dict[str, str]:
    """Render every output into ``outdir``; returns ``{name: path}``."""
    from driftscope.report import WRITERS, render_all

    try:
        outdir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise OutputError(f"{outdir}: cannot create folder ({err.strerror or err})") from err
    with _progress(quiet) as bar:
        task = bar.add_task("rendering", total=len(WRITERS)) if bar else None
        texts = render_all(result)
        files = {}
        for name, text in texts.items():
            out = outdir / name
            if not _unchanged_input(out, text, inputs):
                write_atomic(out, text, inputs)
            files[name] = str(out)
            if bar:
                bar.advance(task)
    return files


def _unchanged_input(out: Path, text: str, inputs: list[Path]) -> bool:
    """Re-rendering ``OUT/report.json -o OUT`` may leave that input alone if it is identical."""
    for p in inputs:
        if out.exists() and p.exists() and out.resolve() == p.resolve():
            return out.read_bytes() == text.encode("utf-8")
    return False


def summary(result: Any, files: dict[str, str]) -> dict[str, Any]:
    """Machine-readable run summary (``--format json``)."""
    from driftscope.report.view import build_view

    view = build_view(result)
    nan = lambda x: None if x != x else round(x, 4)  # noqa: E731
    return {
        "files": files,
        "title": result.title,
        "chain": list(result.chain),
        "signature": result.signature.format(),
        "hops": [
            {
                "hop": h.hop,
                "in_chain": h.in_chain,
                "beads": h.n_beads,
                "mean_similarity": nan(h.mean),
                "ci95": [nan(h.ci_low), nan(h.ci_high)],
                "omitted": h.n_omitted,
                "added": h.n_added,
                "flags": dict(h.flag_kinds),
            }
            for h in view.hops
        ],
        "flags": view.n_flags,
        "gold": (
            {
                "found": sum(1 for g in view.gold if g.found_by),
                "strict": sum(1 for g in view.gold if g.strict),
                "total": len(view.gold),
            }
            if view.gold
            else None
        ),
    }


def _print_summary(s: dict[str, Any], fmt: str, quiet: bool) -> None:
    if fmt == "json":
        sys.stdout.write(json.dumps(s, ensure_ascii=False, indent=1) + "\n")
        return
    if quiet:
        return
    lines = [
        f"{h['hop']}: mean similarity {h['mean_similarity']} "
        f"[{h['ci95'][0]}, {h['ci95'][1]}], {sum(h['flags'].values())} flags"
        for h in s["hops"]
    ]
    if s["gold"]:
        g = s["gold"]
        lines.append(
            f"gold problems found: {g['strict']}/{g['total']} strictly "
            f"(medium+ flag of their kind on their span), {g['found']}/{g['total']} touched"
        )
    lines += [f"wrote {p}" for p in s["files"].values()]
    sys.stdout.write("\n".join(lines) + "\n")


@app.command("report")
def report_cmd(
    inputs: Annotated[
        list[Path],
        typer.Argument(
            help="RunResult .json (re-render), corpus folder or manifest.toml, or SRC TGT plain "
            "files with --lang."
        ),
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder (created if missing).")],
    lang: Annotated[
        list[str] | None,
        typer.Option("--lang", "-l", help="Languages of plain files (source, then target)."),
    ] = None,
    presegmented: Annotated[
        bool, typer.Option("--presegmented", help="Plain files hold one segment per line.")
    ] = False,
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="Summary on stdout: text or json.")
    ] = "text",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars or logs.")] = False,
    model: Annotated[
        str | None,
        typer.Option(
            "--model",
            "-m",
            help="Sentence encoder: a sentence-transformers name or "
            "folder (default: the offline multilingual-e5-small; with internet, "
            "sentence-transformers/LaBSE is the strongest for alignment).",
        ),
    ] = None,
    severity: Annotated[
        str,
        typer.Option(
            "--severity", help="Keep flags of at least this severity: low, medium or high."
        ),
    ] = "low",
    fail_on: Annotated[
        str | None,
        typer.Option(
            "--fail-on",
            help="Exit with code 1 when a flag of at least this "
            "severity is found (for scripts and CI).",
        ),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of every random step.")] = 0,
    no_terms: Annotated[
        bool, typer.Option("--no-terms", help="Skip suspicious-term search (faster).")
    ] = False,
) -> None:
    """Render report.html, report.md, report.json, beads.csv and flags.csv for a run."""
    from driftscope.model import SEVERITIES

    if fmt not in FORMATS:
        raise ConfigError(f"--format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    if fail_on is not None and fail_on not in SEVERITIES:
        raise ConfigError(f"--fail-on must be one of {', '.join(SEVERITIES)}, not {fail_on!r}")
    setup_logging(quiet)
    check_output_dir(out, inputs)  # fail before computing anything
    cfg = _pipeline_config(model, severity, seed, no_terms, inputs)
    with _progress(quiet) as bar:
        task = bar.add_task("computing", total=None) if bar else None
        say = (lambda msg: bar.update(task, description=msg)) if bar else None
        result = _min_severity(load_result(inputs, lang or [], presegmented, say, cfg), severity)
        if bar:
            bar.update(task, total=1, completed=1)
    files = write_outputs(result, out, inputs, quiet)
    _print_summary(summary(result, files), fmt, quiet)
    if fail_on is not None and any(
        SEVERITIES.index(f.severity) >= SEVERITIES.index(fail_on)
        for c in result.comparisons
        for f in c.flags
    ):
        raise typer.Exit(1)


def _min_severity(result: Any, severity: str) -> Any:
    """Drop flags below ``severity`` (a view operation: also applies when re-rendering JSON)."""
    import dataclasses

    from driftscope.model import SEVERITIES

    if severity not in SEVERITIES:
        raise ConfigError(f"--severity must be one of {', '.join(SEVERITIES)}, not {severity!r}")
    rank = SEVERITIES.index(severity)
    if rank == 0:
        return result
    comps = tuple(
        dataclasses.replace(
            c, flags=tuple(f for f in c.flags if SEVERITIES.index(f.severity) >= rank)
        )
        for c in result.comparisons
    )
    return dataclasses.replace(result, comparisons=comps)


def check_output_dir(out: Path, inputs: list[Path]) -> None:
    """Refuse an output folder that is a file, an input, or cannot be created."""
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out}: exists and is not a folder")
    for p in inputs:
        if p.exists() and p.resolve() == out.resolve() and not p.is_dir():
            raise OutputError(f"{out}: refusing to write over an input")
    probe = out
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir():
        raise OutputError(f"{out}: cannot create folder under the file {probe}")
    if not os.access(probe, os.W_OK):
        raise OutputError(f"{out}: folder {probe} is not writable")


def _pipeline_config(
    model: str | None, severity: str, seed: int, no_terms: bool, inputs: list[Path]
) -> Any:
    """Pipeline settings from options (None when re-rendering a saved JSON)."""
    if len(inputs) == 1 and _is_run_json(inputs[0]):
        return None
    pipeline = _pipeline()
    return pipeline.PipelineConfig(
        model=model, min_severity=severity, seed=seed, terms=not no_terms
    )


# --------------------------------------------------------------------------- coverage
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
    seed: Annotated[int, typer.Option("--seed", help="Seed of the aligner's sampling.")] = 0,
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
    with _progress(quiet) as bar:
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
