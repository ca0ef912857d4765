from __future__ import annotations

import math

from driftscope.align import Alignment
from driftscope.embed import get_encoder
from driftscope.model import Bead, RunResult, from_json, to_json
from driftscope.pipeline import compose_nway, run_manifest

from tests.helpers import CORPUS


def _al(beads: list[Bead], n: int, m: int) -> Alignment:
    sims = tuple(1.0 if b.src and b.tgt else math.nan for b in beads)
    return Alignment(tuple(beads), sims, sims, n, m, None)  # type: ignore[arg-type]


def test_compose_nway_follows_chain() -> None:
    h1 = _al([Bead((0,), (0,)), Bead((1, 2), (1,)), Bead((3,), ()), Bead((), (2,))], 4, 3)
    h2 = _al([Bead((0,), (0, 1)), Bead((1,), (2,)), Bead((2,), ())], 3, 3)
    rows = compose_nway(("a", "b", "c"), [h1, h2], [h1.similarity, h2.similarity])
    segs = [r["segments"] for r in rows]
    assert segs[:2] == [
        {"a": [0], "b": [0], "c": [0, 1]},
        {"a": [1, 2], "b": [1], "c": [2]},
    ]
    # a dropped passage and an added one are unordered against each other
    assert sorted(map(str, segs[2:])) == sorted(
        map(str, [{"a": [3], "b": [], "c": []}, {"a": [], "b": [2], "c": []}])
    )
    assert rows[0]["similarity"] == {"a-b": 1.0, "b-c": 1.0}


def test_manifest_run_is_deterministic_and_round_trips() -> None:
    enc = get_encoder("hash")
    one = run_manifest(CORPUS, encoder=enc)
    two = run_manifest(CORPUS, encoder=enc)
    assert to_json(one) == to_json(two)
    # NaN (similarity of 1-0 beads) is not equal to itself: compare the serialised forms
    assert to_json(from_json(to_json(one), RunResult)) == to_json(one)
    assert [c.hop for c in one.comparisons] == ["ru-vi", "vi-en", "ru-en"]
    assert one.chain == ("ru", "vi", "en")
    assert len(one.extras["gold"]) >= 20
    for comp in one.comparisons:
        src, tgt = one.document(comp.src_id), one.document(comp.tgt_id)
        # every segment of both sides appears exactly once, in order
        assert [i for b in comp.beads for i in b.src] == list(range(len(src.segments)))
        assert [j for b in comp.beads for j in b.tgt] == list(range(len(tgt.segments)))
        assert len(comp.scores) == len(comp.beads)
