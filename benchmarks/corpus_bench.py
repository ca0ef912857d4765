"""Corpus engines: documents per second and peak memory, local pool against Ray, on this machine.

Two workloads, each run by both engines in a fresh subprocess (so that peak memory is that
run's: the RSS of the process and every descendant, Ray's own processes included, sampled
every 0.1 s):

- NTREX dev, all 63 documents: English original, Russian and Vietnamese versions, the offline
  e5-small encoder. One untimed local run first fills the on-disk embedding cache, so both
  timed runs see the same warm cache. The tables of both engines must be identical.
  ``--cold`` runs both engines again, each from an empty cache of its own (a first run).
- A synthetic corpus of small English documents (``_synthetic.py``: 2 versions, 4 sentences)
  with the hashing test encoder, at 1,000 and 10,000 documents: engine overhead apart from
  embedding, and how peak memory grows with the corpus.

Writes benchmarks/results/corpus_bench.json after every measurement (a workload's row
replaces the file's row of the same workload, so ``--skip-ntrex`` keeps an earlier NTREX row);
``--quick`` runs 200 and 1,000 synthetic documents instead. The peer of every ratio is the
local engine measured on the same workload, right before the Ray run.

``--cluster`` runs NTREX once more with Ray on a one-node cluster started beforehand
(``ray start --head``, then ``--ray-address auto``): the set-up of a user with a cluster, in
which Ray's start and stop are not part of a run. Its Ray peak memory counts the driver only
(the cluster's workers are not its children). ``--cluster-cold`` does the same from empty
caches (the cluster is started with the Ray run's empty ``DRIFTSCOPE_HOME``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import _ntrex
import _synthetic
import pyarrow.parquet as pq
from _homes import cold_home

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "corpus_bench.json"


def _tree_rss(pid: int) -> int:
    """Bytes of resident memory of ``pid`` and all its descendants (Linux /proc)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", encoding="utf-8") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        p = int(entry.name)
        children.setdefault(int(fields[1]), []).append(p)
        rss[p] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        total += rss.get(p, 0)
        todo += children.get(p, [])
    return total


