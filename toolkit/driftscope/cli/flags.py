"""``driftscope flags``: flag problems of a translation (or of every hop of a corpus chain).

A thin layer over :mod:`driftscope.pipeline`, so the flags come from the real aligner:

* ``driftscope flags SRC TGT`` runs ``run_pair`` (one hop ``src-tgt``);
* ``driftscope flags CORPUS`` (a corpus folder or its ``manifest.toml``) runs ``run_manifest``:
  the flags of every hop of the chain, then those of the direct original-to-final pair, each
  labelled with the hop that introduced it (``driftscope.quality.attribute``).

Output: ``text`` (one flag per line: comparison, hop, kind, severity, segment ids, the short
texts) or ``jsonl`` (one :class:`driftscope.model.Flag` per line as ``driftscope.model.to_dict``
gives it, plus a ``"comparison"`` key naming the compared pair; drop that key to rebuild the
Flag). Heavy imports (encoders, torch) happen inside the command body.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Annotated, Any

import typer

from driftscope.cli import app
from driftscope.cli._common import BackendOption, check_backend, in_range
from driftscope.errors import ConfigError, InputError

log = logging.getLogger("driftscope.flags")

_SEVERITIES = ("low", "medium", "high")
_FORMATS = ("text", "jsonl")
_SHORT = 60


def short(text: str, n: int = _SHORT) -> str:
    """One line of at most ``n`` characters (whitespace collapsed, ``…`` when cut)."""
    t = " ".join(text.split())
    return t if len(t) <= n else t[: n - 1].rstrip() + "…"


def flag_rows(result: Any) -> list[tuple[str, Any]]:
    """(comparison label, Flag) for every flag of a RunResult, hops first, direct pair last."""
    rows = []
    for comp in result.comparisons:
        for f in comp.flags:
            rows.append((comp.hop, f))
    return rows


def _texts(result: Any, doc_id: str, ids: tuple[int, ...]) -> str:
    doc = next((d for d in result.documents if d.doc_id == doc_id), None)
    if doc is None or not ids:
        return "—"
    return short(" ".join(doc.segments[i].text for i in ids if 0 <= i < len(doc.segments)))


def format_text(result: Any) -> str:
    """One line per flag: ``comparison hop kind severity src[..] tgt[..] "src" -> "tgt"``."""
    lines = []
    by_hop = {c.hop: c for c in result.comparisons}
    for label, f in flag_rows(result):
        comp = by_hop[label]
        hop = f.hop if f.hop != label else "-"
        lines.append(
            f"{label}\t{hop}\t{f.kind}\t{f.severity}\tsrc{list(f.src)}\ttgt{list(f.tgt)}\t"
            f"{_texts(result, comp.src_id, f.src)!r} -> {_texts(result, comp.tgt_id, f.tgt)!r}"
            f"\t{f.note}"
        )
    return "\n".join(lines) + ("\n" if lines else "")


def format_jsonl(result: Any) -> str:
    """One Flag per line (``to_dict``) with its ``comparison`` label."""
    from driftscope.model import to_dict

    return "".join(
        json.dumps({"comparison": label, **to_dict(f)}, ensure_ascii=False) + "\n"
        for label, f in flag_rows(result)
    )


def _inputs(paths: list[Path]) -> tuple[str, list[Path]]:
    """("pair" | "manifest", every file the run reads), checked before any work."""
    for p in paths:
        if not p.exists():
            raise InputError(f"{p}: no such file or folder")
    if len(paths) == 2:
        for p in paths:
            if p.is_dir():
                raise InputError(f"{p}: is a folder; two inputs must be text files")
        return "pair", paths
    if len(paths) == 1 and (paths[0].is_dir() or paths[0].suffix.lower() == ".toml"):
        from driftscope.ingest import load_manifest

        man = load_manifest(paths[0])
        root = Path(man.root)
        files = [root / v.file for v in man.versions] + [
            root / v.segments for v in man.versions if v.segments
        ]
        return "manifest", [paths[0], root, *files]
    raise ConfigError("give two text files (source, target) or one corpus folder / manifest.toml")


@app.command("flags")
def flags_cmd(
    inputs: Annotated[
        list[Path],
        typer.Argument(help="SRC TGT (two text files), or one corpus folder / manifest.toml."),
    ],
    src_lang: Annotated[str | None, typer.Option("--src-lang", help="Source language.")] = None,
    tgt_lang: Annotated[str | None, typer.Option("--tgt-lang", help="Target language.")] = None,
    presegmented: Annotated[
        bool, typer.Option("--presegmented", help="One segment per non-blank line.")
    ] = False,
    fmt: Annotated[str, typer.Option("--format", "-f", help="text or jsonl.")] = "text",
    severity: Annotated[
        str, typer.Option("--severity", help="Show flags of this severity or higher.")
    ] = "medium",
    model: Annotated[
        str | None,
        typer.Option("--model", "--encoder", help="Sentence encoder (default: offline e5-small)."),
    ] = None,
    terms: Annotated[
        bool, typer.Option("--terms/--no-terms", help="Word-level support (suspicious terms).")
    ] = True,
    seed: Annotated[
        int, typer.Option("--seed", help="Seed of random-pair sampling.", callback=in_range(0))
    ] = 0,
    out: Annotated[
        Path | None,
        typer.Option("-o", "--out", help="Write here (atomically) instead of stdout."),
    ] = None,
    output: Annotated[Path | None, typer.Option("--output", hidden=True)] = None,  # old name
    fail_on: Annotated[
        str | None,
        typer.Option(
            "--fail-on",
            help="Exit with code 1 when a flag of at least this severity is found (for "
            "scripts and CI).",
        ),
    ] = None,
    backend: BackendOption = None,
) -> int:
    """Flag omissions, additions, garbled or untranslated passages, number, name and term
    problems, duplicates and broken segments (aligned with the real aligner)."""
    if fmt not in _FORMATS:
        raise ConfigError(f"--format must be one of {', '.join(_FORMATS)}, not {fmt!r}")
    if severity not in _SEVERITIES:
        raise ConfigError(f"--severity must be one of {', '.join(_SEVERITIES)}, not {severity!r}")
    if fail_on is not None and fail_on not in _SEVERITIES:
        raise ConfigError(f"--fail-on must be one of {', '.join(_SEVERITIES)}, not {fail_on!r}")
    if out is not None and output is not None:
        raise ConfigError("give --out (or its old name --output) once")
    out = out if out is not None else output
    check_backend(backend)
    from driftscope.cli._common import check_output_path, emit, fail_on_exit

    mode, files = _inputs(list(inputs))
    if mode == "manifest" and (src_lang or tgt_lang or presegmented):
        raise ConfigError(
            "--src-lang/--tgt-lang/--presegmented apply to two files; a manifest "
            "names its own languages and segment files"
        )
    if out is not None:  # fail before any embedding work
        check_output_path(out, files)
    from driftscope import pipeline

    cfg = pipeline.PipelineConfig(
        model=model, backend=backend, min_severity=severity, terms=terms, seed=seed
    )
    if mode == "pair":
        result = pipeline.run_pair(
            inputs[0], inputs[1], src_lang, tgt_lang, cfg, presegmented=presegmented
        )
    else:
        result = pipeline.run_manifest(inputs[0], cfg)
    log.info(
        "%d flags at severity >= %s over %d comparisons",
        len(flag_rows(result)),
        severity,
        len(result.comparisons),
    )
    emit(format_jsonl(result) if fmt == "jsonl" else format_text(result), out, files)
    if fail_on is not None:
        rank = _SEVERITIES.index(fail_on)
        n = sum(_SEVERITIES.index(f.severity) >= rank for _, f in flag_rows(result))
        fail_on_exit(n, fail_on, str(out) if out is not None else "standard output")
    return 0
