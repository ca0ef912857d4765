"""Cheap, encoder-free evidence about one source/target text pair. Stage layer: stdlib only.

Everything here works on plain strings: numbers (digits of any script, thousands separators,
decimal commas), named entities (capitalised words, compared transliteration-aware across
Cyrillic and Latin, Vietnamese diacritics folded), repetition, script mixing and broken
sentence ends. Character spans are half-open offsets into the string given.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

# --------------------------------------------------------------------------- numbers
# A number: digits (any script, \d is Unicode-aware) with optional thousands groups and one
# decimal part. "1 000,5", "1,000.5", "2017", "٢٠١٧" all match.
_NUM_RE = re.compile(r"\d{1,2}:\d{2}(?!\d)|\d+(?:[ \u00a0\u202f.,']\d{3})*(?:[.,]\d+)?")


@dataclass(frozen=True, slots=True)
class Mention:
    """A number or entity found in a text: normalised key, surface text, half-open span."""

    key: str
    text: str
    start: int
    end: int


def _ascii_digits(s: str) -> str:
    return "".join(str(unicodedata.digit(ch)) if ch.isdigit() else ch for ch in s)


def _norm_number(raw: str) -> str:
    """'1 000,5' -> '1000.5'; '1,000' -> '1000'; '3,5' -> '3.5'; '07' -> '7'."""
    if re.fullmatch(r"\d{1,2}:\d{2}", _ascii_digits(raw)):  # a time: 7:55 == 7.55
        raw = raw.replace(":", ".")
    s = _ascii_digits(raw).replace("\u00a0", " ").replace("\u202f", " ").replace("'", " ")
    s = s.replace(" ", "")
    m = re.fullmatch(r"(\d+(?:[.,]\d{3})*)(?:([.,])(\d+))?", s)
    if m and m.group(2) and len(m.group(3)) == 3 and m.group(1).isdigit():
        # "1,000" or "1.000": one separator before exactly three digits is a thousands mark
        s = m.group(1) + m.group(3)
    else:
        last = max(s.rfind("."), s.rfind(","))
        if last >= 0 and len(s) - last - 1 != 3:
            s = s[:last].replace(".", "").replace(",", "") + "." + s[last + 1 :]
        else:
            s = s.replace(".", "").replace(",", "")
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return s.lstrip("0") or "0"


# Month names count as numbers, so "в июне 2009" matches "tháng 6/2009" and "June 2009": word
# stems (lower-cased) of en, ru, de, fr, es, it, pt month names -> month number. English "May"
# is also a verb, so a bare "may" counts only capitalised and next to a number.
_MONTHS = {
    1: ("january", "jan", "январ", "januar", "janvier", "enero", "gennaio", "janeiro"),
    2: ("february", "feb", "феврал", "februar", "février", "febrero", "febbraio", "fevereiro"),
    3: ("march", "март", "марта", "марте", "märz", "mars", "marzo", "março"),
    4: ("april", "apr", "апрел", "avril", "abril", "aprile"),
    5: ("мая", "мае", "май", "mai", "mayo", "maggio", "maio"),
    6: ("june", "jun", "июн", "juni", "juin", "junio", "giugno", "junho"),
    7: ("july", "jul", "июл", "juli", "juillet", "julio", "luglio", "julho"),
    8: ("august", "aug", "август", "août", "agosto"),
    9: ("september", "sept", "sep", "сентябр", "septembre", "septiembre", "settembre", "setembro"),
    10: ("october", "oct", "октябр", "oktober", "octobre", "octubre", "ottobre", "outubro"),
    11: ("november", "nov", "ноябр", "novembre", "noviembre", "novembro"),
    12: ("december", "dec", "декабр", "dezember", "décembre", "diciembre", "dicembre", "dezembro"),
}
_MONTH_RE = re.compile(r"\b[^\W\d_]{3,14}\b\.?")
_STEM_MONTH = {stem: n for n, stems in _MONTHS.items() for stem in stems}
_EN_MONTHS = {stems[0] for stems in _MONTHS.values()} - {"мая"}
_RU_ADJ = dict(
    zip(
        (
            "январск",
            "февральск",
            "мартовск",
            "апрельск",
            "майск",
            "июньск",
            "июльск",
            "августовск",
            "сентябрьск",
            "октябрьск",
            "ноябрьск",
            "декабрьск",
        ),
        range(1, 13),
        strict=True,
    )
)
_MONTH_ABBREV = {
    "jan",
    "feb",
    "apr",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
    "mars",
}
_RU_END = {"", "ь", "я", "е", "ю", "ем", "ём", "а", "у", "ом"}  # case endings: июнь, июня, марте


def _near_digit(text: str, start: int, end: int) -> bool:
    return bool(re.search(r"\d", text[max(0, start - 4) : start] + text[end : end + 5]))


def _month(word: str, text: str, start: int, end: int) -> int | None:
    w = word.rstrip(".").lower()
    if w == "may":  # mostly the verb: only capitalised and next to a number
        return 5 if word[0].isupper() and _near_digit(text, start, end) else None
    if w in _MONTH_ABBREV:  # "Jan", "Dec", "mars" are also names or words
        dotted = word.endswith(".") and word[0].isupper()  # "Oct." is a month
        return _STEM_MONTH[w] if dotted or _near_digit(text, start, end) else None
    if w in _EN_MONTHS and not word[0].isupper():  # "march", "august": common words
        return None
    if w in _STEM_MONTH:
        return _STEM_MONTH[w]
    if w[:1] >= "\u0400":  # Russian months inflect: "июне", "февраля", "сентябре"
        for stem, n in _RU_ADJ.items():  # "июньского саммита", "ноябрьские выборы"
            if w.startswith(stem):
                return n
        for stem, n in _STEM_MONTH.items():
            # "мая"/"мае"/"май" are full forms already ("маяк" is a lighthouse)
            if stem[:1] >= "\u0400" and n != 5 and w.startswith(stem) and w[len(stem) :] in _RU_END:
                return n
    return None


def find_numbers(text: str) -> list[Mention]:
    """Numbers in ``text`` with normalised keys (script- and format-independent).

    Month names are numbers too (key "6" for June, июнь, juin, ...).
    """
    out = [
        Mention(_norm_number(m.group()), m.group(), m.start(), m.end())
        for m in _NUM_RE.finditer(text)
    ]
    for m in _MONTH_RE.finditer(text):
        n = _month(m.group(), text, m.start(), m.end())
        if n is not None:
            out.append(Mention(str(n), m.group(), m.start(), m.end()))
    return sorted(out, key=lambda x: x.start)


def number_mismatch(src: str, tgt: str) -> tuple[list[Mention], list[Mention]]:
    """(source numbers missing from the target, target numbers absent from the source).

    Multisets: a number written twice in the source must appear twice in the target.
    """
    s, t = find_numbers(src), find_numbers(tgt)
    tc = Counter(m.key for m in t)
    sc = Counter(m.key for m in s)
    missing, extra = [], []
    for m in s:
        if tc[m.key] > 0:
            tc[m.key] -= 1
        else:
            missing.append(m)
    for m in t:
        if sc[m.key] > 0:
            sc[m.key] -= 1
        else:
            extra.append(m)
    return missing, extra


# Unit conversions a human translator makes (imperial <-> metric), as target/source factors.
_FACTORS = (
    2.54,
    1 / 2.54,
    0.4536,
    1 / 0.4536,
    1.609,
    1 / 1.609,
    0.3048,
    1 / 0.3048,
    0.9144,
    1 / 0.9144,
    3.785,
    1 / 3.785,
    0.0929,
    10.764,
    2.59,
    0.405,
    28.35,
    0.02835,
)
_SCALES = (1e3, 1e6, 1e9, 1e-3, 1e-6, 1e-9)  # "3,000" == "3 тыс.", "2 billion" == "2 млрд"


def explained(src_key: str, tgt_key: str, rel: float = 0.08) -> bool:
    """Whether a changed number is a plausible unit conversion, scale word or decade.

    1-4 inches -> 2,5-10 cm, 80 F -> 27 C, 3,000 -> 3 (тыс.), 1930s -> 30-е.
    """
    try:
        a, b = float(src_key), float(tgt_key)
    except ValueError:
        return False
    if a == 0 or b == 0:
        return False
    r = b / a
    if any(abs(r / f - 1) <= rel for f in _FACTORS + _SCALES):
        return True
    if abs((a - 32) * 5 / 9 - b) <= 1.5 or abs(a * 9 / 5 + 32 - b) <= 2:  # Fahrenheit/Celsius
        return True
    return a >= 1000 and a == int(a) and int(a) % 100 == b  # decades: 1930 -> 30


# --------------------------------------------------------------------------- scripts
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


def translit(word: str) -> str:
    """Lower-case ASCII skeleton: Cyrillic romanised, diacritics folded.

    ``translit("Лукашенко") == translit("Lukashenko")``.
    """
    out = []
    for ch in word.lower():
        if ch in _CYR:
            out.append(_CYR[ch])
        else:
            base = unicodedata.normalize("NFKD", ch.replace("đ", "d"))
            out.append("".join(c for c in base if c.isascii() and c.isalnum()))
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


def _skeleton_match(a: str, b: str) -> bool:
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


_WORD_RE = re.compile(r"\w[\w'’\-]*\w|\w")


def find_entities(text: str) -> list[Mention]:
    """Capitalised words not at a sentence start, plus all-caps acronyms (NATO, ЕС).

    The key is the transliterated skeleton; it is a cheap proxy for NER that needs no model.
    """
    out = []
    for m in _WORD_RE.finditer(text):
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


def _near_miss(a: str, b: str) -> bool:
    """Same start (5+ letters) but a different name: a truncated or altered transliteration."""
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n >= 5 and not _skeleton_match(a, b)


def entity_mismatch(src: str, tgt: str) -> tuple[list[Mention], list[Mention]]:
    """(source entities altered in the target, source entities not found in the target).

    Altered: no target word matches the transliterated skeleton but one starts the same way
    (Мясникович -> Myasnikov). Not found: no target word is even close; across languages that
    translate names (Россия -> Nga) this is weak evidence, so callers rate it low.
    """
    tgt_words = [m.group() for m in _WORD_RE.finditer(tgt)]
    tgt_keys = [translit(w) for w in tgt_words] + [
        translit(p) for w in tgt_words if "-" in w for p in w.split("-")
    ]
    altered: list[Mention] = []
    missing: list[Mention] = []
    for e in find_entities(src):
        if len(e.key) < 3 or any(_skeleton_match(e.key, k) for k in tgt_keys):
            continue
        if main_script(e.text) == main_script(tgt) and any(
            len(k) >= 4 and translit(e.text).startswith(k) for k in tgt_keys
        ):
            continue  # same script, target keeps the stem: derivation (Brexiteers -> Brexit)
        (altered if any(_near_miss(e.key, k) for k in tgt_keys) else missing).append(e)
    return altered, missing


# --------------------------------------------------------------------------- repetition
def words(text: str) -> list[str]:
    return [m.group().lower() for m in _WORD_RE.finditer(text)]


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
    toks = list(_WORD_RE.finditer(text))
    w = [t.group().lower() for t in toks]
    best = None
    for n in range(min(8, len(w) // 2), 0, -1):
        seen: dict[tuple[str, ...], int] = {}
        for i in range(len(w) - n + 1):
            g = tuple(w[i : i + n])
            if g in seen and seen[g] + n <= i:
                if n == 1 and not (i >= 2 and w[i - 1] == w[i - 2] == w[i]):
                    continue
                s, e = toks[i].start(), toks[i + n - 1].end()
                best = Mention(" ".join(g), text[s:e], s, e)
                return best
            seen.setdefault(g, i)
    return best


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


def inner_breaks(text: str) -> list[Mention]:
    """Spurious sentence ends inside a segment: "word. lowercase" (span covers both words)."""
    out = []
    for m in _INNER_BREAK.finditer(text):
        nxt = text[m.end() :]
        if not nxt or not nxt[0].islower() or m.group(1).lower() in _ABBREV:
            continue
        if m.group(1).isdigit():
            continue
        w = _WORD_RE.match(nxt)
        end = m.end() + (w.end() if w else 0)
        out.append(Mention(m.group(1).lower(), text[m.start() : end], m.start(), end))
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

    for m in _WORD_RE.finditer(text):
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
