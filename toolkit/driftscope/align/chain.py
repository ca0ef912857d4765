"""n-way alignment of a translation chain (original -> relay -> ... -> final). ``align``, ``model``.

Every hop is aligned, and so is the direct original-to-final pair. The hops are composed into
n-way beads (connected groups of segments linked through the hops), and the composed
original-to-final beads are compared with the direct alignment: where they disagree, either a
hop or the direct alignment is wrong, or a relay changed the structure of the text. The rows
of a run's ``extras`` (``nway``, ``disagreements``) are built here too.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from driftscope.align.config import AlignConfig
from driftscope.align.result import Alignment
from driftscope.align.search import align
from driftscope.embed.windows import TextEncoder
from driftscope.errors import AlignmentError
from driftscope.model import Bead, Document

NWayBead = tuple[tuple[int, ...], ...]  # one index tuple per document of the chain


@dataclass(frozen=True, slots=True)
class Disagreement:
    """A stretch where the direct and the composed original-to-final alignments differ."""

    src: tuple[int, ...]  # original segments involved
    tgt: tuple[int, ...]  # final segments involved
    direct: tuple[Bead, ...]
    composed: tuple[Bead, ...]


@dataclass(frozen=True, slots=True)
class ChainAlignment:
    """Hop alignments, the direct one, their n-way composition and the disagreements."""

    doc_ids: tuple[str, ...]
    hops: tuple[Alignment, ...]  # hops[k] aligns docs[k] -> docs[k + 1]
    direct: Alignment  # docs[0] -> docs[-1]
    beads: tuple[NWayBead, ...]  # composed n-way beads, in document order
    disagreements: tuple[Disagreement, ...]

    def composed_pair(self) -> tuple[Bead, ...]:
        """The composition projected to (original, final) beads (empty-both groups dropped)."""
        return composed_pair(self.beads)


def compose(hops: Sequence[Sequence[Bead]], sizes: Sequence[int]) -> tuple[NWayBead, ...]:
    """Join hop beads into n-way beads: groups of segments connected through the hops.

    Args:
        hops: ``hops[k]`` are beads from document k to k + 1.
        sizes: number of segments of each document (``len(hops) + 1`` entries).
    Returns:
        n-way beads sorted by their first segment in the earliest document they touch.
    """
    offset = np.concatenate([[0], np.cumsum(sizes)]).astype(int)
    parent = list(range(int(offset[-1])))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for k, beads in enumerate(hops):
        for b in beads:
            ids = [offset[k] + i for i in b.src] + [offset[k + 1] + j for j in b.tgt]
            for x in ids[1:]:
                ra, rb = find(ids[0]), find(x)
                if ra != rb:
                    parent[max(ra, rb)] = min(ra, rb)
    groups: dict[int, list[list[int]]] = {}
    for d in range(len(sizes)):
        for i in range(sizes[d]):
            groups.setdefault(find(offset[d] + i), [[] for _ in sizes])[d].append(i)
    out = [tuple(tuple(sorted(g)) for g in parts) for parts in groups.values()]

    def key(nb: NWayBead) -> tuple[float, ...]:
        # Position of the group along the chain: first index in each document, or the
        # interpolation of the neighbours when a document has none.
        return tuple(float(p[0]) if p else float("inf") for p in nb)

    out.sort(key=lambda nb: (min(p[0] / max(sizes[d], 1) for d, p in enumerate(nb) if p), key(nb)))
    return tuple(out)


def composed_pair(beads: Sequence[NWayBead]) -> tuple[Bead, ...]:
    """(first, last) projection of n-way beads, dropping groups empty on both ends.

    A group that has segments in neither end (only in a relay) is dropped; the others are
    ordered by their original-side ids (insertions by their final-side ids).
    """
    pairs: list[Bead] = []
    for nb in beads:
        if nb[0] and nb[-1]:
            pairs.append(Bead(nb[0], nb[-1]))
        else:  # one bead per unmatched segment, as in the gold syntax
            pairs.extend(Bead((i,), ()) for i in nb[0])
            pairs.extend(Bead((), (j,)) for j in nb[-1])
    return tuple(pairs)


def _disagreements(direct: Sequence[Bead], composed: Sequence[Bead]) -> tuple[Disagreement, ...]:
    both = {(b.src, b.tgt) for b in direct} & {(b.src, b.tgt) for b in composed}
    odd = [("d", b) for b in direct if (b.src, b.tgt) not in both]
    odd += [("c", b) for b in composed if (b.src, b.tgt) not in both]
    # Group mismatched beads that share a segment on either side.
    parent = list(range(len(odd)))

    def find(a: int) -> int:
        while parent[a] != a:
            a = parent[a]
        return a

    owner: dict[tuple[str, int], int] = {}
    for k, (_, b) in enumerate(odd):
        for key in [("s", i) for i in b.src] + [("t", j) for j in b.tgt]:
            if key in owner:
                ra, rb = find(owner[key]), find(k)
                parent[max(ra, rb)] = min(ra, rb)
            else:
                owner[key] = k
    groups: dict[int, list[tuple[str, Bead]]] = {}
    for k, item in enumerate(odd):
        groups.setdefault(find(k), []).append(item)
    out = []
    for items in groups.values():
        src = tuple(sorted({i for _, b in items for i in b.src}))
        tgt = tuple(sorted({j for _, b in items for j in b.tgt}))
        out.append(
            Disagreement(
                src,
                tgt,
                tuple(b for w, b in items if w == "d"),
                tuple(b for w, b in items if w == "c"),
            )  # fmt: skip
        )
    out.sort(key=lambda d: (d.src[0] if d.src else -1, d.tgt[0] if d.tgt else -1))
    return tuple(out)


def align_chain(
    docs: Sequence[Document],
    encoder: TextEncoder,
    cfg: AlignConfig | None = None,
    rng: np.random.Generator | None = None,
) -> ChainAlignment:
    """Align a chain of versions (original first) hop by hop and directly, and compose.

    Raises:
        AlignmentError: fewer than two documents, or an empty one.
    """
    cfg = cfg or AlignConfig()
    if len(docs) < 2:
        raise AlignmentError(f"a chain needs at least two documents, got {len(docs)}")

    def pair(a: Document, b: Document) -> Alignment:
        r = rng if rng is not None else np.random.default_rng(cfg.seed)
        return align(
            list(a.texts), list(b.texts), encoder, cfg, r,
            src_par=[s.paragraph for s in a.segments], tgt_par=[s.paragraph for s in b.segments],
        )  # fmt: skip

    hops = tuple(pair(a, b) for a, b in zip(docs[:-1], docs[1:], strict=True))
    direct = hops[0] if len(docs) == 2 else pair(docs[0], docs[-1])
    beads = compose([h.beads for h in hops], [len(d.segments) for d in docs])
    dis = _disagreements(direct.beads, composed_pair(beads))
    return ChainAlignment(tuple(d.doc_id for d in docs), hops, direct, beads, dis)


def nway_rows(chain: ChainAlignment) -> list[dict[str, Any]]:
    """``extras["nway"]`` rows from a composed chain alignment.

    Returns:
        ``[{"segments": {version: [ids]}, "similarity": {hop: value}}]`` in document order; a
        version's list is empty where the passage was dropped (or not yet added). A hop's
        similarity is the lowest calibrated similarity of its beads inside the row.
    """
    ids = chain.doc_ids
    owner: list[dict[int, float]] = []
    for al in chain.hops:
        by_src: dict[int, float] = {}
        for b, sim in zip(al.beads, al.similarity, strict=True):
            for i in b.src:
                by_src[i] = sim
        owner.append(by_src)
    rows = []
    for nb in chain.beads:
        sims: dict[str, float] = {}
        for h in range(len(chain.hops)):
            vals = [owner[h][i] for i in nb[h] if i in owner[h] and math.isfinite(owner[h][i])]
            if vals and nb[h + 1]:
                sims[f"{ids[h]}-{ids[h + 1]}"] = round(min(vals), 4)
        rows.append({"segments": {v: list(nb[k]) for k, v in enumerate(ids)}, "similarity": sims})
    return rows


def disagreement_rows(chain: ChainAlignment) -> list[dict[str, Any]]:
    """Where the direct original-to-final alignment and the composed hops disagree."""
    return [
        {
            "src": list(d.src),
            "tgt": list(d.tgt),
            "direct": [b.key() for b in d.direct],
            "composed": [b.key() for b in d.composed],
        }
        for d in chain.disagreements
    ]
