"""Rows of the corpus tables ``documents``, ``beads`` and ``flags``, and their Arrow schemas.

Layer: corpus. Rows come from the frozen model (a document's merged :class:`RunResult`): the
per-comparison numbers are those of ``report.json``'s summary and of the HTML report
(:func:`driftscope.report.stats.hop_stats`, seeded bootstrap CI); beads and flags carry the
fields ``report.json`` has, plus the texts. Rows are JSON-native (NaN as None), so a committed
document result round-trips exactly. pyarrow is imported only by :func:`schemas`.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

from driftscope.model import FLAG_KINDS, SEVERITIES, RunResult
from driftscope.report.stats import hop_stats

Row = dict[str, Any]
_RANK = {s: i + 1 for i, s in enumerate(SEVERITIES)}
COUNT_COLUMNS = (
    "n_src", "n_tgt", "beads", "one_to_one", "many", "represented", "omitted", "added", "flags",
    *(f"flags_{s}" for s in SEVERITIES), *(f"flags_{k}" for k in FLAG_KINDS),
)  # fmt: skip
SHARE_COLUMNS = (
    "represented_share", "omitted_share", "added_share", "mean_similarity", "ci_low", "ci_high",
    "median_similarity", "drift",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class DocRows:
    """Everything one document contributes to the tables (``report``: its HTML, optional)."""

    key: str
    doc_id: str
    index: int
    documents: tuple[Row, ...]
    beads: tuple[Row, ...] = ()
    flags: tuple[Row, ...] = ()
    report: str = field(default="", compare=False)

    @property
    def ok(self) -> bool:
        return all(r["status"] == "ok" for r in self.documents)

    def to_json(self) -> str:
        """The committed form (no report): one JSON object, NaN as null."""
        data = {
            "key": self.key,
            "doc_id": self.doc_id,
            "index": self.index,
            "documents": list(self.documents),
            "beads": list(self.beads),
            "flags": list(self.flags),
        }
        return json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":"))

    @staticmethod
    def from_json(text: str) -> DocRows:
        d = json.loads(text)
        return DocRows(
            d["key"], d["doc_id"], d["index"], tuple(d["documents"]), tuple(d["beads"]),
            tuple(d["flags"]),
        )  # fmt: skip


def _num(x: float) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


def _blank_document(doc_id: str, index: int) -> Row:
    row: Row = {"doc_id": doc_id, "doc_index": index, "status": "ok", "error": ""}
    row.update(comparison="", src_version="", tgt_version="", src_lang="", tgt_lang="")
    row["in_chain"] = False
    row.update({c: None for c in (*COUNT_COLUMNS, *SHARE_COLUMNS)})
    return row


def error_rows(doc_id: str, index: int, key: str, reason: str) -> DocRows:
    """A failed document: one ``documents`` row with ``status == "error"`` and the reason."""
    row = _blank_document(doc_id, index)
    row.update(status="error", error=" ".join(reason.split()))
    return DocRows(key, doc_id, index, (row,))


def result_rows(result: RunResult, doc_id: str, index: int, key: str) -> DocRows:
    """The rows of one document's merged RunResult."""
    langs = {d.doc_id: d.lang for d in result.documents}
    docs: list[Row] = []
    beads: list[Row] = []
    flags: list[Row] = []
    for comp in result.comparisons:
        st = hop_stats(result, comp)
        row = _blank_document(doc_id, index)
        row.update(comparison=comp.hop, src_version=comp.src_id, tgt_version=comp.tgt_id)
        row.update(src_lang=langs.get(comp.src_id, ""), tgt_lang=langs.get(comp.tgt_id, ""))
        row.update(in_chain=st.in_chain, n_src=st.n_src, n_tgt=st.n_tgt, beads=st.n_beads)
        row.update(one_to_one=st.n_one_one, many=st.n_many, omitted=st.n_omitted)
        row.update(represented=st.n_src - st.n_omitted, added=st.n_added, flags=len(comp.flags))
        for s in SEVERITIES:
            row[f"flags_{s}"] = sum(f.severity == s for f in comp.flags)
        for k in FLAG_KINDS:
            row[f"flags_{k}"] = sum(f.kind == k for f in comp.flags)
        row.update(
            represented_share=_num(st.represented_share),
            omitted_share=_num(st.omitted_share),
            added_share=_num(st.added_share),
            mean_similarity=_num(st.mean),
            ci_low=_num(st.ci_low),
            ci_high=_num(st.ci_high),
            median_similarity=_num(st.median),
            drift=_num(1.0 - st.mean),
        )
        docs.append(row)
        beads += _bead_rows(result, comp, doc_id)
        flags += _flag_rows(result, comp, doc_id, len(flags))
    return DocRows(key, doc_id, index, tuple(docs), tuple(beads), tuple(flags))


