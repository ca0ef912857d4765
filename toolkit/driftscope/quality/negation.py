"""Negation on one side of a bead and not on the other: a meaning reversal. Stage layer.

Sentence embeddings hardly see negation ("dependent" and "not dependent" are near
neighbours), so a reversed statement keeps a typical similarity. This module finds negation
cues (word lists per language: en, ru, vi, de, fr, zh; function words, not known errors),
groups cues of one clause into one negation (Russian and French negative concord: "никто не",
"ne ... pas"), and compares the two sides. With as many negations on both, nothing is
reported (a restructured negation: "не допустить" / "ngăn", prevent). Otherwise the side with
more is checked:

* with token vectors, each of its negations is matched when a word of its scope (the two
  words after the cue) aligns to a word of the other side that is itself negated (a cue
  within :data:`SCOPE` words before it) or carries a negative affix ("independent" for
  "не зависит"); each unmatched one is a :class:`Reversal`;
* without them, the first of its negations is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from driftscope.quality.mention import Mention
from driftscope.quality.tokens import TokenVectors
from driftscope.quality.wordalign import aligned_words, word_spans

SCOPE = 4  # words after a cue that it negates; a cue this close to another is the same negation

_CUES: dict[str, frozenset[str]] = {
    "en": frozenset(
        "not no never nobody none nothing neither nor nowhere without cannot n't".split()
    ),
    "ru": frozenset(
        "не нет ни никогда никто ничто ничего никого никому ничем нигде никуда никак никакой "
        "никакая никакое никакие никаких никакого ниоткуда нельзя без отнюдь вряд".split()
    ),
    "vi": frozenset("không chẳng chả chưa đừng chớ".split()),
    "de": frozenset(
        "nicht kein keine keinen keinem keiner keines nie niemals niemand nichts nirgends "
        "weder ohne".split()
    ),
    "fr": frozenset("ne n' pas jamais rien aucun aucune sans ni nullement".split()),
}
# Chinese is unspaced: single-character cues, minus the words in which they do not negate
# (不过 "but", 非常 "very", 未来 "future", ...: its entry in _NOT_NEGATING).
_ZH_CUES = "不没沒无無非未别莫勿"
# Vietnamese "không" is also "air/space" in compounds (không khí, phòng không "air defence",
# hàng không "aviation") and a yes/no question particle at a clause end.
_VI_NOT_NEXT = frozenset("khí gian quân kích phận trung lưu ảnh".split())
_VI_NOT_PREV = frozenset("phòng hàng".split())
# Words and set phrases in which a cue does not negate: "not only X (but Y)" asserts X,
# "тем не менее" is "nevertheless", "не раз" "more than once", "не нужна ли" an indirect
# question ("whether ... is needed"), "не исключено" a litotes (possible), "chẳng hạn" "for
# example", "không sớm thì muộn" "sooner or later", "ne mange que" (eats only: French
# restriction, not negation), "No. 1" a number sign; Chinese words (above).
_NOT_NEGATING: dict[str, re.Pattern[str]] = {
    "zh": re.compile(
        "不过|不過|不断|不斷|不少|不久|不仅|不僅|不但|不同|非常|无论|無論|未来|未來|别人|莫斯科"
    ),
    "en": re.compile(r"\bnot only\b|\bno\.\s?\d", re.IGNORECASE),
    "ru": re.compile(
        r"\bне только\b|\bтем не менее\b|\bне раз\b|\bне \w+ ли\b|\bне исключ\w*", re.IGNORECASE
    ),
    "vi": re.compile(
        r"\bkhông (?:chỉ|những)\b|\bchẳng hạn\b|\bkhông sớm thì muộn\b", re.IGNORECASE
    ),
    "de": re.compile(r"\bnicht nur\b", re.IGNORECASE),
    "fr": re.compile(r"\bnon seulement\b|\bne \w+ qu(?:e\b|')", re.IGNORECASE),
}
# Words negative by an affix (independent, незавиcимый, dépendance is not) and the
# Vietnamese syllables that negate the next one (vô điều kiện "unconditional").
_NEG_AFFIX = re.compile(r"^(?:un|in|im|il|ir|non|dis|без|бес|не|dés|ohne)\w{3,}", re.IGNORECASE)
_VI_NEG_PREFIX = frozenset("vô bất phi".split())
_AUX = frozenset("phải là có được bị hề còn be is are was were do does did have has had".split())


@dataclass(frozen=True, slots=True)
class Reversal:
    """A negation on one side with no counterpart on the other."""

    side: str  # "src" or "tgt": where the unmatched negation is
    cue: Mention  # the cue, span in that side's text
    src_count: int  # negations found in the source
    tgt_count: int
    other: tuple[int, int]  # the words of the other side its scope aligns to (or all of it)
    rendered: float = float("nan")  # rank of its scope's rendering (nan: no token vectors)


def _lang_key(lang: str) -> str:
    return lang.split("-")[0].lower()


def negations(text: str, lang: str) -> list[Mention]:
    """Negations of ``text``: the first cue of each group (``key`` = the cue, lower case)."""
    lg = _lang_key(lang)
    if lg == "zh":
        return _zh_negations(text)
    cues = _CUES.get(lg)
    if cues is None:
        return []
    spans = word_spans(text)
    low = [text[a:b].lower().replace("’", "'") for a, b in spans]
    phrases = _phrases(text, lg)
    out: list[Mention] = []
    last = -(10**6)
    for i, w in enumerate(low):
        hit = w in cues or (lg == "en" and w.endswith("n't")) or (lg == "fr" and w == "n")
        if lg == "vi" and w == "không":
            nxt = low[i + 1] if i + 1 < len(low) else ""
            prv = low[i - 1] if i else ""
            tail = text[spans[i][1] : spans[i + 1][0] if i + 1 < len(spans) else len(text)]
            hit = nxt not in _VI_NOT_NEXT and prv not in _VI_NOT_PREV and "?" not in tail
        if not hit or _inside(spans[i][0], phrases):
            continue
        if i - last > SCOPE:
            a, b = spans[i]
            out.append(Mention(w, text[a:b], a, b))
        last = i
    return out


def _phrases(text: str, lg: str) -> list[tuple[int, int]]:
    """Character spans of the words and set phrases of ``text`` whose cues do not negate."""
    pattern = _NOT_NEGATING.get(lg)
    return [m.span() for m in pattern.finditer(text)] if pattern else []


def _inside(at: int, spans: list[tuple[int, int]]) -> bool:
    return any(a <= at < b for a, b in spans)


def _zh_negations(text: str) -> list[Mention]:
    phrases = _phrases(text, "zh")
    out: list[Mention] = []
    last = -(10**6)
    for i, ch in enumerate(text):
        if ch in _ZH_CUES and not _inside(i, phrases):
            if i - last > SCOPE:
                out.append(Mention(ch, ch, i, i + 1))
            last = i
    return out


def _negated_words(text: str, lang: str, spans: list[tuple[int, int]]) -> set[int]:
    """Indices of the words of ``text`` inside a negation's scope, or negative by affix."""
    neg = negations(text, lang)
    out = set()
    for i, (a, b) in enumerate(spans):
        if _NEG_AFFIX.match(text[a:b]):
            out.add(i)
        elif i and text[spans[i - 1][0] : spans[i - 1][1]].lower() in _VI_NEG_PREFIX:
            out.add(i)
    for m in neg:
        first = next((i for i, (a, _) in enumerate(spans) if a >= m.start), len(spans))
        out.update(range(first, min(len(spans), first + SCOPE + 1)))
    return out


