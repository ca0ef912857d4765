"""HTML page for ``driftscope coverage`` from its JSON-native summary. Layer: report.

Takes the dict of ``CoverageReport.to_dict()`` (plain JSON data, so this module needs nothing
but jinja2), escapes everything, and uses the report's CSS under the same strict CSP.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from driftscope.report.html import _asset, csp_hash, environment


def render_coverage_html(data: Mapping[str, Any], title: str = "driftscope coverage") -> str:
    """Render a coverage summary (``CoverageReport.to_dict()``) as one self-contained page."""
    css = _asset("report.css")
    csp = (
        f"default-src 'none'; style-src {csp_hash(css)}; script-src 'none'; img-src data:; "
        "base-uri 'none'; form-action 'none'"
    )
    return (
        environment().get_template("coverage.html.j2").render(d=data, css=css, csp=csp, title=title)
    )
