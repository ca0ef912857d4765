"""Public flag API: one comparison, or a chain of hops with each problem put on its first hop.

The functions take documents, beads and similarities or vectors; they never embed or align,
so they do not depend on the aligner's internals (the pipeline and CLI do that wiring).
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Mapping, Sequence

import numpy as np

from driftscope.errors import ConfigError
from driftscope.model import Bead, Document, Flag, Span
from driftscope.quality.calibrate import Baseline
from driftscope.quality.evidence import BeadEvidence, bead_evidence
from driftscope.quality.flags import FlagConfig, rule_flags, severity_at_least
from driftscope.quality.probe import TextEncoder, reversal_probes
from driftscope.quality.text import main_script
from driftscope.quality.tokens import TokenVectors, WordSupport, word_support
from driftscope.quality.wordalign import concat_tokens

# Flags of one family describe the same underlying problem when they meet across hops.
_FAMILY = {
    "low_similarity": "meaning",
    "suspicious_term": "meaning",
    "meaning_reversal": "meaning",
    "omission": "meaning",
    "addition": "meaning",
    "untranslated": "lang",
    "duplicate": "dup",
    "number_mismatch": "num",
    "entity_mismatch": "ent",
    "broken_segment": "broken",
}


def _localise(span: Span, doc: Document, segs: tuple[int, ...]) -> Span:
    """Turn a span over the bead's joined text into one inside the right segment."""
    pos = 0
    for i in segs:
        t = doc.segments[i].text
        if span.start < pos + len(t) + 1 or i == segs[-1]:
            a = max(0, span.start - pos)
            b = min(len(t), max(a, span.end - pos))
            return Span(span.version, i, a, b, t[a:b])
        pos += len(t) + 1
    return span


def _nearest_src(
    tgt_idx: tuple[int, ...], src_vecs: np.ndarray | None, tgt_vecs: np.ndarray | None
) -> tuple[int, ...]:
    """The source segment most similar to an unaligned target passage (for term support)."""
    if src_vecs is None or tgt_vecs is None or not len(src_vecs):
        return ()
    v = tgt_vecs[list(tgt_idx)].astype(np.float64).sum(axis=0)
    return (int(np.argmax(src_vecs.astype(np.float64) @ v)),)


def _bead_support(
    ev: Sequence[BeadEvidence],
    src_tokens: Sequence[TokenVectors],
    tgt_tokens: Sequence[TokenVectors],
    rng: np.random.Generator,
    src_vecs: np.ndarray | None = None,
    tgt_vecs: np.ndarray | None = None,
) -> list[list[WordSupport]]:
    full = []
    for e in ev:
        if e.tgt:
            src_idx = e.src or _nearest_src(e.tgt, src_vecs, tgt_vecs)
            if src_idx:
                full.append((e, src_idx))
    pairs = [
        (
            concat_tokens([src_tokens[i] for i in si]),
            concat_tokens([tgt_tokens[i] for i in e.tgt]),
        )
        for e, si in full
    ]
    sup = word_support(pairs, rng) if len(pairs) >= 2 else [[] for _ in pairs]
    # Function words ("that", "with") are aligned loosely by every method; a word used in many
    # segments of this very document is treated as one (a document-relative stop list).
    df: Counter[str] = Counter()
    for t in tgt_tokens:
        df.update({w.lower() for w in t.text.split()})
    common = {w for w, c in df.items() if c >= max(3, 0.1 * len(tgt_tokens))}
    out: list[list[WordSupport]] = [[] for _ in ev]
    for (e, _), s in zip(full, sup, strict=True):
        out[e.index] = [w for w in s if w.text.lower() not in common]
    return out


