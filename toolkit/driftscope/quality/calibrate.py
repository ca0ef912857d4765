"""Calibrated similarity: cosines expressed against each pair's own random-pair baseline.

Raw cosines are not comparable across encoders (e5-small puts random pairs near 0.78 and true
pairs near 0.9; USE-m3 near 0.05 and 0.6). So every threshold driftscope uses is relative:

* ``rand_mean``/``rand_std``: cosine of *random* source/target pairs of the same two documents
  (vecalign's ``compute_norms`` idea), sampled with an explicit ``rng``;
* ``ref``: the typical cosine of a *true* translation pair, the median of the aligned pairs
  (the document's own distribution), shrunk towards ``rand_mean + prior_gain * rand_std`` when
  the document is short.

``similarity = (cos - rand_mean) / (ref - rand_mean)``: 0 is a random pair, 1 a typical true
translation. Any increasing affine change of the cosines leaves it unchanged.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np

from driftscope.errors import ConfigError


@dataclass(frozen=True, slots=True)
class Baseline:
    """Random-pair and true-pair reference points for one (encoder, document pair)."""

    rand_mean: float
    rand_std: float
    ref: float
    n_pairs: int  # aligned pairs behind ``ref``
    n_random: int  # random pairs behind ``rand_mean``

    def calibrate(self, cos: np.ndarray) -> np.ndarray:
        """(n,) cosines -> (n,) float64 calibrated similarities (0 random, 1 typical)."""
        span = max(self.ref - self.rand_mean, 1e-6)
        return (np.asarray(cos, dtype=np.float64) - self.rand_mean) / span

    def zscore(self, cos: np.ndarray) -> np.ndarray:
        """(n,) cosines -> standard deviations above the random-pair mean."""
        return (np.asarray(cos, dtype=np.float64) - self.rand_mean) / max(self.rand_std, 1e-6)


def random_pair_cosines(
    src_vecs: np.ndarray, tgt_vecs: np.ndarray, rng: np.random.Generator, n: int = 2000
) -> np.ndarray:
    """Cosines of up to ``n`` random (i, j) pairs with i != j.

    Args:
        src_vecs: (n_src, d) float32 unit rows.
        tgt_vecs: (n_tgt, d) float32 unit rows.
    Returns:
        (m,) float64; empty when either side has fewer than 2 rows.
    """
    ns, nt = len(src_vecs), len(tgt_vecs)
    if ns < 2 or nt < 2:
        return np.zeros(0)
    if ns * nt <= n:
        i, j = np.divmod(np.arange(ns * nt), nt)
    else:
        i = rng.integers(0, ns, size=n)
        j = rng.integers(0, nt, size=n)
    keep = i != j
    i, j = i[keep], j[keep]
    return np.einsum("nd,nd->n", src_vecs[i].astype(np.float64), tgt_vecs[j].astype(np.float64))


def fit_baseline(
    pair_cos: np.ndarray,
    rand_cos: np.ndarray,
    prior: Baseline | None = None,
    shrink: int = 20,
) -> Baseline:
    """Baseline from a document's aligned-pair cosines and random-pair cosines.

    Args:
        pair_cos: (n,) cosines of the aligned (1-1 or n-m) beads.
        rand_cos: (m,) random-pair cosines from :func:`random_pair_cosines`.
        prior: per-encoder fallback (from packaged data) for short documents; its ``ref`` is
            used as ``rand_mean + gain * rand_std`` with the prior's gain.
        shrink: pseudo-count of the prior; the document's median dominates past ``shrink`` pairs.
    """
    pair_cos = np.asarray(pair_cos, dtype=np.float64)
    rand_cos = np.asarray(rand_cos, dtype=np.float64)
    if len(rand_cos) >= 20 or (prior is None and len(rand_cos) >= 2):
        rm, rs = float(rand_cos.mean()), float(rand_cos.std())
    elif prior is not None:
        rm, rs = prior.rand_mean, prior.rand_std
    else:
        raise ConfigError(
            "a document of one segment: calibrating similarities needs at least 2 segments "
            "per side, or the packaged baseline of the bundled encoder (--model e5-small)"
        )
    rs = max(rs, 1e-4)
    if prior is not None:
        gain = (prior.ref - prior.rand_mean) / max(prior.rand_std, 1e-6)
        prior_ref = rm + gain * rs
    else:
        prior_ref = float(np.median(pair_cos)) if len(pair_cos) else rm + 4 * rs
    if len(pair_cos):
        w = len(pair_cos) / (len(pair_cos) + shrink) if prior is not None else 1.0
        ref = w * float(np.median(pair_cos)) + (1 - w) * prior_ref
    else:
        ref = prior_ref
    return Baseline(rm, rs, max(ref, rm + rs), len(pair_cos), len(rand_cos))


def percentile_rank(values: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """For each value, the share (0-1) of ``reference`` strictly below it. Monotone-invariant."""
    ref = np.sort(np.asarray(reference, dtype=np.float64))
    if not len(ref):
        return np.full(len(values), np.nan)
    return np.searchsorted(ref, np.asarray(values, dtype=np.float64), side="left") / len(ref)


def packaged_prior(encoder_id: str, prompt: str = "") -> Baseline | None:
    """The packaged baseline of an encoder (``driftscope/data/baselines.json``), or None.

    Measured by ``benchmarks/calibration_prior.py`` (NTREX-128 dev, en/ru/vi): what a document
    of one segment per side is calibrated against, having no random pairings of its own. Keyed
    by encoder id and prompt; any backend of that encoder uses it (their vectors agree to
    within 0.012 per coordinate, well inside a random pair's spread).
    """
    d = _baselines().get(f"{encoder_id}|{prompt}")
    if d is None:
        return None
    return Baseline(d["rand_mean"], d["rand_std"], d["ref"], int(d["n_pairs"]), int(d["n_random"]))


@lru_cache(maxsize=1)
def _baselines() -> dict[str, dict[str, float]]:
    try:
        text = resources.files("driftscope.data").joinpath("baselines.json").read_text("utf-8")
    except (OSError, ModuleNotFoundError):  # pragma: no cover - packaging error
        return {}
    out: dict[str, dict[str, float]] = json.loads(text)
    return out
