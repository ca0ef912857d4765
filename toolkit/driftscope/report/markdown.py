"""Markdown report: the same numbers as the HTML, as tables. Layer: report (model + stdlib).

Texts are made table-safe (pipes, newlines, backticks and HTML brackets escaped) so that a
Markdown viewer that renders inline HTML shows the text instead of running it.
"""

from __future__ import annotations

from driftscope.model import SEVERITIES, RunResult
from driftscope.report.stats import CI_LEVEL, N_BOOTSTRAP, SIM_BUCKET_LABELS, SIM_SCALE, finite
from driftscope.report.view import ReportView, build_view

_ESC = str.maketrans(
    {
        "|": "\\|",
        "\n": " ",
        "\r": " ",
        "`": "\\`",
        "<": "&lt;",
        ">": "&gt;",
        "&": "&amp;",
        "*": "\\*",
        "_": "\\_",
        "[": "\\[",
        "]": "\\]",
    }
)


def md(text: object) -> str:
    """Escape a value for a Markdown table cell."""
    return str(text).translate(_ESC)


def _n(x: float) -> str:
    return f"{x:.2f}" if finite(x) else "–"


def _p(x: float) -> str:
    return f"{100 * x:.1f}%" if finite(x) else "–"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return out + [""]


def render_markdown(result: RunResult, view: ReportView | None = None) -> str:
    """Render ``result`` as Markdown: signature, summary, buckets, coverage, flags, numbers."""
    v = view if view is not None else build_view(result)
    sig = result.signature
    sig_line = sig.format().replace("`", "'")
    lines = [f"# {md(result.title or 'driftscope report')}", "", f"`{sig_line}`", ""]
    lines += _table(
        ["version", "language", "role", "segments", "source", "sha256"],
        [
            [
                md(d.doc_id),
                md(d.lang),
                md(d.role or "–"),
                str(len(d.segments)),
                md(d.source),
                d.sha256[:12],
            ]
            for d in result.documents
        ],
    )
    lines += ["## Signature", ""]
    lines += _table(["parameter", "value"], [[md(k), md(val)] for k, val in _sig_rows(result)])
    lines += [
        "## Per-hop summary",
        "",
        f"Mean bead similarity ({SIM_SCALE}) with a {int(CI_LEVEL * 100)}% bootstrap interval "
        f"({N_BOOTSTRAP} resamples, seed {sig.seed}).",
        "",
    ]
    lines += _table(
        [
            "comparison",
            "beads",
            "1-1",
            "n-m",
            "omitted",
            "added",
            "mean",
            "95% CI",
            "median",
            *reversed(SEVERITIES),
        ],
        [
            [
                md(h.hop) + ("" if h.in_chain else " (direct)"),
                str(h.n_beads),
                str(h.n_one_one),
                str(h.n_many),
                str(h.n_omitted),
                str(h.n_added),
                _n(h.mean),
                f"[{_n(h.ci_low)}, {_n(h.ci_high)}]",
                _n(h.median),
                *[str(h.severity_beads[i]) for i in range(len(SEVERITIES), 0, -1)],
            ]
            for h in v.hops
        ],
    )
    lines += ["## Similarity buckets", ""]
    lines += _table(
        ["comparison", *SIM_BUCKET_LABELS], [[md(h.hop), *map(str, h.sim_buckets)] for h in v.hops]
    )
    lines += ["## Coverage", ""]
    lines += _table(
        ["comparison", "source segments", "represented", "omitted", "target segments", "added"],
        [
            [
                md(h.hop),
                str(h.n_src),
                _p(h.represented_share),
                _p(h.omitted_share),
                str(h.n_tgt),
                _p(h.added_share),
            ]
            for h in v.hops
        ],
    )
    in_chain = {h.hop for h in v.hops if h.in_chain}
    lines += [
        f"## Flags ({v.n_flags})",
        "",
        "Segment numbers are those of the comparison's two versions; *hop* is the step of the "
        "chain where the problem first appears.",
        "",
    ]
    lines += _table(
        [
            "#",
            "kind",
            "severity",
            "comparison",
            "hop",
            "segments",
            "value",
            "threshold",
            "note",
            "source",
            "target",
        ],
        [
            [
                str(f.fid),
                f.flag.kind,
                f.flag.severity,
                md(f.comp.hop) + ("" if f.comp.hop in in_chain else " (direct)"),
                md(f.flag.hop or f.comp.hop),
                f"{','.join(map(str, f.flag.src))}:{','.join(map(str, f.flag.tgt))}",
                _n(f.flag.value),
                _n(f.flag.threshold),
                md(f.flag.note),
                md(f.src_text),
                md(f.tgt_text),
            ]
            for f in v.flags
        ],
    )
    lines += ["## Numbers and names", ""]
    lines += _table(
        ["passage", *map(md, v.chain), "flags"],
        [
            [
                str(d.row),
                *[md(", ".join(dict(d.numbers).get(c, ("absent",)))) for c in v.chain],
                " ".join(f"#{i}" for i in d.flags),
            ]
            for d in v.numbers
        ],
    )
    if v.gold:
        lines += [
            "## Gold check",
            "",
            f"{sum(1 for g in v.gold if g.strict)} of {len(v.gold)} known problems found "
            "strictly (a flag of their kind, or an equivalent one, at medium or above on their "
            f"span); {sum(1 for g in v.gold if g.found_by)} touched by any flag of the hop.",
            "",
        ]
        lines += _table(
            ["hop", "segment", "kind", "span", "explanation", "found by"],
            [
                [
                    md(g.hop),
                    f"{md(g.version)} {g.segment}",
                    md(g.kind),
                    md(g.span),
                    md(g.note),
                    (" ".join(f"#{i}" for i in g.found_by) or "**missed**")
                    + ("" if g.strict or not g.found_by else " (not strict)"),
                ]
                for g in v.gold
            ],
        )
    return "\n".join(lines).rstrip("\n") + "\n"


def _sig_rows(result: RunResult) -> list[tuple[str, object]]:
    sig = result.signature
    rows: list[tuple[str, object]] = [
        ("driftscope", sig.driftscope),
        ("encoder", sig.encoder),
        ("revision", sig.revision or "–"),
        ("prompt", sig.prompt or "none"),
        ("seed", sig.seed),
    ]
    for group in ("align", "score", "flag", "packages"):
        rows += [(f"{group}.{k}", val) for k, val in sorted(getattr(sig, group).items())]
    return rows
