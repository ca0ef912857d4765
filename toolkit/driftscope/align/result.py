"""Alignment result and the per-side vector bundle the search works on. numpy, ``model``."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from driftscope.align import costs as C
from driftscope.model import Bead

Sides = C.Sides


@dataclass(frozen=True, slots=True)
class Alignment:
    """Beads of one document pair with per-bead evidence.

    ``similarity[k]`` is the calibrated similarity of bead k (1 = a typical translation pair of
    this document pair, 0 = a random pair; may leave [0, 1]); ``cosine[k]`` the raw encoder
    cosine of the two concatenated spans. Both are NaN for 1-0 and 0-1 beads.
    """

    beads: tuple[Bead, ...]
    similarity: tuple[float, ...]
    cosine: tuple[float, ...]
    n_src: int
    n_tgt: int
    calibration: C.Calibration
    n_embedded_windows: int = 0  # concatenations of 2+ segments actually encoded
    skip: float = float("nan")  # the skip cost this document pair was solved with

    def pairs(self) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
        return [(b.src, b.tgt) for b in self.beads]


def bead_similarities(
    beads: Sequence[Bead], sides: Sides, margin: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """Calibrated similarity and raw cosine of each bead: two (len(beads),) float64 arrays.

    The similarity uses the same neighbour ``margin`` as the costs (and the calibration).
    Beads with an empty side, or wider than the window vectors, get NaN.
    """
    sims = np.full(len(beads), np.nan)
    cosines = np.full(len(beads), np.nan)
    k_max = sides.src_win.shape[0]
    for k, b in enumerate(beads):
        n, m = len(b.src), len(b.tgt)
        if n == 0 or m == 0 or n > k_max or m > k_max:
            continue
        i, j = b.src[-1] + 1, b.tgt[-1] + 1
        cos = float(np.dot(sides.src_win[n - 1, i], sides.tgt_win[m - 1, j]))
        nx, ny = sides.src_norm[n - 1, i], sides.tgt_norm[m - 1, j]
        adj = np.asarray(cos, np.float64)
        if margin > 0:
            nb = C._band_neighbours(sides, np.array([i]), np.array([[j]]), n, m)[0, 0]
            adj = C.margin_cos(adj, nb, nx, ny, margin)
        raw = C.pair_cost(adj, nx, ny)
        cosines[k] = cos
        sims[k] = 1.0 - float(sides.calib.scale(raw))
    return sims, cosines


def finite_or_nan(x: float) -> float:
    return x if math.isfinite(x) else float("nan")
