"""Faithful text that the flag rules once took for errors: a target shared by sources that
differ in form only, a repetition the source makes too, clock times respaced, a sentence
break the source has, a name's possessive adjective (quality.evidence, wordalign, numbers,
text, entities)."""

from __future__ import annotations

import numpy as np
import pytest
from driftscope.model import Bead, Document, Segment
from driftscope.quality import flag_comparison
from driftscope.quality import text as tx
from driftscope.quality.evidence import bead_evidence
from driftscope.quality.tokens import TokenVectors
from driftscope.quality.wordalign import echoed, word_spans

from tests.helpers import text_doc


def _dup(src: list[str], tgt: list[str]) -> list[tuple[int, str]]:
    s, t = text_doc("ru", "ru", src), text_doc("en", "en", tgt)
    beads = [Bead((k,), (k,)) for k in range(len(src))]
    flags = flag_comparison(s, t, beads, min_severity="low")
    return [(f.tgt[0], f.severity) for f in flags if f.kind == "duplicate"]


def test_a_target_shared_by_near_identical_sources_is_low() -> None:
    src = ["Задайте вопросы, пожалуйста.", "Погода хорошая.", "Задавайте вопросы, пожалуйста."]
    tgt = ["Please ask questions.", "The weather is fine today.", "Please ask questions."]
    assert _dup(src, tgt) == [(2, "low")]


def test_a_target_shared_by_different_sources_stays_high() -> None:
    src = ["Задайте вопросы, пожалуйста.", "Погода сегодня хорошая.", "Фото: президент Белоруссии."]
    tgt = ["Please ask questions.", "The weather is fine today.", "Please ask questions."]
    assert _dup(src, tgt) == [(2, "high")]


def _tv(text: str, vec_of: dict[str, np.ndarray]) -> TokenVectors:
    spans = tuple(word_spans(text))
    v = np.array([vec_of[text[a:b].lower()] for a, b in spans], dtype=np.float32)
    return TokenVectors(text, spans, v)


E = np.eye(8, dtype=np.float32)


def test_a_repetition_said_twice_in_the_source_is_echoed() -> None:
    """Each copy of "freedom speech" aligns to its own source words (свобода слова / свободу
    слова: other forms, so no repeat in the source text itself)."""
    src_text, tgt_text = "свобода слова убьет свободу слова", "freedom speech kills freedom speech"
    src = TokenVectors(src_text, tuple(word_spans(src_text)), E[:5])
    tgt = TokenVectors(tgt_text, tuple(word_spans(tgt_text)), E[:5])
    assert tx.longest_repeat(src_text) is None
    first, second = tx.repeat_pair(tgt_text)
    assert (first.start, second.start) == (0, 21)
    assert echoed(src, tgt, first, second)


def test_a_loop_aligns_where_its_first_copy_does() -> None:
    src = TokenVectors("совет решил", ((0, 5), (6, 11)), np.stack([E[0], E[1]]))
    tgt_text = "the council the council decided"
    tgt = TokenVectors(tgt_text, tuple(word_spans(tgt_text)),
                       np.stack([E[0] * 0.9 + E[2] * 0.1, E[0], E[0] * 0.9 + E[2] * 0.1, E[0],
                                 E[1]]))  # fmt: skip
    first, second = tx.repeat_pair(tgt_text)
    assert not echoed(src, tgt, first, second)


def test_repetition_evidence_follows_the_alignment() -> None:
    """End to end: an echoed repeat counts as the source's own, a loop's copy does not."""
    s_text, t_text = "свобода слова убьет свободу слова", "freedom speech kills freedom speech"
    st = TokenVectors(s_text, tuple(word_spans(s_text)), E[:5])
    faithful = TokenVectors(t_text, tuple(word_spans(t_text)), E[:5])
    loop = TokenVectors(t_text, faithful.spans, np.stack([E[0], E[1], E[2], E[0], E[1]]))
    s, t = text_doc("ru", "ru", [s_text]), text_doc("en", "en", [t_text])
    for tokens, echo in ((faithful, True), (loop, False)):
        ev, _ = bead_evidence(s, t, [Bead((0,), (0,))], src_tokens=[st], tgt_tokens=[tokens])
        assert ev[0].repeat is not None and ev[0].src_repeats is echo


