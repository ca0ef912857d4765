"""Headless Chromium for the report's browser tests.

Chromium comes from Debian (``apt-get install -y chromium``, ``/usr/bin/chromium``) and is driven
by Playwright's Python package with ``executable_path`` (never ``playwright install``). Outside
CI a missing browser skips these tests with the reason; with ``CI=true`` it fails them.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("DRIFTSCOPE_CHROMIUM", "/usr/bin/chromium")
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _missing(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (required in CI)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser_context() -> Iterator[Any]:
    """A persistent Chromium context with a fresh user-data-dir, closed at session end."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright is not installed (pip install playwright)")
    exe = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
    if not exe:
        _missing(f"chromium is not installed at {CHROMIUM} (apt-get install -y chromium)")
    with tempfile.TemporaryDirectory(prefix="ds-chromium-") as profile, sync_playwright() as pw:
        ctx = pw.chromium.launch_persistent_context(
            profile,
            executable_path=exe,
            headless=True,
            args=LAUNCH_ARGS,
            viewport={"width": 1366, "height": 768},
            service_workers="block",
        )
        try:
            yield ctx
        finally:
            ctx.close()
