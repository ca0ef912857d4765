from __future__ import annotations

import numpy as np
import pytest
from driftscope.errors import ConfigError
from driftscope.model import Bead, Document, Segment
from driftscope.quality import FlagConfig, attribute, chain_summary, flag_chain, flag_comparison
from driftscope.quality.calibrate import fit_baseline, percentile_rank, random_pair_cosines
from driftscope.quality.tokens import TokenVectors, word_support


def doc(doc_id: str, lang: str, texts: list[str], langs: list[str] | None = None) -> Document:
    segs, pos = [], 0
    for i, t in enumerate(texts):
        lg = (langs or [lang] * len(texts))[i]
        segs.append(Segment(i, t, pos, pos + len(t), 0, lg, 0.99))
        pos += len(t) + 1
    return Document(doc_id=doc_id, lang=lang, segments=tuple(segs))


def vecs(n: int, rng: np.random.Generator, d: int = 64) -> np.ndarray:
    v = rng.normal(size=(n, d))
    return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)


def noisy_copy(v: np.ndarray, rng: np.random.Generator, noise: float = 0.3) -> np.ndarray:
    w = v + noise * rng.normal(size=v.shape)
    return (w / np.linalg.norm(w, axis=1, keepdims=True)).astype(np.float32)


SRC = [
    f"Sentence number {w} talks about the weather in the city today."
    for w in ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
]
TGT = [
    f"Satz Nummer {w} spricht heute über das Wetter in der Stadt."
    for w in ("eins", "zwei", "drei", "vier", "fünf", "sechs", "sieben", "acht", "neun", "zehn")
]


def setup_pair(rng: np.random.Generator) -> tuple[Document, Document, np.ndarray, np.ndarray]:
    sv = vecs(len(SRC), rng)
    tv = noisy_copy(sv, rng, 0.1)
    tv[4] = vecs(1, rng)[0]  # segment 4 is unrelated to its source
    return doc("en", "en", SRC), doc("de", "de", TGT, ["de"] * 10), sv, tv


def test_low_similarity_flags_only_the_detached_pair() -> None:
    rng = np.random.default_rng(1)
    s, t, sv, tv = setup_pair(rng)
    beads = [Bead((i,), (i,)) for i in range(10)]
    flags = flag_comparison(s, t, beads, src_vecs=sv, tgt_vecs=tv, min_severity="medium")
    low = [f for f in flags if f.kind == "low_similarity"]
    assert [f.tgt for f in low] == [(4,)]
    assert low[0].severity == "high" and low[0].value < low[0].threshold
    assert {sp.version for sp in low[0].spans} == {"en", "de"}


def test_flags_invariant_under_monotone_affine_change() -> None:
    """Calibrated thresholds: shrinking all cosines towards a constant changes nothing."""
    rng = np.random.default_rng(2)
    s, t, sv, tv = setup_pair(rng)
    beads = [Bead((i,), (i,)) for i in range(10)]
    cos = np.einsum("nd,nd->n", sv, tv).astype(np.float64)
    rand = random_pair_cosines(sv, tv, np.random.default_rng(0))
    b1 = fit_baseline(cos, rand)
    b2 = fit_baseline(0.5 + 0.2 * cos, 0.5 + 0.2 * rand)
    np.testing.assert_allclose(b1.calibrate(cos), b2.calibrate(0.5 + 0.2 * cos), atol=1e-9)
    assert (
        percentile_rank(cos, rand).tolist()
        == percentile_rank(0.5 + 0.2 * cos, 0.5 + 0.2 * rand).tolist()
    )
    f1 = flag_comparison(s, t, beads, src_vecs=sv, tgt_vecs=tv)
    assert any(f.kind == "low_similarity" for f in f1)


def test_omission_addition_duplicate_and_untranslated() -> None:
    rng = np.random.default_rng(3)
    s = doc("en", "en", SRC[:6])
    tgt_texts = [
        TGT[0],
        TGT[1],
        TGT[1],
        SRC[3],
        TGT[4],
        "Ein ganz neuer Satz ohne jede Quelle hier.",
    ]
    t = doc("de", "de", tgt_texts, ["de", "de", "de", "en", "de", "de"])
    beads = [
        Bead((0,), (0,)),
        Bead((1,), (1,)),
        Bead((), (2,)),
        Bead((2,), ()),
        Bead((3,), (3,)),
        Bead((4,), (4,)),
        Bead((5,), ()),
        Bead((), (5,)),
    ]
    sv = vecs(6, rng)
    tv = noisy_copy(sv, rng, 0.1)
    flags = flag_comparison(s, t, beads, src_vecs=sv, tgt_vecs=tv)
    kinds = {(f.kind, f.src, f.tgt) for f in flags}
    assert ("duplicate", (), (2,)) in kinds
    assert ("omission", (2,), ()) in kinds
    assert ("omission", (5,), ()) in kinds
    assert ("addition", (), (5,)) in kinds
    unt = [f for f in flags if f.kind == "untranslated"]
    assert [(f.tgt, f.severity) for f in unt] == [((3,), "high")]


def test_number_flag_spans_are_local_to_segments() -> None:
    s = doc("ru", "ru", ["Первое предложение здесь.", "С 2015 года партнерство укрепляется."])
    t = doc("en", "en", ["The first sentence is here.", "Since 2013 the partnership grew."])
    beads = [Bead((0, 1), (0, 1))]
    (f,) = [f for f in flag_comparison(s, t, beads) if f.kind == "number_mismatch"]
    assert f.severity == "medium"
    assert {(sp.version, sp.segment, sp.text) for sp in f.spans} == {
        ("ru", 1, "2015"),
        ("en", 1, "2013"),
    }
    for sp in f.spans:
        d = s if sp.version == "ru" else t
        assert d.segments[sp.segment].text[sp.start : sp.end] == sp.text


