"""Metric options and construction of sacrebleu metrics. Score layer: errors, numpy, sacrebleu.

The options mirror sacrebleu's CLI flags one to one, so that the same options give the same
scores and the same signatures as ``sacrebleu`` itself. sacrebleu is imported lazily (only when
a metric is built) to keep ``import driftscope`` light.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from driftscope.errors import ConfigError

log = logging.getLogger(__name__)

METRIC_NAMES = ("bleu", "chrf", "ter", "sim")
SMOOTH_METHODS = ("none", "floor", "add-k", "exp")
TOKENIZERS = (
    "none", "zh", "13a", "intl", "char", "ja-mecab", "ko-mecab", "spm", "flores101",
    "flores200", "spBLEU-1K",
)  # fmt: skip
# sacrebleu picks these tokenizers from the target language when none is given.
LANG_TOKENIZERS = {"zh": "zh", "ja": "ja-mecab", "ko": "ko-mecab"}
_TOKENIZER_DEPS = {"ja-mecab": "MeCab", "ko-mecab": "mecab_ko"}


@dataclass(frozen=True, slots=True)
class MetricOptions:
    """sacrebleu metric options (defaults are sacrebleu's CLI defaults).

    ``trg_lang`` is what sacrebleu's ``-l src-tgt`` sets: with no ``tokenize`` it selects
    ``zh``/``ja-mecab``/``ko-mecab`` for zh/ja/ko targets, as sacrebleu does.
    """

    tokenize: str | None = None
    lowercase: bool = False
    force: bool = False
    smooth_method: str = "exp"
    smooth_value: float | None = None
    effective_order: bool = False
    trg_lang: str = ""
    chrf_char_order: int = 6
    chrf_word_order: int = 0
    chrf_beta: int = 2
    chrf_whitespace: bool = False
    chrf_lowercase: bool = False
    chrf_eps_smoothing: bool = False
    ter_case_sensitive: bool = False
    ter_asian_support: bool = False
    ter_no_punct: bool = False
    ter_normalized: bool = False

    def __post_init__(self) -> None:
        if self.tokenize is not None and self.tokenize not in TOKENIZERS:
            raise ConfigError(f"unknown tokenizer {self.tokenize!r} (choose from {TOKENIZERS})")
        if self.smooth_method not in SMOOTH_METHODS:
            raise ConfigError(f"unknown smooth method {self.smooth_method!r}")
        if self.chrf_char_order < 0 or self.chrf_word_order < 0 or self.chrf_beta < 0:
            raise ConfigError("chrF orders and beta must be >= 0")
        if self.chrf_char_order == 0 and self.chrf_word_order == 0:
            raise ConfigError("chrF needs a character or a word order > 0")

    def bleu_tokenizer(self) -> str:
        """The tokenizer sacrebleu's BLEU will use for these options."""
        if self.tokenize is not None:
            return self.tokenize
        return LANG_TOKENIZERS.get(self.trg_lang, "13a")


def validate_metrics(names: Sequence[str]) -> tuple[str, ...]:
    """Lower-case, de-duplicate (order kept) and check metric names."""
    out: list[str] = []
    for name in names:
        key = name.lower()
        if key not in METRIC_NAMES:
            raise ConfigError(f"unknown metric {name!r} (choose from {', '.join(METRIC_NAMES)})")
        if key not in out:
            out.append(key)
    if not out:
        raise ConfigError("no metric given")
    return tuple(out)


def tokenizer_available(name: str) -> bool:
    """Whether the optional package a tokenizer needs (MeCab for ja/ko) is installed."""
    dep = _TOKENIZER_DEPS.get(name)
    if dep is None:
        return True
    try:
        importlib.import_module(dep)
    except ImportError:
        return False
    return True


def build_sacrebleu_metric(
    name: str,
    opts: MetricOptions,
    refs: Sequence[Sequence[str]] | None = None,
    *,
    sentence_level: bool = False,
) -> Any:
    """Build sacrebleu's BLEU, CHRF or TER exactly as the sacrebleu CLI does.

    Args:
        name: "bleu", "chrf" or "ter".
        opts: the options (sacrebleu's CLI flags).
        refs: reference streams ``refs[k][i]`` (k-th reference of segment i); cached in the
            metric like the sacrebleu CLI does, which fixes ``nrefs`` in the signature.
        sentence_level: sacrebleu's CLI turns BLEU's effective order on in sentence mode.

    Raises:
        ConfigError: a tokenizer needs a package that is not installed, or a bad option.
    """
    from sacrebleu.metrics import BLEU, CHRF, TER

    cached = [list(r) for r in refs] if refs is not None else None
    try:
        if name == "bleu":
            tok = opts.bleu_tokenizer()
            if not tokenizer_available(tok):
                raise ConfigError(
                    f"BLEU tokenizer {tok!r} needs the '{_TOKENIZER_DEPS[tok]}' package "
                    f"(pip install 'sacrebleu[{tok.split('-')[0]}]'), or choose --tokenize"
                )
            return BLEU(
                lowercase=opts.lowercase,
                force=opts.force,
                tokenize=opts.tokenize,
                smooth_method=opts.smooth_method,
                smooth_value=opts.smooth_value,
                effective_order=opts.effective_order or sentence_level,
                trg_lang=opts.trg_lang,
                references=cached,
            )
        if name == "chrf":
            return CHRF(
                char_order=opts.chrf_char_order,
                word_order=opts.chrf_word_order,
                beta=opts.chrf_beta,
                lowercase=opts.chrf_lowercase,
                whitespace=opts.chrf_whitespace,
                eps_smoothing=opts.chrf_eps_smoothing,
                references=cached,
            )
        if name == "ter":
            return TER(
                normalized=opts.ter_normalized,
                no_punct=opts.ter_no_punct,
                asian_support=opts.ter_asian_support,
                case_sensitive=opts.ter_case_sensitive,
                references=cached,
            )
    except (ImportError, RuntimeError) as err:
        raise ConfigError(f"cannot build {name}: {err}") from err
    raise ConfigError(f"not a sacrebleu metric: {name!r}")
