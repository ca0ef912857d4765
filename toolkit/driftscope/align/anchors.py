"""Lexical anchors: numbers and shared name-like tokens as bags per segment. numpy only.

Hunalign and Bleualign trust tokens that survive translation unchanged: numbers, names,
codes. Here an *anchor* is a token that occurs on **both** sides of the document pair, so the
rule needs no language knowledge and no threshold fitted to a corpus:

* numbers (``\\d+`` with ``.``/``,``/apostrophe groups), normalised so that ``8839,8`` and
  ``8839.8`` agree and thousands separators vanish (``1.000``, ``1,000``, ``1'000`` -> ``1000``);
* capitalised words of at least :data:`MIN_WORD` letters, casefolded and accent-stripped
  (``Everest``, ``Kangchendzönga``/``Kangchendzonga``, ``Expedition``/``Expédition``); lower-case
  words are left out (measured: common words such as "route" then penalise true pairs).

Words that never occur on the other side (German nouns, everything in another script) are
dropped, as are tokens of one side only. Each remaining token gets an idf weight
``log(1 + N / df)`` (N segments in both documents, df segments containing it), so a date that
recurs everywhere counts little and a rare name a lot. A bead's anchor cost is 1 minus the cosine
of the idf-weighted bags of its two spans (:data:`ONE_SIDED` when one span has none, 0 when
neither has any; see :func:`anchor_cost`): when two neighbouring
beads have swapped their numbers, only the merged bead gets them all, which pushes the
aligner to merge.
"""

from __future__ import annotations

import re
import unicodedata
import zlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

MIN_WORD = 4
"""Shortest word (in letters) that can be an anchor: shorter ones are mostly function words."""

MAX_DIMS = 256
"""Anchor vocabularies larger than this are hashed (crc32) into this many dimensions."""

ONE_SIDED = 0.5
"""Anchor cost of a bead with anchors on one side only: weaker evidence than two disagreeing
bags (1), since a translation may spell a number out or drop a name."""

_TOKEN = re.compile(r"\d+(?:[.,'\u2019]\d+)*|[^\W\d_]+")


def _number(tok: str) -> str:
    """Normalise a digit token: thousands groups joined, the last other separator -> ``.``."""
    groups = re.split(r"[.,'\u2019]", tok)
    if len(groups) == 1:
        return tok
    if all(len(g) == 3 for g in groups[1:]):
        return "".join(groups)
    return "".join(groups[:-1]) + "." + groups[-1]


def _fold(word: str) -> str:
    """Casefold and strip accents (NFKD without combining marks)."""
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def segment_anchors(text: str) -> list[str]:
    """Candidate anchor tokens of one segment, in order (numbers normalised, words folded).

    >>> segment_anchors("Mittelwert von 8839,8 m für Kangchendzönga")
    ['mittelwert', '8839.8', 'kangchendzonga']
    """
    out: list[str] = []
    for tok in _TOKEN.findall(text):
        if tok[0].isdigit():
            out.append(_number(tok))
        elif len(tok) >= MIN_WORD and tok[0].isupper():
            out.append(_fold(tok))
    return out


@dataclass(frozen=True, slots=True)
class AnchorBags:
    """Cumulative anchor counts of both sides of a document pair.

    ``src`` (n + 1, V) int32: row e holds the counts of segments 0 .. e-1 per anchor dimension
    (so the bag of segments a .. e-1 is ``src[e] - src[a]``); ``tgt`` (m + 1, V) the same for
    the target; ``idf`` (V,) float32 weight of each dimension. V >= 1 (a zero-weight dummy
    dimension when nothing is shared).
    """

    src: np.ndarray
    tgt: np.ndarray
    idf: np.ndarray

    @property
    def n_shared(self) -> int:
        """Dimensions with a non-zero weight."""
        return int(np.count_nonzero(self.idf))


