"""Relative time expressions (parts of the day, yesterday/today/tomorrow, weekdays) by class.

Numbers and month names are compared by :func:`driftscope.quality.text.number_mismatch`; a
translation can also move an event in time with words alone: "ngay trước thềm bầu cử" (right
on the eve of the election) rendered as "the night before the election". Each word maps to
classes ("tonight" is both ``evening`` and ``night``); a target class that no source word
shares is a time the source does not state.

Only unambiguous forms are listed: Vietnamese "sáng" (also bright) or "tối" (also dark,
"tối đa" maximum) count only inside "buổi sáng", "sáng nay" and the like; English
"overnight" is also "suddenly" ("won't happen overnight", "в одночасье") and is not listed.
"""

from __future__ import annotations

import re
from functools import lru_cache

from driftscope.quality.mention import Mention

_WORDS: dict[str, tuple[str, ...]] = {
    # English
    "night": ("night",),
    "nights": ("night",),
    "tonight": ("evening", "night"),
    "midnight": ("night",),
    "evening": ("evening",),
    "evenings": ("evening",),
    "a.m.": ("morning", "night"),  # bare "am"/"pm" only after a number (_CLOCK): "I am"
    "p.m.": ("noon", "afternoon", "evening", "night"),
    "morning": ("morning",),
    "mornings": ("morning",),
    "afternoon": ("afternoon",),
    "noon": ("noon",),
    "midday": ("noon",),
    "yesterday": ("yesterday",),
    "today": ("today",),
    "tomorrow": ("tomorrow",),
    "monday": ("monday",),
    "tuesday": ("tuesday",),
    "wednesday": ("wednesday",),
    "thursday": ("thursday",),
    "friday": ("friday",),
    "saturday": ("saturday",),
    "sunday": ("sunday",),
    # German
    "nacht": ("night",),
    "nachts": ("night",),
    "abend": ("evening",),
    "abends": ("evening",),
    "morgen": ("morning", "tomorrow"),
    "morgens": ("morning",),
    "vormittag": ("morning",),
    "nachmittag": ("afternoon",),
    "mittag": ("noon",),
    "gestern": ("yesterday",),
    "heute": ("today",),
    "montag": ("monday",),
    "dienstag": ("tuesday",),
    "mittwoch": ("wednesday",),
    "donnerstag": ("thursday",),
    "freitag": ("friday",),
    "samstag": ("saturday",),
    "sonntag": ("sunday",),
    # French
    "nuit": ("night",),
    "soir": ("evening",),
    "soirée": ("evening",),
    "matin": ("morning",),
    "matinée": ("morning",),
    "après-midi": ("afternoon",),
    "midi": ("noon",),
    "hier": ("yesterday",),
    "aujourd'hui": ("today",),
    "demain": ("tomorrow",),
    "lundi": ("monday",),
    "mardi": ("tuesday",),
    "mercredi": ("wednesday",),
    "jeudi": ("thursday",),
    "vendredi": ("friday",),
    "samedi": ("saturday",),
    "dimanche": ("sunday",),
    # Vietnamese (multi-syllable forms only where a syllable alone is ambiguous)
    "đêm": ("night",),
    "hộp đêm": (),  # nightclub: not a time
    "sáng thứ": ("morning",),
    "chiều thứ": ("afternoon",),
    "tối thứ": ("evening",),
    "chiều tối": ("afternoon", "evening"),
    "buổi tối": ("evening",),
    "tối nay": ("evening", "night"),
    "tối qua": ("evening", "night", "yesterday"),
    "buổi sáng": ("morning",),
    "sáng nay": ("morning", "today"),
    "sáng sớm": ("morning",),
    "buổi chiều": ("afternoon",),
    "chiều nay": ("afternoon", "today"),
    "buổi trưa": ("noon",),
    "hôm qua": ("yesterday",),
    "hôm nay": ("today",),
    "ngày nay": ("today",),  # nowadays
    "ngày mai": ("tomorrow",),
    "sáng hôm": ("morning",),
    "tối hôm": ("evening", "night"),
    "chủ nhật": ("sunday",),
    "mỗi tối": ("evening",),
    "giờ vàng": ("evening",),  # prime time, as below in en and ru
    "prime time": ("evening",),
    "prime-time": ("evening",),
    "прайм-тайм": ("evening",),
    # "the third song of the night", "his second goal of the night": the event, not a date
    "of the night": (),
    "of the evening": (),  # "thứ hai" (Monday) is also "second": weekdays 2-7 left out
    # the present and the day as such: a source that says "now" or "day" states a time, and a
    # translation may render it as "today", "this afternoon" ("во второй половине дня")
    "now": ("now",),
    "jetzt": ("now",),
    "maintenant": ("now",),
    "bây giờ": ("now",),
    "hiện nay": ("now",),
    "hiện tại": ("now",),
}
# Russian inflects: stems, matched at the start of a word
_RU_STEMS: dict[str, tuple[str, ...]] = {
    **{k: ("night",) for k in ("ночно", "ночна", "ночну", "ночны")},  # ночной, not ночница
    "вечерн": ("evening",),
    "утрен": ("morning",),
    "вчерашн": ("yesterday",),
    "сегодняшн": ("today",),
    "завтрашн": ("tomorrow",),
    "понедельник": ("monday",),
    "вторник": ("tuesday",),
    "четверг": ("thursday",),
    "пятниц": ("friday",),
    "суббот": ("saturday",),
    "воскресень": ("sunday",),
}
# Inflected forms listed whole where a stem would also start other words ("завтрак" breakfast,
# "ночница" a bat, "вечеринка" a party, "среди" among).
_RU_FORMS: dict[str, tuple[str, ...]] = {
    **{w: ("night",) for w in "ночь ночи ночью ночам полночь полуночи".split()},
    **{w: ("evening",) for w in "вечер вечера вечером вечеру вечере вечерам".split()},
    **{w: ("morning",) for w in "утро утра утром утру утре".split()},
    **{w: ("noon",) for w in "полдень полудня полдня".split()},
    **{w: ("morning", "noon", "afternoon") for w in ("днём", "днем")},
    "вчера": ("yesterday",),
    **{w: ("now",) for w in "сейчас теперь".split()},
    **{w: ("day",) for w in "день дня дню днями".split()},
    "сегодня": ("today",),
    "завтра": ("tomorrow",),
    **{w: ("wednesday",) for w in "среду среды среда".split()},
}

