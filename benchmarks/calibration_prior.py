"""The packaged calibration baseline of the bundled encoder, for documents of one segment.

    .venv/bin/python benchmarks/calibration_prior.py

Flags are calibrated on each pair's own random pairings (``quality.calibrate``), which needs at
least two segments per side. A headline or a one-sentence text has none, so driftscope falls
back on a baseline measured here: NTREX-128 dev, every document (63) and every pair of its
languages (en-ru, en-vi, ru-vi, both ways give the same cosines), line by line. Per document
pair: the mean and standard deviation of the random-pair cosines and the median cosine of the
true (same-line) pairs, with :func:`driftscope.quality.calibrate.random_pair_cosines`; the
prior is the median over the 189 document pairs. Also reported: how far each language pair's
own medians are from the pooled prior (a single-segment document gets the pooled one).

Writes ``toolkit/driftscope/data/baselines.json`` (keyed by encoder id and prompt)
and ``benchmarks/results/calibration_prior.json``.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import _ntrex
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "toolkit" / "driftscope" / "data" / "baselines.json"
RESULTS = ROOT / "benchmarks" / "results" / "calibration_prior.json"
LANGS = ("en", "ru", "vi")


def main() -> None:
    from driftscope.embed import get_encoder
    from driftscope.quality.calibrate import random_pair_cosines

    enc = get_encoder("e5-small")
    ids = _ntrex.doc_ids()
    lines = {lg: _ntrex.lines(lg)[: len(ids)] for lg in LANGS}
    docs: dict[str, list[int]] = {}
    for k, d in enumerate(ids):
        if all(lines[lg][k].strip() for lg in LANGS):
            docs.setdefault(d, []).append(k)
    vecs = {lg: enc.encode([t.strip() for t in lines[lg]]) for lg in LANGS}
    rows: dict[str, list[tuple[float, float, float]]] = {}
    for a, b in itertools.combinations(LANGS, 2):
        for idx in docs.values():
            if len(idx) < 2:
                continue
            x, y = vecs[a][idx], vecs[b][idx]
            rng = np.random.default_rng(len(rows.get(f"{a}-{b}", [])))
            rand = random_pair_cosines(x, y, rng)
            true = np.einsum("nd,nd->n", x.astype(np.float64), y.astype(np.float64))
            rows.setdefault(f"{a}-{b}", []).append(
                (float(rand.mean()), float(rand.std()), float(np.median(true)))
            )
    pooled = np.array([r for v in rows.values() for r in v])
    prior = {
        "rand_mean": round(float(np.median(pooled[:, 0])), 5),
        "rand_std": round(float(np.median(pooled[:, 1])), 5),
        "ref": round(float(np.median(pooled[:, 2])), 5),
        "n_pairs": int(sum(len(docs[d]) for d in docs) * len(rows)),
        "n_random": 0,
        "document_pairs": len(pooled),
        "source": "NTREX-128 dev, en/ru/vi, benchmarks/calibration_prior.py",
        "revision": enc.revision,
    }
    per_pair = {
        k: {
            "rand_mean": round(float(np.median(np.array(v)[:, 0])), 5),
            "rand_std": round(float(np.median(np.array(v)[:, 1])), 5),
            "ref": round(float(np.median(np.array(v)[:, 2])), 5),
            "document_pairs": len(v),
        }
        for k, v in rows.items()
    }
    key = f"{enc.id}|{enc.prompt}"
    DATA.write_text(json.dumps({key: prior}, indent=1) + "\n", encoding="utf-8")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"key": key, "prior": prior, "per_language_pair": per_pair},
                                  indent=1) + "\n", encoding="utf-8")  # fmt: skip
    print(json.dumps({"prior": prior, "per_language_pair": per_pair}, indent=1))


if __name__ == "__main__":
    main()
