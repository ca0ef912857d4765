"""The networks behind :class:`~driftscope.embed.e5.E5Encoder`: tokenizer, torch and ONNX Runtime.

Layer: embed. numpy and stdlib at module level; tokenizers, torch and onnxruntime inside the
constructors. A runner takes padded ``ids`` and ``mask`` (b, s) int64 and returns one (b, s, h)
float32 hidden-state array per layer of :data:`TOKEN_LAYERS`, the last layer last.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import numpy as np

from driftscope.embed.onnx_export import OUTPUT_LAYERS
from driftscope.embed.subvocab import Encoded, SubvocabTokenizer
from driftscope.errors import EncoderUnavailableError

TOKEN_LAYERS = OUTPUT_LAYERS
MAX_TOKENS = 512


class FolderTokenizer:
    """The folder's ``tokenizer.json`` through ``tokenizers`` (no transformers), truncated to
    :data:`MAX_TOKENS` like the sentence-transformers model; ids and offsets as its fast
    tokenizer gives them, from vocabularies cut to each call's texts
    (:mod:`driftscope.embed.subvocab`: the same tokens, without the 0.9 s load)."""

    def __init__(self, folder: Path) -> None:
        self.tok = SubvocabTokenizer(folder, MAX_TOKENS)

    def tokenize(self, texts: list[str]) -> list[Encoded]:
        return self.tok.tokenize(texts)


class TorchRunner(FolderTokenizer):
    def __init__(self, folder: Path, st_model: Any, device: str) -> None:
        super().__init__(folder)
        self.bert = st_model[0].auto_model
        self.device = device
        if device != "cpu":
            self.bert.to(device)

    def __call__(self, ids: np.ndarray, mask: np.ndarray) -> list[np.ndarray]:
        import torch

        with torch.inference_mode():
            t_ids = torch.from_numpy(ids).to(self.device)
            t_mask = torch.from_numpy(mask).to(self.device)
            hs = self.bert(
                input_ids=t_ids, attention_mask=t_mask, output_hidden_states=True
            ).hidden_states
            return [hs[k].float().cpu().numpy() for k in TOKEN_LAYERS]


class OnnxRunner(FolderTokenizer):
    def __init__(self, path: str, device: str, threads: int) -> None:
        super().__init__(Path(path).parent.parent)
        try:
            import onnxruntime as ort
        except ImportError as err:
            raise EncoderUnavailableError(f"the onnx backends need onnxruntime: {err}") from err
        providers = ["CPUExecutionProvider"]
        if device == "cuda":
            providers.insert(0, "CUDAExecutionProvider")
        opts = ort.SessionOptions()
        opts.log_severity_level = 3
        if threads:  # a worker among several: its share of the cores, no spinning
            opts.intra_op_num_threads = threads
            opts.inter_op_num_threads = 1
            opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            self.session = ort.InferenceSession(path, opts, providers=providers)
        except Exception as err:  # onnxruntime raises its own (non-exported) exception types
            raise EncoderUnavailableError(f"cannot load {path}: {err}") from err

    def __call__(self, ids: np.ndarray, mask: np.ndarray) -> list[np.ndarray]:
        out = self.session.run(None, {"input_ids": ids, "attention_mask": mask})
        return [np.asarray(h, dtype=np.float32) for h in out]


@functools.lru_cache(maxsize=4)
def onnx_runner(path: str, device: str, threads: int) -> OnnxRunner:
    """One ONNX Runtime session per (file, device, thread setting) per process."""
    return OnnxRunner(path, device, threads)
