"""The NTREX-128 dev data in ``../shared/data`` (CRLF, line-parallel en/ru/vi), for benchmarks."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NTREX = ROOT.parent / "shared" / "data" / "align" / "ntrex128-en-ru-vi-dev"
FILES = {
    "en": "newstest2019-src.eng.txt",
    "ru": "newstest2019-ref.rus.txt",
    "vi": "newstest2019-ref.vie.txt",
}


def path(lang: str) -> Path:
    """The file of one language."""
    return NTREX / FILES[lang]


def read(name: str) -> list[str]:
    """Lines of a file of the set (CRLF removed, no trailing empty line)."""
    text = (NTREX / name).read_bytes().decode("utf-8").replace("\r\n", "\n")
    return text.rstrip("\n").split("\n")


def lines(lang: str) -> list[str]:
    """Every line of one language, in order (1045 lines)."""
    return read(FILES[lang])


def doc_ids() -> list[str]:
    """The document id of each line."""
    return [ln.split("\t")[0] for ln in read("DOCUMENT_IDS.tsv")]
