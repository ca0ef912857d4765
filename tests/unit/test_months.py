"""Month names count as numbers in the number checks (quality.text.find_numbers)."""

from __future__ import annotations

import pytest
from driftscope.quality.text import find_numbers, number_mismatch


def _keys(text: str) -> list[str]:
    return [m.key for m in find_numbers(text)]


@pytest.mark.parametrize(
    ("text", "keys"),
    [
        ("Ещё в июне 2009 года", ["6", "2009"]),
        ("в сентябре 2014 года", ["9", "2014"]),
        ("после июньского саммита", ["6"]),
        ("As early as June 2009", ["6", "2009"]),
        ("closed until Oct.", ["10"]),
        ("en mars 2019 et juillet", ["3", "2019", "7"]),
        ("you may go on 5 May 2019", ["5", "5", "2019"]),
        # words that only look like months
        ("Mayor Martin met Marta and Jan at the march", []),
        ("маяк, Мартин и Марты", []),
    ],
)
def test_month_names(text: str, keys: list[str]) -> None:
    assert _keys(text) == keys


def test_month_written_as_number_matches_month_name() -> None:
    assert number_mismatch("Ещё в июне 2009 года", "Ngay từ tháng 6/2009") == ([], [])
    missing, extra = number_mismatch("в июле 2009 года", "tháng 6/2009")
    assert [m.text for m in missing] == ["июле"] and [m.text for m in extra] == ["6"]
