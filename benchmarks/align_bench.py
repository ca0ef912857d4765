"""Alignment benchmark: driftscope against Bertalign 2.0.1 with the same local e5 model folder.

Every dev set in one run (``benchmarks/_aligndata.py``): Text+Berg de-fr dev, ParIce en-is dev,
and NTREX dev with OUR heavy and light derivations in five directions. Per set it prints strict
and lax F1 of both systems and their means; with a cold embedding cache (the default) also
end-to-end time, embedding and search apart, and the speed ratio. ``--sets scale`` times the
search alone on planted 10k and 50k documents (embeddings given).

``--loso`` selects aligner parameters by leave-one-set-out over the four groups (textberg,
parice, ntrex-heavy, ntrex-light): for each group the candidate with the best mean strict F1 on
the *other* groups is scored on it; the report gives that held-out estimate next to the
in-sample one. Candidates are ``AlignConfig`` field overrides (``--grid``, JSON).

Bertalign is imported from its installed package with its one Python 3.12 ``type X = ...`` line
rewritten at import (nothing edited on disk); it gets the same model folder and prompt.

usage: python benchmarks/align_bench.py [--sets textberg,parice,ntrex-heavy,ntrex-light,scale]
         [--systems driftscope,bertalign] [--cache] [--ntrex-docs N] [--loso --grid JSON]
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

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _aligndata as data  # noqa: E402
from driftscope.align import AlignConfig, align, align_vectors  # noqa: E402
from driftscope.evaluate import score_alignments  # noqa: E402

ROOT = data.ROOT


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


def _summary(pairs, total, embed_s, texts, chars) -> dict:
    sc = score_alignments(pairs)
    return {
        "strict_f1": round(sc.strict_f1, 4), "lax_f1": round(sc.lax_f1, 4),
        "strict_p": round(sc.strict_precision, 4), "strict_r": round(sc.strict_recall, 4),
        "seconds_total": round(total, 2), "seconds_embed": round(embed_s, 2),
        "seconds_search": round(total - embed_s, 2), "texts_embedded": texts,
        "chars_embedded": chars, "documents": len(pairs),
    }  # fmt: skip


def run_driftscope(docs, cfg: AlignConfig, enc) -> dict:
    enc = TimedEncoder(enc)
    pairs, t0 = [], time.perf_counter()
    for _, s, t, gold in docs:
        pairs.append((gold, align(s, t, enc, cfg).beads))
    return _summary(pairs, time.perf_counter() - t0, enc.seconds, enc.texts, enc.chars)


def _import_bertalign():
    if "bertalign.aligner" in sys.modules:  # imported (and patched) once per process
        return sys.modules["bertalign.aligner"].Bertalign, sys.modules["bertalign.encoder"].Encoder
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


def run_bertalign(docs, prompt: str, cached=None) -> dict:
    """Bertalign on ``docs``; ``cached`` (a driftscope encoder with its on-disk cache) gives the
    same vectors as the model folder, for F1-only runs."""
    from driftscope.embed import build_e5

    Bertalign, Encoder = _import_bertalign()
    stats = {"seconds": 0.0, "texts": 0, "chars": 0}

    class PromptEncoder(Encoder):
        def __init__(self, folder):
            if cached is None:
                super().__init__(folder, device="cpu")
            self.model_name = folder

        def transform(self, sents, num_overlaps):
            from bertalign.utils import yield_overlaps

            t = time.perf_counter()
            overlaps = list(yield_overlaps(sents, num_overlaps))
            if cached is not None:
                vecs = cached.encode(overlaps)
            else:
                vecs = self.model.encode([prompt + o for o in overlaps])
            vecs = np.asarray(vecs, np.float32)
            stats["seconds"] += time.perf_counter() - t
            stats["texts"] += len(overlaps)
            stats["chars"] += sum(map(len, overlaps))
            vecs = vecs.reshape(num_overlaps, len(sents), -1)
            lens = np.array([len(x.encode("utf-8")) for x in overlaps], np.int64)
            return vecs, lens.reshape(num_overlaps, len(sents))

    enc = PromptEncoder(str(build_e5.ensure_model()))
    pairs, t0 = [], time.perf_counter()
    for _, s, t, gold in docs:
        # Bertalign drops blank lines; keep the gold's numbering by giving it a placeholder.
        s2 = [x if x.strip() else "." for x in s]
        t2 = [x if x.strip() else "." for x in t]
        ba = Bertalign("\n".join(s2), "\n".join(t2), is_split=True, model=enc)
        pairs.append((gold, [(tuple(a), tuple(b)) for a, b in ba.align_sents()]))
    total = time.perf_counter() - t0
    return _summary(pairs, total, stats["seconds"], stats["texts"], stats["chars"])


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
    """Search alone on planted documents: timed untraced, then traced for the peak."""
    out = []
    for n in sizes:
        src, tgt, gold = planted(n, data.SEED)
        cfg = AlignConfig(length_weight=0.0)
        t = time.perf_counter()
        res = align_vectors(src, tgt, cfg, np.random.default_rng(0))
        secs = time.perf_counter() - t
        tracemalloc.start()
        align_vectors(src, tgt, cfg, np.random.default_rng(0))
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        sc = score_alignments([(gold, res.beads)])
        out.append({"n_src": len(src), "n_tgt": len(tgt), "seconds": round(secs, 2),
                    "peak_traced_mib": round(peak / 2**20, 1),
                    "strict_f1": round(sc.strict_f1, 4)})  # fmt: skip
        print(f"scale {len(src)} x {len(tgt)}: {secs:.1f} s, peak {peak / 2**20:.0f} MiB, "
              f"strict F1 {sc.strict_f1:.4f}", flush=True)  # fmt: skip
    return out


# ----------------------------------------------------------------------------- LOSO
def loso(sets: dict, enc, base: AlignConfig, grid: list[dict]) -> dict:
    """Leave-one-group-out selection over ``grid`` (AlignConfig overrides); F1 per set."""
    table = []
    for over in grid:
        cfg = base.replace(**over)
        runs = {name: run_driftscope(docs, cfg, enc) for name, docs in sets.items()}
        f1 = {name: r["strict_f1"] for name, r in runs.items()}
        # what the aligner asked the encoder for (sentences and windows; cache hits included)
        asked = {name: [r["texts_embedded"], r["chars_embedded"]] for name, r in runs.items()}
        table.append({"params": over, "f1": f1, "texts_chars": asked})
        print("grid", json.dumps(over), json.dumps(f1), flush=True)
    return select_loso(table)


def select_loso(table: list[dict]) -> dict:
    """For each group, the row with the best mean strict F1 over the *other* groups, scored on
    the group left out; groups weigh the same whatever their number of sets."""
    groups = sorted({data.group(n) for n in table[0]["f1"]})

    def group_mean(row, keep) -> float:
        vals = [np.mean([v for n, v in row["f1"].items() if data.group(n) == g]) for g in keep]
        return float(np.mean(vals))

    held = {}
    for g in groups:
        others = [x for x in groups if x != g]
        best = max(table, key=lambda r: group_mean(r, others))
        held[g] = {"params": best["params"], "f1": round(group_mean(best, [g]), 4)}
    in_sample = max(table, key=lambda r: group_mean(r, groups))
    return {"grid": table, "held_out": held,
            "held_out_mean": round(float(np.mean([h["f1"] for h in held.values()])), 4),
            "in_sample_best": in_sample["params"],
            "in_sample_mean": round(group_mean(in_sample, groups), 4),
            "means": [round(group_mean(r, groups), 4) for r in table]}  # fmt: skip


def loso_from_logs(paths: list[str]) -> dict:
    """:func:`select_loso` over the ``grid PARAMS F1`` lines that ``--loso`` runs printed."""
    table = []
    for p in paths:
        for line in Path(p).read_text(encoding="utf-8").splitlines():
            if line.startswith("grid "):
                params, f1 = line[5:].split("} {", 1)
                table.append({"params": json.loads(params.replace("'", '"') + "}"),
                              "f1": json.loads("{" + f1)})  # fmt: skip
    return select_loso(table)


def _means(rows: dict, system: str) -> dict:
    """Mean strict F1 over sets and over the four groups (each group weighs the same)."""
    vals = {n: r[system]["strict_f1"] for n, r in rows.items() if system in r}
    groups = sorted({data.group(n) for n in vals})
    by_group = {g: float(np.mean([v for n, v in vals.items() if data.group(n) == g]))
                for g in groups}  # fmt: skip
    return {"mean_over_sets": round(float(np.mean(list(vals.values()))), 4),
            "mean_over_groups": round(float(np.mean(list(by_group.values()))), 4),
            "groups": {g: round(v, 4) for g, v in by_group.items()}}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sets", default="textberg,parice,ntrex-heavy,ntrex-light,scale")
    ap.add_argument("--systems", default="driftscope,bertalign")
    ap.add_argument("--ntrex-docs", type=int, default=None)
    ap.add_argument("--cache", action="store_true", help="read the embedding cache (F1 only)")
    ap.add_argument("--loso", action="store_true")
    ap.add_argument("--grid", default="[{}]", help="JSON list of AlignConfig overrides")
    ap.add_argument("--loso-from", nargs="+", help="select from the grid lines of earlier logs")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "align.json"))
    args = ap.parse_args()
    if args.loso_from:
        res = loso_from_logs(args.loso_from)
        Path(args.out).write_text(json.dumps(res, indent=1) + "\n")
        print(json.dumps(res["held_out"]), res["held_out_mean"], res["in_sample_mean"])
        return
    import torch

    torch.set_num_threads(2)
    from driftscope._version import __version__
    from driftscope.embed import get_encoder

    cfg = AlignConfig()
    enc = get_encoder(cache=args.cache)
    enc.encode(["warm up the model"])
    names = [s for s in args.sets.split(",") if s != "scale"]
    sets = data.all_sets(names, args.ntrex_docs)
    result: dict = {
        "signature": {"driftscope": __version__, "encoder": enc.id, "revision": enc.revision,
                      "prompt": enc.prompt, "align": cfg.as_signature(), "seed": data.SEED,
                      "embedding_cache": args.cache},
        "sets": {},
    }  # fmt: skip
    systems = args.systems.split(",")
    if args.loso:
        result["loso"] = loso(sets, enc, cfg, json.loads(args.grid))
        print(json.dumps(result["loso"]["held_out"]), result["loso"]["held_out_mean"])
    else:
        for name, docs in sets.items():
            row = {}
            if "driftscope" in systems:
                row["driftscope"] = run_driftscope(docs, cfg, enc)
            if "bertalign" in systems:
                row["bertalign"] = run_bertalign(docs, enc.prompt, enc if args.cache else None)
            if len(row) == 2:
                row["speed_ratio"] = round(
                    row["bertalign"]["seconds_total"]
                    / max(row["driftscope"]["seconds_total"], 1e-9),
                    2,
                )
            result["sets"][name] = row
            print(name, json.dumps({k: (v["strict_f1"], v["lax_f1"], v["seconds_total"])
                                    if isinstance(v, dict) else v for k, v in row.items()}),
                  flush=True)  # fmt: skip
        result["means"] = {s: _means(result["sets"], s) for s in systems}
        print(json.dumps(result["means"]))
    if "scale" in args.sets.split(","):
        result["scale"] = run_scale()
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
