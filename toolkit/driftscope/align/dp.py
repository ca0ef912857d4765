"""Banded monotonic alignment DP and its exhaustive reference. Imports numpy, ``model``, ``errors``.

Coordinates: a DP *node* ``(i, j)`` (``0 <= i <= n_src``, ``0 <= j <= n_tgt``) means "the first
``i`` source and first ``j`` target segments are aligned". A bead of type ``(n, m)`` ending at
node ``(i, j)`` covers source segments ``i-n .. i-1`` and target segments ``j-m .. j-1``
(half-open ranges), so its predecessor is node ``(i-n, j-m)``.

The band: row ``i`` holds the nodes ``j`` in ``lo[i] .. hi[i]`` (inclusive), stored densely at
column ``j - lo[i]`` of a ``(n_src + 1, width)`` array. Every predecessor of a node lies in an
earlier row except for the ``(0, 1)`` insertion, which lies in the same row; that chain is
solved for a whole row at once with a running minimum, so the only Python loop is over rows and
numpy works across band cells. Scores are float32, accumulation float64.

Tie-break (documented, deterministic): every node stores the exact minimum over its
predecessors, but the back pointer goes to the most preferred bead type (``_tie_rank``)
whose candidate is within :data:`TIE_TOL` of that minimum: a skip (0-1, then 1-0), then 1-1,
then the n-m types in :func:`bead_types` order (fewer segments first). Read from the end of
the path, that puts the skips of equal alternatives as *late* as possible, so when a segment
is duplicated (the same caption or headline twice) its *first* copy is matched and the later
copy becomes the 1-0 or 0-1 bead, as human annotators mark it. ``TIE_TOL`` absorbs float32
noise between identical texts at different positions; real alternatives differ by far more
(a typical translation pair and a random pair are 1 apart on the calibrated scale). Runs of
adjacent deletions and insertions, whose order does not change the cost, are emitted
deletions first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from driftscope.errors import AlignmentError
from driftscope.model import Bead

BeadType = tuple[int, int]

TIE_TOL = 1e-5
"""Candidates within this of a node's minimum cost count as tied (calibrated cost units)."""


def _tie_rank(types: Sequence[BeadType], t: int) -> tuple[int, int]:
    """Tie preference of ``types[t]`` as the last bead into a node (lower wins): 0-1, 1-0,
    1-1, then the n-m types in :func:`bead_types` order."""
    n, m = types[t]
    return ({(0, 1): 0, (1, 0): 1, (1, 1): 2}.get((n, m), 3), t)


def bead_types(max_bead: int, max_side: int | None = None) -> tuple[BeadType, ...]:
    """All bead types with ``n + m <= max_bead`` and each side ``<= max_side``.

    1-1 comes first, then 1-0 and 0-1, then the n-m types by growing ``n + m``, which is also
    their tie order (see the module docstring for the full tie-break; among equal sizes: more
    balanced first, then source-heavier first). Empty sides only appear as 1-0 and 0-1.
    """
    side = max_bead - 1 if max_side is None else max_side
    many = [
        (n, m)
        for n in range(1, side + 1)
        for m in range(1, side + 1)
        if n + m <= max_bead and (n, m) != (1, 1)
    ]
    many.sort(key=lambda t: (t[0] + t[1], abs(t[0] - t[1]), -t[0]))
    return ((1, 1), (1, 0), (0, 1), *many)


@dataclass(frozen=True, slots=True)
class Band:
    """Per-row inclusive node ranges ``lo[i] .. hi[i]``; (n_src + 1,) int64 each."""

    lo: np.ndarray
    hi: np.ndarray

    @property
    def width(self) -> int:
        return int((self.hi - self.lo).max()) + 1

    @property
    def n_src(self) -> int:
        return len(self.lo) - 1

    @staticmethod
    def full(n_src: int, n_tgt: int) -> Band:
        return Band(np.zeros(n_src + 1, np.int64), np.full(n_src + 1, n_tgt, np.int64))

    def cols(self, i: int) -> np.ndarray:
        """Node columns of row ``i``: (hi[i] - lo[i] + 1,) int64."""
        return np.arange(self.lo[i], self.hi[i] + 1, dtype=np.int64)


