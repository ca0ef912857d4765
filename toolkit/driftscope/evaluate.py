"""Strict/lax precision, recall and F1 of alignments against gold. Imports ``model``, ``errors``.

The definitions are those of Vecalign's ``score.py`` (which Bertalign copies), so numbers are
comparable with theirs:

* Precision checks every system bead that is not empty on both sides (1-0 and 0-1 beads
  included) against the gold beads. Strict hit: the bead equals a gold bead. Lax hit: some
  source id and some target id of the bead lie in the same gold bead; a bead with an empty side
  can only be a strict hit.
* Recall is the same check with system and gold swapped, after dropping every bead with an empty
  side from both gold and system.
* Counts are summed over all documents before dividing; F1 = 2PR/(P+R), 0 when undefined.

Bead files use the Vecalign/Bertalign syntax, one bead per line: ``[0]:[0, 1]`` (an optional
``:cost`` suffix is ignored), 0-based segment ids.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from driftscope.errors import InputError
from driftscope.model import Bead

_BEAD_RE = re.compile(r"^\s*\[([0-9,\s]*)\]\s*:\s*\[([0-9,\s]*)\]\s*(?::\s*\S+\s*)?$")

Pair = tuple[tuple[int, ...], tuple[int, ...]]


@dataclass(frozen=True, slots=True)
class AlignScores:
    """Strict and lax precision/recall/F1 plus the raw counts they come from."""

    strict_precision: float
    strict_recall: float
    strict_f1: float
    lax_precision: float
    lax_recall: float
    lax_f1: float
    n_documents: int
    n_system: int  # system beads checked for precision
    n_gold: int  # gold beads checked for recall (no empty side)

    def as_dict(self) -> dict[str, float | int]:
        return {
            "strict": {  # type: ignore[dict-item]
                "precision": self.strict_precision,
                "recall": self.strict_recall,
                "f1": self.strict_f1,
            },
            "lax": {  # type: ignore[dict-item]
                "precision": self.lax_precision,
                "recall": self.lax_recall,
                "f1": self.lax_f1,
            },
            "documents": self.n_documents,
            "system_beads": self.n_system,
            "gold_beads": self.n_gold,
        }

    def format(self) -> str:
        """A short human table."""
        return (
            f"{'':8}{'precision':>10}{'recall':>10}{'F1':>10}\n"
            f"{'strict':8}{self.strict_precision:10.4f}{self.strict_recall:10.4f}"
            f"{self.strict_f1:10.4f}\n"
            f"{'lax':8}{self.lax_precision:10.4f}{self.lax_recall:10.4f}{self.lax_f1:10.4f}\n"
            f"documents {self.n_documents}, system beads {self.n_system}, "
            f"gold beads {self.n_gold}\n"
        )


def parse_bead_line(line: str, *, path: str = "<beads>", lineno: int = 0) -> Pair:
    """Parse one ``[0, 1]:[2]`` line (a ``:cost`` suffix is allowed and ignored)."""
    m = _BEAD_RE.match(line)
    if m is None:
        raise InputError(f"{path}:{lineno}: not a bead line like '[0]:[0, 1]': {line.strip()!r}")

    def ids(s: str) -> tuple[int, ...]:
        return tuple(int(t) for t in s.replace(",", " ").split())

    return ids(m.group(1)), ids(m.group(2))


def read_beads(path: str | Path) -> list[Pair]:
    """Read a bead file; blank lines are skipped. Raises InputError on bad syntax."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(f"{p}: cannot read bead file ({err})") from err
    out = []
    for n, line in enumerate(text.splitlines(), 1):
        if line.strip():
            out.append(parse_bead_line(line, path=str(p), lineno=n))
    return out


def format_beads(beads: Iterable[Bead | Pair]) -> str:
    """Beads in the Vecalign/Bertalign syntax, one per line."""
    lines = []
    for b in beads:
        src, tgt = (b.src, b.tgt) if isinstance(b, Bead) else b
        lines.append(f"[{', '.join(map(str, src))}]:[{', '.join(map(str, tgt))}]")
    return "\n".join(lines) + ("\n" if lines else "")


def _as_pairs(beads: Iterable[Bead | Pair]) -> list[Pair]:
    return [
        (tuple(b.src), tuple(b.tgt)) if isinstance(b, Bead) else (tuple(b[0]), tuple(b[1]))
        for b in beads
    ]


def _hits(test: list[Pair], gold: list[Pair]) -> tuple[int, int, int]:
    """(strict hits, lax hits, beads checked) of ``test`` against ``gold``."""
    gold_set = set(gold)
    src_of: dict[int, int] = {}
    tgt_of: dict[int, int] = {}
    for k, (s, t) in enumerate(gold):
        for i in s:
            src_of[i] = k
        for j in t:
            tgt_of[j] = k
    strict = lax = n = 0
    for s, t in test:
        if not s and not t:
            continue
        n += 1
        if (s, t) in gold_set:
            strict += 1
            lax += 1
        elif s and t:
            srcb = {src_of[i] for i in s if i in src_of}
            if any(tgt_of.get(j) in srcb for j in t):
                lax += 1
    return strict, lax, n


def _div(a: int, b: int) -> float:
    return a / b if b else 0.0


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r > 0 else 0.0


def score_alignments(
    pairs: Sequence[tuple[Iterable[Bead | Pair], Iterable[Bead | Pair]]],
) -> AlignScores:
    """Score ``[(gold, system), ...]`` documents; counts are summed before dividing."""
    ps = pl = pn = rs = rl = rn = 0
    for gold_beads, sys_beads in pairs:
        gold = _as_pairs(gold_beads)
        system = _as_pairs(sys_beads)
        s, lx, n = _hits(system, gold)
        ps, pl, pn = ps + s, pl + lx, pn + n
        gold_full = [b for b in gold if b[0] and b[1]]
        sys_full = [b for b in system if b[0] and b[1]]
        s, lx, n = _hits(gold_full, sys_full)
        rs, rl, rn = rs + s, rl + lx, rn + n
    sp, sr = _div(ps, pn), _div(rs, rn)
    lp, lr = _div(pl, pn), _div(rl, rn)
    return AlignScores(sp, sr, _f1(sp, sr), lp, lr, _f1(lp, lr), len(pairs), pn, rn)


def score_files(paths: Sequence[tuple[str | Path, str | Path]]) -> AlignScores:
    """Score ``[(gold_path, system_path), ...]`` bead files."""
    return score_alignments([(read_beads(g), read_beads(s)) for g, s in paths])
