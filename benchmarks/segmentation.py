"""Sentence segmentation error rates on NTREX dev (gold: one sentence-ish line per line).

For each language and segmenter, prints:
- split rate: share of gold lines the segmenter cuts into more than one piece (a gold line is
  usually one sentence; some hold two, so this is an upper bound on over-splitting);
- merge rate: share of gold line boundaries lost when two adjacent lines are joined with a
  space and segmented again (under-splitting); also among boundaries where the line ends with
  sentence-final punctuation (headlines have none: no segmenter can see those). Quotes opened on
  one line and closed on a later one account for most misses at punctuation.
driftscope treats line breaks as hard boundaries, so only within-line errors matter in use.
Writes benchmarks/results/segmentation.json. Usage: python benchmarks/segmentation.py
"""

from __future__ import annotations

import json
import sys
import time
from collections import defaultdict
from pathlib import Path

import _ntrex

ROOT = Path(__file__).resolve().parents[1]


def _segmenters():
    from sentencex import segment

    yield "sentencex", lambda lang, t: [s.strip() for s in segment(lang, t) if s.strip()]
    try:
        import pysbd
    except ImportError:
        return
    cache = {}

    def sbd(lang: str, t: str) -> list[str]:
        code = lang if lang in ("en", "ru") else "en"  # pysbd has no Vietnamese rules
        if code not in cache:
            cache[code] = pysbd.Segmenter(language=code, clean=False)
        return [s.strip() for s in cache[code].segment(t) if s.strip()]

    yield "pysbd", sbd


def main() -> int:
    ids = _ntrex.doc_ids()
    results: dict[str, dict[str, dict[str, float]]] = defaultdict(dict)
    for name, seg in _segmenters():
        for lang in _ntrex.FILES:
            lines = _ntrex.lines(lang)
            assert len(lines) == len(ids), (lang, len(lines), len(ids))
            t0 = time.perf_counter()
            split = sum(len(seg(lang, ln)) > 1 for ln in lines if ln.strip())
            docs: dict[str, list[str]] = defaultdict(list)
            for d, ln in zip(ids, lines, strict=True):
                if ln.strip():
                    docs[d].append(ln.strip())
            lost = bounds = lost_p = bounds_p = 0
            for doc_lines in docs.values():
                # each boundary on its own: two adjacent lines joined with a space (joining a
                # whole document lets one unbalanced quote hide every later boundary)
                for a, b in zip(doc_lines, doc_lines[1:], strict=False):
                    joined = f"{a} {b}"
                    ends, pos = set(), 0
                    for piece in seg(lang, joined):
                        pos = joined.find(piece, pos) + len(piece)
                        ends.add(pos)
                    hit = len(a) in ends
                    bounds += 1
                    lost += not hit
                    # boundaries a segmenter can see: the line ends like a sentence
                    if a.rstrip("\"'»“”’)").endswith((".", "!", "?", "…")):
                        bounds_p += 1
                        lost_p += not hit
            results[name][lang] = {
                "split_rate": round(split / len(lines), 4),
                "merge_rate": round(lost / max(bounds, 1), 4),
                "merge_rate_punct": round(lost_p / max(bounds_p, 1), 4),
                "lines": len(lines),
                "seconds": round(time.perf_counter() - t0, 2),
            }
            r = results[name][lang]
            print(
                f"{name:10s} {lang}  split {r['split_rate']:.2%}  merge {r['merge_rate']:.2%}"
                f" (at sentence-final punctuation {r['merge_rate_punct']:.2%})"
                f"  ({r['lines']} lines, {r['seconds']} s)"
            )
    out = ROOT / "benchmarks" / "results" / "segmentation.json"
    out.write_text(json.dumps(results, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
