"""Chinese numerals: 一百二十 = 120, 五十万 = 500000, 二〇一九 = 2019, 5万 = 50000. Stdlib only.

Used by :mod:`driftscope.quality.numbers`: a numeral in characters explains a number in digits
on the other side, as number words do ("三个孩子" / "three children" / "3 children"), and a
digit number followed by 万 (10^4) or 亿 (10^8) is that multiple ("5万人" / "50,000 people").
"""

from __future__ import annotations

import re

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6,
           "七": 7, "八": 8, "九": 9}  # fmt: skip
_UNITS = {"十": 10, "百": 100, "千": 1000}
_BIG = {"万": 10**4, "亿": 10**8}
NUMERAL_RE = re.compile("[" + "".join([*_DIGITS, *_UNITS, *_BIG]) + "]+")
SCALE_AFTER = _BIG  # the multiple a big unit right after digits makes: "5万", "1.5亿"


def numeral_value(s: str) -> int | None:
    """The value of a run of Chinese numeral characters (None if it is not a numeral: a lone
    万 or 亿, a unit without a digit after a big unit)."""
    if not s or all(ch in _BIG for ch in s):
        return None
    if all(ch in _DIGITS for ch in s):  # digit by digit: 二〇一九 (a year), 三 (one digit)
        return int("".join(str(_DIGITS[ch]) for ch in s))
    total = section = num = 0
    for ch in s:
        if ch in _DIGITS:
            num = _DIGITS[ch]
        elif ch in _UNITS:
            section += (num or 1) * _UNITS[ch]  # 十二: a bare 十 is ten
            num = 0
        elif ch == "万":
            total += (section + num) * _BIG[ch]
            section = num = 0
        else:  # 亿 scales all that came before it
            total = (total + section + num) * _BIG[ch]
            section = num = 0
    return total + section + num


def numeral_keys(text: str) -> list[str]:
    """Keys ("120") of the Chinese numerals in ``text``."""
    out = []
    for m in NUMERAL_RE.finditer(text):
        v = numeral_value(m.group())
        if v is not None:
            out.append(str(v))
    return out
