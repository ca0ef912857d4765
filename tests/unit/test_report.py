"""Report renderers on the hand-made chain fixture (tests/data/report_chain.json)."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from driftscope.model import Bead, BeadScore, Comparison, RunResult, from_json, to_json
from driftscope.report import WRITERS, render_all
from driftscope.report.html import render_html
from driftscope.report.view import build_view

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture(scope="module")
def chain() -> RunResult:
    return from_json((DATA / "report_chain.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def outputs(chain: RunResult) -> dict[str, str]:
    return render_all(chain)


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.data: dict[str, list[str]] = {"script": [], "style": []}
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag in self.data:
            self._in = tag
            self.data[tag].append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == self._in:
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in:
            self.data[self._in][-1] += data


def _parse(html: str) -> _Collect:
    p = _Collect()
    p.feed(html)
    return p


def _sha(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def test_all_outputs_rendered_and_deterministic(chain: RunResult, outputs: dict[str, str]) -> None:
    assert set(outputs) == set(WRITERS)
    assert render_all(chain) == outputs  # byte-identical on a second render
    assert outputs["report.json"] == to_json(chain) + "\n"
    # round trip (NaN scores of 1-0 beads are null in JSON, so compare the text)
    assert to_json(from_json(outputs["report.json"])) + "\n" == outputs["report.json"]


def test_html_escapes_payloads_and_runs_only_its_own_script(outputs: dict[str, str]) -> None:
    html = outputs["report.html"]
    p = _parse(html)
    assert [t for t, _ in p.tags].count("script") == 1
    assert not [t for t, _ in p.tags if t in ("img", "iframe", "object", "embed", "link")]
    assert not [a for _, attrs in p.tags for a in attrs if a.startswith("on")]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<b>demo</b>" not in html and "&lt;b&gt;demo&lt;/b&gt;" in html
    assert "window.__pwned" not in p.data["script"][0]


def test_html_csp_hashes_match_inline_style_and_script(outputs: dict[str, str]) -> None:
    p = _parse(outputs["report.html"])
    metas = [
        a for t, a in p.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"
    ]
    assert len(metas) == 1
    csp = metas[0]["content"] or ""
    assert "default-src 'none'" in csp and "img-src data:" in csp
    assert "unsafe-inline" not in csp
    assert f"style-src {_sha(p.data['style'][0])};" in csp
    assert f"script-src {_sha(p.data['script'][0])};" in csp


def test_html_makes_no_external_reference(outputs: dict[str, str]) -> None:
    p = _parse(outputs["report.html"])
    for tag, attrs in p.tags:
        for name in ("src", "href", "action", "data", "srcset", "xlink:href"):
            val = attrs.get(name)
            if val is not None:
                assert val.startswith("#"), (tag, name, val)
    assert "@import" not in p.data["style"][0] and "url(" not in p.data["style"][0]


def test_html_sections_flags_rows_and_spans(chain: RunResult, outputs: dict[str, str]) -> None:
    html = outputs["report.html"]
    for sid in (
        "summary",
        "buckets",
        "drift",
        "scatter",
        "coverage",
        "flags",
        "numbers",
        "aligned",
        "signature",
    ):
        assert f'id="{sid}"' in html, sid
    n_flags = sum(len(c.flags) for c in chain.comparisons)
    assert n_flags == 9
    for i in range(n_flags):
        assert f'id="flag-{i}"' in html
    # three-column aligned view, one row per passage, rows linked from the scatter plot
    assert re.search(r"<th>ru</th><th>vi</th><th>en</th>", html)
    assert html.count('<tr id="row-') == 9
    assert 'href="#row-5"' in html  # the garbled passage is clickable in the plots
    assert '<mark class="sev-medium" title="number_mismatch">2019</mark>' in html
    assert "intfloat/multilingual-e5-small" in html and "sentence-transformers" in html


def test_summary_ci_and_buckets(chain: RunResult) -> None:
    view = build_view(chain)
    hops = {h.hop: h for h in view.hops}
    assert [h.hop for h in view.hops] == ["ru-vi", "vi-en", "ru-en"]
    rv = hops["ru-vi"]
    assert rv.in_chain and not hops["ru-en"].in_chain
    assert (rv.n_beads, rv.n_omitted, rv.n_added, rv.n_one_one) == (9, 1, 1, 7)
    assert rv.ci_low < rv.mean < rv.ci_high
    sims = [0.91, 0.88, 0.74, 0.86, 0.81, 0.35, 0.83]
    assert rv.mean == pytest.approx(sum(sims) / len(sims))
    assert sum(rv.sim_buckets) == 7 and rv.sim_buckets[1] == 1  # 0.35
    # beads by worst flag: none, low, medium, high
    assert rv.severity_beads == (5, 0, 2, 2)
    assert hops["vi-en"].n_many == 1


def test_number_diff_and_gold(chain: RunResult) -> None:
    view = build_view(chain)
    rows = {d.row: d for d in view.numbers}
    assert dict(rows[2].numbers) == {"ru": ("2019",), "vi": ("2018",), "en": ("2018",)}
    assert rows[6].names == (("en", "Washington"),)
    assert view.gold == ()
    gold = [
        {"hop": "ru-vi", "version": "vi", "segment": 2, "kind": "number_mismatch"},
        {"hop": "vi-en", "version": "en", "segment": 1, "kind": "broken_segment"},
    ]
    extras = {"gold": gold}
    import dataclasses

    view = build_view(dataclasses.replace(chain, extras=extras))
    assert view.gold[0].found_by == (1,) and view.gold[0].same_kind
    assert view.gold[1].found_by == ()
    html = render_html(dataclasses.replace(chain, extras=extras))
    assert 'id="gold"' in html and "1 of 2 found" in html and "missed" in html


def test_markdown_has_same_numbers_and_is_escaped(outputs: dict[str, str]) -> None:
    md = outputs["report.md"]
    assert "| ru-vi | 9 | 7 | 0 | 1 | 1 | 0.77 |" in md
    assert "## Flags (9)" in md
    assert "<script>" not in md and "<img" not in md
    flag_rows = [
        ln for ln in md.splitlines() if re.match(r"\| \d+ \| [a-z_]+ \| (low|medium|high) \|", ln)
    ]
    assert len(flag_rows) == 9


def test_csv_rows(chain: RunResult, outputs: dict[str, str]) -> None:
    beads = list(csv.DictReader(io.StringIO(outputs["beads.csv"])))
    assert len(beads) == sum(len(c.beads) for c in chain.comparisons) == 26
    omitted = [b for b in beads if b["hop"] == "ru-vi" and b["type"] == "1-0"]
    assert (
        len(omitted) == 1
        and omitted[0]["similarity"] == ""
        and omitted[0]["worst_severity"] == "high"
    )
    flags = list(csv.DictReader(io.StringIO(outputs["flags.csv"])))
    assert [f["kind"] for f in flags][:2] == ["omission", "number_mismatch"]
    assert "<script>alert(1)</script>" in flags[3]["tgt_text"] or "<script>" in flags[3]["tgt_text"]
    # the comparison names the pair whose segment numbers src/tgt are: a flag of the direct
    # ru-en pair says so, whatever hop it is attributed to
    direct = [c for c in chain.comparisons if c.hop == "ru-en"][0]
    by_comp = [f["comparison"] for f in flags]
    assert by_comp.count("ru-en") == len(direct.flags) > 0
    assert set(by_comp) == {c.hop for c in chain.comparisons if c.flags}


def test_flag_tables_name_the_comparison(outputs: dict[str, str]) -> None:
    md = outputs["report.md"]
    head = next(ln for ln in md.splitlines() if ln.startswith("| # | kind | severity"))
    assert head.startswith("| # | kind | severity | comparison | hop |")
    assert "| ru-en (direct) |" in md
    html = outputs["report.html"]
    assert (
        "<th>comparison</th><th>hop</th>" in html
        and 'ru-en <span class="muted">(direct)</span>' in html
    )


def test_csv_text_cells_are_not_formulas(chain: RunResult) -> None:
    """A segment that starts like a spreadsheet formula is written with a leading quote."""
    import dataclasses

    from driftscope.report.tables import cell, render_beads_csv

    doc = chain.documents[0]
    seg = dataclasses.replace(doc.segments[0], text='=HYPERLINK("http://x.invalid","click")')
    docs = (dataclasses.replace(doc, segments=(seg, *doc.segments[1:])), *chain.documents[1:])
    rows = list(
        csv.DictReader(io.StringIO(render_beads_csv(dataclasses.replace(chain, documents=docs))))
    )
    first = next(
        r for r in rows if r["src_version"] == doc.doc_id and r["src"].split()[:1] == ["0"]
    )
    assert first["src_text"].startswith("'=HYPERLINK(")
    assert [cell(x) for x in ("-5 dB", "@x", "+1", "ok =1")] == ["'-5 dB", "'@x", "'+1", "ok =1"]


def test_plain_pair_renders_without_scatter() -> None:
    pair = from_json((DATA / "report_pair.json").read_text(encoding="utf-8"))
    html = render_html(pair)
    assert 'id="scatter"' not in html and 'id="drift"' in html
    assert html.count('<tr id="row-') == 9


def _tiny(beads1: list[Bead], beads2: list[Bead], extras: dict | None = None) -> RunResult:
    chain = from_json((DATA / "report_chain.json").read_text(encoding="utf-8"))
    s = BeadScore(0.8, 0.9, 0.1, 0.0)
    c1 = Comparison("ru", "vi", tuple(beads1), (s,) * len(beads1))
    c2 = Comparison("vi", "en", tuple(beads2), (s,) * len(beads2))
    import dataclasses

    return dataclasses.replace(chain, comparisons=(c1, c2), extras=extras or {})


def test_rows_merge_two_to_one_and_keep_insertions_in_place() -> None:
    r = _tiny(
        [Bead((0,), (0,)), Bead((1,), (1,)), Bead((2,), (2,))],
        [Bead((), (0,)), Bead((0, 1), (1,)), Bead((2,), ()), Bead((), (2,))],
    )
    rows = [rv.row.segments for rv in build_view(r).rows]
    assert rows == [
        {"en": [0]},
        {"ru": [0, 1], "vi": [0, 1], "en": [1]},
        {"ru": [2], "vi": [2]},
        {"en": [2]},
    ]


def test_rows_from_extras_nway_override_composition() -> None:
    nway = [
        {
            "segments": {"ru": [0, 1, 2], "vi": [0, 1, 2], "en": [0, 1, 2]},
            "similarity": {"ru-vi": 0.5, "vi-en": None},
        }
    ]
    r = _tiny([Bead((0,), (0,))], [Bead((0,), (0,))], {"nway": nway})
    rows = build_view(r).rows
    assert len(rows) == 1 and rows[0].row.sims == {"ru-vi": 0.5}
