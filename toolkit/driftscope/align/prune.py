"""Which concatenations are worth embedding: forward-backward pruning. numpy, ``align``.

After the first pass (approximated window vectors) a forward and a backward DP over the same
band give, for every candidate many-to-many bead, the cost of the best complete path that
uses it. Only beads whose best path is within ``delta`` of the optimum can plausibly be chosen
once real embeddings replace the approximations, so only their windows are embedded, each
distinct text once. On clean text most of the document is confident 1-1 and almost nothing
beyond single sentences gets embedded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from driftscope.align import costs as C
from driftscope.align.anchors import reverse_bags
from driftscope.align.dp import Band, BeadType, forward
from driftscope.align.result import Sides
from driftscope.model import Bead


def _reverse_windows(win: np.ndarray) -> np.ndarray:
    """Windows of the reversed sequence: ``rev[k-1, e] = win[k-1, n - e + k]`` for ``e >= k``."""
    k_max, n1 = win.shape[0], win.shape[1]
    n = n1 - 1
    out = np.zeros_like(win)
    for k in range(1, k_max + 1):
        e = np.arange(k, n + 1)
        out[k - 1, e] = win[k - 1, n - e + k]
    return out


def reverse_sides(sides: Sides) -> Sides:
    """The same document pair read backwards (node (i, j) becomes (n - i, m - j))."""
    return replace(
        sides,
        src_win=_reverse_windows(sides.src_win),
        tgt_win=_reverse_windows(sides.tgt_win),
        src_norm=_reverse_windows(sides.src_norm[..., None])[..., 0],
        tgt_norm=_reverse_windows(sides.tgt_norm[..., None])[..., 0],
        src_ok=_reverse_windows(sides.src_ok[..., None])[..., 0],
        tgt_ok=_reverse_windows(sides.tgt_ok[..., None])[..., 0],
        src_len=sides.src_len[-1] - sides.src_len[::-1],
        tgt_len=sides.tgt_len[-1] - sides.tgt_len[::-1],
        anchors=None if sides.anchors is None else reverse_bags(sides.anchors),
    )


def reverse_band(band: Band, n_tgt: int) -> Band:
    return Band(n_tgt - band.hi[::-1], n_tgt - band.lo[::-1])


def windows_to_embed(
    sides: Sides,
    band: Band,
    types: Sequence[BeadType],
    params: C.CostParams,
    skip: float,
    delta: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Window cells of many-to-many beads whose best complete path is within ``delta``.

    Returns:
        (K, n + 1) and (K, m + 1) bool masks over source and target window cells (size-1
        cells are never set: single segments are embedded already).
    """
    n, m = sides.n_src, sides.n_tgt
    costs = C.band_costs(sides, band, types, params)
    fwd, _ = forward(costs, types, band, skip, skip)
    rband = reverse_band(band, m)
    rsides = reverse_sides(sides)
    bwd, _ = forward(C.band_costs(rsides, rband, types, params), types, rband, skip, skip)
    best = fwd[n, m - band.lo[n]]
    width = band.width
    rows = np.arange(n + 1)
    cols = band.lo[:, None] + np.arange(width)[None, :]  # (n+1, W) node columns
    inside = cols <= band.hi[:, None]
    # Backward cost from node (i, j): reversed node (n - i, m - j).
    rrow = (n - rows)[:, None]
    rcol = (m - cols) - rband.lo[n - rows][:, None]
    rok = inside & (rcol >= 0) & (rcol < bwd.shape[1])
    after = np.where(rok, bwd[rrow, np.clip(rcol, 0, bwd.shape[1] - 1)], np.inf)
    need_s = np.zeros(sides.src_win.shape[:2], bool)
    need_t = np.zeros(sides.tgt_win.shape[:2], bool)
    for t, (a, b) in enumerate(types):
        if a == 0 or b == 0 or (a == 1 and b == 1):
            continue
        prow = np.maximum(rows - a, 0)[:, None]
        pcol = cols - b - band.lo[prow]
        pok = inside & (rows[:, None] >= a) & (pcol >= 0) & (cols - b <= band.hi[prow])
        before = np.where(pok, fwd[prow, np.clip(pcol, 0, width - 1)], np.inf)
        total = before + costs[t] + after
        keep = np.isfinite(total) & (total <= best + delta)
        ii, ww = np.nonzero(keep)
        need_s[a - 1, ii] = True
        need_t[b - 1, cols[ii, ww]] = True
    return need_s, need_t


def path_windows(
    beads: Sequence[Bead], have_src: np.ndarray, have_tgt: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Window cells of the many-to-many beads of a path that are not embedded yet.

    Args:
        beads: the path.
        have_src, have_tgt: (K, n + 1) and (K, m + 1) bool, the cells embedded already.
    Returns:
        Masks of the same shapes (size-1 cells never set: segments are embedded already).
    """
    need_s, need_t = np.zeros_like(have_src), np.zeros_like(have_tgt)
    for b in beads:
        a, c = len(b.src), len(b.tgt)
        if a > 1 and c:
            need_s[a - 1, b.src[-1] + 1] = True
        if c > 1 and a:
            need_t[c - 1, b.tgt[-1] + 1] = True
    return need_s & ~have_src, need_t & ~have_tgt
