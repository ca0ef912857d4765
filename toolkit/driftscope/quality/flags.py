"""Flag rules: evidence -> :class:`driftscope.model.Flag`. Stage layer.

Every threshold is relative: calibrated similarity (0 = random pair of the same documents,
1 = the document's typical true pair), length ratio relative to the document's median, word
support relative to random source sentences. None is an absolute cosine.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from driftscope.errors import ConfigError
from driftscope.model import SEVERITIES, Flag, Span
from driftscope.quality import text as tx
from driftscope.quality.evidence import BeadEvidence
from driftscope.quality.numbers import states_number_of
from driftscope.quality.probe import PROBE_MEDIUM, main_reversal
from driftscope.quality.timex import RELATIVE_DAYS
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
    # word support below term_support: a medium suspicious term, if term_medium (off: all 15
    # on the dev sets were on faithful Text+Berg and ParIce translations; README)
    term_medium: bool = False
    term_support: float = -0.8
    term_low: float = 0.1  # ... below this: low
    term_min_sim: float = 0.45  # ... only inside beads at least this similar
    term_max: int = 2  # at most this many suspicious terms per bead
    # an invented part of the day whose word is supported like a typical word of the document
    # (calibrated 1, the scale's own anchor) is said by the source in other words: low
    time_support: float = 1.0

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


@dataclass(frozen=True, slots=True)
class _Ctx:
    """What every rule needs besides the bead: the pair's names, languages and thresholds."""

    hop: str
    src_version: str
    tgt_version: str
    cfg: FlagConfig
    src_lang: str
    tgt_lang: str
    support: Sequence[Sequence[WordSupport]] | None
    same_script: bool

    def src(self, e: BeadEvidence, a: int = 0, b: int = -1) -> Span:
        """The span ``a:b`` (default: all) of the bead's source text."""
        return _span(self.src_version, e.src, e.src_text, a, b)

    def tgt(self, e: BeadEvidence, a: int = 0, b: int = -1) -> Span:
        """The span ``a:b`` (default: all) of the bead's target text."""
        return _span(self.tgt_version, e.tgt, e.tgt_text, a, b)

    def flag(
        self, kind: str, sev: str, e: BeadEvidence, value: float, threshold: float, note: str,
        spans: tuple[Span, ...], evidence: dict[str, Any],
    ) -> Flag:  # fmt: skip
        return Flag(kind, sev, self.hop, e.src, e.tgt, value, threshold, note, spans, evidence)