def flag_comparison(
    src: Document,
    tgt: Document,
    beads: Sequence[Bead],
    *,
    cosines: Sequence[float] | None = None,
    src_vecs: np.ndarray | None = None,
    tgt_vecs: np.ndarray | None = None,
    src_tokens: Sequence[TokenVectors] | None = None,
    tgt_tokens: Sequence[TokenVectors] | None = None,
    cfg: FlagConfig | None = None,
    rng: np.random.Generator | None = None,
    prior: Baseline | None = None,
    min_severity: str = "low",
    hop: str | None = None,
    encoder: TextEncoder | None = None,
) -> tuple[Flag, ...]:
    """Flags for one aligned pair of versions.

    Args:
        src, tgt: the two versions (segments' ``lang`` fields feed the language checks).
        beads: the alignment (any aligner); indices into ``src.segments``/``tgt.segments``.
        cosines: per-bead raw cosines (nan for empty sides), or give the vectors instead.
        src_vecs, tgt_vecs: (n_segments, d) float32 unit rows; the random-pair baseline is
            sampled from them (preferred: calibration is then per encoder and per pair).
        src_tokens, tgt_tokens: per-segment :class:`TokenVectors` for suspicious-term flags
            (from :func:`driftscope.quality.tokens.embed_tokens`); omitted -> no term flags.
        cfg: thresholds; rng: random-pair sampling (default seed 0); prior: baseline for
            documents too short to calibrate on their own.
        min_severity: drop flags below this severity.
        hop: hop label (default ``"{src.doc_id}-{tgt.doc_id}"``).
        encoder: encodes each meaning-reversal candidate once more with its unmatched cue
            deleted (:mod:`driftscope.quality.probe`, which decides its severity); omitted ->
            reversals stay ``low``.
    Returns:
        Flags ordered by bead, spans localised to segments.
    """
    cfg = cfg or FlagConfig()
    rng = rng if rng is not None else np.random.default_rng(0)
    hop = hop or f"{src.doc_id}-{tgt.doc_id}"
    if src_tokens is not None and tgt_tokens is not None:
        if len(src_tokens) != len(src.segments) or len(tgt_tokens) != len(tgt.segments):
            raise ConfigError("token vectors must be given for every segment of each document")
    ev, baseline = bead_evidence(
        src, tgt, beads, cosines=cosines, src_vecs=src_vecs, tgt_vecs=tgt_vecs, rng=rng,
        prior=prior, src_tokens=src_tokens, tgt_tokens=tgt_tokens,
    )  # fmt: skip
    if encoder is not None and baseline is not None:
        gain = reversal_probes(ev, encoder, baseline)
        ev = tuple(dataclasses.replace(e, probe=gain[e.index]) if e.index in gain else e
                   for e in ev)  # fmt: skip
    support = None
    if src_tokens is not None and tgt_tokens is not None:
        support = _bead_support(ev, src_tokens, tgt_tokens, rng, src_vecs, tgt_vecs)
    same_script = main_script(" ".join(src.texts[:200])) == main_script(" ".join(tgt.texts[:200]))
    flags = rule_flags(
        ev, hop, src.doc_id, tgt.doc_id, cfg, src.lang, tgt.lang, support, same_script
    )
    out = []
    for f in flags:
        if not severity_at_least(f.severity, min_severity):
            continue
        spans = tuple(
            _localise(
                s,
                src if s.version == src.doc_id else tgt,
                f.src if s.version == src.doc_id else f.tgt,
            )
            for s in f.spans
        )
        out.append(dataclasses.replace(f, spans=spans))
    return tuple(out)


def _project(segs: set[int], beads: Sequence[Bead], forward: bool) -> set[int]:
    out: set[int] = set()
    for b in beads:
        a, c = (b.src, b.tgt) if forward else (b.tgt, b.src)
        if segs.intersection(a):
            out.update(c)
    return out


def _touches(f: Flag, src_segs: set[int], tgt_segs: set[int]) -> bool:
    return bool(src_segs.intersection(f.src) or tgt_segs.intersection(f.tgt))


