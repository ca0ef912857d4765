"""Which e5 prompt for the quality features: the default ``""`` against ``"query: "``.

    .venv/bin/python benchmarks/quality_prompt.py

Needs both cache folders (.cache/quality/e5-small/p-none from quality_embed.py, p-query from
the earlier ``query: `` embedding of the same sets). Same protocol for both: MLQE-PE ru-en, fit
on the seeded 2,500-row train sample (the only train rows embedded with both prompts), Pearson
with ``z_mean`` on dev; de-en hallucinations, single features, no fit. Writes
benchmarks/results/quality_prompt.json.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import quality_fit as qf  # noqa: E402


def load(folder: Path, name: str) -> dict:
    z = np.load(folder / f"{name}.e5.npz")
    tok, offs = z["tok"], z["offs"]
    toks = [tok[offs[i] : offs[i + 1]].astype(np.float32) for i in range(len(offs) - 1)]
    toks = [t / np.maximum(np.linalg.norm(t, axis=1, keepdims=True), 1e-9) for t in toks]
    return {"sent": z["sent"], "tok": toks, "use": np.load(qf.CACHE / f"{name}.use.npz")["sent"]}


def main() -> None:
    from driftscope.quality.combine import FEATURES
    from sklearn.linear_model import RidgeCV
    from sklearn.metrics import roc_auc_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    tr, dev = qf.read_mlqe("train", qf.N_TRAIN), qf.read_mlqe("dev")
    ytr = np.array([float(r["z_mean"]) for r in tr])
    ydv = np.array([float(r["z_mean"]) for r in dev])
    hal = qf.read_hal()
    src, mt = [r["src"] for r in hal], [r["mt"] for r in hal]
    ys = qf.hal_labels(hal)
    out: dict[str, object] = {}
    for tag, prompt in (("p-none", ""), ("p-query", "query: ")):
        d = qf.CACHE / "e5-small" / tag
        a, b = load(d, "mq_tr_src"), load(d, "mq_tr_mt")
        c, e = load(d, "mq_dev_src"), load(d, "mq_dev_mt")
        Xt = qf.features([r["original"] for r in tr], [r["translation"] for r in tr], a, b)
        Xd = qf.features([r["original"] for r in dev], [r["translation"] for r in dev], c, e)
        Et, Ed = qf.blocks(a, b), qf.blocks(c, e)
        res: dict[str, object] = {"prompt": prompt}
        res["mlqe_pearson_e5_z"] = float(np.corrcoef(Xd[:, 0], ydv)[0, 1])
        for name, xt, xd in (
            ("scalar", Xt, Xd),
            (
                "scalar+u*v",
                np.hstack([Xt, Et["e5"], Et["use"]]),
                np.hstack([Xd, Ed["e5"], Ed["use"]]),
            ),
        ):
            m = make_pipeline(StandardScaler(), RidgeCV(alphas=np.logspace(-1, 5, 13)))
            m.fit(xt, ytr)
            res[f"mlqe_pearson_ridge_{name}"] = float(np.corrcoef(m.predict(xd), ydv)[0, 1])
        X = qf.features(src, mt, load(d, "hal_src"), load(d, "hal_mt"))
        res["hal_auroc_no_fit"] = {
            f: {k: float(100 * roc_auc_score(y, -X[:, FEATURES.index(f)])) for k, y in ys.items()}
            for f in ("e5_z", "e5_m", "cov_s_z")
        }
        out[tag] = res
    dst = qf.ROOT / "benchmarks" / "results" / "quality_prompt.json"
    dst.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
