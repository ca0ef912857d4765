"""Sentence segmentation and paragraph structure. Ingest layer.

Line breaks are hard boundaries (a sentence never spans two lines); blank lines separate
paragraphs. Within a line, sentences are split with ``sentencex`` (Wikimedia's maintained
rule-based segmenter, ~300 languages); its per-language error rates on NTREX dev are printed by
``benchmarks/segmentation.py``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SPACE = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class RawSegment:
    """A sentence with its half-open char span in the cleaned text and its paragraph index."""

    text: str
    start: int
    end: int
    paragraph: int
    line: int  # 0-based line of the cleaned text


def segment_text(text: str, lang: str) -> list[str]:
    """Split one line of text into sentences (whitespace-trimmed, none empty)."""
    return [s.text for s in _split_line(text, lang, 0, 0, 0)]


def _split_line(line: str, lang: str, offset: int, para: int, lineno: int) -> list[RawSegment]:
    from sentencex import segment

    out: list[RawSegment] = []
    pos = 0
    for piece in segment(lang or "en", line):
        # sentencex returns consecutive pieces whose concatenation is the line; locate each
        # one from ``pos`` so spans stay exact even if it normalises something.
        stripped = piece.strip()
        if not stripped:
            pos += len(piece)
            continue
        start = line.find(stripped, pos)
        if start < 0:  # defensive: never lose text even if the segmenter changes it
            start = pos
        end = start + len(stripped)
        out.append(RawSegment(line[start:end], offset + start, offset + end, para, lineno))
        pos = end
    return out


def split_document(text: str, lang: str, presegmented: bool) -> list[RawSegment]:
    """Segments of a cleaned document.

    Args:
        text: cleaned text (``\\n`` line ends).
        lang: ISO 639-1 code used to pick the segmenter's rules.
        presegmented: one segment per non-blank line (Vecalign/Bertalign input).

    Returns:
        Segments in document order; paragraph indices count blank-line-separated blocks.
    """
    out: list[RawSegment] = []
    para, offset, prev_blank = 0, 0, False
    for lineno, line in enumerate(text.split("\n")):
        if not line.strip():
            prev_blank = bool(out)
            offset += len(line) + 1
            continue
        if prev_blank:
            para += 1
            prev_blank = False
        if presegmented:
            lead = len(line) - len(line.lstrip())
            body = line.strip()
            out.append(RawSegment(body, offset + lead, offset + lead + len(body), para, lineno))
        else:
            out.extend(_split_line(line, lang, offset, para, lineno))
        offset += len(line) + 1
    return out


def squash_spaces(text: str) -> str:
    """Collapse runs of whitespace to one space (for comparing texts)."""
    return _SPACE.sub(" ", text).strip()
