"""Coverage of the NTREX dev data: English original, Russian and Vietnamese versions.

Clean, line-parallel human translations: a correct aligner reports (nearly) every English
sentence represented in both versions and nothing omitted or added, so every omission or
addition reported here is an alignment error. Runs ``driftscope coverage`` by document and
writes benchmarks/results/coverage_ntrex.json; prints the shares and the time.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import _ntrex

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    out = ROOT / "benchmarks" / "results" / "coverage_ntrex.json"
    cmd = [
        sys.executable, "-m", "driftscope", "coverage",
        "--original", f"en={_ntrex.path('en')}",
        "--version", f"ru={_ntrex.path('ru')}",
        "--version", f"vi={_ntrex.path('vi')}",
        "--doc-ids", str(_ntrex.NTREX / "DOCUMENT_IDS.tsv"),
        "--presegmented", "-f", "json", "-o", str(out), "-q",
    ]  # fmt: skip
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True)
    secs = time.perf_counter() - t0
    data = json.loads(out.read_text(encoding="utf-8"))
    for row in data["against_original"]:
        print(
            f"{row['src']}->{row['tgt']}: represented {row['represented_share']:.2%}, "
            f"omitted {row['omitted']}, added {row['added']} of {row['n_src']} sentences"
        )
    docs = {row["doc_id"] for row in data["documents"]}
    print(f"{len(docs)} documents in {secs:.0f} s (embedding cache as it was)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
