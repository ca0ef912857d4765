"""Strict/lax P/R/F1 by Vecalign's definitions (hand-computed cases)."""

from __future__ import annotations

import pytest
from driftscope.errors import InputError
from driftscope.evaluate import format_beads, parse_bead_line, read_beads, score_alignments
from driftscope.model import Bead

GOLD = [((0,), (0, 1)), ((1,), (2,)), ((), (3,)), ((2, 3), (4,))]


def test_perfect() -> None:
    s = score_alignments([(GOLD, GOLD)])
    assert (s.strict_f1, s.lax_f1) == (1.0, 1.0)
    assert s.n_system == 4 and s.n_gold == 3  # recall drops beads with an empty side


def test_hand_computed_counts() -> None:
    system = [((0,), (0,)), ((), (1,)), ((1,), (2,)), ((), (3,)), ((2,), (4,)), ((3,), ())]
    s = score_alignments([(GOLD, system)])
    # precision over 6 beads: strict hits [1]:[2] and []:[3] -> 2/6; lax adds [0]:[0], [2]:[4]
    assert s.strict_precision == pytest.approx(2 / 6)
    assert s.lax_precision == pytest.approx(4 / 6)
    # recall over gold beads without empty sides (3): strict [1]:[2]; lax all three
    assert s.strict_recall == pytest.approx(1 / 3)
    assert s.lax_recall == pytest.approx(1.0)
    p, r = 2 / 6, 1 / 3
    assert s.strict_f1 == pytest.approx(2 * p * r / (p + r))


def test_counts_are_summed_over_documents() -> None:
    doc2 = [((0,), (0,))]
    s = score_alignments([(GOLD, GOLD), (doc2, [((0,), ()), ((), (0,))])])
    assert s.strict_precision == pytest.approx(4 / 6)
    assert s.strict_recall == pytest.approx(3 / 4)


def test_empty_system_scores_zero() -> None:
    s = score_alignments([(GOLD, [])])
    assert s.strict_f1 == 0.0 and s.lax_f1 == 0.0


def test_parse_and_format_round_trip(tmp_path) -> None:
    text = format_beads([Bead((0,), (0, 1)), Bead((), (2,)), Bead((1, 2), ())])
    assert text == "[0]:[0, 1]\n[]:[2]\n[1, 2]:[]\n"
    p = tmp_path / "x.beads"
    p.write_text(text + "\n[3]:[3]:0.25\n", encoding="utf-8")
    assert read_beads(p)[-1] == ((3,), (3,))
    assert parse_bead_line("[6, 7]:[9, 10]") == ((6, 7), (9, 10))


def test_bad_line_names_path_and_line(tmp_path) -> None:
    p = tmp_path / "bad.beads"
    p.write_text("[0]:[0]\n0-1\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"bad.beads:2"):
        read_beads(p)
