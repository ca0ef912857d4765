"""Calibration of cosines against a random-pair null, and blockwise kNN margins."""

from __future__ import annotations

import numpy as np
import pytest
from driftscope.embed.calibrate import Calibration, calibrate, knn_mean, margin, nearest
from driftscope.errors import ConfigError, InputError


def _unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def _parallel(n: int = 300, d: int = 32, noise: float = 0.35, seed: int = 0):
    """src and tgt where tgt[i] is a noisy copy of src[i] (a 'translation'), like real bitext."""
    rng = np.random.default_rng(seed)
    # a shared offset makes every cosine positive and compressed, as with e5
    base = rng.normal(size=(n, d)) + 2.0
    src = _unit(base + noise * rng.normal(size=(n, d)))
    tgt = _unit(base + noise * rng.normal(size=(n, d)))
    return src, tgt


def test_calibration_separates_null_from_translations() -> None:
    src, tgt = _parallel()
    cal = calibrate(src, tgt, np.random.default_rng(1), n_samples=500)
    diag = np.sum(src.astype(np.float64) * tgt, axis=1)
    assert cal.true_mean > cal.random_mean + 3 * cal.random_std
    assert abs(cal.true_mean - diag.mean()) < 0.02  # mutual NNs are (mostly) the true pairs
    assert abs(cal.transform(cal.random_mean)) < 1e-9
    assert abs(cal.transform(cal.true_mean) - 1.0) < 1e-9
    assert cal.zscore(cal.random_mean + 2 * cal.random_std) == pytest.approx(
        2.0, rel=1e-5, abs=1e-6
    )
    assert 0.4 < cal.pvalue(cal.random_mean) < 0.6 and cal.pvalue(cal.true_mean) < 0.01


def test_calibration_is_deterministic_given_rng() -> None:
    src, tgt = _parallel()
    a = calibrate(src, tgt, np.random.default_rng(5), n_samples=200)
    b = calibrate(src, tgt, np.random.default_rng(5), n_samples=200)
    assert a == b
    assert a != calibrate(src, tgt, np.random.default_rng(6), n_samples=200)


@pytest.mark.parametrize(
    "cal",
    [
        Calibration(0.78, 0.02, 0.9, 0.03, 100, tuple(np.linspace(0.7, 0.86, 101))),
        Calibration(0.5, 0.1, 0.4, 0.1, 100),  # degenerate: "true" below null
        Calibration(0.5, 0.0, 0.5, 0.0, 100),  # degenerate: no spread at all
    ],
)
def test_transform_is_strictly_monotone(cal: Calibration) -> None:
    x = np.linspace(-1, 1, 2001)
    assert np.all(np.diff(cal.transform(x)) > 0)
    assert np.all(np.diff(cal.zscore(x)) > 0)
    if cal.random_quantiles:
        assert np.all(np.diff(cal.pvalue(x)) <= 0)


def test_percentile_decisions_invariant_under_monotone_transforms() -> None:
    src, tgt = _parallel(noise=0.6)
    cal = calibrate(src, tgt, np.random.default_rng(3), n_samples=400)
    sims = np.sum(src.astype(np.float64) * tgt, axis=1)

    def lowest_decile(v: np.ndarray) -> np.ndarray:
        # rank-based: flag the values strictly below the 10th-percentile order statistic
        k = len(v) // 10
        return v < np.sort(v)[k]

    want = lowest_decile(sims)
    assert want.sum() == len(sims) // 10
    for f in (cal.transform, cal.zscore, np.exp, lambda v: np.arctanh(np.clip(v, -0.99, 0.99))):
        assert np.array_equal(lowest_decile(np.asarray(f(sims))), want)


def test_as_dict_round_trip() -> None:
    src, tgt = _parallel(n=50)
    cal = calibrate(src, tgt, np.random.default_rng(0), n_samples=100)
    d = cal.as_dict()
    assert set(d) >= {"random_mean", "random_std", "true_mean", "true_std", "n_samples"}
    back = Calibration.from_dict(d)
    assert back.n_samples == cal.n_samples
    assert back.random_mean == pytest.approx(cal.random_mean, abs=1e-6)


def _brute_knn(q: np.ndarray, b: np.ndarray, k: int) -> np.ndarray:
    sims = q.astype(np.float64) @ b.astype(np.float64).T
    return np.sort(sims, axis=1)[:, ::-1][:, : min(k, len(b))].mean(axis=1)


@pytest.mark.parametrize("block", [None, 1, 7, 1000])
def test_knn_and_margin_blockwise_match_brute_force(block: int | None) -> None:
    rng = np.random.default_rng(11)
    src, tgt = _unit(rng.normal(size=(23, 8))), _unit(rng.normal(size=(17, 8)))
    # float32 dot products against float64 ones: a relative bound alone fails on values near
    # zero (seen: -0.00038 off by 1.0e-5 relative on one BLAS), so an absolute one joins it.
    tol = {"rtol": 1e-5, "atol": 1e-6}
    np.testing.assert_allclose(knn_mean(src, tgt, 4, block=block), _brute_knn(src, tgt, 4), **tol)
    np.testing.assert_allclose(knn_mean(src, tgt, 99, block=block), _brute_knn(src, tgt, 99), **tol)
    full = src.astype(np.float64) @ tgt.astype(np.float64).T
    want = full - (_brute_knn(src, tgt, 4)[:, None] + _brute_knn(tgt, src, 4)[None, :]) / 2
    pairs = np.array([[0, 0], [22, 16], [5, 3], [5, 3]])
    got = margin(src, tgt, 4, pairs=pairs, block=block)
    assert got.dtype == np.float32 and got.shape == (4,)
    np.testing.assert_allclose(got, want[pairs[:, 0], pairs[:, 1]], rtol=1e-5, atol=1e-5)
    # the nearest target is the best one up to float32 rounding (a near-tie may go either way)
    best = full[np.arange(len(src)), nearest(src, tgt, block=block)]
    np.testing.assert_allclose(best, full.max(axis=1), rtol=1e-5, atol=1e-6)


def test_margin_default_pairs_and_sign() -> None:
    src, tgt = _parallel(n=120)
    m = margin(src, tgt)
    assert m.shape == (120,)
    rng = np.random.default_rng(2)
    shuffled = margin(src, tgt, pairs=np.stack([np.arange(120), rng.permutation(120)], axis=1))
    assert np.median(m) > 0 > np.median(shuffled)


def test_errors() -> None:
    src, tgt = _parallel(n=10)
    rng = np.random.default_rng(0)
    with pytest.raises(InputError):
        calibrate(src[:0], tgt, rng)
    with pytest.raises(InputError):
        knn_mean(src, tgt[:, :5])
    with pytest.raises(ConfigError):
        margin(src, tgt[:5])
    with pytest.raises(ConfigError):
        margin(src, tgt, pairs=np.array([[0, 10]]))
    with pytest.raises(ConfigError):
        knn_mean(src, tgt, k=0)
