"""Numbers, dates and month names in any script, compared across a translation. Stdlib only.

Digits of any script, thousands separators, decimal commas ("1 000,5", "1,000.5", "٢٠١٧"),
clock times (12- and 24-hour, hour words: "3 p.m." = "15:00" = "15 ч"), small numbers in
words, month names (en, ru inflected, de, fr, es, it, pt) as month numbers, and unit
conversions or scales that explain a changed value (inches to centimetres, "3,000" = "3 тыс.").
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache

from driftscope.quality.mention import Mention
from driftscope.quality.zhnum import SCALE_AFTER, numeral_keys

# A number: digits (any script, \d is Unicode-aware) with optional thousands groups and one
# decimal part. "1 000,5", "1,000.5", "2017", "٢٠١٧" all match.
_NUM_RE = re.compile(r"\d{1,2}:\d{2}(?!\d)|\d+(?:[ \u00a0\u202f.,']\d{3})*(?:[.,]\d+)?")


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
    n, need_digit = _month_form(word.rstrip(".").lower(), word[0].isupper(), word.endswith("."))
    if not n or (need_digit and not _near_digit(text, start, end)):
        return None
    return n


@lru_cache(maxsize=65536)  # every word of every segment is a candidate
def _month_form(w: str, upper: bool, dot: bool) -> tuple[int, bool]:
    """(month of the lower-cased word ``w`` or 0, whether it counts only next to a number)."""
    if w == "may":  # mostly the verb: only capitalised and next to a number
        return (5, True) if upper else (0, False)
    if w in _MONTH_ABBREV:  # "Jan", "Dec", "mars" are also names or words
        return _STEM_MONTH[w], not (dot and upper)  # "Oct." is a month
    if w in _EN_MONTHS and not upper:  # "march", "august": common words
        return 0, False
    if w in _STEM_MONTH:
        return _STEM_MONTH[w], False
    if w[:1] >= "\u0400":  # Russian months inflect: "июне", "февраля", "сентябре"
        for stem, n in _RU_ADJ.items():  # "июньского саммита", "ноябрьские выборы"
            if w.startswith(stem):
                return n, False
        for stem, n in _STEM_MONTH.items():
            # "мая"/"мае"/"май" are full forms already ("маяк" is a lighthouse)
            if stem[:1] >= "\u0400" and n != 5 and w.startswith(stem) and w[len(stem) :] in _RU_END:
                return n, False
    return 0, False


# Clock times with a 12-hour marker or an hour word, read as 24-hour values: "3 p.m." and
# "15:00" and "15 ч" and "3 giờ chiều" all give the key "15" ("7:55" gives "7.55", as a plain
# number would). Day-part words after the hour (дня, chiều, ...) add 12 to an afternoon hour.
_CLOCK_RE = re.compile(
    r"(?<![\d:.,])(?P<h>\d{1,2})(?:[:.](?P<m>\d{2}))?\s*"
    r"(?:(?P<ap>[ap])\.?\s?m\b\.?"
    r"|(?:ч\b\.?|час(?:а|ов)?\b|giờ|uhr\b|heures?\b|h\b\.?|h(?=\d))\s*(?P<m2>\d{2}(?!\d))?"
    r"(?:\s*phút)?(?:\s*(?P<part>дня|вечера|ночи|утра|sáng|trưa|chiều|tối|đêm)\b)?)",
    re.IGNORECASE,
)
_PM_PARTS = {"дня", "вечера", "chiều", "tối"}


def _clock(m: re.Match[str]) -> str | None:
    """The 24-hour key of a clock match, or None when the hour is out of range."""
    h, mins = int(m["h"]), int(m["m"] or m["m2"] or 0)
    if h > 24 or mins > 59:
        return None
    part = (m["part"] or "").lower()
    if m["ap"]:
        h = h % 12 + (12 if m["ap"].lower() == "p" else 0)
    elif part in _PM_PARTS and h < 12:
        h += 12
    elif part in ("ночи", "đêm") and h == 12:
        h = 0
    return f"{h}" if not mins else f"{h}.{mins:02d}".rstrip("0")


def _times(text: str) -> list[Mention]:
    out = []
    for m in _CLOCK_RE.finditer(text):
        key = _clock(m)
        if key is not None:
            out.append(
                Mention(key, m.group().rstrip(), m.start(), m.start() + len(m.group().rstrip()))
            )
    return out


# A numeric date, day and month in either order ("25.05.2018", "05/25/2018"): its parts are
# numbers of their own, so it matches the same date with a month name ("May 25, 2018").
_DATE_RE = re.compile(r"(?<![\d.,:/])(\d{1,2})([./])(\d{1,2})\2(\d{4}|\d{2})(?![.,]?\d)")


def _dates(text: str) -> list[Mention]:
    out = []
    for m in _DATE_RE.finditer(text):
        if 1 <= min(int(m[1]), int(m[3])) <= 12:  # one of them is a month
            out += [Mention(str(int(m[g])), m[g], m.start(g), m.end(g)) for g in (1, 3, 4)]
    return out


def find_numbers(text: str) -> list[Mention]:
    """Numbers in ``text`` with normalised keys (script- and format-independent).

    Month names are numbers too (key "6" for June, июнь, juin, ...); clock times are 24-hour
    values ("3 p.m." -> "15"); a numeric date is its day, month and year.
    """
    out = _times(text)
    clock = [(m.start, m.end) for m in out]
    out += [d for d in _dates(text) if not any(a <= d.start < b for a, b in clock)]
    taken = [(m.start, m.end) for m in out]
    out += [
        Mention(_scaled(_norm_number(m.group()), text[m.end() : m.end() + 1]), m.group(),
                m.start(), m.end())
        for m in _NUM_RE.finditer(text)
        if not any(a <= m.start() < b for a, b in taken)
    ]  # fmt: skip
    for m in _MONTH_RE.finditer(text):
        n = _month(m.group(), text, m.start(), m.end())
        if n is not None:
            out.append(Mention(str(n), m.group(), m.start(), m.end()))
    return sorted(out, key=lambda x: x.start)


def _scaled(key: str, after: str) -> str:
    """``key`` times the Chinese 万 / 亿 written right after it ("5万" is 50000)."""
    scale = SCALE_AFTER.get(after)
    if scale is None:
        return key
    try:
        v = float(key) * scale
    except ValueError:
        return key
    return str(int(v)) if v.is_integer() else str(v)


# Small numbers written out (en, ru, vi, de, fr; Russian by stem; and Chinese numerals,
# zhnum). They only *explain* a digit missing on the other side, never count as numbers of
# their own: "one", "ba", "năm", 一 (also "a", "together") have other meanings.
_NUM_WORDS = {
    **dict.fromkeys("one один одна одно одного одной одну một ein eine eins un une".split(), 1),
    **dict.fromkeys("two два две двух двум hai zwei deux".split(), 2),
    **dict.fromkeys("three три трёх трех трем ba drei trois".split(), 3),
    **dict.fromkeys("four четыре четырёх четырех bốn tư vier quatre".split(), 4),
    **dict.fromkeys("five пять пяти năm lăm fünf cinq".split(), 5),
    **dict.fromkeys("six шесть шести sáu sechs".split(), 6),
    **dict.fromkeys("seven семь семи bảy sieben sept".split(), 7),
    **dict.fromkeys("eight восемь восьми tám acht huit".split(), 8),
    **dict.fromkeys("nine девять девяти chín neun neuf".split(), 9),
    **dict.fromkeys("ten десять десяти mười zehn dix".split(), 10),
    **dict.fromkeys("eleven одиннадцать elf onze".split(), 11),
    **dict.fromkeys("twelve двенадцать zwölf douze".split(), 12),
    **dict.fromkeys("twenty двадцать zwanzig vingt".split(), 20),
    **dict.fromkeys("thirty тридцать dreißig trente".split(), 30),
    **dict.fromkeys("hundred сто hundert cent".split(), 100),
}
_WORD_RE = re.compile(r"[^\W\d_]+")


def number_words(text: str) -> Counter[str]:
    """Keys of the numbers written out in ``text`` ("three" -> "3")."""
    words = [str(_NUM_WORDS[w.lower()]) for w in _WORD_RE.findall(text) if w.lower() in _NUM_WORDS]
    return Counter(words + numeral_keys(text))


def states_number_of(word: str, text: str) -> bool:
    """Whether ``word`` is a number written out whose value ``text`` states (in digits or in
    words): "eight" and "tám điểm" or "8 points"."""
    value = _NUM_WORDS.get(word.lower())
    if value is None:
        return False
    key = str(value)
    return key in number_words(text) or any(m.key == key for m in find_numbers(text))


def _is_clock(m: Mention) -> bool:
    return bool(_CLOCK_RE.fullmatch(m.text)) or ":" in m.text


def _pair_clocks(missing: list[Mention], extra: list[Mention]) -> None:
    """Drop (in place) a missing and an extra clock time 12 hours apart: one side wrote the
    12-hour value without its marker ("3:00" for "15:00")."""
    for m in list(missing):
        for x in extra:
            if (_is_clock(m) or _is_clock(x)) and _hours_apart(m.key, x.key, 12):
                missing.remove(m)
                extra.remove(x)
                break


def _hours_apart(a: str, b: str, d: float) -> bool:
    try:
        fa, fb = float(a), float(b)
    except ValueError:
        return False
    return max(fa, fb) < 24 and abs(abs(fa - fb) - d) < 1e-9


def _absorb(mentions: list[Mention], words: Counter[str]) -> list[Mention]:
    out = []
    for m in mentions:
        if words[m.key] > 0:
            words[m.key] -= 1
        else:
            out.append(m)
    return out


def number_mismatch(src: str, tgt: str) -> tuple[list[Mention], list[Mention]]:
    """(source numbers missing from the target, target numbers absent from the source).

    Multisets: a number written twice in the source must appear twice in the target. Clock
    times compare as 24-hour values (a missing and an extra time 12 hours apart cancel);
    a digit the other side writes out in words ("3" / "three") is not missing.
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
    _pair_clocks(missing, extra)
    if missing:
        missing = _absorb(missing, number_words(tgt))
    if extra:
        extra = _absorb(extra, number_words(src))
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
    hi, lo = max(a, b), min(a, b)
    return hi >= 1000 and hi == int(hi) and int(hi) % 100 == lo  # decades: 1930 <-> 30


def same_digits(missing: Sequence[Mention], extra: Sequence[Mention]) -> bool:
    """Whether the numbers missing and the numbers added are the same digit groups, with only
    separators or spacing changed ("11:08" / "11: 08"). Groups, not single digits, are
    compared, in any order: the matcher may pair an "18" of "18: 06" with another 18 of the
    text, while a changed value ("2015" / "2051") still differs."""

    def groups(ms: Sequence[Mention]) -> list[str]:
        return sorted(g for m in ms for g in re.findall(r"\d+", _ascii_digits(m.text)))

    a = groups(missing)
    return bool(a) and a == groups(extra)
