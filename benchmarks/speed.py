"""Speed of the encoder backends and of the whole pipeline, in one run (issue 13).

    .venv/bin/python benchmarks/speed.py [--backends torch,onnx,onnx-int8]
                                         [--pipeline onnx] [--lines 300] [--rounds 1]
                                         [--pipeline-rounds 3]

1. Sentences per second of each backend (``get_encoder(backend=..., cache=False)``, model
   loaded and warmed up first) and of the peer, sentence-transformers fp32
   (``SentenceTransformer(folder).encode``, batch 32), on the first ``--lines`` Russian and
   English lines of NTREX-128 dev (the input of the flags runs below). Systems are timed in
   turn, ``--rounds`` times, best time kept.
2. Wall time of the CLI (a subprocess, start-up included) for ``flags`` and ``report`` on the
   bundled corpus and on those NTREX lines (ru -> en, presegmented), cold (an empty
   ``DRIFTSCOPE_HOME`` that links to the built model folder and langdetect's compiled
   profiles, both built once per installation: no embedding, token or language cache) and
   warm (the same command again), for each ``--pipeline`` backend.
3. The ratio of each pipeline time to the time of embedding the input's sentences once with
   the same backend (measured here, cache off).

Timings on a shared machine are noisy (on the 2-core VM, embedding the same 600 lines took
4.0-6.4 s within one minute), so parts 2 and 3 run in ``--pipeline-rounds`` interleaved
rounds: each round embeds both inputs once, then runs every command cold and warm; the
result holds each round's times and ratios and their medians (the figures to compare).
Writes benchmarks/results/speed.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _homes import cold_home

ROOT = Path(__file__).resolve().parents[1]
NTREX = ROOT / ".." / "shared" / "data" / "align" / "ntrex128-en-ru-vi-dev"
CORPUS = ROOT / "corpora" / "nato-lukashenko"
OUT = ROOT / "benchmarks" / "results" / "speed.json"


def ntrex_lines(n: int) -> tuple[list[str], list[str]]:
    def read(name: str) -> list[str]:
        raw = (NTREX / name).read_text(encoding="utf-8-sig").replace("\r\n", "\n").split("\n")
        return raw[:n]

    return read("newstest2019-ref.rus.txt"), read("newstest2019-src.eng.txt")


def corpus_texts() -> list[str]:
    from driftscope.ingest import load_manifest, read_versions

    return [t for d in read_versions(load_manifest(CORPUS)) for t in d.texts]


def _peer() -> object:
    from driftscope.embed import build_e5
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(build_e5.ensure_model()), device="cpu")
    return lambda texts: model.encode(
        texts, batch_size=32, normalize_embeddings=True, show_progress_bar=False
    )


def embed_seconds(
    backends: list[str], texts: list[str], rounds: int, peer: bool = True
) -> dict[str, float]:
    """Best wall time of embedding ``texts`` once per system (cache off, model loaded)."""
    from driftscope.embed import get_encoder

    systems = {"sentence-transformers-fp32": _peer()} if peer else {}
    for b in backends:
        systems[b] = get_encoder(backend=b, cache=False).encode
    best: dict[str, float] = {}
    for fn in systems.values():
        fn(texts[:8])  # load and warm up
    for _ in range(rounds):
        for name, fn in systems.items():
            t0 = time.perf_counter()
            fn(list(texts))
            best[name] = min(best.get(name, float("inf")), time.perf_counter() - t0)
            print(f"embed {name}: {len(texts) / best[name]:.1f} sentences/s", flush=True)
    return best


def cli(args: list[str], home: Path) -> float:
    env = {**os.environ, "DRIFTSCOPE_HOME": str(home)}
    t0 = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "driftscope", *args], env=env, check=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    return time.perf_counter() - t0


def pipeline_times(backend: str, ru: Path, en: Path, tmp: Path) -> dict[str, float]:
    """Cold and warm wall time of flags/report on the corpus and the NTREX pair."""
    pair = [str(ru), str(en)]
    cmds = {
        "flags_corpus": ["flags", str(CORPUS), "-o", str(tmp / "f.txt")],
        "report_corpus": ["report", str(CORPUS), "-o", str(tmp / "r1"), "-q"],
        "flags_ntrex": ["flags", *pair, "--src-lang", "ru", "--tgt-lang", "en",
                        "--presegmented", "-o", str(tmp / "f2.txt")],
        "report_ntrex": ["report", *pair, "-l", "ru", "-l", "en", "--presegmented",
                         "-o", str(tmp / "r2"), "-q"],
    }  # fmt: skip
    out: dict[str, float] = {}
    for name, args in cmds.items():
        home = cold_home(tmp, name)
        out[f"{name}_cold"] = round(cli([*args, "--backend", backend], home), 2)
        out[f"{name}_warm"] = round(cli([*args, "--backend", backend], home), 2)
        print(backend, name, out[f"{name}_cold"], out[f"{name}_warm"], flush=True)
    return out


def pipeline_rounds(
    backend: str, inputs: dict[str, list[str]], ru: Path, en: Path, tmp: Path, rounds: int
) -> dict[str, object]:
    """``rounds`` interleaved rounds of (embed each input once, every command cold and warm);
    per round the times and ratios, and their medians."""
    from statistics import median

    per: list[dict[str, object]] = []
    for r in range(rounds):
        once = {k: embed_seconds([backend], v, 1, False)[backend] for k, v in inputs.items()}
        (tmp / f"round{r}").mkdir()
        times = pipeline_times(backend, ru, en, tmp / f"round{r}")
        ratios = {k: round(v / once[k.split("_")[1]], 2) for k, v in times.items()}
        per.append({"embed_once_seconds": {k: round(v, 2) for k, v in once.items()},
                    "wall_seconds": times, "ratio_to_embed_once": ratios})  # fmt: skip
        print(backend, f"round {r}: ratio to embedding the input once:", ratios, flush=True)

    def med(field: str) -> dict[str, float]:
        keys = per[0][field]  # type: ignore[index]
        return {k: round(median(p[field][k] for p in per), 2) for k in keys}  # type: ignore[index]

    fields = ("embed_once_seconds", "wall_seconds", "ratio_to_embed_once")
    return {"rounds": per, **{f: med(f) for f in fields}}


def machine() -> dict[str, object]:
    """The CPU the numbers come from: ONNX Runtime's kernels differ with AVX2 and AVX-512."""
    info: dict[str, object] = {"cores": os.cpu_count()}
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return info
    pairs = (ln.split(":", 1) for ln in text.splitlines() if ":" in ln)
    fields = {k.strip(): v.strip() for k, v in pairs}
    flags = set(fields.get("flags", "").split())
    info["cpu"] = fields.get("model name", "")
    info["simd"] = sorted(flags & {"avx", "avx2", "avx512f", "avx512_vnni", "fma"})
    return info


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--backends", default="torch,onnx,onnx-int8")
    from driftscope.embed import DEFAULT_BACKEND

    # the pipeline runs on the default backend unless told otherwise (its ratio is the target)
    ap.add_argument("--pipeline", default=DEFAULT_BACKEND)
    ap.add_argument("--lines", type=int, default=300)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--pipeline-rounds", type=int, default=3)
    args = ap.parse_args()
    backends = args.backends.split(",")
    ru, en = ntrex_lines(args.lines)
    texts = ru + en
    secs = embed_seconds(backends, texts, args.rounds)
    sps = {k: round(len(texts) / v, 2) for k, v in secs.items()}
    peer = sps["sentence-transformers-fp32"]
    res: dict[str, object] = {
        "machine": machine(),
        "lines": args.lines,
        "texts": len(texts),
        "sentences_per_second": sps,
        "speedup_vs_sentence_transformers": {k: round(v / peer, 3) for k, v in sps.items()},
        "pipeline": {},
    }
    corpus = corpus_texts()
    with tempfile.TemporaryDirectory(prefix="ds-speed-") as d:
        tmp = Path(d)
        (tmp / "ru.txt").write_text("\n".join(ru) + "\n", encoding="utf-8")
        (tmp / "en.txt").write_text("\n".join(en) + "\n", encoding="utf-8")
        for b in args.pipeline.split(","):
            got = pipeline_rounds(b, {"ntrex": texts, "corpus": corpus}, tmp / "ru.txt",
                                  tmp / "en.txt", tmp, args.pipeline_rounds)  # fmt: skip
            res["pipeline"][b] = got  # type: ignore[index]
            print(b, "median ratio to embedding the input once:", got["ratio_to_embed_once"],
                  flush=True)  # fmt: skip
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(res, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
