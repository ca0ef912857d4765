"""Encoder protocol and cosine calibration for ``sim`` and ``qe``. Score layer: numpy, errors."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from driftscope.errors import ConfigError, InputError


class Encoder(Protocol):
    """What ``sim`` needs from ``driftscope.embed`` encoders."""

    id: str
    prompt: str

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """(n, d) float32, unit-norm rows."""
        ...


@dataclass(frozen=True, slots=True)
class Calibrator:
    """Maps raw cosines to calibrated similarity; ``id`` goes into the signature.

    ``fn`` takes (n,) float64 cosines and returns (n,) float64 calibrated values where 0 is
    about a random pair and 1 about a typical translation. It must act segment by segment (no
    corpus statistics) so that the corpus score stays the mean of segment scores.
    """

    id: str
    fn: Callable[[np.ndarray], np.ndarray]

    def __call__(self, cos: np.ndarray) -> np.ndarray:
        return np.asarray(self.fn(np.asarray(cos, dtype=np.float64)), dtype=np.float64)


def linear_calibrator(random_cos: float, typical_cos: float, id: str = "") -> Calibrator:
    """(cos - random) / (typical - random): 0 at a random pair's cosine, 1 at a typical one."""
    if not typical_cos > random_cos:
        raise ConfigError(f"calibration needs typical ({typical_cos}) > random ({random_cos})")
    span = typical_cos - random_cos
    name = id or f"lin[{random_cos:.3f},{typical_cos:.3f}]"
    return Calibrator(name, lambda c: (c - random_cos) / span)


IDENTITY = Calibrator("none", lambda c: c)


def cosines(hyp_vecs: np.ndarray, ref_vecs: np.ndarray) -> np.ndarray:
    """Row-wise cosine of two (n, d) float32 unit-norm arrays -> (n,) float64."""
    if hyp_vecs.shape != ref_vecs.shape:
        raise InputError(f"embedding shapes differ: {hyp_vecs.shape} vs {ref_vecs.shape}")
    a = hyp_vecs.astype(np.float64)
    b = ref_vecs.astype(np.float64)
    return np.einsum("ij,ij->i", a, b)


# A data calibration needs enough segments for a stable random-pair null and enough mutual
# nearest neighbours; below this, the encoder's packaged baseline (raw cosine of a random pair,
# of a typical translation; driftscope/data/baselines.json, measured on NTREX dev en/ru/vi by
# benchmarks/calibration_prior.py, the same one flags use for one-segment documents) is used.
MIN_CALIBRATION_SEGMENTS = 30


def data_calibrator(
    encoder: Encoder,
    side_a: list[str],
    side_b: list[str],
    seed: int = 0,
) -> Calibrator:
    """Calibrate cosines for this encoder and language pair from the data being scored.

    The null is random (a, b) pairs and the translation level the mutual nearest neighbours
    (``driftscope.embed.calibrate``); ``side_a`` is the source (or first reference) and
    ``side_b`` the FIRST system, so every system is scored on the same linear scale and systems
    stay comparable. Too few segments: the encoder's prior, or no calibration (``none``).
    """
    import numpy as np

    from driftscope.embed.calibrate import calibrate
    from driftscope.quality.calibrate import packaged_prior

    if min(len(side_a), len(side_b)) < MIN_CALIBRATION_SEGMENTS:
        base = packaged_prior(str(getattr(encoder, "id", "")), getattr(encoder, "prompt", ""))
        if base is None:
            return IDENTITY
        lo, hi = base.rand_mean, base.ref
        return linear_calibrator(lo, hi, id=f"prior[{lo:.3f},{hi:.3f}]")
    cal = calibrate(
        encoder.encode(side_a), encoder.encode(side_b), np.random.default_rng(seed), n_samples=2000
    )
    lo, hi = cal.random_mean, cal.random_mean + cal.scale
    return linear_calibrator(lo, hi, id=f"nn[{lo:.3f},{hi:.3f}]")
