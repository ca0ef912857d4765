"""``driftscope flags`` end to end with the real offline encoder and aligner (small inputs)."""

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


VI = [
    "Tổng thống Alexander Lukashenko đã gặp bộ trưởng vào năm 2017.",
    "Tại Minsk đã diễn ra các cuộc biểu tình với 5.000 người tham gia.",
    "Thỏa thuận hợp tác quân sự đã được ký kết tại Moskva.",
    "Thời tiết ở thủ đô đẹp suốt cả ngày.",
    "Giá thực phẩm đã tăng năm phần trăm trong một năm.",
]
EN_RELAY = [
    "President Alexander Lukashenko met the minister in 2015.",
    "In Minsk, protests took place with 5,000 people participating.",
    "The military cooperation agreement was signed in Moscow.",
    "The weather in the capital was good all day.",
    "Food prices rose by five percent over the year.",
]


def _flags_ru_en(src: str, tgt: str, *extra: str) -> int:
    """``driftscope flags SRC TGT`` with ru->en given and one segment per line."""
    return run(
        ["flags", src, tgt, "--src-lang", "ru", "--tgt-lang", "en", "--presegmented", *extra]
    )


def test_flags_jsonl_finds_planted_problems(files: dict[str, Path], capsys) -> None:
    code = _flags_ru_en(
        str(files["ru"]),
        str(files["en"]),
        "--format",
        "jsonl",
        "--severity",
        "medium",
        "--no-terms",
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    flags = [json.loads(line) for line in out.splitlines()]
    got = {(f["kind"], tuple(f["tgt"])) for f in flags}
    assert ("number_mismatch", (0,)) in got
    assert ("untranslated", (2,)) in got
    # Line 3 is replaced by an unrelated sentence at random-pair similarity: the aligner leaves
    # both unmatched (two skips cost less than a random pair), so the replacement surfaces as an
    # omission of source line 3 plus an addition of target line 3.
    assert ("addition", (3,)) in got
    assert any(f["kind"] == "omission" and f["src"] == [3] for f in flags)
    assert not any(tuple(f["tgt"]) in ((1,), (4,)) for f in flags)  # faithful lines
    num = next(f for f in flags if f["kind"] == "number_mismatch")
    assert {s["text"] for s in num["spans"]} == {"2017", "2015"}
    assert all(f["severity"] in ("medium", "high") for f in flags)


def test_flags_text_output_to_file_and_severity_filter(files: dict[str, Path], capsys) -> None:
    dst = files["dir"] / "flags.txt"
    code = _flags_ru_en(
        str(files["ru"]), str(files["en"]), "--severity", "high", "--no-terms", "-o", str(dst)
    )
    _, err = capsys.readouterr()
    assert code == 0, err
    text = dst.read_text(encoding="utf-8")
    assert "untranslated" in text and "number_mismatch" not in text  # medium filtered out


def test_flags_pair_aligns_instead_of_pairing_lines(files: dict[str, Path], capsys) -> None:
    # The target lacks line 1 and line 3 is split in two: line-by-line pairing would shift
    # every later pair; the aligner must not, so the faithful lines stay unflagged.
    d = files["dir"]
    en = [EN_RELAY[0], EN_RELAY[2], "The weather in the capital", "was good all day.", EN_RELAY[4]]
    (d / "en2.txt").write_text("\n".join(en) + "\n", encoding="utf-8")
    code = _flags_ru_en(str(files["ru"]), str(d / "en2.txt"), "--format", "jsonl", "--no-terms")
    out, err = capsys.readouterr()
    assert code == 0, err
    flags = [json.loads(line) for line in out.splitlines()]
    assert {f["comparison"] for f in flags} == {"src-tgt"}
    om = [f for f in flags if f["kind"] == "omission"]
    assert om and all(f["src"] == [1] and f["tgt"] == [] for f in om)
    assert not any(f["kind"] == "low_similarity" for f in flags), flags
    assert ("number_mismatch", [0]) in [(f["kind"], f["tgt"]) for f in flags]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("corpus")
    for name, lines in (("ru", RU[:2] + [RU[2]] + RU[3:]), ("vi", VI), ("en", EN_RELAY)):
        (d / f"{name}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (d / "manifest.toml").write_text(
        'schema = 1\nid = "mini"\ntitle = "mini"\nchain = ["ru", "vi", "en"]\n'
        + "".join(
            f'[[versions]]\nid = "{v}"\nlang = "{v}"\nrole = "{r}"\nfile = "{v}.txt"\n'
            f'segments = "{v}.txt"\n'
            for v, r in (("ru", "original"), ("vi", "relay"), ("en", "mt"))
        ),
        encoding="utf-8",
    )
    return d


def test_flags_manifest_every_hop_and_direct_with_attribution(corpus: Path, capsys) -> None:
    code = run(["flags", str(corpus), "--format", "jsonl", "--no-terms"])
    out, err = capsys.readouterr()
    assert code == 0, err
    flags = [json.loads(line) for line in out.splitlines()]
    assert {f["comparison"] for f in flags} <= {"ru-vi", "vi-en", "ru-en"}
    # 2017 -> 2015 happens on the vi-en hop; the direct ru-en flag is attributed to it
    hop = [f for f in flags if f["comparison"] == "vi-en" and f["kind"] == "number_mismatch"]
    direct = [f for f in flags if f["comparison"] == "ru-en" and f["kind"] == "number_mismatch"]
    assert hop and hop[0]["tgt"] == [0] and hop[0]["hop"] == "vi-en"
    assert direct and direct[0]["hop"] == "vi-en"
    assert not any(f["comparison"] == "ru-vi" and f["kind"] == "number_mismatch" for f in flags)
    code = run(["flags", str(corpus / "manifest.toml"), "--no-terms", "--severity", "medium"])
    text, err = capsys.readouterr()
    assert code == 0, err
    line = next(x for x in text.splitlines() if x.startswith("ru-en\tvi-en\tnumber_mismatch"))
    assert "2017" in line and "2015" in line and "src[0]" in line


def test_flags_usage_errors(files: dict[str, Path], capsys) -> None:
    assert run(["flags", str(files["ru"]), str(files["en"]), "--format", "xml"]) == 2
    assert "--format" in capsys.readouterr().err
    assert run(["flags", str(files["ru"]), str(files["en"]), "--severity", "urgent"]) == 2
    code = _flags_ru_en(str(files["ru"]), str(files["en"]), "-o", str(files["ru"]))
    assert code == 2 and "overwrite" in capsys.readouterr().err
    assert run(["flags", str(files["ru"])]) == 2  # one plain file is neither pair nor corpus
    capsys.readouterr()
