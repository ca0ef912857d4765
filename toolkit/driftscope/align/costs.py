"""Bead costs: window vectors, hubness norms, calibration, banded cost arrays. numpy only.

Cosines of one encoder are not comparable with another's (e5 puts true pairs at 0.88-0.93 and
random pairs at 0.78), so no threshold here is an absolute cosine:

* Vecalign's normalised cost ``c = 2 (1 - cos(x, y)) / (norm_x + norm_y)`` where ``norm_x`` is
  ``1 - mean cos(x, random segments of the other side)``; a random pair costs about 1.
* :class:`Calibration` then measures, on each document pair, the median cost of random pairs
  (``c_rand``) and of best matches (``c_true``) and maps costs to ``u = (c - c_true) /
  (c_rand - c_true)``: 0 is a typical translation, 1 is a random pair, whatever the model.
  Skip and merge penalties are expressed on that scale, and so is the length term (its
  typical value on best matches is subtracted): a 1-1 bead competes with two skips on one
  scale (before, every bead earned a bonus of 1, so even a random pair beat two skips).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from driftscope.align.anchors import AnchorBags, anchor_cost, slice_bags
from driftscope.align.dp import Band, BeadType
from driftscope.align.lengths import reliability, shrink_short

_CHUNK = 512


def normalize_rows(x: np.ndarray) -> np.ndarray:
    """Unit-norm rows, float32 (zero rows stay zero)."""
    n = np.linalg.norm(x, axis=-1, keepdims=True)
    return (x / np.where(n > 0, n, 1.0)).astype(np.float32)


def approx_windows(vecs: np.ndarray, weights: np.ndarray, max_size: int) -> np.ndarray:
    """Window vectors from segment vectors, without encoding any concatenation.

    The window of size ``k`` ending before segment ``e`` is the normalised weighted sum of the
    vectors of segments ``e-k .. e-1`` (weights: e.g. character lengths, since mean-pooled
    encoders average over tokens).

    Args:
        vecs: (n, d) float32 unit-norm segment vectors.
        weights: (n,) non-negative float weights.
        max_size: largest window size K.
    Returns:
        (K, n + 1, d) float32; ``[k-1, e]`` is the window of size k ending at node e; rows
        with ``e < k`` are zero (invalid).
    """
    n, d = vecs.shape
    out = np.zeros((max_size, n + 1, d), np.float32)
    csum = np.zeros((n + 1, d), np.float64)
    np.cumsum(vecs.astype(np.float64) * weights[:, None], axis=0, out=csum[1:])
    for k in range(1, max_size + 1):
        if k <= n:
            out[k - 1, k:] = normalize_rows(csum[k:] - csum[:-k])
    return out


def hub_norms(
    windows: np.ndarray, other: np.ndarray, rng: np.random.Generator, n_samples: int
) -> np.ndarray:
    """``1 - mean cosine`` of each window to a random sample of the other side's segments.

    Args:
        windows: (K, n + 1, d) float32 window vectors.
        other: (m, d) float32 unit-norm segment vectors of the other side.
    Returns:
        (K, n + 1) float32, clipped to at least 1e-3.
    """
    take = rng.choice(len(other), size=min(n_samples, len(other)), replace=False)
    sample = other[np.sort(take)].astype(np.float32)
    mean = (windows @ sample.T).mean(axis=-1, dtype=np.float64)
    return np.maximum(1.0 - mean, 1e-3).astype(np.float32)


def pair_cost(cos: np.ndarray, norm_x: np.ndarray, norm_y: np.ndarray) -> np.ndarray:
    """Vecalign's normalised cost ``2 (1 - cos) / (norm_x + norm_y)`` (broadcasting)."""
    return 2.0 * (1.0 - cos) / (norm_x + norm_y)