def flag_chain(
    docs: Sequence[Document],
    hop_beads: Sequence[Sequence[Bead]],
    *,
    vecs: Sequence[np.ndarray] | None = None,
    tokens: Sequence[Sequence[TokenVectors]] | None = None,
    hop_cosines: Sequence[Sequence[float]] | None = None,
    cfg: FlagConfig | None = None,
    rng: np.random.Generator | None = None,
    prior: Baseline | None = None,
    min_severity: str = "low",
    encoder: TextEncoder | None = None,
) -> tuple[tuple[Flag, ...], ...]:
    """Flags per hop of a chain ``docs[0] -> docs[1] -> ...``, each on the hop that introduced it.

    A flag at hop h whose source segments carry a flag of the same family at hop h-1 (on the
    target side) is the earlier problem carried along: it is dropped from hop h. (An omission
    of a segment the previous hop added is kept: it is a change at this hop.)

    Args:
        docs: k+1 versions, original first. hop_beads: k alignments (docs[h] -> docs[h+1]).
        vecs: k+1 (n_segments_h, d) float32 unit arrays, or ``hop_cosines`` (k per-bead lists).
        tokens: k+1 per-segment token-vector lists (optional, for suspicious terms).
        prior: baseline for a hop too short to calibrate on its own (see flag_comparison).
        encoder: for the meaning-reversal probe (see flag_comparison).
    Returns:
        k tuples of flags (hop labels ``"{docs[h].doc_id}-{docs[h+1].doc_id}"``).
    """
    if len(hop_beads) != len(docs) - 1:
        raise ConfigError(f"{len(docs)} versions need {len(docs) - 1} alignments")
    rng = rng if rng is not None else np.random.default_rng(0)
    raw: list[tuple[Flag, ...]] = []
    for h, beads in enumerate(hop_beads):
        raw.append(
            flag_comparison(
                docs[h],
                docs[h + 1],
                beads,
                cosines=hop_cosines[h] if hop_cosines is not None else None,
                src_vecs=vecs[h] if vecs is not None else None,
                tgt_vecs=vecs[h + 1] if vecs is not None else None,
                src_tokens=tokens[h] if tokens is not None else None,
                tgt_tokens=tokens[h + 1] if tokens is not None else None,
                cfg=cfg,
                rng=rng,
                prior=prior,
                min_severity=min_severity,
                encoder=encoder,
            )
        )
    out = [raw[0]] if raw else []
    for h in range(1, len(raw)):
        kept = []
        for f in raw[h]:
            prev = [g for g in raw[h - 1] if set(g.tgt).intersection(f.src)]
            inherited = any(
                _FAMILY[g.kind] == _FAMILY[f.kind] and g.kind != "addition" for g in prev
            )
            if not inherited:
                kept.append(f)
        out.append(tuple(kept))
    return tuple(out)


def attribute(
    direct: Sequence[Flag], hop_flags: Sequence[Sequence[Flag]], hop_beads: Sequence[Sequence[Bead]]
) -> tuple[Flag, ...]:
    """Put each flag of a direct original->final comparison on the hop that introduced it.

    The flag's segments are projected through the hop alignments; the first hop with a flag of
    the same family on the projected segments gets it (``hop`` replaced). Unmatched flags keep
    the direct hop label.
    """
    out = []
    for f in direct:
        fwd = [set(f.src)]
        for beads in hop_beads:
            fwd.append(_project(fwd[-1], beads, forward=True))
        bwd = [set(f.tgt)]
        for beads in reversed(hop_beads):
            bwd.append(_project(bwd[-1], beads, forward=False))
        bwd.reverse()
        hop = f.hop
        for h, flags in enumerate(hop_flags):
            if any(
                _FAMILY[g.kind] == _FAMILY[f.kind]
                and _touches(g, fwd[h] | bwd[h], fwd[h + 1] | bwd[h + 1])
                for g in flags
            ):
                hop = flags[0].hop
                break
        out.append(dataclasses.replace(f, hop=hop))
    return tuple(out)


def chain_summary(hop_flags: Sequence[Sequence[Flag]]) -> list[Mapping[str, float]]:
    """Per hop: new flags by severity and the cumulative count up to that hop."""
    rows: list[Mapping[str, float]] = []
    total = 0
    for flags in hop_flags:
        total += len(flags)
        row: dict[str, float] = {"new": float(len(flags)), "cumulative": float(total)}
        for sev in ("low", "medium", "high"):
            row[sev] = float(sum(f.severity == sev for f in flags))
        rows.append(row)
    return rows
