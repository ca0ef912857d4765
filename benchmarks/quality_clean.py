"""False flags on near-perfect machine translation from another collection (MLQE-PE ru-en).

NTREX dev is the tuning set for the flag rules; this is a check on other text: the MLQE-PE
ru-en rows (dev and train, Wikipedia and Reddit sentences, MT into English) that the
annotators scored at least ``MIN_DA`` on average (1,320 rows: judged near-perfect, so nearly
every ``medium``+ flag is false). The rows are read as one presegmented file pair, as
``driftscope flags ru.txt en.txt --presegmented`` reads them, paired line by line (no aligner:
only the flag rules are measured), with sentence and token vectors as the pipeline computes
them. Reported as beads with a ``medium``+ flag / beads, per kind, with every flag listed.

    .venv/bin/python benchmarks/quality_clean.py     (also run by quality_bench.py)
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import quality_fit as qf  # noqa: E402

MIN_DA = 90.0  # mean direct-assessment score (0-100) of a row


def clean_rows() -> tuple[list[str], list[str]]:
    """(Russian sources, English MT) of the rows scored at least MIN_DA, dev then train."""
    rows = [r for s in ("dev", "train") for r in qf.read_mlqe(s) if float(r["mean"]) >= MIN_DA]
    return [r["original"].strip() for r in rows], [r["translation"].strip() for r in rows]


def clean_false_flags() -> dict[str, Any]:
    from driftscope.embed import get_encoder
    from driftscope.ingest import read_document
    from driftscope.model import Bead
    from driftscope.quality import flag_comparison, severity_at_least
    from driftscope.quality.tokens import embed_tokens

    ru, en = clean_rows()
    folder = qf.CACHE / "mlqe-clean"
    folder.mkdir(parents=True, exist_ok=True)
    docs = []
    for lang, texts in (("ru", ru), ("en", en)):
        path = folder / f"{lang}.txt"
        path.write_text("\n".join(texts) + "\n", encoding="utf-8")
        docs.append(read_document(path, lang, presegmented=True, doc_id=lang))
    src, tgt = docs
    assert len(src.segments) == len(tgt.segments) == len(ru), "reading changed the lines"
    enc = get_encoder()
    vecs, toks = [], []
    for doc in docs:
        texts = [s.text for s in doc.segments]
        vecs.append(enc.encode(texts))
        toks.append(embed_tokens(enc.model, texts, enc.prompt))
    beads = [Bead((k,), (k,)) for k in range(len(ru))]
    fl = flag_comparison(src, tgt, beads, src_vecs=vecs[0], tgt_vecs=vecs[1],
                         src_tokens=toks[0], tgt_tokens=toks[1],
                         rng=np.random.default_rng(0), min_severity="low")  # fmt: skip
    shown = [f for f in fl if severity_at_least(f.severity, "medium")]
    by_kind: dict[str, set[int]] = {}
    for f in shown:
        by_kind.setdefault(f.kind, set()).add(f.src[0])
    hit = {f.src[0] for f in shown}
    return {
        "rows": len(ru),
        "min_da": MIN_DA,
        "severity": "medium",
        "flagged": len(hit),
        "share": len(hit) / len(ru),
        "share_by_kind": {k: len(v) / len(ru) for k, v in sorted(by_kind.items())},
        "flags_by_kind_all_severities": dict(Counter(f"{f.kind}/{f.severity}" for f in fl)),
        "examples": [f"{f.kind}/{f.severity} [{f.src[0]}] {f.note[:100]}" for f in shown],
    }


if __name__ == "__main__":
    print(json.dumps(clean_false_flags(), indent=1, ensure_ascii=False))
