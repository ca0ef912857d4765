"""Paired significance tests against the first system, exactly as sacrebleu computes them.

Score layer: numpy, sacrebleu, the score subpackage. Paired bootstrap resampling (``bs``) and
approximate randomisation (``ar``) run sacrebleu's own ``_paired_bs_test``/``_paired_ar_test``
on every metric, ``sim`` included (per-segment sufficient statistics, mean aggregate). The only
change from ``sacrebleu.significance.PairedTest`` is where the seed comes from: an argument
instead of the ``SACREBLEU_SEED`` environment variable (and seed 0 means 0, where sacrebleu
would silently turn it into an unseeded run).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from driftscope.errors import ConfigError
from driftscope.score.corpus import ScoreSetup, build_metrics, check_streams, system_names

DEFAULT_SAMPLES = {"ar": 10000, "bs": 1000}  # sacrebleu's defaults
DEFAULT_SEED = 12345  # sacrebleu's default SACREBLEU_SEED


@dataclass(frozen=True, slots=True)
class PairedConfig:
    """Test type ("bs" or "ar"), resamples/trials (0: sacrebleu default), seed (None: OS
    entropy), and AR's bootstrap CI resamples (-1 off, 0 default 1000) as in sacrebleu."""

    test: str = "bs"
    n_samples: int = 0
    seed: int | None = DEFAULT_SEED
    n_ar_confidence: int = -1

    def __post_init__(self) -> None:
        if self.test not in DEFAULT_SAMPLES:
            raise ConfigError(f"unknown paired test {self.test!r} (choose 'bs' or 'ar')")
        if self.n_samples < 0:
            raise ConfigError(f"number of samples must be >= 0, got {self.n_samples}")

    @property
    def samples(self) -> int:
        return self.n_samples if self.n_samples > 0 else DEFAULT_SAMPLES[self.test]

    @property
    def ar_confidence(self) -> int:
        return self.n_ar_confidence if self.n_ar_confidence != 0 else DEFAULT_SAMPLES["bs"]


@dataclass(frozen=True, slots=True)
class TestResult:
    """sacrebleu's ``significance.Result``: score, p-value against the baseline (None for the
    baseline), bootstrap mean and 95% CI half-width (None when not estimated)."""

    score: float
    p_value: float | None = None
    mean: float | None = None
    ci: float | None = None


@dataclass(frozen=True, slots=True)
class PairedResults:
    """Results table: ``results[score_name][s]`` for system s (0 is the baseline)."""

    test: str
    n_samples: int
    seed: int | None
    systems: tuple[str, ...]  # the first is "Baseline: <name>", as sacrebleu prints it
    results: Mapping[str, tuple[TestResult, ...]]
    signatures: Mapping[str, str]
    signatures_short: Mapping[str, str]


def bootstrap_scores(stats: Any, metric: Any, n_samples: int, seed: int | None) -> np.ndarray:
    """sacrebleu's ``_bootstrap_resample`` with an explicit seed: (n_samples,) float64 scores."""
    rng = np.random.default_rng(seed)
    idxs = rng.choice(len(stats), size=(n_samples, len(stats)), replace=True)
    stats_np = np.array(stats, dtype="float32")
    return np.array([metric._compute_score_from_stats(s.sum(0)).score for s in stats_np[idxs]])


def paired_test(
    hyps: Sequence[Sequence[str]],
    refs: Sequence[Sequence[str]],
    metrics: Sequence[str],
    src: Sequence[str] | None = None,
    *,
    names: Sequence[str] | None = None,
    config: PairedConfig | None = None,
    setup: ScoreSetup | None = None,
) -> PairedResults:
    """Compare every system with the first one (the baseline), as ``sacrebleu --paired-bs`` or
    ``--paired-ar`` does. Arguments as :func:`driftscope.score.score_corpus`.

    Raises:
        ConfigError: fewer than two systems, or a bad option.
    """
    from sacrebleu.significance import Result, _paired_ar_test, _paired_bs_test, estimate_ci

    cfg = config or PairedConfig()
    setup = setup or ScoreSetup()
    if len(hyps) < 2:
        raise ConfigError("paired tests need at least two systems (-i BASELINE SYSTEM ...)")
    check_streams(hyps, refs, src)
    sys_names = system_names(len(hyps), names)
    sys_names[0] = f"Baseline: {sys_names[0]}"
    n, seed = cfg.samples, cfg.seed
    built = build_metrics(metrics, refs, src, setup)

    baseline: dict[str, tuple[Any, Any]] = {}
    by_name: dict[str, Any] = {}
    sigs: dict[str, Any] = {}
    for metric in built.values():
        bl_stats = metric._extract_corpus_statistics(list(hyps[0]), None)
        bl_score = metric._aggregate_and_compute(bl_stats)
        conf_n = n if cfg.test == "bs" else cfg.ar_confidence
        mean = ci = None
        if conf_n > 0:
            mean, ci = estimate_ci(bootstrap_scores(bl_stats, metric, conf_n, seed))
        baseline[bl_score.name] = (bl_stats, Result(bl_score.score, mean=mean, ci=ci))
        by_name[bl_score.name] = metric
        sig = metric.get_signature()
        sig.update("seed", str(seed).lower())
        sig.update(cfg.test, n)
        if cfg.ar_confidence > 0:
            sig.update("bs", cfg.ar_confidence)
        sigs[bl_score.name] = sig

    fn = _paired_bs_test if cfg.test == "bs" else _paired_ar_test
    table: dict[str, list[TestResult]] = {k: [_freeze(r)] for k, (_, r) in baseline.items()}
    for name, system in zip(sys_names[1:], hyps[1:], strict=True):
        _, res = fn(baseline, name, list(system), None, by_name, n, cfg.n_ar_confidence, seed)
        for key, r in res.items():
            table[key].append(_freeze(r))
    return PairedResults(
        test=cfg.test,
        n_samples=n,
        seed=seed,
        systems=tuple(sys_names),
        results={k: tuple(v) for k, v in table.items()},
        signatures={k: s.format(False) for k, s in sigs.items()},
        signatures_short={k: s.format(True) for k, s in sigs.items()},
    )


def _freeze(r: Any) -> TestResult:
    def f(x: Any) -> float | None:
        return None if x is None else float(x)

    return TestResult(float(r.score), f(r.p_value), f(r.mean), f(r.ci))