RENDERED = 0.5
"""A negation counts as lost only when its scope is rendered: the best cosine of the scope's
pieces to the other text ranks at least this high (quantile) among the text's own pieces. A
negation turned into an antonym ("не признавать" / "disregard", "не увенчались успехом" /
"ended in failure") aligns weakly and is left alone."""


def _rank(tv: TokenVectors, tv_other: TokenVectors, scope: list[tuple[int, int]]) -> float:
    """Share of the text's pieces whose best cosine to the other text is below the scope's."""
    rows = [k for k, (a, b) in enumerate(tv.spans) if any(a < e and b > s for s, e in scope)]
    if not rows or not len(tv_other.vecs):
        return 0.0
    best = (tv.vecs.astype(np.float32) @ tv_other.vecs.astype(np.float32).T).max(axis=1)
    return float((best < best[rows].max()).mean())


def _match(
    cue: Mention, text: str, other: str, other_lang: str, tv: TokenVectors, tv_other: TokenVectors
) -> tuple[bool, tuple[int, int], float]:
    """Whether a word of the cue's scope aligns to a negated word of the other text (or the
    scope is not clearly rendered there), the range of the other text's words the scope
    aligns to ((0, len) when none) and the rank of the scope's rendering (:func:`_rank`)."""
    spans = word_spans(text)
    o_spans = word_spans(other)
    negated = _negated_words(other, other_lang, o_spans)
    after = [
        (a, b)
        for a, b in spans
        if a >= cue.end and text[a:b].lower() not in _AUX and any(c.isalpha() for c in text[a:b])
    ][:2]
    hit: list[int] = []
    for a, b in after:
        hit += aligned_words(tv, tv_other, a, b, o_spans)
    where = (o_spans[min(hit)][0], o_spans[max(hit)][1]) if hit else (0, len(other))
    rank = _rank(tv, tv_other, after)
    return any(j in negated for j in hit) or rank < RENDERED, where, rank


def reversals(
    src: str,
    tgt: str,
    src_lang: str,
    tgt_lang: str,
    src_tokens: TokenVectors | None = None,
    tgt_tokens: TokenVectors | None = None,
) -> list[Reversal]:
    """Unmatched negations of a bead (empty when a language has no cue list).

    Args:
        src, tgt: the bead's texts; src_lang, tgt_lang: their languages (ISO 639-1).
        src_tokens, tgt_tokens: token vectors of exactly these texts, or None (counts only).
    """
    if _lang_key(src_lang) not in (*_CUES, "zh") or _lang_key(tgt_lang) not in (*_CUES, "zh"):
        return []
    ns, nt = negations(src, src_lang), negations(tgt, tgt_lang)
    if len(ns) == len(nt):  # same number: restructured at most ("не допустить" / "ngăn")
        return []
    side, more = ("src", ns) if len(ns) > len(nt) else ("tgt", nt)
    aligned = src_tokens is not None and tgt_tokens is not None
    aligned = aligned and src_tokens.text == src and tgt_tokens.text == tgt  # type: ignore[union-attr]
    if not aligned:
        return [Reversal(side, more[0], len(ns), len(nt), (0, len(tgt if side == "src" else src)))]
    assert src_tokens is not None and tgt_tokens is not None
    out = []
    for m in more:
        if side == "src":
            ok, where, rank = _match(m, src, tgt, tgt_lang, src_tokens, tgt_tokens)
        else:
            ok, where, rank = _match(m, tgt, src, src_lang, tgt_tokens, src_tokens)
        if not ok:
            out.append(Reversal(side, m, len(ns), len(nt), where, rank))
    return out
