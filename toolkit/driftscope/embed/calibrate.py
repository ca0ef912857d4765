"""Per-model, per-language-pair calibration of cosine similarities, and kNN margins.

Layer: embed. Imports numpy, stdlib and ``driftscope.errors``.

Cosines of different encoders live on different scales (multilingual-e5-small puts random
ru-en pairs near 0.78 and translations near 0.90), so no absolute cosine threshold transfers
between models or language pairs. :func:`calibrate` estimates, from the two sides of one
comparison, where random pairs sit (the null) and where likely translations sit (mutual nearest
neighbours); :meth:`Calibration.transform` maps cosines affinely so that 0 is a typical random
pair and 1 a typical translation. :func:`margin` gives the Bertalign / Artetxe & Schwenk margin
(cosine minus the mean cosine of each side's k nearest neighbours), computed blockwise so that
50k x 50k inputs never materialise the full similarity matrix.

All vectors are (n, d) float32 with unit-norm rows (what every driftscope encoder returns);
similarity blocks are float32 matmuls, statistics are accumulated in float64.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from driftscope.errors import ConfigError, InputError

#: float32 cells per similarity block (128 MiB); bounds memory whatever the input size.
BLOCK_CELLS = 1 << 25
N_QUANTILES = 101


@dataclass(frozen=True, slots=True)
class Calibration:
    """Where random pairs and likely translations sit for one encoder and language pair.

    Attributes:
        random_mean, random_std: cosine mean / std of uniformly random (src, tgt) pairs.
        true_mean, true_std: cosine mean / std of mutual nearest neighbours.
        n_samples: random pairs drawn (the mutual-NN statistics use up to as many src rows).
        random_quantiles: the null's cosine quantiles at 0, 1, ..., 100 % (for :meth:`pvalue`).
    """

    random_mean: float
    random_std: float
    true_mean: float
    true_std: float
    n_samples: int
    random_quantiles: tuple[float, ...] = ()

    @property
    def scale(self) -> float:
        """Distance from the null mean to the translation mean; never below the null's std."""
        return max(self.true_mean - self.random_mean, self.random_std, 1e-6)

    def transform(self, cos: Any) -> Any:
        """Calibrated similarity: 0 ~ random pair, 1 ~ typical translation; strictly increasing.

        Args:
            cos: a float or an array of cosines (any shape).

        Returns:
            Same shape; float for a float input, float64 array otherwise.
        """
        out = (np.asarray(cos, dtype=np.float64) - self.random_mean) / self.scale
        return float(out) if np.ndim(out) == 0 else out

    def zscore(self, cos: Any) -> Any:
        """Standard score against the random-pair null: (cos - random_mean) / random_std."""
        out = (np.asarray(cos, dtype=np.float64) - self.random_mean) / max(self.random_std, 1e-6)
        return float(out) if np.ndim(out) == 0 else out

    def pvalue(self, cos: Any) -> Any:
        """Share of random pairs at least as similar as ``cos`` (interpolated null quantiles)."""
        if not self.random_quantiles:
            raise ConfigError("this Calibration carries no null quantiles")
        q = np.asarray(self.random_quantiles, dtype=np.float64)
        levels = np.linspace(0.0, 1.0, len(q))
        cdf = np.interp(np.asarray(cos, dtype=np.float64), q, levels, left=0.0, right=1.0)
        out = 1.0 - cdf
        return float(out) if np.ndim(out) == 0 else out

    def as_dict(self) -> dict[str, Any]:
        """JSON-native dict (rounded to 6 decimals) for signatures and result files."""
        d = asdict(self)
        for key, val in d.items():
            if isinstance(val, float):
                d[key] = round(val, 6)
        d["random_quantiles"] = [round(v, 6) for v in self.random_quantiles]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Calibration:
        return cls(
            random_mean=float(d["random_mean"]),
            random_std=float(d["random_std"]),
            true_mean=float(d["true_mean"]),
            true_std=float(d["true_std"]),
            n_samples=int(d["n_samples"]),
            random_quantiles=tuple(float(v) for v in d.get("random_quantiles", ())),
        )


