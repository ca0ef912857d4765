"""Flag rules: evidence -> :class:`driftscope.model.Flag`. Stage layer.

Every threshold is relative: calibrated similarity (0 = random pair of the same documents,
1 = the document's typical true pair), length ratio relative to the document's median, word
support relative to random source sentences. None is an absolute cosine.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

from driftscope.errors import ConfigError
from driftscope.model import SEVERITIES, Flag, Span
from driftscope.quality import text as tx
from driftscope.quality.evidence import BeadEvidence
from driftscope.quality.tokens import WordSupport


@dataclass(frozen=True, slots=True)
class FlagConfig:
    """Thresholds of the flag rules (all relative; see the module docstring)."""

    sim_medium: float = 0.3  # calibrated similarity below this: low_similarity, medium
    sim_high: float = 0.1  # ... below this: high (hardly closer than a random pair)
    sim_low: float = 0.5  # ... below this: low (closer to a random pair than to a typical one)
    omit_ratio: float = math.log(0.55)  # tgt shorter than 55 % of the expected length
    add_ratio: float = math.log(1.8)  # tgt longer than 180 % of the expected length
    ratio_sim: float = 0.8  # length rules need the similarity to be below this too
    min_words_high: int = 5  # a 1-0 / 0-1 bead of this many words or more is high severity
    lang_prob: float = 0.9  # langdetect probability needed to call a segment wrong-language
    lang_min_chars: int = 25
    repetition: float = 0.15  # tgt bigram repetition above the source's by this much
    term_support: float = 0.0  # word support (calibrated) below this: suspicious term, medium
    term_low: float = 0.1  # ... below this: low
    term_min_sim: float = 0.45  # ... only inside beads at least this similar
    term_max: int = 2  # at most this many suspicious terms per bead

    def __post_init__(self) -> None:
        if not self.sim_high <= self.sim_medium <= self.sim_low:
            raise ConfigError("need sim_high <= sim_medium <= sim_low")
        if not 0 < self.lang_prob <= 1:
            raise ConfigError("lang_prob must be in (0, 1]")

    def as_signature(self) -> dict[str, float]:
        return {k: round(float(v), 4) for k, v in asdict(self).items()}


# Languages whose space-separated units are syllables or that use no spaces: word support
# would judge syllables, so no term flags there (a word segmenter is not bundled).
_UNSPACED = ("vi", "zh", "ja", "th", "ko", "lo", "km", "my")


def severity_at_least(sev: str, minimum: str) -> bool:
    return SEVERITIES.index(sev) >= SEVERITIES.index(minimum)


def _nwords(text: str) -> int:
    return len(text.split())


def _f(x: float) -> float:
    return float(x) if x == x else float("nan")


def _unpaired(
    kind: str, e: BeadEvidence, hop: str, where: Span, cfg: FlagConfig, side: str, other: str
) -> Flag:
    """A 1-0 / 0-1 bead: ``high`` from ``cfg.min_words_high`` words of ``where.text`` on."""
    n = _nwords(where.text)
    sev = "high" if n >= cfg.min_words_high else "medium"
    note = f"{side} passage with no counterpart in the {other}"
    words = {"words": n}
    return Flag(kind, sev, hop, e.src, e.tgt, float(n), cfg.min_words_high, note, (where,), words)


def rule_flags(
    ev: Sequence[BeadEvidence],
    hop: str,
    src_version: str,
    tgt_version: str,
    cfg: FlagConfig = FlagConfig(),
    src_lang: str = "",
    tgt_lang: str = "",
    support: Sequence[Sequence[WordSupport]] | None = None,
    same_script: bool = True,
) -> list[Flag]:
    """Apply every rule to every bead; ``support`` (per bead, may be empty) adds term flags.

    ``same_script``: whether both documents are written in one script. Word support leans on
    the lexical (lower-layer) token vectors, which only line up within a script: on clean
    en->ru NTREX a third of the sentences got a term below the threshold, so across scripts
    term flags stay ``low`` (shown with ``--severity low``).
    """
    flags: list[Flag] = []

    def span(version: str, segs: tuple[int, ...], text: str, a: int = 0, b: int = -1) -> Span:
        b = len(text) if b < 0 else b
        return Span(version, segs[0] if segs else -1, a, b, text[a:b])

    for e in ev:
        base = {
            "similarity": _f(e.similarity),
            "cosine": _f(e.cosine),
            "length_ratio": _f(e.length_ratio),
        }
        full = bool(e.src) and bool(e.tgt)
        # -- omission / addition of whole segments
        if e.src and not e.tgt:
            where = span(src_version, e.src, e.src_text)
            flags.append(_unpaired("omission", e, hop, where, cfg, "source", "target"))
            continue
        if e.tgt and not e.src and e.duplicate_of >= 0:
            flags.append(
                Flag(
                    "duplicate",
                    "high",
                    hop,
                    e.src,
                    e.tgt,
                    float(e.duplicate_of),
                    0.0,
                    f"repeats the target of bead {e.duplicate_of}; no source of its own",
                    (span(tgt_version, e.tgt, e.tgt_text),),
                    {"duplicate_of": e.duplicate_of},
                )
            )
            flags += _term_flags(
                e, support, hop, tgt_version, cfg, tgt_lang, False, span, same_script
            )
            continue
        if e.tgt and not e.src:
            where = span(tgt_version, e.tgt, e.tgt_text)
            flags.append(_unpaired("addition", e, hop, where, cfg, "target", "source"))
            flags += _term_flags(
                e, support, hop, tgt_version, cfg, tgt_lang, False, span, same_script
            )
            continue
        if not full:
            continue
        # -- untranslated / wrong language
        same_text = " ".join(e.src_text.split()) == " ".join(e.tgt_text.split())
        wrong = (
            e.tgt_lang
            and tgt_lang
            and e.tgt_lang != tgt_lang
            and e.tgt_lang_prob >= cfg.lang_prob
            and len(e.tgt_text) >= cfg.lang_min_chars
        )
        if (
            same_text
            and len(e.tgt_text) >= cfg.lang_min_chars
            and sum(c.isalpha() for c in e.tgt_text) >= 12
        ) or wrong:
            in_src = e.tgt_lang == src_lang or same_text
            # langdetect confuses close languages of one script (ru/bg/uk, id/ms): another
            # language in the expected script is only low; the source's language is high
            lang_sev = "high" if in_src else ("medium" if e.tgt_off_script else "low")
            flags.append(
                Flag(
                    "untranslated",
                    lang_sev,
                    hop,
                    e.src,
                    e.tgt,
                    _f(e.tgt_lang_prob),
                    cfg.lang_prob,
                    f"target is in {e.tgt_lang or src_lang!r}, expected {tgt_lang!r}"
                    + (" (left untranslated)" if in_src else ""),
                    (span(tgt_version, e.tgt, e.tgt_text),),
                    {**base, "lang_prob": e.tgt_lang_prob},
                )
            )
            continue
        # -- duplicates and loops
        if e.duplicate_of >= 0:
            flags.append(
                Flag(
                    "duplicate",
                    "high",
                    hop,
                    e.src,
                    e.tgt,
                    float(e.duplicate_of),
                    0.0,
                    f"same target text as bead {e.duplicate_of}, for a different source",
                    (span(tgt_version, e.tgt, e.tgt_text),),
                    {**base, "duplicate_of": e.duplicate_of},
                )
            )
        elif e.repetition > cfg.repetition and e.repeat is not None:
            sev = "high" if e.repetition > 2 * cfg.repetition else "medium"
            flags.append(
                Flag(
                    "duplicate",
                    sev,
                    hop,
                    e.src,
                    e.tgt,
                    e.repetition,
                    cfg.repetition,
                    f"phrase repeated inside the segment: {e.repeat.text!r}",
                    (span(tgt_version, e.tgt, e.tgt_text, e.repeat.start, e.repeat.end),),
                    {**base, "repetition": e.repetition},
                )
            )
        # -- similarity
        low_sim = False
        if e.similarity == e.similarity and e.similarity < cfg.sim_low:
            sev = (
                "high"
                if e.similarity < cfg.sim_high
                else "medium"
                if e.similarity < cfg.sim_medium
                else "low"
            )
            thr = {"high": cfg.sim_high, "medium": cfg.sim_medium, "low": cfg.sim_low}[sev]
            low_sim = sev != "low"
            flags.append(
                Flag(
                    "low_similarity",
                    sev,
                    hop,
                    e.src,
                    e.tgt,
                    e.similarity,
                    thr,
                    "meaning badly changed or garbled (calibrated similarity "
                    f"{e.similarity:.2f}; 0 = random pair, 1 = typical)",
                    (span(src_version, e.src, e.src_text), span(tgt_version, e.tgt, e.tgt_text)),
                    base,
                )
            )
        # -- partial omission / addition by length
        sim_ok = e.similarity != e.similarity or e.similarity < cfg.ratio_sim
        if e.length_ratio == e.length_ratio and sim_ok and not low_sim:
            if e.length_ratio < cfg.omit_ratio:
                sev = "medium" if _nwords(e.src_text) >= cfg.min_words_high else "low"
                flags.append(
                    Flag(
                        "omission",
                        sev,
                        hop,
                        e.src,
                        e.tgt,
                        e.length_ratio,
                        cfg.omit_ratio,
                        "target much shorter than its source: part "
                        "of the source is probably missing",
                        (span(src_version, e.src, e.src_text),),
                        base,
                    )
                )
            elif e.length_ratio > cfg.add_ratio:
                sev = "medium" if _nwords(e.tgt_text) >= cfg.min_words_high else "low"
                flags.append(
                    Flag(
                        "addition",
                        sev,
                        hop,
                        e.src,
                        e.tgt,
                        e.length_ratio,
                        cfg.add_ratio,
                        "target much longer than its source: probably added content",
                        (span(tgt_version, e.tgt, e.tgt_text),),
                        base,
                    )
                )
        # -- numbers
        if e.numbers_missing or e.numbers_extra:
            n = len(e.numbers_missing) + len(e.numbers_extra)
            spans = tuple(
                span(src_version, e.src, e.src_text, m.start, m.end) for m in e.numbers_missing
            ) + tuple(span(tgt_version, e.tgt, e.tgt_text, m.start, m.end) for m in e.numbers_extra)
            # a value swapped for another (2015 -> 2013, S-300 -> S-400) is medium; a number
            # only on one side, or one a unit conversion explains, is low
            unexplained_miss = [
                m
                for m in e.numbers_missing
                if not any(tx.explained(m.key, x.key) for x in e.numbers_extra)
            ]
            unexplained_extra = [
                x
                for x in e.numbers_extra
                if not any(tx.explained(m.key, x.key) for m in e.numbers_missing)
            ]
            sev = "medium" if unexplained_miss and unexplained_extra else "low"
            flags.append(
                Flag(
                    "number_mismatch",
                    sev,
                    hop,
                    e.src,
                    e.tgt,
                    float(n),
                    0.0,
                    "numbers differ: missing "
                    f"{[m.text for m in e.numbers_missing]}, extra "
                    f"{[m.text for m in e.numbers_extra]}",
                    spans,
                    base,
                )
            )
        # -- entities
        if e.entities_altered:
            # romanising Cyrillic is regular, English names in Cyrillic are phonetic
            # (Kavanaugh -> Кавано): a near miss only counts when the target is in Latin script
            ent_sev = "medium" if tx.main_script(e.tgt_text) == "latin" else "low"
            spans = tuple(
                span(src_version, e.src, e.src_text, m.start, m.end) for m in e.entities_altered
            )
            flags.append(
                Flag(
                    "entity_mismatch",
                    ent_sev,
                    hop,
                    e.src,
                    e.tgt,
                    float(len(e.entities_altered)),
                    0.0,
                    "names changed in the target (transliteration-aware): "
                    f"{[m.text for m in e.entities_altered]}",
                    spans,
                    base,
                )
            )
        # -- broken segments (only where the source was whole)
        if e.broken_tgt and not e.broken_src:
            flags.append(
                Flag(
                    "broken_segment",
                    "medium",
                    hop,
                    e.src,
                    e.tgt,
                    1.0,
                    0.0,
                    "target segment ends mid-sentence",
                    (span(tgt_version, e.tgt, e.tgt_text),),
                    base,
                )
            )
        # -- surface problems at a place in the target: one medium flag per mention
        for field, kind, note in _AT_PLACE:
            for m in getattr(e, field):
                flags.append(
                    Flag(
                        kind,
                        "medium",
                        hop,
                        e.src,
                        e.tgt,
                        1.0,
                        0.0,
                        note.format(m.text),
                        (span(tgt_version, e.tgt, e.tgt_text, m.start, m.end),),
                        base,
                    )
                )
        # -- script mixing
        if e.script_mix > 0.2 and not low_sim and not e.foreign:
            flags.append(
                Flag(
                    "untranslated",
                    "low",
                    hop,
                    e.src,
                    e.tgt,
                    e.script_mix,
                    0.2,
                    "target mixes scripts (words of another script)",
                    (span(tgt_version, e.tgt, e.tgt_text),),
                    {**base, "script_mix": e.script_mix},
                )
            )
        flags += _term_flags(
            e, support, hop, tgt_version, cfg, tgt_lang, low_sim, span, same_script
        )
    return flags


# Evidence fields holding target mentions that each give one medium flag: (field, kind, note).
_AT_PLACE = (
    ("inner_breaks", "broken_segment", "sentence broken inside the segment: {!r}"),
    ("times_invented", "number_mismatch", "time {!r} is not in the source, which states no time"),
    ("broken_compounds", "suspicious_term",
     "broken compound {!r}: the hyphen is attached to one word only"),
    ("foreign", "untranslated", "words left in the source script: {!r}"),
)  # fmt: skip


def _term_flags(
    e: BeadEvidence,
    support: Sequence[Sequence[WordSupport]] | None,
    hop: str,
    tgt_version: str,
    cfg: FlagConfig,
    tgt_lang: str,
    low_sim: bool,
    span: Callable[..., Span],
    same_script: bool = True,
) -> list[Flag]:
    """Suspicious terms: the target words of a bead least supported by its source (for a 0-1
    bead, by the most similar source segment)."""
    if support is None or not support[e.index] or low_sim or tgt_lang in _UNSPACED:
        return []
    if e.similarity == e.similarity and e.similarity < cfg.term_min_sim:
        return []
    weak = sorted(
        (
            w
            for w in support[e.index]
            if w.calibrated == w.calibrated
            and w.calibrated < cfg.term_low
            and sum(c.isalpha() for c in w.text) >= 4
        ),
        key=lambda w: w.calibrated,
    )[: cfg.term_max]
    out = []
    for w in weak:
        sev = "medium" if w.calibrated < cfg.term_support and same_script else "low"
        out.append(
            Flag(
                "suspicious_term",
                sev,
                hop,
                e.src,
                e.tgt,
                w.calibrated,
                cfg.term_support,
                f"target word {w.text!r} is poorly supported by the source",
                (span(tgt_version, e.tgt, e.tgt_text, w.start, w.end),),
                {"similarity": _f(e.similarity), "support": w.support, "support_random": w.random},
            )
        )
    return out
