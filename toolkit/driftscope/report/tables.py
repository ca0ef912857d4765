"""CSV renderers: one row per bead (``beads.csv``) and one per flag (``flags.csv``). Layer: report.

Indices are 0-based and joined with spaces (``"3 4"``); an empty side is an empty cell. Missing
scores are empty cells. Texts are quoted by the csv module; a text cell that starts with
``= + - @``, a tab or a carriage return gets a leading ``'`` so a spreadsheet shows it as text
instead of evaluating it as a formula (OWASP "CSV injection"). ``report.json`` keeps the texts
unchanged.
"""

from __future__ import annotations

import csv
import io
import json

from driftscope.model import RunResult
from driftscope.report.stats import finite

BEAD_COLUMNS = (
    "hop",
    "src_version",
    "tgt_version",
    "bead",
    "src",
    "tgt",
    "type",
    "cost",
    "similarity",
    "cosine",
    "margin",
    "length_ratio",
    "n_flags",
    "worst_severity",
    "src_text",
    "tgt_text",
)
FLAG_COLUMNS = (
    "flag_id",
    "comparison",  # the compared pair whose segment numbers src/tgt are (a hop or the direct pair)
    "hop",  # the step of the chain where the problem first appears
    "kind",
    "severity",
    "src",
    "tgt",
    "value",
    "threshold",
    "note",
    "evidence",
    "spans",
    "src_text",
    "tgt_text",
)
_RANK = {"low": 1, "medium": 2, "high": 3}


def _ids(ids: tuple[int, ...]) -> str:
    return " ".join(map(str, ids))


def _f(x: float) -> str:
    return f"{x:.6g}" if finite(x) else ""


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(text: str) -> str:
    """A text cell a spreadsheet will not evaluate: ``'`` before a formula-like start."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def _text(result: RunResult, version: str, ids: tuple[int, ...]) -> str:
    try:
        segs = result.document(version).segments
    except KeyError:
        return ""
    return cell(" ".join(segs[i].text for i in ids if 0 <= i < len(segs)))


def _write(header: tuple[str, ...], rows: list[list[str]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


def render_beads_csv(result: RunResult) -> str:
    """Every bead of every comparison with its scores, flag count and texts."""
    rows = []
    for comp in result.comparisons:
        for k, (bead, sc) in enumerate(zip(comp.beads, comp.scores, strict=False)):
            on = [f for f in comp.flags if set(f.src) & set(bead.src) or set(f.tgt) & set(bead.tgt)]
            worst = max((f.severity for f in on), key=lambda s: _RANK.get(s, 0), default="")
            rows.append(
                [
                    comp.hop,
                    comp.src_id,
                    comp.tgt_id,
                    str(k),
                    _ids(bead.src),
                    _ids(bead.tgt),
                    f"{len(bead.src)}-{len(bead.tgt)}",
                    _f(bead.cost),
                    _f(sc.similarity),
                    _f(sc.cosine),
                    _f(sc.margin),
                    _f(sc.length_ratio),
                    str(len(on)),
                    worst,
                    _text(result, comp.src_id, bead.src),
                    _text(result, comp.tgt_id, bead.tgt),
                ]
            )
    return _write(BEAD_COLUMNS, rows)


def render_flags_csv(result: RunResult) -> str:
    """Every flag, numbered as in the HTML report; evidence and spans as compact JSON."""
    rows = []
    fid = 0
    for comp in result.comparisons:
        for f in comp.flags:
            spans = [[s.version, s.segment, s.start, s.end, s.text] for s in f.spans]
            rows.append(
                [
                    str(fid),
                    comp.hop,
                    f.hop or comp.hop,
                    f.kind,
                    f.severity,
                    _ids(f.src),
                    _ids(f.tgt),
                    _f(f.value),
                    _f(f.threshold),
                    cell(f.note),
                    json.dumps(dict(sorted(f.evidence.items())), ensure_ascii=False),
                    json.dumps(spans, ensure_ascii=False) if spans else "",
                    _text(result, comp.src_id, f.src),
                    _text(result, comp.tgt_id, f.tgt),
                ]
            )
            fid += 1
    return _write(FLAG_COLUMNS, rows)