@pytest.mark.parametrize(
    ("src", "tgt", "severity"),
    [
        ("Эхо Москвы, 14 сентября 2015, 11:08", "Echo of Moscow, 14 September 2015, 11: 08", "low"),
        ("1:20 Были ли выборы?", "1: 20 Was it an election?", "low"),
        ("С 2015 года отношения крепнут.", "Since 2013 relations have grown.", "medium"),
    ],
)
def test_respaced_numbers_are_low_changed_values_medium(src: str, tgt: str, severity: str) -> None:
    flags = flag_comparison(text_doc("ru", "ru", [src]), text_doc("en", "en", [tgt]),
                            [Bead((0,), (0,))], min_severity="low")  # fmt: skip
    assert [f.severity for f in flags if f.kind == "number_mismatch"] == [severity]


def test_a_break_the_source_makes_too_is_not_inner() -> None:
    src = "Трек «Don't Stop» в формате .mp3. — слушайте онлайн"
    tgt = 'The track "Don\'t Stop" in .mp3. listen online'
    assert len(tx.inner_breaks(tgt)) == 1
    assert len(tx.inner_breaks(src)) == 0 and len(tx.inner_breaks(src, loose=True)) == 1
    ev, _ = bead_evidence(
        text_doc("ru", "ru", [src]), text_doc("en", "en", [tgt]), [Bead((0,), (0,))]
    )
    assert ev[0].inner_breaks == ()
    ev, _ = bead_evidence(text_doc("ru", "ru", ["Трек в формате mp3, слушайте онлайн"]),
                          text_doc("en", "en", [tgt]), [Bead((0,), (0,))])  # fmt: skip
    assert len(ev[0].inner_breaks) == 1


@pytest.mark.parametrize(
    ("src", "tgt"),
    [
        ("Посетители Исаакиевского собора", "Visitors to St. Isaac's Cathedral"),
        ("передача Исаакиевского собора церкви", "the transfer of St Isaac's Cathedral"),
    ],
)
def test_a_possessive_adjective_of_a_name_passes(src: str, tgt: str) -> None:
    altered, _ = tx.entity_mismatch(src, tgt)
    assert altered == []


def _unit(v: np.ndarray) -> np.ndarray:
    return (v / np.linalg.norm(v, axis=-1, keepdims=True)).astype(np.float32)


@pytest.mark.parametrize(("paraphrase", "severity"), [(True, "low"), (False, "high")])
def test_a_shared_target_that_translates_its_source_fully_is_low(
    paraphrase: bool, severity: str
) -> None:
    """Europarl's "Herr Präsident, liebe Kolleginnen und Kollegen!" and "..., meine Damen und
    Herren!" both become "Mr President, ladies and gentlemen.": the second bead is as similar
    as a typical pair, so the shared target is a set phrase, not a copy."""
    rng = np.random.default_rng(5)
    n = 12
    src = [f"Quelle Nummer {k} sagt etwas ganz anderes über Thema {k}." for k in range(n)]
    src[0], src[6] = "Herr Präsident, liebe Kolleginnen und Kollegen!", "Was machen wir jetzt?"
    tgt = [f"Target number {k} says something else about topic {k}." for k in range(n)]
    tgt[0] = tgt[6] = "Mr President, ladies and gentlemen."
    sv = _unit(rng.normal(size=(n, 32)))
    tv = _unit(sv + 0.3 * rng.normal(size=sv.shape))
    tv[6] = tv[0]  # one text, one vector
    sv[6] = _unit(sv[0] + 0.05 * rng.normal(size=32)) if paraphrase else sv[6]
    s, t = text_doc("de", "de", src), text_doc("en", "en", tgt)
    beads = [Bead((k,), (k,)) for k in range(n)]
    flags = flag_comparison(s, t, beads, src_vecs=sv, tgt_vecs=tv, min_severity="low")
    assert [(f.tgt[0], f.severity) for f in flags if f.kind == "duplicate"] == [(6, severity)]