# Chinese writes no spaces: these are found as substrings (phrases of _MULTI). Single characters
# (夜 night, 晨 dawn, 今 now) are left out: they start other words (夜总会 nightclub).
_ZH: dict[str, tuple[str, ...]] = {
    **{w: ("morning",) for w in "早上 早晨 上午 清晨 今早 早间".split()},
    "凌晨": ("morning", "night"),
    **{w: ("noon",) for w in "中午 正午".split()},
    **{w: ("afternoon",) for w in "下午 午后".split()},
    "傍晚": ("evening",),
    **{w: ("evening", "night") for w in "晚上 晚间 今晚 当晚 夜晚".split()},
    "昨晚": ("evening", "night", "yesterday"),
    **{w: ("night",) for w in "夜里 夜间 深夜 半夜 午夜 连夜".split()},
    **{w: ("yesterday",) for w in "昨天 昨日".split()},
    **{w: ("today",) for w in "今天 今日".split()},
    **{w: ("tomorrow",) for w in "明天 明日".split()},
    **{w: ("now",) for w in "现在 目前 此刻".split()},
    **{w: ("day",) for w in "当天 这天 白天".split()},
    **{
        f"{pre}{d}": (day,)
        for pre in ("星期", "周", "礼拜")
        for d, day in zip(
            "一二三四五六日天",
            "monday tuesday wednesday thursday friday saturday sunday sunday".split(),
            strict=True,
        )  # fmt: skip
    },
}
# Source languages whose time words the lists above hold: where the source is in another
# language, "the source states no time" cannot be known, so nothing is called invented.
TIME_LANGS = frozenset({"en", "de", "fr", "vi", "ru", "zh"})

_TOKEN = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
_MULTI = sorted(
    [
        *(
            (w, _WORDS[w], re.compile(rf"(?<!\w){re.escape(w)}(?!\w)"))
            for w in _WORDS
            if " " in w or "." in w
        ),
        *((w, cls, re.compile(re.escape(w))) for w, cls in _ZH.items()),  # no word boundaries
    ],
    key=lambda p: len(p[0]),
    reverse=True,
)  # phrases, longest first, each compiled once (there are more than re's cache holds)


