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
