from __future__ import annotations

import pytest
from driftscope.quality.surface import broken_hyphens
from driftscope.quality.timex import invented_times, time_words


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("the last step of restoring US friendship- Belarus.", ["friendship- Belarus"]),
        ("a patient with Bartter -Syndrom", ["Bartter -Syndrom"]),
        ("pre- and post-war Europe", []),  # suspended compounds
        ("Tier- und Pflanzenwelt", []),
        ("18- to 24-year-olds", []),
        ("двух- и трёхкомнатные квартиры", []),
        ("US - Belarus, state-of-the-art", []),  # spaced dash, ordinary compound
        ("a temperature of -5 degrees", []),  # negative number
    ],
)
def test_broken_hyphens(text: str, found: list[str]) -> None:
    got = broken_hyphens(text)
    assert [m.text for m in got] == found
    for m in got:
        assert text[m.start : m.end] == m.text


def test_time_words_classes_and_spans() -> None:
    text = "5 a.m. Sunday; tonight's rally; в среду вечером; sáng nay; İstanbul night"
    got = {m.text: m.key for m in time_words(text)}
    assert got == {
        "a.m.": "morning|night",
        "Sunday": "sunday",
        "tonight's": "evening|night",
        "среду": "wednesday",
        "вечером": "evening",
        "sáng nay": "morning|today",
        "night": "night",
    }
    for m in time_words(text):
        assert text[m.start : m.end] == m.text
    # words that only start like a time word
    assert time_words("завтраком, ночница, вечеринка, среди людей, hộp đêm, I am here") == []


def test_invented_times_only_when_the_source_states_no_time() -> None:
    vi = "bằng chứng là vụ bắt giữ nhóm Wagner ở Minsk ngay trước thềm bầu cử."
    en = "the detention of a group of Wagner in Minsk the night before the election."
    assert [m.text for m in invented_times(vi, en)] == ["night"]
    # the source states a time: conversions are left alone
    assert invented_times("at 5 a.m. Eastern time Sunday", "в субботу в 5 утра") == []
    assert invented_times("Вчера в 4:40 утра", "Yesterday at 4.40 in the morning") == []
    assert invented_times("the election", "выборы") == []


def _bead(src: str, tgt: str, **kw: object) -> object:
    from driftscope.quality.evidence import BeadEvidence

    return BeadEvidence(0, (0,), (0,), src, tgt, 0.9, 1.0, 3.0, 0.0, **kw)  # type: ignore[arg-type]


def test_invented_part_of_day_is_low_when_its_word_is_supported_by_the_source() -> None:
    from driftscope.quality.flags import rule_flags
    from driftscope.quality.timex import invented_times
    from driftscope.quality.tokens import WordSupport

    src, tgt = "due to their nocturnal habits", "из-за их ночных привычек"
    times = tuple(invented_times(src, tgt))
    assert [m.text for m in times] == ["ночных"]
    e = _bead(src, tgt, times_invented=times)
    m = times[0]

    def sev(calibrated: float | None) -> list[str]:
        sup = None if calibrated is None else [[WordSupport(m.start, m.end, m.text, 0.5, 0.2,
                                                            calibrated)]]  # fmt: skip
        fl = rule_flags([e], "en-ru", "en", "ru", support=sup)  # type: ignore[list-item]
        return [f.severity for f in fl if f.kind == "number_mismatch"]

    assert sev(1.3) == ["low"]  # said by the source in other words ("nocturnal")
    assert sev(0.4) == ["medium"]  # less supported than a typical word: invented
    assert sev(None) == ["medium"]  # no word support computed (--no-terms): as before


def test_a_loop_is_medium_only_where_the_source_does_not_repeat() -> None:
    from driftscope.quality import text as tx
    from driftscope.quality.flags import rule_flags

    def sev(src: str, tgt: str) -> list[str]:
        rep = tx.repetition(tgt) - tx.repetition(src)
        e = _bead(src, tgt, repetition=rep, repeat=tx.longest_repeat(tgt),
                  src_repeats=tx.longest_repeat(src) is not None)  # fmt: skip
        return [f.severity for f in rule_flags([e], "vi-en", "vi", "en") if f.kind == "duplicate"]

    assert sev("Không, không, không.", "No, no, no, no, no.") == ["low"]
    vi = "Tôi nghĩ là chúng ta có thể giải quyết."
    assert sev(vi, "I think that when I think about it, I think that we can.") == ["medium"]


def test_a_number_word_is_judged_by_its_value_not_its_support() -> None:
    from driftscope.quality.flags import FlagConfig, rule_flags
    from driftscope.quality.tokens import WordSupport

    tgt = "Hearts, who they trail by eight points"
    a = tgt.index("eight")
    sup = [[WordSupport(a, a + 5, "eight", 0.3, 0.3, -2.0)]]

    def terms(src: str, cfg: FlagConfig | None = None) -> list[str]:
        fl = rule_flags([_bead(src, tgt)], "vi-en", "vi", "en", cfg or FlagConfig(), tgt_lang="en",  # type: ignore[list-item]
                        support=sup)  # fmt: skip
        return [f.severity for f in fl if f.kind == "suspicious_term"]

    assert terms("Hearts, đội dẫn trước tám điểm") == []  # "tám" is eight
    assert terms("Hearts, đội dẫn trước 8 điểm") == []
    assert terms("Hearts, đội dẫn trước chín điểm") == ["low"]  # nine: not the same number
    # word support alone is medium only when asked for (term_medium), below term_support
    assert terms("Hearts, đội dẫn trước chín điểm", FlagConfig(term_medium=True)) == ["medium"]
    loose = FlagConfig(term_medium=True, term_support=-2.5)
    assert terms("Hearts, đội dẫn trước chín điểm", loose) == ["low"]


def test_chinese_time_words_are_found_without_spaces() -> None:
    words = time_words("第二天早上，他给母亲打了电话。昨晚下雨，星期天晴。")
    assert [(m.text, m.key) for m in words] == [
        ("早上", "morning"),
        ("昨晚", "evening|night|yesterday"),
        ("星期天", "sunday"),
    ]
    assert time_words("夜总会很热闹。") == []  # a nightclub, not a night


def test_invented_time_needs_a_source_language_with_time_words() -> None:
    tgt = "The next morning, he called his mother."
    assert invented_times("第二天早上，他给母亲打了电话。", tgt, "zh") == []
    assert [m.text for m in invented_times("他给母亲打了电话。", tgt, "zh")] == ["morning"]
    # Icelandic has no time words here: "morgun" cannot be read, so nothing is invented
    assert invented_times("Næsta morgun hringdi hann í móður sína.", tgt, "is") == []
    assert [m.text for m in invented_times("Hann hringdi í móður sína.", tgt, "")] == ["morning"]