def band_from_path(nodes: np.ndarray, n_src: int, n_tgt: int, width_over2: int) -> Band:
    """A band of ``+-width_over2`` columns around a monotone node path.

    Args:
        nodes: (p, 2) int64 path nodes (i, j), monotone, starting (0, 0) and ending
            (n_src, n_tgt); consecutive nodes may skip rows or columns.
        width_over2: half-width in segments (>= 1).
    Returns:
        A :class:`Band` whose consecutive rows overlap, so every node is reachable.
    """
    lo = np.full(n_src + 1, n_tgt, np.int64)
    hi = np.zeros(n_src + 1, np.int64)
    # Rows between consecutive path nodes get the bounding box of the step.
    i0s, j0s, i1s, j1s = nodes[:-1, 0], nodes[:-1, 1], nodes[1:, 0], nodes[1:, 1]
    for i0, j0, i1, j1 in zip(i0s.tolist(), j0s.tolist(), i1s.tolist(), j1s.tolist(), strict=True):
        lo[i0 : i1 + 1] = np.minimum(lo[i0 : i1 + 1], j0)
        hi[i0 : i1 + 1] = np.maximum(hi[i0 : i1 + 1], j1)
    lo[0] = 0
    hi[-1] = n_tgt
    # lo and hi are non-decreasing along a monotone path, so the min (max) over the rows
    # i-w .. i+w is the value at row i-w (i+w).
    w = width_over2
    idx = np.arange(n_src + 1)
    lo_w = lo[np.clip(idx - w, 0, n_src)] - w
    hi_w = hi[np.clip(idx + w, 0, n_src)] + w
    lo_w = np.clip(lo_w, 0, n_tgt)
    hi_w = np.clip(hi_w, 0, n_tgt)
    return Band(lo_w, hi_w)


