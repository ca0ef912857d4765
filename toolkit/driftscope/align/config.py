"""Alignment configuration: one frozen dataclass, validated. Imports ``errors`` only."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from driftscope.errors import ConfigError

EMBED_MODES = ("path", "band", "none", "all")


@dataclass(frozen=True, slots=True)
class AlignConfig:
    """Every knob of the aligner; all costs are on a calibrated scale (see ``align.costs``).

    Attributes:
        max_bead: largest bead, counted as source plus target segments (6 allows 1-5, 2-4,
            3-3, 4-2, 5-1 and everything smaller). 1-0 and 0-1 beads are always allowed.
            Measured on Text+Berg (OCR lines: a sentence split over five lines): 5 -> 6
            strict F1 0.8931 -> 0.8977 with anchors, NTREX and the bundled corpus unchanged;
            the 50k x 50k search 20 s -> 27 s on an idle 2-core machine.
        max_side: most segments on one side of a bead (default ``max_bead - 1``).
        skip: cost of leaving one segment unaligned (a 1-0 or 0-1 bead), and the floor of the
            per-document skip that ``skip_adapt`` sets. Bead costs are on the calibrated scale
            where a typical translation pair of this document pair costs 0 and a random pair 1,
            so a 1-1 pair is kept rather than left as two skips when its cost is below
            ``2 * skip`` (a random pair must always lose, hence ``skip < 0.5``). Lower: more
            insertions and deletions; higher: unrelated sentences get paired or glued to their
            neighbours instead. 0.4 (with ``skip_adapt`` 3.5) was chosen by leave-one-set-out
            over the four dev groups (``benchmarks/results/align_loso.json``).
        skip_adapt: per-document skip from the pair's own first pass: half of ``median +
            skip_adapt * sigma`` of the costs of its 1-1 beads (sigma from the median absolute
            deviation), never below ``skip`` nor above 0.499. A pair whose true translations
            are noisy (subtitles, short lines) keeps its noisy pairs instead of splitting them
            into deletions and insertions. 0 turns it off (``skip`` as a constant).
        merge_penalty: cost added per segment beyond 1-1 in a bead (same scale): a 1-2 bead
            beats 1-1 plus a skip when its cost is lower by more than ``merge_penalty -
            skip``. Higher makes the aligner prefer 1-1 beads over merges.
        length_weight: weight of the length mismatch in each bead's cost: ``|log char ratio|``
            after the document's own ratio, minus the median mismatch of best-matching pairs
            (so a typical pair's length term is 0, like its similarity term).
        short_len: a bead shorter than this many characters (the mean of its two sides,
            counted in the units of the document pair's more verbose side, so that a Chinese
            side is not taken for short) has its calibrated cost pulled toward the typical
            pair's 0, by about ``length / short_len`` near it, not at all at the random level
            (``align.lengths``). A short segment's cosine is noisy ("Craps!" / "Andskotinn
            sjálfur!"): without this, two short true pairs cost more than the merged 2-2 bead
            plus its merge penalty, and a short pair more than a deletion and an insertion.
            0 turns it off. Chosen by leave-one-set-out over the four dev groups
            (``benchmarks/results/align_loso_short.json``).
        margin: weight of the local neighbour margin (Bertalign's, recentred): a bead's
            cosine is lowered by how much its adjacent segments match it above the
            random-pair level. 0 (default) turns it off: measured on Text+Berg, NTREX and the
            bundled corpus it did not help (``benchmarks/results/align_textberg.json``).
        band: half-width, in segments, of the search band around the first-pass path (and of
            each coarse-to-fine refinement). Wider is slower but recovers from worse first passes.
        max_dense: documents with at most this many segments per side get an exact first pass
            over the full matrix; longer ones are solved coarse-to-fine.
        embed: which concatenations of neighbouring segments are embedded: ``path`` (default)
            those of the many-to-many beads the best path takes, path after path (the path is
            solved again with them, the other windows still approximated, until it takes only
            embedded ones); ``band`` all those near the first-pass path that ``delta`` allows;
            ``none`` none (window vectors are averaged from sentence vectors); ``all`` every
            window (as Bertalign). On the dev sets ``path`` embeds about a third of the
            windows ``band`` does at the same mean strict F1 (``benchmarks/results/
            align_embed.json``).
        delta: with ``embed="band"``, a concatenation is embedded when the best alignment
            through a bead that uses it costs at most ``delta`` more than the first-pass
            optimum (same units as ``skip``). Higher: more embedding, safer second pass.
        use_paragraphs: when both sides have the same number of paragraphs, never let a bead
            cross a paragraph break. Off by default: no dev set carries paragraph breaks, so
            the rule could not show that it helps (it left every dev set and the bundled chain
            unchanged), and a rule stays on only where it does.
        anchor_weight: weight of the lexical anchor term (``align.anchors``; needs the texts,
            so :func:`align_vectors` ignores it). Anchors are numbers (``8839,8`` = ``8839.8``,
            thousands separators dropped) and capitalised words of 4+ letters (casefolded,
            accents stripped) that occur on *both* sides of the document pair, weighted by
            idf. A bead whose spans carry anchors pays ``anchor_weight * (1 - cosine of the
            two anchor bags)``: 0 when the numbers and names agree, the full weight when they
            share none, half of it when only one side has any; beads without anchors pay
            nothing. When a number or name sits in a neighbouring sentence, only the merged
            bead gets them all, which pushes the aligner to merge. 0 turns it off. Measured
            0 to 0.7 on Text+Berg, NTREX and the bundled corpus: 0.15-0.4 all help
            (``benchmarks/results/align_textberg.json``), 0.5+ starts to hurt.
        n_samples: random pairs sampled to calibrate costs.
        seed: seed of the sampling RNG (recorded in the signature).
    """

    max_bead: int = 6
    max_side: int = 0  # 0: max_bead - 1
    skip: float = 0.4
    skip_adapt: float = 3.5
    merge_penalty: float = 0.3
    length_weight: float = 0.5
    short_len: float = 60.0
    margin: float = 0.0
    band: int = 8
    max_dense: int = 1500
    embed: str = "path"
    delta: float = 0.3
    use_paragraphs: bool = False
    anchor_weight: float = 0.25
    n_samples: int = 256
    seed: int = 0

    def __post_init__(self) -> None:
        if not 2 <= self.max_bead <= 12:
            raise ConfigError(f"max_bead must be between 2 and 12, got {self.max_bead}")
        if self.max_side < 0 or self.max_side > self.max_bead - 1:
            raise ConfigError(
                f"max_side must be between 1 and max_bead - 1 = {self.max_bead - 1}"
                f" (0 for that default), got {self.max_side}"
            )
        if not 0.0 <= self.skip < 0.5:
            raise ConfigError(f"skip must be at least 0 and below 0.5, got {self.skip}")
        if not 0.0 <= self.skip_adapt <= 10.0:
            raise ConfigError(f"skip_adapt must be between 0 and 10, got {self.skip_adapt}")
        for name in ("merge_penalty", "length_weight", "margin", "anchor_weight"):
            v = getattr(self, name)
            if not (v == v and 0.0 <= v <= 10.0):
                raise ConfigError(f"{name} must be between 0 and 10, got {v}")
        if not (self.short_len == self.short_len and 0.0 <= self.short_len <= 10_000.0):
            raise ConfigError(f"short_len must be between 0 and 10000, got {self.short_len}")
        if self.band < 1:
            raise ConfigError(f"band must be at least 1 segment, got {self.band}")
        if self.max_dense < 16:
            raise ConfigError(f"max_dense must be at least 16, got {self.max_dense}")
        if self.embed not in EMBED_MODES:
            raise ConfigError(f"embed must be one of {', '.join(EMBED_MODES)}, got {self.embed!r}")
        if not 0.0 <= self.delta <= 100.0:
            raise ConfigError(f"delta must be between 0 and 100, got {self.delta}")
        if self.n_samples < 8:
            raise ConfigError(f"n_samples must be at least 8, got {self.n_samples}")

    @property
    def side(self) -> int:
        """Effective largest side of a bead."""
        return self.max_side or self.max_bead - 1

    def replace(self, **changes: Any) -> AlignConfig:
        """A validated copy with some fields changed."""
        return dataclasses.replace(self, **changes)

    def as_signature(self) -> dict[str, Any]:
        """JSON-native parameters for :class:`driftscope.model.Signature`."""
        return dataclasses.asdict(self)
