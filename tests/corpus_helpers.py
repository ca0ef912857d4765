"""Small synthetic corpora for the corpus-engine tests (English text, HashEncoder runs)."""

from __future__ import annotations

import json
import os
import random
import subprocess
import time
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

_SUBJECTS = ("The council", "A small company", "The river", "Our teacher", "The new bridge")
_VERBS = ("opened", "reported", "closed", "announced", "built", "visited")
_OBJECTS = ("a new school", "the main road", "three houses", "the summer festival")
_TAILS = ("last week", "on Monday", "in the morning", "after the storm", "before winter")


def sentence(rng: random.Random) -> str:
    return (f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)} "
            f"{rng.choice(_TAILS)}, and {rng.randint(2, 99)} people came to see it.")  # fmt: skip


def table_rows(n_docs: int, seed: int = 0, bad: bool = True) -> list[dict[str, str]]:
    """Rows of a corpus table; with ``bad``, doc 1 has an empty version and doc 2 a version
    labelled German but written in English."""
    rng = random.Random(seed)
    rows = []
    for d in range(n_docs):
        segs = [sentence(rng) for _ in range(5)]
        b = [s for i, s in enumerate(segs) if not (d % 3 == 0 and i == 2)]
        for vid, role, texts in (("en", "original", segs), ("b", "", b), ("c", "", segs[::-1])):
            lang = "en"
            if bad and d == 1 and vid == "b":
                texts = []
            if bad and d == 2 and vid == "c":
                lang = "de"
            row = {"doc_id": f"doc{d:03d}", "version": vid, "lang": lang, "role": role,
                   "text": "\n".join(texts)}  # fmt: skip
            rows.append(row)
    return rows


def write_jsonl(path: Path, rows: list[dict[str, str]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


def read_tables(out: Path) -> dict[str, list[dict[str, object]]]:
    """The three tables as lists of rows (read with pyarrow only)."""
    return {t: pq.read_table(out / f"{t}.parquet").to_pylist() for t in ("documents", "beads",
                                                                           "flags")}  # fmt: skip


def parts(out: Path) -> list[Path]:
    return sorted(out.glob(".driftscope/parts-*/*/*.json"))


def run_until_parts(cmd: list[str], out: Path, at_least: int, timeout: float = 180) -> Any:
    """Start the CLI ``cmd`` (a subprocess, the repo's toolkit on its path) and return it, still
    running, once ``out`` holds ``at_least`` committed documents (or it ended or timed out)."""
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(root / "toolkit")}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + timeout
    while len(parts(out)) < at_least and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    return proc


def clean_corpus_cmd(tmp: Path, n: int, *options: str) -> tuple[Path, Path, list[str]]:
    """A clean ``n``-document JSONL corpus under ``tmp``, its output folder, and the
    ``driftscope corpus`` command (hash encoder, presegmented, quiet) with ``options``."""
    import sys

    src = write_jsonl(tmp / "c.jsonl", table_rows(n, bad=False))
    out = tmp / "out"
    cmd = [sys.executable, "-m", "driftscope", "corpus", str(src), "-o", str(out), "--model",
           "hash", *options, "--presegmented", "-q"]  # fmt: skip
    return src, out, cmd
