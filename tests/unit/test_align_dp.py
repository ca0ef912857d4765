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
    assert cost == pytest.approx(ref_cost, rel=1e-5, abs=1e-6)  # sums of float32 costs
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
    assert cost == pytest.approx(ref_cost, rel=1e-5, abs=1e-6)  # sums of float32 costs
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
    assert cost == pytest.approx(1.0, rel=1e-5, abs=1e-6)
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


def _pair_table(n: int, m: int, good: dict[tuple[int, int], float], types):
    """Dense costs: 1-1 beads in ``good`` (source, target segment) at their cost, every
    other bead 1.0 (a random pair on the calibrated scale)."""
    table = {t: np.full((n + 1, m + 1), 1.0 if t == (1, 1) else 3.0, np.float32) for t in types}
    for (s, t), c in good.items():
        table[(1, 1)][s + 1, t + 1] = c
    return table


@pytest.mark.parametrize("noise", [0.0, 3e-7, -3e-7])
@pytest.mark.parametrize("side", ["src", "tgt"])
def test_duplicate_segment_matches_first_copy(side: str, noise: float) -> None:
    """A segment present twice (same caption, same headline): of the two equal (or, within
    float32 noise, nearly equal) alignments, the FIRST copy is matched and the later copy is
    the unmatched 1-0 / 0-1 bead, as the corpus gold marks it."""
    types = bead_types(4)
    if side == "src":  # source A B B C, target a b c: B at 1 and 2
        n, m = 4, 3
        good = {(0, 0): 0.1, (1, 1): 0.2, (2, 1): 0.2 + noise, (3, 2): 0.1}
        want = [((0,), (0,)), ((1,), (1,)), ((2,), ()), ((3,), (2,))]
    else:  # source A B C, target a b b c
        n, m = 3, 4
        good = {(0, 0): 0.1, (1, 1): 0.2, (1, 2): 0.2 + noise, (2, 3): 0.1}
        want = [((0,), (0,)), ((1,), (1,)), ((), (2,)), ((2,), (3,))]
    table = _pair_table(n, m, good, types)
    band = Band.full(n, m)
    got, _ = band_dp(_band_arrays(table, types, band), types, band, m, 0.4, 0.4)
    ref, _ = exhaustive_dp(lambda a, b, i, j: table[(a, b)][i, j], n, m, types, 0.4, 0.4)
    assert [(b.src, b.tgt) for b in got] == want
    assert [(b.src, b.tgt) for b in ref] == want


def test_a_clearly_cheaper_later_copy_still_wins() -> None:
    """The tie-break only decides ties: a later copy that is really better is matched."""
    types = bead_types(4)
    table = _pair_table(4, 3, {(0, 0): 0.1, (1, 1): 0.3, (2, 1): 0.2, (3, 2): 0.1}, types)
    band = Band.full(4, 3)
    got, _ = band_dp(_band_arrays(table, types, band), types, band, 3, 0.4, 0.4)
    assert [(b.src, b.tgt) for b in got][1:3] == [((1,), ()), ((2,), (1,))]


def test_unrelated_pair_costs_more_than_two_skips() -> None:
    """Calibrated scale: a random pair (cost 1) left unmatched on both sides beats pairing."""
    types = bead_types(4)
    table = _pair_table(3, 3, {(0, 0): 0.1, (2, 2): 0.1}, types)
    band = Band.full(3, 3)
    got, _ = band_dp(_band_arrays(table, types, band), types, band, 3, 0.45, 0.45)
    assert [(b.src, b.tgt) for b in got] == [((0,), (0,)), ((1,), ()), ((), (1,)), ((2,), (2,))]