def _text(result: RunResult, version: str, ids: tuple[int, ...]) -> str:
    segs = result.document(version).segments
    return " ".join(segs[i].text for i in ids if 0 <= i < len(segs))


def _bead_rows(result: RunResult, comp: Any, doc_id: str) -> list[Row]:
    rows = []
    for k, (b, sc) in enumerate(zip(comp.beads, comp.scores, strict=True)):
        on = [f for f in comp.flags if set(f.src) & set(b.src) or set(f.tgt) & set(b.tgt)]
        worst = max((f.severity for f in on), key=lambda s: _RANK.get(s, 0), default="")
        rows.append(
            {
                "doc_id": doc_id,
                "comparison": comp.hop,
                "bead": k,
                "src": list(b.src),
                "tgt": list(b.tgt),
                "type": f"{len(b.src)}-{len(b.tgt)}",
                "cost": _num(b.cost),
                "similarity": _num(sc.similarity),
                "cosine": _num(sc.cosine),
                "margin": _num(sc.margin),
                "length_ratio": _num(sc.length_ratio),
                "n_flags": len(on),
                "worst_severity": worst,
                "src_text": _text(result, comp.src_id, b.src),
                "tgt_text": _text(result, comp.tgt_id, b.tgt),
            }
        )
    return rows


def _flag_rows(result: RunResult, comp: Any, doc_id: str, start: int) -> list[Row]:
    rows = []
    for k, f in enumerate(comp.flags):
        ev = {key: (_num(v) if isinstance(v, float) else v) for key, v in f.evidence.items()}
        rows.append(
            {
                "doc_id": doc_id,
                "comparison": comp.hop,
                "flag": start + k,
                "kind": f.kind,
                "severity": f.severity,
                "hop": f.hop or comp.hop,
                "src": list(f.src),
                "tgt": list(f.tgt),
                "value": _num(f.value),
                "threshold": _num(f.threshold),
                "note": f.note,
                "spans": [
                    {
                        "version": s.version,
                        "segment": s.segment,
                        "start": s.start,
                        "end": s.end,
                        "text": s.text,
                    }
                    for s in f.spans
                ],  # fmt: skip
                "evidence": json.dumps(dict(sorted(ev.items())), ensure_ascii=False),
                "src_text": _text(result, comp.src_id, f.src),
                "tgt_text": _text(result, comp.tgt_id, f.tgt),
            }
        )
    return rows


def schemas() -> dict[str, Any]:
    """``{"documents": pa.Schema, "beads": ..., "flags": ...}`` (column order is the row's)."""
    import pyarrow as pa

    ids = pa.list_(pa.int32())
    text = [("doc_id", pa.string())]
    documents = pa.schema(
        [*text, ("doc_index", pa.int64()), ("status", pa.string()), ("error", pa.string()),
         ("comparison", pa.string()), ("src_version", pa.string()), ("tgt_version", pa.string()),
         ("src_lang", pa.string()), ("tgt_lang", pa.string()), ("in_chain", pa.bool_()),
         *((c, pa.int64()) for c in COUNT_COLUMNS), *((c, pa.float64()) for c in SHARE_COLUMNS)]
    )  # fmt: skip
    beads = pa.schema(
        [*text, ("comparison", pa.string()), ("bead", pa.int32()), ("src", ids), ("tgt", ids),
         ("type", pa.string()), ("cost", pa.float64()), ("similarity", pa.float64()),
         ("cosine", pa.float64()), ("margin", pa.float64()), ("length_ratio", pa.float64()),
         ("n_flags", pa.int32()), ("worst_severity", pa.string()), ("src_text", pa.string()),
         ("tgt_text", pa.string())]
    )  # fmt: skip
    span = pa.struct(
        [("version", pa.string()), ("segment", pa.int32()), ("start", pa.int32()),
         ("end", pa.int32()), ("text", pa.string())]
    )  # fmt: skip
    flags = pa.schema(
        [*text, ("comparison", pa.string()), ("flag", pa.int32()), ("kind", pa.string()),
         ("severity", pa.string()), ("hop", pa.string()), ("src", ids), ("tgt", ids),
         ("value", pa.float64()), ("threshold", pa.float64()), ("note", pa.string()),
         ("spans", pa.list_(span)), ("evidence", pa.string()), ("src_text", pa.string()),
         ("tgt_text", pa.string())]
    )  # fmt: skip
    return {"documents": documents, "beads": beads, "flags": flags}
