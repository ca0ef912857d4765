"""``driftscope report``: render a RunResult to HTML, Markdown, JSON and CSV.

It takes a saved RunResult JSON (re-render, nothing recomputed), a corpus folder or
manifest (computed by ``driftscope.pipeline.run_manifest``), or two plain files with
``--lang`` (``run_pair``). Heavy modules are imported inside the command bodies.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from driftscope.cli import app
from driftscope.cli._common import (
    BackendOption,
    check_backend,
    fail_on_exit,
    in_range,
    progress,
    setup_logging,
    write_atomic,
)
from driftscope.errors import ConfigError, InputError, OutputError

FORMATS = ("text", "json")


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

    for p in inputs:
        if not p.exists():
            raise InputError(f"{p}: no such file or folder")
    if len(inputs) == 1 and _is_run_json(inputs[0]):
        return _saved_run(inputs[0])
    if len(inputs) == 1 and (inputs[0].is_dir() or inputs[0].suffix.lower() == ".toml"):
        return _pipeline().run_manifest(inputs[0], cfg, progress=progress)
    if len(inputs) == 2:
        if len(langs) not in (0, 2):
            raise ConfigError(
                "give two --lang values (source, then target), or none to detect both"
            )
        return _pipeline().run_pair(
            inputs[0],
            inputs[1],
            src_lang=langs[0] if langs else None,
            tgt_lang=langs[1] if langs else None,
            cfg=cfg,
            presegmented=presegmented,
            progress=progress,
        )
    raise ConfigError("give a RunResult .json, a corpus folder or manifest.toml, or two files")


def _saved_run(path: Path) -> Any:
    """A RunResult read back from ``report.json``; anything else is one clear InputError."""
    from driftscope.model import RunResult, from_json

    what = f"{path}: not a saved driftscope run (the report.json that `driftscope report` writes)"
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text)
    except UnicodeDecodeError as err:
        raise InputError(f"{what}; it is not UTF-8 text") from err
    except json.JSONDecodeError as err:
        raise InputError(f"{what}; invalid JSON at line {err.lineno}") from err
    if not isinstance(data, dict) or "comparisons" not in data or "documents" not in data:
        raise InputError(f"{what}; it has no documents and comparisons")
    try:
        return from_json(text, RunResult)
    except (ValueError, KeyError, TypeError) as err:
        raise InputError(f"{what}; its fields do not match this driftscope's schema") from err


def write_outputs(result: Any, outdir: Path, inputs: list[Path], quiet: bool) -> dict[str, str]:
    """Render every output into ``outdir``; returns ``{name: path}``."""
    from driftscope.report import WRITERS, render_all

    try:
        outdir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise OutputError(f"{outdir}: cannot create folder ({err.strerror or err})") from err
    with progress(quiet) as bar:
        task = bar.add_task("rendering", total=len(WRITERS)) if bar else None
        texts = render_all(result)
        for name, text in texts.items():  # all refused before any file is written
            if _is_input(outdir / name, inputs) and not _unchanged_input(outdir / name, text):
                raise OutputError(f"{outdir / name}: refusing to overwrite an input file")
        files = {}
        for name, text in texts.items():
            out = outdir / name
            if not _is_input(out, inputs):
                write_atomic(out, text, inputs)
            files[name] = str(out)
            if bar:
                bar.advance(task)
    return files


def _is_input(out: Path, inputs: list[Path]) -> bool:
    return out.exists() and any(p.exists() and out.resolve() == p.resolve() for p in inputs)


def _unchanged_input(out: Path, text: str) -> bool:
    """Re-rendering ``OUT/report.json -o OUT`` may leave that input alone if it is identical."""
    return out.read_bytes() == text.encode("utf-8")


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
    from driftscope.report.stats import SIM_SCALE

    two = lambda x: "–" if x is None else f"{x:.2f}"  # noqa: E731  (as in the HTML and Markdown)
    lines = [f"similarity: {SIM_SCALE}"]
    lines += [
        f"{h['hop']}: mean similarity {two(h['mean_similarity'])} "
        f"[{two(h['ci95'][0])}, {two(h['ci95'][1])}], {sum(h['flags'].values())} flags"
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
            help="A saved report.json (re-render), a corpus folder or manifest.toml, or two "
            "plain files SRC TGT."
        ),
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder (created if missing).")],
    lang: Annotated[
        list[str] | None,
        typer.Option(
            "--lang",
            "-l",
            help="Languages of two plain files: source, then target (detected if omitted).",
        ),
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
    seed: Annotated[
        int, typer.Option("--seed", help="Seed of every random step.", callback=in_range(0))
    ] = 0,
    no_terms: Annotated[
        bool, typer.Option("--no-terms", help="Skip suspicious-term search (faster).")
    ] = False,
    backend: BackendOption = None,
) -> None:
    """Render report.html, report.md, report.json, beads.csv and flags.csv for a run.

    Languages of two plain files come from --lang (source, then target) or are detected.
    """
    from driftscope.model import SEVERITIES

    if fmt not in FORMATS:
        raise ConfigError(f"--format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    if fail_on is not None and fail_on not in SEVERITIES:
        raise ConfigError(f"--fail-on must be one of {', '.join(SEVERITIES)}, not {fail_on!r}")
    setup_logging(quiet)
    check_output_dir(out, inputs)  # fail before computing anything
    cfg = _pipeline_config(model, severity, seed, no_terms, inputs, check_backend(backend))
    with progress(quiet) as bar:
        task = bar.add_task("computing", total=None) if bar else None
        say = (lambda msg: bar.update(task, description=msg)) if bar else None
        result = _min_severity(load_result(inputs, lang or [], presegmented, say, cfg), severity)
        if bar:
            bar.update(task, total=1, completed=1)
    files = write_outputs(result, out, inputs, quiet)
    _print_summary(summary(result, files), fmt, quiet)
    if fail_on is not None:
        rank = SEVERITIES.index(fail_on)
        n = sum(SEVERITIES.index(f.severity) >= rank for c in result.comparisons for f in c.flags)
        fail_on_exit(n, fail_on, f"{files['flags.csv']} and {files['report.html']}")


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
    """Refuse an output folder that is a file, an input, inside an input folder (a corpus, or
    the folder of a manifest.toml), or cannot be created."""
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out}: exists and is not a folder")
    from driftscope.ingest.paths import refuse_inside_inputs

    corpus = [p.parent for p in inputs if p.suffix.lower() == ".toml" and p.is_file()]
    refuse_inside_inputs(out, [*inputs, *corpus])
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
    model: str | None,
    severity: str,
    seed: int,
    no_terms: bool,
    inputs: list[Path],
    backend: str | None = None,
) -> Any:
    """Pipeline settings from options (None when re-rendering a saved JSON)."""
    if len(inputs) == 1 and _is_run_json(inputs[0]):
        return None
    pipeline = _pipeline()
    return pipeline.PipelineConfig(
        model=model, backend=backend, min_severity=severity, seed=seed, terms=not no_terms
    )
