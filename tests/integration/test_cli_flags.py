"""``driftscope flags`` end to end with the real offline encoder (small inputs)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from driftscope.cli import run

RU = [
    "Президент Александр Лукашенко встретился с министром в 2017 году.",
    "В Минске прошли протесты, в которых участвовали 5 000 человек.",
    "Соглашение о военном сотрудничестве было подписано в Москве.",
    "Погода в столице была хорошей весь день.",
    "Цены на продукты выросли на пять процентов за год.",
]
EN = [
    "President Alexander Lukashenko met the minister in 2015.",
    "In Minsk, protests took place with 5,000 people participating.",
    "Соглашение о военном сотрудничестве было подписано в Москве.",
    "Football is a very popular sport in Brazil and Argentina.",
    "Food prices rose by five percent over the year.",
]


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("flags")
    (d / "ru.txt").write_text("\n".join(RU) + "\n", encoding="utf-8")
    (d / "en.txt").write_text("\n".join(EN) + "\n", encoding="utf-8")
    return {"ru": d / "ru.txt", "en": d / "en.txt", "dir": d}


def test_flags_jsonl_finds_planted_problems(files: dict[str, Path], capsys) -> None:
    code = run(["flags", str(files["ru"]), str(files["en"]), "--src-lang", "ru", "--tgt-lang",
                "en", "--presegmented", "--format", "jsonl", "--severity", "medium",
                "--no-terms"])
    out, err = capsys.readouterr()
    assert code == 0, err
    flags = [json.loads(line) for line in out.splitlines()]
    got = {(f["kind"], tuple(f["tgt"])) for f in flags}
    assert ("number_mismatch", (0,)) in got
    assert ("untranslated", (2,)) in got
    assert ("low_similarity", (3,)) in got
    assert not any(tuple(f["tgt"]) in ((1,), (4,)) for f in flags)  # faithful lines
    num = next(f for f in flags if f["kind"] == "number_mismatch")
    assert {s["text"] for s in num["spans"]} == {"2017", "2015"}
    assert all(f["severity"] in ("medium", "high") for f in flags)


def test_flags_text_output_to_file_and_severity_filter(files: dict[str, Path], capsys) -> None:
    dst = files["dir"] / "flags.txt"
    code = run(["flags", str(files["ru"]), str(files["en"]), "--src-lang", "ru", "--tgt-lang",
                "en", "--presegmented", "--severity", "high", "--no-terms", "-o", str(dst)])
    _, err = capsys.readouterr()
    assert code == 0, err
    text = dst.read_text(encoding="utf-8")
    assert "untranslated" in text and "number_mismatch" not in text  # medium filtered out


def test_flags_usage_errors(files: dict[str, Path], capsys) -> None:
    assert run(["flags", str(files["ru"]), str(files["en"]), "--format", "xml"]) == 2
    assert "--format" in capsys.readouterr().err
    assert run(["flags", str(files["ru"]), str(files["en"]), "--severity", "urgent"]) == 2
    code = run(["flags", str(files["ru"]), str(files["en"]), "--src-lang", "ru", "--tgt-lang",
                "en", "--presegmented", "-o", str(files["ru"])])
    assert code == 2 and "overwrite" in capsys.readouterr().err
