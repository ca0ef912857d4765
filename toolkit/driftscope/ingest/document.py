"""From a file to a :class:`~driftscope.model.Document`. Ingest layer.

Reads and decodes (``decode``), splits (``segment``), identifies languages (``langid``) and
validates at the boundary: empty files, binary files, huge segments and a language that
contradicts the text all raise :class:`InputError` with ``path:line`` context.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

from driftscope.errors import InputError
from driftscope.ingest.decode import read_text
from driftscope.ingest.langid import count_letters, detect_language, detect_languages
from driftscope.ingest.segment import split_document
from driftscope.model import Document, Segment

MAX_SEGMENT_CHARS = 4000
# A user-given language is refused only when the detector is this sure of another language.
LANG_CONFLICT_PROB = 0.95
_SAMPLE_CHARS = 20000
# Where the detector may overrule a stated language, measured by benchmarks/langid.py --trust
# (results/langid_trust.json) on every aligned dev set cut to its first c letters: from 120
# letters on, no correctly stated de, en, fr, ru or vi line was confidently called another
# language (fr needs 120, ru 80, de 60, en 40, vi 25); Icelandic, which langdetect has no
# profile for, is miscalled at every length. Elsewhere the stated language stands (a warning).
TRUST_MIN_LETTERS = 120
TRUSTED_LANGS = frozenset({"de", "en", "fr", "ru", "vi"})
log = logging.getLogger("driftscope.ingest")
# Languages langdetect cannot tell apart reliably: a given code inside a group is accepted.
_CLOSE = ({"hr", "sr", "bs", "sh"}, {"id", "ms"}, {"no", "nb", "nn", "da"}, {"zh", "zh-cn"})


def _compatible(a: str, b: str) -> bool:
    return a == b or any(a in g and b in g for g in _CLOSE)


def check_language(text: str, lang: str, source: str) -> tuple[str, float]:
    """Validate a user-given language code against the text.

    Returns:
        The detected (language, probability) of ``text`` (``("", 0.0)`` if too short).
    Raises:
        InputError: ``lang`` is not a code such as 'ru', or the detector is at least
            ``LANG_CONFLICT_PROB`` sure the text is in an incompatible language, the text has
            at least ``TRUST_MIN_LETTERS`` letters and both languages are in
            ``TRUSTED_LANGS`` (otherwise a warning is logged and ``lang`` stands).
    """
    lang = lang.strip().lower()
    if not lang.isascii() or not 2 <= len(lang) <= 8:
        raise InputError(f"{source}: {lang!r} is not a language code such as 'ru' or 'vi'")
    sample = text[:_SAMPLE_CHARS]
    det_lang, det_prob = detect_language(sample)
    if det_lang and det_prob >= LANG_CONFLICT_PROB and not _compatible(lang, det_lang):
        n = count_letters(sample)
        if n >= TRUST_MIN_LETTERS and {lang, det_lang} <= TRUSTED_LANGS:
            raise InputError(
                f"{source}: language given as {lang!r} but the text is {det_lang!r} "
                f"(p={det_prob:.2f}); check the file or the language option"
            )
        log.warning(
            "%s: language given as %r; the detector says %r (p=%.2f), but it is not reliable "
            "on %d letters of these languages: keeping %r",
            source, lang, det_lang, det_prob, n, lang,
        )  # fmt: skip
    return det_lang, det_prob


def read_document(
    path: str | Path,
    lang: str | None = None,
    *,
    presegmented: bool = False,
    doc_id: str | None = None,
    role: str = "",
    detect_segments: bool = True,
    max_segment_chars: int = MAX_SEGMENT_CHARS,
) -> Document:
    """Read, clean and segment a text file.

    Args:
        path: the file (any supported encoding).
        lang: ISO 639-1 code; detected (seeded langdetect) when None.
        presegmented: one segment per non-blank line, as Vecalign and Bertalign take it.
        doc_id: identifier (default: the file name without suffix).
        role: "original", "relay", "mt" or "".
        detect_segments: also detect each segment's language (needed for untranslated flags).
        max_segment_chars: longer segments are refused (binary or unsegmentable input).

    Raises:
        InputError: unreadable, empty, binary, undecodable input; a segment over the limit; a
            language that cannot be detected, or a given one the text clearly contradicts.
    """
    p = Path(path)
    decoded = read_text(p)
    doc = text_document(
        decoded.text,
        lang,
        doc_id=doc_id or p.stem,
        source=str(path),
        presegmented=presegmented,
        role=role,
        detect_segments=detect_segments,
        max_segment_chars=max_segment_chars,
    )
    return replace(doc, sha256=decoded.sha256, encoding=decoded.encoding)


def text_document(
    text: str,
    lang: str | None,
    *,
    doc_id: str,
    source: str,
    presegmented: bool = False,
    role: str = "",
    detect_segments: bool = True,
    max_segment_chars: int = MAX_SEGMENT_CHARS,
    check_lang: bool = True,
) -> Document:
    """Clean-text counterpart of :func:`read_document` (same checks; ``source`` names it).

    ``text`` is already decoded and cleaned (:func:`~driftscope.ingest.decode.clean_text`);
    corpus inputs (tables, line-parallel files) build their documents with it.
    ``check_lang=False`` takes ``lang`` without checking it against the text (a language the
    caller detected on a larger sample, e.g. a whole file).

    Raises:
        InputError: as :func:`read_document`, with ``source`` as the location.
    """
    if lang is None:
        det_lang, det_prob = detect_language(text[:_SAMPLE_CHARS])
        if not det_lang:
            raise InputError(f"{source}: cannot detect the language (too little text); give it")
        lang, lang_prob, lang_source = det_lang, det_prob, "detected"
    elif check_lang:
        check_language(text, lang, source)
        lang, lang_prob, lang_source = lang.strip().lower(), 1.0, "given"
    else:
        lang, lang_prob, lang_source = lang.strip().lower(), 1.0, "detected"
    raw = split_document(text, lang, presegmented)
    if not raw:
        raise InputError(f"{source}: no segments")
    segments = []
    for i, r in enumerate(raw):
        if len(r.text) > max_segment_chars:
            raise InputError(
                f"{source}:{r.line + 1}: a segment of {len(r.text)} characters (limit "
                f"{max_segment_chars}); is this text split into sentences or lines?"
            )
        segments.append(Segment(i, r.text, r.start, r.end, r.paragraph))
    doc = Document(
        doc_id=doc_id,
        lang=lang,
        segments=tuple(segments),
        lang_prob=lang_prob,
        lang_source=lang_source,
        role=role,
        source=source,
    )
    return with_segment_languages(doc) if detect_segments else doc


def with_segment_languages(doc: Document) -> Document:
    """``doc`` with each segment's language detected: what ``detect_segments=True`` gives, for
    a caller that reads first and detects later (the pipeline starts loading its encoder in
    between)."""
    found = detect_languages([seg.text for seg in doc.segments])
    pairs = zip(doc.segments, found, strict=True)
    segs = [replace(seg, lang=lang, lang_prob=p) for seg, (lang, p) in pairs]
    return replace(doc, segments=tuple(segs))


def document_from_texts(
    texts: list[str], lang: str, doc_id: str = "doc", role: str = ""
) -> Document:
    """A Document from already segmented strings (API use and tests); one paragraph."""
    segs, pos = [], 0
    for i, (t, found) in enumerate(zip(texts, detect_languages(texts), strict=True)):
        segs.append(Segment(i, t, pos, pos + len(t), 0, *found))
        pos += len(t) + 1
    if not segs:
        raise InputError(f"{doc_id}: no segments")
    return Document(doc_id=doc_id, lang=lang, segments=tuple(segs), role=role)


def read_lines(path: str | Path, max_line_chars: int = MAX_SEGMENT_CHARS) -> list[str]:
    """Decoded, cleaned (NFC) lines of a line-parallel file; blank lines kept.

    A final newline does not make an extra empty line (sacrebleu semantics).

    Raises:
        InputError: as :func:`read_text`, or a line longer than ``max_line_chars`` (path:line).
    """
    return text_lines(read_text(path).text, str(path), max_line_chars)


def text_lines(text: str, source: str, max_line_chars: int = MAX_SEGMENT_CHARS) -> list[str]:
    """Lines of decoded text as :func:`read_lines` gives them (``source`` names it in errors)."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    for n, line in enumerate(lines, start=1):
        if len(line) > max_line_chars:
            raise InputError(
                f"{source}:{n}: a line of {len(line)} characters (limit {max_line_chars}); "
                "expected one segment per line"
            )
    return lines
