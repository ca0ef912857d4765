"""n-way composition of a translation chain, and the bundled nato-lukashenko chain."""

from __future__ import annotations

from pathlib import Path

import pytest
from driftscope.align.chain import align_chain, compose, composed_pair
from driftscope.evaluate import read_beads, score_alignments
from driftscope.model import Bead

CORPUS = Path(__file__).resolve().parents[2] / "corpora" / "nato-lukashenko"


def test_compose_joins_groups_through_the_relay() -> None:
    hop1 = [Bead((0,), (0,)), Bead((1, 2), (1,)), Bead((3,), ())]
    hop2 = [Bead((0,), (0, 1)), Bead((1,), (2,)), Bead((), (3,))]
    beads = compose([hop1, hop2], [4, 2, 4])
    assert beads == (
        ((0,), (0,), (0, 1)),
        ((1, 2), (1,), (2,)),
        ((3,), (), ()),
        ((), (), (3,)),
    )
    assert composed_pair(beads) == (
        Bead((0,), (0, 1)), Bead((1, 2), (2,)), Bead((3,), ()), Bead((), (3,)),
    )  # fmt: skip


def test_compose_splits_unmatched_groups_into_single_skips() -> None:
    beads = compose([[Bead((), (0,))], [Bead((0,), (0, 1))]], [0, 1, 2])
    assert composed_pair(beads) == (Bead((), (0,)), Bead((), (1,)))


@pytest.mark.skipif(not (CORPUS / "segments").is_dir(), reason="corpus not bundled")
def test_bundled_chain_against_gold() -> None:
    """Real e5 encoder on 144 sentences: hops and composition against the corpus gold."""
    from driftscope.embed import get_encoder
    from driftscope.ingest import read_document

    docs = [
        read_document(CORPUS / "segments" / f"{lang}.txt", lang, presegmented=True, doc_id=lang)
        for lang in ("ru", "vi", "en")
    ]
    ch = align_chain(docs, get_encoder())
    assert ch.doc_ids == ("ru", "vi", "en")
    got = {
        "ru-vi": ch.hops[0].beads,
        "vi-en": ch.hops[1].beads,
        "ru-en": ch.direct.beads,
    }
    for name, beads in got.items():
        s = score_alignments([(read_beads(CORPUS / "gold" / f"{name}.beads"), beads)])
        assert s.strict_f1 >= 0.9, name
        assert s.lax_f1 >= 0.95, name
    comp = score_alignments([(read_beads(CORPUS / "gold" / "ru-en.beads"), ch.composed_pair())])
    assert comp.strict_f1 >= 0.9
    # Every disagreement really differs between the two alignments.
    for d in ch.disagreements:
        assert set(d.direct) != set(d.composed)
