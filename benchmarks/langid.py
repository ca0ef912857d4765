"""Language identification on short lines: langdetect (seeded) against lingua.

NTREX dev lines in en, ru and vi are cut to their first k words (k = 1, 2, 3, 5, 8, all); each
detector must name the line's language. Prints accuracy and the share of lines each detector
declines to label (driftscope's wrapper says "unknown" under 12 letters, and under 40 letters
unless langdetect is at least 90% sure, rather than guess).
Writes benchmarks/results/langid.json. lingua is optional (`pip install
lingua-language-detector`); it is measured only when installed.

``--trust`` measures when a stated language may be contradicted (driftscope.ingest's
``check_language``): lines of every language in ../shared/data (NTREX en/ru/vi, Text+Berg de/fr,
ParIce is, and en again) are cut to their first c letters; a *false contradiction* is a cut
the detector labels, at p >= 0.95, with a language incompatible with the true one (the user
stated the right language and would be refused). The threshold is the smallest cut above which
every language the detector separates (one that, from some length on, is at or under 0.25 %)
stays there; the others (Icelandic: langdetect has no profile for it) are never contradicted.
Leave-one-language-out: each language's rate is reported at the threshold chosen on the
others. Writes
benchmarks/results/langid_trust.json.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import _ntrex

ROOT = Path(__file__).resolve().parents[1]
CUTS = (1, 2, 3, 5, 8, 0)


def _lines(lang: str, n: int = 400) -> list[str]:
    return [ln for ln in _ntrex.lines(lang) if ln.strip()][:n]


def _detectors():
    from driftscope.ingest.langid import _detect, detect_language

    yield "langdetect", lambda t: _detect(t)[0]
    yield "driftscope", lambda t: detect_language(t)[0]
    try:
        from lingua import LanguageDetectorBuilder
    except ImportError:
        return
    det = LanguageDetectorBuilder.from_all_languages().build()

    def lingua(t: str) -> str:
        lang = det.detect_language_of(t)
        return lang.iso_code_639_1.name.lower() if lang else ""

    yield "lingua", lingua


SHARED = ROOT.parent / "shared" / "data" / "align"
LETTER_CUTS = (8, 12, 16, 20, 25, 30, 40, 50, 60, 80, 120, 160, 240)
MAX_FALSE = 0.0025  # at most 1 in 400 correctly stated inputs refused
MIN_CUTS = 50  # a cut measured on fewer lines is no evidence


def _trust_data() -> dict[str, list[str]]:
    """Lines per language from every aligned dev set (one sentence or headline per line)."""
    data = {lang: [ln for ln in _ntrex.lines(lang) if ln.strip()] for lang in _ntrex.FILES}
    tb = SHARED / "textberg-de-fr-dev"
    for lang in ("de", "fr"):
        data[lang] = [ln for ln in (tb / f"dev.{lang}").read_text("utf-8").splitlines() if ln]
    pi = SHARED / "parice-en-is-dev" / "is"
    data["is"] = [ln for f in sorted(pi.glob("*.txt")) for ln in f.read_text("utf-8").splitlines()]
    data["is"] = [ln for ln in data["is"] if ln.strip()]
    return data


def _cut(text: str, n_letters: int) -> str | None:
    """``text`` up to its ``n_letters``-th letter, or None when it has fewer."""
    seen = 0
    for i, ch in enumerate(text):
        seen += ch.isalpha()
        if seen == n_letters:
            return text[: i + 1]
    return None


def _threshold(rates: dict[str, dict[int, float]], langs: list[str]) -> int | None:
    """Smallest cut from which every language in ``langs`` stays at or under MAX_FALSE."""
    for k, c in enumerate(LETTER_CUTS):
        # measured at c, and never above MAX_FALSE from c on (unmeasured longer cuts skipped)
        ok = all(rates[lg][c] == rates[lg][c] for lg in langs) and all(
            not rates[lg][d] > MAX_FALSE for lg in langs for d in LETTER_CUTS[k:]
        )
        if ok:
            return c
    return None


def _measure(data: dict[str, list[str]]) -> tuple[dict, dict]:
    """Per language and cut: the false-contradiction rate, and the confident labels given."""
    from driftscope.ingest.document import LANG_CONFLICT_PROB, _compatible
    from driftscope.ingest.langid import _detect

    false: dict[str, dict[int, float]] = {}
    labels: dict[str, dict[int, list[str]]] = {}  # true lang -> cut -> confident labels
    for lang, lines in data.items():
        false[lang], labels[lang] = {}, {}
        for c in LETTER_CUTS:
            cuts = [t for t in (_cut(ln, c) for ln in lines) if t]
            got = [_detect(t) for t in cuts]
            conf = [g for g, p in got if g and p >= LANG_CONFLICT_PROB]
            labels[lang][c] = conf
            bad = sum(not _compatible(lang, g) for g in conf)
            # too few lines this long: unmeasured, so no evidence of reliability
            false[lang][c] = bad / len(cuts) if len(cuts) >= MIN_CUTS else float("nan")
    return false, labels


def trust() -> int:
    data = _trust_data()
    false, labels = _measure(data)
    langs = sorted(data)
    print("false contradictions (stated language true, refused) by cut, letters:")
    print("lang " + " ".join(f"{c:>6d}" for c in LETTER_CUTS))
    for lg in langs:
        print(f"{lg:4s} " + " ".join(f"{100 * false[lg][c]:5.2f}%" for c in LETTER_CUTS))
    # A language is separated reliably when, from some length on, it is never (at most
    # MAX_FALSE) confidently called something else; languages without such a length (one the
    # detector has no profile for, such as Icelandic) are never contradicted.
    own = {lg: _threshold(false, [lg]) for lg in langs}
    trusted = [lg for lg in langs if own[lg] is not None]
    chosen = _threshold(false, trusted)
    held = {}
    for lg in trusted:
        t = _threshold(false, [x for x in trusted if x != lg])
        rates = [false[lg][c] for c in LETTER_CUTS if t is not None and c >= t]
        rate = max((r for r in rates if r == r), default=None)
        held[lg] = {"threshold_from_others": t, "worst_rate_at_or_above": rate}
        print(
            f"leave out {lg}: threshold {t} letters from the others; {lg}'s worst rate there {rate}"
        )
    print(f"per-language thresholds: {own}")
    print(f"trusted: {trusted}; threshold on all of them: {chosen} letters")
    # Power: a wrongly stated trusted language is caught when the text is confidently labelled
    # with another trusted language (share of cuts at or above the threshold).
    power = {}
    for lg in langs:
        conf = [g for c in LETTER_CUTS if chosen and c >= chosen for g in labels[lg][c]]
        n = sum(len([t for t in (_cut(ln, c) for ln in data[lg]) if t])
                for c in LETTER_CUTS if chosen and c >= chosen)  # fmt: skip
        power[lg] = round(sum(g in trusted for g in conf) / n, 4) if n else None
    print(f"share labelled confidently with a trusted language at >= {chosen} letters: {power}")
    out = ROOT / "benchmarks" / "results" / "langid_trust.json"
    res = {
        "max_false_rate": MAX_FALSE,
        "cuts": list(LETTER_CUTS),
        "lines": {lg: len(v) for lg, v in data.items()},
        "false_contradiction_rate": {
            lg: {str(c): (round(r, 4) if r == r else None) for c, r in v.items()}
            for lg, v in false.items()
        },
        "own_threshold_letters": own,
        "trusted": trusted,
        "threshold_letters": chosen,
        "leave_one_language_out": held,
        "confident_trusted_label_share_at_threshold": power,
    }
    out.write_text(json.dumps(res, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return 0


def main() -> int:
    if "--trust" in sys.argv[1:]:
        return trust()
    data = {lang: _lines(lang) for lang in _ntrex.FILES}
    results: dict[str, dict[str, dict[str, float]]] = {}
    for name, fn in _detectors():
        results[name] = {}
        t0 = time.perf_counter()
        for k in CUTS:
            right = unknown = total = 0
            for lang, lines in data.items():
                for ln in lines:
                    text = " ".join(ln.split()[:k]) if k else ln
                    got = fn(text)
                    total += 1
                    right += got == lang
                    unknown += got == ""
            key = f"words={k or 'all'}"
            results[name][key] = {
                "accuracy": round(right / total, 4),
                "unknown": round(unknown / total, 4),
            }
            wrong = 1 - (right + unknown) / total
            print(
                f"{name:17s} {key:10s} accuracy {right / total:6.1%}  unknown "
                f"{unknown / total:6.1%}  wrong {wrong:6.1%}"
            )
        results[name]["seconds"] = {"total": round(time.perf_counter() - t0, 1)}
    out = ROOT / "benchmarks" / "results" / "langid.json"
    out.write_text(json.dumps(results, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
