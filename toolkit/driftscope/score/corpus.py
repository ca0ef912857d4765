"""Corpus- and segment-level scoring with sacrebleu metrics and ``sim``. Score layer.

Imports: errors, numpy, sacrebleu (lazily), the score subpackage. Results are frozen
dataclasses that carry sacrebleu's score names, verbose strings and signatures, so the CLI can
print exactly what sacrebleu prints.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from driftscope.errors import ConfigError, InputError
from driftscope.score.calibration import Calibrator, Encoder
from driftscope.score.metrics import MetricOptions, build_sacrebleu_metric, validate_metrics


@dataclass(frozen=True, slots=True)
class ScoreSetup:
    """Everything besides the texts that determines scores."""

    options: MetricOptions = field(default_factory=MetricOptions)
    encoder: Encoder | None = None  # needed for "sim" and for qe
    calibrator: Calibrator | None = None  # cosine -> calibrated similarity for sim/qe


@dataclass(frozen=True, slots=True)
class MetricScore:
    """One metric's score, as sacrebleu's ``Score`` would format it.

    ``name`` is sacrebleu's score name ("BLEU", "chrF2++", "TER") or "sim"; ``score`` is on
    sacrebleu's 0-100 scale, except sim: the calibrated similarity (0 a random pair, 1 a
    typical translation pair); ``verbose`` is the text sacrebleu prints after the score;
    ``extra`` holds numbers such as sim's raw mean cosine.
    """

    metric: str
    name: str
    score: float
    signature: str
    signature_short: str
    verbose: str = ""
    extra: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SystemScore:
    """Corpus scores of one system, in sacrebleu's metric order (sorted by name)."""

    system: str
    scores: tuple[MetricScore, ...]

    def get(self, metric: str) -> MetricScore:
        """The score of ``metric`` ("bleu", "chrf", "ter" or "sim")."""
        for s in self.scores:
            if s.metric == metric:
                return s
        raise KeyError(metric)


@dataclass(frozen=True, slots=True)
class SegmentScore:
    """Sentence-level scores of one segment of one system (sacrebleu ``sentence_score``).

    ``qe`` is :func:`driftscope.score.qe.estimate_qe` when a source was given, else None;
    ``hallucination``, ``omission`` and ``detached`` the probabilities of
    :func:`driftscope.score.qe.estimate_risks` when it gives them.
    """

    system: str
    index: int
    scores: tuple[MetricScore, ...]
    qe: float | None = None
    hallucination: float | None = None
    omission: float | None = None
    detached: float | None = None


def system_names(n: int, names: Sequence[str] | None) -> list[str]:
    """Given names, or sacrebleu's ``System 1``, ``System 2``, ..."""
    if names is None:
        return [f"System {i + 1}" for i in range(n)]
    if len(names) != n:
        raise ConfigError(f"{len(names)} system names for {n} systems")
    return list(names)


def check_streams(
    hyps: Sequence[Sequence[str]], refs: Sequence[Sequence[str]], src: Sequence[str] | None
) -> int:
    """Check every stream has the same number of segments; return it."""
    if not hyps:
        raise InputError("no hypothesis stream given")
    n = len(hyps[0])
    if n == 0:
        raise InputError("hypothesis stream is empty")
    streams = [("hypothesis", i, h) for i, h in enumerate(hyps)]
    streams += [("reference", i, r) for i, r in enumerate(refs)]
    if src is not None:
        streams.append(("source", 0, src))
    for kind, i, stream in streams:
        if len(stream) != n:
            raise InputError(
                f"{kind} stream {i + 1} has {len(stream)} segments but hypothesis stream 1 has {n}"
            )
    return n


def build_metrics(
    metrics: Sequence[str],
    refs: Sequence[Sequence[str]],
    src: Sequence[str] | None,
    setup: ScoreSetup,
    *,
    sentence_level: bool = False,
) -> dict[str, Any]:
    """sacrebleu ``Metric`` instances keyed by metric name, in sacrebleu's (sorted) order.

    References are cached in each metric, as the sacrebleu CLI does. ``sim`` compares with the
    source when given, else with the first reference.
    """
    names = validate_metrics(metrics)
    out: dict[str, Any] = {}
    for name in sorted(names, key=str.upper):
        if name == "sim":
            out[name] = _build_sim(refs, src, setup)
            continue
        if not refs:
            raise ConfigError(f"metric {name!r} needs at least one reference (-r)")
        out[name] = build_sacrebleu_metric(name, setup.options, refs, sentence_level=sentence_level)
    return out