def forward(
    costs: Sequence[np.ndarray],
    types: Sequence[BeadType],
    band: Band,
    skip_src: float,
    skip_tgt: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Forward pass of :func:`band_dp`: cheapest cost from (0, 0) to every band node.

    Returns:
        ``(acc, back)``: (n_src + 1, band.width) float64 costs (inf where unreachable or
        outside the band) and int8 index into ``types`` of the last bead (-1: none).
    """
    n_src = band.n_src
    width = band.width
    lo, hi = band.lo, band.hi
    # ``acc`` is padded with inf columns (``left`` before column 0, ``width`` after), so the
    # predecessors of a whole row are one contiguous slice of an earlier row, out-of-band
    # cells included: no index arrays, no clipping.
    left = max(m for _, m in types) + 1
    acc = np.full((n_src + 1, left + 2 * width), np.inf, np.float64)
    back = np.full((n_src + 1, width), -1, np.int8)
    t01 = list(types).index((0, 1))
    offsets = np.arange(width, dtype=np.float64) * skip_tgt
    # Predecessors from earlier rows, most preferred on ties first (0-1 is the in-row chain).
    many = sorted(
        ((t, n, m) for t, (n, m) in enumerate(types) if n > 0), key=lambda x: _tie_rank(types, x[0])
    )
    for i in range(n_src + 1):
        w = int(hi[i] - lo[i] + 1)
        best = np.full(w, np.inf, np.float64)
        if i == 0 and lo[0] == 0:
            best[0] = 0.0
        cands: list[tuple[int, np.ndarray]] = []
        for t, n, m in many:
            r = i - n
            if r < 0:
                continue
            start = left + int(lo[i] - lo[r]) - m
            if start >= left + width:
                continue
            prev = acc[r, start : start + w]
            cand = prev + (skip_src if m == 0 else costs[t][i, :w])
            np.minimum(best, cand, out=best)
            cands.append((t, cand))
        # In-row insertion chain: D[w] = min(best[w], D[w-1] + skip_tgt), as a running min.
        shifted = best - offsets[:w]
        run = np.minimum.accumulate(shifted)
        final = run + offsets[:w]
        acc[i, left : left + w] = final
        # Back pointers: the most preferred candidate within TIE_TOL of the minimum.
        limit = final + TIE_TOL
        arg = np.full(w, -1, np.int8)
        for t, cand in reversed(cands):
            arg[cand <= limit] = t
        chain = np.zeros(w, bool)
        chain[1:] = run[:-1] + offsets[1:w] <= limit[1:]
        arg[chain] = t01
        arg[~np.isfinite(final)] = -1
        back[i, :w] = arg
    acc = acc[:, left : left + width]
    return acc, back


def band_dp(
    costs: Sequence[np.ndarray],
    types: Sequence[BeadType],
    band: Band,
    n_tgt: int,
    skip_src: float,
    skip_tgt: float,
) -> tuple[list[Bead], float]:
    """Cheapest monotone bead path from node (0, 0) to (n_src, n_tgt) inside ``band``.

    Args:
        costs: one array per entry of ``types``; for (n, m) with n, m >= 1 a
            (n_src + 1, band.width) float32 array whose ``[i, j - lo[i]]`` is the cost of the
            bead ending at node (i, j) (inf where invalid); ignored for 1-0 and 0-1.
        types: bead types, as :func:`bead_types` gives them (ties: see the module docstring).
        band: node band; must contain (0, 0) and (n_src, n_tgt).
        skip_src: cost of a 1-0 bead (a source segment with no target).
        skip_tgt: cost of a 0-1 bead.
    Returns:
        (beads in order, total cost as float).
    Raises:
        AlignmentError: if the end node cannot be reached inside the band.
    """
    acc, back = forward(costs, types, band, skip_src, skip_tgt)
    n_src, width, lo = band.n_src, band.width, band.lo
    end = n_tgt - lo[n_src]
    if not (0 <= end < width) or not np.isfinite(acc[n_src, end]):
        raise AlignmentError(
            f"no alignment path inside the band ({n_src} x {n_tgt} segments, width {width})"
        )
    total = float(acc[n_src, end])
    pairs: list[tuple[BeadType, float]] = []
    i, j = n_src, n_tgt
    while i > 0 or j > 0:
        t = int(back[i, j - lo[i]])
        if t < 0:
            raise AlignmentError(f"broken traceback at node ({i}, {j})")
        n, m = types[t]
        pi, pj = i - n, j - m
        pairs.append(((n, m), float(acc[i, j - lo[i]] - acc[pi, pj - lo[pi]])))
        i, j = pi, pj
    pairs.reverse()
    return _to_beads(pairs), total


def _to_beads(steps: list[tuple[BeadType, float]]) -> list[Bead]:
    """Turn (type, cost) steps into beads; adjacent skip runs become deletions first."""
    beads: list[Bead] = []
    i = j = 0
    k = 0
    while k < len(steps):
        (n, m), c = steps[k]
        if n + m == 1:
            # Gather the whole run of skips and emit deletions before insertions.
            run = []
            while k < len(steps) and sum(steps[k][0]) == 1 and 0 in steps[k][0]:
                run.append(steps[k])
                k += 1
            for (n2, _m2), c2 in run:
                if n2 == 1:
                    beads.append(Bead((i,), (), c2))
                    i += 1
            for (n2, _m2), c2 in run:
                if n2 == 0:
                    beads.append(Bead((), (j,), c2))
                    j += 1
            continue
        beads.append(Bead(tuple(range(i, i + n)), tuple(range(j, j + m)), c))
        i += n
        j += m
        k += 1
    return beads


def exhaustive_dp(
    cost_fn: object,
    n_src: int,
    n_tgt: int,
    types: Sequence[BeadType],
    skip_src: float,
    skip_tgt: float,
) -> tuple[list[Bead], float]:
    """Reference DP over every node with plain Python loops (tests only; O(n_src * n_tgt)).

    ``cost_fn(n, m, i, j)`` gives the cost of the bead of type (n, m) ending at node (i, j).
    Same tie-break as :func:`band_dp` (see the module docstring).
    """
    inf = float("inf")
    acc = [[inf] * (n_tgt + 1) for _ in range(n_src + 1)]
    back = [[-1] * (n_tgt + 1) for _ in range(n_src + 1)]
    acc[0][0] = 0.0
    t01 = list(types).index((0, 1))
    for i in range(n_src + 1):
        for j in range(n_tgt + 1):
            if i == 0 and j == 0:
                continue
            cands: list[tuple[float, int]] = []
            for t, (n, m) in enumerate(types):
                if n == 0 or i < n or j < m:
                    continue
                c = skip_src if m == 0 else float(cost_fn(n, m, i, j))  # type: ignore[operator]
                cands.append((acc[i - n][j - m] + c, t))
            if j >= 1:
                cands.append((acc[i][j - 1] + skip_tgt, t01))
            best = min((c for c, _ in cands), default=inf)
            tied = [t for c, t in cands if c <= best + TIE_TOL and best < inf]
            acc[i][j] = best
            back[i][j] = min(tied, key=lambda t: _tie_rank(types, t)) if tied else -1
    steps: list[tuple[BeadType, float]] = []
    i, j = n_src, n_tgt
    while i > 0 or j > 0:
        n, m = types[back[i][j]]
        steps.append(((n, m), acc[i][j] - acc[i - n][j - m]))
        i, j = i - n, j - m
    steps.reverse()
    return _to_beads(steps), acc[n_src][n_tgt]
