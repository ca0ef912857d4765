"""``run_corpus``: the whole pipeline over a corpus, resumable, on the local or the Ray engine.

Layer: corpus (above ``pipeline``, below ``cli``). The driver streams the input once: each
document's key goes to the order file, a document already committed under the same signature
is skipped, the rest go to the engine, and each result is committed as it arrives. When every
document is committed the tables, ``index.html`` and the summary are written from the
committed results, so both engines, and a run resumed after a kill, give the same tables.
"""

from __future__ import annotations

import itertools
import logging
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from driftscope.corpus.engine_local import run_local
from driftscope.corpus.engine_ray import RayOptions
from driftscope.corpus.inputs import Job, LineParallel, iter_jobs
from driftscope.corpus.store import Store
from driftscope.corpus.summary import CorpusSummary
from driftscope.corpus.tables import DocRows
from driftscope.coverage import CoverageReport
from driftscope.embed import get_encoder
from driftscope.errors import ConfigError, InputError, OutputError
from driftscope.ingest.paths import refuse_inside_inputs
from driftscope.model import to_dict
from driftscope.pipeline import PipelineConfig, run_signature

log = logging.getLogger(__name__)
ENGINES = ("local", "ray")
#: ``progress(done, skipped, errors)`` after each document (done counts skipped ones too).
Progress = Callable[[int, int, int], None]


@dataclass(frozen=True, slots=True)
class CorpusConfig:
    """Settings of a corpus run.

    Attributes:
        pipeline: per-document pipeline settings (model, seed, flags ...).
        engine: ``"local"`` (process pool) or ``"ray"``.
        workers: local worker processes (0: one per core).
        ray: Ray settings (``engine == "ray"``).
        presegmented: line-parallel and table texts have one segment per line.
        all_pairs: compare every pair of versions too (the full coverage matrix).
        reports: write each document's HTML report under ``reports/``.
        index: write ``index.html``.
        quiet: no Ray progress bars or Ray logs.
        title: title of ``index.html``.
    """

    pipeline: PipelineConfig = field(default_factory=PipelineConfig)
    engine: str = "local"
    workers: int = 0
    ray: RayOptions = field(default_factory=RayOptions)
    presegmented: bool = False
    all_pairs: bool = False
    reports: bool = False
    index: bool = True
    quiet: bool = False
    title: str = "driftscope corpus"

    def __post_init__(self) -> None:
        if self.engine not in ENGINES:
            raise ConfigError(f"engine must be one of {', '.join(ENGINES)}, not {self.engine!r}")
        if self.workers < 0:
            raise ConfigError(f"workers must be 0 (one per core) or more, not {self.workers}")
        if self.ray.num_gpus < 0 or self.ray.batch_size < 0 or self.ray.actors < 0:
            raise ConfigError("--num-gpus, the batch size and the actors must be >= 0")


def corpus_signature(cfg: CorpusConfig) -> dict[str, object]:
    """What determines the tables: the pipeline's signature and the corpus options.

    The engine is not part of it: both engines give the same tables, and a run started on one
    can be resumed on the other.
    """
    enc = get_encoder(cfg.pipeline.model, prompt=cfg.pipeline.prompt)
    return {
        "kind": "driftscope.corpus",
        "pipeline": to_dict(run_signature(cfg.pipeline, enc)),
        "corpus": {"presegmented": cfg.presegmented, "all_pairs": cfg.all_pairs},
    }


def _input_paths(source: Path | LineParallel) -> list[Path]:
    if isinstance(source, LineParallel):
        extra = [source.doc_ids] if source.doc_ids is not None else []
        return [p for _, p in source.versions] + extra
    return [Path(source)]


def check_paths(source: Path | LineParallel, out: Path) -> None:
    """Refuse an output folder that is an input, lies inside an input folder or holds an input.

    Outputs live in a folder of their own: tables written next to an input could replace it
    (``documents.parquet`` as input and output) or be read back as input by the next run.

    Raises:
        OutputError: naming the input in the way.
    """
    inputs = _input_paths(source)
    refuse_inside_inputs(out, inputs)
    target = out.resolve()
    for p in inputs:
        real = p.resolve()
        if real == target:
            raise OutputError(f"{out}: is the input {p}; write the output elsewhere")
        if target in real.parents:
            raise OutputError(f"{out}: holds the input {p}; write the output elsewhere")


