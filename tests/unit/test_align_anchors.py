"""Lexical anchors: extraction, bags, the cost term, and its effect on a toy alignment."""

from __future__ import annotations

import numpy as np
import pytest
from driftscope.align import AlignConfig, align
from driftscope.align.anchors import (
    ONE_SIDED,
    anchor_bags,
    anchor_cost,
    reverse_bags,
    segment_anchors,
)
from driftscope.align.costs import normalize_rows


@pytest.mark.parametrize(
    ("a", "b"),
    [("8839,8 m", "8839.8 m"), ("1.000 Fuss", "1,000 ft"), ("1'000", "1000"),
     ("Kangchendzönga", "KANGCHENDZONGA"), ("Évian", "Evian")],
)  # fmt: skip
def test_equivalent_tokens_normalise_alike(a: str, b: str) -> None:
    assert segment_anchors(a)[0] == segment_anchors(b)[0]


def test_segment_anchors_keeps_numbers_and_capitalised_words_only() -> None:
    toks = segment_anchors("Am 9.Mai erreichte Imanishi den Gipfel von Nanga Parbat , 8125,5 m")
    assert toks == ["9", "imanishi", "gipfel", "nanga", "parbat", "8125.5"]
    assert segment_anchors("route des vins") == []  # lowercase words are not anchors
    assert segment_anchors("Le Tour") == ["tour"]  # "Le": shorter than 4 letters


def test_bags_keep_only_tokens_found_on_both_sides() -> None:
    bags = anchor_bags(["Mount Everest 8848", "Berge"], ["Mont Everest", "8848 mètres", "Alpes"])
    assert bags.n_shared == 2  # "everest", "8848"; "mount", "berge", "alpes" are one-sided
    assert bags.src.shape == (3, 2) and bags.tgt.shape == (4, 2)
    assert bags.src.dtype == np.int32
    np.testing.assert_array_equal(bags.src[-1], [1, 1])
    np.testing.assert_array_equal(bags.tgt[1], bags.tgt[1] * [0, 1] + bags.tgt[1] * [1, 0])
    assert bags.tgt[1].sum() == 1 and bags.tgt[2].sum() == 2 and bags.tgt[3].sum() == 2


def test_rare_anchors_weigh_more() -> None:
    src = ["Zermatt 1950", "1950", "1950", "1950"]
    tgt = ["Zermatt 1950", "1950", "1950", "1950"]
    bags = anchor_bags(src, tgt)
    assert bags.n_shared == 2
    assert bags.idf.max() > 1.5 * bags.idf.min()


def test_anchor_cost_agreement_mismatch_and_absence() -> None:
    bags = anchor_bags(["Everest 8848", "Lhotse 8501", "ohne Zahl"],
                       ["Everest 8848", "Lhotse", "sans nombre", "8501"])  # fmt: skip
    rows = np.array([1, 2, 3])
    c = np.array([[1, 2, 3], [1, 2, 3], [1, 2, 3]])
    cost = anchor_cost(bags, rows, 1, c, 1)
    assert cost.shape == (3, 3) and cost.dtype == np.float64
    assert cost[0, 0] == pytest.approx(0.0, abs=1e-9)  # same anchors
    assert cost[0, 1] == pytest.approx(1.0, abs=1e-9)  # both have anchors, none shared
    assert 0.2 < cost[1, 1] < 0.8  # "lhotse" agrees, "8501" sits in a later target line
    assert cost[2, 2] == 0.0  # neither side has an anchor
    assert cost[2, 0] == pytest.approx(ONE_SIDED, abs=1e-9)  # only the target side has anchors
    assert 0.0 < ONE_SIDED < 1.0
    # The 2-2 bead (Lhotse 8501 | Lhotse, sans nombre + 8501) recovers what the 1-1 lacked.
    merged = anchor_cost(bags, np.array([2]), 1, np.array([[4]]), 3)
    assert merged[0, 0] == pytest.approx(0.0, abs=1e-9)


def test_reverse_bags_mirror_window_differences() -> None:
    bags = anchor_bags(["A 1", "B 2", "C 3"], ["1", "2", "3"])
    rev = reverse_bags(bags)
    # Source segment 0 forwards is source segment 2 backwards.
    np.testing.assert_array_equal(rev.src[3] - rev.src[2], bags.src[1] - bags.src[0])


class _TableEncoder:
    """Fixed vectors per sentence (the aligner is run with ``embed="none"``)."""

    id = "table"
    prompt = ""

    def __init__(self, table: dict[str, np.ndarray]) -> None:
        self.table = table

    def encode(self, texts: list[str]) -> np.ndarray:
        return normalize_rows(np.array([self.table[t] for t in texts], np.float32))


def _crossed_pair() -> tuple[list[str], list[str], _TableEncoder]:
    """Eight 1-1 pairs; at pairs 3/4 the meaning is shared across the sentence boundary (the
    vectors still favour 1-1 + 1-1) and the number moved with it: the gold bead is 2-2."""
    rng = np.random.default_rng(3)
    d = 48
    base = rng.standard_normal((8, d))
    src = [f"Satz {k} Kapitel {1900 + k}" for k in range(8)]
    tgt = [f"phrase {k} chapitre {1900 + k}" for k in range(8)]
    src[3], src[4] = "Satz drei 8611", "Satz vier"
    tgt[3], tgt[4] = "phrase trois", "phrase quatre 8611"
    extra = rng.standard_normal(d)  # the clause of source 3 that the target moved to 4
    table = {}
    for k in range(8):
        table[src[k]] = base[k] + (0.5 * extra if k == 3 else 0) + 0.3 * rng.standard_normal(d)
        table[tgt[k]] = base[k] + (0.5 * extra if k == 4 else 0) + 0.3 * rng.standard_normal(d)
    return src, tgt, _TableEncoder(table)


def test_anchor_term_turns_crossed_pairs_into_one_bead() -> None:
    src, tgt, enc = _crossed_pair()
    cfg = AlignConfig(embed="none", length_weight=0.0, n_samples=16)
    without = align(src, tgt, enc, cfg.replace(anchor_weight=0.0)).pairs()
    with_ = align(src, tgt, enc, cfg.replace(anchor_weight=1.0)).pairs()
    assert ((3,), (3,)) in without and ((4,), (4,)) in without
    assert ((3, 4), (3, 4)) in with_
    assert [p for p in with_ if p[0] and p[0][0] not in (3, 4)] == [
        p for p in without if p[0] and p[0][0] not in (3, 4)
    ]