def measure(cmd: list[str], home: Path | None = None) -> tuple[float, int]:
    """(wall seconds, peak tree RSS bytes) of a command (``home``: its DRIFTSCOPE_HOME)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "toolkit")}
    if home is not None:
        env["DRIFTSCOPE_HOME"] = str(home)
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL)
    peak = [0]

    def sample() -> None:
        while proc.poll() is None:
            peak[0] = max(peak[0], _tree_rss(proc.pid))
            time.sleep(0.1)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    rc = proc.wait()
    secs = time.perf_counter() - t0
    th.join()
    if rc != 0:
        raise SystemExit(f"failed ({rc}): {' '.join(cmd)}")
    return secs, peak[0]


def corpus_cmd(source: list[str], out: Path, engine: str, model: str) -> list[str]:
    return [sys.executable, "-m", "driftscope", "corpus", *source, "-o", str(out), "--model",
            model, "--engine", engine, "--presegmented", "-q"]  # fmt: skip


def tables(out: Path) -> dict[str, object]:
    return {t: pq.read_table(out / f"{t}.parquet") for t in ("documents", "beads", "flags")}


def save(row: dict[str, object]) -> None:
    """Put ``row`` into the results file (replacing its workload's earlier row)."""
    old = json.loads(RESULTS.read_text(encoding="utf-8")) if RESULTS.exists() else {}
    rows = [r for r in old.get("rows", []) if r["workload"] != row["workload"]] + [row]
    result: dict[str, object] = {"cores": len(os.sched_getaffinity(0)), "rows": rows}
    syn = {r["workload"]: r for r in rows if str(r["workload"]).startswith("synthetic")}
    small, big = syn.get("synthetic-1000"), syn.get("synthetic-10000")
    for engine in ("local", "ray"):
        if small and big and f"{engine}_peak_mb" in small and f"{engine}_peak_mb" in big:
            ratio = float(big[f"{engine}_peak_mb"]) / float(small[f"{engine}_peak_mb"])
            result[f"{engine}_peak_growth_1k_to_10k"] = round(ratio, 3)
    RESULTS.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")


@contextlib.contextmanager
def running_cluster(home: Path | None = None) -> Iterator[None]:
    """A one-node Ray cluster (``ray start --head``) for the run's lifetime: what a user with
    a cluster has, so Ray's start-up and shutdown are not part of the timed run. ``home``: the
    ``DRIFTSCOPE_HOME`` of its workers (they take the cluster's environment, not the driver's)."""
    ray_bin = Path(sys.executable).with_name("ray")
    start = [str(ray_bin), "start", "--head", f"--num-cpus={os.cpu_count() or 1}",
             "--include-dashboard=false", f"--object-store-memory={512 * 2**20}",
             "--disable-usage-stats"]  # fmt: skip
    env = {**os.environ, "DRIFTSCOPE_HOME": str(home)} if home is not None else None
    subprocess.run(start, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   env=env)  # fmt: skip
    try:
        yield
    finally:
        subprocess.run([str(ray_bin), "stop", "--force"], check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip


def compare_engines(
    name: str, source: list[str], n_docs: int, model: str, tmp: Path, cold: bool = False,
    ray_args: tuple[str, ...] = (),
) -> dict:  # fmt: skip
    """Run local then Ray on the same input; both into fresh folders; save after each.
    ``cold``: each run starts from an empty cache of its own; ``ray_args``: extra options of
    the Ray run (``--ray-address auto``)."""
    row: dict[str, object] = {"workload": name, "documents": n_docs, "encoder": model}
    outs = {}
    for engine in ("local", "ray"):
        out = tmp / f"{name}-{engine}"
        shutil.rmtree(out, ignore_errors=True)
        home = cold_home(tmp, f"{name}-{engine}") if cold else None
        cmd = corpus_cmd(source, out, engine, model) + (list(ray_args) if engine == "ray" else [])
        secs, peak = measure(cmd, home)
        outs[engine] = out
        row[f"{engine}_s"] = round(secs, 2)
        row[f"{engine}_docs_per_s"] = round(n_docs / secs, 2)
        row[f"{engine}_peak_mb"] = round(peak / 2**20)
        print(f"{name:>16} {engine:>5}: {secs:8.1f} s  {n_docs / secs:7.2f} docs/s  "
              f"peak {peak / 2**20:6.0f} MB", flush=True)  # fmt: skip
        save(row)
    a, b = tables(outs["local"]), tables(outs["ray"])
    row["identical_tables"] = all(a[t].equals(b[t]) for t in a)
    row["ray_overhead"] = round(float(row["ray_s"]) / float(row["local_s"]) - 1, 3)
    docs = a["documents"].to_pylist()
    row["error_documents"] = len({r["doc_id"] for r in docs if r["status"] == "error"})
    print(f"{name:>16}: identical tables {row['identical_tables']}, Ray overhead "
          f"{row['ray_overhead']:+.1%}", flush=True)  # fmt: skip
    save(row)
    return row


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="200 and 1,000 synthetic documents")
    ap.add_argument("--skip-ntrex", action="store_true")
    ap.add_argument("--cold", action="store_true", help="NTREX again, each run cache-cold")
    ap.add_argument("--no-warm-up", action="store_true", help="the cache is already warm")
    ap.add_argument("--no-synthetic", action="store_true")
    ap.add_argument(
        "--cluster",
        action="store_true",
        help="NTREX again, Ray on a running cluster (ray start --head) it connects to",
    )
    ap.add_argument("--cluster-cold", action="store_true",
                    help="the same, each engine from an empty cache of its own")  # fmt: skip
    args = ap.parse_args()
    sizes = (200, 1000) if args.quick else (1000, 10000)
    with tempfile.TemporaryDirectory(prefix="corpus-bench-") as tmp_name:
        tmp = Path(tmp_name)
        if not args.skip_ntrex:
            ntrex = [str(_ntrex.NTREX / "DOCUMENT_IDS.tsv"), "--original",
                     f"en={_ntrex.path('en')}", "--version", f"ru={_ntrex.path('ru')}",
                     "--version", f"vi={_ntrex.path('vi')}"]  # fmt: skip
            n = len(dict.fromkeys(_ntrex.doc_ids()))
            if not args.no_warm_up:
                warm, _ = measure(corpus_cmd(ntrex, tmp / "warm", "local", "e5-small"))
                print(f"{'ntrex-dev':>16} warm-up (cold cache): {warm:.1f} s", flush=True)
            compare_engines("ntrex-dev", ntrex, n, "e5-small", tmp)
            if args.cold:
                compare_engines("ntrex-dev-cold", ntrex, n, "e5-small", tmp, cold=True)
            if args.cluster:
                with running_cluster():
                    compare_engines("ntrex-dev-cluster", ntrex, n, "e5-small", tmp,
                                    ray_args=("--ray-address", "auto"))  # fmt: skip
            if args.cluster_cold:
                name = "ntrex-dev-cluster-cold"
                with running_cluster(cold_home(tmp, f"{name}-ray")):
                    compare_engines(name, ntrex, n, "e5-small", tmp, cold=True,
                                    ray_args=("--ray-address", "auto"))  # fmt: skip
        for size in () if args.no_synthetic else sizes:
            src = _synthetic.write_corpus(tmp / f"syn{size}.jsonl", size)
            compare_engines(f"synthetic-{size}", [str(src)], size, "hash", tmp)
    print(RESULTS.read_text(encoding="utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
