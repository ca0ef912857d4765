"""Banded DP against the exhaustive reference, bead types, bands and tie-breaks."""

from __future__ import annotations

import numpy as np
import pytest
from driftscope.align.dp import Band, band_dp, band_from_path, bead_types, exhaustive_dp
from driftscope.errors import AlignmentError


def _random_costs(rng: np.random.Generator, n: int, m: int, types):
    """Dense per-type costs (n+1, m+1) and the matching cost function."""
    table = {t: rng.uniform(0.0, 1.0, size=(n + 1, m + 1)).astype(np.float32) for t in types}

    def fn(a, b, i, j):
        return table[(a, b)][i, j]

    return table, fn


def _band_arrays(table, types, band: Band):
    out = []
    w = band.width
    for t in types:
        if 0 in t:
            out.append(np.zeros((0, 0), np.float32))
            continue
        arr = np.full((band.n_src + 1, w), np.inf, np.float32)
        n, m = t
        for i in range(band.n_src + 1):
            for c, j in enumerate(band.cols(i)):
                if i >= n and j >= m:
                    arr[i, c] = table[t][i, j]
        out.append(arr)
    return out


def test_bead_types_order_and_limits() -> None:
    t = bead_types(5)
    assert t[:3] == ((1, 1), (1, 0), (0, 1))
    assert set(t[3:]) == {(1, 2), (2, 1), (2, 2), (1, 3), (3, 1), (1, 4), (4, 1), (2, 3), (3, 2)}
    assert [a + b for a, b in t[3:]] == sorted(a + b for a, b in t[3:])
    assert (4, 1) not in bead_types(5, max_side=3)


@pytest.mark.parametrize("seed", range(12))
def test_full_band_equals_exhaustive(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, m = int(rng.integers(1, 9)), int(rng.integers(1, 9))
    types = bead_types(4)
    table, fn = _random_costs(rng, n, m, types)
    skip = float(rng.uniform(0.3, 1.2))
    band = Band.full(n, m)
    got, cost = band_dp(_band_arrays(table, types, band), types, band, m, skip, skip)
    ref, ref_cost = exhaustive_dp(fn, n, m, types, skip, skip)
    assert cost == pytest.approx(ref_cost, abs=1e-9)
    assert [(b.src, b.tgt) for b in got] == [(b.src, b.tgt) for b in ref]
    # Beads cover every segment exactly once, in order.
    assert [i for b in got for i in b.src] == list(range(n))
    assert [j for b in got for j in b.tgt] == list(range(m))


@pytest.mark.parametrize("seed", range(8))
def test_band_equals_exhaustive_when_it_covers_the_optimum(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    n, m = 30, 34
    types = bead_types(4)
    table, fn = _random_costs(rng, n, m, types)
    # Make a clear diagonal optimum so a narrow band around it contains it.
    for i in range(n + 1):
        j = round(i * m / n)
        table[(1, 1)][i, j] = 0.0
    ref, ref_cost = exhaustive_dp(fn, n, m, types, 0.9, 0.9)
    nodes = np.cumsum([[0, 0]] + [[len(b.src), len(b.tgt)] for b in ref], axis=0)
    band = band_from_path(nodes, n, m, 2)
    assert band.width < m  # really banded
    got, cost = band_dp(_band_arrays(table, types, band), types, band, m, 0.9, 0.9)
    assert cost == pytest.approx(ref_cost, abs=1e-9)
    assert [(b.src, b.tgt) for b in got] == [(b.src, b.tgt) for b in ref]


def test_band_from_path_contains_path_and_is_monotone() -> None:
    nodes = np.array([[0, 0], [1, 2], [3, 3], [3, 4], [5, 5], [6, 8]])
    band = band_from_path(nodes, 6, 8, 1)
    for i, j in nodes:
        assert band.lo[i] <= j <= band.hi[i]
    assert np.all(np.diff(band.lo) >= 0) and np.all(np.diff(band.hi) >= 0)
    assert band.lo[0] == 0 and band.hi[-1] == 8


def test_ties_prefer_one_to_one_and_deletions_first() -> None:
    types = bead_types(4)
    band = Band.full(2, 2)
    zeros = [np.zeros((0, 0), np.float32) if 0 in t else np.full((3, 3), 0.5, np.float32)
             for t in types]  # fmt: skip
    # 1-1 + 1-1 costs 1.0, as does a 2-2 bead at 1.0: 1-1 must win the tie.
    zeros[types.index((2, 2))][2, 2] = 1.0
    beads, cost = band_dp(zeros, types, band, 2, 5.0, 5.0)
    assert [(b.src, b.tgt) for b in beads] == [((0,), (0,)), ((1,), (1,))]
    assert cost == pytest.approx(1.0)
    # Expensive pairs: all skips; deletions come before insertions.
    costly = [a if a.size == 0 else a + 10 for a in zeros]
    beads, _ = band_dp(costly, types, band, 2, 0.1, 0.1)
    assert [(b.src, b.tgt) for b in beads] == [((0,), ()), ((1,), ()), ((), (0,)), ((), (1,))]


def test_unreachable_end_raises() -> None:
    types = bead_types(2)
    band = Band(np.array([0, 0, 0]), np.array([0, 0, 0]))  # never reaches column 2
    with pytest.raises(AlignmentError):
        costs = [np.zeros((3, 1), np.float32), np.zeros((0, 0)), np.zeros((0, 0))]
        band_dp(costs, types, band, 2, 1.0, 1.0)
