"""Whether a flag finds a known problem of a corpus (``gold/problems.tsv``). Imports ``model``.

*Strict*: a flag of the problem's kind, or of an equivalent kind (:data:`EQUIVALENT`), on the
problem's hop, at ``medium`` or above, whose span overlaps the problem's span (the whole
segment when the gold row gives none). *Lax*: any flag of the hop touching the segment.
"""

from __future__ import annotations

from collections.abc import Mapping

from driftscope.model import SEVERITIES, Flag

EQUIVALENT: Mapping[str, tuple[str, ...]] = {
    # a negation lost or added is the changed meaning a low similarity would show
    "low_similarity": ("meaning_reversal",),
    # a reversed negation is a mistranslated term; an invented time ("the night before the
    # election" for "on the eve of") is one too, found by the time-word check
    "suspicious_term": ("meaning_reversal", "number_mismatch"),
}
"""Flag kinds that count for a gold kind besides the kind itself."""
STRICT_SEVERITY = "medium"


def gold_range(span: str, segment_text: str) -> tuple[int, int]:
    """Half-open range of a gold span in its segment (the whole segment for "-", "" or a span
    not found in it; case-insensitive)."""
    s = span.strip()
    at = segment_text.lower().find(s.lower()) if s and s != "-" else -1
    return (at, at + len(s)) if at >= 0 else (0, len(segment_text))


def _touches(f: Flag, side_src: bool, segment: int) -> bool:
    return segment in (f.src if side_src else f.tgt)


def finds(
    f: Flag,
    hop: str,
    version: str,
    segment: int,
    kind: str,
    span: tuple[int, int] | None,
    strict: bool = True,
) -> bool:
    """Whether flag ``f`` finds the gold problem (hop, version, segment, kind, span).

    Args:
        hop: "src_id-tgt_id" of the problem; ``version`` is one of the two ids.
        span: the problem's range in the segment (:func:`gold_range`), None = whole segment.
        strict: see the module docstring; False = lax.
    """
    if f.hop != hop:
        return False
    side_src = version == hop.split("-")[0]
    if not strict:
        return _touches(f, side_src, segment)
    if f.kind != kind and f.kind not in EQUIVALENT.get(kind, ()):
        return False
    if SEVERITIES.index(f.severity) < SEVERITIES.index(STRICT_SEVERITY):
        return False
    mine = [s for s in f.spans if s.version == version and s.segment == segment]
    if not mine:
        return span is None and _touches(f, side_src, segment)
    return span is None or any(s.start < span[1] and s.end > span[0] for s in mine)
