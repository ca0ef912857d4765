"""ONNX exports of the offline e5 folder: fp32 and dynamic-int8, built once into the folder.

Layer: embed. Imports stdlib and ``driftscope.errors`` at module level; torch, transformers and
onnxruntime only inside functions.

The graph takes ``input_ids`` and ``attention_mask`` ((b, s) int64) and returns the hidden
states the encoder needs, each (b, s, hidden) float32: :data:`OUTPUT_LAYERS` (the last one is
mean-pooled into the sentence vector, the others are mixed by the token checks). The int8
variant is ``onnxruntime.quantization.quantize_dynamic`` of the fp32 graph with per-channel
int8 weights: on 128 NTREX lines per-channel raised the mean cosine to fp32 from 0.988 (per
tensor) to 0.997 at the same speed. The feed-forward down-projections of the first
:data:`FP32_DOWN_LAYERS` layers stay fp32 (format 2): their inputs (after GELU) carry the
outliers that per-tensor uint8 activations clip. On 600 ParIce dev lines that raised the
worst cosine to fp32 from 0.983 to 0.996 (mean 0.9967 -> 0.9987) and kept about three
quarters of int8's speed-up; keeping all twelve fp32 gained nothing more. Files are written
to a temporary name and renamed, so concurrent processes never read half a file.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import tempfile
import time
from pathlib import Path
from typing import Any

from driftscope.errors import EncoderUnavailableError

log = logging.getLogger(__name__)

#: Hidden layers the graph returns (0 = embeddings, 12 = last layer of e5-small); the token
#: checks mix 4 and 10 (``driftscope.quality.tokens.LAYERS``), QE uses 12.
OUTPUT_LAYERS = (4, 10, 12)
#: Bump a variant's number when its graph changes: part of its backend revision (cache keys).
FORMATS = {"onnx": 1, "onnx-int8": 2}
#: Layers (0-based) whose feed-forward down-projection the int8 variant leaves in fp32.
FP32_DOWN_LAYERS = 6
OPSET = 17
FILES = {"onnx": "model.onnx", "onnx-int8": "model-int8.onnx"}
SUBDIR = "onnx"
MARKER = "driftscope-onnx.json"


def onnx_path(folder: Path, variant: str) -> Path:
    """Where ``variant`` (``"onnx"`` or ``"onnx-int8"``) of ``folder`` lives."""
    return folder / SUBDIR / FILES[variant]


def is_exported(folder: Path) -> bool:
    """True when both variants exist and were written by these :data:`FORMATS`."""
    return all(_current(folder, v) for v in FILES)


def _current(folder: Path, variant: str) -> bool:
    try:
        info = json.loads((folder / SUBDIR / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(info, dict) or info.get("layers") != list(OUTPUT_LAYERS):
        return False
    formats = info.get("formats", {"onnx": info.get("format")})  # format 1 markers: fp32 only
    return formats.get(variant) == FORMATS[variant] and onnx_path(folder, variant).is_file()


def ensure_onnx(folder: Path) -> Path:
    """Export ``folder``'s BertModel to ONNX (fp32 and int8) unless already done.

    A current fp32 export is kept when only the int8 variant is stale (it is re-quantized).

    Args:
        folder: a verified sentence-transformers e5 folder (``build_e5.ensure_model()``).

    Returns:
        ``folder / "onnx"``.

    Raises:
        EncoderUnavailableError: torch or onnxruntime cannot be imported, or the folder is
            not writable.
    """
    out = folder / SUBDIR
    if is_exported(folder):
        return out
    t0 = time.perf_counter()
    try:
        out.mkdir(exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".export.", dir=out))
    except OSError as err:
        raise EncoderUnavailableError(f"cannot write the ONNX export into {out}: {err}") from err
    try:
        if _current(folder, "onnx"):
            fp32 = onnx_path(folder, "onnx")
            fresh = ["onnx-int8"]
        else:
            fp32 = tmp / FILES["onnx"]
            _export(folder, fp32)
            fresh = list(FILES)
        _quantize(fp32, tmp / FILES["onnx-int8"])
        for variant in fresh:
            os.replace(tmp / FILES[variant], onnx_path(folder, variant))
        marker = {"formats": FORMATS, "layers": list(OUTPUT_LAYERS), "opset": OPSET}
        (tmp / MARKER).write_text(json.dumps(marker), encoding="utf-8")
        os.replace(tmp / MARKER, out / MARKER)
    finally:
        for f in tmp.glob("*"):
            with contextlib.suppress(OSError):
                f.unlink()
        with contextlib.suppress(OSError):
            tmp.rmdir()
    log.info("exported %s to ONNX in %.1f s", folder.name, time.perf_counter() - t0)
    return out


def _export(folder: Path, dst: Path) -> None:
    """``torch.onnx.export`` of the folder's BertModel with dynamic batch and length."""
    try:
        import torch
        from transformers import AutoModel
    except ImportError as err:
        raise EncoderUnavailableError(f"the ONNX export needs torch: {err}") from err
    import transformers.utils.logging as tlog

    from driftscope.embed.build_e5 import hub_offline

    bars = tlog.is_progress_bar_enabled()
    tlog.disable_progress_bar()
    try:
        with hub_offline():
            bert = AutoModel.from_pretrained(str(folder), attn_implementation="eager").eval()
    finally:
        if bars:
            tlog.enable_progress_bar()
    wrapper = _HiddenStates(bert, OUTPUT_LAYERS)
    ids = torch.tensor([[0, 1563, 238, 8, 420, 2], [0, 1563, 2, 1, 1, 1]], dtype=torch.long)
    mask = (ids != 1).long()
    names = [f"h{k}" for k in OUTPUT_LAYERS]
    axes = {n: {0: "batch", 1: "seq"} for n in ["input_ids", "attention_mask", *names]}
    import warnings

    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer warnings about python control flow
        torch.onnx.export(
            wrapper,
            (ids, mask),
            str(dst),
            input_names=["input_ids", "attention_mask"],
            output_names=names,
            dynamic_axes=axes,
            opset_version=OPSET,
            dynamo=False,
        )


