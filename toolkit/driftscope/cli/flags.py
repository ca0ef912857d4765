"""``driftscope flags SRC TGT``: flag problems of a translation against its source.

Aligns with ``driftscope.align`` when it provides ``align_documents``; until then, and always
with ``--presegmented`` input of equal length, line i is paired with line i (1-1). Heavy
imports (encoders, torch) happen inside the command body.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Any

import typer

from driftscope.cli import app
from driftscope.errors import ConfigError

log = logging.getLogger("driftscope.flags")

_SEVERITIES = ("low", "medium", "high")
_FORMATS = ("text", "jsonl")


def pair_beads(src: Any, tgt: Any) -> tuple[Any, ...]:
    """1-1 beads for documents with the same number of segments."""
    from driftscope.model import Bead

    if len(src.segments) != len(tgt.segments):
        raise ConfigError(
            f"{src.source or src.doc_id} has {len(src.segments)} segments but "
            f"{tgt.source or tgt.doc_id} has {len(tgt.segments)}; 1-1 pairing needs equal "
            "counts (sentence alignment is not available in this build)")
    return tuple(Bead((i,), (i,)) for i in range(len(src.segments)))


def align_or_pair(src: Any, tgt: Any, encoder: Any, presegmented: bool) -> tuple[Any, ...]:
    """Beads from ``driftscope.align.align_documents`` when present, else 1-1 pairing."""
    if presegmented and len(src.segments) == len(tgt.segments):
        return pair_beads(src, tgt)
    try:
        from driftscope.align import align_documents  # type: ignore[attr-defined]
    except ImportError:
        return pair_beads(src, tgt)
    return tuple(align_documents(src, tgt, encoder))


def format_text(flags: Any) -> str:
    lines = []
    for f in flags:
        where = f"src{list(f.src)} tgt{list(f.tgt)}"
        spans = " | ".join(f"{s.version}:{s.segment}[{s.start}:{s.end}] {s.text!r}"
                           for s in f.spans)
        lines.append(f"{f.severity:<6} {f.kind:<16} {f.hop} {where} "
                     f"value={f.value:.3g} thr={f.threshold:.3g}  {f.note}"
                     + (f"\n       {spans}" if spans else ""))
    return "\n".join(lines) + ("\n" if lines else "")


def format_jsonl(flags: Any) -> str:
    from driftscope.model import to_json

    return "".join(to_json(f, indent=None) + "\n" for f in flags)


@app.command("flags")
def flags_cmd(
    src: Annotated[Path, typer.Argument(help="Source (original) text.", exists=True,
                                        dir_okay=False, readable=True)],
    tgt: Annotated[Path, typer.Argument(help="Target (translation) text.", exists=True,
                                        dir_okay=False, readable=True)],
    src_lang: Annotated[str | None, typer.Option("--src-lang", help="Source language.")] = None,
    tgt_lang: Annotated[str | None, typer.Option("--tgt-lang", help="Target language.")] = None,
    presegmented: Annotated[bool, typer.Option(
        "--presegmented", help="One segment per non-blank line.")] = False,
    fmt: Annotated[str, typer.Option("--format", "-f", help="text or jsonl.")] = "text",
    severity: Annotated[str, typer.Option(
        "--severity", help="Show flags of this severity or higher.")] = "medium",
    encoder_name: Annotated[str | None, typer.Option(
        "--encoder", help="Sentence encoder (default: offline e5-small).")] = None,
    terms: Annotated[bool, typer.Option(
        "--terms/--no-terms", help="Word-level support (suspicious terms).")] = True,
    seed: Annotated[int, typer.Option("--seed", help="Seed of random-pair sampling.")] = 0,
    out: Annotated[Path | None, typer.Option("-o", "--output", help="Write here.")] = None,
) -> int:
    """Flag omissions, additions, garbled or untranslated passages, number, name and term
    problems, duplicates and broken segments."""
    if fmt not in _FORMATS:
        raise ConfigError(f"--format must be one of {', '.join(_FORMATS)}, not {fmt!r}")
    if severity not in _SEVERITIES:
        raise ConfigError(f"--severity must be one of {', '.join(_SEVERITIES)}, not {severity!r}")
    import numpy as np

    from driftscope.cli._common import check_output_path, emit

    if out is not None:  # fail before any embedding work
        check_output_path(out, [src, tgt])
    from driftscope.embed import get_encoder
    from driftscope.ingest import read_document
    from driftscope.quality import flag_comparison

    sdoc = read_document(src, src_lang, presegmented=presegmented, doc_id=src_lang or None)
    tdoc = read_document(tgt, tgt_lang, presegmented=presegmented, doc_id=tgt_lang or None)
    if sdoc.doc_id == tdoc.doc_id:  # same file stem: keep versions distinguishable in spans
        import dataclasses

        tdoc = dataclasses.replace(tdoc, doc_id=tdoc.doc_id + "-tgt")
    enc = get_encoder(encoder_name)
    beads = align_or_pair(sdoc, tdoc, enc, presegmented)
    svec = np.asarray(enc.encode(list(sdoc.texts)), dtype=np.float32)
    tvec = np.asarray(enc.encode(list(tdoc.texts)), dtype=np.float32)
    stok = ttok = None
    if terms and hasattr(enc, "model"):
        from driftscope.quality.tokens import embed_tokens

        stok = embed_tokens(enc.model, list(sdoc.texts), enc.prompt)
        ttok = embed_tokens(enc.model, list(tdoc.texts), enc.prompt)
    found = flag_comparison(sdoc, tdoc, beads, src_vecs=svec, tgt_vecs=tvec, src_tokens=stok,
                            tgt_tokens=ttok, rng=np.random.default_rng(seed),
                            min_severity=severity)
    log.info("%d flags at severity >= %s (%d beads)", len(found), severity, len(beads))
    emit(format_jsonl(found) if fmt == "jsonl" else format_text(found), out, [src, tgt])
    return 0
