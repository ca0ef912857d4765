"""Coverage of an original by its language versions over many documents. Layer: coverage.

Per version: the share of the original's segments represented (aligned to something), omitted
(aligned to nothing) and the share of the version's own segments added (no source); and a
matrix over every pair of versions. :func:`coverage_from_alignments` is pure (bead lists in,
counts out); ``driftscope.corpus.coverage`` runs the corpus engine over documents and builds a
:class:`CoverageReport` from its per-document counts.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

from driftscope.errors import InputError
from driftscope.model import Bead


@dataclass(frozen=True, slots=True)
class PairCoverage:
    """Counts for one (src, tgt) pair, in one document or summed (``doc_id == ""``)."""

    src: str
    tgt: str
    doc_id: str
    n_src: int
    n_tgt: int
    represented: int  # src segments in a bead whose tgt side is non-empty
    omitted: int  # src segments with no counterpart (n_src - represented)
    added: int  # tgt segments with no counterpart

    @property
    def represented_share(self) -> float:
        return self.represented / self.n_src if self.n_src else float("nan")

    @property
    def omitted_share(self) -> float:
        return self.omitted / self.n_src if self.n_src else float("nan")

    @property
    def added_share(self) -> float:
        return self.added / self.n_tgt if self.n_tgt else float("nan")

    @property
    def tgt_represented_share(self) -> float:
        """Share of the tgt's segments with a counterpart in the src (the matrix's other cell)."""
        return (self.n_tgt - self.added) / self.n_tgt if self.n_tgt else float("nan")


@dataclass(frozen=True, slots=True)
class CoverageReport:
    """Coverage over documents; ``totals`` has one entry per aligned pair, in input order."""

    original: str
    versions: tuple[str, ...]  # original first
    totals: tuple[PairCoverage, ...]
    per_doc: tuple[PairCoverage, ...]

    def matrix(self) -> dict[str, dict[str, float | None]]:
        """``m[a][b]``: share of a's segments that have a counterpart in b (None: not aligned)."""
        m: dict[str, dict[str, float | None]] = {
            a: {b: (1.0 if a == b else None) for b in self.versions} for a in self.versions
        }
        for t in self.totals:
            m[t.src][t.tgt] = t.represented_share
            m[t.tgt][t.src] = t.tgt_represented_share
        return m

    def to_dict(self) -> dict[str, object]:
        """JSON-native summary: versions, per-version rows against the original, matrix."""

        def row(p: PairCoverage) -> dict[str, object]:
            d: dict[str, object] = asdict(p)
            d.update(
                represented_share=_r(p.represented_share),
                omitted_share=_r(p.omitted_share),
                added_share=_r(p.added_share),
            )
            return d

        return {
            "kind": "driftscope.coverage",
            "schema": "1.0",
            "original": self.original,
            "versions": list(self.versions),
            "against_original": [row(t) for t in self.totals if t.src == self.original],
            "pairs": [row(t) for t in self.totals],
            "matrix": {a: {b: _r(x) for b, x in r.items()} for a, r in self.matrix().items()},
            "documents": [row(p) for p in self.per_doc],
        }


def _r(x: float | None) -> float | None:
    return None if x is None or x != x else round(x, 6)


def pair_coverage(
    beads: Sequence[Bead], n_src: int, n_tgt: int, src: str, tgt: str, doc_id: str = ""
) -> PairCoverage:
    """Count represented, omitted and added segments of one aligned document pair.

    Raises:
        InputError: a bead index outside ``[0, n_src)`` / ``[0, n_tgt)``.
    """
    seen_src: set[int] = set()
    seen_tgt: set[int] = set()
    for b in beads:
        if any(not 0 <= i < n_src for i in b.src) or any(not 0 <= j < n_tgt for j in b.tgt):
            raise InputError(
                f"{doc_id or '<doc>'} {src}-{tgt}: bead {b.key()} outside {n_src}x{n_tgt} segments"
            )
        if b.src and b.tgt:
            seen_src.update(b.src)
            seen_tgt.update(b.tgt)
    return PairCoverage(
        src, tgt, doc_id, n_src, n_tgt, len(seen_src), n_src - len(seen_src), n_tgt - len(seen_tgt)
    )


def coverage_from_alignments(
    original: str,
    alignments: Mapping[tuple[str, str], Sequence[Sequence[Bead]]],
    sizes: Mapping[str, Sequence[int]],
    doc_ids: Sequence[str] = (),
) -> CoverageReport:
    """Coverage from per-document bead lists.

    Args:
        original: id of the original version.
        alignments: ``(src_id, tgt_id) -> [beads of document 0, beads of document 1, ...]``.
        sizes: ``version id -> [segment count of document 0, ...]``; every version's list has
            the same length (the number of documents).
        doc_ids: document names, parallel to the lists (default ``"0"``, ``"1"``, ...).

    Returns:
        A :class:`CoverageReport`: per-document and summed counts for every pair.

    Raises:
        InputError: unknown version, mismatched document counts, or a bead out of range.
    """
    if original not in sizes:
        raise InputError(f"coverage: no segment counts for the original {original!r}")
    n_docs = len(sizes[original])
    names = list(doc_ids) or [str(i) for i in range(n_docs)]
    if len(names) != n_docs or any(len(v) != n_docs for v in sizes.values()):
        raise InputError(f"coverage: versions disagree on the number of documents ({n_docs})")
    per_doc: list[PairCoverage] = []
    totals: list[PairCoverage] = []
    for (src, tgt), docs in alignments.items():
        if src not in sizes or tgt not in sizes:
            raise InputError(f"coverage: pair {src}-{tgt} names a version with no segment counts")
        if len(docs) != n_docs:
            raise InputError(f"coverage: {src}-{tgt} has {len(docs)} documents, not {n_docs}")
        rows = [
            pair_coverage(b, sizes[src][k], sizes[tgt][k], src, tgt, names[k])
            for k, b in enumerate(docs)
        ]
        per_doc += rows
        totals.append(
            PairCoverage(
                src,
                tgt,
                "",
                *(
                    sum(getattr(r, f) for r in rows)
                    for f in ("n_src", "n_tgt", "represented", "omitted", "added")
                ),
            )
        )
    versions = (original, *[v for v in sizes if v != original])
    return CoverageReport(original, versions, tuple(totals), tuple(per_doc))


def version_pairs(original: str, versions: Sequence[str]) -> list[tuple[str, str]]:
    """Original against each version, then every pair of versions (for the full matrix)."""
    others = [v for v in versions if v != original]
    return [(original, v) for v in others] + list(itertools.combinations(others, 2))


def coverage_csv(report: CoverageReport) -> str:
    """One row per pair and document (summed rows have an empty ``doc_id``)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(
        [
            "src",
            "tgt",
            "doc_id",
            "n_src",
            "n_tgt",
            "represented",
            "omitted",
            "added",
            "represented_share",
            "omitted_share",
            "added_share",
        ]
    )
    for p in (*report.totals, *report.per_doc):
        w.writerow(
            [
                p.src,
                p.tgt,
                p.doc_id,
                p.n_src,
                p.n_tgt,
                p.represented,
                p.omitted,
                p.added,
                *(
                    f"{x:.4f}" if x == x else ""
                    for x in (p.represented_share, p.omitted_share, p.added_share)
                ),
            ]
        )
    return buf.getvalue()


def coverage_json(report: CoverageReport) -> str:
    return json.dumps(report.to_dict(), ensure_ascii=False, indent=1) + "\n"
