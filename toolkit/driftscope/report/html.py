"""Self-contained HTML report from jinja2 templates, autoescape always on. Layer: report.

The page makes no request: CSS, JS and SVG plots are inline, and a Content-Security-Policy
meta tag (``default-src 'none'``) allows only the inline style and script whose sha256 hashes
it lists, plus ``data:`` images. Every text from the RunResult goes through autoescape.
"""

from __future__ import annotations

import base64
import hashlib
import math
from importlib import resources

import jinja2

from driftscope.model import FLAG_KINDS, SEVERITIES, RunResult
from driftscope.report.stats import CI_LEVEL, N_BOOTSTRAP, SIM_BUCKET_LABELS, SIM_SCALE
from driftscope.report.view import ReportView, build_view

_TEMPLATES = "driftscope.report"


def _asset(name: str) -> str:
    return resources.files(_TEMPLATES).joinpath("templates", name).read_text(encoding="utf-8")


def csp_hash(text: str) -> str:
    """CSP source expression for an inline element's exact text content."""
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def content_security_policy(css: str, js: str) -> str:
    """The page's policy: nothing but the hashed inline style and script, and data: images."""
    return (
        "default-src 'none'; "
        f"style-src {csp_hash(css)}; script-src {csp_hash(js)}; img-src data:; "
        "base-uri 'none'; form-action 'none'"
    )


def _num(x: object) -> str:
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return str(x)
    if isinstance(x, float) and math.isnan(x):
        return "–"
    return f"{x:.2f}" if isinstance(x, float) else str(x)


def _pct(x: float | None) -> str:
    return "–" if x is None or math.isnan(x) else f"{100.0 * x:.1f}%"


def environment() -> jinja2.Environment:
    """A jinja2 environment that escapes everything and fails on undefined names."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader(_TEMPLATES, "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    env.filters["num"] = _num
    env.filters["pct"] = _pct
    return env


def render_html(result: RunResult, view: ReportView | None = None) -> str:
    """Render ``result`` to one self-contained HTML page.

    Args:
        result: the run to show.
        view: a precomputed view model of ``result`` (computed when omitted).

    Returns:
        The HTML text (UTF-8, deterministic for a given RunResult).
    """
    view = view if view is not None else build_view(result)
    css, js = _asset("report.css"), _asset("report.js")
    template = environment().get_template("report.html.j2")
    return template.render(
        r=result,
        v=view,
        sig=result.signature,
        title=result.title or "driftscope report",
        css=css,
        js=js,
        csp=content_security_policy(css, js),
        severities=SEVERITIES,
        flag_kinds=sorted({f.flag.kind for f in view.flags} or FLAG_KINDS),
        seg_rows={
            (c, i): rv.row.rid
            for rv in view.rows
            for c, ids in rv.row.segments.items()
            for i in ids
        },
        bucket_labels=SIM_BUCKET_LABELS,
        n_boot=N_BOOTSTRAP,
        ci_level=CI_LEVEL,
        sim_scale=SIM_SCALE,
    )
