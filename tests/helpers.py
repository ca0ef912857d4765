"""Test helpers shared by unit and integration tests (no fixtures with side effects)."""

from __future__ import annotations

import unicodedata
from pathlib import Path

from driftscope.model import Document, Segment

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
NTREX = SHARED / "data" / "align" / "ntrex128-en-ru-vi-dev"
REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "corpora" / "nato-lukashenko"

_TONES = "\u0300\u0301\u0303\u0309\u0323"  # Vietnamese tone marks, separate in cp1258


def encode_cp1258(text: str) -> bytes:
    """Encode Vietnamese as Windows-1258 does: base letters precomposed, tone marks combining."""
    out = []
    for ch in unicodedata.normalize("NFC", text):
        try:
            out.append(ch.encode("cp1258"))
            continue
        except UnicodeEncodeError:
            pass
        d = unicodedata.normalize("NFD", ch)
        tones = "".join(c for c in d if c in _TONES)
        base = unicodedata.normalize("NFC", "".join(c for c in d if c not in _TONES))
        out.append(base.encode("cp1258") + tones.encode("cp1258"))
    return b"".join(out)


def ntrex_lines(lang: str, n: int | None = None) -> list[str]:
    name = {"en": "src.eng", "ru": "ref.rus", "vi": "ref.vie"}[lang]
    text = (NTREX / f"newstest2019-{name}.txt").read_bytes().decode("utf-8")
    lines = text.replace("\r\n", "\n").split("\n")
    if lines and not lines[-1]:
        lines.pop()
    return lines[:n] if n else lines


def text_doc(doc_id: str, lang: str, texts: list[str], prob: float = 0.99) -> Document:
    """A Document of one segment per text, every segment labelled ``lang`` at ``prob``."""
    segs, pos = [], 0
    for i, t in enumerate(texts):
        segs.append(Segment(i, t, pos, pos + len(t), 0, lang, prob))
        pos += len(t) + 1
    return Document(doc_id=doc_id, lang=lang, segments=tuple(segs))
