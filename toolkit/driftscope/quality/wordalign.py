"""Word-level views of token vectors: joined beads, word spans, the words a span aligns to.

Layer: flag stage (numpy and :mod:`driftscope.quality.tokens` only). The alignment is
SimAlign's argmax: each piece of a source span goes to its most similar target piece.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from driftscope.quality.mention import Mention
from driftscope.quality.names import WORD_RE
from driftscope.quality.tokens import TokenVectors


def concat_tokens(parts: Sequence[TokenVectors]) -> TokenVectors:
    """The token vectors of texts joined with one space (a bead's segments), spans shifted."""
    if len(parts) == 1:
        return parts[0]
    spans: list[tuple[int, int]] = []
    pos, texts = 0, []
    for p in parts:
        spans += [(a + pos, b + pos) for a, b in p.spans]
        texts.append(p.text)
        pos += len(p.text) + 1
    vecs = np.concatenate([p.vecs for p in parts]) if parts else np.zeros((0, 1), np.float32)
    return TokenVectors(" ".join(texts), tuple(spans), vecs)


def word_spans(text: str) -> list[tuple[int, int]]:
    """Half-open spans of the words of ``text`` (:data:`driftscope.quality.names.WORD_RE`)."""
    return [(m.start(), m.end()) for m in WORD_RE.finditer(text)]


def _pieces(tv: TokenVectors, start: int, end: int) -> list[int]:
    """Rows of ``tv`` whose pieces overlap the character span ``start:end``."""
    return [k for k, (a, b) in enumerate(tv.spans) if a < end and b > start]


def aligned_words(
    src: TokenVectors, tgt: TokenVectors, start: int, end: int, tgt_words: Sequence[tuple]
) -> list[int]:
    """Indices of the target words that the source span ``start:end``'s pieces align to.

    Args:
        src, tgt: token vectors of the two texts, (m, d) float32 unit rows each.
        tgt_words: (start, end) of each target word in ``tgt.text`` (:func:`word_spans`).
    Returns:
        Sorted word indices (empty when the span covers no piece or the target has none).
    """
    rows = _pieces(src, start, end)
    if not rows or not len(tgt.vecs):
        return []
    sim = src.vecs[rows].astype(np.float32) @ tgt.vecs.astype(np.float32).T
    hit: set[int] = set()
    for k in sim.argmax(axis=1).tolist():
        a, b = tgt.spans[k]
        hit.update(i for i, (s, e) in enumerate(tgt_words) if s < b and e > a)
    return sorted(hit)


def echoed(src: TokenVectors, tgt: TokenVectors, first: Mention, second: Mention) -> bool:
    """Whether a repeated target phrase is said twice in the source too: most pieces of the
    repeat align to source pieces that the first occurrence's pieces do not (a faithful
    repetition), where a loop's copy aligns where the first one does.

    SimAlign's argmax from each target piece of either span to its most similar source piece.
    """
    r1, r2 = _pieces(tgt, first.start, first.end), _pieces(tgt, second.start, second.end)
    if not r1 or not r2 or not len(src.vecs):
        return False
    best = (tgt.vecs[r1 + r2].astype(np.float32) @ src.vecs.astype(np.float32).T).argmax(axis=1)
    seen = set(best[: len(r1)].tolist())
    shared = sum(k in seen for k in best[len(r1) :].tolist())
    return shared < len(r2) / 2
