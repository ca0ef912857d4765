"""Quality/flags benchmark on the dev data (see /work/shared/data/README.md).

    .venv/bin/python benchmarks/quality_bench.py [--no-terms]

* Hallucination AUROC (de-en dev half) and MLQE-PE ru-en dev Pearson: ``quality_fit.py``
  (combiners fitted on MLQE train; hallucination combiners only cross-validated, grouped by src).
* False flags: share of NTREX dev sentences (clean human en->ru, en->vi, 1-1 by line) with a
  flag at the default severity (medium), flagged per document with ``flag_comparison``.
* Gold: precision/recall of the pipeline's flags (``run_manifest``, its own alignment) on
  corpora/nato-lukashenko, and of ``flag_chain`` with the gold beads (``gold_beads``).
Writes benchmarks/results/quality.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import quality_fit as qf  # noqa: E402

NTREX = qf.DATA / "align" / "ntrex128-en-ru-vi-dev"
FILES = {
    "en": "newstest2019-src.eng.txt",
    "ru": "newstest2019-ref.rus.txt",
    "vi": "newstest2019-ref.vie.txt",
}


def read_ntrex() -> tuple[list[str], dict[str, list[str]]]:
    ids = (NTREX / "DOCUMENT_IDS.tsv").read_text(encoding="utf-8-sig").replace("\r", "")
    doc_ids = [line.split("\t")[0] for line in ids.split("\n")[:1045]]
    texts = {}
    for lg, f in FILES.items():
        raw = (NTREX / f).read_text(encoding="utf-8-sig").replace("\r\n", "\n").split("\n")
        texts[lg] = [x.strip() for x in raw[: len(doc_ids)]]
    return doc_ids, texts


def _doc(texts: list[str], lang: str, doc_id: str):  # noqa: ANN202
    from driftscope.ingest.langid import detect_language
    from driftscope.model import Document, Segment

    segs, pos = [], 0
    for i, t in enumerate(texts):
        segs.append(Segment(i, t, pos, pos + len(t), 0, *detect_language(t)))
        pos += len(t) + 1
    return Document(doc_id=doc_id, lang=lang, segments=tuple(segs))


def token_cache(name: str, texts: list[str]) -> list:
    """Layer-mix token vectors (suspicious terms), cached next to the e5 vectors (cache_dir)."""
    from driftscope.quality.tokens import TokenVectors, embed_tokens

    path = qf.cache_dir() / f"{name}.tok.npz"
    if not path.exists():
        from driftscope.embed import get_encoder

        enc = get_encoder()
        tv = embed_tokens(enc.model, texts, enc.prompt)
        np.savez(
            path,
            tok=np.concatenate([t.vecs for t in tv]).astype(np.float16),
            offs=np.cumsum([0] + [len(t.vecs) for t in tv]),
            spans=np.array([sp for t in tv for sp in t.spans]).reshape(-1, 2),
        )
    z = np.load(path)
    tok, offs, sp = z["tok"], z["offs"], z["spans"]
    out = []
    for i, text in enumerate(texts):
        v = tok[offs[i] : offs[i + 1]].astype(np.float32)
        v /= np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-9)
        out.append(TokenVectors(text, tuple(map(tuple, sp[offs[i] : offs[i + 1]])), v))
    return out


def ntrex_false_flags(terms: bool, severity: str = "medium") -> dict[str, object]:
    from driftscope.model import Bead
    from driftscope.quality import flag_comparison

    doc_ids, texts = read_ntrex()
    res: dict[str, object] = {"severity": severity, "terms": terms}
    emb = {
        lg: {"sent": qf.embed_set(f"nt_{lg}", texts[lg], use=False)["sent"]}
        for lg in ("en", "ru", "vi")
    }
    if terms:
        for lg in ("en", "ru", "vi"):
            emb[lg]["tv"] = token_cache(f"nt_{lg}", texts[lg])
    order = list(dict.fromkeys(doc_ids))
    for tl in ("ru", "vi"):
        flagged, kinds, n = 0, Counter(), 0
        examples = []
        for d in order:
            idx = [i for i, x in enumerate(doc_ids) if x == d]
            s, t = (
                _doc([texts["en"][i] for i in idx], "en", "en"),
                _doc([texts[tl][i] for i in idx], tl, tl),
            )
            beads = [Bead((k,), (k,)) for k in range(len(idx))]
            tok = {lg: [emb[lg]["tv"][i] for i in idx] for lg in ("en", tl)} if terms else {}
            fl = flag_comparison(
                s,
                t,
                beads,
                src_vecs=emb["en"]["sent"][idx],
                tgt_vecs=emb[tl]["sent"][idx],
                min_severity=severity,
                src_tokens=tok.get("en"),
                tgt_tokens=tok.get(tl),
                rng=np.random.default_rng(0),
            )
            hit = {k for f in fl for k in f.tgt}
            flagged += len(hit)
            n += len(idx)
            kinds.update(f.kind for f in fl)
            examples += [f"{f.kind}/{f.severity}: {f.note[:90]}" for f in fl][:2]
        res[f"en-{tl}"] = {
            "sentences": n,
            "flagged": flagged,
            "share": flagged / n,
            "by_kind": dict(kinds),
            "examples": examples[:12],
        }
    return res


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--no-terms", action="store_true")
    args = ap.parse_args()
    import quality_gold as qg
    from driftscope.embed import get_encoder

    out: dict[str, object] = {}
    t0 = time.time()
    fit_path = qf.ROOT / "benchmarks" / "results" / "quality_fit.json"
    if fit_path.exists():
        out["fit"] = json.loads(fit_path.read_text(encoding="utf-8"))
    out["ntrex_false_flags"] = ntrex_false_flags(terms=not args.no_terms)
    enc = get_encoder()
    out["gold"] = qg.run_gold(enc, ("low", "medium"), tokens=not args.no_terms)
    out["seconds"] = time.time() - t0
    dst = qf.ROOT / "benchmarks" / "results" / "quality.json"
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps(out, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
