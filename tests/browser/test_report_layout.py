"""The HTML report's layout at phone width (420 px) and on a wide screen (1400 px).

Headless Chromium renders the bundled chain's report (tests/data/report_chain.json); each width
is screenshot (full page, under pytest's temporary folder, or ``$DRIFTSCOPE_SHOTS`` when set)
and measured: the page never scrolls sideways (wide tables scroll inside their own box), every
flag's source and target text lies inside the viewport, and the plots scale to the width.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from driftscope.model import from_json
from driftscope.report.html import render_html

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture(scope="module")
def report_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    result = from_json((DATA / "report_chain.json").read_text(encoding="utf-8"))
    path = tmp_path_factory.mktemp("layout") / "report.html"
    path.write_text(render_html(result), encoding="utf-8")
    return path


def _shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = os.environ.get("DRIFTSCOPE_SHOTS")
    if where:
        Path(where).mkdir(parents=True, exist_ok=True)
        return Path(where)
    return tmp_path_factory.mktemp("shots")


def _box(page: Any, selector: str) -> dict[str, float]:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, f"{selector} is not rendered"
    return box


@pytest.mark.parametrize("width", [420, 1400])
def test_layout_at_width(
    width: int, browser_context: Any, report_file: Path, tmp_path_factory: Any
) -> None:
    page = browser_context.new_page()
    try:
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(report_file.as_uri(), wait_until="load")
        page.screenshot(path=str(_shots(tmp_path_factory) / f"report-{width}.png"), full_page=True)
        inner = page.evaluate("window.innerWidth")
        # the page itself never scrolls sideways
        assert page.evaluate("document.documentElement.scrollWidth") <= inner
        for i in range(page.locator("table").count()):
            box = page.locator("table").nth(i).bounding_box()
            if box is not None:  # a table in a closed <details> has none
                assert box["x"] >= 0 and box["x"] + box["width"] <= inner + 0.5, i
        # every flag's source and target text is on screen (wrapped under its row on a phone)
        rows = page.locator("#flag-table tbody tr")
        assert rows.count() == 9
        for i in range(rows.count()):
            for cell in rows.nth(i).locator("td.txt").all():
                box = cell.bounding_box()
                assert box is not None and cell.is_visible()
                assert box["x"] >= 0 and box["x"] + box["width"] <= inner + 0.5
                assert box["width"] >= (0.8 * inner if width < 700 else 60)
        src = rows.first.locator("td.txt").first.inner_text()
        assert len(src) > 10  # the text itself, not an empty cell
        # plots scale to the width: the drift plot spans the content, the scatter is large
        body = _box(page, "main, body")
        content = body["width"]
        drift = _box(page, "#drift-plot")
        assert drift["width"] >= 0.9 * min(content, inner)
        scatter = _box(page, "#scatter-0")
        if width >= 1400:
            assert drift["width"] >= 1100 and scatter["width"] >= 450
        else:
            assert scatter["width"] >= 0.85 * (inner - 2 * 16) and drift["width"] <= inner
    finally:
        page.close()
