"""Coverage: pure counting over bead lists, and the CLI (a view over the corpus engine)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from html import unescape
from pathlib import Path

import pytest
from driftscope.cli import run
from driftscope.coverage import (
    coverage_csv,
    coverage_from_alignments,
    pair_coverage,
    version_pairs,
)
from driftscope.errors import InputError
from driftscope.model import Bead


def B(src: Sequence[int], tgt: Sequence[int]) -> Bead:  # noqa: N802
    return Bead(tuple(src), tuple(tgt))


def test_pair_coverage_counts_each_segment_once() -> None:
    beads = [B([0], [0]), B([1, 2], [1]), B([3], []), B([], [2]), B([4], [3, 4])]
    p = pair_coverage(beads, 5, 5, "en", "ru", "d1")
    assert (p.represented, p.omitted, p.added) == (4, 1, 1)
    assert p.represented_share == pytest.approx(0.8) and p.added_share == pytest.approx(0.2)
    assert p.tgt_represented_share == pytest.approx(0.8)
    # a segment missing from every bead counts as omitted, not represented
    assert pair_coverage([B([0], [0])], 2, 1, "a", "b").omitted == 1
    with pytest.raises(InputError, match="outside 2x1"):
        pair_coverage([B([2], [0])], 2, 1, "a", "b", "d9")


def test_coverage_from_alignments_totals_and_matrix() -> None:
    sizes = {"en": [3, 2], "ru": [3, 2], "vi": [2, 3]}
    al = {
        ("en", "ru"): [[B([0], [0]), B([1], [1]), B([2], [2])], [B([0], [0]), B([1], [1])]],
        ("en", "vi"): [
            [B([0], [0]), B([1], []), B([2], [1])],
            [B([0], [0]), B([], [1]), B([1], [2])],
        ],
        ("ru", "vi"): [[B([0, 1], [0]), B([2], [1])], [B([0], [0, 1]), B([1], [2])]],
    }
    rep = coverage_from_alignments("en", al, sizes, ["a", "b"])
    vi = next(t for t in rep.totals if t.tgt == "vi" and t.src == "en")
    assert (vi.n_src, vi.represented, vi.omitted, vi.n_tgt, vi.added) == (5, 4, 1, 5, 1)
    m = rep.matrix()
    assert m["en"]["vi"] == pytest.approx(0.8) and m["vi"]["en"] == pytest.approx(0.8)
    assert m["en"]["ru"] == 1.0 and m["ru"]["vi"] == 1.0 and m["vi"]["vi"] == 1.0
    d = rep.to_dict()
    assert [r["tgt"] for r in d["against_original"]] == ["ru", "vi"]
    assert len(d["documents"]) == 6 and json.dumps(d)
    rows = list(csv.DictReader(io.StringIO(coverage_csv(rep))))
    assert rows[1]["omitted_share"] == "0.2000" and rows[1]["doc_id"] == ""


def test_coverage_rejects_inconsistent_inputs() -> None:
    with pytest.raises(InputError, match="number of documents"):
        coverage_from_alignments("en", {}, {"en": [1, 2], "ru": [1]})
    with pytest.raises(InputError, match="has 1 documents"):
        coverage_from_alignments("en", {("en", "ru"): [[]]}, {"en": [1, 1], "ru": [1, 1]})
    with pytest.raises(InputError, match="original"):
        coverage_from_alignments("xx", {}, {"en": [1]})


def test_version_pairs_original_first_then_each_pair() -> None:
    assert version_pairs("en", ["en", "ru", "vi"]) == [("en", "ru"), ("en", "vi"), ("ru", "vi")]


def _write(path: Path, lines: list[str], crlf: bool = True) -> Path:
    path.write_bytes(("\r\n" if crlf else "\n").join(lines).encode("utf-8") + b"\r\n")
    return path


def test_cli_coverage_groups_by_doc_ids(tmp_path: Path, capsys) -> None:
    ids = _write(tmp_path / "DOCUMENT_IDS.tsv", ["d1"] * 8 + ["d2"] * 6)
    en = [f"{i} Sentence number {i} in English." for i in range(1, 15)]
    ru = [f"{i} Предложение номер {i} по-русски." for i in range(1, 15)]
    ru[3] = "77 Совсем лишнее предложение."  # replaces the original's 4th line
    en_path = _write(tmp_path / "x.eng.txt", en)
    ru_path = _write(tmp_path / "x.rus.txt", ru)
    base = [
        "coverage",
        "--original",
        str(en_path),
        "--version",
        str(ru_path),
        "--doc-ids",
        str(ids),
        "--presegmented",
        "--model",
        "hash",
        "--workers",
        "1",
        "-q",
    ]
    assert run([*base, "--format", "json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["versions"] == ["eng", "rus"]
    row = d["against_original"][0]
    assert (row["n_src"], row["represented"], row["omitted"], row["added"]) == (14, 13, 1, 1)
    assert {r["doc_id"] for r in d["documents"]} == {"d1", "d2"}
    d1 = next(r for r in d["documents"] if r["doc_id"] == "d1")
    assert (d1["omitted"], d1["added"]) == (1, 1)
    out = tmp_path / "cov.html"
    assert run([*base, "--format", "html", "-o", str(out)]) == 0
    html = unescape(out.read_text(encoding="utf-8"))
    assert "default-src 'none'" in html and 'id="matrix-table"' in html and "92.9%" in html
    assert run([*base, "--format", "csv"]) == 0
    assert capsys.readouterr().out.startswith("src,tgt,doc_id")
    bad = _write(tmp_path / "ids2.tsv", ["d1"])
    assert run([*base[:5], "--doc-ids", str(bad), "--presegmented", "-q"]) == 2
    assert "document ids" in capsys.readouterr().err
