"""The report's view model: everything a renderer shows, built once from a RunResult.

Layer: report (model + stdlib). Renderers (HTML, Markdown, CSV) format this; they compute
nothing of their own, so every format shows the same numbers.

Optional ``RunResult.extras`` keys read here (absent keys are simply not rendered):
- ``"nway"``: n-way rows, see :mod:`driftscope.report.rows`.
- ``"gold"``: known problems of a bundled corpus (the rows of ``gold/problems.tsv``),
  ``[{"hop": "ru-vi", "version": "vi", "segment": 21, "kind": "number_mismatch",
  "span": "2013", "note": "..."}]``; each is shown as found or missed, where found means a flag
  on the same hop covers that segment of that version (in its src/tgt or its spans).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from driftscope.model import Comparison, Flag, RunResult
from driftscope.report.gold import finds, gold_range
from driftscope.report.plots import Plot, drift_plot, scatter_plots
from driftscope.report.rows import Cell, Piece, Row, attach_flags, cell_pieces, compose_rows
from driftscope.report.stats import HopStats, all_hop_stats, chain_of, numbers_in

NUMBER_KINDS = ("number_mismatch", "entity_mismatch")


@dataclass(frozen=True, slots=True)
class FlagView:
    fid: int
    flag: Flag
    comp: Comparison
    row: int  # -1 when outside the rows
    src_text: str
    tgt_text: str

    @property
    def anchor(self) -> str:
        return f"flag-{self.fid}"


@dataclass(frozen=True, slots=True)
class NumberDiff:
    """A passage whose versions disagree on numbers (regex), or a number/entity flag."""

    row: int
    numbers: tuple[tuple[str, tuple[str, ...]], ...]  # (version, sorted numbers)
    flags: tuple[int, ...]  # ids of number/entity flags on the row
    names: tuple[tuple[str, str], ...]  # (version, flagged span text) from entity flags


@dataclass(frozen=True, slots=True)
class GoldItem:
    """A known problem (``extras["gold"]``) and the flags that found it."""

    hop: str
    version: str
    segment: int
    kind: str
    span: str
    note: str
    found_by: tuple[int, ...]  # ids of flags on the hop touching (version, segment)
    same_kind: bool  # one of them has the gold kind
    strict: tuple[int, ...] = ()  # ids of flags that find it strictly (report.gold.finds)


@dataclass(frozen=True, slots=True)
class RowView:
    row: Row
    cells: tuple[Cell, ...]  # one per chain version (empty segments when absent)


@dataclass(frozen=True, slots=True)
class ReportView:
    result: RunResult
    chain: tuple[str, ...]
    hops: tuple[HopStats, ...]
    rows: tuple[RowView, ...]
    flags: tuple[FlagView, ...]
    numbers: tuple[NumberDiff, ...]
    gold: tuple[GoldItem, ...]
    drift: Plot
    scatters: tuple[Plot, ...]

    @property
    def n_flags(self) -> int:
        return len(self.flags)


def _texts(result: RunResult, version: str, ids: tuple[int, ...] | list[int]) -> str:
    try:
        doc = result.document(version)
    except KeyError:
        return ""
    return " ".join(doc.segments[i].text for i in ids if 0 <= i < len(doc.segments))


def build_view(result: RunResult) -> ReportView:
    """Compute the whole view model (rows, flags, stats, plots) from ``result``."""
    chain = chain_of(result)
    rows = compose_rows(result)
    linked = attach_flags(result, rows)
    flags = tuple(
        FlagView(fid, f, c, rid, _texts(result, c.src_id, f.src), _texts(result, c.tgt_id, f.tgt))
        for fid, f, c, rid in linked
    )
    versions = list(chain) + sorted({v for r in rows for v in r.segments if v not in chain})
    row_views = []
    for row in rows:
        cells = []
        for v in versions:
            ids = tuple(row.segments.get(v, ()))
            cells.append(Cell(v, ids, tuple(_pieces(result, v, i, linked) for i in ids)))
        row_views.append(RowView(row, tuple(cells)))
    row_of = {(v, i): r.rid for r in rows for v, ids in r.segments.items() for i in ids}
    tips = {
        r.rid: " | ".join(_short(_texts(result, v, ids)) for v, ids in r.segments.items())
        for r in rows
    }
    return ReportView(
        result=result,
        chain=tuple(versions),
        hops=tuple(all_hop_stats(result)),
        rows=tuple(row_views),
        flags=flags,
        numbers=tuple(_number_diffs(result, rows, flags)),
        gold=tuple(_gold(result, flags)),
        drift=drift_plot(result, rows, row_of),
        scatters=tuple(scatter_plots(result, rows, tips)),
    )


def _short(text: str, n: int = 90) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _pieces(
    result: RunResult, version: str, i: int, linked: list[tuple[int, Flag, Comparison, int]]
) -> tuple[Piece, ...]:
    try:
        text = result.document(version).segments[i].text
    except (KeyError, IndexError):
        text = ""
    return cell_pieces(text, version, i, linked)


def _number_diffs(
    result: RunResult, rows: list[Row], flags: tuple[FlagView, ...]
) -> list[NumberDiff]:
    out = []
    for row in rows:
        nums = tuple((v, numbers_in(_texts(result, v, ids))) for v, ids in row.segments.items())
        present = [n for _, n in nums]
        differ = len(present) > 1 and any(n != present[0] for n in present[1:])
        fids = tuple(f.fid for f in flags if f.row == row.rid and f.flag.kind in NUMBER_KINDS)
        names = tuple(
            (sp.version, sp.text)
            for f in flags
            if f.fid in fids and f.flag.kind == "entity_mismatch"
            for sp in f.flag.spans
        )
        if differ or fids:
            out.append(NumberDiff(row.rid, nums, fids, names))
    return out


def _gold(result: RunResult, flags: tuple[FlagView, ...]) -> list[GoldItem]:
    extras: Mapping[str, Any] = result.extras if isinstance(result.extras, Mapping) else {}
    items = extras.get("gold")
    if not isinstance(items, list):
        return []
    out = []
    for g in items:
        hop, version = str(g.get("hop", "")), str(g.get("version", ""))
        seg, kind = int(g.get("segment", -1)), str(g.get("kind", ""))
        found = [
            f for f in flags if (f.flag.hop or f.comp.hop) == hop and _touches(f, version, seg)
        ]
        span = _span(g.get("span", ""))
        doc = next((d for d in result.documents if d.doc_id == version), None)
        rng = (
            gold_range(span, doc.segments[seg].text)
            if span and doc is not None and 0 <= seg < len(doc.segments)
            else None
        )
        strict = tuple(
            f.fid
            for f in found
            if finds(dataclasses.replace(f.flag, hop=hop), hop, version, seg, kind, rng)
        )
        out.append(
            GoldItem(
                hop,
                version,
                seg,
                kind,
                _span(g.get("span", "")),
                str(g.get("note", "")),
                tuple(f.fid for f in found),
                any(f.flag.kind == kind for f in found),
                strict,
            )
        )
    return out


def _touches(f: FlagView, version: str, seg: int) -> bool:
    if version == f.comp.src_id and seg in f.flag.src:
        return True
    if version == f.comp.tgt_id and seg in f.flag.tgt:
        return True
    return any(sp.version == version and sp.segment == seg for sp in f.flag.spans)


def _span(value: object) -> str:
    """``gold/problems.tsv`` writes ``-`` for a problem without a span."""
    text = str(value or "").strip()
    return "" if text == "-" else text
