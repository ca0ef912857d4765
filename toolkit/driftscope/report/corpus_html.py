"""``index.html`` of a corpus run from its JSON-native summary. Layer: report.

Takes the dict of ``CorpusSummary.index_data()`` (plain JSON data): the coverage matrix of
versions x versions, the version pairs, the documents ranked by drift with links to their
reports, and the error rows. Everything is escaped; the page loads nothing (strict CSP).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from driftscope.report.html import _asset, csp_hash, environment


def render_corpus_html(data: Mapping[str, Any]) -> str:
    """Render a corpus summary as one self-contained page."""
    css = _asset("report.css")
    csp = (
        f"default-src 'none'; style-src {csp_hash(css)}; script-src 'none'; img-src data:; "
        "base-uri 'none'; form-action 'none'"
    )
    return environment().get_template("corpus.html.j2").render(d=data, css=css, csp=csp)
