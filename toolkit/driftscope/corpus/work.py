"""One corpus document, start to finish: ingest, embed, ``pipeline.run_documents``, rows.

Layer: corpus. Both engines run exactly these functions, so they give identical tables: the
local engine calls :func:`process` in a worker; the Ray engine runs :func:`prepare` and
:func:`embed_versions` in its embedding actors and :func:`analyse` in a Ray task. Every
document's segments are embedded in one ``encoder.encode`` call per version, as
``pipeline.run_documents`` embeds them, so float32 vectors match bit for bit whichever process
computed them; the aligner's window concatenations are embedded later by the same encoder.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from driftscope.corpus.inputs import Job
from driftscope.corpus.tables import DocRows, error_rows, result_rows
from driftscope.embed import Encoder
from driftscope.errors import DriftscopeError, InputError
from driftscope.ingest import load_manifest, read_versions, text_document
from driftscope.model import Document, RunResult
from driftscope.pipeline import PipelineConfig, run_documents

log = logging.getLogger(__name__)


class PrecomputedEncoder:
    """An encoder whose segment vectors were computed elsewhere (the embedding actors).

    Texts in ``vectors`` come back as given; any other text (window concatenations, texts of
    another document) goes to ``fallback``. Every other attribute (``model`` for token
    vectors, ...) is the fallback's, so the run's signature is the fallback's.

    Args:
        vectors: text -> (d,) float32 unit-norm vector.
        fallback: the encoder that computed them.
    """

    def __init__(self, vectors: Mapping[str, np.ndarray], fallback: Encoder) -> None:
        self._vectors = dict(vectors)
        self._fallback = fallback

    def __getattr__(self, name: str) -> Any:
        return getattr(self._fallback, name)

    @property
    def id(self) -> str:
        return self._fallback.id

    @property
    def revision(self) -> str:
        return self._fallback.revision

    @property
    def prompt(self) -> str:
        return self._fallback.prompt

    @property
    def dim(self) -> int:
        return self._fallback.dim

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), dim) float32 unit rows; unknown texts are embedded by the fallback."""
        texts = list(texts)
        missing = list(dict.fromkeys(t for t in texts if t not in self._vectors))
        extra = dict(zip(missing, self._fallback.encode(missing), strict=True)) if missing else {}
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        return np.stack([self._vectors[t] if t in self._vectors else extra[t] for t in texts])


@dataclass(frozen=True, slots=True)
class Prepared:
    """A job with its versions ingested (``docs`` empty and ``error`` set when that failed)."""

    job: Job
    docs: tuple[Document, ...] = ()
    error: str = ""


def _one_line(err: BaseException) -> str:
    text = " ".join(str(err).split()) or type(err).__name__
    return text if isinstance(err, DriftscopeError) else f"{type(err).__name__}: {text}"


def prepare(job: Job) -> Prepared:
    """Read or segment the job's versions; a bad document gives ``error``, never a raise."""
    if job.error:
        return Prepared(job, error=job.error)
    try:
        if job.manifest:
            docs = read_versions(load_manifest(job.manifest))
        else:
            docs = tuple(
                text_document(
                    v.text,
                    v.lang or None,
                    doc_id=v.id,
                    source=v.source,
                    presegmented=job.presegmented,
                    role=v.role,
                    check_lang=v.lang_given,
                )
                for v in job.versions
            )
    except DriftscopeError as err:
        return Prepared(job, error=_one_line(err))
    return Prepared(job, docs)


def embed_versions(prep: Prepared, encoder: Encoder, tokens: bool = True) -> dict[str, np.ndarray]:
    """Vectors of every segment of every version: text -> (d,) float32 (one call a version).

    ``tokens`` (the run's ``terms``): with an encoder that has ``encode_caching_tokens``, the
    forward pass of an uncached segment also yields its token states and writes them to the
    embedding cache, where the analysis (:func:`analyse`, the pipeline) finds them; with
    ``encode`` alone the analysis ran a second forward pass over every segment of a cold run."""
    caching = getattr(encoder, "encode_caching_tokens", None) if tokens else None
    out: dict[str, np.ndarray] = {}
    for doc in prep.docs:
        texts = list(doc.texts)
        vecs = caching(texts) if caching is not None else encoder.encode(texts)
        out.update(zip(texts, vecs, strict=True))
    return out


