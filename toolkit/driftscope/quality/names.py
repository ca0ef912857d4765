"""Scripts and names: script profiles, transliteration (Cyrillic by a fixed table, every other
script by anyascii), name mentions (Лукашенко / Lukashenko, Vietnamese diacritics folded), runs
of words left in another script. Names are compared in :mod:`driftscope.quality.entities`."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from functools import lru_cache

from anyascii import anyascii

from driftscope.quality.mention import Mention


# --------------------------------------------------------------------------- scripts
@lru_cache(maxsize=8192)  # called per character of every segment (a third of a warm run)
def char_script(ch: str) -> str:
    """'latin', 'cyrillic', 'greek', 'cjk', 'arabic', 'other' or '' for non-letters."""
    if not ch.isalpha():
        return ""
    name = unicodedata.name(ch, "")
    for key in ("LATIN", "CYRILLIC", "GREEK", "ARABIC", "HEBREW", "HANGUL", "THAI"):
        if name.startswith(key):
            return key.lower()
    if name.startswith(("CJK", "HIRAGANA", "KATAKANA")):
        return "cjk"
    return "other"


def script_profile(text: str) -> Counter[str]:
    """Letter counts per script."""
    return Counter(s for s in map(char_script, text) if s)


def main_script(text: str) -> str:
    prof = script_profile(text)
    return prof.most_common(1)[0][0] if prof else ""


def script_mixing(text: str, expected: str = "") -> float:
    """Share of letters outside the main (or ``expected``) script, 0.0-1.0.

    Words of another script that also occur in the source (names, acronyms) should be removed
    by the caller first if they are legitimate.
    """
    prof = script_profile(text)
    total = sum(prof.values())
    if not total:
        return 0.0
    main = expected or prof.most_common(1)[0][0]
    return 1.0 - prof.get(main, 0) / total


# --------------------------------------------------------------------------- transliteration
_CYR = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюяіїєґў",
        [
            "a",
            "b",
            "v",
            "g",
            "d",
            "e",
            "e",
            "zh",
            "z",
            "i",
            "y",
            "k",
            "l",
            "m",
            "n",
            "o",
            "p",
            "r",
            "s",
            "t",
            "u",
            "f",
            "kh",
            "ts",
            "ch",
            "sh",
            "shch",
            "",
            "y",
            "",
            "e",
            "yu",
            "ya",
            "i",
            "yi",
            "ye",
            "g",
            "u",
        ],
        strict=True,
    )
)


@lru_cache(maxsize=65536)
def translit(word: str) -> str:
    """Lower-case ASCII skeleton: Cyrillic romanised, diacritics folded.

    ``translit("Лукашенко") == translit("Lukashenko")``.
    """
    out = []
    for ch in word.lower():
        if ch in _CYR:
            out.append(_CYR[ch])
        else:  # any other script: anyascii's romanisation (diacritics folded, đ -> d)
            out.append("".join(c for c in anyascii(ch).lower() if c.isalnum()))
    s = "".join(out)
    # common spelling variants of the same sound across romanisations
    for a, b in (
        ("kh", "h"),
        ("ck", "k"),
        ("w", "v"),
        ("j", "y"),
        ("x", "ks"),
        ("iy", "y"),
        ("yy", "y"),
        ("ii", "i"),
        ("ph", "f"),
        ("c", "k"),
    ):
        s = s.replace(a, b)
    return s


def skeleton_match(a: str, b: str) -> bool:
    """Same name up to inflection: equal, or a shared prefix covering most of the shorter."""
    if not a or not b:
        return False
    if a == b:
        return True
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    short = min(len(a), len(b))
    # inflection adds at most two letters (Путина / Putin); a longer tail is another name
    # (Мясникович / Myasnikov)
    return short >= 3 and abs(len(a) - len(b)) <= 2 and n >= max(3, short - 2)


WORD_RE = re.compile(r"\w[\w'’\-]*\w|\w")


def find_entities(text: str) -> list[Mention]:
    """Capitalised words not at a sentence start, plus all-caps acronyms (NATO, ЕС).

    The key is the transliterated skeleton; it is a cheap proxy for NER that needs no model.
    """
    out = []
    for m in WORD_RE.finditer(text):
        w = m.group()
        if not w[0].isupper() or any(c.isdigit() for c in w):
            continue
        before = text[: m.start()].rstrip()
        sentence_start = not before or before[-1] in '.!?:«"“„(—–-'
        acronym = len(w) >= 2 and w.isupper()
        if sentence_start and not acronym:
            continue
        head = w.split("-")[0] if len(w.split("-")[0]) >= 3 else w  # Taliban-like -> Taliban
        out.append(Mention(translit(head), w, m.start(), m.end()))
    return out


def foreign_runs(text: str, expected_script: str, min_words: int = 2) -> list[Mention]:
    """Runs of >= ``min_words`` words in a script other than ``expected_script``, containing a
    lower-case word of 4+ letters (so names such as "Alexander Lukashenko" do not count)."""
    out: list[Mention] = []
    run: list[re.Match[str]] = []

    def close() -> None:
        if len(run) >= min_words and any(
            r.group()[0].islower() and len(r.group()) >= 4 for r in run
        ):
            a, b = run[0].start(), run[-1].end()
            out.append(Mention(main_script(text[a:b]), text[a:b], a, b))

    for m in WORD_RE.finditer(text):
        sc = main_script(m.group())
        if sc and sc != expected_script:
            if run and text[run[-1].end() : m.start()].strip(" ,-–—'\"«»“”") != "":
                close()
                run = []
            run.append(m)
        elif sc:
            close()
            run = []
    close()
    return out
