"""Dev alignment sets for the benchmarks, read from ``../shared/data/align`` (relative to the
repository root). Every set is a list of documents ``(name, src_lines, tgt_lines, gold)``.

* ``textberg``: Text+Berg de-fr dev (one OCR-derived book excerpt, presegmented).
* ``parice``: ParIce en-is dev (ten short documents, real insertions and deletions).
* ``ntrex-heavy-XX-YY`` / ``ntrex-light-XX-YY``: NTREX-128 dev, document by document, in the
  direction XX -> YY, with a derivation that is OURS (fixed seed): adjacent lines joined on
  one side (1-2 / 2-1 beads) and single lines dropped (1-0 / 0-1). ``heavy`` drops about one
  line in nine (the derivation earlier benchmarks used), ``light`` about one in forty; the
  joins are the same in both.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "align"
SEED = 20240611
DIRECTIONS = ("en-ru", "ru-en", "en-vi", "vi-en", "ru-vi")
_NTREX_FILES = {"en": "newstest2019-src.eng.txt", "ru": "newstest2019-ref.rus.txt",
                "vi": "newstest2019-ref.vie.txt"}  # fmt: skip
#: probabilities of keep 1-1, join sources (1-2), join targets (2-1), drop target, drop source
DERIVATIONS = {"heavy": (0.76, 0.07, 0.07, 0.05, 0.05),
               "light": (0.835, 0.07, 0.07, 0.0125, 0.0125)}  # fmt: skip

Doc = tuple[str, list[str], list[str], list]


def read_lines(path: Path) -> list[str]:
    text = path.read_bytes().decode("utf-8").replace("\r\n", "\n")
    return [line.strip() for line in text.split("\n") if line.strip()]


def read_beads(path: Path) -> list:
    from driftscope.evaluate import read_beads as rb

    return rb(path)


def textberg() -> list[Doc]:
    d = DATA / "textberg-de-fr-dev"
    return [("dev", read_lines(d / "dev.de"), read_lines(d / "dev.fr"), read_beads(d / "dev.defr"))]


def parice() -> list[Doc]:
    d = DATA / "parice-en-is-dev"
    out = []
    for g in sorted((d / "gold").glob("*.beads")):
        name = g.stem
        src = (d / "en" / f"{name}.txt").read_text(encoding="utf-8").split("\n")
        tgt = (d / "is" / f"{name}.txt").read_text(encoding="utf-8").split("\n")
        # keep line numbering: the gold counts every line; drop only the final empty line
        src = src[:-1] if src and src[-1] == "" else src
        tgt = tgt[:-1] if tgt and tgt[-1] == "" else tgt
        out.append((name, [s.strip() for s in src], [t.strip() for t in tgt], read_beads(g)))
    return out


def derive(src: list[str], tgt: list[str], rng: np.random.Generator, p) -> tuple:
    """Our derivation of one 1-1 document, with its gold (the first line is always kept)."""
    out_s: list[str] = []
    out_t: list[str] = []
    gold: list = []
    k, n = 0, len(src)
    while k < n:
        op = "11" if k == 0 else rng.choice(["11", "12", "21", "10", "01"], p=list(p))
        i, j = len(out_s), len(out_t)
        if op in ("12", "21") and k + 1 < n:
            if op == "12":
                out_s.append(src[k] + " " + src[k + 1])
                out_t.extend([tgt[k], tgt[k + 1]])
                gold.append(((i,), (j, j + 1)))
            else:
                out_s.extend([src[k], src[k + 1]])
                out_t.append(tgt[k] + " " + tgt[k + 1])
                gold.append(((i, i + 1), (j,)))
            k += 2
            continue
        if op == "10":
            out_s.append(src[k])
            gold.append(((i,), ()))
        elif op == "01":
            out_t.append(tgt[k])
            gold.append(((), (j,)))
        else:
            out_s.append(src[k])
            out_t.append(tgt[k])
            gold.append(((i,), (j,)))
        k += 1
    return out_s, out_t, gold


def ntrex(direction: str, derivation: str, max_docs: int | None = None) -> list[Doc]:
    a, b = direction.split("-")
    d = DATA / "ntrex128-en-ru-vi-dev"

    def lines(name: str) -> list[str]:
        return (d / name).read_bytes().decode("utf-8").replace("\r\n", "\n").split("\n")

    xa, xb = lines(_NTREX_FILES[a]), lines(_NTREX_FILES[b])
    ids = lines("DOCUMENT_IDS.tsv")
    docs: dict[str, list[int]] = {}
    for k in range(min(len(xa), len(xb), len(ids))):
        if ids[k].strip() and xa[k].strip() and xb[k].strip():
            docs.setdefault(ids[k].split("\t")[0].strip(), []).append(k)
    # One stream per direction and derivation, so sets are independent of each other.
    rng = np.random.default_rng([SEED, DIRECTIONS.index(direction), len(derivation)])
    out = []
    for doc, rows in list(docs.items())[:max_docs]:
        s, t, g = derive([xa[k].strip() for k in rows], [xb[k].strip() for k in rows], rng,
                         DERIVATIONS[derivation])  # fmt: skip
        if s and t:
            out.append((doc, s, t, g))
    return out


def all_sets(names: list[str], max_docs: int | None = None) -> dict[str, list[Doc]]:
    """``{set name: documents}`` for names among textberg, parice, ntrex-heavy, ntrex-light."""
    out: dict[str, list[Doc]] = {}
    for name in names:
        if name == "textberg":
            out["textberg-de-fr"] = textberg()
        elif name == "parice":
            out["parice-en-is"] = parice()
        elif name.startswith("ntrex-"):
            der = name.split("-", 1)[1]
            for direc in DIRECTIONS:
                out[f"ntrex-{der}-{direc}"] = ntrex(direc, der, max_docs)
        else:
            raise SystemExit(f"unknown set {name!r}")
    return out


def group(set_name: str) -> str:
    """The leave-one-set-out group of a set: textberg, parice, ntrex-heavy or ntrex-light."""
    parts = set_name.split("-")
    return "-".join(parts[:2]) if parts[0] == "ntrex" else parts[0]
