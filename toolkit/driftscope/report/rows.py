"""Compose the chain's hops into n-way rows (passages) and attach flags. Layer: report.

A *row* is a passage as it travels down the chain: the segments of every version that the
hop alignments connect (e.g. ru [3] -> vi [2, 3] -> en [4]). ``RunResult.extras["nway"]``, when
the pipeline provides it, replaces the composition done here:
``[{"segments": {"ru": [3], "vi": [2, 3], "en": [4]}, "similarity": {"ru-vi": 0.8, ...}}, ...]``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from driftscope.model import Comparison, Document, Flag, RunResult
from driftscope.report.stats import SEVERITY_RANK, chain_hops, chain_of, finite


@dataclass(frozen=True, slots=True)
class Piece:
    """A run of one segment's text; ``kinds`` is non-empty for a flagged span."""

    text: str
    kinds: tuple[str, ...] = ()
    severity: str = ""


@dataclass(frozen=True, slots=True)
class Cell:
    """One version's segments in a row."""

    version: str
    segments: tuple[int, ...]
    pieces: tuple[tuple[Piece, ...], ...]  # parallel to segments


@dataclass(slots=True)
class Row:
    """A passage across the chain; ``sims`` maps hop name to the worst bead similarity."""

    rid: int
    segments: dict[str, list[int]]
    sims: dict[str, float] = field(default_factory=dict)
    flag_ids: list[int] = field(default_factory=list)
    severity: str = ""

    @property
    def anchor(self) -> str:
        return f"row-{self.rid}"


def compose_rows(result: RunResult) -> list[Row]:
    """N-way rows from ``extras["nway"]`` or by composing consecutive hop beads in order."""
    nway = result.extras.get("nway") if isinstance(result.extras, Mapping) else None
    rows: list[Row]
    if isinstance(nway, list) and nway:
        rows = _rows_from_extras(nway)
        _direct_sims(result, rows)
        return rows
    chain = chain_of(result)
    hops = chain_hops(result)
    rows = []
    where: dict[tuple[str, int], Row] = {}
    for k, comp in enumerate(hops):
        a, b = comp.src_id, comp.tgt_id
        last: Row | None = None
        for bead, score in zip(comp.beads, comp.scores, strict=False):
            touched = [where[(a, s)] for s in bead.src if (a, s) in where]
            row = _merge(rows, touched, where) if k > 0 else None
            if row is None:
                row = _new_row(rows, last, at_end=k == 0)
            for s in bead.src:
                if (a, s) not in where:
                    row.segments.setdefault(a, []).append(s)
                    where[(a, s)] = row
            for t in bead.tgt:
                row.segments.setdefault(b, []).append(t)
                where[(b, t)] = row
            sim = score.similarity
            if finite(sim):
                row.sims[comp.hop] = min(sim, row.sims.get(comp.hop, math.inf))
            last = row
    if not hops and chain:
        doc = _doc_or_none(result, chain[0])
        for seg in doc.segments if doc else ():
            rows.append(Row(0, {chain[0]: [seg.index]}))
    for i, row in enumerate(rows):
        row.rid = i
        for v in row.segments:
            row.segments[v].sort()
    _direct_sims(result, rows)
    return rows


def _rows_from_extras(nway: list[Any]) -> list[Row]:
    rows = []
    for i, item in enumerate(nway):
        segs = {
            str(v): sorted(int(x) for x in ids)
            for v, ids in item.get("segments", {}).items()
            if ids  # the pipeline writes [] for a version that lacks the passage
        }
        sims = {
            str(h): float(x)
            for h, x in item.get("similarity", {}).items()
            if x is not None and finite(float(x))
        }
        rows.append(Row(i, segs, sims))
    return rows


def _new_row(rows: list[Row], after: Row | None, at_end: bool) -> Row:
    """A new row right after ``after`` (an insertion keeps its place in document order)."""
    row = Row(-1, {})
    if after is not None:
        rows.insert(_index(rows, after) + 1, row)
    else:
        rows.insert(len(rows) if at_end else 0, row)
    return row