def test_chain_attributes_inherited_problems_to_first_hop() -> None:
    ru = doc("ru", "ru", ["С 2015 года всё хорошо.", "Второе предложение."])
    vi = doc("vi", "vi", ["Từ năm 2013 mọi thứ tốt.", "Câu thứ hai."])
    en = doc("en", "en", ["Since 2013 everything is fine.", "The second sentence."])
    one = [Bead((0,), (0,)), Bead((1,), (1,))]
    hops = flag_chain([ru, vi, en], [one, one])
    assert [f.kind for f in hops[0]] == ["number_mismatch"]
    assert hops[1] == ()  # the English keeps the relay's 2013: not a new problem
    direct = flag_comparison(ru, en, one)
    (a,) = attribute(direct, hops, [one, one])
    assert a.hop == "ru-vi"
    summary = chain_summary(hops)
    assert [r["cumulative"] for r in summary] == [1.0, 1.0]
    with pytest.raises(ConfigError):
        flag_chain([ru, vi, en], [one])


def test_word_support_finds_the_unsupported_word() -> None:
    rng = np.random.default_rng(4)
    base = vecs(40, rng)
    pairs = []
    for i in range(6):
        src_idx = rng.choice(40, size=5, replace=False)
        tgt = noisy_copy(base[src_idx], rng, 0.05)
        if i == 2:
            tgt[3] = vecs(1, rng)[0]  # word 3 of pair 2 has no source counterpart
        text = " ".join(f"w{k}xx" for k in range(5))
        spans = tuple((5 * k, 5 * k + 4) for k in range(5))
        pairs.append((TokenVectors(text, spans, base[src_idx]), TokenVectors(text, spans, tgt)))
    sup = word_support(pairs, np.random.default_rng(0))
    worst = min((w.calibrated, i, w.text) for i, row in enumerate(sup) for w in row)
    assert worst[1:] == (2, "w3xx")
    assert all(len(row) == 5 for row in sup)


def test_config_validation() -> None:
    with pytest.raises(ConfigError):
        FlagConfig(sim_high=0.5, sim_medium=0.3)


def test_bead_length_ratio_is_one_definition_for_flags_and_reports() -> None:
    from driftscope.quality.evidence import bead_evidence, bead_length_ratios

    src = doc("s", "en", ["a" * 20] * 6 + ["b" * 20])
    tgt = doc("t", "de", ["x" * 30] * 6 + ["y" * 10])
    beads = [Bead((i,), (i,)) for i in range(6)] + [Bead((6,), ()), Bead((), (6,))]
    lr = bead_length_ratios(src, tgt, beads)
    # six 1-1 beads at the same ratio: that is the document median, so they come out 0
    assert np.allclose(lr[:6], 0.0)
    assert np.isnan(lr[6]) and np.isnan(lr[7])
    ev, _ = bead_evidence(src, tgt, beads)
    assert [e.length_ratio for e in ev[:6]] == pytest.approx(list(lr[:6]))
    # a short target line against the median: log(11/21) - log(31/21)
    short = bead_length_ratios(src, tgt, [*beads[:6], Bead((6,), (6,))])[6]
    assert short == pytest.approx(np.log(11 / 21) - np.log(31 / 21))


def test_short_documents_keep_the_raw_ratio_unless_one_side_is_a_dense_script() -> None:
    from driftscope.quality.evidence import bead_length_ratios

    en = ["Belarusian President Lukashenko met Putin in Minsk.", "Trump and Biden debated."]
    beads = [Bead((0,), (0,)), Bead((1,), (1,))]
    de = doc("t", "de", ["Lukaschenko traf Putin in Minsk.", "Trump und Biden debattierten."])
    raw = bead_length_ratios(doc("s", "en", en), de, beads)
    assert raw[0] == pytest.approx(np.log(33 / 52))  # fewer than five beads: no median
    zh = doc("t", "zh", ["白俄罗斯总统卢卡申科在明斯克会见了普京。", "特朗普和拜登进行了辩论。"])
    # a Chinese line holds more per character: with no median the ratio says nothing
    assert np.isnan(bead_length_ratios(doc("s", "en", en), zh, beads)).all()


def test_untranslated_repeat_of_a_translated_source_is_a_low_omission() -> None:
    # the relay repeats a photo caption; the MT translates it once: only the repeat is lost
    caption = "In the photo: the President of Belarus (Photo: AP / TASS)"
    s = doc("vi", "en", [SRC[0], caption, caption, SRC[1]])
    t = doc("en", "de", [TGT[0], "Im Bild: der Präsident von Belarus (Foto: AP / TASS)", TGT[1]])
    beads = [Bead((0,), (0,)), Bead((1,), (1,)), Bead((2,), ()), Bead((3,), (2,))]
    (om,) = [f for f in flag_comparison(s, t, beads) if f.kind == "omission"]
    assert (om.src, om.severity, om.evidence["repeat_of"]) == ((2,), "low", 1)
    assert "repeats the source of bead 1" in om.note
    # a passage that is not a repeat keeps its severity
    s2 = doc("vi", "en", [SRC[0], caption, SRC[4], SRC[1]])
    (om2,) = [f for f in flag_comparison(s2, t, beads) if f.kind == "omission"]
    assert om2.severity in ("medium", "high") and "repeat_of" not in om2.evidence
