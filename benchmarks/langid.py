"""Language identification on short lines: langdetect (seeded) against lingua.

NTREX dev lines in en, ru and vi are cut to their first k words (k = 1, 2, 3, 5, 8, all); each
detector must name the line's language. Prints accuracy and the share of lines each detector
declines to label (driftscope's wrapper says "unknown" under 12 letters, and under 40 letters
unless langdetect is at least 90% sure, rather than guess).
Writes benchmarks/results/langid.json. lingua is optional (`pip install
lingua-language-detector`); it is measured only when installed.
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


def main() -> int:
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
