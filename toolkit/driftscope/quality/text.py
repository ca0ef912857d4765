"""Cheap, encoder-free evidence about one source/target text pair. Stage layer.

Everything here works on plain strings: repetition, length ratios and broken sentence ends
here; numbers and dates (:mod:`driftscope.quality.numbers`), scripts
(:mod:`driftscope.quality.names`) and names (:mod:`driftscope.quality.entities`) are
re-exported, so ``text`` is the one namespace callers use. Character spans are half-open
offsets into the string given.
"""

from __future__ import annotations

import re

from driftscope.quality.entities import entity_mismatch
from driftscope.quality.mention import Mention
from driftscope.quality.names import (
    WORD_RE,
    char_script,
    find_entities,
    foreign_runs,
    main_script,
    script_mixing,
    script_profile,
    translit,
)
from driftscope.quality.numbers import (
    explained,
    find_numbers,
    number_mismatch,
    number_words,
    same_digits,
)

__all__ = [
    "Mention",
    "char_script",
    "entity_mismatch",
    "explained",
    "find_entities",
    "find_numbers",
    "foreign_runs",
    "main_script",
    "number_mismatch",
    "number_words",
    "same_digits",
    "script_mixing",
    "script_profile",
    "translit",
    "words",
    "repetition",
    "longest_repeat",
    "repeat_pair",
    "ends_sentence",
    "starts_lowercase",
    "looks_broken",
    "log_length_ratio",
    "inner_breaks",
    "has_common_word",
]


# --------------------------------------------------------------------------- repetition
def words(text: str) -> list[str]:
    return [m.group().lower() for m in WORD_RE.finditer(text)]


def repetition(text: str, n: int = 2) -> float:
    """Share of word n-grams that repeat an earlier one in the same text, 0.0-1.0.

    Hallucinated loops ("the the the", "of the Council of the Council") score high; normal
    sentences score near 0.
    """
    w = words(text)
    grams = [tuple(w[i : i + n]) for i in range(len(w) - n + 1)]
    if len(grams) < 2:
        return 0.0
    return 1.0 - len(set(grams)) / len(grams)


def longest_repeat(text: str) -> Mention | None:
    """The longest word n-gram (n >= 2, or one word 3+ times in a row) that repeats, if any."""
    pair = repeat_pair(text)
    return pair[1] if pair else None


def repeat_pair(text: str) -> tuple[Mention, Mention] | None:
    """(first occurrence, repeat) of :func:`longest_repeat`'s phrase, or None."""
    toks = list(WORD_RE.finditer(text))
    w = [t.group().lower() for t in toks]
    for n in range(min(8, len(w) // 2), 0, -1):
        seen: dict[tuple[str, ...], int] = {}
        for i in range(len(w) - n + 1):
            g = tuple(w[i : i + n])
            if g in seen and seen[g] + n <= i:
                if n == 1 and not (i >= 2 and w[i - 1] == w[i - 2] == w[i]):
                    continue
                j = seen[g]
                a, b = toks[j].start(), toks[j + n - 1].end()
                s, e = toks[i].start(), toks[i + n - 1].end()
                key = " ".join(g)
                return Mention(key, text[a:b], a, b), Mention(key, text[s:e], s, e)
            seen.setdefault(g, i)
    return None


# --------------------------------------------------------------------------- sentence ends
_END = ".!?…。！？\"'»”)]:;"


def ends_sentence(text: str) -> bool:
    """Whether ``text`` ends like a full sentence (terminal punctuation or closing quote)."""
    t = text.rstrip()
    return bool(t) and t[-1] in _END


def starts_lowercase(text: str) -> bool:
    t = text.lstrip(" \"'«“„(—–-")
    return bool(t) and t[0].isalpha() and t[0].islower()


def looks_broken(text: str, next_text: str | None) -> bool:
    """A segment cut mid-sentence: no terminal punctuation and the next one starts lower-case."""
    return (
        next_text is not None
        and not ends_sentence(text)
        and starts_lowercase(next_text)
        and len(words(text)) >= 2
    )


def log_length_ratio(src: str, tgt: str) -> float:
    """log((len(tgt) + 1) / (len(src) + 1)) in characters, whitespace collapsed."""
    import math

    a, b = len(" ".join(src.split())), len(" ".join(tgt.split()))
    return math.log((b + 1) / (a + 1))


# A full stop (or ? !) after a word of 3+ letters, then a lower-case word: a sentence broken
# inside a segment ("one. pro-Western country"). Abbreviations that take lower case after them
# are excluded.
_INNER_BREAK = re.compile(r"(\w{3,})([.!?])\s+(?=[^\W\d_])")
# the same, with closing quotes or a comma after the stop and a dash or an opening quote
# before the lower-case word ("mp3. — слушайте", "«Почему?», — спросила она")
_INNER_BREAK_LOOSE = re.compile(r"(\w{3,})([.!?])[»\"”’']*,?\s+(?:[—–\-«\"“„]\s*)?(?=[^\W\d_])")
_ABBREV = {
    "etc",
    "tys",
    "mln",
    "mlrd",
    "rub",
    "doll",
    "dol",
    "str",
    "ibid",
    "vol",
    "approx",
    "ca",
    "resp",
    "incl",
    "excl",
    "est",
    "sq",
    "no",
    "vs",
    "jr",
    "sr",
    "gen",
    "gov",
    "тыс",
    "млн",
    "млрд",
    "руб",
    "долл",
    "стр",
    "ул",
    "обл",
    "коп",
    "тел",
    "др",
    "пр",
}


def inner_breaks(text: str, loose: bool = False) -> list[Mention]:
    """Spurious sentence ends inside a segment: "word. lowercase" (span covers both words).

    ``loose`` also counts a dash or quote before the lower-case word: how a source's own
    break is counted, which explains the same break in its target."""
    out = []
    for m in (_INNER_BREAK_LOOSE if loose else _INNER_BREAK).finditer(text):
        nxt = text[m.end() :]
        if not nxt or not nxt[0].islower() or m.group(1).lower() in _ABBREV:
            continue
        if m.group(1).isdigit():
            continue
        w = WORD_RE.match(nxt)
        end = m.end() + (w.end() if w else 0)
        out.append(Mention(m.group(1).lower(), text[m.start() : end], m.start(), end))
    return out


def has_common_word(text: str) -> bool:
    """12+ letters, some of them in a lower-case word (a list of names has none)."""
    return sum(ch.isalpha() for ch in text) >= 12 and any(w.islower() for w in text.split())