def _span(version: str, segs: tuple[int, ...], text: str, a: int = 0, b: int = -1) -> Span:
    end = len(text) if b < 0 else b
    return Span(version, segs[0] if segs else -1, a, end, text[a:end])


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

    ``same_script``: whether both documents are written in one script (word support leans on
    lexical token vectors, which line up within a script only: on clean en->ru NTREX a third
    of the sentences had a term below the threshold).
    """
    c = _Ctx(hop, src_version, tgt_version, cfg, src_lang, tgt_lang, support, same_script)
    flags: list[Flag] = []
    for e in ev:
        if not (e.src and e.tgt):
            flags += _unpaired(e, c)
            continue
        base = {
            "similarity": _f(e.similarity),
            "cosine": _f(e.cosine),
            "length_ratio": _f(e.length_ratio),
        }
        lang = _language(e, base, c)
        if lang is not None:  # a segment in the wrong language gets no other flag
            flags.append(lang)
            continue
        flags += _repetition(e, base, c)
        sim = _similarity(e, base, c)
        low_sim = sim is not None and sim.severity != "low"
        flags += [sim] if sim is not None else []
        flags += _length(e, base, c, low_sim)
        flags += _numbers_and_names(e, base, c)
        flags += _surface(e, base, c, low_sim)
        flags += _reversal(e, base, c, low_sim)
        flags += _term_flags(e, c, low_sim)
    return flags


def _unpaired(e: BeadEvidence, c: _Ctx) -> list[Flag]:
    """A 1-0 / 0-1 bead: ``high`` from ``cfg.min_words_high`` words on; a 0-1 bead repeating
    another bead's target is a duplicate instead of an addition; a 1-0 bead repeating the
    source of a translated bead is an omission of ``low`` severity (only the repeat is lost)."""
    if e.src and not e.tgt:
        kind, where, side, other = "omission", c.src(e), "source", "target"
    elif e.tgt and not e.src:
        kind, where, side, other = "addition", c.tgt(e), "target", "source"
    else:
        return []
    if e.tgt and e.duplicate_of >= 0:
        note = f"repeats the target of bead {e.duplicate_of}; no source of its own"
        dup = c.flag("duplicate", "high", e, float(e.duplicate_of), 0.0, note, (where,),
                     {"duplicate_of": e.duplicate_of})  # fmt: skip
        return [dup, *_term_flags(e, c, False)]
    n = _nwords(where.text)
    sev = "high" if n >= c.cfg.min_words_high else "medium"
    note = f"{side} passage with no counterpart in the {other}"
    extra: dict[str, Any] = {"words": n}
    if e.src_repeat_of >= 0:  # only a repetition of a translated passage is missing
        sev = "low"
        note += f"; it repeats the source of bead {e.src_repeat_of}, which is translated"
        extra["repeat_of"] = e.src_repeat_of
    out = [c.flag(kind, sev, e, float(n), c.cfg.min_words_high, note, (where,), extra)]
    return out + (_term_flags(e, c, False) if kind == "addition" else [])


def _language(e: BeadEvidence, base: dict[str, Any], c: _Ctx) -> Flag | None:
    """Untranslated (the source's text or language) or another language than expected."""
    cfg = c.cfg
    same_text = " ".join(e.src_text.split()) == " ".join(e.tgt_text.split())
    wrong = (
        e.tgt_lang
        and c.tgt_lang
        and e.tgt_lang != c.tgt_lang
        and e.tgt_lang_prob >= cfg.lang_prob
        and len(e.tgt_text) >= cfg.lang_min_chars
    )
    # a copy of names only ("Nanga Parbat , Cho Oyu , Gasherbrum .") reads so in any language
    copied = same_text and len(e.tgt_text) >= cfg.lang_min_chars and tx.has_common_word(e.tgt_text)
    if not (copied or wrong):
        return None
    # the source's language is "left untranslated" only when the target keeps the source's
    # words: a short translation langdetect takes for the source's language keeps none
    in_src = copied or (
        e.tgt_lang == c.src_lang and e.tgt_in_src >= 0.5 and tx.has_common_word(e.tgt_text)
    )
    # langdetect confuses close languages of one script (ru/bg/uk, id/ms): another language in
    # the expected script is only low; the source's language is high
    sev = "high" if in_src else ("medium" if e.tgt_off_script else "low")
    note = f"target is in {e.tgt_lang or c.src_lang!r}, expected {c.tgt_lang!r}" + (
        " (left untranslated)" if in_src else ""
    )
    return c.flag("untranslated", sev, e, _f(e.tgt_lang_prob), cfg.lang_prob, note, (c.tgt(e),),
                  {**base, "lang_prob": e.tgt_lang_prob})  # fmt: skip


def _repetition(e: BeadEvidence, base: dict[str, Any], c: _Ctx) -> list[Flag]:
    """The same target text for two sources, or a phrase looping inside the segment."""
    if e.duplicate_of >= 0:
        note = f"same target text as bead {e.duplicate_of}, for a different source"
        # sources that differ in form only, or a bead at least as similar as the document's
        # typical pair (calibrated 1): the target translates this source too (a set phrase)
        sev = "low" if e.duplicate_near or e.similarity >= 1.0 else "high"
        return [c.flag("duplicate", sev, e, float(e.duplicate_of), 0.0, note, (c.tgt(e),),
                       {**base, "duplicate_of": e.duplicate_of})]  # fmt: skip
    if e.repetition > c.cfg.repetition and e.repeat is not None:
        sev = "high" if e.repetition > 2 * c.cfg.repetition else "medium"
        if sev == "medium" and e.src_repeats:
            # a loop is an MT symptom where the source has none; where the source repeats a
            # phrase too, more repeats in the target are the same figure of speech: low
            sev = "low"
        note = f"phrase repeated inside the segment: {e.repeat.text!r}"
        where = c.tgt(e, e.repeat.start, e.repeat.end)
        return [c.flag("duplicate", sev, e, e.repetition, c.cfg.repetition, note, (where,),
                       {**base, "repetition": e.repetition})]  # fmt: skip
    return []


def _similarity(e: BeadEvidence, base: dict[str, Any], c: _Ctx) -> Flag | None:
    """Calibrated similarity near a random pair's: meaning badly changed or garbled."""
    cfg = c.cfg
    if not (e.similarity == e.similarity and e.similarity < cfg.sim_low):
        return None
    if e.similarity < cfg.sim_high:
        sev, thr = "high", cfg.sim_high
    elif e.similarity < cfg.sim_medium:
        sev, thr = "medium", cfg.sim_medium
    else:
        sev, thr = "low", cfg.sim_low
    note = (
        f"meaning badly changed or garbled (calibrated similarity {e.similarity:.2f}; "
        "0 = random pair, 1 = typical)"
    )
    return c.flag("low_similarity", sev, e, e.similarity, thr, note, (c.src(e), c.tgt(e)), base)


def _length(e: BeadEvidence, base: dict[str, Any], c: _Ctx, low_sim: bool) -> list[Flag]:
    """Partial omission or addition: the target much shorter or longer than expected."""
    cfg = c.cfg
    sim_ok = e.similarity != e.similarity or e.similarity < cfg.ratio_sim
    if not (e.length_ratio == e.length_ratio and sim_ok and not low_sim):
        return []
    if e.length_ratio < cfg.omit_ratio:
        sev = "medium" if _nwords(e.src_text) >= cfg.min_words_high else "low"
        note = "target much shorter than its source: part of the source is probably missing"
        return [c.flag("omission", sev, e, e.length_ratio, cfg.omit_ratio, note, (c.src(e),),
                       base)]  # fmt: skip
    if e.length_ratio > cfg.add_ratio:
        sev = "medium" if _nwords(e.tgt_text) >= cfg.min_words_high else "low"
        note = "target much longer than its source: probably added content"
        return [c.flag("addition", sev, e, e.length_ratio, cfg.add_ratio, note, (c.tgt(e),),
                       base)]  # fmt: skip
    return []


def _numbers_and_names(e: BeadEvidence, base: dict[str, Any], c: _Ctx) -> list[Flag]:
    """Numbers and dates that differ; names altered across scripts."""
    out = []
    miss, extra = e.numbers_missing, e.numbers_extra
    if miss or extra:
        spans = tuple(c.src(e, m.start, m.end) for m in miss) + tuple(
            c.tgt(e, m.start, m.end) for m in extra
        )
        # a value swapped for another (2015 -> 2013, S-300 -> S-400) is medium; a number only
        # on one side, or one a unit conversion explains, is low
        lone_miss = [m for m in miss if not any(tx.explained(m.key, x.key) for x in extra)]
        lone_extra = [x for x in extra if not any(tx.explained(m.key, x.key) for m in miss)]
        sev = "medium" if lone_miss and lone_extra and not tx.same_digits(miss, extra) else "low"
        note = f"numbers differ: missing {[m.text for m in miss]}, extra {[m.text for m in extra]}"
        out.append(c.flag("number_mismatch", sev, e, float(len(miss) + len(extra)), 0.0, note,
                          spans, base))  # fmt: skip
    if e.entities_altered:
        # romanising Cyrillic is regular, English names in Cyrillic are phonetic (Kavanaugh ->
        # Кавано): a near miss only counts when the target is in Latin script
        sev = "medium" if tx.main_script(e.tgt_text) == "latin" else "low"
        spans = tuple(c.src(e, m.start, m.end) for m in e.entities_altered) + tuple(
            c.tgt(e, m.start, m.end) for m in e.entities_cut
        )
        note = (
            "names changed in the target (transliteration-aware): "
            f"{[m.text for m in e.entities_altered]}"
        )
        out.append(c.flag("entity_mismatch", sev, e, float(len(e.entities_altered)), 0.0, note,
                          spans, base))  # fmt: skip
    return out


# Evidence fields holding target mentions that each give one medium flag: (field, kind, note).
_AT_PLACE = (
    ("inner_breaks", "broken_segment", "sentence broken inside the segment: {!r}"),
    ("times_invented", "number_mismatch", "time {!r} is not in the source, which states no time"),
    ("broken_compounds", "suspicious_term",
     "broken compound {!r}: the hyphen is attached to one word only"),
    ("foreign", "untranslated", "words left in the source script: {!r}"),
)  # fmt: skip


def _surface(e: BeadEvidence, base: dict[str, Any], c: _Ctx, low_sim: bool) -> list[Flag]:
    """Broken sentences, invented times, broken compounds, words left in another script."""
    out = []
    # only where the source was whole: it ends a sentence and does not run on either
    if e.broken_tgt and not e.broken_src and tx.ends_sentence(e.src_text):
        note = "target segment ends mid-sentence"
        out.append(c.flag("broken_segment", "medium", e, 1.0, 0.0, note, (c.tgt(e),), base))
    for field, kind, note in _AT_PLACE:
        for m in getattr(e, field):
            ev, sev = base, "medium"
            if field == "times_invented":
                # a part of the day the source says in other words ("nocturnal" -> "ночные",
                # "nightclub" -> "ночной клуб") is supported by its source words: low
                sup = _support_at(c, e, m.start, m.end)
                ev = {**base, "support": sup}
                day = set(m.key.split("|")) <= RELATIVE_DAYS
                sev = "low" if day or sup >= c.cfg.time_support else "medium"
            out.append(c.flag(kind, sev, e, 1.0, 0.0, note.format(m.text),
                              (c.tgt(e, m.start, m.end),), ev))  # fmt: skip
    if e.script_mix > 0.2 and not low_sim and not e.foreign:
        note = "target mixes scripts (words of another script)"
        out.append(c.flag("untranslated", "low", e, e.script_mix, 0.2, note, (c.tgt(e),),
                          {**base, "script_mix": e.script_mix}))  # fmt: skip
    return out


def _support_at(c: _Ctx, e: BeadEvidence, a: int, b: int) -> float:
    """Best calibrated support of the target words overlapping ``a:b`` (nan: not computed)."""
    if c.support is None or not c.support[e.index]:
        return float("nan")
    vals = [w.calibrated for w in c.support[e.index] if w.start < b and a < w.end]
    vals = [v for v in vals if v == v]
    return max(vals) if vals else float("nan")


def _reversal(e: BeadEvidence, base: dict[str, Any], c: _Ctx, low_sim: bool) -> list[Flag]:
    """A negation on one side with no counterpart on the other (one flag per bead). A bead
    already flagged for low similarity gets none: its meaning is changed anyway."""
    if not e.reversals or low_sim:
        return []
    r = main_reversal(e)
    # medium where deleting the cue brings the sides clearly closer (driftscope.quality.probe)
    sev = "medium" if e.probe == e.probe and e.probe >= PROBE_MEDIUM else "low"
    where = (c.src if r.side == "src" else c.tgt)(e, r.cue.start, r.cue.end)
    there = (c.tgt if r.side == "src" else c.src)(e, *r.other)
    other = "target" if r.side == "src" else "source"
    note = f"negation {r.cue.text!r} has no counterpart in the {other}: meaning reversed?"
    ev = {**base, "src_negations": r.src_count, "tgt_negations": r.tgt_count,
          "rendered": _f(r.rendered), "probe": _f(e.probe)}  # fmt: skip
    return [c.flag("meaning_reversal", sev, e, float(len(e.reversals)), 0.0,
                   note, (where, there), ev)]  # fmt: skip


def _term_flags(e: BeadEvidence, c: _Ctx, low_sim: bool) -> list[Flag]:
    """The target words least supported by the bead's source (0-1: its closest source)."""
    cfg, support = c.cfg, c.support
    if support is None or not support[e.index] or low_sim or c.tgt_lang in _UNSPACED:
        return []
    if e.similarity == e.similarity and e.similarity < cfg.term_min_sim:
        return []
    weak = sorted(
        (
            w
            for w in support[e.index]
            if w.calibrated == w.calibrated
            and w.calibrated < cfg.term_low
            and sum(ch.isalpha() for ch in w.text) >= 4
            # a number word is judged by its value (number_mismatch), not by its vectors
            and not states_number_of(w.text, e.src_text)
        ),
        key=lambda w: w.calibrated,
    )[: cfg.term_max]
    out = []
    for w in weak:
        strong = cfg.term_medium and w.calibrated < cfg.term_support and c.same_script
        strong = strong and not w.generic
        sev = "medium" if strong else "low"
        note = f"target word {w.text!r} is poorly supported by the source"
        evidence = {
            "similarity": _f(e.similarity),
            "support": w.support,
            "support_random": w.random,
        }
        out.append(c.flag("suspicious_term", sev, e, w.calibrated, cfg.term_support, note,
                          (c.tgt(e, w.start, w.end),), evidence))  # fmt: skip
    return out
