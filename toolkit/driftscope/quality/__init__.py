"""Quality evidence and flags: per-bead evidence, calibrated rules, chain attribution.

Layer: flag stage (numpy, model, errors; langdetect results come in on the segments).
Importing this package never imports torch.
"""

from __future__ import annotations

from driftscope.quality.api import attribute, chain_summary, flag_chain, flag_comparison
from driftscope.quality.calibrate import Baseline, fit_baseline, random_pair_cosines
from driftscope.quality.evidence import BeadEvidence, bead_evidence
from driftscope.quality.flags import FlagConfig, severity_at_least

__all__ = [
    "Baseline",
    "BeadEvidence",
    "FlagConfig",
    "attribute",
    "bead_evidence",
    "chain_summary",
    "fit_baseline",
    "flag_chain",
    "flag_comparison",
    "random_pair_cosines",
    "severity_at_least",
]