def _index(rows: list[Row], row: Row) -> int:
    return next(i for i, r in enumerate(rows) if r is row)


def _merge(rows: list[Row], touched: list[Row], where: dict[tuple[str, int], Row]) -> Row | None:
    """Merge the rows a bead's source side touches into the first of them (a 2-1 bead)."""
    uniq: list[Row] = []
    for r in touched:
        if not any(r is u for u in uniq):
            uniq.append(r)
    if not uniq:
        return None
    keep = min(uniq, key=lambda r: _index(rows, r))
    for r in uniq:
        if r is keep:
            continue
        for v, ids in r.segments.items():
            keep.segments.setdefault(v, []).extend(ids)
            for i in ids:
                where[(v, i)] = keep
        for h, s in r.sims.items():
            keep.sims[h] = min(s, keep.sims.get(h, math.inf))
        del rows[_index(rows, r)]
    return keep


def _doc_or_none(result: RunResult, version: str) -> Document | None:
    try:
        return result.document(version)
    except KeyError:
        return None


def _direct_sims(result: RunResult, rows: list[Row]) -> None:
    """Add similarities of comparisons outside the chain (e.g. direct ru-en) to the rows."""
    hops = {c.hop for c in chain_hops(result)}
    for comp in result.comparisons:
        if comp.hop in hops:
            continue
        index = {(v, i): r for r in rows for v, ids in r.segments.items() for i in ids}
        for bead, score in zip(comp.beads, comp.scores, strict=False):
            if not finite(score.similarity):
                continue
            keys = [(comp.src_id, s) for s in bead.src] + [(comp.tgt_id, t) for t in bead.tgt]
            row = next((index[k] for k in keys if k in index), None)
            if row is not None:
                row.sims[comp.hop] = min(score.similarity, row.sims.get(comp.hop, math.inf))


def attach_flags(result: RunResult, rows: list[Row]) -> list[tuple[int, Flag, Comparison, int]]:
    """Number every flag and link it to its row; returns ``(flag_id, flag, comp, row_id)``.

    ``row_id`` is -1 when no row holds the flag's segments (e.g. versions outside the chain).
    """
    index = {(v, i): r for r in rows for v, ids in r.segments.items() for i in ids}
    out = []
    fid = 0
    for comp in result.comparisons:
        for flag in comp.flags:
            keys = [(comp.src_id, s) for s in flag.src] + [(comp.tgt_id, t) for t in flag.tgt]
            keys += [(sp.version, sp.segment) for sp in flag.spans]
            row = next((index[k] for k in keys if k in index), None)
            if row is not None:
                row.flag_ids.append(fid)
                if SEVERITY_RANK.get(flag.severity, 0) > SEVERITY_RANK.get(row.severity, 0):
                    row.severity = flag.severity
            out.append((fid, flag, comp, row.rid if row is not None else -1))
            fid += 1
    return out


def cell_pieces(
    text: str, version: str, segment: int, flags: list[tuple[int, Flag, Comparison, int]]
) -> tuple[Piece, ...]:
    """Split a segment's text at flagged spans (half-open char offsets) for highlighting."""
    marks: list[tuple[int, int, str, str]] = []
    for _, flag, _, _ in flags:
        for sp in flag.spans:
            if sp.version == version and sp.segment == segment:
                start, end = max(0, sp.start), min(len(text), sp.end)
                if start < end:
                    marks.append((start, end, flag.kind, flag.severity))
    if not marks:
        return (Piece(text),)
    cuts = sorted({0, len(text), *(m[0] for m in marks), *(m[1] for m in marks)})
    pieces = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        on = [m for m in marks if m[0] <= a and b <= m[1]]
        kinds = tuple(sorted({m[2] for m in on}))
        sev = max((m[3] for m in on), key=lambda s: SEVERITY_RANK.get(s, 0), default="")
        pieces.append(Piece(text[a:b], kinds, sev))
    return tuple(pieces)