def _neighbours(
    t_left: np.ndarray, t_right: np.ndarray, s_left: np.ndarray, s_right: np.ndarray,
    src_norm: np.ndarray, tgt_norm: np.ndarray,
) -> np.ndarray:  # fmt: skip
    """Mean cosine of a bead to its adjacent segments (NaN: no such neighbour).

    ``t_left``/``t_right``: cosine of the source span to the target segment just before /
    after the target span; ``s_left``/``s_right`` the same the other way round. A side with no
    neighbour falls back to its random-pair level ``1 - norm``; the result is the mean of the
    two sides' means (Bertalign's ``calculate_neighbor_similarity``).
    """

    def mean(a: np.ndarray, b: np.ndarray, fallback: np.ndarray) -> np.ndarray:
        a, b = np.broadcast_arrays(a, b)
        count = (~np.isnan(a)).astype(np.float64) + ~np.isnan(b)
        total = np.nan_to_num(a) + np.nan_to_num(b)
        return np.where(count > 0, total / np.maximum(count, 1.0), 1.0 - fallback)

    return (mean(t_left, t_right, src_norm) + mean(s_left, s_right, tgt_norm)) / 2.0


def margin_cos(
    cos: np.ndarray, nb: np.ndarray, norm_x: np.ndarray, norm_y: np.ndarray, weight: float
) -> np.ndarray:
    """Cosine minus ``weight`` times how far the neighbours' cosine ``nb`` rises above the
    random-pair level ``1 - (norm_x + norm_y) / 2`` (Bertalign's margin, recentred).

    A pair whose adjacent segments match it as well as it matches itself (a duplicated
    headline, a sentence that belongs to a larger bead) drops toward a random pair; a pair
    that stands out from its neighbours keeps its cosine.
    """
    base = 1.0 - (norm_x + norm_y) / 2.0
    return cos - weight * (nb - base)


@dataclass(frozen=True, slots=True)
class Calibration:
    """Median cost of random pairs and of best matches on one document pair."""

    c_rand: float
    c_true: float
    dev_true: float = 0.0  # median length deviation (see band_costs) of the best matches

    def scale(self, cost: np.ndarray) -> np.ndarray:
        """Map costs to ``u``: 0 for a typical translation, 1 for a random pair."""
        return (cost - self.c_true) / max(self.c_rand - self.c_true, 1e-6)


