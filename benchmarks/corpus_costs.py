"""Per-document costs of the corpus engine on NTREX dev, split by stage, in one process.

For the Scaling-out projection: seconds per document spent (a) embedding the segments (what
the Ray embedding actors do), (b) in the per-document task, split into encoder work inside it
(window concatenations), token vectors, and the rest (DP alignment, flags, scores, rows). The
e5-small encoder runs on one CPU thread, as in a 1-CPU worker. The on-disk embedding cache is
bypassed (``cache=False``), so every vector is computed. Writes
benchmarks/results/corpus_costs.json.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import _ntrex  # noqa: E402
import driftscope.quality.tokens as tokens  # noqa: E402
from driftscope.corpus import LineParallel, iter_jobs  # noqa: E402
from driftscope.corpus.work import analyse, embed_versions, prepare  # noqa: E402
from driftscope.embed import get_encoder  # noqa: E402
from driftscope.pipeline import PipelineConfig  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


class Timed:
    """Wraps an encoder and adds up the seconds spent in ``encode`` and token vectors."""

    def __init__(self, inner: object) -> None:
        self._inner = inner
        self.seconds = 0.0

    def __getattr__(self, name: str) -> object:
        return getattr(self._inner, name)

    def encode(self, texts: list[str]) -> object:
        t0 = time.perf_counter()
        try:
            return self._inner.encode(texts)  # type: ignore[attr-defined]
        finally:
            self.seconds += time.perf_counter() - t0


def main(n_docs: int = 8) -> int:
    src = LineParallel(
        (("en", _ntrex.path("en")), ("ru", _ntrex.path("ru")), ("vi", _ntrex.path("vi"))),
        _ntrex.NTREX / "DOCUMENT_IDS.tsv",
    )
    enc = get_encoder("e5-small", cache=False)
    cfg = PipelineConfig()
    jobs = [j for _, j in zip(range(n_docs + 1), iter_jobs(src, presegmented=True), strict=False)]
    warm = prepare(jobs[0])  # loads the model and the tokenizer outside the timings
    analyse(warm, embed_versions(warm, enc), enc, cfg)
    t = {"prepare": 0.0, "embed_segments": 0.0, "task_encoder": 0.0, "task_total": 0.0,
         "task_token_vectors": 0.0}  # fmt: skip
    real = tokens.embed_tokens

    def timed_tokens(*args: object, **kwargs: object) -> object:
        t0 = time.perf_counter()
        try:
            return real(*args, **kwargs)  # type: ignore[arg-type]
        finally:
            t["task_token_vectors"] += time.perf_counter() - t0

    tokens.embed_tokens = timed_tokens  # type: ignore[assignment]
    segments = 0
    for job in jobs[1:]:
        t0 = time.perf_counter()
        prep = prepare(job)
        t1 = time.perf_counter()
        vecs = embed_versions(prep, enc)
        t2 = time.perf_counter()
        timed = Timed(enc)
        analyse(prep, vecs, timed, cfg)  # type: ignore[arg-type]
        t3 = time.perf_counter()
        t["prepare"] += t1 - t0
        t["embed_segments"] += t2 - t1
        t["task_total"] += t3 - t2
        t["task_encoder"] += timed.seconds
        segments += sum(len(d.segments) for d in prep.docs)
    per_doc = {k: round(v / n_docs, 3) for k, v in t.items()}
    rest = per_doc["task_total"] - per_doc["task_encoder"] - per_doc["task_token_vectors"]
    per_doc["task_dp_flags_rows"] = round(rest, 3)
    out = {"documents": n_docs, "segments_per_doc": round(segments / n_docs, 1),
           "seconds_per_doc": per_doc}  # fmt: skip
    (ROOT / "benchmarks" / "results" / "corpus_costs.json").write_text(json.dumps(out, indent=1))
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
