"""Numbers every renderer shows, computed from a RunResult only. Layer: report (model + stdlib).

Deterministic: the bootstrap uses :class:`random.Random` seeded from the run's signature seed and
the hop name, so the same RunResult always gives the same intervals.
"""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass

from driftscope.model import SEVERITIES, Bead, Comparison, Flag, RunResult

N_BOOTSTRAP = 1000
CI_LEVEL = 0.95
SIM_BUCKETS = ((float("-inf"), 0.2), (0.2, 0.4), (0.4, 0.6), (0.6, 0.8), (0.8, float("inf")))
SIM_BUCKET_LABELS = ("< 0.2", "0.2–0.4", "0.4–0.6", "0.6–0.8", "≥ 0.8")
# The one similarity scale of every output (reports, CLI, ``score``'s sim): BeadScore.similarity.
SIM_SCALE = (
    "0 = a random pair of sentences of these two texts, 1 = a typical translation pair of them; "
    "not clipped, above 1 is closer than typical"
)
SEVERITY_RANK = {s: i + 1 for i, s in enumerate(SEVERITIES)}  # none = 0

# Digit groups such as 1,000 / 1 000 / 3.5 / 2013; thousands separators are dropped when every
# group after the first has exactly three digits.
_NUMBER_RE = re.compile(r"\d+(?:[.,\u00a0\u202f ]\d+)*")
_THOUSANDS_RE = re.compile(r"^\d{1,3}(?:[,.\u00a0\u202f ]\d{3})+$")


def finite(x: float | None) -> bool:
    """True for a real number (the JSON null of a missing score reads back as NaN)."""
    return x is not None and not math.isnan(x)


def percentile(sorted_vals: list[float], q: float) -> float:
    """Linear-interpolation percentile (numpy's default) of an ascending list; ``q`` in [0, 1]."""
    if not sorted_vals:
        return float("nan")
    pos = q * (len(sorted_vals) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(sorted_vals) - 1)
    return sorted_vals[lo] + (sorted_vals[hi] - sorted_vals[lo]) * (pos - lo)


def bootstrap_mean_ci(
    values: list[float], seed: str, n_boot: int = N_BOOTSTRAP, level: float = CI_LEVEL
) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean of ``values`` (seeded, so deterministic).

    Args:
        values: finite per-bead similarities (float, any order).
        seed: string seed for :class:`random.Random` (e.g. ``"13:ru-vi"``).
        n_boot: number of resamples.
        level: coverage of the interval, e.g. 0.95.

    Returns:
        ``(low, high)``; ``(nan, nan)`` for an empty list.
    """
    n = len(values)
    if n == 0:
        return float("nan"), float("nan")
    rng = random.Random(seed)
    means = sorted(math.fsum(rng.choices(values, k=n)) / n for _ in range(n_boot))
    alpha = (1.0 - level) / 2.0
    return percentile(means, alpha), percentile(means, 1.0 - alpha)


@dataclass(frozen=True, slots=True)
class HopStats:
    """Summary of one comparison (a hop of the chain, or a direct pair)."""

    hop: str
    src: str
    tgt: str
    in_chain: bool
    n_beads: int
    n_src: int
    n_tgt: int
    n_one_one: int
    n_many: int  # n-m beads other than 1-1 with both sides non-empty
    n_omitted: int  # src segments in beads with an empty tgt side
    n_added: int  # tgt segments in beads with an empty src side
    mean: float
    ci_low: float
    ci_high: float
    median: float
    sim_buckets: tuple[int, ...]  # parallel to SIM_BUCKETS
    severity_beads: tuple[int, ...]  # beads by worst flag: none, low, medium, high
    flag_kinds: tuple[tuple[str, int], ...]

    @property
    def represented_share(self) -> float:
        return 1.0 - self.n_omitted / self.n_src if self.n_src else float("nan")

    @property
    def omitted_share(self) -> float:
        return self.n_omitted / self.n_src if self.n_src else float("nan")

    @property
    def added_share(self) -> float:
        return self.n_added / self.n_tgt if self.n_tgt else float("nan")


def chain_of(result: RunResult) -> tuple[str, ...]:
    """The chain of version ids; a plain run's first comparison stands in as a 2-chain."""
    if result.chain:
        return tuple(result.chain)
    if result.comparisons:
        return (result.comparisons[0].src_id, result.comparisons[0].tgt_id)
    return tuple(d.doc_id for d in result.documents)


