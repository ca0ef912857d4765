"""``driftscope align`` and ``driftscope eval-align``. Top layer; heavy imports inside bodies."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any
from xml.sax.saxutils import escape, quoteattr

import typer

from driftscope.cli import app
from driftscope.cli._common import (
    BackendOption,
    check_backend,
    check_output_path,
    emit,
    in_range,
    setup_logging,
)
from driftscope.errors import ConfigError

FORMATS = ("beads", "tsv", "jsonl", "tmx")
# The TSV's first row names its columns (those of the JSONL records) for spreadsheets and pandas.
TSV_HEADER = "bead\tsrc_text\ttgt_text\tsimilarity\n"

_ALIGN_HELP = "\n\n".join(
    [
        "Align two language versions of a text sentence by sentence.",
        "Reads SRC and TGT (plain text, split into sentences unless --presegmented), embeds "
        "the sentences with a local multilingual encoder (nothing goes to the network) and "
        "finds the best monotonic sequence of beads: 1-1 pairs, merges such as 1-2 or 2-3, "
        "and unmatched sentences (1-0, 0-1).",
        "A cheap first pass uses one embedding per sentence; only the concatenations the "
        "final search can still choose are then embedded, so long documents cost little more "
        "than their sentences. Blank lines are paragraph breaks: when both files have the "
        "same number of paragraphs no bead crosses one. Output: one bead per line, `[0]:[0, "
        "1]` with 0-based sentence numbers (the syntax of Vecalign and Bertalign, so their "
        "scorers read it), or --format tsv/jsonl/tmx.",
    ]
)


def _docs(src: Path, tgt: Path, src_lang: str | None, tgt_lang: str | None, preseg: bool) -> Any:
    from driftscope.ingest import read_document

    a = read_document(src, src_lang, presegmented=preseg, detect_segments=False, role="original")
    b = read_document(tgt, tgt_lang, presegmented=preseg, detect_segments=False)
    return a, b


def render(fmt: str, src_doc: Any, tgt_doc: Any, result: Any) -> str:
    """Text of the alignment in one of :data:`FORMATS`."""
    from driftscope.evaluate import format_beads

    if fmt == "beads":
        return format_beads(result.beads)
    st, tt = src_doc.texts, tgt_doc.texts
    rows = []
    for b, sim in zip(result.beads, result.similarity, strict=True):
        s = " ".join(st[i] for i in b.src)
        t = " ".join(tt[j] for j in b.tgt)
        score = None if sim != sim else round(sim, 4)
        rows.append((b, s, t, score))
    if fmt == "tsv":
        clean = [(s.replace("\t", " "), t.replace("\t", " ")) for _, s, t, _ in rows]
        return TSV_HEADER + "".join(
            f"{b.key()}\t{s}\t{t}\t{'' if sc is None else sc}\n"
            for (b, _, _, sc), (s, t) in zip(rows, clean, strict=True)
        )
    if fmt == "jsonl":
        return "".join(
            json.dumps(
                {"src": list(b.src), "tgt": list(b.tgt), "src_text": s, "tgt_text": t,
                 "similarity": sc},
                ensure_ascii=False,
            ) + "\n"
            for b, s, t, sc in rows
        )  # fmt: skip
    return _tmx(src_doc.lang, tgt_doc.lang, [(s, t) for b, s, t, _ in rows if b.src and b.tgt])


def _tmx(src_lang: str, tgt_lang: str, pairs: list[tuple[str, str]]) -> str:
    from driftscope._version import __version__

    head = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<tmx version="1.4">\n'
        f'  <header creationtool="driftscope" creationtoolversion={quoteattr(__version__)}'
        f' segtype="sentence" o-tmf="driftscope" adminlang="en" srclang={quoteattr(src_lang)}'
        ' datatype="plaintext"/>\n  <body>\n'
    )
    units = "".join(
        f"    <tu>\n      <tuv xml:lang={quoteattr(src_lang)}><seg>{escape(s)}</seg></tuv>\n"
        f"      <tuv xml:lang={quoteattr(tgt_lang)}><seg>{escape(t)}</seg></tuv>\n    </tu>\n"
        for s, t in pairs
    )
    return head + units + "  </body>\n</tmx>\n"


_H = {
    "src_lang": "Source language (ISO 639-1); detected if omitted.",
    "tgt_lang": "Target language (ISO 639-1); detected if omitted.",
    "preseg": "Inputs hold one sentence per line already (a blank line is a paragraph break).",
    "format": "beads (default), tsv (a header row, then bead, both texts, similarity), jsonl,"
    " or tmx (TMX 1.4b).",
    "out": "Write here (atomically) instead of stdout; never overwrites an input.",
    "model": "Encoder: e5-small (default, bundled), use-m3, or a local sentence-transformers"
    " folder.",
    "max_bead": "Largest bead, counted as source plus target sentences: 6 allows 1-5, 2-4,"
    " 3-3, 4-2, 5-1 and smaller.",
    "skip": "Cost of leaving a sentence unmatched, on a scale where a typical translation pair"
    " of these two texts costs 0 and an unrelated pair 1: a pair is kept only if it costs less"
    " than two skips. Lower finds more omissions and additions; higher pairs or glues stray"
    " sentences to their neighbours instead (keep it below 0.5). With --skip-adapt it is the"
    " floor of the per-document skip.",
    "skip_adapt": "Per-document skip from the pair's own first pass: half of the median plus"
    " this many robust standard deviations of its 1-1 pair costs (never below --skip), so"
    " texts whose true pairs are noisy keep them paired. 0 makes --skip a constant.",
    "merge": "Extra cost per sentence beyond 1-1 in a bead (same scale); raise it to prefer"
    " 1-1 pairs over merges.",
    "length": "How much a length mismatch between the two sides of a bead, beyond the usual"
    " one, counts against it (0 ignores length).",
    "short_len": "Beads shorter than this many characters (mean of both sides) have their"
    " cost pulled toward a typical pair's (about length / this), never below a random pair's:"
    " a short line's similarity is noisy, so a loose short pair is not glued to its"
    " neighbours or split into an omission and an addition (0 turns it off).",
    "margin": "Weight of the neighbour margin: lower a pair's similarity by how well the"
    " sentences next to it match too (0, the default, turns it off).",
    "anchors": "Weight of lexical anchors: numbers and capitalised names found in both"
    " texts. A bead whose numbers and names disagree pays up to this much; one whose anchors"
    " sit partly in a neighbouring sentence is pushed to merge with it (0 turns it off).",
    "band": "How far, in sentences, the final search may stray from the first pass's path."
    " Wider is slower but forgives a poor first pass.",
    "embed": "Which joined neighbouring sentences get embedded: path (those the best"
    " alignment takes, solved again until it takes only embedded ones; default), band (all"
    " those the final search could still pick), all (every one, as Bertalign does; slow),"
    " none (approximated from single sentences; fastest).",
    "par": "Never let a bead cross a paragraph break when both sides have the same number of"
    " paragraphs (off by default: no dev set could show that it helps).",
    "seed": "Seed of the random sampling that calibrates costs.",
}


# Ranges checked at parse time (AlignConfig checks again for API callers).
_SKIP = in_range(0, 0.5, hi_open=True, why=": a pair is kept only if cheaper than two skips")
_WEIGHT = in_range(0, 10)


@app.command("align", help=_ALIGN_HELP)
def align_cmd(
    src: Annotated[Path, typer.Argument(help="Source-language text file.")],
    tgt: Annotated[Path, typer.Argument(help="Target-language text file.")],
    src_lang: Annotated[str | None, typer.Option("--src-lang", help=_H["src_lang"])] = None,
    tgt_lang: Annotated[str | None, typer.Option("--tgt-lang", help=_H["tgt_lang"])] = None,
    presegmented: Annotated[bool, typer.Option("--presegmented", help=_H["preseg"])] = False,
    fmt: Annotated[str, typer.Option("--format", "-f", help=_H["format"])] = "beads",
    out: Annotated[Path | None, typer.Option("-o", "--out", help=_H["out"])] = None,
    model: Annotated[str | None, typer.Option("--model", help=_H["model"])] = None,
    max_bead: Annotated[
        int, typer.Option("--max-bead", help=_H["max_bead"], callback=in_range(2, 12))
    ] = 6,
    # Defaults: those of driftscope.align.AlignConfig (not imported here: --help stays light).
    skip: Annotated[float, typer.Option("--skip", help=_H["skip"], callback=_SKIP)] = 0.4,
    skip_adapt: Annotated[
        float, typer.Option("--skip-adapt", help=_H["skip_adapt"], callback=in_range(0, 10))
    ] = 3.5,
    merge_penalty: Annotated[
        float, typer.Option("--merge-penalty", help=_H["merge"], callback=_WEIGHT)
    ] = 0.3,
    length_weight: Annotated[
        float, typer.Option("--length-weight", help=_H["length"], callback=_WEIGHT)
    ] = 0.5,
    short_len: Annotated[
        float, typer.Option("--short-len", help=_H["short_len"], callback=in_range(0, 10_000))
    ] = 60.0,
    margin: Annotated[float, typer.Option("--margin", help=_H["margin"], callback=_WEIGHT)] = 0.0,
    anchor_weight: Annotated[
        float, typer.Option("--anchor-weight", help=_H["anchors"], callback=_WEIGHT)
    ] = 0.25,
    band: Annotated[int, typer.Option("--band", help=_H["band"], callback=in_range(1))] = 8,
    embed: Annotated[str, typer.Option("--embed", help=_H["embed"])] = "path",
    paragraphs: Annotated[bool, typer.Option("--paragraphs", help=_H["par"])] = False,
    seed: Annotated[int, typer.Option("--seed", help=_H["seed"], callback=in_range(0))] = 0,
    quiet: Annotated[bool, typer.Option("-q", "--quiet", help="Only errors on stderr.")] = False,
    backend: BackendOption = None,
) -> int:
    from driftscope.align import AlignConfig, align

    setup_logging(quiet)
    check_backend(backend)
    if fmt not in FORMATS:
        raise ConfigError(f"--format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    cfg = AlignConfig(
        max_bead=max_bead, skip=skip, skip_adapt=skip_adapt, merge_penalty=merge_penalty,
        length_weight=length_weight, short_len=short_len, margin=margin, band=band, embed=embed,
        use_paragraphs=paragraphs, seed=seed, anchor_weight=anchor_weight,
    )  # fmt: skip
    if out is not None:  # before any reading, embedding or aligning
        check_output_path(out, [src, tgt])
    a, b = _docs(src, tgt, src_lang, tgt_lang, presegmented)
    from driftscope.embed import get_encoder

    res = align(
        list(a.texts), list(b.texts), get_encoder(model, backend=backend), cfg,
        src_par=[x.paragraph for x in a.segments], tgt_par=[x.paragraph for x in b.segments],
    )  # fmt: skip
    emit(render(fmt, a, b, res), out, [src, tgt])
    return 0


@app.command("eval-align")
def eval_align_cmd(
    files: Annotated[list[Path], typer.Argument(help="GOLD SYSTEM [GOLD SYSTEM ...] bead files.")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="text or json.")] = "text",
    out: Annotated[Path | None, typer.Option("-o", "--out", help="Write here, not stdout.")] = None,
) -> int:
    """Strict and lax precision, recall and F1 of SYSTEM beads against GOLD beads.

    Vecalign's definitions: counts are summed over all documents before dividing; 1-0 and 0-1
    beads count for precision (strict matches only), not for recall.
    """
    from driftscope.evaluate import score_files

    if len(files) % 2:
        raise ConfigError(f"eval-align takes GOLD SYSTEM pairs, got {len(files)} files")
    if fmt not in ("text", "json"):
        raise ConfigError(f"--format must be text or json, got {fmt!r}")
    if out is not None:
        check_output_path(out, files)
    scores = score_files([(files[k], files[k + 1]) for k in range(0, len(files), 2)])
    text = scores.format() if fmt == "text" else json.dumps(scores.as_dict(), indent=1) + "\n"
    emit(text, out, files)
    return 0
