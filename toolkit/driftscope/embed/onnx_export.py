"""ONNX exports of the offline e5 folder: fp32 and dynamic-int8, built once into the folder.

Layer: embed. Imports stdlib and ``driftscope.errors`` at module level; torch, transformers and
onnxruntime only inside functions.

The graph takes ``input_ids`` and ``attention_mask`` ((b, s) int64) and returns the hidden
states the encoder needs, each (b, s, hidden) float32: :data:`OUTPUT_LAYERS` (the last one is
mean-pooled into the sentence vector, the others are mixed by the token checks). The int8
variant is ``onnxruntime.quantization.quantize_dynamic`` of the fp32 graph with per-channel
int8 weights: on 128 NTREX lines per-channel raised the mean cosine to fp32 from 0.988 (per
tensor) to 0.997 at the same speed. Files are written to a temporary name and renamed, so
concurrent processes never read half a file.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from driftscope.errors import EncoderUnavailableError

log = logging.getLogger(__name__)

#: Hidden layers the graph returns (0 = embeddings, 12 = last layer of e5-small); the token
#: checks mix 4 and 10 (``driftscope.quality.tokens.LAYERS``), QE uses 12.
OUTPUT_LAYERS = (4, 10, 12)
#: Bump when the graph changes: part of the onnx backends' revision (cache keys).
ONNX_FORMAT = 1
OPSET = 17
FILES = {"onnx": "model.onnx", "onnx-int8": "model-int8.onnx"}
SUBDIR = "onnx"
MARKER = "driftscope-onnx.json"


def onnx_path(folder: Path, variant: str) -> Path:
    """Where ``variant`` (``"onnx"`` or ``"onnx-int8"``) of ``folder`` lives."""
    return folder / SUBDIR / FILES[variant]


def is_exported(folder: Path) -> bool:
    """True when both variants exist and were written by this :data:`ONNX_FORMAT`."""
    try:
        info = json.loads((folder / SUBDIR / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    ok = info.get("format") == ONNX_FORMAT and info.get("layers") == list(OUTPUT_LAYERS)
    return ok and all(onnx_path(folder, v).is_file() for v in FILES)


def ensure_onnx(folder: Path) -> Path:
    """Export ``folder``'s BertModel to ONNX (fp32 and int8) unless already done.

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
        fp32 = tmp / FILES["onnx"]
        _export(folder, fp32)
        _quantize(fp32, tmp / FILES["onnx-int8"])
        for variant, name in FILES.items():
            os.replace(tmp / name, onnx_path(folder, variant))
        marker = {"format": ONNX_FORMAT, "layers": list(OUTPUT_LAYERS), "opset": OPSET}
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
        quantize_dynamic(str(src), str(dst), weight_type=QuantType.QInt8, per_channel=True)
    finally:
        root.setLevel(level)


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