def _engine(cfg: CorpusConfig, jobs: Iterator[Job], store: Store) -> Iterator[DocRows]:
    if cfg.engine == "ray":
        from driftscope.corpus.engine_ray import run_ray

        return run_ray(jobs, cfg.pipeline, store.work, cfg.ray, reports=cfg.reports,
                       quiet=cfg.quiet)  # fmt: skip
    return run_local(jobs, cfg.pipeline, workers=cfg.workers, reports=cfg.reports)


def run_corpus(
    source: Path | LineParallel,
    out: Path,
    cfg: CorpusConfig | None = None,
    *,
    progress: Progress | None = None,
    keep_per_doc: bool = False,
) -> CorpusSummary:
    """Run the pipeline over every document of ``source`` into the folder ``out``.

    Args:
        source: a folder of manifests, a JSONL/Parquet table, or line-parallel files.
        out: output folder (created; a rerun with the same signature resumes).
        cfg: settings.
        progress: see :data:`Progress`.
        keep_per_doc: keep per-document coverage in the summary (``driftscope coverage``).
    Returns:
        The summary: counts and the aggregates behind ``index.html``.
    Raises:
        InputError: the input as a whole is unreadable or holds no document (broken
            documents become error rows).
        OutputError: ``out`` cannot be written, or is or holds an input (:func:`check_paths`).
        EngineError: the engine failed; what was committed stays, a rerun resumes.
    """
    cfg = cfg or CorpusConfig()
    check_paths(source, out)
    jobs = iter_jobs(source, presegmented=cfg.presegmented, all_pairs=cfg.all_pairs)
    first = next(jobs, None)  # the input is read (and found readable) before out is created
    if first is None:
        where = source.versions[0][1] if isinstance(source, LineParallel) else source
        raise InputError(f"{where}: no documents")
    store = Store(out, corpus_signature(cfg))
    summary = CorpusSummary(keep_per_doc=keep_per_doc, reports=cfg.reports)
    report = progress or (lambda _d, _s, _e: None)
    counts = {"done": 0, "errors": 0}
    with store.order() as add:

        def pending() -> Iterator[Job]:
            for job in itertools.chain([first], jobs):
                add(job.index, job.key, job.doc_id)
                if store.done(job.key):
                    summary.skipped += 1
                    counts["done"] += 1
                    report(counts["done"], summary.skipped, counts["errors"])
                    continue
                yield job

        for rows in _engine(cfg, pending(), store):
            store.commit(rows)
            summary.processed += 1
            counts["done"] += 1
            counts["errors"] += not rows.ok
            report(counts["done"], summary.skipped, counts["errors"])
    store.write_tables(summary.add)
    if cfg.index:
        from driftscope.report.corpus_html import render_corpus_html

        sig = store.signature["pipeline"]
        short = f"{sig['encoder']}|seed:{sig['seed']}|sig:{store.sig}"
        store.write_index(render_corpus_html(summary.index_data(cfg.title, short)))
    return summary


def coverage(
    source: LineParallel, cfg: CorpusConfig | None = None, *, progress: Progress | None = None
) -> CoverageReport:
    """Coverage of the original by every version (the ``driftscope coverage`` view).

    The same engine as :func:`run_corpus` with ``all_pairs`` (the full matrix), in a scratch
    folder; documents that fail are left out of the counts (and logged).
    """
    cfg = replace(cfg or CorpusConfig(), all_pairs=True, index=False, reports=False)
    with tempfile.TemporaryDirectory(prefix="driftscope-coverage-") as tmp:
        summary = run_corpus(source, Path(tmp), cfg, progress=progress, keep_per_doc=True)
    for err in summary.error_rows:
        log.warning("left out of the coverage: %s", err["error"])
    return summary.coverage()