@pytest.mark.parametrize(
    ("tgt", "severity"),
    [
        ("Prime Minister, ladies and gentlemen,", "low"),  # langdetect: 'de'; no German word
        ("Summary: Der hier Beitrag sich mit der Question, ob das Kind", "high"),
    ],
)
def test_left_untranslated_needs_the_source_words(tgt: str, severity: str) -> None:
    src = "Zusammenfassung: Der Beitrag beschäftigt sich mit der Frage, ob das Kind"
    if severity == "low":
        src = "Herr Premierminister, meine Damen und Herren,"
    s = text_doc("de", "de", [src])
    t = Document(doc_id="en", lang="en",
                 segments=(Segment(0, tgt, 0, len(tgt), 0, "de", 0.99),))  # fmt: skip
    flags = flag_comparison(s, t, [Bead((0,), (0,))], min_severity="low")
    assert [f.severity for f in flags if f.kind == "untranslated"] == [severity]


@pytest.mark.parametrize(
    ("src", "tgt", "invented"),
    [
        ("Suchen Sie eine Übernachtung in Warschau?", "Looking for an overnight stay?", []),
        ("Preis aller Übernachtungen.", "The price of all nights.", []),
        ("Wir sahen den Vorteil.", "We saw the advantage at night.", ["night"]),
    ],
)
def test_a_german_compound_states_a_time(src: str, tgt: str, invented: list[str]) -> None:
    from driftscope.quality.timex import invented_times

    assert [m.key for m in invented_times(src, tgt)] == invented


@pytest.mark.parametrize(("src_end", "flagged"), [("analysis", False), ("analysis.", True)])
def test_a_target_ending_mid_sentence_needs_a_source_that_ends_one(
    src_end: str, flagged: bool
) -> None:
    """NTREX's headline "'Phenomenal' from Livingston - analysis" has no full stop; its
    translation is followed by a line that starts in lower case, its source is not."""
    s = text_doc("en", "en", [f"'Phenomenal' from Livingston - {src_end}", "BBC Scotland's report"])
    t = text_doc(
        "vi", "vi", ["'Mãn nhãn' với Livingston - phân tích", "từ phóng viên BBC Scotland"]
    )
    flags = flag_comparison(s, t, [Bead((0,), (0,)), Bead((1,), (1,))], min_severity="low")
    ends = [f for f in flags if f.kind == "broken_segment" and "ends mid-sentence" in f.note]
    assert bool(ends) is flagged


def test_a_generic_word_is_marked_by_the_documents_own_quantile() -> None:
    """word_support marks the words whose random-source support is above the document's
    GENERIC quantile: a hub word matches every sentence, a content word only its own."""
    from driftscope.quality.tokens import word_support

    rng = np.random.default_rng(0)
    hub = _unit(rng.normal(size=16))
    pairs = []
    for k in range(12):
        own = _unit(rng.normal(size=16))
        # source: its own word and the hub; target: its own word (a copy) and, from pair 6
        # on, a hub-like word whose counterpart the source leaves out
        st = TokenVectors(f"quelle{k} nabe", ((0, 7 + (k > 9)), (8 + (k > 9), 12 + (k > 9))),
                          np.stack([own, hub]))  # fmt: skip
        text = f"target{k} will" if k >= 6 else f"target{k}"
        vecs = [own] + ([_unit(hub + 0.3 * rng.normal(size=16))] if k >= 6 else [])
        spans = ((0, 7 + (k > 9)),) + (((8 + (k > 9), 12 + (k > 9)),) if k >= 6 else ())
        pairs.append((st, TokenVectors(text, spans, np.stack(vecs))))
    sup = word_support(pairs, np.random.default_rng(1))
    generic = {w.text for row in sup for w in row if w.generic}
    assert generic == {"will"}


