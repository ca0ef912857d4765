"""Scoring: sacrebleu's BLEU/chrF/TER, embedding similarity (``sim``), quality estimate and
sacrebleu's paired significance tests. Score layer (numpy, sacrebleu; no printing).

Public API::

    score_corpus(hyps, refs, metrics, src=None, *, names=None, setup=None) -> list[SystemScore]
    score_sentences(hyps, refs, metrics, src=None, *, names=None, setup=None) -> list[SegmentScore]
    paired_test(hyps, refs, metrics, src=None, *, names=None, config=None, setup=None)
        -> PairedResults
    estimate_qe(src, hyp, encoder, *, calibrator=None) -> (n,) float64

``hyps[s][i]`` is segment i of system s, ``refs[k][i]`` the k-th reference of segment i.
"""

from __future__ import annotations

from driftscope.score.corpus import (
    MetricScore,
    ScoreSetup,
    SegmentScore,
    SystemScore,
    score_corpus,
    score_sentences,
)
from driftscope.score.metrics import METRIC_NAMES, MetricOptions
from driftscope.score.qe import estimate_qe
from driftscope.score.significance import PairedConfig, PairedResults, TestResult, paired_test

__all__ = [
    "METRIC_NAMES",
    "MetricOptions",
    "MetricScore",
    "PairedConfig",
    "PairedResults",
    "ScoreSetup",
    "SegmentScore",
    "SystemScore",
    "TestResult",
    "estimate_qe",
    "paired_test",
    "score_corpus",
    "score_sentences",
]
