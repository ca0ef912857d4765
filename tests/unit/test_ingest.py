from __future__ import annotations

import codecs
import unicodedata
from pathlib import Path

import pytest
from driftscope.errors import InputError
from driftscope.ingest import (
    clean_text,
    decode_bytes,
    detect_language,
    load_manifest,
    read_document,
    read_lines,
    split_document,
    with_segment_languages,
)
from driftscope.ingest.langid import _MEMORY

from tests.helpers import encode_cp1258, ntrex_lines

RU = "\n".join(ntrex_lines("ru", 12))
VI = "\n".join(ntrex_lines("vi", 12))
EN = "\n".join(ntrex_lines("en", 12))


@pytest.mark.parametrize(
    ("text", "encode", "expected"),
    [
        (RU, lambda t: t.encode("utf-8"), "utf-8"),
        (RU, lambda t: codecs.BOM_UTF8 + t.encode("utf-8"), "utf-8-sig"),
        (RU, lambda t: t.encode("utf-16"), "utf-16"),
        (RU, lambda t: t.encode("utf-16-le"), "utf-16-le"),
        (VI, lambda t: t.encode("utf-16-be"), "utf-16-be"),
        (RU, lambda t: t.encode("cp1251", errors="replace"), "cp1251"),
        (RU, lambda t: t.encode("koi8_r", errors="replace"), "koi8_r"),
        (VI, encode_cp1258, "cp1258"),
        (EN, lambda t: t.replace("\n", "\r\n").encode(), "utf-8"),
    ],
)
def test_decode_detects_encoding(text: str, encode, expected: str) -> None:
    raw = encode(text)
    got = decode_bytes(raw, "x")
    assert got.encoding == expected
    # lossy legacy encodings replace a few typographic characters with '?'
    want = raw.decode(expected) if expected in ("cp1251", "koi8_r") else text
    assert got.text == clean_text(want)


def test_nfd_vietnamese_becomes_nfc() -> None:
    nfd = unicodedata.normalize("NFD", VI)
    assert nfd != VI
    assert decode_bytes(nfd.encode(), "x").text == unicodedata.normalize("NFC", VI)


def test_clean_removes_invisible_and_controls_keeps_zwj() -> None:
    assert clean_text("a\u200bb\ufeffc\x07d\u00ade\r\nf\rg") == "abcde\nf\ng"
    assert clean_text("\u0646\u200c\u0645") == "\u0646\u200c\u0645"


@pytest.mark.parametrize(
    ("raw", "needle"),
    [
        (b"", "empty"),
        (b"  \n\t\n", "empty"),
        (b"\x00\x01\x02\x03ELF\x00\x00", "binary"),
        (bytes(range(0, 32)) * 40, "binary"),
        (b"\xef\xbb\xbf\xe2\x80\x8b\n", "no text"),
    ],
)
def test_bad_bytes_raise_one_line(raw: bytes, needle: str) -> None:
    with pytest.raises(InputError) as err:
        decode_bytes(raw, "in.txt")
    msg = str(err.value)
    assert needle in msg and msg.startswith("in.txt:") and "\n" not in msg