def time_words(text: str) -> list[Mention]:
    """Time expressions in ``text``; ``key`` is their classes joined by "|" (sorted)."""
    # lower-case char by char so spans stay valid ("İ".lower() is two characters)
    low = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
    found: list[tuple[int, int, tuple[str, ...]]] = []
    taken = [False] * len(text)
    for phrase, classes, rx in _MULTI:
        if phrase not in low:
            continue
        for m in rx.finditer(low):
            if not any(taken[m.start() : m.end()]):
                found.append((m.start(), m.end(), classes))
                taken[m.start() : m.end()] = [True] * (m.end() - m.start())
    for m in _TOKEN.finditer(low):
        if not any(taken[m.start() : m.end()]):
            found.append((m.start(), m.end(), _classes(m.group().replace("’", "'"))))
    return [Mention("|".join(sorted(cls)), text[a:b], a, b) for a, b, cls in sorted(found) if cls]


@lru_cache(maxsize=65536)
def _classes(word: str) -> tuple[str, ...]:
    if word.endswith(("'s", "s'")):  # "tonight's rally", "the morning's fourballs"
        word = word[:-2] if word.endswith("'s") else word[:-1]
    if word in _WORDS:
        return _WORDS[word]
    if word in _RU_FORMS:
        return _RU_FORMS[word]
    if word[:1] < "\u0400":
        return ()
    return next((v for k, v in _RU_STEMS.items() if word.startswith(k)), ())


# Classes a translation can invent; weekdays are only context (news translations move them
# across time zones: "5 a.m. Sunday" Eastern is "субботу" in Moscow's telling).
INVENTED = frozenset("night evening morning afternoon noon yesterday today tomorrow".split())
# A relative day added or dropped is routine in news translation ("vowed today"): the flag
# rules keep it low; a part of the day ("the night before") dates the event and is medium.
RELATIVE_DAYS = frozenset("yesterday today tomorrow".split())
_CLOCK = re.compile(r"\d[.:h]\d\d|\d\s?(?:h\b|giờ|час|[ap]\.?m\b)", re.IGNORECASE)
# Vietnamese weekdays 2-7 are "thứ" + a numeral, one of them capitalised ("thứ Ba", "Thứ
# năm": Tuesday, Thursday); all lower case it is an ordinal ("thứ ba", third)
_VI_WEEKDAY = re.compile(
    r"\b(?:thứ (?:Hai|Ba|Tư|Năm|Sáu|Bảy)|Thứ (?:hai|ba|tư|năm|sáu|bảy|Hai|Ba|Tư|Năm|Sáu|Bảy))\b"
)


def invented_times(src: str, tgt: str, src_lang: str = "") -> list[Mention]:
    """Parts of the day and relative days in ``tgt`` when ``src`` states no time at all.

    No time word, weekday or clock time in the source, yet the target says "the night before"
    or "this morning": the translation dated the event. Times the source does state are left
    alone (conversions between time zones and clock formats are routine in human translation).
    A source in a language outside :data:`TIME_LANGS` (``src_lang``; "" = unknown, checked)
    is never said to state no time.
    """
    if src_lang and src_lang.split("-")[0] not in TIME_LANGS:
        return []
    if time_words(src) or _CLOCK.search(src) or _VI_WEEKDAY.search(src) or _de_compound(src):
        return []
    return [m for m in time_words(tgt) if set(m.key.split("|")) <= INVENTED]


# German writes a time inside a compound ("Übernachtung" an overnight stay, "Samstagabend",
# "Morgenstunden"): a source word holding one of these roots states a time. Only the source is
# read this way, where a false hit ("Nachteil", a drawback) can only withhold a flag; in a
# target it would invent a night.
_DE_ROOTS = re.compile(
    r"nacht|abend|morgen|mittag|montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonntag"
)


def _de_compound(text: str) -> bool:
    return any(len(w) >= 7 and _DE_ROOTS.search(w) for w in _TOKEN.findall(text.lower()))
