"""``driftscope align`` and ``eval-align`` end to end (hash encoder; one real-encoder run)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from driftscope.cli import run
from driftscope.evaluate import read_beads

SRC = [
    "The council met on Monday to discuss the budget.",
    "Several members asked for more money for schools.",
    "",
    "The mayor promised an answer within a week.",
    "Nobody mentioned the new bridge.",
]
TGT = [
    "Der Rat traf sich am Montag, um über den Haushalt zu beraten.",
    "Mehrere Mitglieder forderten mehr Geld für Schulen.",
    "",
    "Der Bürgermeister versprach eine Antwort innerhalb einer Woche.",
    "Niemand erwähnte die neue Brücke.",
]


@pytest.fixture()
def pair(tmp_path: Path) -> tuple[Path, Path]:
    s, t = tmp_path / "src.en", tmp_path / "tgt.de"
    s.write_text("\n".join(SRC) + "\n", encoding="utf-8")
    t.write_text("\n".join(TGT) + "\n", encoding="utf-8")
    return s, t


def _align(pair, *extra: str) -> list[str]:
    return ["align", str(pair[0]), str(pair[1]), "--src-lang", "en", "--tgt-lang", "de",
            "--presegmented", "-q", *extra]  # fmt: skip


def test_beads_default_format_with_real_encoder(pair, capsys) -> None:
    assert run(_align(pair)) == 0
    out = capsys.readouterr().out
    assert out.splitlines() == ["[0]:[0]", "[1]:[1]", "[2]:[2]", "[3]:[3]"]


@pytest.mark.parametrize("fmt", ["tsv", "jsonl", "tmx"])
def test_formats(pair, capsys, fmt: str) -> None:
    assert run(_align(pair, "--model", "hash", "-f", fmt)) == 0
    out = capsys.readouterr().out
    if fmt == "tsv":
        rows = [r.split("\t") for r in out.splitlines()]
        assert rows[0] == ["bead", "src_text", "tgt_text", "similarity"]
        assert all(len(r) == 4 for r in rows)
        assert any(SRC[0] in r[1] for r in rows)
    elif fmt == "jsonl":
        recs = [json.loads(x) for x in out.splitlines()]
        assert {"src", "tgt", "src_text", "tgt_text", "similarity"} <= set(recs[0])
        assert sorted(i for r in recs for i in r["src"]) == [0, 1, 2, 3]
    else:
        root = ET.fromstring(out)
        assert root.tag == "tmx" and root.get("version") == "1.4"
        assert root.find("header").get("srclang") == "en"
        assert len(root.findall("body/tu")) >= 1


def test_out_file_and_refusal_to_overwrite_input(pair, tmp_path, capsys) -> None:
    out = tmp_path / "a.beads"
    assert run(_align(pair, "--model", "hash", "-o", str(out))) == 0
    assert read_beads(out)
    assert run(_align(pair, "--model", "hash", "-o", str(pair[0]))) == 2
    assert "overwrite" in capsys.readouterr().err
    assert pair[0].read_text(encoding="utf-8").startswith("The council")


def test_bad_options_exit_2(pair, capsys) -> None:
    assert run(_align(pair, "--model", "hash", "--skip", "-1")) == 2
    assert run(_align(pair, "--model", "hash", "-f", "xml")) == 2
    err = capsys.readouterr().err
    assert "skip" in err and "format" in err


def test_eval_align_text_and_json(tmp_path, capsys) -> None:
    gold = tmp_path / "gold.beads"
    sys_ = tmp_path / "sys.beads"
    gold.write_text("[0]:[0]\n[1]:[1, 2]\n[]:[3]\n", encoding="utf-8")
    sys_.write_text("[0]:[0]\n[1]:[1]\n[]:[2]\n[]:[3]\n", encoding="utf-8")
    assert run(["eval-align", str(gold), str(sys_), "-f", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["strict"]["precision"] == pytest.approx(2 / 4)
    assert data["strict"]["recall"] == pytest.approx(1 / 2)
    assert data["lax"]["recall"] == pytest.approx(1.0)
    assert run(["eval-align", str(gold), str(sys_), str(gold), str(sys_)]) == 0
    assert "strict" in capsys.readouterr().out
    assert run(["eval-align", str(gold)]) == 2


def test_cli_defaults_match_align_config() -> None:
    """The CLI spells its defaults out (no heavy import for --help); they must not drift."""
    import inspect

    from driftscope.align import AlignConfig
    from driftscope.cli.align import align_cmd

    cfg = AlignConfig()
    params = inspect.signature(align_cmd).parameters
    names = ("max_bead", "skip", "skip_adapt", "merge_penalty", "length_weight", "margin")
    names = (*names, "anchor_weight", "short_len")
    for name in (*names, "band", "seed"):
        assert params[name].default == getattr(cfg, name), name
    assert params["embed"].default == cfg.embed
