"""The folder's Unigram tokenizer, exactly, built for each call from the pieces its texts can use.

Layer: embed. Imports numpy and stdlib at module level; ``tokenizers`` inside functions.

Loading ``tokenizer.json`` (250,002 Unigram pieces) takes about 0.9 s of one core, and most of
it holds the GIL, so the load that :meth:`~driftscope.embed.e5.E5Encoder.prefetch` starts on a
thread slowed language detection on the main thread instead of overlapping it; every corpus
worker and Ray actor pays it again. Yet a text only ever meets a few thousand pieces.

Why a cut vocabulary gives the same tokens: the Unigram model tokenizes each pre-token (the
normalised text split before each ``▁``, Metaspace) with a lattice whose nodes are the pieces
that occur in it at each position, found in order of length, plus an ``<unk>`` node scored
from the vocabulary's lowest score where no one-character piece starts. A tokenizer with the
same normaliser, pre-tokeniser, post-processor and added tokens, whose vocabulary keeps every
piece occurring inside the texts' pre-tokens, the four specials at ids 0-3 and the
lowest-scored piece, builds the same lattices and so the same best paths and offsets; its ids
are mapped back to the folder's. Scores are copied as the digits ``tokenizer.json`` holds, so
they parse to the same floats. Texts holding an added token's content (``<mask>``) split
before normalisation and take the full tokenizer, loaded only then.
``tests/unit/test_subvocab.py`` compares ids and offsets with the full tokenizer on every dev
set's texts and on edge cases.

The pieces, scores and the rest of ``tokenizer.json`` are kept beside it, in
:data:`SUBDIR` (written once, atomically; an unwritable folder falls back to the full load).
"""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

SUBDIR = "subvocab"
FORMAT = 1
SPECIALS = 4  # <s> <pad> </s> <unk>: ids 0-3 in the folder's vocabulary and in every cut one
MAX_PIECE = 16  # longest piece, checked when the files are derived
_WORD = re.compile("(?=\u2581)")
_MEMO_WORDS = 200_000  # words whose piece ids are remembered, at most
_SLOT = "driftscope:vocab"  # where the shell's vocabulary goes


@dataclass(frozen=True, slots=True)
class Encoded:
    """One tokenized text: the folder's ``ids`` and their character ``offsets``."""

    ids: list[int]
    offsets: list[tuple[int, int]]


def _source_stamp(path: Path) -> dict[str, int]:
    st = path.stat()
    return {"format": FORMAT, "size": st.st_size, "mtime_ns": st.st_mtime_ns}


def derive(folder: Path) -> Path | None:
    """``folder/SUBDIR`` with the pieces, score digits and shell of ``tokenizer.json``, derived
    once; None when the tokenizer is not a plain Unigram one or the folder is not writable."""
    src = folder / "tokenizer.json"
    out = folder / SUBDIR
    try:
        stamp = _source_stamp(src)
        meta = json.loads((out / "source.json").read_text(encoding="utf-8"))
        if {k: meta.get(k) for k in stamp} == stamp:
            return out
    except (OSError, ValueError, AttributeError):
        pass
    try:
        data = json.loads(src.read_text(encoding="utf-8"), parse_float=str)
        model = data["model"]
        if model.get("type") != "Unigram" or model.get("byte_fallback") or model["unk_id"] != 3:
            return None
        vocab = model["vocab"]
        pieces = [p for p, _ in vocab]
        if any("\n" in p or len(p) > MAX_PIECE for p in pieces) or len(vocab) <= SPECIALS:
            return None
        data["model"] = {**model, "vocab": _SLOT}
        tmp = Path(tempfile.mkdtemp(prefix=".subvocab-", dir=folder))
        (tmp / "pieces.txt").write_text("\n".join(pieces), encoding="utf-8")
        (tmp / "scores.txt").write_text("\n".join(str(s) for _, s in vocab), encoding="utf-8")
        (tmp / "shell.json").write_text(json.dumps(data), encoding="utf-8")
        lowest = min(range(len(vocab)), key=lambda i: float(vocab[i][1]))
        meta = {**stamp, "lowest": lowest, "added": [t["content"] for t in data["added_tokens"]]}
        (tmp / "source.json").write_text(json.dumps(meta), encoding="utf-8")
        try:
            os.replace(tmp, out)  # an empty or stale folder is replaced whole
        except OSError:
            import shutil

            shutil.rmtree(out, ignore_errors=True)
            os.replace(tmp, out)
        return out
    except (OSError, KeyError, TypeError, ValueError) as err:
        log.debug("no cut vocabularies for %s (%s): the full tokenizer loads", folder, err)
        return None