def _check(src: np.ndarray, tgt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    src = np.asarray(src, dtype=np.float32)
    tgt = np.asarray(tgt, dtype=np.float32)
    if src.ndim != 2 or tgt.ndim != 2 or src.shape[1] != tgt.shape[1]:
        raise InputError(f"vectors must be (n, d) and (m, d); got {src.shape} and {tgt.shape}")
    if len(src) == 0 or len(tgt) == 0:
        raise InputError(f"cannot compare empty sides ({len(src)} and {len(tgt)} vectors)")
    return src, tgt


def _blocks(n_rows: int, n_cols: int, block: int | None) -> list[slice]:
    """Row slices of at most ``block`` rows (default: at most BLOCK_CELLS cells per block)."""
    size = block or max(1, BLOCK_CELLS // max(n_cols, 1))
    return [slice(start, min(start + size, n_rows)) for start in range(0, n_rows, size)]


def nearest(query: np.ndarray, base: np.ndarray, *, block: int | None = None) -> np.ndarray:
    """Index of each query row's most similar base row (ties: lowest index).

    Args:
        query: (n, d) float32 unit-norm rows.
        base: (m, d) float32 unit-norm rows.
        block: query rows per matmul; default keeps a block under :data:`BLOCK_CELLS` cells.

    Returns:
        (n,) int64 indices into ``base``.
    """
    query, base = _check(query, base)
    out = np.empty(len(query), dtype=np.int64)
    for rows in _blocks(len(query), len(base), block):
        out[rows] = (query[rows] @ base.T).argmax(axis=1)
    return out


def knn_mean(
    query: np.ndarray, base: np.ndarray, k: int = 4, *, block: int | None = None
) -> np.ndarray:
    """Mean cosine of each query row to its k most similar base rows, blockwise.

    Args:
        query: (n, d) float32 unit-norm rows.
        base: (m, d) float32 unit-norm rows.
        k: neighbours; clamped to m.
        block: query rows per matmul (default: under :data:`BLOCK_CELLS` cells per block).

    Returns:
        (n,) float32.
    """
    query, base = _check(query, base)
    if k < 1:
        raise ConfigError(f"k must be at least 1, got {k}")
    k = min(k, len(base))
    out = np.empty(len(query), dtype=np.float32)
    for rows in _blocks(len(query), len(base), block):
        sims = query[rows] @ base.T  # (b, m) float32
        top = np.partition(sims, len(base) - k, axis=1)[:, len(base) - k :]
        out[rows] = top.astype(np.float64).mean(axis=1)
    return out


def margin(
    src_vecs: np.ndarray,
    tgt_vecs: np.ndarray,
    k: int = 4,
    *,
    pairs: np.ndarray | None = None,
    block: int | None = None,
) -> np.ndarray:
    """Margin of (src, tgt) pairs: cosine minus the mean kNN cosine of both sides.

    ``margin(x, y) = cos(x, y) - (knn_mean(x -> tgt) + knn_mean(y -> src)) / 2``, the
    distance-margin form Bertalign uses (Artetxe & Schwenk 2019 also define a ratio form).
    A pair that stands out from both sides' neighbourhoods gets a positive margin; hub vectors
    that are close to everything get penalised. Memory is O(block * max(n, m)).

    Args:
        src_vecs: (n, d) float32 unit-norm rows.
        tgt_vecs: (m, d) float32 unit-norm rows.
        k: neighbours on each side (clamped to the other side's size).
        pairs: (p, 2) int array of (src index, tgt index); default every (i, i), which needs
            n == m (line-parallel or aligned bead vectors).
        block: rows per matmul (default: under :data:`BLOCK_CELLS` cells per block).

    Returns:
        (p,) float32 margins.
    """
    src, tgt = _check(src_vecs, tgt_vecs)
    if pairs is None:
        if len(src) != len(tgt):
            raise ConfigError(
                f"margin() without pairs needs equal sizes, got {len(src)}/{len(tgt)}"
            )
        pi = pj = np.arange(len(src))
    else:
        pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
        pi, pj = pairs[:, 0], pairs[:, 1]
        if len(pairs) and (
            pi.min() < 0 or pj.min() < 0 or pi.max() >= len(src) or pj.max() >= len(tgt)
        ):
            raise ConfigError("margin(): a pair index is out of range")
    src_knn = knn_mean(src, tgt, k, block=block)
    tgt_knn = knn_mean(tgt, src, k, block=block)
    cos = np.einsum("ij,ij->i", src[pi].astype(np.float64), tgt[pj].astype(np.float64))
    return (cos - (src_knn[pi].astype(np.float64) + tgt_knn[pj]) / 2.0).astype(np.float32)


def calibrate(
    src_vecs: np.ndarray,
    tgt_vecs: np.ndarray,
    rng: np.random.Generator,
    n_samples: int = 2000,
    *,
    block: int | None = None,
) -> Calibration:
    """Estimate the random-pair null and the translation level for one comparison.

    Null: ``n_samples`` uniformly random (src, tgt) pairs. Translations: mutual nearest
    neighbours among up to ``n_samples`` random src rows (row i's nearest tgt j whose nearest
    src is i again); when both sides are versions of one text these are overwhelmingly true
    translations, so no gold is needed.

    Args:
        src_vecs: (n, d) float32 unit-norm rows.
        tgt_vecs: (m, d) float32 unit-norm rows.
        rng: the run's generator (the only source of randomness).
        n_samples: random pairs, and the cap on src rows examined for mutual neighbours.
        block: rows per matmul (default: under :data:`BLOCK_CELLS` cells per block).

    Returns:
        A :class:`Calibration`.
    """
    src, tgt = _check(src_vecs, tgt_vecs)
    if n_samples < 2:
        raise ConfigError(f"n_samples must be at least 2, got {n_samples}")
    ri = rng.integers(0, len(src), size=n_samples)
    rj = rng.integers(0, len(tgt), size=n_samples)
    null = np.einsum("ij,ij->i", src[ri].astype(np.float64), tgt[rj].astype(np.float64))

    rows = np.arange(len(src))
    if len(src) > n_samples:
        rows = np.sort(rng.choice(len(src), size=n_samples, replace=False))
    fwd = nearest(src[rows], tgt, block=block)  # (r,) tgt index of each sampled src row
    cand = np.unique(fwd)
    back = nearest(tgt[cand], src, block=block)  # nearest src of each candidate tgt
    back_of = dict(zip(cand.tolist(), back.tolist(), strict=True))
    mutual = np.array([back_of[j] == i for i, j in zip(rows.tolist(), fwd.tolist(), strict=True)])
    mi, mj = rows[mutual], fwd[mutual]
    true = np.einsum("ij,ij->i", src[mi].astype(np.float64), tgt[mj].astype(np.float64))
    return Calibration(
        random_mean=float(null.mean()),
        random_std=float(null.std()),
        true_mean=float(true.mean()),
        true_std=float(true.std()),
        n_samples=int(n_samples),
        random_quantiles=tuple(float(v) for v in np.quantile(null, np.linspace(0, 1, N_QUANTILES))),
    )
