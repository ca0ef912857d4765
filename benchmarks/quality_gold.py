"""Flags against the bundled corpus's gold problems (corpora/nato-lukashenko).

Used by ``benchmarks/quality_bench.py`` and the integration tests. *Strict*
(:func:`driftscope.report.gold.finds`, as the report's gold check): a gold problem is found
only by a flag of its kind, or of an equivalent kind (``driftscope.report.gold.EQUIVALENT``),
on its hop, at ``medium`` or above, overlapping its span. *Lax*: any flag of the hop touching
its segment, at any severity. Precision: the share of ``medium``+ flags that find some gold
problem strictly (``precision_strict``) or touch one (``precision_lax``).
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
from driftscope.model import Bead, Document, Flag

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpora" / "nato-lukashenko"
CHAIN = ("ru", "vi", "en")


def read_beads(path: Path) -> tuple[Bead, ...]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        m = re.fullmatch(r"\s*\[([\d,\s]*)\]\s*:\s*\[([\d,\s]*)\].*", line)
        if not m:
            continue
        ids = [tuple(int(x) for x in g.replace(",", " ").split()) for g in m.groups()]
        out.append(Bead(ids[0], ids[1]))
    return tuple(out)


def read_gold(path: Path | None = None) -> list[dict[str, str]]:
    path = path or CORPUS / "gold" / "problems.tsv"
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def load_chain() -> tuple[list[Document], list[tuple[Bead, ...]]]:
    from driftscope.ingest import read_document

    docs = [
        read_document(CORPUS / "segments" / f"{lg}.txt", lg, presegmented=True, doc_id=lg)
        for lg in CHAIN
    ]
    hops = zip(CHAIN, CHAIN[1:], strict=False)
    beads = [read_beads(CORPUS / "gold" / f"{a}-{b}.beads") for a, b in hops]
    return docs, beads


def _ranges(gold: list[dict[str, str]], docs: dict[str, Document]) -> list[tuple | None]:
    from driftscope.report.gold import gold_range

    out: list[tuple | None] = []
    for g in gold:
        span = g.get("span", "-").strip()
        seg = docs[g["version"]].segments[int(g["segment"])].text
        out.append(gold_range(span, seg) if span and span != "-" else None)
    return out


def _hit(f: Flag, g: dict[str, str], rng: tuple | None, strict: bool) -> bool:
    from driftscope.report.gold import finds

    return finds(f, g["hop"], g["version"], int(g["segment"]), g["kind"], rng, strict)


def score_flags(flags: list[Flag], gold: list[dict[str, str]]) -> dict[str, Any]:
    """Strict and lax recall over gold problems, precision of the medium+ flags."""
    from driftscope.quality import severity_at_least

    docs, _ = load_chain()
    rngs = _ranges(gold, {d.doc_id: d for d in docs})
    shown = [f for f in flags if severity_at_least(f.severity, "medium")]
    out: dict[str, Any] = {"n_flags": len(flags), "n_flags_medium": len(shown), "n_gold": len(gold)}
    for strict in (True, False):
        name = "strict" if strict else "lax"
        found = [any(_hit(f, g, r, strict) for f in flags) for g, r in zip(gold, rngs, strict=True)]
        true = [any(_hit(f, g, r, strict) for g, r in zip(gold, rngs, strict=True)) for f in shown]
        out[f"recall_{name}"] = float(np.mean(found)) if gold else 0.0
        out[f"precision_{name}"] = float(np.mean(true)) if shown else 0.0
        out[f"missed_{name}"] = [
            f"{g['hop']} {g['version']}:{g['segment']} {g['kind']}"
            for g, ok in zip(gold, found, strict=True)
            if not ok
        ]
    out["false_flags_medium"] = [
        f"{f.hop} {f.kind}/{f.severity} src{list(f.src)} tgt{list(f.tgt)} {f.note[:70]}"
        for f in shown
        if not any(_hit(f, g, r, False) for g, r in zip(gold, rngs, strict=True))
    ]
    return out


def run_gold(encoder: Any, tokens: bool = True) -> dict[str, Any]:
    """The real pipeline (``run_manifest``: its own alignment) on the corpus, scored against
    gold; ``gold_beads`` gives the same with the gold alignment (flags only: separates
    alignment errors from flag errors)."""
    from driftscope.pipeline import PipelineConfig, run_manifest
    from driftscope.quality import severity_at_least

    cfg = PipelineConfig(min_severity="low", terms=tokens)
    res = run_manifest(CORPUS, cfg, encoder=encoder)
    hops = {f"{a}-{b}" for a, b in zip(CHAIN, CHAIN[1:], strict=False)}
    hop_flags = [c.flags for c in res.comparisons if c.hop in hops]
    direct = [f for c in res.comparisons if c.hop not in hops for f in c.flags]
    gold = read_gold()
    flags = [f for hf in hop_flags for f in hf]
    out: dict[str, Any] = {"alignment": "pipeline (run_manifest)", **score_flags(flags, gold)}
    out["per_hop_medium"] = dict(
        Counter(f.hop for f in flags if severity_at_least(f.severity, "medium"))
    )
    out["direct_pair_medium"] = len([f for f in direct if severity_at_least(f.severity, "medium")])
    out["gold_beads"] = run_gold_beads(encoder, tokens)
    return out


def run_gold_beads(encoder: Any, tokens: bool = True) -> dict[str, Any]:
    """Flag the ru->vi->en chain with gold beads; score against gold."""
    from driftscope.quality import flag_chain
    from driftscope.quality.tokens import embed_tokens

    docs, beads = load_chain()
    vecs = [np.asarray(encoder.encode(list(d.texts)), dtype=np.float32) for d in docs]
    toks = None
    if tokens and hasattr(encoder, "model"):
        toks = [embed_tokens(encoder.model, list(d.texts), encoder.prompt) for d in docs]
    hop_flags = flag_chain(docs, beads, vecs=vecs, tokens=toks, min_severity="low")
    flags = [f for hf in hop_flags for f in hf]
    res = score_flags(flags, read_gold())
    res["headline_terms"] = [
        f"{f.hop} {f.kind}/{f.severity} tgt{list(f.tgt)} value={f.value:.3f} "
        + "; ".join(repr(s.text) for s in f.spans)
        for f in flags
        if f.kind == "suspicious_term" and set(f.tgt) & {0, 1, 2}
    ]
    return res
