"""Robust decoding and cleaning of text files. Ingest layer: imports ``errors`` only.

Handles UTF-8 with or without BOM, UTF-16/32 (BOM or BOM-less), legacy Cyrillic (cp1251,
KOI8-R) and Vietnamese (Windows-1258) encodings, CRLF/CR line ends, NFC normalisation,
zero-width and control characters. Binary input is refused with an :class:`InputError`.
"""

from __future__ import annotations

import codecs
import hashlib
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from driftscope.errors import InputError

MAX_FILE_BYTES = 512 * 1024 * 1024

# Legacy encodings tried, in this order, when strict UTF-8 fails. cp1252 comes last: it decodes
# almost anything, so it must win only when the others look worse.
LEGACY_ENCODINGS = ("cp1251", "koi8_r", "cp1258", "cp1252")

# Invisible characters removed outright. ZWJ/ZWNJ (U+200C/D) are kept: they carry meaning in
# Persian, Indic scripts and emoji.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u2060\ufeff\u00ad\u180e"), None)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_LINE_SEP = re.compile(r"\r\n|\r|\u2028|\u2029|\x85")
_WORD = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)
class DecodedText:
    """Decoded, cleaned text plus where it came from.

    ``text`` is NFC, with ``\\n`` line ends, no invisible or control characters.
    """

    text: str
    encoding: str
    sha256: str


def _looks_utf16(raw: bytes) -> str | None:
    """Detect BOM-less UTF-16: one byte of each code unit (the high byte) takes few values.

    ASCII text gives zero high bytes; Cyrillic gives 0x04, Vietnamese 0x00/0x01/0x1e, and so on.
    """
    n = min(len(raw), 8192) & ~1
    if n < 8 or len(raw) % 2:
        return None
    even, odd = raw[0:n:2], raw[1:n:2]
    for enc, high, low in (("utf-16-le", odd, even), ("utf-16-be", even, odd)):
        counts = sorted((high.count(b) for b in set(high)), reverse=True)
        if sum(counts[:3]) / len(high) > 0.9 and len(set(low)) > 2 * len(counts):
            try:
                text = raw.decode(enc)
            except UnicodeDecodeError:
                continue
            if _implausibility(text) < 0.2 and not _CONTROL.search(text[:2000]):
                return enc
    return None


def _implausibility(text: str) -> float:
    """Score a legacy decoding: higher means less like real text.

    Penalises C1 controls, box-drawing characters (KOI8-R read wrongly), words mixing Latin
    and Cyrillic letters, case flips inside a word (cp1251 read as KOI8-R gives ``пРИВЕТ``), and
    Latin words made only of non-ASCII letters (Cyrillic read as cp1252/cp1258).
    """
    bad = sum(1 for c in text if "\x80" <= c <= "\x9f" or "\u2500" <= c <= "\u259f")
    words = _WORD.findall(text)
    if not words:
        return float(bad)
    for w in words:
        letters = [c for c in w if c.isalpha()]
        if len(letters) < 2:
            continue
        cyr = sum(1 for c in letters if "\u0400" <= c <= "\u04ff")
        latin = sum(1 for c in letters if c.isascii() or "\u00c0" <= c <= "\u024f" or c >= "\u1e00")
        if cyr and latin:
            bad += 2
        # an uppercase letter after a lowercase one inside a word: "пРИВЕТ", "ÏðÈâ"
        if any(a.islower() and b.isupper() for a, b in zip(letters, letters[1:], strict=False)):
            bad += 1
        if not cyr and len(letters) >= 3 and not any(c.isascii() for c in letters):
            bad += 1
    return bad / len(words)


