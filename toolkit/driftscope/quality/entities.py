"""Names compared across a translation by what the model aligns them to. Stage layer.

A source name (:func:`driftscope.quality.names.find_entities`) counts as rendered when a
target word the token alignment puts it on (or, without token vectors, any target word)
spells the same name: equal transliterated skeletons (anyascii-based, see
:func:`driftscope.quality.names.translit`) after removing Russian case and adjective endings
(Хабаровского / Khabarovsk, Московском / Moscow), a target that extends the source stem
(Эстонскую / Estonian, Кавано / Kavanaugh: conventional spellings keep the sounds the
Cyrillic shows), or a fuzzy match (rapidfuzz ``ratio``; Франческо / Francesco,
Петербурге / St Petersburg). A name is *altered* when a target word cuts it short: the
target skeleton is a proper prefix of every source stem with three or more letters left
(Мясникович / Myasnikov); an ending removes at most what an inflection adds. Anything else
(translated exonyms, Россия / Nga) is *missing*, weak evidence that callers do not flag.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from rapidfuzz import fuzz

from driftscope.quality.mention import Mention
from driftscope.quality.names import WORD_RE, find_entities, main_script, skeleton_match
from driftscope.quality.names import translit as _translit
from driftscope.quality.tokens import TokenVectors
from driftscope.quality.wordalign import aligned_words

FUZZY = 75.0
"""rapidfuzz ratio (0-100) of two stems above which they spell one name. Different names
sharing a start score lower (Lukashenko / Lukashevich 67); a truncation can score higher
(Myasnikovich / Myasnikov 86), which the prefix test catches first."""
MIN_CUT = 3  # letters a truncation removes beyond any inflection ending
MIN_STEM = 4  # shortest stem a derivation may extend

# Russian inflection endings (nouns, adjectives, case forms) and the adjective suffix -ск-
# with its endings, longest first. Only stripped from Cyrillic words, leaving >= 3 letters.
_RU_END = sorted(
    (
        "ого его ому ему ыми ими ами ями ая яя ую юю ое ее ые ие ых их ым им ой ей ий ый "
        "ом ем ам ям ах ях ов ев ью а я у ю е ы и о ь й"
    ).split(),
    key=len,
    reverse=True,
)
_RU_ADJ = sorted(("ск" + e for e in [*_RU_END, ""]), key=len, reverse=True)
# possessive suffixes between a name and -ск- (Исаакиевский собор / St Isaac's Cathedral):
# stripped only after -ск-, leaving >= 4 letters (a shorter stem matches common words)
_RU_POSS = ("иев", "ов", "ев")


@lru_cache(maxsize=65536)  # every target word of every bead, each a few times
def stems(word: str) -> frozenset[str]:
    """Skeletons of ``word`` with and without inflection endings (Cyrillic) or "'s"."""
    w = word.lower().replace("’", "'")
    if w.endswith("'s"):
        w = w[:-2]
    out = {_translit(w)}
    if main_script(w) == "cyrillic":
        for ends in (_RU_END, _RU_ADJ):
            cut = next((e for e in ends if w.endswith(e) and len(w) - len(e) >= 3), "")
            if cut:
                out.add(_translit(w[: -len(cut)]))
            if cut and ends is _RU_ADJ:
                base = w[: -len(cut)]
                poss = next(
                    (p for p in _RU_POSS if base.endswith(p) and len(base) - len(p) >= 4), ""
                )
                if poss:
                    out.add(_translit(base[: -len(poss)]))
    return frozenset(s for s in out if s)


def _truncated(src: frozenset[str], tgt: frozenset[str]) -> bool:
    """Some target stem is a proper prefix of every source stem, MIN_CUT or more letters short."""
    return any(
        len(b) >= 5 and all(a.startswith(b) and len(a) - len(b) >= MIN_CUT for a in src)
        for b in tgt
    )


def _spells(src: frozenset[str], tgt: frozenset[str]) -> bool:
    """Whether two stem sets spell one name (see the module docstring)."""
    if _truncated(src, tgt):
        return False
    for a in src:
        for b in tgt:
            if a == b or skeleton_match(a, b):
                return True
            if len(a) >= MIN_STEM and b.startswith(a):
                return True
            if min(len(a), len(b)) >= 3 and fuzz.ratio(a, b) >= FUZZY:
                return True
    return False


def _candidates(words: Sequence[str], idx: Sequence[int]) -> list[frozenset[str]]:
    """Stem sets of the given target words, of their hyphen parts and of adjacent capitalised
    pairs joined ("Super Cup" / Суперкубок)."""
    out = []
    for i in idx:
        out.append(stems(words[i]))
        if "-" in words[i]:
            out += [stems(p) for p in words[i].split("-") if p]
        if i + 1 < len(words) and words[i][:1].isupper() and words[i + 1][:1].isupper():
            out.append(stems(words[i] + words[i + 1]))
    return out


def entity_mismatch(
    src: str,
    tgt: str,
    src_tokens: TokenVectors | None = None,
    tgt_tokens: TokenVectors | None = None,
) -> tuple[list[Mention], list[Mention]]:
    """(source names altered in the target, source names not found in the target).

    Args:
        src, tgt: the two texts.
        src_tokens, tgt_tokens: token vectors of exactly these texts (optional). With them,
            a truncation counts only on a target word the name's pieces align to.
    """
    matches = list(WORD_RE.finditer(tgt))
    words = [m.group() for m in matches]
    spans = [(m.start(), m.end()) for m in matches]
    every = _candidates(words, range(len(words)))
    use_tokens = (
        src_tokens is not None
        and tgt_tokens is not None
        and src_tokens.text == src
        and tgt_tokens.text == tgt
    )
    altered: list[Mention] = []
    missing: list[Mention] = []
    for e in find_entities(src):
        s = stems(e.text)
        if len(e.key) < 3 or any(_spells(s, c) for c in every):
            continue
        if main_script(e.text) == main_script(tgt) and any(
            len(k) >= MIN_STEM and e.key.startswith(k) for c in every for k in c
        ):
            continue  # same script, the target keeps the stem: derivation (Brexiteers -> Brexit)
        near = every
        if use_tokens:
            assert src_tokens is not None and tgt_tokens is not None
            hit = aligned_words(src_tokens, tgt_tokens, e.start, e.end, spans)
            around = sorted({j for i in hit for j in (i - 1, i, i + 1) if 0 <= j < len(words)})
            near = _candidates(words, around)
        (altered if any(_truncated(s, c) for c in near) else missing).append(e)
    return altered, missing


def renderings(names: Sequence[Mention], tgt: str) -> list[Mention]:
    """The target words that cut the given (altered) source names short, in target order."""
    out = []
    for m in WORD_RE.finditer(tgt):
        t = stems(m.group())
        if any(_truncated(stems(n.text), t) for n in names):
            out.append(Mention(_translit(m.group()), m.group(), m.start(), m.end()))
    return out
