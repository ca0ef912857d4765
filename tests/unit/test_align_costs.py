"""Cost pieces: neighbour margin, length baseline in the calibration, cost scale."""

from __future__ import annotations

import numpy as np
import pytest
from driftscope.align import AlignConfig, align_vectors
from driftscope.align import costs as C
from driftscope.align.costs import normalize_rows


def test_margin_keeps_pairs_with_random_level_neighbours() -> None:
    norm = np.array([0.2])  # random-pair cosine level 1 - 0.2 = 0.8
    cos = np.array([0.93])
    assert C.margin_cos(cos, np.array([0.8]), norm, norm, 1.0) == pytest.approx(
        0.93, rel=1e-6, abs=1e-9
    )
    # Neighbours that match as well as the pair itself (a duplicate next to it): the pair
    # falls to the random level.
    assert C.margin_cos(cos, np.array([0.93]), norm, norm, 1.0) == pytest.approx(
        0.8, rel=1e-6, abs=1e-9
    )
    assert C.margin_cos(cos, np.array([0.93]), norm, norm, 0.0) == pytest.approx(
        0.93, rel=1e-6, abs=1e-9
    )


def test_neighbours_fall_back_to_the_random_level() -> None:
    nan = np.array([np.nan])
    nb = C._neighbours(nan, nan, np.array([0.9]), nan, np.array([0.25]), np.array([0.1]))
    assert nb == pytest.approx((0.75 + 0.9) / 2)


def _pairs(seed: int, n: int = 60, d: int = 32):
    rng = np.random.default_rng(seed)
    src = normalize_rows(rng.standard_normal((n, d)))
    tgt = normalize_rows(src + 0.3 * rng.standard_normal((n, d)) / np.sqrt(d))
    return rng, src, tgt


def test_calibration_length_baseline_is_the_typical_mismatch() -> None:
    rng, src, tgt = _pairs(0)
    ws = rng.uniform(20, 120, len(src))
    # Target lengths: twice the source (the document ratio) times a +-10 % wobble.
    wobble = np.exp(rng.choice([-0.1, 0.1], len(src)))
    wt = 2 * ws * wobble
    norms_s = C.hub_norms(src[None], tgt, rng, 32)[0]
    norms_t = C.hub_norms(tgt[None], src, rng, 32)[0]
    cal = C.calibrate(src, tgt, norms_s, norms_t, rng, 64, weights=(ws, wt))
    assert 0.05 < cal.dev_true < 0.15
    assert C.calibrate(src, tgt, norms_s, norms_t, rng, 64).dev_true == 0.0


@pytest.mark.parametrize("margin", [0.0, 0.5])
def test_planted_alignment_with_and_without_margin(margin: float) -> None:
    _, src, tgt = _pairs(1)
    src = np.vstack([src[:30], src[31:]])  # source 30 dropped: target 30 is an insertion
    res = align_vectors(src, tgt, AlignConfig(margin=margin), np.random.default_rng(0))
    pairs = res.pairs()
    assert ((), (30,)) in pairs
    assert sum(len(s) == len(t) == 1 for s, t in pairs) == len(src)
    assert np.nanmin(res.similarity) > 0.3


def test_reliability_counts_the_terser_side_in_the_other_units() -> None:
    from driftscope.align.lengths import reliability as _reliability

    ls, lt = np.array([10.0, 30.0]), np.array([[20.0], [90.0]])
    same = _reliability(ls, lt, 0.0, 75.0)
    np.testing.assert_allclose(same[:, 0], [15.0 / 75.0, 60.0 / 75.0], rtol=1e-6)
    # a source three times terser (Chinese against English): 30 characters count as 90
    dense = _reliability(ls, lt, float(np.log(3.0)), 75.0)
    np.testing.assert_allclose(dense[:, 0], [25.0 / 75.0, 1.0], rtol=1e-6)


def test_shrink_short_keeps_the_typical_and_the_random_level() -> None:
    from driftscope.align.lengths import shrink_short

    u = np.array([-0.5, 0.0, 0.2, 0.5, 0.9, 1.0, 1.3], np.float32)
    r = np.full_like(u, 0.25)
    out = shrink_short(u, r)
    np.testing.assert_allclose(out[[1, 5, 6]], [0.0, 1.0, 1.3], atol=1e-6)  # fixed points
    np.testing.assert_allclose(out[0], -0.125, atol=1e-6)  # better than typical: scaled
    assert out[2] == pytest.approx(0.05, abs=1e-4)  # near the typical pair: about u * r
    assert np.all(np.diff(out) > 0)  # order of costs kept
    np.testing.assert_allclose(shrink_short(u, np.ones_like(u)), u, atol=1e-6)  # long: as is