def test_a_quoted_question_in_the_source_explains_the_targets_break() -> None:
    """«Почему?», — спросила она. / Why? she asked. (NTREX's English drops the quotes)."""
    s = text_doc("ru", "ru", ["«Почему?», — спросила она."])
    ev, _ = bead_evidence(s, text_doc("en", "en", ["Why? she asked."]), [Bead((0,), (0,))])
    assert ev[0].inner_breaks == ()


def test_an_indirect_question_is_not_a_negation() -> None:
    from driftscope.quality.negation import negations

    assert negations("Я спросил, не нужна ли помощь.", "ru") == []
    assert [m.text for m in negations("Помощь не нужна.", "ru")] == ["не"]


@pytest.mark.parametrize(
    ("src", "tgt"),
    [
        (
            "78-летняя Анна в одночасье лишилась накоплений.",
            "Anna, 78, lost her savings overnight.",
        ),
        ("Это не произойдет в одночасье.", "It won't happen overnight."),
    ],
)
def test_overnight_is_not_a_time_of_day(src: str, tgt: str) -> None:
    from driftscope.quality.timex import invented_times

    assert invented_times(src, tgt) == []


def test_respaced_digits_are_the_same_groups_in_any_order() -> None:
    """The multiset matcher pairs the dateline's "18" of "18: 06" with the later "18"."""
    src = "Пекин, 18 ноября 2019, 18:06 — REGNUM, сообщает 18 ноября"
    miss, extra = tx.number_mismatch(
        src, "Beijing, November 18, 2019, 18: 06, reported November 18"
    )
    assert miss and extra and tx.same_digits(miss, extra)
    assert not tx.same_digits(*tx.number_mismatch("С 2015 года", "Since 2051"))


def test_a_copied_list_of_names_is_not_left_untranslated() -> None:
    text = "Nanga Parbat , Cho Oyu , Gasherbrum ."
    s = text_doc("de", "de", [text])
    t = Document(doc_id="fr", lang="fr",
                 segments=(Segment(0, text, 0, len(text), 0, "de", 0.99),))  # fmt: skip
    flags = flag_comparison(s, t, [Bead((0,), (0,))], min_severity="low")
    assert [f.severity for f in flags if f.kind == "untranslated"] == ["low"]


@pytest.mark.parametrize(
    ("text", "broken"),
    [("norrænu þekkingar- og menningarnefndinni", False), ("US friendship- Belarus", True)],
)
def test_an_icelandic_suspended_compound_is_not_broken(text: str, broken: bool) -> None:
    from driftscope.quality.surface import broken_hyphens

    assert bool(broken_hyphens(text)) is broken


def test_a_french_clock_with_a_dotted_h() -> None:
    assert tx.number_mismatch("um 15.30 Uhr verlassen", "quitté vers 15 h. 30 ,") == ([], [])


def test_a_russian_litotes_is_not_a_negation() -> None:
    from driftscope.quality.negation import negations

    assert negations("Не исключается риск внезапных паводков.", "ru") == []
    assert negations("Риск не исчез.", "ru") != []


def test_prime_time_is_the_same_time_in_every_language() -> None:
    from driftscope.quality.timex import invented_times

    src = "С 2014 года рейтинги прайм-тайм выросли вдвое."
    assert invented_times(src, "Kể từ năm 2014, tỷ suất người xem vào giờ vàng đã tăng.") == []


@pytest.mark.parametrize(
    ("src", "tgt", "same"),
    [
        ("убийстве 298 человек | 25.05.2018.", "the murder of 298 people on May 25, 2018.", True),
        ("Пресс-релиз от 05/25/2018", "Press release of 25 May 2018", True),
        ("с 25.05.2018", "since 25 June 2018", False),
    ],
)
def test_a_numeric_date_matches_the_date_with_a_month_name(src: str, tgt: str, same: bool) -> None:
    assert (tx.number_mismatch(src, tgt) == ([], [])) is same


def test_french_restriction_ne_que_is_not_a_negation() -> None:
    from driftscope.quality.negation import negations

    assert negations("Il ne mange que du pain.", "fr") == []
    assert negations("Il ne reste qu'une heure.", "fr") == []
    assert negations("Je ne pense pas que ce soit vrai.", "fr") != []