def decode_bytes(raw: bytes, source: str = "<bytes>") -> DecodedText:
    """Decode raw bytes to clean NFC text, detecting the encoding.

    Raises:
        InputError: empty, binary or undecodable input (message starts with ``source``).
    """
    digest = hashlib.sha256(raw).hexdigest()
    if not raw.strip():
        raise InputError(f"{source}: file is empty")
    text: str | None = None
    encoding = ""
    for bom, enc in (
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if raw.startswith(bom):
            encoding = enc
            break
    if not encoding:
        encoding = _looks_utf16(raw) or ""
    if encoding:
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError as err:
            raise InputError(f"{source}: not valid {encoding} at byte {err.start}") from err
    else:
        if b"\x00" in raw:
            raise InputError(f"{source}: binary file (contains NUL bytes), expected text")
        try:
            text, encoding = raw.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            text, encoding = _decode_legacy(raw, source)
    cleaned = clean_text(text)
    if not cleaned.strip():
        raise InputError(f"{source}: file has no text")
    return DecodedText(cleaned, encoding, digest)


def _decode_legacy(raw: bytes, source: str) -> tuple[str, str]:
    controls = sum(1 for b in raw if b < 9 or 13 < b < 32)
    if controls / len(raw) > 0.01:
        raise InputError(f"{source}: binary file (control bytes), expected text")
    best: tuple[float, int, str, str] | None = None
    for rank, enc in enumerate(LEGACY_ENCODINGS):
        try:
            cand = raw.decode(enc)
        except UnicodeDecodeError:
            continue
        score = _implausibility(unicodedata.normalize("NFC", cand))
        if best is None or (score, rank) < (best[0], best[1]):
            best = (score, rank, cand, enc)
    if best is None or best[0] > 0.5:
        raise InputError(
            f"{source}: cannot decode: not UTF-8, UTF-16 or a known legacy encoding "
            f"({', '.join(LEGACY_ENCODINGS)})"
        )
    return best[2], best[3]


def line_encoding(head: bytes, source: str = "<bytes>") -> str:
    """The encoding of a file read line by line (line-parallel corpora), from its first bytes.

    ``"utf-8"`` unless the head is not UTF-8 yet is plausible text in a legacy 8-bit encoding
    (cp1251, KOI8-R, Windows-1258, cp1252), which is then returned; a UTF-8 file with a few bad
    bytes stays UTF-8, so that only its broken lines fail. Every encoding returned keeps
    ``\n`` as the byte 0x0a, so lines can be split before decoding.

    Raises:
        InputError: UTF-16 or UTF-32 text (``\n`` is not one byte there).
    """
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE,
                        codecs.BOM_UTF16_BE)) or _looks_utf16(head):  # fmt: skip
        raise InputError(
            f"{source}: UTF-16 or UTF-32 text; line-parallel files must be UTF-8 or an 8-bit "
            "encoding (convert it, e.g. iconv -f UTF-16 -t UTF-8)"
        )
    cut = head.rfind(b"\n")
    head = head[: cut + 1] if cut > 0 else head  # no character split at the end
    high = sum(1 for b in head if b >= 0x80)
    bad = head.decode("utf-8", errors="replace").count("\ufffd")
    if high == 0 or bad <= high // 2:
        return "utf-8"
    try:
        return _decode_legacy(head, source)[1]
    except InputError:
        return "utf-8"  # not legacy text either: its lines fail one by one as not UTF-8


def clean_text(text: str) -> str:
    """NFC, ``\\n`` line ends, invisible and control characters removed, tabs to spaces."""
    text = _LINE_SEP.sub("\n", text)
    text = text.translate(_INVISIBLE).replace("\t", " ")
    text = _CONTROL.sub("", text)
    return unicodedata.normalize("NFC", text)


def read_text(path: str | Path) -> DecodedText:
    """Read and decode a text file.

    Raises:
        InputError: missing, unreadable, too large, empty, binary or undecodable file.
    """
    p = Path(path)
    try:
        size = p.stat().st_size
        if p.is_dir():
            raise InputError(f"{p}: is a folder, expected a text file")
        if size > MAX_FILE_BYTES:
            raise InputError(f"{p}: file too large ({size} bytes; limit {MAX_FILE_BYTES})")
        raw = p.read_bytes()
    except FileNotFoundError as err:
        raise InputError(f"{p}: no such file") from err
    except PermissionError as err:
        raise InputError(f"{p}: permission denied") from err
    except OSError as err:
        raise InputError(f"{p}: cannot read ({err.strerror or err})") from err
    return decode_bytes(raw, str(p))
