"""Reference-free quality estimate per segment. Score layer: numpy, errors.

THE single entry point for segment-level quality estimation (``qe`` in ``driftscope score
--format jsonl``). For now it is the calibrated source-hypothesis embedding similarity; the
quality engineer will replace the body with a better combined estimator (similarity, length
ratio, language identity, ...) keeping this signature: callers must not compute ``qe`` any
other way.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from driftscope.embed.threads import single_thread_blas
from driftscope.errors import InputError
from driftscope.score.calibration import (
    IDENTITY,
    MIN_CALIBRATION_SEGMENTS,
    Calibrator,
    Encoder,
    cosines,
)

QE_ID = "qe:cal-sim-src"  # goes into outputs so a later estimator is distinguishable
# With the encoder (id and prompt) recorded in combiners.json (the default e5-small, prompt "")
# the estimate is the combined one of driftscope.quality: e5 (+ USE-m3 where it covers both
# languages) similarity, margin, token coverage, per-dimension u*v weights, length/repetition/
# numbers/entities; ridge fitted on the whole MLQE-PE ru-en train split. Pearson with z_mean on
# dev 0.615 (0.581 without USE) against 0.22 for the e5 cosine. Other encoders or prompts get
# the calibrated cosine.
QE_COMBINED_ID = "qe:combined-mlqe-v2"


def qe_id(encoder: Encoder, n: int | None = None) -> str:
    """The estimator :func:`estimate_qe` uses with ``encoder`` on ``n`` segments."""
    enough = n is None or n >= MIN_CALIBRATION_SEGMENTS
    return QE_COMBINED_ID if enough and _combined_ok(encoder) else QE_ID


def _combined_ok(encoder: Encoder) -> bool:
    """The combined estimate needs the encoder (id and prompt) its weights were fitted with."""
    if not (hasattr(encoder, "model") or hasattr(encoder, "token_states")):
        return False
    from driftscope.quality.combine import load_combiner

    return load_combiner("qe", "e5").matches(encoder)


def estimate_qe(
    src: Sequence[str],
    hyp: Sequence[str],
    encoder: Encoder,
    *,
    calibrator: Calibrator | None = None,
) -> np.ndarray:
    """Quality estimate of each hypothesis segment given its source; higher is better.

    Args:
        src: source segments, one per hypothesis segment.
        hyp: hypothesis (translation) segments.
        encoder: a multilingual sentence encoder (``driftscope.embed.get_encoder()``).
        calibrator: cosine -> calibrated similarity (0 ~ random pair, 1 ~ typical translation).

    Returns:
        (n,) float64: calibrated cosine(src_i, hyp_i), about 0 for unrelated text and 1 for a
        typical translation (can exceed both bounds).

    Raises:
        InputError: the two lists differ in length.
    """
    if len(src) != len(hyp):
        raise InputError(f"qe: {len(src)} source segments but {len(hyp)} hypothesis segments")
    if not src:
        return np.zeros(0, dtype=np.float64)
    # the combined features are z-scores against random pairings of the input itself: with a
    # handful of segments their spread is meaningless (two lines gave qe 6.9), so short inputs
    # get the calibrated cosine, as calibration itself falls back to a prior below this size
    if _combined_ok(encoder) and len(src) >= MIN_CALIBRATION_SEGMENTS:
        from driftscope.quality.estimate import combined_qe

        with single_thread_blas():
            return combined_qe(src, hyp, encoder)
    vecs = np.asarray(encoder.encode(list(src) + list(hyp)))
    cos = cosines(vecs[len(src) :], vecs[: len(src)])
    return (calibrator or IDENTITY)(cos)


def estimate_with_risks(
    src: Sequence[str],
    hyp: Sequence[str],
    encoder: Encoder,
    *,
    calibrator: Calibrator | None = None,
) -> tuple[np.ndarray, dict[str, np.ndarray] | None]:
    """:func:`estimate_qe` and :func:`estimate_risks` together, sharing one feature pass
    (encoder forward passes) where the combined estimators apply."""
    if len(src) != len(hyp):
        raise InputError(f"qe: {len(src)} source segments but {len(hyp)} hypothesis segments")
    if len(src) < MIN_CALIBRATION_SEGMENTS or not _combined_ok(encoder):
        return estimate_qe(src, hyp, encoder, calibrator=calibrator), None
    from driftscope.quality.estimate import combined_estimates

    with single_thread_blas():
        est = combined_estimates(src, hyp, encoder)
    return est.pop("qe"), est


def estimate_risks(
    src: Sequence[str], hyp: Sequence[str], encoder: Encoder
) -> dict[str, np.ndarray] | None:
    """Per-segment probabilities of a hallucination, of a detached output and of an omission.

    Available with the encoder the combiners were fitted on and at least
    ``MIN_CALIBRATION_SEGMENTS`` pairs (see
    :func:`driftscope.quality.estimate.combined_estimates`).

    Returns:
        ``{"hallucination": (n,), "omission": (n,), "detached": (n,)}`` float64 in [0, 1], or
        None.
    """
    if len(src) != len(hyp):
        raise InputError(f"qe: {len(src)} source segments but {len(hyp)} hypothesis segments")
    if len(src) < MIN_CALIBRATION_SEGMENTS or not _combined_ok(encoder):
        return None
    from driftscope.quality.estimate import RISKS, combined_estimates

    with single_thread_blas():
        est = combined_estimates(src, hyp, encoder)
    return {k: est[k] for k in RISKS}
