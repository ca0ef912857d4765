"""Embedding similarity as a sacrebleu-style metric. Score layer: numpy, sacrebleu, errors.

``sim`` is the cosine between each hypothesis segment and its comparand (the source when one is
given, which makes it reference-free, else the first reference), computed with a sentence
encoder and reported raw and calibrated (0 ~ a random pair, 1 ~ a typical translation).

Following sacrebleu, every segment contributes sufficient statistics ``[calibrated, raw, 1]``
and the corpus score is computed from their sum (the mean, on the calibrated 0-1 scale that
reports use too, not sacrebleu's 0-100: one similarity scale everywhere). That
makes :class:`SimMetric` a drop-in :class:`sacrebleu.metrics.base.Metric`: sacrebleu's own
paired bootstrap and approximate randomisation run on it unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sacrebleu.metrics.base import Metric, Score, Signature

from driftscope._version import __version__
from driftscope.errors import ConfigError, InputError
from driftscope.score.calibration import IDENTITY, Calibrator, Encoder, cosines


def _clean(value: str) -> str:
    # Signatures are "key:value|..." strings: keep values free of ':', '|' and spaces.
    return "".join(ch for ch in str(value).strip().rstrip(":") if ch not in ":| \t")


class SimScore(Score):  # type: ignore[misc]
    """sacrebleu-style score: calibrated mean similarity (0 random pair, 1 typical translation,
    not clipped), raw mean cosine aside."""

    def __init__(self, score: float, raw: float, n: int) -> None:
        super().__init__("sim", score)
        self.raw = raw
        self.n = n
        self._verbose = f"(raw = {raw:.3f} n = {n})"


class SimSignature(Signature):  # type: ignore[misc]
    """``enc:...|prompt:...|ref:src|cal:...|version:...`` (driftscope's version)."""

    def __init__(self, args: dict[str, Any]) -> None:
        self._abbr = {
            "enc": "e", "prompt": "p", "ref": "r", "cal": "c", "version": "v",
            "bs": "bs", "ar": "ar", "seed": "rs",
        }  # fmt: skip
        self.info = {
            "enc": _clean(args["enc_id"]),
            "prompt": _clean(args["prompt"]) or "none",
            "ref": args["ref_kind"],
            "cal": args["cal_id"],
            "version": __version__,
        }


class SimMetric(Metric):  # type: ignore[misc]
    """Embedding similarity of hypotheses to a fixed comparand stream.

    Args:
        encoder: an :class:`Encoder`.
        comparand: the texts hypotheses are compared with, one per segment (the source, or the
            first reference); embedded once here.
        ref_kind: "src" or "ref", recorded in the signature.
        calibrator: cosine -> calibrated similarity; :data:`IDENTITY` if None.
    """

    _SIGNATURE_TYPE = SimSignature

    def __init__(
        self,
        encoder: Encoder,
        comparand: Sequence[str],
        ref_kind: str = "src",
        calibrator: Calibrator | None = None,
    ) -> None:
        super().__init__()
        if ref_kind not in ("src", "ref"):
            raise ConfigError(f"sim ref_kind must be 'src' or 'ref', not {ref_kind!r}")
        self.encoder = encoder
        self.enc_id = str(getattr(encoder, "id", type(encoder).__name__))
        self.prompt = str(getattr(encoder, "prompt", "") or "")
        self.ref_kind = ref_kind
        self.calibrator = calibrator or IDENTITY
        self.cal_id = self.calibrator.id
        self.num_refs = 1
        self._comparand = list(comparand)
        self._ref_vecs = self._encode(self._comparand)

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        vecs = np.asarray(self.encoder.encode(list(texts)))
        if vecs.ndim != 2 or vecs.shape[0] != len(texts):
            raise InputError(f"encoder {self.enc_id} returned shape {vecs.shape} for {len(texts)}")
        return vecs

    # --- sacrebleu Metric hooks -------------------------------------------------------------
    def _preprocess_segment(self, sent: str) -> str:
        return sent

    def _extract_reference_info(self, refs: Sequence[str]) -> dict[str, Any]:
        return {"ref": refs[0] if refs else ""}

    def _compute_segment_statistics(self, hypothesis: str, ref_kwargs: dict) -> list[float]:
        return self.segment_stats([hypothesis], [ref_kwargs["ref"]])[0]

    def _compute_score_from_stats(self, stats: Sequence[float]) -> SimScore:
        n = float(stats[2])
        if n <= 0:
            return SimScore(0.0, 0.0, 0)
        return SimScore(float(stats[0]) / n, float(stats[1]) / n, int(round(n)))

    def _aggregate_and_compute(self, stats: Sequence[Sequence[float]]) -> SimScore:
        arr = np.asarray(stats, dtype=np.float64).reshape(-1, 3)
        return self._compute_score_from_stats(arr.sum(0))

    def _extract_corpus_statistics(
        self, hypotheses: Sequence[str], references: Sequence[Sequence[str]] | None
    ) -> list[list[float]]:
        # Batch-encode instead of sacrebleu's per-segment loop; the comparand is cached.
        if references:
            return self.segment_stats(hypotheses, list(references[0]))
        if len(hypotheses) != len(self._comparand):
            raise InputError(
                f"sim: {len(hypotheses)} hypotheses but {len(self._comparand)} comparand lines"
            )
        cos = cosines(self._encode(hypotheses), self._ref_vecs)
        return self._stats_from_cos(cos)

    def segment_stats(self, hyps: Sequence[str], comparand: Sequence[str]) -> list[list[float]]:
        """Per-segment ``[calibrated, raw, 1]`` for explicit hypothesis/comparand lists."""
        cos = cosines(self._encode(hyps), self._encode(comparand))
        return self._stats_from_cos(cos)

    def _stats_from_cos(self, cos: np.ndarray) -> list[list[float]]:
        cal = self.calibrator(cos)
        return [[float(c), float(r), 1.0] for c, r in zip(cal, cos, strict=True)]

    def sentence_score(self, hypothesis: str, references: Sequence[str]) -> SimScore:
        """Similarity of one hypothesis to ``references[0]`` (the comparand)."""
        return self._aggregate_and_compute(self.segment_stats([hypothesis], [references[0]]))