def _quantize(src: Path, dst: Path) -> None:
    try:
        from onnxruntime.quantization import QuantType, quantize_dynamic
    except ImportError as err:
        raise EncoderUnavailableError(f"the int8 export needs onnxruntime: {err}") from err
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # quantize_dynamic logs a pre-processing hint on the root
    try:
        import onnx

        graph = onnx.load(str(src), load_external_data=False).graph
        keep = [n.name for n in graph.node if _fp32_down(n.op_type, n.name)]
        quantize_dynamic(
            str(src),
            str(dst),
            weight_type=QuantType.QInt8,
            per_channel=True,
            nodes_to_exclude=keep,
        )
    finally:
        root.setLevel(level)


def _fp32_down(op: str, name: str) -> bool:
    """True for the MatMul of a feed-forward down-projection (``/bert/encoder/layer.K/output/
    dense/MatMul``, not the attention output) of a layer below :data:`FP32_DOWN_LAYERS`."""
    m = re.fullmatch(r"/bert/encoder/layer\.(\d+)/output/dense/MatMul", name)
    return op == "MatMul" and m is not None and int(m.group(1)) < FP32_DOWN_LAYERS


def _hidden_states_module() -> Any:
    import torch

    class HiddenStates(torch.nn.Module):  # type: ignore[misc]
        """BertModel -> the chosen hidden states (token_type_ids all zero, as the tokenizer)."""

        def __init__(self, bert: Any, layers: tuple[int, ...]) -> None:
            super().__init__()
            self.bert = bert
            self.layers = layers

        def forward(self, input_ids: Any, attention_mask: Any) -> tuple[Any, ...]:
            out = self.bert(
                input_ids=input_ids,
                attention_mask=attention_mask,
                token_type_ids=torch.zeros_like(input_ids),
                output_hidden_states=True,
            )
            return tuple(out.hidden_states[k] for k in self.layers)

    return HiddenStates


def _HiddenStates(bert: Any, layers: tuple[int, ...]) -> Any:  # noqa: N802 - a class factory
    return _hidden_states_module()(bert, layers)
