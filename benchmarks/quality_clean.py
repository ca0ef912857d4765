"""False flags on faithful machine translation from other collections (MLQE-PE ru-en, de-en).

NTREX dev is the tuning set for the flag rules; these are checks on other text. The MLQE-PE
ru-en rows (dev and train, Wikipedia and Reddit sentences, MT into English) that the
annotators scored at least ``MIN_DA`` on average (1,320 rows: judged near-perfect, so nearly
every ``medium``+ flag is false). The rows are read as one presegmented file pair, as
``driftscope flags ru.txt en.txt --presegmented`` reads them, paired line by line (no aligner:
only the flag rules are measured), with sentence and token vectors as the pipeline computes
them. The de-en hallucination dev half's rows that carry no label at all (1,488 of 1,738: no
hallucination of any kind, no omission) are read the same way. Text+Berg de-fr and ParIce
en-is dev, human translations in two more language pairs, are flagged on their gold
alignment. Reported as beads with a ``medium``+ flag / beads, per kind, with every flag
listed.

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


def _read(folder: Path, name: str, texts: list[str], lang: str = "") -> Any:
    from driftscope.ingest import read_document

    lang = lang or name
    path = folder / f"{name}.txt"
    path.write_text("\n".join(" ".join(t.split()) for t in texts) + "\n", encoding="utf-8")
    doc = read_document(path, lang, presegmented=True, doc_id=lang)
    assert len(doc.segments) == len(texts), "reading changed the lines"
    return doc


def _embed(docs: list[Any]) -> tuple[list[Any], list[Any]]:
    """Sentence and token vectors of each document's segments, one forward pass per text, as
    the pipeline computes them (and caches them)."""
    from driftscope.embed import get_encoder
    from driftscope.pipeline import _token_vectors

    enc = get_encoder()
    vecs, toks = [], []
    for doc in docs:
        v, states = enc.encode_with_tokens([x.text for x in doc.segments])
        vecs.append(v)
        toks.append(_token_vectors(states))
    return vecs, toks


def _medium(src: Any, tgt: Any, beads: list[Any], vecs: list[Any], toks: list[Any]) -> tuple:
    """(every flag, the ``medium``+ ones) of the pair, as ``driftscope flags`` raises them."""
    from driftscope.embed import get_encoder
    from driftscope.quality import flag_comparison, severity_at_least

    fl = flag_comparison(src, tgt, beads, src_vecs=vecs[0], tgt_vecs=vecs[1],
                         src_tokens=toks[0], tgt_tokens=toks[1],
                         rng=np.random.default_rng(0), min_severity="low",
                         encoder=get_encoder())  # fmt: skip
    return fl, [f for f in fl if severity_at_least(f.severity, "medium")]


def _false_flags(src: Any, tgt: Any, vecs: list[Any], toks: list[Any], keep: Any) -> dict:
    """Beads with a medium+ flag among the rows where ``keep`` (bool per row) is True, the
    rows paired 1-1."""
    from driftscope.model import Bead

    beads = [Bead((k,), (k,)) for k in range(len(src.segments))]
    fl, medium = _medium(src, tgt, beads, vecs, toks)
    fl = [f for f in fl if f.src and keep[f.src[0]]]
    shown = [f for f in medium if f.src and keep[f.src[0]]]
    by_kind: dict[str, set[int]] = {}
    for f in shown:
        by_kind.setdefault(f.kind, set()).add(f.src[0])
    rows = int(np.sum(keep))
    hit = {f.src[0] for f in shown}
    return {
        "rows": rows,
        "severity": "medium",
        "flagged": len(hit),
        "share": len(hit) / rows,
        "share_by_kind": {k: len(v) / rows for k, v in sorted(by_kind.items())},
        "flags_by_kind_all_severities": dict(Counter(f"{f.kind}/{f.severity}" for f in fl)),
        "examples": [f"{f.kind}/{f.severity} [{f.src[0]}] {f.note[:100]}" for f in shown],
    }


def clean_false_flags() -> dict[str, Any]:
    """MLQE-PE ru-en rows scored MIN_DA+ (see the module docstring)."""
    ru, en = clean_rows()
    folder = qf.CACHE / "mlqe-clean"
    folder.mkdir(parents=True, exist_ok=True)
    docs = [_read(folder, "ru", ru), _read(folder, "en", en)]
    vecs, toks = _embed(docs)
    out = _false_flags(docs[0], docs[1], vecs, toks, np.ones(len(ru), bool))
    return {"min_da": MIN_DA, **out}


def hal_clean_false_flags() -> dict[str, Any]:
    """The de-en hallucination dev half's rows with no label at all (no hallucination of any
    kind, no omission): MT the annotators found faithful, 1-1 by line."""
    import quality_bench as qb

    rows = qf.read_hal()
    labels = qf.hal_labels(rows)
    keep = ~np.any([np.asarray(v, bool) for v in labels.values()], axis=0)
    folder = qf.CACHE / "hal-clean"
    folder.mkdir(parents=True, exist_ok=True)
    src_t, mt_t = [r["src"] for r in rows], [r["mt"] for r in rows]
    docs = [_read(folder, "de", src_t), _read(folder, "en", mt_t)]
    emb = [qb._vectors("hal_src", src_t, docs[0]), qb._vectors("hal_mt", mt_t, docs[1])]
    return _false_flags(docs[0], docs[1], [e["sent"] for e in emb], [e["mix"] for e in emb],
                        keep)  # fmt: skip


def gold_beads_false_flags() -> dict[str, Any]:
    """Text+Berg de-fr and ParIce en-is dev (published human translations) flagged on their
    gold alignment: beads with both sides and a ``medium``+ flag / beads with both sides (a
    gold 1-0 or 0-1 bead is a real omission or addition, not counted)."""
    import _aligndata as ad
    from driftscope.model import Bead

    out: dict[str, Any] = {}
    for name, docs, (sl, tl) in (("textberg-de-fr", ad.textberg(), ("de", "fr")),
                                 ("parice-en-is", ad.parice(), ("en", "is"))):  # fmt: skip
        folder = qf.CACHE / "gold-flags" / name
        folder.mkdir(parents=True, exist_ok=True)
        kinds: set[tuple[str, tuple[int, ...], tuple[int, ...]]] = set()
        n = hit = 0
        examples = []
        for doc_name, src_t, tgt_t, gold in docs:
            # an empty line keeps its place in the gold numbering
            pair = [_read(folder, f"{doc_name}.{sl}", [t or "." for t in src_t], sl),
                    _read(folder, f"{doc_name}.{tl}", [t or "." for t in tgt_t], tl)]  # fmt: skip
            beads = [Bead(tuple(a), tuple(b)) for a, b in gold]
            _, medium = _medium(*pair, beads, *_embed(pair))
            both = {(b.src, b.tgt) for b in beads if b.src and b.tgt}
            shown = [f for f in medium if (f.src, f.tgt) in both]
            n += len(both)
            hit += len({(f.src, f.tgt) for f in shown})
            kinds.update((f.kind, f.src, f.tgt) for f in shown)
            examples += [f"{doc_name} {f.kind}/{f.severity} {list(f.src)}:{list(f.tgt)} "
                         f"{f.note[:90]}" for f in shown]  # fmt: skip
        by_kind = Counter(k for k, _, _ in kinds)
        out[name] = {
            "beads": n,
            "flagged": hit,
            "share": hit / max(n, 1),
            "beads_by_kind": dict(sorted(by_kind.items())),
            "examples": examples,
        }
    return out


if __name__ == "__main__":
    res = {"mlqe_ru_en": clean_false_flags(), "hal_de_en": hal_clean_false_flags(),
           **gold_beads_false_flags()}  # fmt: skip
    print(json.dumps(res, indent=1, ensure_ascii=False))
