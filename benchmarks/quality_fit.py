"""Fit the combiners shipped in toolkit/driftscope/data/combiners.json, and measure them.

    .venv/bin/python benchmarks/quality_fit.py [--write]

Data (read-only, ../shared/data from the repository root): the de-en hallucination dev half
and MLQE-PE ru-en.
* ``qe`` / ``qe:e5``: ridge regression of ``z_mean`` on the whole MLQE-PE ru-en *train* split
  (7,000 rows; ``--subset``: a seeded sample of 2,500), scalar features plus the embedding
  blocks ``u*v`` (with and without USE-m3); alpha by leave-one-out CV on train.
  Never fitted on dev.
* ``hallucination`` / ``omission`` (and ``:e5`` variants): logistic regression on the
  hallucination *dev* half, which has no train split. Their AUROC is reported only as nested
  5-fold cross-validation grouped by source sentence, feature subset and C chosen inside each
  fold (``quality_nested.py``), never as a fit-on-all number.

Embeddings are cached under .cache/quality/<encoder id>/p-<prompt>/ (``{set}.e5.npz``: sentence
and token vectors of the *default* encoder with its default prompt, see quality_embed.py) and
.cache/quality/{set}.use.npz, so re-runs embed nothing. The encoder id, revision and prompt
are written into every combiner; ``combined_qe`` refuses other encoders or prompts.
"""

from __future__ import annotations

import argparse
import csv
import json
import tarfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
CACHE = ROOT / ".cache" / "quality"
OUT = ROOT / "toolkit" / "driftscope" / "data" / "combiners.json"
HAL = DATA / "quality" / "hallucinations-de-en-dev" / "corpus_w_annotations.dev.csv"
N_TRAIN = 2500
SEED = 0
# sets whose layer-mix token vectors are cached too ({set}.tok.npz): suspicious terms on NTREX,
# source alignment features on the hallucination set
MIX_SETS = frozenset({"hal_src", "hal_mt", "nt_en", "nt_ru", "nt_vi"})