def calibrate(
    src: np.ndarray,
    tgt: np.ndarray,
    src_norm: np.ndarray,
    tgt_norm: np.ndarray,
    rng: np.random.Generator,
    n_samples: int,
    margin: float = 0.0,
    weights: tuple[np.ndarray, np.ndarray] | None = None,
) -> Calibration:
    """Measure ``c_rand`` (random pairs) and ``c_true`` (each sampled source's best target).

    Random pairs are drawn with replacement; when the document pair has no more pairs than
    ``n_samples``, every pair is taken once instead. Either way, a pair that is its source's
    best match does not count as random: in a short document the true pairs are a large share
    of all pairs (half of a 2 x 2 one), and with them in the "random" median a true pair cost
    about as much as a random one, so two skips beat it (11-12 % of the true pairs of 2-line
    NTREX documents were split into 1-0 and 0-1; none are now).

    Args:
        src, tgt: (n, d), (m, d) float32 unit-norm segment vectors.
        src_norm, tgt_norm: (n,), (m,) hubness norms of those vectors.
        margin: weight of the local neighbour margin (:func:`margin_cos`), as in the costs.
        weights: (n,), (m,) segment lengths; when given, ``dev_true`` is the median length
            deviation of the best matches, so a typical pair's length term is 0 too.
    """
    n, m = len(src), len(tgt)
    if n * m <= n_samples:
        a, b = np.divmod(np.arange(n * m), m)
    else:
        a = rng.integers(0, n, size=n_samples)
        b = rng.integers(0, m, size=n_samples)
    k = len(a)

    def dot(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return np.einsum("kd,kd->k", x, y, dtype=np.float64)

    cos = dot(src[a], tgt[b])
    if margin > 0:
        nan = np.full(k, np.nan)
        nb = _neighbours(
            np.where(b >= 1, dot(src[a], tgt[np.maximum(b - 1, 0)]), nan),
            np.where(b + 1 < m, dot(src[a], tgt[np.minimum(b + 1, m - 1)]), nan),
            np.where(a >= 1, dot(tgt[b], src[np.maximum(a - 1, 0)]), nan),
            np.where(a + 1 < n, dot(tgt[b], src[np.minimum(a + 1, n - 1)]), nan),
            src_norm[a], tgt_norm[b],
        )  # fmt: skip
        cos = margin_cos(cos, nb, src_norm[a], tgt_norm[b], margin)
    rand_cost = pair_cost(cos, src_norm[a], tgt_norm[b])
    rows = np.sort(rng.choice(n, size=min(n_samples, n), replace=False))
    best = np.empty(len(rows), np.float64)
    arg = np.empty(len(rows), np.int64)
    for s in range(0, len(rows), _CHUNK):
        r = rows[s : s + _CHUNK]
        full = src[r] @ tgt.T  # (b, m)
        if margin > 0:
            inf_col = np.full((len(r), 1), np.nan)
            up = src[np.maximum(r - 1, 0)] @ tgt.T
            down = src[np.minimum(r + 1, n - 1)] @ tgt.T
            nb = _neighbours(
                np.hstack([inf_col, full[:, :-1]]),
                np.hstack([full[:, 1:], inf_col]),
                np.where((r >= 1)[:, None], up, np.nan),
                np.where((r + 1 < n)[:, None], down, np.nan),
                src_norm[r, None], tgt_norm[None, :],
            )  # fmt: skip
            full = margin_cos(full, nb, src_norm[r, None], tgt_norm[None, :], margin)
        c = pair_cost(full, src_norm[r, None], tgt_norm[None, :])
        best[s : s + _CHUNK] = c.min(axis=1)
        arg[s : s + _CHUNK] = c.argmin(axis=1)
    best_of = np.full(n, -1, np.int64)
    best_of[rows] = arg
    random = best_of[a] != b  # (a source outside ``rows``, n > n_samples, always counts)
    c_rand = float(np.median(rand_cost[random] if random.any() else rand_cost))
    c_true = float(np.median(best))
    if not c_true < c_rand:  # degenerate input (e.g. identical vectors): keep a usable scale
        c_true = c_rand - 1e-3
    dev_true = 0.0
    if weights is not None:
        ws, wt = (np.asarray(w, np.float64) for w in weights)
        log_ratio = np.log((wt.sum() + 1.0) / (ws.sum() + 1.0))
        dev_true = float(np.median(np.abs(np.log((wt[arg] + 1.0) / (ws[rows] + 1.0)) - log_ratio)))
    return Calibration(c_rand, c_true, dev_true)


@dataclass(frozen=True, slots=True)
class CostParams:
    """How a calibrated pair cost becomes a bead cost (all on the ``u`` scale)."""

    merge_penalty: float  # added per segment beyond 1-1
    length_weight: float  # weight of the |log length ratio| deviation
    margin: float = 0.0  # weight of the local neighbour margin (see margin_cos)
    anchor_weight: float = 0.0  # weight of 1 - anchor cosine (see align.anchors)
    short_len: float = 0.0  # beads shorter than this (characters) have u scaled down


@dataclass(frozen=True, slots=True)
class Sides:
    """Window vectors, hubness norms, calibration and cumulative lengths of a document pair.

    ``src_win`` (K, n + 1, d) float32 (``[k-1, e]`` = window of size k ending at node e),
    ``src_norm`` (K, n + 1) float32, ``src_len`` (n + 1,) float64 cumulative weights; the same
    for the target side.
    """

    src_win: np.ndarray
    tgt_win: np.ndarray
    src_norm: np.ndarray
    tgt_norm: np.ndarray
    calib: Calibration
    src_len: np.ndarray
    tgt_len: np.ndarray
    src_ok: np.ndarray  # (K, n + 1) bool: window cells that may be used
    tgt_ok: np.ndarray
    anchors: AnchorBags | None = None  # lexical anchors (needs the texts; see align.anchors)

    @property
    def n_src(self) -> int:
        return self.src_win.shape[1] - 1

    @property
    def n_tgt(self) -> int:
        return self.tgt_win.shape[1] - 1

    def slice(self, a0: int, a1: int, b0: int, b1: int) -> Sides:
        """The sub-problem of source nodes a0..a1 and target nodes b0..b1 (local indices).

        A window of size k ending at local node e is valid only if ``e >= k``, so no window
        of the slice reaches outside it.
        """
        return replace(
            self,
            src_win=self.src_win[:, a0 : a1 + 1],
            tgt_win=self.tgt_win[:, b0 : b1 + 1],
            src_norm=self.src_norm[:, a0 : a1 + 1],
            tgt_norm=self.tgt_norm[:, b0 : b1 + 1],
            src_len=self.src_len[a0 : a1 + 1],
            tgt_len=self.tgt_len[b0 : b1 + 1],
            src_ok=self.src_ok[:, a0 : a1 + 1],
            tgt_ok=self.tgt_ok[:, b0 : b1 + 1],
            anchors=None if self.anchors is None else slice_bags(self.anchors, a0, a1, b0, b1),
        )

    def with_real_windows(
        self,
        real_src: np.ndarray,
        mask_src: np.ndarray,
        real_tgt: np.ndarray,
        mask_tgt: np.ndarray,
        src: np.ndarray,
        tgt: np.ndarray,
        rng: np.random.Generator,
        n_samples: int,
        keep_approx: bool = False,
    ) -> Sides:
        """Use embedded windows where ``mask_*`` is True. Other windows beyond size 1 are
        disabled (their beads were pruned, and approximations must not compete with
        embeddings), unless ``keep_approx`` (``embed="path"``: they are embedded once taken)."""
        src_win = np.where(mask_src[..., None], real_src, self.src_win)
        tgt_win = np.where(mask_tgt[..., None], real_tgt, self.tgt_win)
        src_ok, tgt_ok = self.src_ok, self.tgt_ok
        if not keep_approx:
            src_ok, tgt_ok = mask_src.copy(), mask_tgt.copy()
            src_ok[0], tgt_ok[0] = self.src_ok[0], self.tgt_ok[0]
        return replace(
            self,
            src_win=src_win,
            tgt_win=tgt_win,
            src_ok=src_ok & self.src_ok,
            tgt_ok=tgt_ok & self.tgt_ok,
            src_norm=hub_norms(src_win, tgt, rng, n_samples),
            tgt_norm=hub_norms(tgt_win, src, rng, n_samples),
        )


def band_costs(
    sides: Sides, band: Band, types: Sequence[BeadType], params: CostParams
) -> list[np.ndarray]:
    """Bead costs for every node of ``band`` and every many-to-many type.

    A bead costs ``u + merge_penalty * (n + m - 2)`` (``u`` scaled down for beads shorter
    than ``short_len``, see :mod:`driftscope.align.lengths`) plus ``length_weight`` times
    ``|log(tgt chars / src chars) - log(document ratio)| - dev_true``, where ``u`` is the
    calibrated cost of its two concatenated spans (0 typical translation, 1 random pair) and
    ``dev_true`` the typical length mismatch of best matches (:class:`Calibration`). A skip
    costs ``skip`` per segment on the same scale, so a pair is kept rather than left as two
    skips only when its cost is below ``2 * skip`` (below 1: a random pair must lose).

    Returns:
        One (n + 1, band.width) float32 array per type (an empty (0, 0) array for 1-0/0-1);
        entries outside the band, for impossible beads or disabled windows are inf.
    """
    src_win, tgt_win = sides.src_win, sides.tgt_win
    src_norm, tgt_norm = sides.src_norm, sides.tgt_norm
    calib, src_len, tgt_len = sides.calib, sides.src_len, sides.tgt_len
    n_src = band.n_src
    width = band.width
    m_tgt = tgt_win.shape[1] - 1
    lo = band.lo
    cols = lo[:, None] + np.arange(width)[None, :]  # (n+1, W)
    inside = cols <= band.hi[:, None]
    log_ratio = float(np.log((tgt_len[-1] + 1.0) / (src_len[-1] + 1.0)))
    # Narrow bands gather their target windows (einsum, no BLAS call per small block: many
    # tiny threaded matmuls are slow on a loaded machine); dense ones use a block matmul.
    chunk = _CHUNK
    out: list[np.ndarray] = []
    for n, m in types:
        if n == 0 or m == 0:
            out.append(np.zeros((0, 0), np.float32))
            continue
        arr = np.full((n_src + 1, width), np.inf, np.float32)
        for s in range(n, n_src + 1, chunk):
            rows = np.arange(s, min(s + chunk, n_src + 1))
            c = np.clip(cols[rows], 0, m_tgt)
            ok = inside[rows] & (cols[rows] >= m) & sides.src_ok[n - 1, rows, None]
            ok &= sides.tgt_ok[m - 1, c]
            c_lo, c_hi = int(c.min()), int(c.max()) + 1
            if (c_hi - c_lo) <= 2 * width:  # dense band: one block matmul
                block = src_win[n - 1, rows] @ tgt_win[m - 1, c_lo:c_hi].T
                cos = np.take_along_axis(block, c - c_lo, axis=1)
            else:
                cos = np.einsum("rd,rwd->rw", src_win[n - 1, rows], tgt_win[m - 1, c])
            nx, ny = src_norm[n - 1, rows, None], tgt_norm[m - 1, c]
            if params.margin > 0:
                cos = margin_cos(cos, _band_neighbours(sides, rows, c, n, m), nx, ny,
                                 params.margin)  # fmt: skip
            u = calib.scale(pair_cost(cos, nx, ny))
            ls = src_len[rows] - src_len[rows - n]
            lt = tgt_len[c] - tgt_len[np.maximum(c - m, 0)]
            if params.short_len > 0:
                u = shrink_short(u, reliability(ls, lt, log_ratio, params.short_len))
            cost = u + params.merge_penalty * (n + m - 2)
            if params.length_weight > 0:
                dev = np.abs(np.log((lt + 1.0) / (ls[:, None] + 1.0)) - log_ratio)
                dev = dev - calib.dev_true  # a typical pair's length term is 0
                cost = cost + params.length_weight * dev
            if params.anchor_weight > 0 and sides.anchors is not None:
                cost = cost + params.anchor_weight * anchor_cost(sides.anchors, rows, n, c, m)
            arr[rows] = np.where(ok, cost, np.inf)
        out.append(arr)
    return out


def _band_neighbours(sides: Sides, rows: np.ndarray, c: np.ndarray, n: int, m: int) -> np.ndarray:
    """:func:`_neighbours` for the beads of type (n, m) ending at nodes (rows, c).

    rows: (r,) source nodes; c: (r, w) target nodes (clipped into range).
    """
    s1, t1 = sides.src_win[0], sides.tgt_win[0]  # single segments; [e] is segment e - 1
    n_src, m_tgt = s1.shape[0] - 1, t1.shape[0] - 1
    sw, tw = sides.src_win[n - 1, rows], sides.tgt_win[m - 1, c]  # (r, d), (r, w, d)

    def ein(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.einsum("rd,rwd->rw", a, b, dtype=np.float64)

    lc, rc = np.clip(c - m, 0, m_tgt), np.clip(c + 1, 0, m_tgt)
    t_left = np.where(c - m >= 1, ein(sw, t1[lc]), np.nan)
    t_right = np.where(c + 1 <= m_tgt, ein(sw, t1[rc]), np.nan)
    lr, rr = np.clip(rows - n, 0, n_src), np.clip(rows + 1, 0, n_src)
    s_left = np.where((rows - n >= 1)[:, None], ein(s1[lr], tw), np.nan)
    s_right = np.where((rows + 1 <= n_src)[:, None], ein(s1[rr], tw), np.nan)
    return _neighbours(t_left, t_right, s_left, s_right, sides.src_norm[n - 1, rows, None],
                       sides.tgt_norm[m - 1, c])  # fmt: skip
