"""Quality/flags benchmark on the dev data (see ../shared/data/README.md).

    .venv/bin/python benchmarks/quality_bench.py [--no-terms] [--directions en-ru,vi-en]

* Hallucination AUROC (de-en dev half) and MLQE-PE ru-en dev Pearson: ``quality_fit.py``.
* False flags: NTREX dev (clean human translations of one English text into Russian and
  Vietnamese, so every flag is false) in all six directions en-ru, ru-en, en-vi, vi-en, ru-vi,
  vi-ru, as ``driftscope flags SRC TGT --presegmented`` runs them: the whole file pair (1,045
  lines) read presegmented, aligned by the pipeline's aligner, flagged at the default severity
  (medium). Reported as beads with a flag / beads, overall and per flag kind.
* The same on other collections: MLQE-PE ru-en rows judged near-perfect and the de-en
  hallucination dev half's unlabelled rows (``quality_clean.py``).
* Gold: strict and lax recall of corpora/nato-lukashenko's gold problems and precision of the
  ``medium``+ flags (``quality_gold.py``).
Writes benchmarks/results/quality.json.

Vectors come from ``.cache/quality`` (``quality_embed.py``: identical to ``encode`` and
``embed_tokens``); each direction's alignment is cached in ``.cache/quality/ntrex-beads``, so a
rerun after a change to the flag rules embeds and aligns nothing.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _ntrex  # noqa: E402
import quality_fit as qf  # noqa: E402

DIRECTIONS = ("en-ru", "ru-en", "en-vi", "vi-en", "ru-vi", "vi-ru")
SEVERITY = "medium"  # `driftscope flags` default


def read_ntrex() -> tuple[list[str], dict[str, list[str]]]:
    """Document ids and the line-parallel texts of en, ru, vi (1,045 lines each)."""
    ids = _ntrex.doc_ids()
    return ids, {lg: [x.strip() for x in _ntrex.lines(lg)[: len(ids)]] for lg in _ntrex.FILES}


def _document(lang: str, texts: list[str]) -> Any:
    """The file read as `driftscope flags --presegmented` reads it (languages detected)."""
    from driftscope.ingest import read_document

    path = qf.CACHE / "ntrex-files" / f"{lang}.txt"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(texts) + "\n", encoding="utf-8")
    doc = read_document(path, lang, presegmented=True, doc_id=lang)
    assert len(doc.segments) == len(texts), "presegmented reading changed the lines"
    return doc


def _vectors(name: str, texts: list[str], doc: Any) -> dict[str, Any]:
    """Cached sentence and layer-mix token vectors of the raw lines, re-embedded where reading
    normalised a line (zero-width spaces: 13 of 3,135 lines), so they match ``doc`` exactly."""
    from driftscope.embed import get_encoder
    from driftscope.quality.tokens import embed_tokens

    emb = qf.embed_set(name, texts, use=False)
    fix = [i for i, s in enumerate(doc.segments) if s.text != texts[i]]
    if fix:
        enc = get_encoder()
        new = [doc.segments[i].text for i in fix]
        sent = np.array(emb["sent"], copy=True)
        sent[fix] = enc.encode(new)
        mix = list(emb["mix"])
        for i, tv in zip(fix, embed_tokens(enc.model, new, enc.prompt), strict=True):
            mix[i] = tv
        emb = {**emb, "sent": sent, "mix": mix}
    return emb


def _beads(src: Any, tgt: Any) -> list[Any]:
    """The pipeline's alignment of one direction (cached as JSON)."""
    from driftscope.model import Bead

    path = qf.CACHE / "ntrex-beads" / f"{src.doc_id}-{tgt.doc_id}.json"
    if path.exists():
        return [Bead(tuple(a), tuple(b)) for a, b in json.loads(path.read_text("utf-8"))]
    from driftscope.align.chain import align_chain
    from driftscope.embed import get_encoder
    from driftscope.pipeline import PipelineConfig

    cfg = PipelineConfig()
    digest = sum((i + 1) * ord(c) for i, c in enumerate("align"))  # as pipeline._Run.rng
    ch = align_chain(
        [src, tgt], get_encoder(), cfg.align, np.random.default_rng([cfg.seed, digest])
    )
    beads = list(ch.hops[0].beads)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps([[list(b.src), list(b.tgt)] for b in beads]), encoding="utf-8")
    return beads


