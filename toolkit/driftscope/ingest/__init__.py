"""Ingest stage: bytes to clean, segmented, language-identified documents.

Imports only the leaf layer (``model``, ``errors``) and its backends (sentencex, langdetect).
"""

from __future__ import annotations

from driftscope.ingest.decode import (
    DecodedText,
    clean_text,
    decode_bytes,
    line_encoding,
    read_text,
)
from driftscope.ingest.document import (
    check_language,
    document_from_texts,
    read_document,
    read_lines,
    text_document,
    text_lines,
    with_segment_languages,
)
from driftscope.ingest.langid import detect_language
from driftscope.ingest.manifest import (
    Manifest,
    VersionSpec,
    load_manifest,
    read_gold_problems,
    read_versions,
)
from driftscope.ingest.segment import segment_text, split_document

__all__ = [
    "DecodedText",
    "Manifest",
    "VersionSpec",
    "check_language",
    "clean_text",
    "decode_bytes",
    "line_encoding",
    "detect_language",
    "document_from_texts",
    "load_manifest",
    "read_document",
    "read_gold_problems",
    "read_lines",
    "read_text",
    "read_versions",
    "segment_text",
    "text_lines",
    "text_document",
    "split_document",
    "with_segment_languages",
]
