"""The Ray engine: Ray Data embedding on an actor pool, per-document analysis as Ray tasks.

Layer: corpus; the only module that imports ray (inside functions). The pipeline, following
Ray Data's batch-inference pattern:

1. the driver streams the input once, skips committed documents and writes the rest to JSONL
   shards next to the output (bounded memory; workers read them, so on a cluster ``OUT`` must
   be on storage every node sees);
2. ``read``: one task per shard streams its jobs, in groups sorted by size so that a batch
   holds documents of similar length;
3. ``embed``: ``map_batches`` over an actor pool, one encoder per actor (``num_gpus`` each),
   :func:`~driftscope.corpus.work.prepare` and
   :func:`~driftscope.corpus.work.embed_versions` per document;
4. ``analyse``: ``map_batches`` with a function, so Ray tasks: alignment, flags and rows
   (:func:`~driftscope.corpus.work.analyse`), window concatenations embedded in the task;
5. the driver iterates the results and commits each document as it arrives.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from driftscope.corpus.engine_local import EngineError, default_workers, pin_threads
from driftscope.corpus.inputs import Job
from driftscope.corpus.tables import DocRows
from driftscope.corpus.work import Prepared, analyse, embed_prepared, prepare
from driftscope.model import Document, from_dict, to_dict
from driftscope.pipeline import PipelineConfig

log = logging.getLogger(__name__)
SHARD_JOBS = 256  # jobs per shard file (one read task each)
SIZE_GROUP = 64  # jobs sorted by size together before batching
BLOCK_CHARS = 2**16  # text per block between the stages at most (see block_rows)
BLOCKS_PER_ACTOR = 16  # blocks per embedding actor at least, when the documents allow
OBJECT_STORE_BYTES = 512 * 2**20  # object store of a Ray started here (not of a cluster)


@dataclass(frozen=True, slots=True)
class RayOptions:
    """How to use Ray.

    Attributes:
        address: ``""`` (a Ray already initialised in this process, else a local one started
            and stopped here), ``"auto"`` or ``ADDR`` of a running cluster.
        num_cpus: CPUs of the local Ray started here (0: all cores).
        num_gpus: GPUs per embedding actor (0: CPU actors).
        actors: embedding actors (0: one per GPU with ``num_gpus``; on CPUs, as many as half
            the cluster's CPU slots hold at ``actor_cpus`` each, so every core embeds).
        batch_size: documents per embedding batch (0: a block, :func:`block_rows`).
        actor_cpus: CPUs reserved per embedding actor; task_cpus: per analysis task.

    Why half CPUs: an embedding actor holding a whole CPU leaves the analysis of a 2-core
    machine one core whenever the cache is warm, and embeds on one core when it is cold. With
    half-CPU slots each core has an embedding actor and an analysis task, like a local worker
    that does both (NTREX dev, cold cache, on an earlier machine and engine: 172.6 s against
    176.5 s with whole CPUs and 182.6 s for the local engine).
    """

    address: str = ""
    num_cpus: int = 0
    num_gpus: float = 0.0
    actors: int = 0
    batch_size: int = 0
    actor_cpus: float = 0.5
    task_cpus: float = 0.5


def _prepared_to_json(prep: Prepared) -> str:
    return json.dumps(to_dict({"job": prep.job, "docs": prep.docs, "error": prep.error}))


def _prepared_from_json(text: str) -> Prepared:
    d = json.loads(text)
    docs = tuple(from_dict(Document, x) for x in d["docs"])
    return Prepared(from_dict(Job, d["job"]), docs, d["error"])


def _read_shard(batch: dict[str, Any]) -> Iterator[dict[str, list[str]]]:
    """Ray Data UDF: stream the jobs of each shard file, groups sorted by size."""
    for path in batch["path"]:
        group: list[tuple[int, str]] = []
        with open(str(path), encoding="utf-8") as fh:
            for line in fh:
                group.append((len(line), line))
                if len(group) == SIZE_GROUP:
                    yield {"job": [t for _, t in sorted(group)]}
                    group = []
        if group:
            yield {"job": [t for _, t in sorted(group)]}


class _Embedder:
    """Ray Data callable class: one encoder per actor, per-document embedding."""

    def __init__(self, model: str | None, prompt: str | None, threads: int, tokens: bool) -> None:
        from driftscope.embed import get_encoder

        pin_threads(threads)
        self.encoder = get_encoder(model, prompt=prompt)
        self.tokens = tokens

    def __call__(self, batch: dict[str, Any]) -> dict[str, list[Any]]:
        out: dict[str, list[Any]] = {"prepared": [], "texts": [], "vectors": []}
        for text in batch["job"]:
            job = from_dict(Job, json.loads(str(text)))
            prep, vecs = embed_prepared(prepare(job), self.encoder, self.tokens)
            out["prepared"].append(_prepared_to_json(prep))
            out["texts"].append(json.dumps(list(vecs), ensure_ascii=False))
            arr = np.stack(list(vecs.values())) if vecs else np.zeros((0, 0), np.float32)
            out["vectors"].append(arr.astype(np.float32, copy=False).tobytes())
        return out


def _analyse(
    batch: dict[str, Any], cfg: PipelineConfig, reports: bool, threads: int
) -> dict[str, list[str]]:
    """Ray Data UDF run as Ray tasks: align, flag and build the rows of each document."""
    from driftscope.embed import get_encoder

    pin_threads(threads)
    fallback = get_encoder(cfg.model, prompt=cfg.prompt)
    out: dict[str, list[str]] = {"rows": [], "report": []}
    for p, t, v in zip(batch["prepared"], batch["texts"], batch["vectors"], strict=True):
        prep = _prepared_from_json(str(p))
        texts = json.loads(str(t))
        arr = np.frombuffer(bytes(v), np.float32).reshape(len(texts), -1) if texts else None
        vectors = dict(zip(texts, arr, strict=True)) if arr is not None else {}
        rows = analyse(prep, vectors, fallback, cfg, reports)
        out["rows"].append(rows.to_json())
        out["report"].append(rows.report)
    return out


def _write_shards(jobs: Iterable[Job], folder: Path) -> tuple[list[str], int, int]:
    """JSONL shards of ``SHARD_JOBS`` jobs each; and the number of jobs and their characters."""
    folder.mkdir(parents=True, exist_ok=True)
    paths: list[str] = []
    fh: Any = None
    n = chars = 0
    try:
        for job in jobs:
            if n % SHARD_JOBS == 0:
                if fh:
                    fh.close()
                paths.append(str(folder / f"shard-{len(paths):06d}.jsonl"))
                fh = open(paths[-1], "w", encoding="utf-8")  # noqa: SIM115 (closed below)
            line = json.dumps(to_dict(job), ensure_ascii=False) + "\n"
            fh.write(line)
            n += 1
            chars += len(line)
    finally:
        if fh:
            fh.close()
    return paths, n, chars


def block_rows(n: int, chars: int, actors: int) -> int:
    """Documents per block between the stages (and per embedding call, by default).

    A block goes to one actor and one analysis task whole, so a run ends with the last blocks'
    work on one actor while the others idle: on NTREX dev (63 documents of about 12 KB) blocks
    of 8-9 left one actor embedding alone for 14 s of a 64 s run. Each block also costs Ray
    scheduling (tens of ms: 10,000 small synthetic documents took 230 s in blocks of 8, 185 s
    in blocks of 61). So: at least ``BLOCKS_PER_ACTOR`` blocks per actor when there are enough
    documents, never more than ``BLOCK_CHARS`` of text a block, 1 to ``SIZE_GROUP`` rows.
    """
    by_size = round(BLOCK_CHARS * n / max(chars, 1))
    by_count = -(-n // (BLOCKS_PER_ACTOR * max(actors, 1)))
    return max(1, min(SIZE_GROUP, by_size, by_count))


def _start(opts: RayOptions, quiet: bool) -> bool:
    """Connect to or start Ray; True when this call started it (and must stop it)."""
    import ray

    if ray.is_initialized():
        return False
    kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": not quiet}
    kwargs["logging_level"] = logging.ERROR if quiet else logging.WARNING
    try:
        if opts.address:
            ray.init(address=opts.address, **kwargs)
        else:
            # documents are small blocks streamed through: Ray's default store (30 % of RAM)
            # only let Ray Data buffer more of them; a bounded store bounds the run's memory
            ray.init(num_cpus=opts.num_cpus or default_workers(),
                     object_store_memory=OBJECT_STORE_BYTES, **kwargs)  # fmt: skip
    except (ConnectionError, RuntimeError, ValueError) as err:
        raise EngineError(f"cannot start or reach Ray ({' '.join(str(err).split())})") from err
    return True


def _default_actors(ray: Any, opts: RayOptions) -> int:
    """One embedding actor per GPU slot with ``num_gpus``; on CPUs, half the CPU slots."""
    res = ray.cluster_resources()
    if opts.num_gpus:
        return max(1, int(float(res.get("GPU", 0)) // opts.num_gpus))
    return max(1, int(float(res.get("CPU", 1)) / 2 // opts.actor_cpus))


def run_ray(
    jobs: Iterable[Job],
    cfg: PipelineConfig,
    work: Path,
    opts: RayOptions | None = None,
    *,
    reports: bool = False,
    quiet: bool = False,
) -> Iterator[DocRows]:
    """Process ``jobs`` on Ray (see the module docstring); yield results as they arrive.

    Args:
        jobs: the documents still to do (streamed once, into shards under ``work``).
        cfg: pipeline settings (``cfg.model`` names the encoder every actor and task builds).
        work: a scratch folder under the output (removed afterwards).
        opts: Ray settings.
    Raises:
        EngineError: Ray cannot be started or reached, or the Ray pipeline failed.
    """
    import ray

    opts = opts or RayOptions()
    shard_dir = work / f"ray-shards-{os.getpid()}"
    shards, n, chars = _write_shards(jobs, shard_dir)
    if not shards:
        shutil.rmtree(shard_dir, ignore_errors=True)
        return
    started = _start(opts, quiet)
    with warnings.catch_warnings():
        if quiet:  # Ray Data's advice on concurrency (UserWarning) is not for our user
            warnings.filterwarnings("ignore", category=UserWarning, module=r"ray\.")
        yield from _pipeline(ray, shards, (n, chars), shard_dir, cfg, opts, reports, quiet,
                             started)  # fmt: skip


def _pipeline(
    ray: Any, shards: list[str], size: tuple[int, int], shard_dir: Path, cfg: PipelineConfig,
    opts: RayOptions, reports: bool, quiet: bool, started: bool,
) -> Iterator[DocRows]:  # fmt: skip
    """The Ray Data pipeline of :func:`run_ray` (Ray started); stops Ray if it started it."""
    try:
        ctx = ray.data.DataContext.get_current()
        ctx.enable_progress_bars = False  # the caller draws one bar for the whole corpus
        if quiet:  # Ray Data configures its own loggers when imported; --quiet means quiet
            logging.getLogger("ray.data").setLevel(logging.ERROR)
        actors = opts.actors or _default_actors(ray, opts)
        rows = block_rows(*size, actors)
        ds: Any = ray.data.from_items([{"path": p} for p in shards])
        ds = ds.map_batches(_read_shard, batch_size=1, num_cpus=0.1)
        # a shard's jobs come out as one block, which one actor takes whole: cut it so that
        # every actor embeds and the analysis streams behind them (see block_rows)
        try:
            ds = ds.repartition(target_num_rows_per_block=rows)
        except TypeError:  # a Ray without streaming repartition: one actor per shard
            pass
        ds = ds.map_batches(
            _Embedder,
            fn_constructor_args=(cfg.model, cfg.prompt, max(1, int(opts.actor_cpus)), cfg.terms),
            batch_size=opts.batch_size or rows,  # Ray Data would coalesce blocks to a batch
            compute=ray.data.ActorPoolStrategy(size=actors),
            num_cpus=opts.actor_cpus,
            num_gpus=opts.num_gpus or None,
        )
        threads = max(1, int(opts.task_cpus))  # 1 below a whole CPU, as local workers get
        ds = ds.map_batches(
            _analyse, fn_args=(cfg, reports, threads), batch_size=1, num_cpus=opts.task_cpus
        )
        for batch in ds.iter_batches(batch_size=1, batch_format="numpy"):
            for row, report in zip(batch["rows"], batch["report"], strict=True):
                found = DocRows.from_json(str(row))
                yield DocRows(found.key, found.doc_id, found.index, found.documents,
                              found.beads, found.flags, str(report))  # fmt: skip
    except ray.exceptions.RayError as err:
        raise EngineError(f"the Ray pipeline failed: {' '.join(str(err).split())[:300]}") from err
    finally:
        shutil.rmtree(shard_dir, ignore_errors=True)
        if started:
            ray.shutdown()
