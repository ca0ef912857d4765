"""Flags against the bundled corpus's gold problems (corpora/nato-lukashenko).

Used by ``benchmarks/quality_bench.py`` and the integration tests. A gold problem
(hop, version, segment, kind) is found when a flag of that hop and kind touches that segment on
that side; ``lax`` accepts any kind. A flag is a true flag when it matches some gold problem.
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


def _hit(f: Flag, g: dict[str, str], lax: bool) -> bool:
    if f.hop != g["hop"] or (not lax and f.kind != g["kind"]):
        return False
    seg = int(g["segment"])
    side_src = g["version"] == g["hop"].split("-")[0]
    return seg in (f.src if side_src else f.tgt)


def score_flags(flags: list[Flag], gold: list[dict[str, str]]) -> dict[str, Any]:
    """Recall over gold problems and precision over flags, strict (same kind) and lax."""
    out: dict[str, Any] = {"n_flags": len(flags), "n_gold": len(gold)}
    for lax in (False, True):
        name = "lax" if lax else "strict"
        found = [any(_hit(f, g, lax) for f in flags) for g in gold]
        true = [any(_hit(f, g, lax) for g in gold) for f in flags]
        out[f"recall_{name}"] = float(np.mean(found)) if gold else 0.0
        out[f"precision_{name}"] = float(np.mean(true)) if flags else 0.0
        out[f"missed_{name}"] = [
            f"{g['hop']} {g['version']}:{g['segment']} {g['kind']}"
            for g, ok in zip(gold, found, strict=True)
            if not ok
        ]
    out["false_flags"] = [
        f"{f.hop} {f.kind}/{f.severity} src{list(f.src)} tgt{list(f.tgt)} {f.note[:70]}"
        for f in flags
        if not any(_hit(f, g, True) for g in gold)
    ]
    return out


def run_gold(
    encoder: Any, severities: tuple[str, ...] = ("low", "medium"), tokens: bool = True
) -> dict[str, Any]:
    """The real pipeline (``run_manifest``: its own alignment) on the corpus, scored against
    gold per minimum severity; ``gold_beads`` gives the same with the gold alignment (flags
    only: separates alignment errors from flag errors)."""
    from driftscope.pipeline import PipelineConfig, run_manifest
    from driftscope.quality import severity_at_least

    cfg = PipelineConfig(min_severity="low", terms=tokens)
    res = run_manifest(CORPUS, cfg, encoder=encoder)
    hops = {f"{a}-{b}" for a, b in zip(CHAIN, CHAIN[1:], strict=False)}
    hop_flags = [c.flags for c in res.comparisons if c.hop in hops]
    direct = [f for c in res.comparisons if c.hop not in hops for f in c.flags]
    out: dict[str, Any] = {"alignment": "pipeline (run_manifest)"}
    gold = read_gold()
    for sev in severities:
        flags = [f for hf in hop_flags for f in hf if severity_at_least(f.severity, sev)]
        r = score_flags(flags, gold)
        r["per_hop"] = dict(Counter(f.hop for f in flags))
        d = [f for f in direct if severity_at_least(f.severity, sev)]
        r["direct_pair"] = {
            "n_flags": len(d),
            "attributed_to_a_hop": sum(f.hop in hops for f in d),
            "matching_gold_lax": sum(any(_hit(f, g, True) for g in gold) for f in d),
        }
        out[sev] = r
    out["gold_beads"] = run_gold_beads(encoder, severities, tokens)
    return out


def run_gold_beads(
    encoder: Any, severities: tuple[str, ...] = ("low", "medium"), tokens: bool = True
) -> dict[str, Any]:
    """Flag the ru->vi->en chain with gold beads; score against gold per minimum severity."""
    from driftscope.quality import flag_chain, severity_at_least
    from driftscope.quality.tokens import embed_tokens

    docs, beads = load_chain()
    vecs = [np.asarray(encoder.encode(list(d.texts)), dtype=np.float32) for d in docs]
    toks = None
    if tokens and hasattr(encoder, "model"):
        toks = [embed_tokens(encoder.model, list(d.texts), encoder.prompt) for d in docs]
    hop_flags = flag_chain(docs, beads, vecs=vecs, tokens=toks, min_severity="low")
    out: dict[str, Any] = {}
    for sev in severities:
        flags = [f for hf in hop_flags for f in hf if severity_at_least(f.severity, sev)]
        res = score_flags(flags, read_gold())
        res["per_hop"] = dict(Counter(f.hop for f in flags))
        res["headline_terms"] = [
            f"{f.hop} {f.kind}/{f.severity} tgt{list(f.tgt)} value={f.value:.3f} "
            + "; ".join(repr(s.text) for s in f.spans)
            for f in flags
            if f.kind == "suspicious_term" and set(f.tgt) & {0, 1, 2}
        ]
        out[sev] = res
    return out
