"""Meaning reversal on synthetic lost negations: does the check find a negation dropped?

The bundled corpus has one real reversal (en 11), too few to judge a detector by. This
benchmark makes many from NTREX-128 dev, in all six directions: every line pair with exactly
one negation on each side (:func:`driftscope.quality.negation.negations`) gets its target's
cue deleted ("does not depend" -> "does depend"; "не зависит" -> "зависит"; "không phụ
thuộc" -> "phụ thuộc"): a translation that lost its negation. The clean pairs that the check
already reports (the false candidates) are the negatives.

For each candidate, two features are compared by AUROC (lost negation against clean):

* ``rendered``: the rank of the scope's rendering (``Reversal.rendered``), which decided
  ``medium`` before the probe did;
* ``probe``: the counterfactual probe the flags use (:mod:`driftscope.quality.probe`): the
  bead's calibrated similarity after the unmatched cue is deleted from its side minus before
  (one more encoding per candidate). A negation the other side lost has no counterpart, so
  deleting it brings the sides closer; a negation the other side says in other words
  ("не смог" / "failed") has one.

``probe`` thresholds are chosen leave-one-language-pair-out (both directions of a pair share
their clean pairs): the smallest threshold that flags at most ``--budget`` of the held-in
directions' beads, scored on the held-out pair. The shipped ``PROBE_MEDIUM`` is the same rule
on all six directions. Writes benchmarks/results/negation_synth.json.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import _ntrex
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "results" / "negation_synth.json"
DIRS = [("en", "ru"), ("ru", "en"), ("en", "vi"), ("vi", "en"), ("ru", "vi"), ("vi", "ru")]
_NT = {"ca": "can", "wo": "will", "sha": "shall"}


def auroc(pos: list[float], neg: list[float]) -> float:
    p, n = np.asarray(pos, np.float64)[:, None], np.asarray(neg, np.float64)[None, :]
    if not p.size or not n.size:
        return float("nan")
    return float((p > n).mean() + 0.5 * (p == n).mean())


def candidates(enc: Any, s_l: str, t_l: str) -> list[dict[str, object]]:
    """Clean and synthetic candidates of one direction with both features, computed by the
    library (``bead_evidence`` and ``quality.probe.reversal_probes``, 1-1 by line)."""
    from driftscope.ingest import document_from_texts
    from driftscope.model import Bead
    from driftscope.pipeline import _token_vectors
    from driftscope.quality import bead_evidence
    from driftscope.quality.negation import negations
    from driftscope.quality.probe import drop_cue, reversal_probes

    src, tgt = _ntrex.lines(s_l), _ntrex.lines(t_l)
    lost = list(tgt)
    eligible = []
    for i, (s, t) in enumerate(zip(src, tgt, strict=True)):
        ns, nt = negations(s, s_l), negations(t, t_l)
        if len(ns) == 1 and len(nt) == 1:
            lost[i] = drop_cue(t, nt[0])
            eligible.append(i)
    texts = list(dict.fromkeys(src + tgt + lost))
    vecs, states = enc.encode_with_tokens(texts)
    vec = dict(zip(texts, vecs, strict=True))
    tok = dict(zip(texts, _token_vectors(states), strict=True))
    beads = [Bead((i,), (i,)) for i in range(len(src))]
    out: list[dict[str, object]] = []
    baseline = None
    for kind, tg in (("clean", tgt), ("lost", lost)):
        ev, base = bead_evidence(
            document_from_texts(src, s_l, s_l), document_from_texts(tg, t_l, t_l), beads,
            src_vecs=np.stack([vec[x] for x in src]), tgt_vecs=np.stack([vec[x] for x in tg]),
            rng=np.random.default_rng(0), src_tokens=[tok[x] for x in src],
            tgt_tokens=[tok[x] for x in tg],
        )  # fmt: skip
        baseline = baseline or base  # the clean pair's calibration for both
        keep = [e for e in ev if kind == "clean" or e.index in set(eligible)]
        gain = reversal_probes([e for e in keep if e.reversals], enc, baseline)
        for e in keep:
            rendered = max((r.rendered for r in e.reversals), default=float("nan"))
            if kind == "clean" and not e.reversals:
                continue
            out.append({"kind": kind, "line": e.index, "rendered": rendered,
                        "probe": gain.get(e.index, float("nan"))})  # fmt: skip
    return out


def _budget_threshold(rows: list[dict[str, object]], allowed: int) -> float:
    """The smallest ``probe`` threshold that leaves at most ``allowed`` clean candidates above."""
    clean = sorted((float(r["probe"]) for r in rows if r["kind"] == "clean"), reverse=True)
    return clean[allowed] if len(clean) > allowed else -1.0


def _scored(rows: list[dict[str, object]], thr: float, n_beads: int) -> dict[str, float]:
    lost = [r for r in rows if r["kind"] == "lost"]
    clean = [r for r in rows if r["kind"] == "clean"]
    return {
        "threshold": round(thr, 5),
        "recall_lost": round(sum(float(r["probe"]) > thr for r in lost) / len(lost), 3),
        "false_share": round(sum(float(r["probe"]) > thr for r in clean) / n_beads, 5),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--budget", type=float, default=0.0025, help="share of beads flagged")
    args = ap.parse_args()
    from driftscope.embed import get_encoder
    from driftscope.quality.probe import PROBE_MEDIUM

    enc = get_encoder(backend="onnx")
    n_beads = len(_ntrex.lines("en"))
    allowed = int(args.budget * n_beads)  # per direction
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
            "lost_medium_shipped": sum(float(r["probe"]) >= PROBE_MEDIUM for r in seen),
            "clean_medium_shipped": sum(float(r["probe"]) >= PROBE_MEDIUM for r in clean),
            "auroc_rendered": round(
                auroc([r["rendered"] for r in seen], [r["rendered"] for r in clean]), 3
            ),  # fmt: skip
            "auroc_probe": round(auroc([r["probe"] for r in seen], [r["probe"] for r in clean]), 3),
        }
        print(d, per[d], flush=True)
    lodo = {}
    for held in ({"en", "ru"}, {"en", "vi"}, {"ru", "vi"}):
        fit = [d for d in rows if set(d.split("-")) != held]
        # the smallest threshold under which no held-in direction flags more than allowed
        thr = max(_budget_threshold(rows[d], allowed) for d in fit)
        for d in (d for d in rows if set(d.split("-")) == held):
            lodo[d] = _scored(rows[d], thr, n_beads)
            print(d, "held out", lodo[d], flush=True)
    every = max(_budget_threshold(rows[d], allowed) for d in rows)
    print("threshold on all six", every, "shipped", PROBE_MEDIUM, flush=True)
    OUT.write_text(json.dumps({
        "budget": args.budget, "beads_per_direction": n_beads, "per_direction": per,
        "probe_lopo": lodo, "threshold_all_six": round(every, 5), "shipped": PROBE_MEDIUM,
        "shipped_in_sample": {d: _scored(rows[d], PROBE_MEDIUM - 1e-12, n_beads) for d in rows},
    }, indent=1) + "\n", encoding="utf-8")  # fmt: skip


if __name__ == "__main__":
    main()