class SubvocabTokenizer:
    """Tokenize like ``folder/tokenizer.json`` (truncated to ``max_tokens``, no padding) with a
    vocabulary cut to each call's texts (module docstring)."""

    def __init__(self, folder: Path, max_tokens: int) -> None:
        self.folder = folder
        self.max_tokens = max_tokens
        self._full: Any = None
        where = derive(folder)
        self._where = where
        if where is None:
            return
        self.pieces = (where / "pieces.txt").read_text(encoding="utf-8").split("\n")
        self.scores = (where / "scores.txt").read_text(encoding="utf-8").split("\n")
        self.shell = (where / "shell.json").read_text(encoding="utf-8")
        meta = json.loads((where / "source.json").read_text(encoding="utf-8"))
        self.index = {p: i for i, p in enumerate(self.pieces)}
        self.lowest, self.added = int(meta["lowest"]), list(meta["added"])
        self.normalizer = self._build([*range(SPECIALS), self.lowest]).normalizer
        self._memo: dict[str, tuple[int, ...]] = {}
        self._kept: set[int] = set()
        self._tok: Any = None
        self._ids = np.zeros(0, np.int64)

    def tokenize(self, texts: list[str]) -> list[Encoded]:
        if not texts:
            return []
        if self._where is None or any(a in t for t in texts for a in self.added):
            return [Encoded(list(e.ids), list(e.offsets)) for e in self.full.encode_batch(texts)]
        need: set[int] = set()
        for text in texts:
            s = "\u2581" + self.normalizer.normalize_str(text).replace(" ", "\u2581")
            for word in _WORD.split(s):
                ids = self._memo.get(word)
                if ids is None:
                    ids = self._memo[word] = self._pieces_in(word)
                need.update(ids)
        if len(self._memo) > _MEMO_WORDS:
            self._memo.clear()
        if self._tok is None or not need <= self._kept:
            self._kept |= need
            keep = sorted(self._kept | set(range(SPECIALS)) | {self.lowest})
            self._tok = self._build(keep)
            self._ids = np.asarray(keep, np.int64)
        back = self._ids
        return [
            Encoded(back[e.ids].tolist() if e.ids else [], list(e.offsets))
            for e in self._tok.encode_batch(texts)
        ]

    def _pieces_in(self, word: str) -> tuple[int, ...]:
        """Ids of the pieces occurring anywhere in ``word``."""
        index, n, found = self.index, len(word), []
        for i in range(n):
            for j in range(i + 1, min(n, i + MAX_PIECE) + 1):
                k = index.get(word[i:j])
                if k is not None:
                    found.append(k)
        return tuple(found)

    def _build(self, keep: list[int]) -> Any:
        from tokenizers import Tokenizer

        rows = ",".join(f"[{json.dumps(self.pieces[i])},{self.scores[i]}]" for i in keep)
        text = self.shell.replace(json.dumps(_SLOT), f"[{rows}]", 1)
        return self._configured(Tokenizer.from_str(text))

    def _configured(self, tok: Any) -> Any:
        """``tok`` truncated to ``max_tokens``, without padding (as the model folder's)."""
        tok.no_padding()
        tok.enable_truncation(self.max_tokens)
        return tok

    @property
    def full(self) -> Any:
        """The whole ``tokenizer.json`` (loaded on first use)."""
        if self._full is None:
            from tokenizers import Tokenizer

            self._full = self._configured(Tokenizer.from_file(str(self.folder / "tokenizer.json")))
        return self._full
