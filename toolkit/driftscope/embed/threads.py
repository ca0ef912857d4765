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