def merge(results: Sequence[RunResult], title: str) -> RunResult:
    """One RunResult of a document from its per-chain runs (comparisons in chain order)."""
    first = results[0]
    seen: dict[str, Document] = {}
    for r in results:
        for d in r.documents:
            seen.setdefault(d.doc_id, d)
    longest = max(results, key=lambda r: len(r.chain))
    return replace(
        first,
        documents=tuple(seen.values()),
        comparisons=tuple(c for r in results for c in r.comparisons),
        chain=longest.chain,
        title=title,
        extras=dict(longest.extras) if len(longest.chain) > 2 else {},
    )


def run_prepared(prep: Prepared, encoder: Encoder, cfg: PipelineConfig) -> RunResult:
    """The document's RunResult: ``pipeline.run_documents`` once per chain, merged.

    Raises:
        DriftscopeError: whatever the pipeline raises for this document.
    """
    if not prep.docs:
        raise InputError(prep.error or f"{prep.job.doc_id}: no versions")
    known = {d.doc_id for d in prep.docs}
    chains = [c for c in prep.job.chains if all(v in known for v in c)]
    if not chains:
        raise InputError(f"{prep.job.doc_id}: no comparison between the versions {sorted(known)}")
    results = [run_documents(prep.docs, ch, cfg, encoder=encoder) for ch in chains]
    return merge(results, prep.job.doc_id)


def analyse(
    prep: Prepared,
    vectors: Mapping[str, np.ndarray],
    fallback: Encoder,
    cfg: PipelineConfig,
    want_report: bool = False,
) -> DocRows:
    """Rows of one prepared document (an error row when it fails); never raises for data.

    Args:
        prep: from :func:`prepare`.
        vectors: from :func:`embed_versions` (possibly computed in another process).
        fallback: the encoder for texts not in ``vectors``.
        cfg: pipeline settings.
        want_report: also render the per-document HTML report into ``DocRows.report``.
    """
    job = prep.job
    if prep.error:
        return error_rows(job.doc_id, job.index, job.key, prep.error)
    try:
        result = run_prepared(prep, PrecomputedEncoder(vectors, fallback), cfg)
        report = ""
        if want_report:
            from driftscope.report.html import render_html

            report = render_html(result)
    except DriftscopeError as err:
        return error_rows(job.doc_id, job.index, job.key, _one_line(err))
    except (ValueError, IndexError, FloatingPointError, np.linalg.LinAlgError) as err:
        # A document that breaks an internal step must not stop the corpus: keep the reason.
        log.warning("document %s failed: %s", job.doc_id, _one_line(err))
        return error_rows(job.doc_id, job.index, job.key, _one_line(err))
    return replace(result_rows(result, job.doc_id, job.index, job.key), report=report)


def embed_prepared(
    prep: Prepared, encoder: Encoder, tokens: bool = True
) -> tuple[Prepared, dict[str, np.ndarray]]:
    """:func:`embed_versions`, with a failure turned into the document's error."""
    if prep.error:
        return prep, {}
    try:
        return prep, embed_versions(prep, encoder, tokens)
    except (DriftscopeError, ValueError, RuntimeError) as err:  # this document only
        return Prepared(prep.job, error=f"embedding failed: {_one_line(err)}"), {}


def process(job: Job, encoder: Encoder, cfg: PipelineConfig, want_report: bool = False) -> DocRows:
    """The whole document in this process (the local engine's unit of work)."""
    prep, vectors = embed_prepared(prepare(job), encoder, cfg.terms)
    return analyse(prep, vectors, encoder, cfg, want_report)