def read_hal() -> list[dict[str, str]]:
    with open(HAL, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def read_mlqe(split: str, n: int | None = None) -> list[dict[str, str]]:
    tar = DATA / "quality" / "mlqe-pe-ru-en" / f"ru-en-{split}.tar.gz"
    with tarfile.open(tar) as tf:
        member = f"ru-en-{split}/{split}.ruen.df.short.tsv"
        text = tf.extractfile(member).read().decode("utf-8")  # type: ignore[union-attr]
    rows = list(csv.DictReader(text.split("\n"), delimiter="\t", quoting=csv.QUOTE_NONE))
    if n:
        idx = np.random.default_rng(SEED).permutation(len(rows))[:n]
        rows = [rows[i] for i in sorted(idx)]
    return rows


def encoder_key() -> tuple[str, str]:
    """(id, prompt) of the default encoder: what users run and what the combiners must match."""
    from driftscope.embed import get_encoder

    enc = get_encoder()
    return enc.id, enc.prompt


def cache_dir() -> Path:
    """.cache/quality/<encoder id>/p-<prompt tag>: vectors are cached per (encoder, prompt)."""
    eid, prompt = encoder_key()
    tag = "".join(c for c in prompt if c.isalnum()) or "none"
    d = CACHE / eid / f"p-{tag}"
    d.mkdir(parents=True, exist_ok=True)
    return d


def all_sets() -> list[tuple[str, list[str], bool]]:
    """(cache name, texts, layer mix?) of every set the quality benchmarks embed, in order."""
    import quality_bench as qb

    dev, tr, rest = read_mlqe("dev"), read_mlqe("train", N_TRAIN), read_mlqe_rest()
    hal = read_hal()
    _, nt = qb.read_ntrex()
    return [
        ("mq_dev_src", [r["original"] for r in dev], False),
        ("mq_dev_mt", [r["translation"] for r in dev], False),
        ("hal_src", [r["src"] for r in hal], True),
        ("hal_mt", [r["mt"] for r in hal], True),
        ("mq_tr_src", [r["original"] for r in tr], False),
        ("mq_tr_mt", [r["translation"] for r in tr], False),
        ("nt_en", nt["en"], True),
        ("nt_ru", nt["ru"], True),
        ("nt_vi", nt["vi"], True),
        ("mq_tr2_src", [r["original"] for r in rest], False),
        ("mq_tr2_mt", [r["translation"] for r in rest], False),
    ]


def read_mlqe_rest() -> list[dict[str, str]]:
    """The MLQE-PE ru-en train rows NOT in the seeded ``N_TRAIN`` sample (file order)."""
    rows = read_mlqe("train")
    taken = set(np.random.default_rng(SEED).permutation(len(rows))[:N_TRAIN].tolist())
    return [r for i, r in enumerate(rows) if i not in taken]


def embed_set(name: str, texts: list[str], use: bool = True) -> dict[str, object]:
    """Sentence + token vectors (e5, current default prompt) and USE vectors, cached."""
    p_e5, p_use = cache_dir() / f"{name}.e5.npz", CACHE / f"{name}.use.npz"
    if not p_e5.exists():
        import quality_embed

        quality_embed.save(name, texts, mix=name in MIX_SETS)
    z = np.load(p_e5)
    out: dict[str, object] = {"sent": z["sent"]}
    if "tok" in z:
        tok, offs = z["tok"], z["offs"]
        toks = []
        for i in range(len(offs) - 1):
            t = tok[offs[i] : offs[i + 1]].astype(np.float32)
            toks.append(t / np.maximum(np.linalg.norm(t, axis=1, keepdims=True), 1e-9))
        out["tok"] = toks
        if "spans" in z:
            from driftscope.quality.tokens import TokenVectors

            sp = z["spans"]
            out["tv"] = [
                TokenVectors(texts[i], tuple(map(tuple, sp[offs[i] : offs[i + 1]])), toks[i])
                for i in range(len(toks))
            ]
    p_mix = cache_dir() / f"{name}.tok.npz"
    if p_mix.exists():  # layer-mix token vectors (quality.tokens.LAYERS), same pieces
        from driftscope.quality.tokens import TokenVectors

        zm = np.load(p_mix)
        tm, om, sm = zm["tok"], zm["offs"], zm["spans"]
        out["mix"] = [
            TokenVectors(
                texts[i],
                tuple(map(tuple, sm[om[i] : om[i + 1]])),
                tm[om[i] : om[i + 1]].astype(np.float32),
            )
            for i in range(len(om) - 1)
        ]
    if use:
        if not p_use.exists():
            from driftscope.embed import get_encoder

            np.savez(p_use, sent=np.asarray(get_encoder("use-m3").encode(texts), np.float32))
        out["use"] = np.load(p_use)["sent"]
    return out


def features(src: list[str], tgt: list[str], a: dict, b: dict) -> np.ndarray:
    from driftscope.quality.combine import pair_features

    return pair_features(
        src,
        tgt,
        a["sent"],
        b["sent"],
        np.random.default_rng(SEED),
        a.get("tok"),
        b.get("tok"),
        a.get("use"),
        b.get("use"),
        a.get("mix"),
        b.get("mix"),
    )


def _cat(a: object, b: object) -> object:
    return a + b if isinstance(a, list) else np.concatenate([a, b])  # type: ignore[list-item]


def blocks(a: dict, b: dict) -> dict[str, np.ndarray]:
    from driftscope.quality.combine import embedding_blocks

    return embedding_blocks(a["sent"], b["sent"], a.get("use"), b.get("use"))


def hal_labels(rows: list[dict[str, str]]) -> dict[str, np.ndarray]:
    def lab(k: str) -> np.ndarray:
        return np.array([int(float(r[k])) for r in rows])

    anyh = (lab("repetitions") + lab("strong-unsupport") + lab("full-unsupport")) > 0
    return {
        "any": anyh.astype(int),
        "full": lab("full-unsupport"),
        "omission": lab("omission"),
        "repetitions": lab("repetitions"),
    }


def _export(name: str, kind: str, feats: list[str], model: object, note: str) -> dict:
    sc, est = model.steps[0][1], model.steps[1][1]  # type: ignore[attr-defined]
    coef = np.ravel(est.coef_)
    from driftscope.embed import build_e5, get_encoder

    enc = get_encoder()
    return {
        "encoder": enc.id,
        "prompt": enc.prompt,
        # the model folder's revision: torch and onnx fp32 give the same vectors (within 1e-7)
        "revision": build_e5.REVISION,
        "kind": kind,
        "features": feats,
        "mean": [float(x) for x in sc.mean_],
        "scale": [float(x) for x in sc.scale_],
        "coef": [float(x) for x in coef],
        "intercept": float(np.ravel([est.intercept_])[0]),
        "note": note,
    }


def main() -> None:
    from driftscope.quality.combine import FEATURES
    from sklearn.linear_model import RidgeCV
    from sklearn.metrics import roc_auc_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    ap = argparse.ArgumentParser()
    ap.add_argument("--write", action="store_true", help="write combiners.json")
    ap.add_argument(
        "--subset",
        action="store_true",
        help=f"fit QE on the seeded {N_TRAIN}-row train sample only",
    )
    args = ap.parse_args()
    results: dict[str, object] = {}
    combiners: dict[str, dict] = {}
    # MLQE-PE has no layer-mix token vectors cached (16k texts): the qe combiners keep the
    # features without source alignment; the hallucination/omission ones use all.
    qe_f = [f for f in FEATURES if not f.startswith("sal_")]

    # --- MLQE-PE ru-en: fit on the whole train split, evaluate on dev
    tr, dev = read_mlqe("train", N_TRAIN), read_mlqe("dev")
    a_tr, b_tr = (
        embed_set("mq_tr_src", [r["original"] for r in tr]),
        embed_set("mq_tr_mt", [r["translation"] for r in tr]),
    )
    if not args.subset:
        rest = read_mlqe_rest()
        a2 = embed_set("mq_tr2_src", [r["original"] for r in rest])
        b2 = embed_set("mq_tr2_mt", [r["translation"] for r in rest])
        tr = tr + rest
        a_tr = {k: _cat(a_tr[k], a2[k]) for k in ("sent", "tok", "use")}
        b_tr = {k: _cat(b_tr[k], b2[k]) for k in ("sent", "tok", "use")}
    a_dv = embed_set("mq_dev_src", [r["original"] for r in dev])
    b_dv = embed_set("mq_dev_mt", [r["translation"] for r in dev])
    Xtr = features([r["original"] for r in tr], [r["translation"] for r in tr], a_tr, b_tr)
    Xdv = features([r["original"] for r in dev], [r["translation"] for r in dev], a_dv, b_dv)
    Etr, Edv = blocks(a_tr, b_tr), blocks(a_dv, b_dv)
    perm = np.roll(np.arange(len(tr)), 1)
    b_rand = {
        "sent": b_tr["sent"][perm],
        "tok": [b_tr["tok"][i] for i in perm],
        "use": b_tr["use"][perm],
    }
    Xrand = features(
        [r["original"] for r in tr], [tr[i]["translation"] for i in perm], a_tr, b_rand
    )
    Erand = blocks(a_tr, b_rand)
    ytr = np.array([float(r["z_mean"]) for r in tr])
    ydv = np.array([float(r["z_mean"]) for r in dev])
    mq: dict[str, float] = {"train_rows": len(tr), "dev_rows": len(dev)}
    for f in ("e5_z", "use_z", "cov_t_z", "cov_s_z", "e5_m"):
        mq[f"pearson_{f}"] = float(np.corrcoef(Xdv[:, FEATURES.index(f)], ydv)[0, 1])
    alphas = np.logspace(-1, 5, 13)
    qe_models = {}
    for variant, feats, blk in (
        ("", qe_f, ("e5", "use")),
        ("e5", [f for f in qe_f if f != "use_z"], ("e5",)),
    ):
        idx = [FEATURES.index(f) for f in feats]
        key = "qe" + (f":{variant}" if variant else "")
        # scalar features only (the v1 combiner's design), for comparison
        m0 = make_pipeline(StandardScaler(), RidgeCV(alphas=alphas)).fit(Xtr[:, idx], ytr)
        mq[f"pearson_{key}_scalar_only"] = float(np.corrcoef(m0.predict(Xdv[:, idx]), ydv)[0, 1])
        design = lambda X, E, idx=idx, blk=blk: np.hstack([X[:, idx]] + [E[b] for b in blk])  # noqa: E731
        m = make_pipeline(StandardScaler(), RidgeCV(alphas=alphas)).fit(design(Xtr, Etr), ytr)
        r = float(np.corrcoef(m.predict(design(Xdv, Edv)), ydv)[0, 1])
        mq[f"pearson_{key}"] = r
        mq[f"alpha_{key}"] = float(m[-1].alpha_)
        combiners[key] = _export(
            "qe",
            "ridge",
            feats,
            m,
            f"ridge on MLQE-PE ru-en train ({len(tr)} rows; alpha "
            f"{m[-1].alpha_:g} by leave-one-out CV on train); Pearson with z_mean on dev {r:.3f}",
        )
        combiners[key]["blocks"] = list(blk)
        # fixed points of the calibrated scale: random train pairs -> 0, median train pair -> 1
        combiners[key]["one"] = float(np.median(m.predict(design(Xtr, Etr))))
        combiners[key]["zero"] = float(np.median(m.predict(design(Xrand, Erand))))
        qe_models[key] = (m, design)
    results["mlqe_ru_en_dev"] = mq

    # --- hallucinations de-en dev: grouped CV only
    rows = read_hal()
    src, mt = [r["src"] for r in rows], [r["mt"] for r in rows]
    X = features(src, mt, embed_set("hal_src", src), embed_set("hal_mt", mt))
    ys = hal_labels(rows)
    hal: dict[str, object] = {"n": len(rows), "positives": {k: int(v.sum()) for k, v in ys.items()}}
    single = {}
    for f in ("e5_z", "use_z", "cov_s_z", "lr_neg", "e5_m", "sal_c", "sal_run"):
        single[f] = {
            k: float(100 * roc_auc_score(y, -X[:, FEATURES.index(f)])) for k, y in ys.items()
        }
    mean_z = X[:, FEATURES.index("e5_z")] + X[:, FEATURES.index("use_z")]
    single["e5_z+use_z"] = {k: float(100 * roc_auc_score(y, -mean_z)) for k, y in ys.items()}
    hal["auroc_single_feature_no_fit"] = single
    Eh = blocks(embed_set("hal_src", src), embed_set("hal_mt", mt))
    for key, (qm, design) in qe_models.items():  # ru-en QE applied to de-en: a transfer check
        hal[f"auroc_mlqe_{key}_no_fit_on_this_set"] = {
            k: float(100 * roc_auc_score(y, -qm.predict(design(X, Eh)))) for k, y in ys.items()
        }
    # the whole model selection (feature subset, C) inside each outer fold: quality_nested.py
    import quality_nested as qn

    for variant, use in (("", True), ("e5", False)):
        Xv = X.copy()
        if not use:
            Xv[:, FEATURES.index("use_z")] = 0.0
        res = qn.fit(Xv, ys, src, use)
        hal["nested_cv" + (f"_{variant}" if variant else "")] = res["results"]
        for target, (feats, m, note) in res["models"].items():
            key = target + (f":{variant}" if variant else "")
            combiners[key] = _export(target, "logistic", feats, m, note)
    results["hallucinations_de_en_dev"] = hal
    print(json.dumps(results, indent=1))
    if args.write:
        OUT.parent.mkdir(parents=True, exist_ok=True)
        OUT.write_text(json.dumps(combiners, indent=1) + "\n", encoding="utf-8")
        (ROOT / "benchmarks" / "results").mkdir(parents=True, exist_ok=True)
        (ROOT / "benchmarks" / "results" / "quality_fit.json").write_text(
            json.dumps(results, indent=1) + "\n", encoding="utf-8"
        )


if __name__ == "__main__":
    main()
