"""Alignment benchmark: driftscope vs Bertalign 2.0.1 with the same local e5 model.

Sets (dev data under /work/shared/data/align):
* ``textberg``: Text+Berg de-fr dev (presegmented, gold ``dev.defr``).
* ``ntrex``: NTREX-128 dev en-ru and en-vi, aligned document by document, with a derivation
  that is OURS (fixed seed, below): per document, some adjacent target lines are joined
  (-> 1-2 beads), some source lines joined (-> 2-1), some target lines dropped (-> 1-0) and
  some source lines dropped (-> 0-1); the derived gold beads are written to
  ``benchmarks/results/align_ntrex_derived_gold.json``.
* ``corpus``: the bundled ``corpora/nato-lukashenko`` chain (ru-vi, vi-en, ru-en hops,
  presegmented, paragraphs used), against its gold beads.
* ``scale``: synthetic documents of 10k and 50k sentences per side, embeddings given (random
  unit vectors with a planted alignment), search time and peak traced memory.

Embedding and search are timed separately with a cold embedding cache (driftscope's on-disk
cache is disabled). Bertalign is imported from its installed package with its one Python 3.12
``type X = ...`` line rewritten to a plain assignment at import time (nothing is edited on
disk), and given the same model folder and the same ``query: `` prompt as driftscope.

usage: python benchmarks/align_bench.py [--sets textberg,ntrex,scale] [--no-bertalign]
                                        [--ntrex-docs N] [--cache]
                                        [--out benchmarks/results/align.json]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
import tracemalloc
import types
from pathlib import Path

import numpy as np
from driftscope.align import AlignConfig, align, align_vectors
from driftscope.evaluate import read_beads, score_alignments

DATA = Path("/work/shared/data/align")
ROOT = Path(__file__).resolve().parents[1]
SEED = 20240611


# ----------------------------------------------------------------------------- data
def read_lines(path: Path) -> list[str]:
    text = path.read_bytes().decode("utf-8").replace("\r\n", "\n")
    return [line.strip() for line in text.split("\n") if line.strip()]


def textberg() -> list[tuple[str, list[str], list[str], list]]:
    d = DATA / "textberg-de-fr-dev"
    return [("dev", read_lines(d / "dev.de"), read_lines(d / "dev.fr"), read_beads(d / "dev.defr"))]


def derive(src: list[str], tgt: list[str], rng: np.random.Generator):
    """Our derivation of one 1-1 document: joins and drops on both sides, with its gold.

    Each original line pair k is, with the probabilities below, kept 1-1, or its target line is
    joined with the next pair's (1+1 -> 2-1 or 1-2 bead), or one side is dropped. The first
    line (headline) is always kept.
    """
    out_s: list[str] = []
    out_t: list[str] = []
    gold: list = []
    k = 0
    n = len(src)
    while k < n:
        op = (
            "11"
            if k == 0
            else rng.choice(["11", "12", "21", "10", "01"], p=[0.76, 0.07, 0.07, 0.05, 0.05])
        )
        i, j = len(out_s), len(out_t)
        if op in ("12", "21") and k + 1 < n:
            if op == "12":  # source lines joined: one source line, two target lines
                out_s.append(src[k] + " " + src[k + 1])
                out_t.extend([tgt[k], tgt[k + 1]])
                gold.append(((i,), (j, j + 1)))
            else:
                out_s.extend([src[k], src[k + 1]])
                out_t.append(tgt[k] + " " + tgt[k + 1])
                gold.append(((i, i + 1), (j,)))
            k += 2
            continue
        if op == "10":  # target line dropped
            out_s.append(src[k])
            gold.append(((i,), ()))
        elif op == "01":  # source line dropped
            out_t.append(tgt[k])
            gold.append(((), (j,)))
        else:
            out_s.append(src[k])
            out_t.append(tgt[k])
            gold.append(((i,), (j,)))
        k += 1
    return out_s, out_t, gold


def ntrex(lang: str, max_docs: int | None):
    d = DATA / "ntrex128-en-ru-vi-dev"
    en = (d / "newstest2019-src.eng.txt").read_bytes().decode("utf-8").split("\r\n")
    xx = (d / f"newstest2019-ref.{lang}.txt").read_bytes().decode("utf-8").split("\r\n")
    ids = (d / "DOCUMENT_IDS.tsv").read_bytes().decode("utf-8").replace("\r\n", "\n").split("\n")
    n = min(len(en), len(xx), len(ids))
    docs: dict[str, list[int]] = {}
    for k in range(n):
        if ids[k].strip() and en[k].strip() and xx[k].strip():
            docs.setdefault(ids[k].strip(), []).append(k)
    rng = np.random.default_rng(SEED)
    out = []
    for doc, rows in list(docs.items())[:max_docs]:
        s, t, g = derive([en[k].strip() for k in rows], [xx[k].strip() for k in rows], rng)
        if s and t:
            out.append((doc, s, t, g))
    return out


def corpus() -> list[tuple[str, list[str], list[str], list, list[int], list[int]]]:
    """The bundled nato-lukashenko chain, each hop and the direct pair, with paragraphs."""
    from driftscope.ingest import read_document

    d = ROOT / "corpora" / "nato-lukashenko"
    docs = {
        lang: read_document(d / "segments" / f"{lang}.txt", lang, presegmented=True)
        for lang in ("ru", "vi", "en")
    }
    out = []
    for a, b in (("ru", "vi"), ("vi", "en"), ("ru", "en")):
        sa, sb = docs[a].segments, docs[b].segments
        out.append((f"{a}-{b}", [x.text for x in sa], [x.text for x in sb],
                    read_beads(d / "gold" / f"{a}-{b}.beads"),
                    [x.paragraph for x in sa], [x.paragraph for x in sb]))  # fmt: skip
    return out


# ----------------------------------------------------------------------------- systems
class TimedEncoder:
    """Wraps an encoder; counts texts and characters and times ``encode`` calls."""

    def __init__(self, enc) -> None:
        self.enc, self.seconds, self.texts, self.chars = enc, 0.0, 0, 0

    def encode(self, texts):
        t = time.perf_counter()
        out = self.enc.encode(texts)
        self.seconds += time.perf_counter() - t
        self.texts += len(texts)
        self.chars += sum(map(len, texts))
        return out


def run_driftscope(docs, cfg: AlignConfig, cache: bool = False) -> dict:
    from driftscope.embed import get_encoder

    # cold by default: nothing from the on-disk cache (``--cache``: F1 only, times not cold)
    enc = TimedEncoder(get_encoder(cache=cache))
    enc.encode(["warm up the model"])
    enc.seconds = enc.texts = enc.chars = 0
    pairs, t0 = [], time.perf_counter()
    for _, s, t, gold, *par in docs:
        pars = dict(zip(("src_par", "tgt_par"), par, strict=False))
        res = align(s, t, enc, cfg, **pars)
        pairs.append((gold, res.beads))
    total = time.perf_counter() - t0
    return _summary(pairs, total, enc.seconds, enc.texts, enc.chars)


def _import_bertalign():
    spec = importlib.util.find_spec("bertalign")
    folder = Path(spec.submodule_search_locations[0])  # type: ignore[union-attr,index]
    pkg = types.ModuleType("bertalign")
    pkg.__path__ = [str(folder)]
    sys.modules["bertalign"] = pkg
    import bertalign._meta  # noqa: F401
    import bertalign.encoder as benc

    src = (folder / "aligner.py").read_text(encoding="utf-8")
    line = "type SplitterFn = Callable[[str, str], list[str]]"
    assert line in src, "bertalign aligner.py changed; update the patch"
    mod = types.ModuleType("bertalign.aligner")
    mod.__file__ = str(folder / "aligner.py")
    sys.modules["bertalign.aligner"] = mod
    exec(compile(src.replace(line, "SplitterFn = Callable[[str, str], list[str]]"),
                 mod.__file__, "exec"), mod.__dict__)  # fmt: skip
    return mod.Bertalign, benc.Encoder


def run_bertalign(docs, prompt: str) -> dict:
    from driftscope.embed import build_e5

    Bertalign, Encoder = _import_bertalign()

    class PromptEncoder(Encoder):
        seconds = 0.0
        texts = 0
        chars = 0

        def transform(self, sents, num_overlaps):
            from bertalign.utils import yield_overlaps

            t = time.perf_counter()
            overlaps = list(yield_overlaps(sents, num_overlaps))
            vecs = np.asarray(self.model.encode([prompt + o for o in overlaps]), np.float32)
            PromptEncoder.seconds += time.perf_counter() - t
            PromptEncoder.texts += len(overlaps)
            PromptEncoder.chars += sum(map(len, overlaps))
            vecs = vecs.reshape(num_overlaps, len(sents), -1)
            lens = np.array([len(x.encode("utf-8")) for x in overlaps], np.int64)
            return vecs, lens.reshape(num_overlaps, len(sents))

    enc = PromptEncoder(str(build_e5.ensure_model()), device="cpu")
    pairs, t0 = [], time.perf_counter()
    for _, s, t, gold, *_ in docs:
        ba = Bertalign("\n".join(s), "\n".join(t), is_split=True, model=enc)
        pairs.append((gold, [(tuple(a), tuple(b)) for a, b in ba.align_sents()]))
    total = time.perf_counter() - t0
    return _summary(pairs, total, PromptEncoder.seconds, PromptEncoder.texts, PromptEncoder.chars)


def _summary(pairs, total, embed_s, texts, chars) -> dict:
    sc = score_alignments(pairs)
    return {
        "strict_f1": round(sc.strict_f1, 4), "lax_f1": round(sc.lax_f1, 4),
        "strict_p": round(sc.strict_precision, 4), "strict_r": round(sc.strict_recall, 4),
        "seconds_total": round(total, 2), "seconds_embed": round(embed_s, 2),
        "seconds_search": round(total - embed_s, 2), "texts_embedded": texts,
        "chars_embedded": chars, "documents": len(pairs),
    }  # fmt: skip


# ----------------------------------------------------------------------------- scale
def planted(n: int, seed: int, d: int = 384, noise: float = 0.35):
    """Random unit vectors with a planted alignment (1-1, 1-2, 2-1, 1-0, 0-1 beads)."""
    rng = np.random.default_rng(seed)
    ops = rng.choice(5, size=n, p=[0.7, 0.08, 0.08, 0.07, 0.07])
    src, tgt, gold = [], [], []
    base = rng.standard_normal((n, 2, d)).astype(np.float32)
    for k, op in enumerate(ops.tolist()):
        a, b = base[k]
        i, j = len(src), len(tgt)
        if op == 0:
            src.append(a), tgt.append(a)
            gold.append(((i,), (j,)))
        elif op == 1:
            src.append(a + b), tgt.extend([a, b])
            gold.append(((i,), (j, j + 1)))
        elif op == 2:
            src.extend([a, b]), tgt.append(a + b)
            gold.append(((i, i + 1), (j,)))
        elif op == 3:
            src.append(a)
            gold.append(((i,), ()))
        else:
            tgt.append(a)
            gold.append(((), (j,)))

    def unit(x):
        x = np.array(x, np.float32)
        x += noise * rng.standard_normal(x.shape).astype(np.float32)
        return x / np.linalg.norm(x, axis=1, keepdims=True)

    return unit(src), unit(tgt), gold


def run_scale(sizes=(10_000, 50_000)) -> list[dict]:
    """Search alone on planted documents: timed untraced, then again under tracemalloc for the
    peak (tracing numpy's allocations slows it down about 3x, so one run cannot give both)."""
    out = []
    for n in sizes:
        src, tgt, gold = planted(n, SEED)
        cfg = AlignConfig(length_weight=0.0)
        t = time.perf_counter()
        res = align_vectors(src, tgt, cfg, np.random.default_rng(0))
        secs = time.perf_counter() - t
        tracemalloc.start()
        t = time.perf_counter()
        align_vectors(src, tgt, cfg, np.random.default_rng(0))
        traced = time.perf_counter() - t
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        sc = score_alignments([(gold, res.beads)])
        out.append({"n_src": len(src), "n_tgt": len(tgt), "seconds": round(secs, 2),
                    "seconds_traced": round(traced, 2), "peak_traced_mib": round(peak / 2**20, 1),
                    "max_bead": cfg.max_bead, "strict_f1": round(sc.strict_f1, 4)})  # fmt: skip
        print(f"scale {len(src)} x {len(tgt)}: {secs:.1f} s ({traced:.1f} s traced), "
              f"peak {peak / 2**20:.0f} MiB, strict F1 {sc.strict_f1:.4f}", flush=True)  # fmt: skip
    return out


# ----------------------------------------------------------------------------- main
def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sets", default="textberg,ntrex,scale")
    ap.add_argument("--no-bertalign", action="store_true")
    ap.add_argument("--no-driftscope", action="store_true")
    ap.add_argument("--ntrex-docs", type=int, default=None)
    ap.add_argument("--ntrex-langs", default="rus,vie")
    ap.add_argument("--cache", action="store_true", help="driftscope reads the embedding cache")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "align.json"))
    args = ap.parse_args()
    import torch

    torch.set_num_threads(2)
    from driftscope._version import __version__
    from driftscope.embed import get_encoder

    cfg = AlignConfig()
    enc = get_encoder(cache=False)
    result: dict = {
        "signature": {"driftscope": __version__, "encoder": enc.id, "revision": enc.revision,
                      "prompt": enc.prompt, "align": cfg.as_signature(), "seed": SEED},
        "sets": {},
    }  # fmt: skip
    sets = args.sets.split(",")
    todo = []
    if "textberg" in sets:
        todo.append(("textberg-de-fr-dev", textberg()))
    if "corpus" in sets:  # scored per hop
        todo.extend((f"nato-lukashenko-{d[0]}", [d]) for d in corpus())
    if "ntrex" in sets:
        for lang in args.ntrex_langs.split(","):
            suffix = f"-first{args.ntrex_docs}docs" if args.ntrex_docs else ""
            todo.append((f"ntrex-en-{lang}-derived{suffix}", ntrex(lang, args.ntrex_docs)))
    derived = {n: {d[0]: [b.key() if hasattr(b, "key") else f"{list(b[0])}:{list(b[1])}"
                          for b in d[3]] for d in docs}
               for n, docs in todo if n.startswith("ntrex")}  # fmt: skip
    if derived:
        gold_path = Path(args.out).parent / "align_ntrex_derived_gold.json"
        gold_path.write_text(json.dumps(derived, indent=0) + "\n")
    for name, docs in todo:
        row = {}
        if not args.no_driftscope:
            row["driftscope"] = run_driftscope(docs, cfg, args.cache)
            row["driftscope"]["embedding_cache"] = args.cache
            print(name, "driftscope", row["driftscope"], flush=True)
        if not args.no_bertalign:
            row["bertalign"] = run_bertalign(docs, enc.prompt)
            print(name, "bertalign", row["bertalign"], flush=True)
        result["sets"][name] = row
    if "scale" in sets:
        result["scale"] = run_scale()
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
