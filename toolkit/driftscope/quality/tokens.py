"""Token-level support, SimAlign style: which target words have a counterpart in the source.

A sentence-transformers model built on a BERT-like encoder (the offline multilingual-e5-small
folder) yields contextual token vectors. For each target *word* (sub-word pieces merged by
character offsets) the support is the mean over its pieces of the best cosine to any source
piece. Cosine levels differ per model and per language pair, so a word's support is judged
against (a) the same word's best cosine to *random* source sentences of the document, and
(b) the other words of the document: ``calibrated = (support - random) / (typical - random)``,
where ``typical`` is the median gap over all words of the document. 1 is a normally supported
word, 0 a word no better supported by its source than by an unrelated sentence.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from driftscope.embed.pieces import piece_spans


@dataclass(frozen=True, slots=True)
class TokenVectors:
    """Contextual vectors of one text.

    Attributes:
        text: the text as embedded (no prompt).
        spans: half-open character spans of the pieces in ``text``, one per row of ``vecs``.
        vecs: (m, d) float32 unit rows, special and prompt tokens removed.
    """

    text: str
    spans: tuple[tuple[int, int], ...]
    vecs: np.ndarray


@dataclass(frozen=True, slots=True)
class WordSupport:
    """Support of one target word by its source sentence."""

    start: int
    end: int
    text: str
    support: float  # mean best cosine of its pieces to the source pieces
    random: float  # the same against random source sentences (mean)
    calibrated: float  # (support - random) / document-typical gap; ~1 normal, <= 0 unsupported
    generic: bool = False  # random support above the document's GENERIC quantile (a hub word)


# Hidden layers whose token vectors are mixed (of 12 in e5-small). SimAlign found middle layers
# best for word alignment; on the bundled corpus layer 4 (lexical) plus layer 10 (contextual)
# ranked the gold mistranslations lowest, and the final layer (tuned for sentence pooling)
# worst. Each layer is unit-normalised and scaled by 1/sqrt(len(LAYERS)), so the cosine of
# the concatenation is the mean of the per-layer cosines.
LAYERS = (4, 10)


def embed_tokens(
    model: Any,
    texts: Sequence[str],
    prompt: str = "",
    batch_size: int = 16,
    layers: Sequence[int] = LAYERS,
) -> list[TokenVectors]:
    """Contextual token vectors from a loaded ``SentenceTransformer`` (BertModel-based).

    Args:
        model: a ``sentence_transformers.SentenceTransformer`` whose first module is a
            Transformer (``auto_model``) with a fast tokenizer (offset mapping).
        texts: n texts; ``prompt`` is prepended for the model and its pieces dropped again.
        layers: hidden layers to mix (0 = embeddings, 12 = last of e5-small).
    Returns:
        n :class:`TokenVectors`, pieces without special tokens, rows unit-normalised,
        float32 of width ``len(layers) * hidden``.
    """
    import torch

    tok = model.tokenizer
    bert = model[0].auto_model
    max_len = int(getattr(model, "max_seq_length", 512) or 512)
    out: list[TokenVectors] = []
    scale = 1.0 / np.sqrt(len(layers))
    for start in range(0, len(texts), batch_size):
        chunk = list(texts[start : start + batch_size])
        enc = tok(
            [prompt + t for t in chunk],
            return_offsets_mapping=True,
            padding=True,
            truncation=True,
            max_length=max_len,
            return_tensors="pt",
        )
        offsets = enc.pop("offset_mapping").tolist()
        with torch.inference_mode():
            hs = bert(**enc, output_hidden_states=True).hidden_states
        mask = enc["attention_mask"].tolist()
        for r, text in enumerate(chunk):
            # padding rows are masked; give them an empty span so piece_spans drops them
            offs = [o if mask[r][k] else (0, 0) for k, o in enumerate(offsets[r])]
            keep, spans = piece_spans(text, offs, len(prompt))
            parts = []
            for layer in layers:
                v = hs[layer][r, keep].float().numpy().astype(np.float64)
                v /= np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-9)
                parts.append(v * scale)
            vecs = np.concatenate(parts, axis=1).astype(np.float32)
            out.append(TokenVectors(text, tuple(spans), vecs))
    return out


def _words(tv: TokenVectors) -> list[tuple[int, int, list[int]]]:
    """Merge pieces into words: a new word starts after whitespace or at punctuation."""
    words: list[tuple[int, int, list[int]]] = []
    for k, (a, b) in enumerate(tv.spans):
        glued = words and words[-1][1] == a and tv.text[a].isalnum()
        if glued and tv.text[words[-1][1] - 1].isalnum():
            s, _, ks = words[-1]
            words[-1] = (s, b, ks + [k])
        else:
            words.append((a, b, [k]))
    return words


def best_cosines(src: np.ndarray, tgt: np.ndarray) -> np.ndarray:
    """(m_tgt,) best cosine of each target piece to any source piece (0 if no source)."""
    if not len(src) or not len(tgt):
        return np.zeros(len(tgt))
    return (tgt.astype(np.float64) @ src.astype(np.float64).T).max(axis=1)


def coverage(src: TokenVectors, tgt: TokenVectors) -> tuple[float, float]:
    """(mean best cosine of target pieces to the source, of source pieces to the target)."""
    if not len(src.vecs) or not len(tgt.vecs):
        return 0.0, 0.0
    sim = tgt.vecs.astype(np.float64) @ src.vecs.astype(np.float64).T
    return float(sim.max(axis=1).mean()), float(sim.max(axis=0).mean())


# A word whose best cosine to random source sentences is above this quantile of the
# document's words matches almost any sentence (a hub: "will", "said", "this"). Its counterpart
# is a function word the source may leave implicit (Vietnamese marks no tense), so a gap below
# zero says little; the flag rules keep such a word at low severity.
GENERIC = 0.9


def word_support(
    pairs: Sequence[tuple[TokenVectors, TokenVectors]],
    rng: np.random.Generator,
    n_random: int = 4,
) -> list[list[WordSupport]]:
    """Per target word, support by its own source against random sources of the same document.

    Args:
        pairs: (source, target) token vectors of the aligned segments of one document.
        rng: draws the random source sentences (explicit, for reproducibility).
        n_random: random sources per pair (fewer when the document is shorter).
    Returns:
        One list of :class:`WordSupport` per pair, words in target order. Punctuation-only
        words are skipped.
    """
    n = len(pairs)
    raw: list[list[tuple[int, int, float, float]]] = []
    for i, (s, t) in enumerate(pairs):
        own = best_cosines(s.vecs, t.vecs)
        others = [j for j in range(n) if j != i]
        pick: np.ndarray | list[int] = rng.permutation(others)[:n_random] if others else []
        if len(pick):
            rnd = np.mean([best_cosines(pairs[j][0].vecs, t.vecs) for j in pick], axis=0)
        else:
            rnd = np.full(len(own), np.nan)
        row = []
        for a, b, ks in _words(t):
            if not any(ch.isalnum() for ch in t.text[a:b]):
                continue
            row.append((a, b, float(own[ks].mean()), float(np.mean(rnd[ks]))))
        raw.append(row)
    gaps = [sup - rnd for row in raw for _, _, sup, rnd in row if rnd == rnd]
    typical = float(np.median(gaps)) if gaps else 1.0
    typical = max(typical, 1e-3)
    rnds = [rnd for row in raw for _, _, _, rnd in row if rnd == rnd]
    hub = float(np.quantile(rnds, GENERIC)) if rnds else float("inf")
    out = []
    for (_, t), row in zip(pairs, raw, strict=True):
        out.append(
            [
                WordSupport(
                    a,
                    b,
                    t.text[a:b],
                    sup,
                    rnd,
                    (sup - rnd) / typical if rnd == rnd else float("nan"),
                    rnd > hub,
                )
                for a, b, sup, rnd in row
            ]
        )
    return out


def source_alignment(src: TokenVectors, tgt: TokenVectors) -> tuple[float, float]:
    """How much of the source a target expresses, from mutual-argmax word alignment.

    SimAlign's *argmax* alignment: source piece j and target piece i are aligned when each is
    the other's most similar piece. A source word is aligned when any of its pieces is.

    Returns:
        (share of source word characters aligned, longest run of consecutive unaligned source
        words as a share of the source word characters). An omitted clause leaves a long
        unaligned run; paraphrase leaves scattered gaps. (0, 0) when either side is empty.
    """
    if not len(src.vecs) or not len(tgt.vecs):
        return 0.0, 0.0
    sim = tgt.vecs.astype(np.float32) @ src.vecs.astype(np.float32).T  # (m_tgt, m_src)
    best_t = sim.argmax(axis=1)
    best_s = sim.argmax(axis=0)
    piece_ok = best_t[best_s] == np.arange(sim.shape[1])  # (m_src,) mutual best
    words = [(a, b, ks) for a, b, ks in _words(src) if any(c.isalnum() for c in src.text[a:b])]
    if not words:
        return 0.0, 0.0
    ok = np.array([bool(piece_ok[ks].any()) for _, _, ks in words])
    size = np.array([b - a for a, b, _ in words], np.float64)
    run = longest = 0.0
    for aligned, n_chars in zip(ok, size, strict=True):
        run = 0.0 if aligned else run + n_chars
        longest = max(longest, run)
    total = float(size.sum())
    return float(size[ok].sum()) / total, longest / total