def _build_sim(refs: Sequence[Sequence[str]], src: Sequence[str] | None, setup: ScoreSetup) -> Any:
    from driftscope.score.sim import SimMetric

    if setup.encoder is None:
        raise ConfigError("metric 'sim' needs an encoder")
    if src is not None:
        return SimMetric(setup.encoder, src, "src", setup.calibrator)
    if not refs:
        raise ConfigError("metric 'sim' needs a source (-s) or a reference (-r)")
    return SimMetric(setup.encoder, refs[0], "ref", setup.calibrator)


def to_metric_score(key: str, score: Any, metric: Any) -> MetricScore:
    """Freeze a sacrebleu ``Score`` (and its metric's signature) into a :class:`MetricScore`."""
    sig = metric.get_signature()
    extra: dict[str, float] = {}
    if key == "sim":
        extra = {"raw": float(score.raw)}
    return MetricScore(
        metric=key,
        name=score.name,
        score=float(score.score),
        signature=sig.format(False),
        signature_short=sig.format(True),
        verbose=score._verbose,
        extra=extra,
    )


def score_corpus(
    hyps: Sequence[Sequence[str]],
    refs: Sequence[Sequence[str]],
    metrics: Sequence[str],
    src: Sequence[str] | None = None,
    *,
    names: Sequence[str] | None = None,
    setup: ScoreSetup | None = None,
) -> list[SystemScore]:
    """Corpus scores of each system, identical to sacrebleu's for the same options.

    Args:
        hyps: ``hyps[s][i]``: segment i of system s.
        refs: ``refs[k][i]``: k-th reference of segment i (several references allowed).
        metrics: names among "bleu", "chrf", "ter", "sim".
        src: source segments (needed for reference-free ``sim``).
        names: system names (default sacrebleu's "System 1", ...).
        setup: metric options, encoder and calibrator.

    Raises:
        InputError: streams of different lengths. ConfigError: a metric cannot be built.
    """
    setup = setup or ScoreSetup()
    check_streams(hyps, refs, src)
    sys_names = system_names(len(hyps), names)
    built = build_metrics(metrics, refs, src, setup)
    out = []
    for name, system in zip(sys_names, hyps, strict=True):
        scores = tuple(
            to_metric_score(key, m.corpus_score(list(system), None), m) for key, m in built.items()
        )
        out.append(SystemScore(name, scores))
    return out


def score_sentences(
    hyps: Sequence[Sequence[str]],
    refs: Sequence[Sequence[str]],
    metrics: Sequence[str],
    src: Sequence[str] | None = None,
    *,
    names: Sequence[str] | None = None,
    setup: ScoreSetup | None = None,
) -> list[SegmentScore]:
    """Per-segment scores (sacrebleu ``sentence_score``; BLEU uses effective order, as sacrebleu's
    CLI does in sentence mode), system by system; ``qe`` is filled when ``src`` and an encoder
    are given. Arguments as :func:`score_corpus`."""
    from driftscope.score.qe import estimate_with_risks

    setup = setup or ScoreSetup()
    n = check_streams(hyps, refs, src)
    sys_names = system_names(len(hyps), names)
    built = build_metrics(metrics, refs, src, setup, sentence_level=True)
    out: list[SegmentScore] = []
    for name, system in zip(sys_names, hyps, strict=True):
        per_metric: list[list[MetricScore]] = []
        for key, m in built.items():
            if key == "sim":
                stats = m._extract_corpus_statistics(list(system), None)
                scores = [m._compute_score_from_stats(s) for s in stats]
            else:
                scores = [m.sentence_score(system[i], [r[i] for r in refs]) for i in range(n)]
            per_metric.append([to_metric_score(key, s, m) for s in scores])
        qe = risks = None
        if src is not None and setup.encoder is not None:
            qe, risks = estimate_with_risks(src, system, setup.encoder,
                                            calibrator=setup.calibrator)  # fmt: skip
        for i in range(n):
            seg_scores = tuple(col[i] for col in per_metric)
            hal, om, det = (None, None, None) if risks is None else (
                float(risks["hallucination"][i]), float(risks["omission"][i]),
                float(risks["detached"][i]))  # fmt: skip
            q = None if qe is None else float(qe[i])
            out.append(SegmentScore(name, i, seg_scores, q, hal, om, det))
    return out
