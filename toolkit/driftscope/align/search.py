"""Two-pass sentence alignment: cheap first pass, embedded second pass. Imports numpy, ``align``,
``embed.windows``, ``model``, ``errors``.

1. Every segment is embedded once. Window vectors (concatenations of up to ``side`` segments)
   are first *approximated* by length-weighted sums of segment vectors, so the first pass
   embeds nothing else. It is an exact DP over the whole matrix for documents up to
   ``max_dense`` segments, else coarse-to-fine (Vecalign): vectors are averaged pairwise until
   small, a 1-1/skip DP runs at the coarsest level, and each finer level searches a band of
   ``+-band`` around the upsampled path; time and memory grow linearly with length.
2. In a band around the first-pass path, the concatenations of the many-to-many beads the best
   path takes are embedded and the path solved again, until it takes only embedded windows
   (``embed="path"``); ``"band"`` embeds at once every window whose bead could come within
   ``delta`` of the optimum, ``"all"`` every window (as Bertalign does), ``"none"`` none.

Paragraph breaks: when both sides have the same number of paragraphs no bead crosses a break
(each paragraph pair is solved separately, with one shared calibration).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from driftscope.align import costs as C
from driftscope.align.anchors import AnchorBags, anchor_bags
from driftscope.align.config import AlignConfig
from driftscope.align.dp import Band, band_dp, band_from_path, bead_types
from driftscope.align.prune import path_windows, windows_to_embed
from driftscope.align.result import Alignment, Sides, bead_similarities
from driftscope.embed.windows import TextEncoder, encode_windows_sides, valid_mask
from driftscope.errors import AlignmentError
from driftscope.model import Bead

log = logging.getLogger(__name__)
PATH_ROUNDS = 8  # embed="path": rounds of embedding the path's windows before the last solve


def _nodes(beads: Sequence[Bead]) -> np.ndarray:
    """(len + 1, 2) int64 DP nodes visited by ``beads``, starting at (0, 0)."""
    steps = np.array([[len(b.src), len(b.tgt)] for b in beads], np.int64).reshape(-1, 2)
    return np.vstack([np.zeros((1, 2), np.int64), np.cumsum(steps, axis=0)])


def _downsample(x: np.ndarray) -> np.ndarray:
    """Average consecutive pairs of rows, renormalise: (n, d) -> (ceil(n / 2), d)."""
    if len(x) % 2:
        x = np.vstack([x, x[-1:]])
    return C.normalize_rows(x[0::2].astype(np.float64) + x[1::2])


def _params(cfg: AlignConfig) -> C.CostParams:
    return C.CostParams(
        cfg.merge_penalty, cfg.length_weight, cfg.margin, cfg.anchor_weight, cfg.short_len
    )


def _bead_skip(beads: Sequence[Bead], cfg: AlignConfig) -> float:
    """Skip cost from the first pass's own 1-1 beads: half of ``median + skip_adapt * sigma``
    of their costs (robust sigma from the MAD), between ``cfg.skip`` and 0.499.

    The first pass already ran with ``cfg.skip``, so its 1-1 costs are truncated at
    ``2 * cfg.skip``; median and MAD stay robust to that as long as most pairs are clean.
    """
    c = np.array([b.cost for b in beads if len(b.src) == 1 and len(b.tgt) == 1], np.float64)
    if len(c) < 5:
        return cfg.skip
    med = float(np.median(c))
    sigma = 1.4826 * float(np.median(np.abs(c - med)))
    return float(np.clip((med + cfg.skip_adapt * sigma) / 2.0, cfg.skip, 0.499))


def _solve(sides: Sides, band: Band, types: tuple, cfg: AlignConfig) -> list[Bead]:
    """One banded DP over ``sides`` (window vectors, norms and calibration)."""
    costs = C.band_costs(sides, band, types, _params(cfg))
    beads, _ = band_dp(costs, types, band, sides.n_tgt, cfg.skip, cfg.skip)
    return beads


def _prepare(
    src: np.ndarray, tgt: np.ndarray, src_w: np.ndarray, tgt_w: np.ndarray, side: int,
    cfg: AlignConfig, rng: np.random.Generator,
) -> Sides:  # fmt: skip
    """Approximate window vectors, hubness norms and calibration for one level."""
    src_win = C.approx_windows(src, src_w, side)
    tgt_win = C.approx_windows(tgt, tgt_w, side)
    src_norm = C.hub_norms(src_win, tgt, rng, cfg.n_samples // 4)
    tgt_norm = C.hub_norms(tgt_win, src, rng, cfg.n_samples // 4)
    calib = C.calibrate(
        src, tgt, src_norm[0, 1:], tgt_norm[0, 1:], rng, cfg.n_samples, cfg.margin, (src_w, tgt_w)
    )
    src_len = np.concatenate([[0.0], np.cumsum(src_w, dtype=np.float64)])
    tgt_len = np.concatenate([[0.0], np.cumsum(tgt_w, dtype=np.float64)])
    return Sides(src_win, tgt_win, src_norm, tgt_norm, calib, src_len, tgt_len,
                 valid_mask(len(src), side), valid_mask(len(tgt), side))  # fmt: skip


def first_pass(
    src: np.ndarray, tgt: np.ndarray, src_w: np.ndarray, tgt_w: np.ndarray,
    cfg: AlignConfig, rng: np.random.Generator, anchors: AnchorBags | None = None,
    ok: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[list[Bead], Sides]:  # fmt: skip
    """First-pass beads from segment vectors only (coarse-to-fine above ``max_dense``);
    ``anchors`` and ``ok`` (window masks, :func:`pairable_windows`) apply at the finest level."""
    levels = [(src, tgt, src_w, tgt_w)]
    while max(len(levels[-1][0]), len(levels[-1][1])) > cfg.max_dense:
        s, t, sw, tw = levels[-1]
        sw2 = np.add.reduceat(sw, np.arange(0, len(sw), 2))
        tw2 = np.add.reduceat(tw, np.arange(0, len(tw), 2))
        levels.append((_downsample(s), _downsample(t), sw2, tw2))
    nodes: np.ndarray | None = None
    coarse_types = bead_types(3, 2)
    for depth in range(len(levels) - 1, -1, -1):
        s, t, sw, tw = levels[depth]
        if nodes is None:
            band = Band.full(len(s), len(t))
        else:
            up = np.minimum(nodes * 2, [len(s), len(t)])
            band = band_from_path(up, len(s), len(t), cfg.band)
        side = cfg.side if depth == 0 else 2
        sides = _prepare(s, t, sw, tw, side, cfg, rng)
        if depth == 0:
            sides = _restrict(replace(sides, anchors=anchors), ok)
        types = bead_types(cfg.max_bead, cfg.side) if depth == 0 else coarse_types
        beads = _solve(sides, band, types, cfg)
        nodes = _nodes(beads)
        log.debug("first pass level %d: %d x %d, band width %d", depth, len(s), len(t), band.width)
    return beads, sides


def _embed_path(
    approx: Sides, band: Band, types: tuple, cfg: AlignConfig, cuts: list[tuple[int, int]],
    texts: tuple[list[str], list[str]], encoder: TextEncoder,
    vecs: tuple[np.ndarray, np.ndarray], rng: np.random.Generator,
) -> tuple[list[Bead], Sides, int]:  # fmt: skip
    """``embed="path"``: solve, embed the windows of the path's many-to-many beads, solve again
    with them (other windows keep their approximations), until the path uses only embedded
    windows. After :data:`PATH_ROUNDS` rounds the approximations left are disabled for a last
    solve, so no approximated window is ever part of the result.

    Returns:
        (beads, the sides they were solved on, the number of window cells embedded).
    """
    have = [np.zeros(approx.src_ok.shape, bool), np.zeros(approx.tgt_ok.shape, bool)]
    real = [np.zeros_like(approx.src_win), np.zeros_like(approx.tgt_win)]
    sides = approx
    beads = _solve_cut(sides, band, types, cfg, cuts)
    for _ in range(PATH_ROUNDS):
        need = path_windows(beads, *have)
        if not (need[0].any() or need[1].any()):
            return beads, sides, int(have[0].sum() + have[1].sum())
        got = encode_windows_sides([(texts[0], need[0]), (texts[1], need[1])], encoder, cfg.side)
        for k, (arr, mask) in enumerate(got):
            mask[0] = False
            real[k][mask], have[k] = arr[mask], have[k] | mask
        sides = approx.with_real_windows(real[0], have[0], real[1], have[1], *vecs, rng,
                                         cfg.n_samples // 4, keep_approx=True)  # fmt: skip
        beads = _solve_cut(sides, band, types, cfg, cuts)
    n_cells = int(have[0].sum() + have[1].sum())
    for k, ok in enumerate((sides.src_ok, sides.tgt_ok)):
        have[k][0] = ok[0]
    sides = replace(sides, src_ok=sides.src_ok & have[0], tgt_ok=sides.tgt_ok & have[1])
    return _solve_cut(sides, band, types, cfg, cuts), sides, n_cells


def pairable_windows(texts: Sequence[str], side: int) -> np.ndarray:
    """(side, n + 1) bool: windows that may form a bead side (``[k-1, e]``: size k, ending at e).

    A segment without a letter or digit (``.....``, ``- _-``: OCR debris, separators) never
    joins a merge: appended to a sentence it hardly moves its embedding, so a merge (costing
    ``merge_penalty``) would beat leaving it unaligned (``skip``) whatever it is. Alone it may
    still pair with its counterpart (``***`` with ``***``) or stay a 1-0 / 0-1 bead, the
    convention of the Text+Berg gold.
    """
    empty = np.array([not any(ch.isalnum() for ch in t) for t in texts], np.int64)
    csum = np.concatenate([[0], np.cumsum(empty)])
    k = np.arange(1, side + 1)[:, None]
    e = np.arange(len(texts) + 1)[None, :]
    start = np.maximum(e - k, 0)
    return (e >= k) & ((k == 1) | (csum[e] - csum[start] == 0))


def _restrict(sides: Sides, ok: tuple[np.ndarray, np.ndarray] | None) -> Sides:
    if ok is None:
        return sides
    return replace(sides, src_ok=sides.src_ok & ok[0], tgt_ok=sides.tgt_ok & ok[1])


def _paragraph_cuts(
    src_par: Sequence[int] | None, tgt_par: Sequence[int] | None
) -> list[tuple[int, int]]:
    """Nodes every path must pass through: paragraph breaks, when both sides have as many."""
    if src_par is None or tgt_par is None:
        return []

    def breaks(par: Sequence[int]) -> list[int]:
        return [i for i in range(1, len(par)) if par[i] != par[i - 1]]

    bs, bt = breaks(src_par), breaks(tgt_par)
    if not bs or len(bs) != len(bt):
        return []
    return list(zip(bs, bt, strict=True))


def _solve_cut(sides: Sides, band: Band, types: tuple, cfg: AlignConfig,
               cuts: list[tuple[int, int]]) -> list[Bead]:  # fmt: skip
    """Solve each stretch between consecutive cut nodes separately and join the beads."""
    if not cuts:
        return _solve(sides, band, types, cfg)
    out: list[Bead] = []
    points = [(0, 0), *cuts, (sides.n_src, sides.n_tgt)]
    for (a0, b0), (a1, b1) in zip(points[:-1], points[1:], strict=True):
        sub = sides.slice(a0, a1, b0, b1)
        lo = np.clip(band.lo[a0 : a1 + 1] - b0, 0, b1 - b0)
        hi = np.clip(band.hi[a0 : a1 + 1] - b0, 0, b1 - b0)
        lo[0], hi[-1] = 0, b1 - b0
        sub_band = Band(np.minimum.accumulate(lo[::-1])[::-1], np.maximum.accumulate(hi))
        for b in _solve(sub, sub_band, types, cfg):
            out.append(Bead(tuple(i + a0 for i in b.src), tuple(j + b0 for j in b.tgt), b.cost))
    return out


def align_vectors(
    src_vecs: np.ndarray,
    tgt_vecs: np.ndarray,
    cfg: AlignConfig,
    rng: np.random.Generator,
    *,
    src_weights: np.ndarray | None = None,
    tgt_weights: np.ndarray | None = None,
    src_par: Sequence[int] | None = None,
    tgt_par: Sequence[int] | None = None,
) -> Alignment:
    """Align from segment vectors alone (window vectors approximated; no encoder needed).

    Args:
        src_vecs, tgt_vecs: (n, d), (m, d) float32 unit-norm segment vectors, n, m >= 1.
        src_weights, tgt_weights: (n,), (m,) positive weights (character lengths); default 1,
            and then ``cfg.short_len`` is off (there are no lengths to call short).
        src_par, tgt_par: paragraph number of each segment, or None.
    """
    return _align(src_vecs, tgt_vecs, cfg, rng, src_weights, tgt_weights, src_par, tgt_par,
                  None, None)  # fmt: skip


def align(
    src_texts: Sequence[str],
    tgt_texts: Sequence[str],
    encoder: TextEncoder,
    cfg: AlignConfig | None = None,
    rng: np.random.Generator | None = None,
    *,
    src_par: Sequence[int] | None = None,
    tgt_par: Sequence[int] | None = None,
) -> Alignment:
    """Align two segmented texts with ``encoder`` (see the module docstring for the method).

    Args:
        src_texts, tgt_texts: segments (at least one each).
        encoder: ``encode(list[str]) -> (len, d) float32`` unit rows (``driftscope.embed``).
        cfg: configuration (default :class:`AlignConfig()`).
        rng: sampling RNG; default ``np.random.default_rng(cfg.seed)``.
        src_par, tgt_par: paragraph number of each segment, or None.
    Raises:
        AlignmentError: on an empty side.
    """
    cfg = cfg or AlignConfig()
    rng = rng if rng is not None else np.random.default_rng(cfg.seed)
    if not src_texts or not tgt_texts:
        raise AlignmentError(
            f"cannot align an empty document ({len(src_texts)} x {len(tgt_texts)} segments)"
        )
    (s_win, _), (t_win, _) = encode_windows_sides([(src_texts, None), (tgt_texts, None)],
                                                  encoder, 1)  # fmt: skip
    src_vecs, tgt_vecs = s_win[0, 1:], t_win[0, 1:]
    sw = np.array([max(len(t), 1) for t in src_texts], np.float64)
    tw = np.array([max(len(t), 1) for t in tgt_texts], np.float64)
    return _align(src_vecs, tgt_vecs, cfg, rng, sw, tw, src_par, tgt_par,
                  (list(src_texts), list(tgt_texts)), encoder)  # fmt: skip


def _align(
    src_vecs: np.ndarray, tgt_vecs: np.ndarray, cfg: AlignConfig, rng: np.random.Generator,
    src_w: np.ndarray | None, tgt_w: np.ndarray | None,
    src_par: Sequence[int] | None, tgt_par: Sequence[int] | None,
    texts: tuple[list[str], list[str]] | None, encoder: TextEncoder | None,
) -> Alignment:  # fmt: skip
    n, m = len(src_vecs), len(tgt_vecs)
    if n == 0 or m == 0:
        raise AlignmentError(f"cannot align an empty document ({n} x {m} segments)")
    if src_w is None or tgt_w is None:  # unit weights are not lengths: no short beads
        cfg = cfg.replace(short_len=0.0)
    src_w = np.ones(n) if src_w is None else np.asarray(src_w, np.float64)
    tgt_w = np.ones(m) if tgt_w is None else np.asarray(tgt_w, np.float64)
    cuts = _paragraph_cuts(src_par, tgt_par) if cfg.use_paragraphs else []
    types = bead_types(cfg.max_bead, cfg.side)
    bags = anchor_bags(*texts) if texts is not None and cfg.anchor_weight > 0 else None
    ok = None
    if texts is not None:
        ok = (pairable_windows(texts[0], cfg.side), pairable_windows(texts[1], cfg.side))
    if cuts:
        sides = _prepare(src_vecs, tgt_vecs, src_w, tgt_w, cfg.side, cfg, rng)
        sides = _restrict(replace(sides, anchors=bags), ok)
        beads = _solve_cut(sides, Band.full(n, m), types, cfg, cuts)
    else:
        beads, sides = first_pass(src_vecs, tgt_vecs, src_w, tgt_w, cfg, rng, bags, ok)
    if cfg.skip_adapt > 0:
        cfg = cfg.replace(skip=_bead_skip(beads, cfg), skip_adapt=0.0)
        if texts is None or encoder is None or cfg.embed == "none":
            beads = _solve_cut(sides, band_from_path(_nodes(beads), n, m, cfg.band), types,
                               cfg, cuts)  # fmt: skip
    n_embedded = 0
    if texts is not None and encoder is not None and cfg.embed != "none":
        band = band_from_path(_nodes(beads), n, m, cfg.band)
        if cfg.embed == "path":
            beads, sides, n_embedded = _embed_path(sides, band, types, cfg, cuts, texts,
                                                   encoder, (src_vecs, tgt_vecs), rng)  # fmt: skip
        else:
            need_s = need_t = None
            if cfg.embed == "band":
                need_s, need_t = windows_to_embed(sides, band, types, _params(cfg), cfg.skip,
                                                  cfg.delta)  # fmt: skip
            (real_s, mask_s), (real_t, mask_t) = encode_windows_sides(
                [(texts[0], need_s), (texts[1], need_t)], encoder, cfg.side
            )
            mask_s[0], mask_t[0] = False, False
            n_embedded = int(mask_s.sum() + mask_t.sum())
            sides = sides.with_real_windows(real_s, mask_s, real_t, mask_t, src_vecs, tgt_vecs,
                                            rng, cfg.n_samples // 4)  # fmt: skip
            beads = _solve_cut(sides, band, types, cfg, cuts)
    sims, cosines = bead_similarities(beads, sides, cfg.margin)
    if n == 1 and m == 1:
        # one segment a side: the only pair is the true one, so there is no random pairing to
        # calibrate on (a skip would beat the pair); the pair is the alignment, uncalibrated
        beads = [Bead((0,), (0,), 0.0)]
        sims, cosines = np.full(1, np.nan), np.array([float(np.dot(src_vecs[0], tgt_vecs[0]))])
    return Alignment(
        beads=tuple(beads),
        similarity=tuple(float(x) for x in sims),
        cosine=tuple(float(x) for x in cosines),
        n_src=n,
        n_tgt=m,
        calibration=sides.calib,
        n_embedded_windows=n_embedded,
        skip=cfg.skip,
    )
