"""Geometry of the inline SVG plots (drift along the document, hop-vs-hop scatter). Layer: report.

Only coordinates and labels are computed here; the template draws them, so every text that
reaches the SVG (tooltips) goes through jinja2 autoescape. No style attributes: colours come
from CSS classes (the CSP allows no inline ``style=``).
"""

from __future__ import annotations

from dataclasses import dataclass

from driftscope.model import RunResult
from driftscope.report.rows import Row
from driftscope.report.stats import chain_hops, finite

# Drawing sizes near those shown on a wide page (CSS scales them to the width: the drift plot
# spans the page, a scatter up to 600 px), so that text keeps its size there.
WIDTH, HEIGHT = 1100.0, 340.0
PAD_L, PAD_R, PAD_T, PAD_B = 44.0, 12.0, 10.0, 30.0
SCATTER = 480.0


@dataclass(frozen=True, slots=True)
class Point:
    x: float
    y: float
    href: str
    title: str
    cls: str = ""


@dataclass(frozen=True, slots=True)
class Series:
    name: str
    cls: str
    path: str  # "x,y x,y ..." for a polyline
    points: tuple[Point, ...]


@dataclass(frozen=True, slots=True)
class Tick:
    pos: float
    label: str


@dataclass(frozen=True, slots=True)
class Plot:
    """One SVG plot in pixel coordinates (origin top-left)."""

    width: float
    height: float
    x0: float
    x1: float
    y0: float
    y1: float
    xticks: tuple[Tick, ...]
    yticks: tuple[Tick, ...]
    series: tuple[Series, ...]
    xlabel: str
    ylabel: str
    diagonal: tuple[float, float, float, float] | None = None


def _range(vals: list[float]) -> tuple[float, float]:
    lo = min([0.0, *vals])
    hi = max([1.0, *vals])
    return lo, hi


def _ticks(lo: float, hi: float, a: float, b: float, n: int = 5) -> tuple[Tick, ...]:
    return tuple(Tick(a + (b - a) * i / n, f"{lo + (hi - lo) * i / n:.1f}") for i in range(n + 1))


def drift_plot(result: RunResult, rows: list[Row], row_of: dict[tuple[str, int], int]) -> Plot:
    """Similarity (y) against relative position in the source version (x), one line per hop.

    Args:
        result: the run.
        rows: n-way rows, for anchor links.
        row_of: ``(version, segment) -> row id``.
    """
    comps = list(chain_hops(result))
    comps += [c for c in result.comparisons if c not in comps]
    raw: list[tuple[int, str, list[tuple[float, float, str, str]]]] = []
    allv: list[float] = []
    for k, comp in enumerate(comps):
        n = max(1, max((max(b.src) for b in comp.beads if b.src), default=0) + 1)
        pts = []
        for bead, score in zip(comp.beads, comp.scores, strict=False):
            if not finite(score.similarity) or not bead.src:
                continue
            pos = (bead.src[0] + bead.src[-1] + 1) / 2.0 / n
            rid = row_of.get((comp.src_id, bead.src[0]), -1)
            title = f"{comp.hop} {bead.key()}: similarity {score.similarity:.2f}"
            pts.append((pos, score.similarity, f"#row-{rid}" if rid >= 0 else "", title))
            allv.append(score.similarity)
        raw.append((k, comp.hop, pts))
    lo, hi = _range(allv)
    x0, x1, y0, y1 = PAD_L, WIDTH - PAD_R, HEIGHT - PAD_B, PAD_T
    series = []
    for k, hop, pts in raw:
        ps = tuple(
            Point(x0 + (x1 - x0) * p, y0 + (y1 - y0) * (v - lo) / (hi - lo), h, t)
            for p, v, h, t in pts
        )
        path = " ".join(f"{p.x:.1f},{p.y:.1f}" for p in ps)
        series.append(Series(hop, f"s{k % 6}", path, ps))
    return Plot(
        WIDTH,
        HEIGHT,
        x0,
        x1,
        y0,
        y1,
        xticks=tuple(Tick(x0 + (x1 - x0) * i / 4, f"{i * 25}%") for i in range(5)),
        yticks=_ticks(lo, hi, y0, y1),
        series=tuple(series),
        xlabel="position in the source version",
        ylabel="similarity",
    )


def scatter_plots(result: RunResult, rows: list[Row], texts: dict[int, str]) -> list[Plot]:
    """One scatter per pair of consecutive hops: similarity of hop k (x) vs hop k+1 (y).

    A point is a passage (n-way row) present in both hops; it links to the row's anchor.
    ``texts`` maps row id to a short tooltip text.
    """
    hops = [c.hop for c in chain_hops(result)]
    plots = []
    for h1, h2 in zip(hops, hops[1:], strict=False):
        pairs = [(r, r.sims[h1], r.sims[h2]) for r in rows if h1 in r.sims and h2 in r.sims]
        lo, hi = _range([v for _, a, b in pairs for v in (a, b)])
        x0, x1, y0, y1 = PAD_L, SCATTER - PAD_R, SCATTER - PAD_B, PAD_T

        def sx(v: float, x0: float = x0, x1: float = x1, lo: float = lo, hi: float = hi) -> float:
            return x0 + (x1 - x0) * (v - lo) / (hi - lo)

        def sy(v: float, y0: float = y0, y1: float = y1, lo: float = lo, hi: float = hi) -> float:
            return y0 + (y1 - y0) * (v - lo) / (hi - lo)

        pts = tuple(
            Point(
                sx(a),
                sy(b),
                f"#{r.anchor}",
                f"passage {r.rid}: {h1} {a:.2f}, {h2} {b:.2f}\n{texts.get(r.rid, '')}",
                f"sev-{r.severity}" if r.severity else "",
            )
            for r, a, b in pairs
        )
        plots.append(
            Plot(
                SCATTER,
                SCATTER,
                x0,
                x1,
                y0,
                y1,
                xticks=_ticks(lo, hi, x0, x1),
                yticks=_ticks(lo, hi, y0, y1),
                series=(Series(f"{h1} vs {h2}", "s0", "", pts),),
                xlabel=f"{h1} similarity",
                ylabel=f"{h2} similarity",
                diagonal=(sx(lo), sy(lo), sx(hi), sy(hi)),
            )
        )
    return plots
