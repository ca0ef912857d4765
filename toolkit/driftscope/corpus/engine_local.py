"""The local engine: a process pool on this machine, one encoder per worker. Layer: corpus.

Workers are spawned (never forked: a forked torch or BLAS thread pool can deadlock), each
builds its encoder once and runs :func:`driftscope.corpus.work.process` per document. At most
``2 * workers`` documents are in flight, so the input streams through in bounded memory.
BLAS and torch get ``cores // workers`` threads per worker, as Ray gives its tasks, so both
engines compute the same floats.
"""

from __future__ import annotations

import functools
import multiprocessing
import os
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from driftscope.corpus.inputs import Job
from driftscope.corpus.tables import DocRows
from driftscope.errors import DriftscopeError
from driftscope.pipeline import PipelineConfig

_THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


class EngineError(DriftscopeError):
    """The engine itself failed (a worker died, the cluster is unreachable); rerun resumes."""


class _Worker:
    """Per-process state: the encoder and the settings (set once by the initializer)."""

    encoder: Any = None
    cfg: PipelineConfig | None = None
    reports: bool = False


@functools.lru_cache(maxsize=1)
def pin_threads(threads: int) -> None:
    """BLAS, OpenMP, torch and ONNX Runtime use ``threads`` threads in this process, once.

    numpy's BLAS has already read the environment when this runs (the worker imported numpy
    to unpickle its task), so the running pools are resized too: a different thread count
    changes float rounding, and both engines must compute the same floats.
    """
    from threadpoolctl import threadpool_limits

    from driftscope.embed.threads import set_runtime_threads

    set_runtime_threads(threads)
    for var in _THREAD_VARS:
        os.environ[var] = str(threads)  # for torch, which reads them when first imported
    threadpool_limits(threads)
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(threads)


def _exit_with(parent: int) -> None:
    # A driver killed with SIGKILL cannot stop its pool: the workers would live on, idle.
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(1)


def _init(cfg: PipelineConfig, reports: bool, threads: int, parent: int) -> None:
    threading.Thread(target=_exit_with, args=(parent,), daemon=True).start()
    pin_threads(threads)
    from driftscope.embed import get_encoder

    _Worker.encoder = get_encoder(cfg.model, prompt=cfg.prompt)
    _Worker.cfg = cfg
    _Worker.reports = reports


def _process(job: Job) -> DocRows:
    from driftscope.corpus.work import process

    assert _Worker.cfg is not None, "worker used before its initializer ran"
    return process(job, _Worker.encoder, _Worker.cfg, _Worker.reports)


def default_workers() -> int:
    """Cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def run_local(
    jobs: Iterable[Job], cfg: PipelineConfig, *, workers: int = 0, reports: bool = False
) -> Iterator[DocRows]:
    """Process ``jobs`` on a pool of ``workers`` processes (0: one per core); yield results.

    Results arrive in completion order. ``workers == 1`` runs in this process (no pool).

    Raises:
        EngineError: a worker process died (the committed documents are kept).
    """
    workers = workers or default_workers()
    threads = max(1, default_workers() // workers)
    if workers == 1:
        from driftscope.corpus.work import process
        from driftscope.embed import get_encoder

        encoder = get_encoder(cfg.model, prompt=cfg.prompt)
        for job in jobs:
            yield process(job, encoder, cfg, reports)
        return
    ctx = multiprocessing.get_context("spawn")
    args = (cfg, reports, threads, os.getpid())
    pool = ProcessPoolExecutor(workers, ctx, initializer=_init, initargs=args)
    pending: set[Future[DocRows]] = set()
    it = iter(jobs)
    try:
        exhausted = False
        while True:
            while not exhausted and len(pending) < 2 * workers:
                nxt = next(it, None)
                if nxt is None:
                    exhausted = True
                    break
                pending.add(pool.submit(_process, nxt))
            if not pending:
                break
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                yield fut.result()
    except BrokenProcessPool as err:
        raise EngineError("a worker process died; rerun the same command to resume") from err
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
