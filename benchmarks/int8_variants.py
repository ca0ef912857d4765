"""Which parts of e5 the int8 variant quantises, and what each choice costs (issue 13).

    .venv/bin/python benchmarks/int8_variants.py [--variants shipped,emb_fp32,...]

Each variant is ``onnxruntime.quantization.quantize_dynamic`` (per-channel int8 weights) of the
shipped fp32 graph, with some MatMuls left in fp32; ``shipped`` is the int8 graph the package
builds (format 2: the word-embedding table is quantised too, the feed-forward
down-projections of the first six layers stay fp32). For each, in one run: sentences per
second against onnx fp32 on the first 300 Russian and English NTREX dev lines (best of three,
cache off), cosine to fp32 on those lines, and strict F1 of ``align`` on every alignment dev set
(``backend_accuracy.align_sets``; the embedding cache keeps each variant apart by revision).
The variants are written under a temporary folder and never replace the shipped files.
Writes benchmarks/results/int8_variants.json.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
OUT = ROOT / "benchmarks" / "results" / "int8_variants.json"


def _layer(name: str) -> int:
    m = re.search(r"layer\.(\d+)/", name)
    return int(m.group(1)) if m else -1


def _ffn_down(name: str) -> bool:
    return "/output/dense/" in name and "attention" not in name


#: variant -> MatMul names left in fp32 (None: the shipped graph); all but ``shipped`` also
#: keep the embedding table (Gather) in fp32
VARIANTS: dict[str, Callable[[str], bool] | None] = {
    "shipped": None,
    "emb_fp32": lambda n: _ffn_down(n) and _layer(n) < 6,
    "emb_fp32_all_down_fp32": _ffn_down,
    "emb_fp32_attention_fp32": lambda n: (_ffn_down(n) and _layer(n) < 6) or "attention" in n,
}


def build(name: str, folder: Path, tmp: Path) -> Path:
    """The graph of ``name`` (tokenizer.json linked beside, where the runner looks for it)."""
    from driftscope.embed.onnx_export import onnx_path

    keep = VARIANTS[name]
    if keep is None:
        return onnx_path(folder, "onnx-int8")
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    src = onnx_path(folder, "onnx")
    names = [n.name for n in onnx.load(str(src), load_external_data=False).graph.node
             if n.op_type == "MatMul"]  # fmt: skip
    out = tmp / name / "onnx" / "model.onnx"
    out.parent.mkdir(parents=True)
    (tmp / name / "tokenizer.json").symlink_to(folder / "tokenizer.json")
    quantize_dynamic(str(src), str(out), weight_type=QuantType.QInt8, per_channel=True,
                     nodes_to_exclude=[n for n in names if keep(n)],
                     op_types_to_quantize=["MatMul"], use_external_data_format=True)  # fmt: skip
    return out


def encoder(name: str, graph: Path, k: int, with_cache: bool) -> Any:
    """An onnx-int8 E5Encoder on ``graph``, with a revision of its own (cache keys)."""
    import driftscope.embed.e5 as e5
    from driftscope.embed import EmbeddingCache, build_e5
    from driftscope.embed.onnx_export import FORMATS, onnx_path

    folder = build_e5.ensure_model()
    e5.ensure_onnx(folder)  # the shipped exports, before FORMATS changes below
    e5.ensure_onnx = lambda folder: None  # so that a changed FORMATS never re-exports them
    e5.onnx_path = lambda f, b: graph if b == "onnx-int8" else onnx_path(f, b)
    if name != "shipped":
        FORMATS["onnx-int8"] = 100 + k  # a revision no shipped format uses
    cache = EmbeddingCache() if with_cache else None
    return e5.E5Encoder(folder, cache=cache, backend="onnx-int8")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--variants", default=",".join(VARIANTS))
    args = ap.parse_args()
    import speed
    from backend_accuracy import align_sets
    from driftscope.align import AlignConfig, align
    from driftscope.embed import build_e5, get_encoder
    from driftscope.embed.onnx_export import FORMATS
    from driftscope.embed.threads import single_thread_blas
    from driftscope.evaluate import score_alignments

    ru, en = speed.ntrex_lines(300)
    texts = ru + en
    folder = build_e5.ensure_model()
    fp32 = get_encoder(backend="onnx", cache=False)
    ref = fp32.encode(texts)
    shipped_format = FORMATS["onnx-int8"]
    res: dict[str, object] = {"lines": len(texts), "variants": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for k, name in enumerate(args.variants.split(",")):
            FORMATS["onnx-int8"] = shipped_format
            graph = build(name, folder, Path(tmp))
            enc = encoder(name, graph, k, with_cache=False)
            enc.encode(texts[:8])
            t_fp = t_q = float("inf")
            for _ in range(3):
                t0 = time.perf_counter()
                fp32.encode(texts)
                t_fp = min(t_fp, time.perf_counter() - t0)
                t0 = time.perf_counter()
                vecs = enc.encode(texts)
                t_q = min(t_q, time.perf_counter() - t0)
            cos = (vecs * ref).sum(axis=1)
            enc = encoder(name, graph, k, with_cache=True)  # alignment: cached by revision
            with single_thread_blas():
                f1 = {}
                for set_name, docs in align_sets().items():
                    pairs = [(g, align(s, t, enc, AlignConfig()).beads) for _, s, t, g in docs]
                    f1[set_name] = round(score_alignments(pairs).strict_f1, 4)
            row = {"revision": enc.revision, "speed_vs_onnx_fp32": round(t_fp / t_q, 3),
                   "cosine_mean": round(float(cos.mean()), 4),
                   "cosine_min": round(float(cos.min()), 4), "strict_f1": f1}  # fmt: skip
            res["variants"][name] = row  # type: ignore[index]
            print(name, json.dumps(row), flush=True)
            OUT.write_text(json.dumps(res, indent=1) + "\n")
    backends = ROOT / "benchmarks" / "results" / "backends.json"
    if backends.exists():
        base = json.loads(backends.read_text())["backends"]["onnx"]["align"]
        for row in res["variants"].values():  # type: ignore[attr-defined]
            row["delta_vs_fp32"] = {k: round(v - base[k]["strict_f1"], 4)
                                    for k, v in row["strict_f1"].items()}  # fmt: skip
            row["within_0.005"] = all(d >= -0.005 for d in row["delta_vs_fp32"].values())
    OUT.write_text(json.dumps(res, indent=1) + "\n")


if __name__ == "__main__":
    main()
