"""A synthetic corpus of small English documents (for engine overhead, not quality)."""

from __future__ import annotations

import json
import random
from pathlib import Path

_SUBJECTS = (
    "The council",
    "A small company",
    "The river",
    "Our teacher",
    "The new bridge",
    "The old museum",
    "A local farmer",
    "The national team",
    "The weather service",
)
_VERBS = ("opened", "reported", "closed", "announced", "built", "visited", "described", "won")
_OBJECTS = (
    "a new school",
    "the main road",
    "three houses",
    "the summer festival",
    "a long report",
    "the final match",
    "two hundred trees",
    "the city library",
)
_TAILS = (
    "last week",
    "on Monday",
    "in the morning",
    "after the storm",
    "before the winter",
    "for the first time",
    "with great care",
    "near the station",
)


def sentence(rng: random.Random) -> str:
    n = rng.randint(2, 99)
    return (f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)} "
            f"{rng.choice(_TAILS)}, and {n} people came to see it.")  # fmt: skip


def write_corpus(path: Path, n_docs: int, seed: int = 0, segments: int = 4) -> Path:
    """A JSONL table: n_docs documents, versions en (original) and b (English text too).

    Version b drops one sentence of every fifth document and adds one to every seventh.
    """
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as fh:
        for d in range(n_docs):
            segs = [sentence(rng) for _ in range(segments)]
            b = [s for i, s in enumerate(segs) if not (d % 5 == 0 and i == 2)]
            b += [sentence(rng)] if d % 7 == 0 else []
            for vid, role, texts in (("en", "original", segs), ("b", "", b)):
                row = {"doc_id": f"doc{d:06d}", "version": vid, "lang": "en", "role": role,
                       "text": "\n".join(texts)}  # fmt: skip
                fh.write(json.dumps(row) + "\n")
    return path
