"""Corpus-wide aggregates for ``index.html`` and ``driftscope coverage``. Layer: corpus.

Built in one streaming pass over the committed documents (:meth:`Store.write_tables` calls
:meth:`CorpusSummary.add`): coverage sums per version pair, the documents with the most drift
(a bounded heap), and the error rows. Memory grows with the number of version pairs and the
size of the heap, not with the corpus, unless ``keep_per_doc`` asks for per-document coverage.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from typing import Any

from driftscope.corpus.store import report_name
from driftscope.corpus.tables import DocRows
from driftscope.coverage import CoverageReport, PairCoverage

TOP_DOCUMENTS = 500
MAX_ERRORS = 200


@dataclass
class CorpusSummary:
    """Counts of a run and the aggregates of its committed documents."""

    keep_per_doc: bool = False
    reports: bool = False
    documents: int = 0
    errors: int = 0
    processed: int = 0  # documents computed in this run (the rest were already committed)
    skipped: int = 0
    versions: list[str] = field(default_factory=list)
    original: str = ""
    _pairs: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    _per_doc: list[PairCoverage] = field(default_factory=list)
    _top: list[tuple[float, int, dict[str, Any]]] = field(default_factory=list)
    _errors: list[dict[str, str]] = field(default_factory=list)
    _sims: dict[tuple[str, str], list[float]] = field(default_factory=dict)

    def add(self, rows: DocRows) -> None:
        """Fold one document's rows in."""
        self.documents += 1
        if not rows.ok:
            self.errors += 1
            if len(self._errors) < MAX_ERRORS:
                self._errors.append({"doc_id": rows.doc_id, "error": rows.documents[0]["error"]})
            return
        worst: dict[str, Any] | None = None
        for r in rows.documents:
            pair = (r["src_version"], r["tgt_version"])
            self.original = self.original or pair[0]
            for v in pair:
                if v not in self.versions:
                    self.versions.append(v)
            counts = [r["n_src"], r["n_tgt"], r["represented"], r["omitted"], r["added"]]
            tot = self._pairs.setdefault(pair, [0, 0, 0, 0, 0])
            self._pairs[pair] = [a + b for a, b in zip(tot, counts, strict=True)]
            if r["mean_similarity"] is not None:
                acc = self._sims.setdefault(pair, [0.0, 0.0, 0.0])
                acc[0] += r["mean_similarity"]
                acc[1] += 1
                acc[2] += r["flags"]
            if self.keep_per_doc:
                self._per_doc.append(PairCoverage(*pair, rows.doc_id, *counts))
            if r["drift"] is not None and (worst is None or r["drift"] > worst["drift"]):
                worst = r
        if worst is not None:
            item = {k: worst[k] for k in ("doc_id", "comparison", "drift", "mean_similarity",
                                          "omitted", "added", "flags", "flags_high")}  # fmt: skip
            item["report"] = f"reports/{report_name(rows.doc_id, rows.key)}" if self.reports else ""
            entry = (float(worst["drift"]), -rows.index, item)
            if len(self._top) < TOP_DOCUMENTS:
                heapq.heappush(self._top, entry)
            else:
                heapq.heappushpop(self._top, entry)

    def coverage(self) -> CoverageReport:
        """Coverage over the committed documents (error documents left out)."""
        order = list(self._pairs)
        totals = tuple(PairCoverage(a, b, "", *self._pairs[(a, b)]) for a, b in order)
        rank = {p: k for k, p in enumerate(order)}
        per_doc = sorted(self._per_doc, key=lambda p: rank[(p.src, p.tgt)])
        versions = (self.original, *[v for v in self.versions if v != self.original])
        return CoverageReport(self.original, versions, totals, tuple(per_doc))

    @property
    def error_rows(self) -> list[dict[str, str]]:
        """``{"doc_id", "error"}`` of the failed documents (the first ``MAX_ERRORS``)."""
        return list(self._errors)

    def index_data(self, title: str, signature: str) -> dict[str, Any]:
        """The JSON-native data ``index.html`` renders."""
        cov = self.coverage().to_dict()
        pairs: list[dict[str, Any]] = cov["pairs"]  # type: ignore[assignment]
        for row in pairs:
            acc = self._sims.get((row["src"], row["tgt"]), [0.0, 0.0, 0.0])
            row["mean_similarity"] = round(acc[0] / acc[1], 4) if acc[1] else None
            row["flags"] = int(acc[2])
        ranked = [item for _, _, item in sorted(self._top, key=lambda e: (-e[0], -e[1]))]
        return {
            "title": title,
            "signature": signature,
            "documents": self.documents,
            "errors": self.errors,
            "versions": cov["versions"],
            "pairs": pairs,
            "matrix": cov["matrix"],
            "ranked": ranked,
            "error_rows": self.error_rows,
        }
