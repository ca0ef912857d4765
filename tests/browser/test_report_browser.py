"""The HTML report in headless Chromium: offline, fast, nothing from the data runs."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from driftscope.model import from_json
from driftscope.report.html import render_html

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture(scope="module")
def report_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    result = from_json((DATA / "report_chain.json").read_text(encoding="utf-8"))
    path = tmp_path_factory.mktemp("report") / "report.html"
    path.write_text(render_html(result), encoding="utf-8")
    return path


@pytest.fixture()
def opened(browser_context: Any, report_file: Path) -> Any:
    """Open the report with every request recorded and every non-file request aborted."""
    page = browser_context.new_page()
    seen: dict[str, list[Any]] = {"requests": [], "dialogs": [], "errors": [], "console": []}

    def route(r: Any) -> None:
        seen["requests"].append(r.request.url)
        if r.request.url == report_file.as_uri():
            r.continue_()
        else:
            r.abort()

    page.route("**/*", route)
    page.on("dialog", lambda d: (seen["dialogs"].append(d.message), d.dismiss()))
    page.on("pageerror", lambda e: seen["errors"].append(str(e)))
    page.on("console", lambda m: seen["console"].append(m.text))
    page.on("requestfailed", lambda r: seen["requests"].append(r.url))
    t0 = time.perf_counter()
    page.goto(report_file.as_uri(), wait_until="load")
    seen["load_s"] = time.perf_counter() - t0
    yield page, seen
    page.close()


def test_loads_fast_and_offline(opened: Any, report_file: Path) -> None:
    page, seen = opened
    assert seen["load_s"] < 2.0
    page.wait_for_timeout(300)  # give late requests (images, fonts, prefetch) a chance
    assert set(seen["requests"]) == {report_file.as_uri()}
    assert not seen["errors"], seen["errors"]
    assert not [m for m in seen["console"] if "Content Security Policy" in m], seen["console"]
    # the CSP let our own (hashed) script run
    assert page.evaluate("document.documentElement.dataset.js") == "ready"


def test_payloads_in_texts_run_nothing(opened: Any) -> None:
    page, seen = opened
    page.wait_for_timeout(300)
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert seen["dialogs"] == []
    assert page.locator("img").count() == 0 and page.locator("script").count() == 1
    # the payloads are shown as text in the aligned view
    row = page.locator("#row-7").inner_text()
    assert "<script>alert(1)</script>" in row and "<img src=x onerror=alert(1)>" in row


def test_key_parts_are_visible_and_linked(opened: Any, tmp_path_factory: Any) -> None:
    page, _ = opened
    for sel in (
        "#signature",
        "#summary-table",
        "#severity-buckets",
        "#drift-plot",
        "#scatter-0",
        "#coverage-table",
        "#flag-table",
        "#number-table",
        "#aligned-table",
    ):
        assert page.locator(sel).is_visible(), sel
    assert page.locator("#aligned-table thead th").all_inner_texts()[1:4] == ["ru", "vi", "en"]
    assert page.locator("#flag-table tbody tr").count() == 9
    shots = tmp_path_factory.mktemp("shots")
    page.screenshot(path=str(shots / "top.png"))
    # click-through: a scatter point opens its passage
    page.locator("#scatter-0 a[href='#row-5'] circle").click()
    assert page.evaluate("location.hash") == "#row-5"
    assert page.locator("#row-5").is_visible()
    # filters in the flag list and the aligned view work (the inline JS runs under the CSP)
    page.select_option("#flag-kind", "omission")
    assert page.locator("#flag-table tbody tr:visible").count() == 1
    page.locator("#only-flagged").check()
    assert page.locator("#row-0").is_hidden() and page.locator("#row-3").is_visible()
    page.screenshot(path=str(shots / "full.png"), full_page=True)
    assert (shots / "full.png").stat().st_size > 10_000
