"""Thread pools: numpy's BLAS on one thread around the many small products of align and flag.

Layer: embed. Imports stdlib only; threadpoolctl inside the function.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator


@contextlib.contextmanager
def single_thread_blas() -> Iterator[None]:
    """Numpy's BLAS (OpenBLAS or MKL) on one thread for the duration (threadpoolctl).

    Alignment and flagging make thousands of small matrix products. Once torch has loaded its
    OpenMP runtime, OpenBLAS's worker threads fight its spinning threads for the CPU on every
    call: 730 products of (40, 768) blocks took 34 s with 2 threads and 0.2 s with one, and warm
    ``report`` on the bundled corpus 20.5 s against 3.6 s. One thread also makes the float64
    rounding independent of the core count. Only BLAS is limited: torch's and ONNX Runtime's own
    pools keep their threads.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl is a dependency
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield


_RUNTIME_THREADS = [0]  # 0: the runtimes' defaults (one thread per core, spinning)


def set_runtime_threads(threads: int) -> None:
    """Run ONNX Runtime sessions built after this call on ``threads`` threads, without spinning.

    For pool workers and Ray actors, several to a machine: ONNX Runtime's default (a thread per
    core, each spinning while it waits for work) multiplies the threads by the processes, and
    the spinning ones take the cores from the others. On NTREX dev with a cold cache the Ray
    engine took 115 s when its two embedding actors streamed beside the analysis tasks, and
    the local engine's workers also ran two spinning threads each. The vectors do not depend on
    the thread count (MLAS keeps its reduction order: fp32 and int8 checked bit for bit).
    """
    _RUNTIME_THREADS[0] = max(0, int(threads))


def runtime_threads() -> int:
    """The thread count set by :func:`set_runtime_threads` (0: none set)."""
    return _RUNTIME_THREADS[0]