def direction_flags(
    directions: tuple[str, ...], terms: bool = True, one_to_one: bool = False
) -> dict[str, tuple[list[Any], list[Any]]]:
    """Per direction: (beads, every flag at ``low`` severity and above) on NTREX dev."""
    from driftscope.embed import get_encoder
    from driftscope.model import Bead
    from driftscope.quality import flag_comparison

    _, texts = read_ntrex()
    docs = {lg: _document(lg, texts[lg]) for lg in texts}
    emb = {lg: _vectors(f"nt_{lg}", texts[lg], docs[lg]) for lg in texts}
    out = {}
    for d in directions:
        s, t = d.split("-")
        n = len(docs[s].segments)
        beads = [Bead((k,), (k,)) for k in range(n)] if one_to_one else _beads(docs[s], docs[t])
        fl = flag_comparison(
            docs[s],
            docs[t],
            beads,
            src_vecs=emb[s]["sent"],
            tgt_vecs=emb[t]["sent"],
            src_tokens=emb[s]["mix"] if terms else None,
            tgt_tokens=emb[t]["mix"] if terms else None,
            rng=np.random.default_rng(0),
            min_severity="low",
            encoder=get_encoder(),  # the reversal probe, as the pipeline runs it
        )
        out[d] = (beads, list(fl))
    return out


def ntrex_false_flags(
    terms: bool,
    directions: tuple[str, ...] = DIRECTIONS,
    severity: str = SEVERITY,
    one_to_one: bool = False,
) -> dict[str, Any]:
    """Per direction: beads, beads flagged at ``severity``+, and the share per flag kind.

    ``one_to_one``: the lines' own 1-1 pairing instead of the pipeline's alignment (flags
    only, no alignment errors; a quick check while iterating)."""
    from driftscope.quality import severity_at_least

    res: dict[str, Any] = {"severity": severity, "terms": terms, "unit": "beads flagged / beads"}
    res["alignment"] = "1-1 by line" if one_to_one else "pipeline (align_chain, default config)"
    for d, (beads, fl) in direction_flags(directions, terms, one_to_one).items():
        index = {(b.src, b.tgt): k for k, b in enumerate(beads)}
        shown = [f for f in fl if severity_at_least(f.severity, severity)]
        hit = {index[(f.src, f.tgt)] for f in shown}
        by_kind: dict[str, set[int]] = {}
        for f in shown:
            by_kind.setdefault(f.kind, set()).add(index[(f.src, f.tgt)])
        res[d] = {
            "beads": len(beads),
            "flagged": len(hit),
            "share": len(hit) / len(beads),
            "share_by_kind": {k: len(v) / len(beads) for k, v in sorted(by_kind.items())},
            "flags_by_kind_all_severities": dict(Counter(f"{f.kind}/{f.severity}" for f in fl)),
            "examples": [
                f"{f.kind}/{f.severity} {list(f.src)}:{list(f.tgt)} {f.note[:100]}" for f in shown
            ][:40],
        }
    shares = [res[d]["share"] for d in directions]
    res["max_share"] = max(shares)
    return res


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--no-terms", action="store_true")
    ap.add_argument("--directions", default=",".join(DIRECTIONS))
    ap.add_argument("--no-gold", action="store_true")
    ap.add_argument("--one-to-one", action="store_true", help="line pairs, not the aligner")
    args = ap.parse_args()
    import quality_gold as qg
    from driftscope.embed import get_encoder

    out: dict[str, object] = {}
    t0 = time.time()
    fit_path = qf.ROOT / "benchmarks" / "results" / "quality_fit.json"
    if fit_path.exists():
        out["fit"] = json.loads(fit_path.read_text(encoding="utf-8"))
    dirs = tuple(args.directions.split(","))
    out["ntrex_false_flags"] = ntrex_false_flags(
        not args.no_terms, dirs, one_to_one=args.one_to_one
    )
    if dirs == DIRECTIONS and not args.one_to_one:
        import quality_clean

        out["mlqe_clean_false_flags"] = quality_clean.clean_false_flags()
        out["hal_clean_false_flags"] = quality_clean.hal_clean_false_flags()
        out["gold_beads_false_flags"] = quality_clean.gold_beads_false_flags()
    if not args.no_gold:
        out["gold"] = qg.run_gold(get_encoder(), tokens=not args.no_terms)
    out["seconds"] = time.time() - t0
    if dirs == DIRECTIONS and not args.no_gold and not args.one_to_one:
        dst = qf.ROOT / "benchmarks" / "results" / "quality.json"
        dst.parent.mkdir(parents=True, exist_ok=True)
        dst.write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps(out, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
