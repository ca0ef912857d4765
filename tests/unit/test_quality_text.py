from __future__ import annotations

import pytest
from driftscope.quality import text as tx


@pytest.mark.parametrize(
    ("src", "tgt", "missing", "extra"),
    [
        ("В 2017 г. было 1 000,5 т", "In 2017 there were 1,000.5 t", [], []),
        ("năm 2017 có 12 người", "in 2017 there were 12 people", [], []),
        ("С 2015 года", "Từ năm 2013", ["2015"], ["2013"]),
        ("at 7:55", "в 7.55", [], []),
        ("٢٠١٧ and 3,5%", "2017 and 3.5%", [], []),  # Arabic-Indic digits, decimal comma
        ("two numbers 10 and 10", "one 10", ["10"], []),  # multiset
        # Chinese numerals explain digits; digits before 万 / 亿 are multiples
        ("有一百二十人参加。", "with 120 participants", [], []),
        ("二〇一九年", "in 2019", [], []),
        ("5万名支持者", "50,000 supporters", [], []),
        ("5万名支持者", "5,000 supporters", ["5"], ["5,000"]),
        ("有一百二十人参加。", "with 130 participants", [], ["130"]),
    ],
)
def test_number_mismatch(src: str, tgt: str, missing: list[str], extra: list[str]) -> None:
    m, e = tx.number_mismatch(src, tgt)
    assert [x.text for x in m] == missing
    assert [x.text for x in e] == extra


def test_chinese_numeral_values() -> None:
    from driftscope.quality.zhnum import numeral_value

    cases = {"一百二十": 120, "五十万": 500000, "二〇一九": 2019, "十二": 12, "两千零五": 2005,
             "一亿二千万": 120000000, "三百零五": 305, "万": None}  # fmt: skip
    assert {k: numeral_value(k) for k in cases} == cases


def test_number_spans_point_at_the_number() -> None:
    (m,), _ = tx.number_mismatch("Sold 3 000 units", "Sold 30 units")
    assert "Sold 3 000 units"[m.start : m.end] == "3 000"


@pytest.mark.parametrize(
    ("a", "b", "ok"),
    [
        ("4", "10", True),
        ("80", "27", True),
        ("3000", "3", True),
        ("1930", "30", True),
        ("2015", "2013", False),
        ("300", "400", False),
    ],
)
def test_explained_conversions(a: str, b: str, ok: bool) -> None:
    assert tx.explained(a, b) is ok


def test_transliteration_matches_across_scripts() -> None:
    assert tx.translit("Лукашенко") == tx.translit("Lukashenko")
    altered, missing = tx.entity_mismatch(
        "НАТО подпитывает разворот Лукашенко и Путина", "NATO feeds the turn of Lukashenko, Putin"
    )
    assert altered == [] and missing == []


def test_entity_altered_and_missing() -> None:
    altered, missing = tx.entity_mismatch(
        "премьер Михаил Мясникович и глава Росатома", "Thủ tướng Mikhail Myasnikov"
    )
    assert [e.text for e in altered] == ["Мясникович"]
    assert [e.text for e in missing] == ["Росатома"]


def test_repetition_and_longest_repeat() -> None:
    loop = "the Council of the Council of the Council of the Council"
    assert tx.repetition(loop) > 0.5
    assert tx.repetition("A perfectly normal sentence without loops.") == 0.0
    rep = tx.longest_repeat(loop)
    assert rep is not None and loop[rep.start : rep.end] == rep.text


def test_broken_segments() -> None:
    assert tx.looks_broken("Belarus is one of the", "pro-Western countries.")
    assert not tx.looks_broken("Belarus is a country.", "it is small.")
    (b,) = tx.inner_breaks("Belarus is one. pro-Western country.")
    assert b.text == "one. pro-Western"
    assert tx.inner_breaks("Mr. Smith met Dr. Jones. They talked.") == []
    assert tx.inner_breaks("Выросло до 5 тыс. человек.") == []


def test_foreign_runs_skip_names() -> None:
    (r,) = tx.foreign_runs("Hiệp định О военном сотрудничестве được ký", "latin")
    assert r.text == "О военном сотрудничестве" and r.key == "cyrillic"
    assert tx.foreign_runs("Президент Alexander Lukashenko сказал", "cyrillic") == []
    assert tx.script_mixing("Привет мир", "cyrillic") == 0.0


def test_entities_hyphenated_names_and_derivations_are_kept() -> None:
    altered, missing = tx.entity_mismatch(
        "Dr Ednan-Laperouse said the Brexiteers met at the Rhein-Neckar-Arena",
        "Tiến sĩ Ednan-Laperouse nói những người ủng hộ Brexit gặp nhau tại Rhein-Neckar-Arena",
    )
    assert altered == []
