"""Accuracy of each e5 backend on every dev set, and the default it implies.

    .venv/bin/python benchmarks/backend_accuracy.py [--backends onnx-int8,onnx,torch]

For each backend (``driftscope.embed.e5.BACKENDS``), with the embedding cache on (each backend
has its own cache keys, so a rerun embeds nothing):

* alignment strict/lax F1 (vecalign semantics, ``driftscope.evaluate``) of ``align`` with the
  default ``AlignConfig`` on every set of ``align_bench.py`` (``_aligndata.all_sets``: Text+Berg
  de-fr dev, ParIce en-is dev, NTREX-128 heavy and light derivations in five directions);
* hallucination and omission AUROC (points, 0-100) of the shipped combiners
  (``quality.estimate.combined_estimates``) on the de-en hallucination dev half;
* Pearson of the shipped ``qe`` combiner (``combined_qe``) with ``z_mean`` on MLQE-PE ru-en dev.

The combiners are the shipped ones, fitted on torch vectors; nothing is refitted per backend.
The tolerance (issue 13): a backend may cost at most 0.005 strict F1 on any alignment set,
0.5 AUROC points and 0.01 Pearson against the reference (torch when measured, else onnx fp32,
whose vectors equal torch's within 1e-7). Results are merged into
benchmarks/results/backends.json with the choice (the fastest backend within the tolerance;
speed from benchmarks/results/speed.json when present, else the order int8 > fp32 > torch).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / ".." / "shared" / "data"
sys.path.insert(0, str(ROOT / "benchmarks"))

import _aligndata as data  # noqa: E402
import quality_fit as qf  # noqa: E402

qf.DATA = DATA
qf.HAL = DATA / "quality" / "hallucinations-de-en-dev" / "corpus_w_annotations.dev.csv"
OUT = ROOT / "benchmarks" / "results" / "backends.json"
TOL = {"strict_f1": 0.005, "auroc": 0.5, "pearson": 0.01}
SPEED_ORDER = ("onnx-int8", "onnx", "torch")  # fallback when speed.json is missing


def align_sets() -> dict[str, list]:
    """Every alignment dev set of ``align_bench.py`` (Text+Berg, ParIce, NTREX heavy and
    light derivations in five directions), the same derivations and seeds."""
    return data.all_sets(["textberg", "parice", "ntrex-heavy", "ntrex-light"])


def alignment(enc: object) -> dict[str, dict[str, float]]:
    from driftscope.align import AlignConfig, align
    from driftscope.evaluate import score_alignments

    cfg, out = AlignConfig(), {}
    for name, docs in align_sets().items():
        pairs = [(gold, align(s, t, enc, cfg).beads) for _, s, t, gold in docs]
        sc = score_alignments(pairs)
        out[name] = {"strict_f1": round(sc.strict_f1, 4), "lax_f1": round(sc.lax_f1, 4)}
        print(name, out[name], flush=True)
    return out


def quality(enc: object) -> dict[str, float]:
    from driftscope.quality.estimate import combined_estimates, combined_qe
    from sklearn.metrics import roc_auc_score

    rows = qf.read_hal()
    est = combined_estimates([r["src"] for r in rows], [r["mt"] for r in rows], enc)
    ys = qf.hal_labels(rows)
    out = {
        "hallucination_auroc": round(100 * roc_auc_score(ys["any"], est["hallucination"]), 2),
        "omission_auroc": round(100 * roc_auc_score(ys["omission"], est["omission"]), 2),
    }
    dev = qf.read_mlqe("dev")
    qe = combined_qe([r["original"] for r in dev], [r["translation"] for r in dev], enc)
    z = np.array([float(r["z_mean"]) for r in dev])
    out["mlqe_ru_en_dev_pearson"] = round(float(np.corrcoef(qe, z)[0, 1]), 4)
    print(out, flush=True)
    return out


def choose(res: dict[str, dict]) -> dict[str, object]:
    """Deltas to the reference and the fastest backend within the tolerance."""
    ref = "torch" if "torch" in res else "onnx"
    base = res[ref]
    speed_path = ROOT / "benchmarks" / "results" / "speed.json"
    order = list(SPEED_ORDER)
    if speed_path.exists():
        sps = json.loads(speed_path.read_text())["sentences_per_second"]
        order = sorted((b for b in res if b in sps), key=lambda b: -sps[b])
    verdict: dict[str, object] = {"reference": ref, "tolerance": TOL, "deltas": {}}
    ok_backends = []
    for b in res:
        d = {k: round(v["strict_f1"] - base["align"][k]["strict_f1"], 4)
             for k, v in res[b]["align"].items()}  # fmt: skip
        for k in ("hallucination_auroc", "omission_auroc", "mlqe_ru_en_dev_pearson"):
            d[k] = round(res[b]["quality"][k] - base["quality"][k], 4)
        ok = (
            all(-d[k] <= TOL["strict_f1"] for k in res[b]["align"])
            and -d["hallucination_auroc"] <= TOL["auroc"]
            and -d["omission_auroc"] <= TOL["auroc"]
            and -d["mlqe_ru_en_dev_pearson"] <= TOL["pearson"]
        )
        verdict["deltas"][b] = {**d, "within_tolerance": ok}  # type: ignore[index]
        if ok:
            ok_backends.append(b)
    verdict["speed_order"] = order
    verdict["default"] = next((b for b in order if b in ok_backends), ref)
    return verdict


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--backends", default="onnx-int8,onnx,torch")
    args = ap.parse_args()
    from driftscope.embed import get_encoder
    from driftscope.embed.threads import single_thread_blas

    res = json.loads(OUT.read_text())["backends"] if OUT.exists() else {}
    for b in args.backends.split(","):
        enc = get_encoder(backend=b)
        t0 = time.perf_counter()
        with single_thread_blas():
            row = {"revision": enc.revision, "align": alignment(enc), "quality": quality(enc)}
        row["seconds"] = round(time.perf_counter() - t0, 1)
        res[b] = row
        OUT.parent.mkdir(parents=True, exist_ok=True)
        OUT.write_text(json.dumps({"backends": res}, indent=1) + "\n")
    out = {"backends": res}
    if "torch" in res or "onnx" in res:
        out["choice"] = choose(res)
    OUT.write_text(json.dumps(out, indent=1) + "\n")
    print(json.dumps(out.get("choice", {}), indent=1))


if __name__ == "__main__":
    main()
