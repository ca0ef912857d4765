"""Counterfactual probe of a meaning reversal: how much closer a bead's two sides get when the
negation that has no counterpart is deleted. Layer: flag stage (numpy and quality only).

A negation the other side lost has nothing to match there, so deleting it brings the sides
closer; a negation the other side says in other words ("не смог" / "failed") is matched, and
deleting it pulls them apart. The gain is measured in the document pair's calibrated units
(0 a random pair, 1 a typical one), so one threshold serves every encoder and language pair.
On synthetic lost negations of NTREX dev the gain ranks lost against clean candidates at
AUROC 0.72-0.83, where the rendering rank it replaced had 0.47-0.57
(``benchmarks/negation_synth.py``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol

import numpy as np

from driftscope.quality.calibrate import Baseline
from driftscope.quality.evidence import BeadEvidence
from driftscope.quality.mention import Mention
from driftscope.quality.negation import Reversal

PROBE_MEDIUM = 0.134
"""Calibrated gain from which a reversal is ``medium``. It keeps two budgets of 0.25 % of the
beads per NTREX dev direction in-sample: on the clean candidates of ``negation_synth.py``
(its rule alone gives 0.102) and on the real flags of ``quality_lodo.py`` (0.139 in every
leave-one-direction-out fold, at most 0.19 % held out). Leave-one-language-pair-out on the
synthetic set finds 14-30 % of the held-out lost negations at 0-0.77 % of the beads (the
ru-vi pair, fitted on the pairs with English, exceeds the budget). The bundled corpus's
reversal (en 11) gains -0.004 (e5-small barely moves)."""

_NT = {"ca": "can", "wo": "will", "sha": "shall"}


class TextEncoder(Protocol):
    def encode(self, texts: list[str]) -> np.ndarray: ...


def drop_cue(text: str, cue: Mention) -> str:
    """``text`` without the cue word ("doesn't" -> "does", "не зависит" -> "зависит")."""
    word = text[cue.start : cue.end]
    if word.lower().endswith("n't") and len(word) > 3:
        stem = word[:-3]
        return text[: cue.start] + _NT.get(stem.lower(), stem) + text[cue.end :]
    return re.sub(r"\s{2,}", " ", text[: cue.start] + text[cue.end :]).strip()


def main_reversal(e: BeadEvidence) -> Reversal:
    """The bead's reversal that the flag reports: the one whose scope renders most clearly."""
    return max(e.reversals, key=lambda x: x.rendered if x.rendered == x.rendered else -1.0)


def probe_texts(e: BeadEvidence) -> tuple[str, str]:
    """(source, target) of the bead with its main reversal's cue deleted."""
    r = main_reversal(e)
    if r.side == "src":
        return drop_cue(e.src_text, r.cue), e.tgt_text
    return e.src_text, drop_cue(e.tgt_text, r.cue)


def reversal_probes(
    ev: Sequence[BeadEvidence], encoder: TextEncoder, baseline: Baseline
) -> dict[int, float]:
    """Bead index -> calibrated similarity gain when the main reversal's cue is deleted.

    The bead texts before and after are encoded whole (one ``encode`` call; a one-segment
    bead's text is its segment's, which an embedding cache already holds).
    """
    todo = [e for e in ev if e.reversals and e.src_text and e.tgt_text]
    if not todo:
        return {}
    pairs = [((e.src_text, e.tgt_text), probe_texts(e)) for e in todo]
    texts = list(dict.fromkeys(t for before, after in pairs for t in (*before, *after)))
    vec = dict(zip(texts, np.asarray(encoder.encode(texts), np.float64), strict=True))
    out = {}
    for e, (before, after) in zip(todo, pairs, strict=True):
        cos = np.array([vec[before[0]] @ vec[before[1]], vec[after[0]] @ vec[after[1]]])
        cal = baseline.calibrate(cos)
        out[e.index] = float(cal[1] - cal[0])
    return out
