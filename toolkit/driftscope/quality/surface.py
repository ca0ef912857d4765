"""Surface garbles of machine output that need no model: broken hyphenated compounds.

An MT system that mis-segments "tình hữu nghị Mỹ - Belarus" (US-Belarus friendship) writes
"US friendship- Belarus": a hyphen glued to one word and detached from the other. Human text
has that shape only in suspended compounds ("pre- and post-war", "Tier- und Pflanzenwelt",
"18- to 24-year-olds"), where the next word is a conjunction; those are not reported.
"""

from __future__ import annotations

import re

from driftscope.quality.mention import Mention

# "word- word" (glued left) or "word -word" (glued right); letters only on the detached side so
# "-5" (a negative number) and "word - word" (a spaced dash) do not match.
_HALF_HYPHEN = re.compile(r"(?<![\w-])([^\W_][\w.]*)(?:- ([^\W\d_][\w]*)| -([^\W\d_][\w]*))")
# Conjunctions after a suspended hyphen ("pre- and post-war") in the languages driftscope meets.
_SUSPENDED = frozenset(
    "and or to nor und oder bis sowie et ou y o e и или либо до а và hoặc đến tới lẫn "
    "og eða och eller".split()  # Icelandic (ParIce), Scandinavian
)


def broken_hyphens(text: str) -> list[Mention]:
    """Hyphens attached to one word only, outside suspended compounds.

    Returns:
        One :class:`Mention` per broken compound: ``text`` is the two words with the hyphen
        ("friendship- Belarus"), ``start``/``end`` its character span, ``key`` the two words
        joined by a hyphen (lower-cased), so a target can be compared with its source.
    """
    out = []
    for m in _HALF_HYPHEN.finditer(text):
        right = m.group(2) or m.group(3)
        if m.group(2) and right.lower() in _SUSPENDED:
            continue
        key = f"{m.group(1)}-{right}".lower()
        out.append(Mention(key, m.group(0), m.start(), m.end()))
    return out
