"""One comparison of two versions from its alignment and flags: per-bead scores and summary.

Score layer: numpy, ``model``, ``embed.calibrate`` (nearest neighbours) and
``quality.evidence`` (length ratios). :mod:`driftscope.pipeline` builds every
:class:`~driftscope.model.Comparison` with :func:`make_comparison`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Protocol

import numpy as np

from driftscope.embed.calibrate import knn_mean
from driftscope.model import Bead, BeadScore, Comparison, Document, Flag
from driftscope.quality.evidence import bead_length_ratios

MARGIN_K = 4  # neighbours of a segment in the ratio margin (Bertalign's k)


class Aligned(Protocol):
    """What a comparison needs of an alignment (:class:`driftscope.align.Alignment`)."""

    @property
    def beads(self) -> Sequence[Bead]: ...
    @property
    def similarity(self) -> Sequence[float]: ...
    @property
    def cosine(self) -> Sequence[float]: ...
    @property
    def n_src(self) -> int: ...
    @property
    def n_tgt(self) -> int: ...


def make_comparison(
    src: Document,
    tgt: Document,
    al: Aligned,
    flags: Sequence[Flag],
    src_vecs: np.ndarray,
    tgt_vecs: np.ndarray,
) -> Comparison:
    """The :class:`Comparison` of ``src`` and ``tgt``.

    Args:
        al: their alignment; flags: its flags.
        src_vecs, tgt_vecs: (n, d) and (m, d) float32 unit sentence vectors of the segments.
    """
    ratios = bead_length_ratios(src, tgt, al.beads)
    neighbours = knn_mean(src_vecs, tgt_vecs, MARGIN_K), knn_mean(tgt_vecs, src_vecs, MARGIN_K)
    margins = _margins(*neighbours, al.beads, al.cosine)
    scores = tuple(
        BeadScore(_finite(s), _finite(c), _finite(m), _finite(r))
        for s, c, m, r in zip(al.similarity, al.cosine, margins, ratios, strict=True)
    )
    return Comparison(
        src.doc_id, tgt.doc_id, tuple(al.beads), scores, tuple(flags), _summary(al, flags)
    )


def _finite(x: float) -> float:
    return float(x) if math.isfinite(x) else float("nan")


def _margins(
    nn_s: np.ndarray, nn_t: np.ndarray, beads: Sequence[Bead], cosines: Sequence[float]
) -> list[float]:
    """Bead cosine minus the mean of its segments' nearest-neighbour cosines (both ways).

    Ratio-margin scoring (Artetxe & Schwenk 2019, Bertalign): high when the pair stands out
    from the alternatives, near 0 for a hub or an ambiguous match. Neighbour means are averaged
    over the bead's segments.
    """
    out = []
    for b, c in zip(beads, cosines, strict=True):
        if not (b.src and b.tgt) or not math.isfinite(c):
            out.append(float("nan"))
            continue
        ref = (float(nn_s[list(b.src)].mean()) + float(nn_t[list(b.tgt)].mean())) / 2
        out.append(float(c - ref))
    return out


def _summary(al: Aligned, flags: Sequence[Flag]) -> dict[str, float]:
    sims = np.array([s for s in al.similarity if math.isfinite(s)], dtype=np.float64)
    beads = al.beads
    out: dict[str, float] = {
        "beads": float(len(beads)),
        "src_segments": float(al.n_src),
        "tgt_segments": float(al.n_tgt),
        "one_to_one": float(sum(len(b.src) == 1 and len(b.tgt) == 1 for b in beads)),
        "many": float(sum(len(b.src) + len(b.tgt) > 2 and bool(b.src and b.tgt) for b in beads)),
        "src_only": float(sum(not b.tgt for b in beads)),
        "tgt_only": float(sum(not b.src for b in beads)),
        "mean_similarity": float(sims.mean()) if sims.size else float("nan"),
        "median_similarity": float(np.median(sims)) if sims.size else float("nan"),
        "flags": float(len(flags)),
    }
    for sev in ("low", "medium", "high"):
        out[f"flags_{sev}"] = float(sum(f.severity == sev for f in flags))
    covered = {i for b in beads if b.tgt for i in b.src}
    out["src_coverage"] = len(covered) / al.n_src if al.n_src else float("nan")
    return out
