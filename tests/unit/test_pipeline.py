from __future__ import annotations

import math

from driftscope.align import Alignment
from driftscope.align.chain import ChainAlignment, compose, nway_rows
from driftscope.embed import get_encoder
from driftscope.model import Bead, RunResult, from_json, to_json
from driftscope.pipeline import run_manifest

from tests.helpers import CORPUS


def test_nway_rows_from_chain() -> None:
    beads1 = (Bead((0,), (0,)), Bead((1, 2), (1,)), Bead((3,), ()), Bead((), (2,)))
    beads2 = (Bead((0,), (0, 1)), Bead((1,), (2,)), Bead((2,), ()))
    hops = []
    for beads, n, m in ((beads1, 4, 3), (beads2, 3, 3)):
        sims = tuple(0.5 if b.src and b.tgt else math.nan for b in beads)
        hops.append(Alignment(beads, sims, sims, n, m, None))  # type: ignore[arg-type]
    nway = compose([h.beads for h in hops], [4, 3, 3])
    ch = ChainAlignment(("a", "b", "c"), tuple(hops), hops[0], nway, ())
    rows = nway_rows(ch)
    assert rows[0] == {
        "segments": {"a": [0], "b": [0], "c": [0, 1]},
        "similarity": {"a-b": 0.5, "b-c": 0.5},
    }
    assert rows[1]["segments"] == {"a": [1, 2], "b": [1], "c": [2]}
    # a dropped passage and an added one: no similarity on hops where a side is empty
    dropped = [r for r in rows if r["segments"]["a"] == [3]]
    assert dropped == [{"segments": {"a": [3], "b": [], "c": []}, "similarity": {}}]
    added = [r for r in rows if r["segments"]["b"] == [2]]
    assert added[0]["segments"] == {"a": [], "b": [2], "c": []}


def test_manifest_run_is_deterministic_and_round_trips() -> None:
    enc = get_encoder("hash")
    one = run_manifest(CORPUS, encoder=enc)
    two = run_manifest(CORPUS, encoder=enc)
    assert to_json(one) == to_json(two)
    # NaN (similarity of 1-0 beads) is not equal to itself: compare the serialised forms
    assert to_json(from_json(to_json(one), RunResult)) == to_json(one)
    assert [c.hop for c in one.comparisons] == ["ru-vi", "vi-en", "ru-en"]
    assert {"nway", "disagreements", "gold"} <= set(one.extras)
    assert one.chain == ("ru", "vi", "en")
    assert len(one.extras["gold"]) >= 20
    for comp in one.comparisons:
        src, tgt = one.document(comp.src_id), one.document(comp.tgt_id)
        # every segment of both sides appears exactly once, in order
        assert [i for b in comp.beads for i in b.src] == list(range(len(src.segments)))
        assert [j for b in comp.beads for j in b.tgt] == list(range(len(tgt.segments)))
        assert len(comp.scores) == len(comp.beads)


def test_run_signature_records_the_code_of_the_rules(tmp_path) -> None:
    """Set phrases and cue tables live in code: the signature carries a digest of the flag
    rules and of the aligner, which changes when a module does."""
    import re

    from driftscope import pipeline
    from driftscope.pipeline import PipelineConfig, run_signature

    sig = run_signature(PipelineConfig(model="hash"), get_encoder("hash"))
    assert re.fullmatch(r"[0-9a-f]{12}", str(sig.flag["rules"]))
    assert re.fullmatch(r"[0-9a-f]{12}", str(sig.align["code"]))
    assert sig.flag["rules"] != sig.align["code"]
    assert run_signature(PipelineConfig(model="hash"), get_encoder("hash")) == sig
    # the digest follows the bytes of the modules it covers
    pkg = tmp_path / "pkg"
    (pkg / "quality").mkdir(parents=True)
    (pkg / "quality" / "a.py").write_text("X = 1\n", encoding="utf-8")
    fake = pkg / "pipeline.py"
    fake.write_text("", encoding="utf-8")
    orig = pipeline.__file__
    try:
        pipeline.__file__ = str(fake)
        pipeline._code_digest.cache_clear()
        one = pipeline._code_digest("quality")
        (pkg / "quality" / "a.py").write_text("X = 2\n", encoding="utf-8")
        pipeline._code_digest.cache_clear()
        assert pipeline._code_digest("quality") != one
    finally:
        pipeline.__file__ = orig
        pipeline._code_digest.cache_clear()
