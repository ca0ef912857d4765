"""Meaning reversal on synthetic lost negations: does the check find a negation dropped?

The bundled corpus has one real reversal (en 11), too few to judge a detector by. This
benchmark makes many from NTREX-128 dev, in all six directions: every line pair with exactly
one negation on each side (:func:`driftscope.quality.negation.negations`) gets its target's
cue deleted ("does not depend" -> "does depend"; "не зависит" -> "зависит"; "không phụ
thuộc" -> "phụ thuộc"): a translation that lost its negation. The clean pairs that the check
already reports (the false candidates) are the negatives.

For each candidate, two features are compared by AUROC (lost negation against clean):

* ``rendered``: the shipped rank of the scope's rendering (``Reversal.rendered``), whose
  ``>= RENDERED_MEDIUM`` makes a flag ``medium``;
* ``delta``: a counterfactual probe, the cosine of the bead after the unmatched cue is
  deleted from its side minus the cosine before (one more encoding per candidate). A negation
  the other side lost has no counterpart, so deleting it brings the sides closer; a negation
  the other side says in other words ("не смог" / "failed") has one.

``delta`` thresholds are chosen leave-one-language-pair-out (both directions of a pair share
their clean pairs): the smallest threshold that flags at most ``--budget`` of the held-in
directions' beads, scored on the held-out pair. Writes benchmarks/results/negation_synth.json.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import _ntrex
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "results" / "negation_synth.json"
DIRS = [("en", "ru"), ("ru", "en"), ("en", "vi"), ("vi", "en"), ("ru", "vi"), ("vi", "ru")]
_NT = {"ca": "can", "wo": "will", "sha": "shall"}


def drop(text: str, start: int, end: int) -> str:
    """``text`` without the cue word at ``start:end`` ("doesn't" -> "does")."""
    word = text[start:end]
    if word.lower().endswith("n't") and len(word) > 3:
        stem = word[:-3]
        return text[:start] + _NT.get(stem.lower(), stem) + text[end:]
    return re.sub(r"\s{2,}", " ", text[:start] + text[end:]).strip()


def auroc(pos: list[float], neg: list[float]) -> float:
    p, n = np.asarray(pos, np.float64)[:, None], np.asarray(neg, np.float64)[None, :]
    if not p.size or not n.size:
        return float("nan")
    return float((p > n).mean() + 0.5 * (p == n).mean())


def candidates(enc, s_l: str, t_l: str) -> list[dict[str, object]]:
    """Clean and synthetic candidates of one direction with both features."""
    from driftscope.pipeline import _token_vectors
    from driftscope.quality.negation import negations, reversals

    src, tgt = _ntrex.lines(s_l), _ntrex.lines(t_l)
    pairs = [("clean", i, s, t) for i, (s, t) in enumerate(zip(src, tgt, strict=True))]
    for i, (s, t) in enumerate(zip(src, tgt, strict=True)):
        ns, nt = negations(s, s_l), negations(t, t_l)
        if len(ns) == 1 and len(nt) == 1:
            pairs.append(("lost", i, s, drop(t, nt[0].start, nt[0].end)))
    texts = list(dict.fromkeys([p[2] for p in pairs] + [p[3] for p in pairs]))
    vecs, states = enc.encode_with_tokens(texts)
    vec = dict(zip(texts, vecs, strict=True))
    tok = dict(zip(texts, _token_vectors(states), strict=True))
    found = []
    for kind, i, s, t in pairs:
        rs = reversals(s, t, s_l, t_l, tok[s], tok[t])
        if rs:
            r = rs[0]
            probe = (drop(s, r.cue.start, r.cue.end), t) if r.side == "src" else (
                s, drop(t, r.cue.start, r.cue.end))  # fmt: skip
            found.append((kind, i, s, t, r.rendered, probe))
        elif kind == "lost":
            found.append((kind, i, s, t, float("nan"), None))
    need = list(dict.fromkeys(x for f in found if f[5] for x in f[5] if x not in vec))
    vec.update(zip(need, enc.encode(need), strict=True))  # the probes: cue deleted
    out = []
    for kind, i, s, t, rendered, probe in found:
        delta = float("nan")
        if probe:
            delta = float(vec[probe[0]] @ vec[probe[1]] - vec[s] @ vec[t])
        out.append({"kind": kind, "line": i, "rendered": rendered, "delta": delta})
    return out


def _budget_threshold(rows: list[dict[str, object]], allowed: int) -> float:
    """The smallest ``delta`` threshold that leaves at most ``allowed`` clean candidates above."""
    clean = sorted((float(r["delta"]) for r in rows if r["kind"] == "clean"), reverse=True)
    return clean[allowed] if len(clean) > allowed else -1.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--budget", type=float, default=0.0025, help="share of beads flagged")
    args = ap.parse_args()
    from driftscope.embed import get_encoder
    from driftscope.quality.negation import RENDERED_MEDIUM

    enc = get_encoder(backend="onnx")
    n_beads = len(_ntrex.lines("en"))
    per: dict[str, dict[str, object]] = {}
    rows: dict[str, list[dict[str, object]]] = {}
    for s_l, t_l in DIRS:
        d = f"{s_l}-{t_l}"
        rows[d] = got = candidates(enc, s_l, t_l)
        clean = [r for r in got if r["kind"] == "clean"]
        lost = [r for r in got if r["kind"] == "lost"]
        seen = [r for r in lost if r["rendered"] == r["rendered"]]
        per[d] = {
            "clean_candidates": len(clean),
            "lost": len(lost),
            "lost_reported": len(seen),
            "lost_medium_shipped": sum(float(r["rendered"]) >= RENDERED_MEDIUM for r in seen),
            "auroc_rendered": round(
                auroc([r["rendered"] for r in seen], [r["rendered"] for r in clean]), 3
            ),  # fmt: skip
            "auroc_delta": round(auroc([r["delta"] for r in seen], [r["delta"] for r in clean]), 3),
        }
        print(d, per[d], flush=True)
    lodo = {}
    for held in ({"en", "ru"}, {"en", "vi"}, {"ru", "vi"}):
        fit = [d for d in rows if set(d.split("-")) != held]
        test = [d for d in rows if set(d.split("-")) == held]
        allowed = int(args.budget * n_beads)  # per direction
        # the smallest threshold under which no held-in direction flags more than allowed
        thr = max(_budget_threshold(rows[d], allowed) for d in fit)
        for d in test:
            lost = [r for r in rows[d] if r["kind"] == "lost"]
            clean = [r for r in rows[d] if r["kind"] == "clean"]
            lodo[d] = {
                "threshold": round(thr, 5),
                "recall_lost": round(sum(float(r["delta"]) > thr for r in lost) / len(lost), 3),
                "false_share": round(sum(float(r["delta"]) > thr for r in clean) / n_beads, 5),
            }
            print(d, "held out", lodo[d], flush=True)
    OUT.write_text(json.dumps({"budget": args.budget, "beads_per_direction": n_beads,
                               "per_direction": per, "delta_lopo": lodo}, indent=1) + "\n",
                   encoding="utf-8")  # fmt: skip


if __name__ == "__main__":
    main()
