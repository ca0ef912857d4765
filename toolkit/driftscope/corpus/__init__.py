"""Corpus scale: the whole pipeline over many documents, resumable, locally or on Ray.

Layer: corpus, above ``pipeline`` (it runs ``pipeline.run_documents`` per document) and below
``cli``. Importing it imports neither ray nor pyarrow nor torch.
"""

from __future__ import annotations

from driftscope.corpus.engine_local import EngineError
from driftscope.corpus.engine_ray import RayOptions
from driftscope.corpus.inputs import Job, LineParallel, iter_jobs, plan_chains
from driftscope.corpus.run import ENGINES, CorpusConfig, corpus_signature, coverage, run_corpus
from driftscope.corpus.store import TABLES
from driftscope.corpus.summary import CorpusSummary

__all__ = [
    "ENGINES",
    "TABLES",
    "CorpusConfig",
    "CorpusSummary",
    "EngineError",
    "Job",
    "LineParallel",
    "RayOptions",
    "corpus_signature",
    "coverage",
    "iter_jobs",
    "plan_chains",
    "run_corpus",
]
