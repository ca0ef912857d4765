from __future__ import annotations

import numpy as np
import pytest
from driftscope.errors import ConfigError
from driftscope.quality.combine import FEATURES, load_combiner, pair_features


def unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=-1, keepdims=True)).astype(np.float32)


def test_shipped_combiners_load_and_are_consistent() -> None:
    for name, variant in (("qe", ""), ("qe", "e5"), ("hallucination", ""), ("omission", "e5")):
        c = load_combiner(name, variant)
        assert set(c.features) <= set(FEATURES)
        assert len(c.coef) == len(c.mean) == len(c.scale) == len(c.features)
        assert "train" in c.note or "CV" in c.note
    assert "use_z" not in load_combiner("qe", "e5").features
    with pytest.raises(ConfigError):
        load_combiner("nope")


def test_qe_ranks_true_pairs_above_shuffled_pairs() -> None:
    rng = np.random.default_rng(0)
    n, d = 40, 48
    s = unit(rng.normal(size=(n, d)))
    t = unit(s + 0.2 * rng.normal(size=(n, d)))
    toks_s = [unit(s[i] + 0.3 * rng.normal(size=(6, d))) for i in range(n)]
    toks_t = [unit(toks_s[i] + 0.1 * rng.normal(size=(6, d))) for i in range(n)]
    src = [f"source sentence {i} with some words" for i in range(n)]
    tgt = [f"target sentence {i} with some words" for i in range(n)]
    X = pair_features(src, tgt, s, t, np.random.default_rng(1), toks_s, toks_t)
    assert X.shape == (n, len(FEATURES)) and np.isfinite(X).all()
    perm = np.roll(np.arange(n), 3)
    Xr = pair_features(src, [tgt[i] for i in perm], s, t[perm], np.random.default_rng(1),
                       toks_s, [toks_t[i] for i in perm])
    qe = load_combiner("qe", "e5")
    good, bad = qe.calibrated(X), qe.calibrated(Xr)
    assert np.median(good) > np.median(bad) + 0.5
    with pytest.raises(ConfigError):
        pair_features(src, tgt[:-1], s, t, np.random.default_rng(0))
