"""Per-bead evidence for one aligned pair of versions. Stage layer.

:func:`bead_evidence` takes the two documents, the beads (from ``driftscope.align`` or any other
aligner) and either per-bead cosines or per-segment vectors, and returns one
:class:`BeadEvidence` per bead: calibrated similarity, document-relative length ratio, numbers,
entities, languages, repetition, script mixing and broken sentence ends. Flag rules
(:mod:`driftscope.quality.flags`) read only this evidence.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz

from driftscope.errors import ConfigError
from driftscope.ingest.langid import detect_language
from driftscope.model import Bead, Document
from driftscope.quality import text as tx
from driftscope.quality.calibrate import Baseline, fit_baseline, random_pair_cosines
from driftscope.quality.entities import renderings
from driftscope.quality.names import char_script
from driftscope.quality.negation import Reversal, reversals
from driftscope.quality.surface import broken_hyphens
from driftscope.quality.timex import invented_times
from driftscope.quality.tokens import TokenVectors
from driftscope.quality.wordalign import concat_tokens, echoed


@dataclass(frozen=True, slots=True)
class BeadEvidence:
    """Everything the flag rules know about one bead (spans index into the bead texts)."""

    index: int  # bead index
    src: tuple[int, ...]
    tgt: tuple[int, ...]
    src_text: str  # source segments joined with one space
    tgt_text: str
    cosine: float  # raw encoder cosine; nan for 1-0 / 0-1 beads
    similarity: float  # calibrated: 0 random pair, 1 typical true pair of this document
    zscore: float  # standard deviations above the random-pair mean
    length_ratio: float  # log char ratio minus the document's median log ratio
    numbers_missing: tuple[tx.Mention, ...] = ()  # in src_text
    numbers_extra: tuple[tx.Mention, ...] = ()  # in tgt_text
    entities_missing: tuple[tx.Mention, ...] = ()  # in src_text, nothing similar in tgt_text
    entities_altered: tuple[tx.Mention, ...] = ()  # in src_text, a near miss in tgt_text
    entities_cut: tuple[tx.Mention, ...] = ()  # in tgt_text: the words cutting them short
    tgt_lang: str = ""
    tgt_lang_prob: float = 0.0
    src_lang: str = ""
    repetition: float = 0.0  # tgt bigram repetition minus src bigram repetition
    repeat: tx.Mention | None = None  # the repeated phrase in tgt_text, if any
    src_repeats: bool = False  # src_text repeats a phrase itself (a chant, "no, no, no")
    script_mix: float = 0.0  # share of tgt letters outside the tgt document's main script
    tgt_in_src: float = 0.0  # share of tgt_text's words that occur in src_text
    broken_src: bool = False
    broken_tgt: bool = False
    duplicate_of: int = -1  # an earlier bead with the same target text (different source)
    duplicate_near: bool = False  # ... whose source differs in form only (see _near_sources)
    src_repeat_of: int = -1  # 1-0 bead: another bead with the same source text that is translated
    inner_breaks: tuple[tx.Mention, ...] = ()  # "word. lowercase" in tgt_text, not in src_text
    tgt_off_script: bool = False  # tgt_text mostly in another script than its document
    foreign: tuple[tx.Mention, ...] = ()  # runs of source-script words left in tgt_text
    broken_compounds: tuple[tx.Mention, ...] = ()  # "word- word" in tgt_text beyond src_text's
    times_invented: tuple[tx.Mention, ...] = ()  # "night", "today" in tgt_text; src_text: no time
    reversals: tuple[Reversal, ...] = ()  # negations on one side with no counterpart
    probe: float = float("nan")  # calibrated gain when that cue is deleted (quality.probe)


def _join(doc: Document, idx: Sequence[int]) -> str:
    return " ".join(doc.segments[i].text for i in idx)


MIN_BEADS_FOR_MEDIAN = 5
"""Beads with both sides needed before the document's median length ratio is subtracted; with
fewer, the raw log ratio is kept (a median of two or three beads would zero them out)."""


def _relative_log_ratios(src_txt: Sequence[str], tgt_txt: Sequence[str]) -> np.ndarray:
    """(n,) float64 log char ratio of each text pair minus the median over pairs (nan where a
    side is empty)."""
    raw = np.array(
        [
            tx.log_length_ratio(s, t) if s and t else np.nan
            for s, t in zip(src_txt, tgt_txt, strict=True)
        ],
        dtype=np.float64,
    )
    ok = np.isfinite(raw)
    if ok.sum() >= MIN_BEADS_FOR_MEDIAN:
        return raw - float(np.median(raw[ok]))
    if _dense("".join(src_txt)) != _dense("".join(tgt_txt)):
        # a Chinese, Japanese or Korean side holds 2-4 times the content per character: with
        # no median to learn the ratio from, the raw one says nothing (en -> zh is "0.4")
        return np.full(len(raw), np.nan)
    return raw


def _dense(text: str) -> bool:
    """Whether most letters of ``text`` are Han, kana or Hangul (dense scripts)."""
    scripts = [char_script(ch) for ch in text if ch.isalpha()]
    return sum(sc in ("cjk", "hangul") for sc in scripts) > len(scripts) / 2


def bead_length_ratios(src: Document, tgt: Document, beads: Sequence[Bead]) -> np.ndarray:
    """Each bead's ``log((tgt chars + 1) / (src chars + 1))`` (whitespace collapsed) minus the
    document pair's median over beads: (n_beads,) float64, nan for 1-0/0-1 beads. The one
    definition behind :attr:`BeadEvidence.length_ratio` (what the flags test) and the report's
    per-bead ``length_ratio``."""
    return _relative_log_ratios(
        [_join(src, b.src) for b in beads], [_join(tgt, b.tgt) for b in beads]
    )


def bead_vectors(vecs: np.ndarray, beads: Sequence[Bead], side: str) -> np.ndarray:
    """(n_beads, d) float32: mean of each bead's segment vectors, renormalised (zeros if empty).

    Args:
        vecs: (n_segments, d) float32 unit rows of one document.
        side: "src" or "tgt".
    """
    out = np.zeros((len(beads), vecs.shape[1]), dtype=np.float32)
    for k, b in enumerate(beads):
        idx = list(getattr(b, side))
        if idx:
            v = vecs[idx].astype(np.float64).sum(axis=0)
            out[k] = v / max(np.linalg.norm(v), 1e-9)
    return out


def _in_lang(run: str, lang: str, src_text: str) -> bool:
    """Whether a run of words left in the target is in the source language (not a foreign
    quotation such as French inside an English source)."""
    got, _ = detect_language(run)
    if got:
        return got == lang
    low = src_text.lower()
    return len(run.split()) >= 3 and all(w in low for w in tx.words(run))


def _next_text(doc: Document, idx: Sequence[int]) -> str | None:
    nxt = idx[-1] + 1 if idx else len(doc.segments)
    return doc.segments[nxt].text if nxt < len(doc.segments) else None


def _lang_of(doc: Document, idx: Sequence[int]) -> tuple[str, float]:
    best = ("", 0.0)
    for i in idx:
        s = doc.segments[i]
        if s.lang and s.lang_prob >= best[1]:
            best = (s.lang, s.lang_prob)
    return best


def _source_repeats(
    s: str,
    t: str,
    pair: tuple[tx.Mention, tx.Mention],
    st: TokenVectors | None,
    tt: TokenVectors | None,
) -> bool:
    """Whether the source repeats a phrase of its own, or says the target's repeated phrase
    twice in other forms (свободу слова ... свобода слова: both copies align apart)."""
    if tx.longest_repeat(s) is not None:
        return True
    if st is None or tt is None or st.text != s or tt.text != t:
        return False
    return echoed(st, tt, *pair)


NEAR_SOURCE = 85.0
"""rapidfuzz ratio (0-100) of two casefolded source texts above which they differ in form only
(Задайте вопросы. / Задавайте вопросы., a quote mark more)."""


def _folded(text: str) -> str:
    """``text`` lower-cased with its whitespace collapsed: how texts are compared for equality."""
    return " ".join(text.lower().split())


def _near_sources(a: str, b: str, i: int, j: int, bs: np.ndarray | None, cos: np.ndarray) -> bool:
    """Whether beads ``i`` and ``j``, which share a target text, have sources that differ in
    form only: near-identical folded text (:func:`_folded`) and, with vectors, closer to each
    other than either is to the shared target (so the target translates both equally)."""
    if fuzz.ratio(a, b) < NEAR_SOURCE:
        return False
    if bs is None or not (cos[i] == cos[i] and cos[j] == cos[j]):
        return True
    return float(bs[i].astype(np.float64) @ bs[j]) >= min(cos[i], cos[j])


def bead_evidence(
    src: Document,
    tgt: Document,
    beads: Sequence[Bead],
    *,
    cosines: Sequence[float] | None = None,
    src_vecs: np.ndarray | None = None,
    tgt_vecs: np.ndarray | None = None,
    rng: np.random.Generator | None = None,
    prior: Baseline | None = None,
    src_tokens: Sequence[TokenVectors] | None = None,
    tgt_tokens: Sequence[TokenVectors] | None = None,
) -> tuple[tuple[BeadEvidence, ...], Baseline | None]:
    """Evidence for every bead, and the similarity baseline used.

    Give either ``cosines`` (one per bead, nan for empty sides; calibrated with ``prior`` for
    the random-pair side) or ``src_vecs``/``tgt_vecs`` ((n_segments, d) float32 unit rows of the
    two documents; bead vectors are the renormalised mean of their segments' vectors, and the
    random-pair baseline is sampled from these documents with ``rng``). With neither, the
    similarity fields are nan and only text evidence is computed. ``src_tokens``/``tgt_tokens``
    (one :class:`TokenVectors` per segment) let names and negations be compared on the words
    the token alignment pairs; without them the comparison is over the whole bead text.
    """
    rng = rng if rng is not None else np.random.default_rng(0)
    nb = len(beads)
    cos = np.full(nb, np.nan)
    baseline: Baseline | None = None
    bs: np.ndarray | None = None
    if src_vecs is not None and tgt_vecs is not None:
        if len(src_vecs) != len(src.segments) or len(tgt_vecs) != len(tgt.segments):
            raise ConfigError("vectors must have one row per segment of each document")
        bs, bt = bead_vectors(src_vecs, beads, "src"), bead_vectors(tgt_vecs, beads, "tgt")
        full = np.array([bool(b.src) and bool(b.tgt) for b in beads])
        cos[full] = np.einsum("nd,nd->n", bs[full].astype(np.float64), bt[full])
        rand = random_pair_cosines(src_vecs, tgt_vecs, rng)
        baseline = fit_baseline(cos[full], rand, prior)
    elif cosines is not None:
        if len(cosines) != nb:
            raise ConfigError(f"{len(cosines)} cosines for {nb} beads")
        cos = np.asarray(cosines, dtype=np.float64)
        if prior is not None:
            baseline = fit_baseline(cos[np.isfinite(cos)], np.zeros(0), prior)
    sim = baseline.calibrate(cos) if baseline else np.full(nb, np.nan)
    z = baseline.zscore(cos) if baseline else np.full(nb, np.nan)

    src_txt = [_join(src, b.src) for b in beads]
    tgt_txt = [_join(tgt, b.tgt) for b in beads]
    lengths = _relative_log_ratios(src_txt, tgt_txt)
    tgt_script = tx.main_script(" ".join(tgt.texts[:200]))
    src_script = tx.main_script(" ".join(src.texts[:200]))
    seen: dict[str, list[int]] = {}
    # a source passage that occurs twice (a repeated photo caption) and is translated once:
    # the untranslated copy drops no content
    translated: dict[str, int] = {}
    src_fold = [_folded(x) for x in src_txt]
    for k, b in enumerate(beads):
        if b.src and b.tgt and len(src_fold[k]) >= 10:
            translated.setdefault(src_fold[k], k)
    out = []
    for k, b in enumerate(beads):
        s, t = src_txt[k], tgt_txt[k]
        miss, extra = tx.number_mismatch(s, t) if s and t else ([], [])
        st = tt = None
        if src_tokens is not None and tgt_tokens is not None and s and t:
            st = concat_tokens([src_tokens[i] for i in b.src])
            tt = concat_tokens([tgt_tokens[i] for i in b.tgt])
        altered, ents = tx.entity_mismatch(s, t, st, tt) if s and t else ([], [])
        tl, tp = _lang_of(tgt, b.tgt)
        sl, _ = _lang_of(src, b.src)
        rep = tx.repetition(t) - tx.repetition(s) if t else 0.0
        pair = tx.repeat_pair(t) if rep > 0 else None
        src_rep = pair is not None and bool(s) and _source_repeats(s, t, pair, st, tt)
        # letters of words that also occur in the source (names, acronyms) are not mixing
        src_words, t_words = set(tx.words(s)), tx.words(t)
        t_clean = " ".join(w for w in t_words if w not in src_words)
        in_src = sum(w in src_words for w in t_words) / len(t_words) if t_words else 0.0
        mix = tx.script_mixing(t_clean, tgt_script) if t_clean else 0.0
        nxt_s = _next_text(src, b.src)
        nxt_t = _next_text(tgt, b.tgt)
        dup, near = -1, False
        key = _folded(t)
        if t and len(key) >= 10:
            earlier = seen.setdefault(key, [])
            if s and any(src_fold[j] == src_fold[k] for j in earlier):
                pass  # the source repeats too: a faithful repetition
            elif earlier:
                dup = earlier[0]
                near = bool(s) and any(
                    _near_sources(src_fold[k], src_fold[j], k, j, bs, cos) for j in earlier
                )
            earlier.append(k)
        out.append(
            BeadEvidence(
                index=k,
                src=tuple(b.src),
                tgt=tuple(b.tgt),
                src_text=s,
                tgt_text=t,
                cosine=float(cos[k]),
                similarity=float(sim[k]),
                zscore=float(z[k]),
                length_ratio=float(lengths[k]),
                numbers_missing=tuple(miss),
                numbers_extra=tuple(extra),
                entities_missing=tuple(ents),
                entities_altered=tuple(altered),
                entities_cut=tuple(renderings(altered, t)) if altered else (),
                tgt_lang=tl,
                tgt_lang_prob=tp,
                src_lang=sl,
                repetition=float(rep),
                repeat=pair[1] if pair else None,
                src_repeats=src_rep,
                script_mix=float(mix),
                tgt_in_src=float(in_src),
                broken_src=bool(b.src) and tx.looks_broken(src.segments[b.src[-1]].text, nxt_s),
                broken_tgt=bool(b.tgt) and tx.looks_broken(tgt.segments[b.tgt[-1]].text, nxt_t),
                duplicate_of=dup,
                duplicate_near=near,
                src_repeat_of=translated.get(src_fold[k], -1) if b.src and not b.tgt else -1,
                inner_breaks=tuple(tx.inner_breaks(t)[len(tx.inner_breaks(s, loose=True)) :])
                if s
                else (),
                tgt_off_script=bool(t) and tx.main_script(t) not in ("", tgt_script),
                foreign=tuple(
                    f
                    for f in tx.foreign_runs(t, tgt_script)
                    if s and f.key == src_script and _in_lang(f.text, src.lang, s)
                ),
                broken_compounds=tuple(broken_hyphens(t)[len(broken_hyphens(s)) :]) if s else (),
                times_invented=tuple(invented_times(s, t, src.lang)) if s else (),
                reversals=tuple(reversals(s, t, src.lang, tgt.lang, st, tt)) if s and t else (),
            )
        )
    return tuple(out), baseline