def chain_hops(result: RunResult) -> list[Comparison]:
    """Comparisons between consecutive chain versions, in chain order."""
    chain = chain_of(result)
    by_pair = {(c.src_id, c.tgt_id): c for c in result.comparisons}
    return [by_pair[p] for p in zip(chain, chain[1:], strict=False) if p in by_pair]


def flag_touches(flag: Flag, src: tuple[int, ...], tgt: tuple[int, ...]) -> bool:
    """True when the flag shares a source or target segment with a bead."""
    return bool(set(flag.src) & set(src)) or bool(set(flag.tgt) & set(tgt))


def hop_stats(result: RunResult, comp: Comparison) -> HopStats:
    """Per-hop summary with a seeded bootstrap CI of the mean bead similarity."""
    chain = chain_of(result)
    pairs = set(zip(chain, chain[1:], strict=False))
    sims = [s.similarity for s in comp.scores if finite(s.similarity)]
    lo, hi = bootstrap_mean_ci(sims, f"{result.signature.seed}:{comp.hop}")
    srt = sorted(sims)
    buckets = [0] * len(SIM_BUCKETS)
    for v in sims:
        for i, (a, b) in enumerate(SIM_BUCKETS):
            if a <= v < b:
                buckets[i] += 1
                break
    sev = [0] * (len(SEVERITIES) + 1)
    for bead in comp.beads:
        worst = max(
            (
                SEVERITY_RANK.get(f.severity, 0)
                for f in comp.flags
                if flag_touches(f, bead.src, bead.tgt)
            ),
            default=0,
        )
        sev[worst] += 1
    kinds: dict[str, int] = {}
    for f in comp.flags:
        kinds[f.kind] = kinds.get(f.kind, 0) + 1
    n_src = _n_segments(result, comp.src_id, comp.beads, "src")
    n_tgt = _n_segments(result, comp.tgt_id, comp.beads, "tgt")
    return HopStats(
        hop=comp.hop,
        src=comp.src_id,
        tgt=comp.tgt_id,
        in_chain=(comp.src_id, comp.tgt_id) in pairs,
        n_beads=len(comp.beads),
        n_src=n_src,
        n_tgt=n_tgt,
        n_one_one=sum(1 for b in comp.beads if len(b.src) == 1 and len(b.tgt) == 1),
        n_many=sum(1 for b in comp.beads if b.src and b.tgt and (len(b.src), len(b.tgt)) != (1, 1)),
        n_omitted=sum(len(b.src) for b in comp.beads if not b.tgt),
        n_added=sum(len(b.tgt) for b in comp.beads if not b.src),
        mean=math.fsum(sims) / len(sims) if sims else float("nan"),
        ci_low=lo,
        ci_high=hi,
        median=percentile(srt, 0.5),
        sim_buckets=tuple(buckets),
        severity_beads=tuple(sev),
        flag_kinds=tuple(sorted(kinds.items())),
    )


def _n_segments(result: RunResult, version: str, beads: tuple[Bead, ...], side: str) -> int:
    try:
        return len(result.document(version).segments)
    except KeyError:
        return sum(len(getattr(b, side)) for b in beads)


def all_hop_stats(result: RunResult) -> list[HopStats]:
    """Chain hops first (in chain order), then the other comparisons in stored order."""
    hops = chain_hops(result)
    rest = [c for c in result.comparisons if c not in hops]
    return [hop_stats(result, c) for c in hops + rest]


def numbers_in(text: str) -> tuple[str, ...]:
    """Numbers in a text, normalised: thousands separators dropped, decimal comma as point.

    ``"1,000 and 3,5 in 2013-2014"`` gives ``("1000", "3.5", "2013", "2014")``.
    """
    out: list[str] = []
    for m in _NUMBER_RE.finditer(text):
        tok = m.group(0)
        if _THOUSANDS_RE.match(tok):
            out.append(re.sub(r"\D", "", tok).lstrip("0") or "0")
            continue
        for part in re.split(r"[\u00a0\u202f ]", tok):
            head, _, tail = part.replace(",", ".").partition(".")
            out.append((head.lstrip("0") or "0") + ("." + tail if tail else ""))
    return tuple(sorted(out))