def test_missing_and_folder(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        read_lines(tmp_path / "nope.txt")
    with pytest.raises(InputError, match="folder"):
        read_lines(tmp_path)


def test_read_lines_keeps_blanks(tmp_path: Path) -> None:
    p = tmp_path / "a.txt"
    p.write_bytes(b"one\r\n\r\nthree\r\n")
    assert read_lines(p) == ["one", "", "three"]
    assert p.read_bytes() == b"one\r\n\r\nthree\r\n"  # input untouched


def test_langid_is_deterministic_and_cautious() -> None:
    texts = ntrex_lines("vi", 30)
    first = [detect_language(t) for t in texts]
    # a different order must not change any answer (fresh seeded detector per call)
    _MEMORY.clear()
    again = [detect_language(t) for t in reversed(texts)][::-1]
    assert first == again
    assert sum(lang == "vi" for lang, _ in first) >= 28
    assert detect_language("Lukashenko 2017") == ("", 0.0)


def test_numpy_trial_loop_gives_langdetects_exact_probabilities(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """replay._detect_block(s) replay langdetect's own loop: every probability bit-identical,
    on NTREX lines (ru, vi, en), cuts of them, and German and French sentences."""
    from driftscope.ingest import langid, replay
    from langdetect.lang_detect_exception import LangDetectException

    texts = [t for lg in ("ru", "vi", "en") for t in ntrex_lines(lg, 15)]
    texts += [t[:n] for t in texts[::3] for n in (15, 40)] + [
        "Die Regierung hat am Dienstag neue Regeln für den Handel beschlossen.",
        "Le gouvernement a adopté mardi de nouvelles règles pour le commerce.",
        "Москва, 2017 - Lukashenko",
        "2017 - 2018",
    ]
    from langdetect import detector_factory

    factory = langid._factory()  # the compiled profiles (replay.compiled_factory)
    detector_factory.init_factory()
    own = detector_factory._factory  # langdetect's own, for its own loop
    assert isinstance(next(iter(factory.word_lang_prob_map.values())), int)

    def probabilities(text: str, fast: bool) -> list[tuple[str, float]] | None:
        det = (factory if fast else own).create()  # type: ignore[attr-defined]
        det.append(text)
        try:
            if fast:
                replay._detect_block(det)
            return [(x.lang, x.prob) for x in det.get_probabilities()]
        except LangDetectException:
            return None

    for text in texts:
        assert probabilities(text, True) == probabilities(text, False), text
    # all of them side by side, in one lockstep and in several (a small row budget)
    expected = [probabilities(t, False) for t in texts]
    for budget in (replay.ROW_BUDGET, 300):
        monkeypatch.setattr(replay, "ROW_BUDGET", budget)
        dets = [factory.create() for _ in texts]  # type: ignore[attr-defined]
        for det, text in zip(dets, texts, strict=True):
            det.append(text)
        ok = replay._detect_blocks(dets)
        got = [
            [(x.lang, x.prob) for x in det.get_probabilities()] if good else None
            for det, good in zip(dets, ok, strict=True)
        ]
        assert got == expected


def test_compiled_profiles_are_langdetects_own_and_recompiled_when_stale(tmp_path: Path) -> None:
    import json

    import numpy as np
    from driftscope.ingest import replay
    from langdetect import detector_factory

    detector_factory.init_factory()
    own = detector_factory._factory
    folder = tmp_path / "profiles"
    first = replay.compiled_factory(folder)
    assert (folder / "table.npy").exists()
    again = replay.compiled_factory(folder)  # from the files this time
    for fac in (first, again):
        assert fac.langlist == own.langlist
        table = replay._profile_table(fac.word_lang_prob_map)
        grams = list(own.word_lang_prob_map)
        for gram in ["a", "ст", " th", *grams[:: len(grams) // 50]]:
            assert np.array_equal(table.rows([gram])[0], np.array(own.word_lang_prob_map[gram]))
    meta = json.loads((folder / "langs.json").read_text(encoding="utf-8"))
    meta["files"] = meta["files"][::-1]  # listed in another order: compiled again
    (folder / "langs.json").write_text(json.dumps(meta), encoding="utf-8")
    (folder / "grams.txt").write_text("truncated", encoding="utf-8")
    fresh = replay.compiled_factory(folder)
    assert len(fresh.word_lang_prob_map) == len(own.word_lang_prob_map)
    assert json.loads((folder / "langs.json").read_text(encoding="utf-8"))["files"] != meta["files"]


def test_split_document_spans_paragraphs() -> None:
    text = "Title line\n\nFirst sentence here. Second one follows!\nThird line.\n\n\nLast."
    segs = split_document(text, "en", presegmented=False)
    assert [s.text for s in segs] == [
        "Title line",
        "First sentence here.",
        "Second one follows!",
        "Third line.",
        "Last.",
    ]
    assert [s.paragraph for s in segs] == [0, 1, 1, 1, 2]
    for s in segs:
        assert text[s.start : s.end] == s.text
    pre = split_document(text, "en", presegmented=True)
    assert [s.text for s in pre][1] == "First sentence here. Second one follows!"


def test_read_document_detects_and_checks_language(tmp_path: Path) -> None:
    p = tmp_path / "ru.txt"
    p.write_text(RU, encoding="cp1251", errors="replace")
    doc = read_document(p)
    assert doc.lang == "ru" and doc.lang_source == "detected" and doc.encoding == "cp1251"
    assert len(doc.segments) >= 12
    with pytest.raises(InputError, match="language given as 'vi'"):
        read_document(p, "vi")
    assert read_document(p, "ru", presegmented=True).segments[0].text == RU.split("\n")[0]
    # reading first and detecting the segments' languages later gives the same document
    bare = read_document(p, detect_segments=False)
    assert {s.lang for s in bare.segments} == {""}
    assert with_segment_languages(bare) == doc


def test_huge_segment_refused(tmp_path: Path) -> None:
    p = tmp_path / "huge.txt"
    p.write_text(" ".join(EN.replace(".", " ").split("\n")) * 8)
    with pytest.raises(InputError, match=r"huge.txt:1: a segment of \d+ characters"):
        read_document(p, "en", presegmented=True)


def test_manifest_errors(tmp_path: Path) -> None:
    (tmp_path / "manifest.toml").write_text('[[versions]]\nid = "a"\nlang = "en"\nfile = "a"\n')
    with pytest.raises(InputError, match="at least two"):
        load_manifest(tmp_path)
    (tmp_path / "manifest.toml").write_text("this is = = not toml")
    with pytest.raises(InputError, match="not a valid TOML"):
        load_manifest(tmp_path)


def test_gold_problems_reader(tmp_path: Path) -> None:
    from driftscope.ingest import read_gold_problems

    p = tmp_path / "problems.tsv"
    p.write_text(
        "hop\tversion\tsegment\tkind\tspan\texplanation\n"
        "ru-vi\tvi\t2\tnumber_mismatch\t2018\tYear changed.\r\n"
        "vi-en\ten\t1\tbroken_segment\t-\tWhole segment.\n",
        encoding="utf-8",
    )
    rows = read_gold_problems(p)
    assert rows[0] == {
        "hop": "ru-vi",
        "version": "vi",
        "segment": 2,
        "kind": "number_mismatch",
        "span": "2018",
        "note": "Year changed.",
    }
    assert rows[1]["span"] == ""
    p.write_text("hop\tversion\tsegment\tkind\tspan\texplanation\nru-vi\tvi\tx\tk\t-\tn\n")
    with pytest.raises(InputError, match=r"problems.tsv:2:"):
        read_gold_problems(p)


def test_stated_language_contradicted_only_where_the_detector_is_trusted(caplog) -> None:
    """Measured in benchmarks/langid.py --trust: short texts and languages langdetect does not
    separate keep the stated language (a warning); long text of trusted languages is refused."""
    import logging

    from driftscope.ingest.document import TRUST_MIN_LETTERS, check_language
    from driftscope.ingest.langid import count_letters

    short = "Привет, мир.\nКак дела?"
    with caplog.at_level(logging.WARNING, logger="driftscope"):
        check_language(short, "ru", "s.ru")  # langdetect says 'mk' here: not trusted
    assert count_letters(short) < TRUST_MIN_LETTERS
    vi = " ".join(ntrex_lines("vi", 6))
    assert count_letters(vi) >= TRUST_MIN_LETTERS
    with pytest.raises(InputError, match="given as 'ru'"):
        check_language(vi, "ru", "x.txt")
    # Icelandic is not among the trusted languages: a stated 'is' stands whatever is detected
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="driftscope"):
        check_language(vi, "is", "x.txt")
    assert any("keeping 'is'" in r.getMessage() for r in caplog.records)
