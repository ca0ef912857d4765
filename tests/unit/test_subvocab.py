"""Cut vocabularies (driftscope.embed.subvocab) tokenize exactly like the folder's tokenizer.json.

The real e5 folder's tokenizer, copied into a temporary folder so that the derived files are
written there; dev texts of every language in ../shared and hand-made edge cases.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from driftscope.embed import build_e5
from driftscope.embed.subvocab import SUBDIR, SubvocabTokenizer

from tests.helpers import NTREX, SHARED

ALIGN = SHARED / "data" / "align"
EDGE = [
    "",
    " ",
    "   two  spaces   inside  ",
    "\ttab\tinside\n and a newline",
    "Ω≈ç√∫ ﬁ ＡＢＣ full-width and ligatures",
    "e\u0301 combining acute, NFD: Vie\u0323\u0302t Nam",
    "zero\u200bwidth\u00a0no-break",
    "\u2581 a literal metaspace \u2581\u2581 twice",
    "😀 emoji 🤖 and 𠜎𠜱 rare CJK, ℌ𝔢𝔩𝔩𝔬",
    "中文句子，没有空格。日本語の文も。",
    "word " * 700,  # past 512 tokens: truncated alike
]


def _lines(path: Path, n: int) -> list[str]:
    return path.read_text(encoding="utf-8-sig").splitlines()[:n]


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("tok")
    shutil.copy(build_e5.ensure_model() / "tokenizer.json", out / "tokenizer.json")
    return out


def _same(tok: SubvocabTokenizer, texts: list[str]) -> None:
    got = tok.tokenize(texts)
    want = tok.full.encode_batch(texts)
    for text, g, w in zip(texts, got, want, strict=True):
        assert (g.ids, g.offsets) == (list(w.ids), list(w.offsets)), text[:60]


def test_cut_vocabularies_give_the_full_tokenizers_ids_and_offsets(folder: Path) -> None:
    tok = SubvocabTokenizer(folder, 512)
    assert (folder / SUBDIR / "pieces.txt").exists()
    texts = []
    for lang in ("src.eng", "ref.rus", "ref.vie"):
        texts += _lines(NTREX / f"newstest2019-{lang}.txt", 150)
    texts += _lines(ALIGN / "textberg-de-fr-dev" / "dev.de", 100)
    texts += _lines(ALIGN / "textberg-de-fr-dev" / "dev.fr", 100)
    for side in ("en", "is"):
        texts += _lines(sorted((ALIGN / "parice-en-is-dev" / side).iterdir())[0], 100)
    _same(tok, texts[: len(texts) // 2])
    first = len(tok._kept)
    assert 0 < first < len(tok.pieces) // 10  # a cut, not the whole vocabulary
    _same(tok, texts[len(texts) // 2 :] + EDGE)  # new pieces: the cut grows
    assert len(tok._kept) > first
    _same(tok, [" ".join(texts[:3])])  # a window of known words reuses the cut
    _same(tok, [])


def test_texts_with_added_tokens_take_the_full_tokenizer(folder: Path) -> None:
    tok = SubvocabTokenizer(folder, 512)
    texts = ["a <mask> b", "x<s>y</s>z", "plain text"]
    _same(tok, texts)
    assert tok._full is not None


def test_derived_files_follow_tokenizer_json(folder: Path, tmp_path: Path) -> None:
    other = tmp_path / "m"
    other.mkdir()
    shutil.copy(folder / "tokenizer.json", other / "tokenizer.json")
    SubvocabTokenizer(other, 512)
    data = json.loads((other / "tokenizer.json").read_text(encoding="utf-8"))
    data["model"]["vocab"][10][1] = -0.5  # a changed score: the files are derived again
    (other / "tokenizer.json").write_text(json.dumps(data), encoding="utf-8")
    tok = SubvocabTokenizer(other, 512)
    assert tok.scores[10] == "-0.5"
    _same(tok, ["a changed score, the same tokens as the full tokenizer"])
    data["model"]["type"] = "BPE"  # not a Unigram tokenizer: no cut, the full one
    (other / "tokenizer.json").write_text(json.dumps(data), encoding="utf-8")
    shutil.rmtree(other / SUBDIR)
    assert SubvocabTokenizer(other, 512)._where is None
