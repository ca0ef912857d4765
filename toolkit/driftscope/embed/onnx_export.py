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
quarters of int8's speed-up; keeping all twelve fp32 gained nothing more.

Each graph keeps its weights in a file of their own beside it (ONNX external data,
``model.onnx.data``; storage :data:`STORAGE`), which ONNX Runtime maps into memory instead of
parsing them out of one protobuf: a session of the fp32 graph starts in about 0.1 s instead of
0.7-1.6 s (most of its 470 MB is the 250k-word embedding table, of which a run reads a few
rows). The graphs are the same, so this changes no vector and no cache key; an export of the
older single-file storage is rewritten in place without exporting again. Files are written
to a temporary folder and renamed (the weights before the graph that names them), so
concurrent processes never read half a file.
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
#: How the weights are stored: 1 inside the graph file, 2 in ``<graph>.data`` beside it.
STORAGE = 2
SUBDIR = "onnx"
MARKER = "driftscope-onnx.json"


def onnx_path(folder: Path, variant: str) -> Path:
    """Where ``variant`` (``"onnx"`` or ``"onnx-int8"``) of ``folder`` lives."""
    return folder / SUBDIR / FILES[variant]


def data_path(folder: Path, variant: str) -> Path:
    """The weights file of ``variant`` (external data, storage 2)."""
    return _data_of(onnx_path(folder, variant))


def is_exported(folder: Path) -> bool:
    """True when both variants exist, were written by these :data:`FORMATS` and are stored
    as :data:`STORAGE` says."""
    return all(_current(folder, v) and _stored(folder, v) for v in FILES)


def _marker(folder: Path) -> dict[str, Any]:
    try:
        info = json.loads((folder / SUBDIR / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return info if isinstance(info, dict) else {}


def _current(folder: Path, variant: str) -> bool:
    """True when ``variant``'s graph is of the current format (whatever its storage)."""
    info = _marker(folder)
    if info.get("layers") != list(OUTPUT_LAYERS):
        return False
    formats = info.get("formats", {"onnx": info.get("format")})  # format 1 markers: fp32 only
    return formats.get(variant) == FORMATS[variant] and onnx_path(folder, variant).is_file()


def _stored(folder: Path, variant: str) -> bool:
    """True when ``variant``'s weights are in their own file (storage :data:`STORAGE`)."""
    return _marker(folder).get("storage", 1) == STORAGE and data_path(folder, variant).is_file()


def ensure_onnx(folder: Path) -> Path:
    """Export ``folder``'s BertModel to ONNX (fp32 and int8) unless already done.

    A current fp32 export is kept when only the int8 variant is stale (it is re-quantized),
    and a current graph in the old single-file storage is only rewritten (:data:`STORAGE`).

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
        if all(_current(folder, v) for v in FILES):  # old storage, same graphs: still usable
            log.info("ONNX export in %s kept in its single-file storage (%s)", out, err)
            return out
        raise EncoderUnavailableError(f"cannot write the ONNX export into {out}: {err}") from err
    try:
        graphs: dict[str, Path] = {}  # variant -> its current graph, wherever it is
        fp32_current = _current(folder, "onnx")
        if fp32_current:
            graphs["onnx"] = onnx_path(folder, "onnx")
        else:
            graphs["onnx"] = tmp / "fp32-single.onnx"
            _export(folder, graphs["onnx"])
        if fp32_current and _current(folder, "onnx-int8"):
            graphs["onnx-int8"] = onnx_path(folder, "onnx-int8")
        else:
            graphs["onnx-int8"] = tmp / "int8-single.onnx"
            _quantize(graphs["onnx"], graphs["onnx-int8"])
        fresh = _fresh(folder, graphs)
        for variant in fresh:
            _externalize(graphs[variant], tmp / FILES[variant])
        for variant in fresh:
            # the weights first: a graph is never visible before the file it names
            os.replace(_data_of(tmp / FILES[variant]), data_path(folder, variant))
            os.replace(tmp / FILES[variant], onnx_path(folder, variant))
        marker = {
            "formats": FORMATS,
            "layers": list(OUTPUT_LAYERS),
            "opset": OPSET,
            "storage": STORAGE,
        }
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


def _fresh(folder: Path, graphs: dict[str, Path]) -> list[str]:
    """Variants to (re)write: a new graph, or a current one in the old storage."""
    return [v for v, g in graphs.items() if g != onnx_path(folder, v) or not _stored(folder, v)]


def _data_of(graph: Path) -> Path:
    return graph.with_name(graph.name + ".data")


def _externalize(src: Path, dst: Path) -> None:
    """Write ``src`` (any storage) to ``dst`` with its weights in ``dst.name + ".data"``."""
    import onnx

    model = onnx.load(str(src))  # external data, if any, is read in
    data = _data_of(dst)
    with contextlib.suppress(FileNotFoundError):
        data.unlink()  # onnx appends to an existing weights file
    onnx.save_model(
        model,
        str(dst),
        save_as_external_data=True,
        all_tensors_to_one_file=True,
        location=data.name,
        size_threshold=1024,
    )
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(data, 0o666 & ~umask)  # onnx creates it 0600; readable like the graph beside it


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