def anchor_bags(
    src_texts: Sequence[str], tgt_texts: Sequence[str], max_dims: int = MAX_DIMS
) -> AnchorBags:
    """Anchor bags of two segmented documents (tokens found on both sides only)."""
    src_toks = [segment_anchors(t) for t in src_texts]
    tgt_toks = [segment_anchors(t) for t in tgt_texts]
    df: Counter[str] = Counter()
    for toks in (*src_toks, *tgt_toks):
        df.update(set(toks))
    shared = sorted({t for ts in src_toks for t in ts} & {t for ts in tgt_toks for t in ts})
    dims = max(1, min(len(shared), max_dims))
    if len(shared) <= max_dims:
        index = {tok: k for k, tok in enumerate(shared)}
    else:
        index = {tok: zlib.crc32(tok.encode("utf-8")) % dims for tok in shared}
    idf = np.zeros(dims, np.float64)
    n_seg = len(src_texts) + len(tgt_texts)
    for tok in shared:  # hashed collisions keep the largest weight
        idf[index[tok]] = max(idf[index[tok]], np.log1p(n_seg / df[tok]))

    def cumulative(toks: list[list[str]]) -> np.ndarray:
        counts = np.zeros((len(toks) + 1, dims), np.int32)
        for i, ts in enumerate(toks):
            for tok in ts:
                if tok in index:
                    counts[i + 1, index[tok]] += 1
        return np.cumsum(counts, axis=0, dtype=np.int32)

    return AnchorBags(cumulative(src_toks), cumulative(tgt_toks), idf.astype(np.float32))


def anchor_cost(bags: AnchorBags, rows: np.ndarray, n: int, c: np.ndarray, m: int) -> np.ndarray:
    """``1 - cosine`` of the idf-weighted anchor bags of beads (n, m) ending at (rows, c).

    Args:
        rows: (r,) int source end nodes (``>= n``); c: (r, w) int target end nodes, clipped
            into ``0 .. n_tgt`` (entries with ``c < m`` are garbage and must be masked by the
            caller).
    Returns:
        (r, w) float64 in [0, 1]: 0 where the bags agree exactly or where neither span has
        an anchor, 1 where both have anchors but share none, :data:`ONE_SIDED` where only
        one span has anchors.
    """
    a = ((bags.src[rows] - bags.src[rows - n]) * bags.idf).astype(np.float32)  # (r, V)
    c_lo, c_hi = int(c.min()), int(c.max()) + 1
    cols = np.arange(c_lo, c_hi)
    b = ((bags.tgt[cols] - bags.tgt[np.maximum(cols - m, 0)]) * bags.idf).astype(np.float32)
    na, nb = np.linalg.norm(a, axis=1), np.linalg.norm(b, axis=1)  # (r,), (C,)
    ra, cb = np.flatnonzero(na > 0), np.flatnonzero(nb > 0)
    cos = np.zeros((len(rows), c_hi - c_lo), np.float32)  # only spans with anchors multiply
    if len(ra) and len(cb):
        sub = (a[ra] / na[ra, None]) @ (b[cb] / nb[cb, None]).T
        cos[np.ix_(ra, cb)] = sub
    cos = np.take_along_axis(cos, c - c_lo, axis=1).astype(np.float64)
    has_a, has_b = (na > 0)[:, None], (nb > 0)[c - c_lo]
    one = np.where(has_a | has_b, ONE_SIDED, 0.0)
    return np.where(has_a & has_b, 1.0 - np.clip(cos, 0.0, 1.0), one)


def reverse_bags(bags: AnchorBags) -> AnchorBags:
    """The bags of both documents read backwards (node e becomes n - e)."""
    return AnchorBags(bags.src[-1] - bags.src[::-1], bags.tgt[-1] - bags.tgt[::-1], bags.idf)


def slice_bags(bags: AnchorBags, a0: int, a1: int, b0: int, b1: int) -> AnchorBags:
    """Source nodes a0..a1 and target nodes b0..b1 (differences stay valid)."""
    return AnchorBags(bags.src[a0 : a1 + 1], bags.tgt[b0 : b1 + 1], bags.idf)
