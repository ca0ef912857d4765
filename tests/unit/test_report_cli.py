"""``driftscope report``: re-render a saved RunResult, JSON summary, pipeline wiring (faked)."""

from __future__ import annotations

import json
import shutil
import sys
import types
from pathlib import Path

import pytest
from driftscope.cli import run
from driftscope.model import from_json

DATA = Path(__file__).resolve().parents[1] / "data"
NAMES = {"report.html", "report.md", "report.json", "beads.csv", "flags.csv"}


def test_report_from_json_writes_every_format(tmp_path: Path, capsys) -> None:
    out = tmp_path / "out"
    assert (
        run(["report", str(DATA / "report_chain.json"), "-o", str(out), "-q", "--format", "json"])
        == 0
    )
    summary = json.loads(capsys.readouterr().out)
    assert {p.name for p in out.iterdir()} == NAMES
    assert set(summary["files"]) == NAMES
    assert summary["flags"] == 9 and summary["chain"] == ["ru", "vi", "en"]
    hop = summary["hops"][0]
    assert hop["hop"] == "ru-vi" and hop["ci95"][0] < hop["mean_similarity"] < hop["ci95"][1]
    assert (out / "report.json").read_text(encoding="utf-8") == (
        DATA / "report_chain.json"
    ).read_text(encoding="utf-8")


def test_rerender_from_saved_report_is_identical(tmp_path: Path, capsys) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    assert run(["report", str(DATA / "report_chain.json"), "-o", str(a), "-q"]) == 0
    assert run(["report", str(a / "report.json"), "-o", str(b), "-q"]) == 0
    for name in NAMES:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    # re-rendering into the folder that holds the input leaves the identical input alone
    assert run(["report", str(a / "report.json"), "-o", str(a), "-q"]) == 0
    assert capsys.readouterr().out == ""


def test_text_summary_and_bad_inputs(tmp_path: Path, capsys) -> None:
    assert run(["report", str(DATA / "report_chain.json"), "-o", str(tmp_path), "-q"]) == 0
    assert capsys.readouterr().out == ""  # --quiet text: nothing on stdout
    assert run(["report", str(DATA / "report_chain.json"), "-o", str(tmp_path / "t")]) == 0
    assert "ru-vi: mean similarity" in capsys.readouterr().out
    bad = tmp_path / "bad.json"
    bad.write_text('{"not": "a run"}', encoding="utf-8")
    assert run(["report", str(bad), "-o", str(tmp_path / "x")]) == 2
    assert "not a saved driftscope run" in capsys.readouterr().err
    # the right top-level keys but not a run: still one plain line, no Python internals
    bad.write_text('{"documents": [], "comparisons": [], "x": 1}', encoding="utf-8")
    assert run(["report", str(bad), "-o", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert "not a saved driftscope run" in err and "__init__" not in err and "argument" not in err
    assert run(["report", str(DATA / "report_chain.json"), "-o", str(tmp_path), "-f", "xml"]) == 2


def test_corpus_goes_through_pipeline_with_options(tmp_path: Path, monkeypatch, capsys) -> None:
    result = from_json((DATA / "report_chain.json").read_text(encoding="utf-8"))
    calls = []

    def run_manifest(path, cfg=None, progress=None):  # driftscope.pipeline.run_manifest, faked
        calls.append((Path(path), cfg))
        return result

    fake = types.SimpleNamespace(run_manifest=run_manifest, PipelineConfig=lambda **kw: kw)
    monkeypatch.setitem(sys.modules, "driftscope.pipeline", fake)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    out = tmp_path / "out"
    argv = [
        "report",
        str(corpus),
        "-o",
        str(out),
        "-q",
        "-f",
        "json",
        "--model",
        "m",
        "--severity",
        "medium",
        "--seed",
        "7",
    ]
    assert run(argv) == 0
    assert calls == [
        (
            corpus,
            {"model": "m", "backend": None, "min_severity": "medium", "seed": 7, "terms": True},
        )
    ]
    # --severity medium keeps only medium and high flags (also a view filter on re-render)
    kept = sum(f.severity != "low" for c in result.comparisons for f in c.flags)
    assert 0 < kept < 9
    assert json.loads(capsys.readouterr().out)["flags"] == kept
    # --fail-on: exit 1 when a flag at or above that severity exists (the fixture has high ones)
    assert run([*argv, "--fail-on", "high"]) == 1
    err = capsys.readouterr().err
    n_high = sum(f.severity == "high" for c in result.comparisons for f in c.flags)
    assert err.count("\n") == 1 and f"{n_high} flags at or above high" in err, err
    assert str(out / "flags.csv") in err
    assert run([*argv, "--fail-on", "extreme"]) == 2


def test_missing_pipeline_is_a_clear_error(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setitem(sys.modules, "driftscope.pipeline", None)  # import fails
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(DATA / "report_chain.json", corpus / "x.txt")
    rc = run(["report", str(corpus), "-o", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert rc == 2 and "driftscope: error:" in err


@pytest.mark.parametrize("argv", [["report", "--help"], ["coverage", "--help"]])
def test_help(argv: list[str], capsys) -> None:
    assert run(argv) == 0
    assert "Usage" in capsys.readouterr().out
