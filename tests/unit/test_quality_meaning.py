"""Names by inflection and spelling, clock times, negation reversals (quality.entities,
quality.numbers, quality.negation) and the strict gold check (report.gold)."""

from __future__ import annotations

import numpy as np
import pytest
from driftscope.model import Bead, Flag, Span
from driftscope.quality import flag_comparison
from driftscope.quality import text as tx
from driftscope.quality.negation import negations, reversals
from driftscope.quality.tokens import TokenVectors
from driftscope.quality.wordalign import word_spans
from driftscope.report.gold import finds, gold_range

from tests.helpers import text_doc


@pytest.mark.parametrize(
    ("src", "tgt"),
    [
        ("Судья Кавано заявил", "Judge Kavanaugh said"),
        ("жители Хабаровского края", "residents of the Khabarovsk region"),
        ("в Московском суде", "in a Moscow court"),
        ("решение Конгресса", "the decision of Congress"),
        ("папа Франческо", "Pope Francesco"),
        ("выставка в Петербурге", "an exhibition in St Petersburg"),
        ("матч за Суперкубок", "the Super Cup match"),
        ("в Бирмингеме", "in Birmingham"),
        ("Kavanaugh's hearing", "слушания Кавано"),
    ],
)
def test_names_in_case_forms_and_conventional_spellings_pass(src: str, tgt: str) -> None:
    altered, _ = tx.entity_mismatch(src, tgt)
    assert altered == []


@pytest.mark.parametrize(
    ("src", "tgt", "name"),
    [
        ("премьер Михаил Мясникович", "Prime Minister Mikhail Myasnikov", "Мясникович"),
        ("премьера Михаила Мясниковича", "Thủ tướng Mikhail Myasnikov", "Мясниковича"),
        ("Prime Minister Myasnikovich", "премьер Мясников", "Myasnikovich"),
    ],
)
def test_a_truncated_name_is_still_altered(src: str, tgt: str, name: str) -> None:
    altered, _ = tx.entity_mismatch(src, tgt)
    assert [m.text for m in altered] == [name]


def _tv(text: str, vec_of: dict[str, np.ndarray]) -> TokenVectors:
    spans = tuple(word_spans(text))
    v = np.array([vec_of[text[a:b].lower()] for a, b in spans], dtype=np.float32)
    return TokenVectors(text, spans, v)


def test_truncation_counts_only_on_the_aligned_word() -> None:
    """With token vectors, a near miss elsewhere in the sentence is not the name's rendering."""
    eye = np.eye(6, dtype=np.float32)
    src = "Сказал Мясникович вчера"
    tgt = "Yesterday Myasnikov said Myasnikovich"
    vec = {"сказал": eye[0], "мясникович": eye[1], "вчера": eye[2], "yesterday": eye[2]}
    vec |= {"myasnikov": eye[3], "said": eye[0], "myasnikovich": eye[1]}
    altered, missing = tx.entity_mismatch(src, tgt, _tv(src, vec), _tv(tgt, vec))
    assert altered == [] and missing == []
    tgt2 = "Yesterday Myasnikov said"
    vec["myasnikov"] = eye[1]  # the model aligns the name to the truncated form
    altered, _ = tx.entity_mismatch(src, tgt2, _tv(src, vec), _tv(tgt2, vec))
    assert [m.text for m in altered] == ["Мясникович"]


@pytest.mark.parametrize(
    ("src", "tgt"),
    [
        ("The meeting starts at 3 p.m.", "Встреча начнётся в 15:00."),
        ("The meeting starts at 3 p.m.", "Встреча начнётся в 15 ч."),
        ("at 1 p.m. on Monday", "в 13:00 в понедельник"),
        ("lúc 3 giờ chiều", "at 3 p.m."),
        ("в 3 часа дня", "at 15:00"),
        ("um 15 Uhr", "at 3pm"),
        ("at 10:30 a.m.", "à 10h30"),
        ("three soldiers", "3 солдата"),
        ("at 3:00 in the afternoon", "в 15:00"),
    ],
)
def test_times_and_numbers_in_equivalent_forms(src: str, tgt: str) -> None:
    assert tx.number_mismatch(src, tgt) == ([], [])


def test_a_changed_time_is_still_a_mismatch() -> None:
    miss, extra = tx.number_mismatch("at 3 p.m.", "в 16:00")
    assert [m.key for m in miss] == ["15"] and [m.key for m in extra] == ["16"]
    miss, extra = tx.number_mismatch("С 2015 года", "Since 2013")
    assert [m.text for m in miss] == ["2015"] and [m.text for m in extra] == ["2013"]


# (language, a negated sentence, its faithful English translation, the reversed one)
NEGATED = [
    ("en", "He is not dependent on the US.", "Он не зависит от США.", "Он зависит от США."),
    ("ru", "Он не зависит от США.", "He is not dependent on the US.", "He is dependent on the US."),
    ("vi", "Chính xác là không phụ thuộc vào Mỹ.", "Precisely: not dependent on the US.",
     "Officially dependent on the United States."),
    ("de", "Er ist nicht von den USA abhängig.", "He is not dependent on the US.",
     "He is dependent on the US."),
    ("fr", "Il ne dépend pas des États-Unis.", "He does not depend on the US.",
     "He depends on the US."),
    ("zh", "他不依赖美国。", "He does not depend on the US.", "He depends on the US."),
]  # fmt: skip


@pytest.mark.parametrize(("lang", "src", "faithful", "reversed_"), NEGATED)
def test_negation_reversal_fires_only_on_the_reversal(
    lang: str, src: str, faithful: str, reversed_: str
) -> None:
    other = "ru" if lang == "en" else "en"
    assert reversals(src, faithful, lang, other) == []
    (r,) = reversals(src, reversed_, lang, other)
    assert r.side == "src" and src[r.cue.start : r.cue.end] == r.cue.text
    assert (r.src_count, r.tgt_count) == (1, 0)
    # the other way round: a negation the target adds
    (r,) = reversals(reversed_, src, other, lang)
    assert r.side == "tgt"


def test_negation_cues_that_do_not_negate() -> None:
    assert negations("hệ thống phòng không S-400 và không khí", "vi") == []
    assert negations("Bạn có khỏe không?", "vi") == []
    assert negations("他非常忙，不过很高兴。", "zh") == []
    # set phrases: "not only", "nevertheless", "for example", a number sign
    assert negations("Тем не менее, он не только пришёл, но и остался.", "ru") == []
    assert negations("các khoáng chất, chẳng hạn như uranium, không chỉ ở đây", "vi") == []
    assert negations("It aims to be No. 1, not only in Europe.", "en") == []
    assert negations("Nicht nur heute.", "de") == [] and negations("Non seulement lui.", "fr") == []
    # ... but the cue itself still negates elsewhere, and a longer word is not the phrase
    assert [m.text for m in negations("Not only that: he did not stay.", "en")] == ["not"]
    assert [m.text for m in negations("Он не разрешил.", "ru")] == ["не"]
    # negative concord: one negation, not two
    assert len(negations("Никто ничего не сказал.", "ru")) == 1
    assert len(negations("Il ne dit jamais rien.", "fr")) == 1


def test_negation_with_tokens_matches_by_alignment() -> None:
    """Counts differ (two Russian negations far apart vs one English), but each scope aligns
    to a negated English word: no reversal. With "dependent" for "не зависит", rendered more
    clearly than any other word: one reversal, on the second Russian cue."""
    eye = np.eye(9, dtype=np.float32)
    src = "Он не был там и сказал что не зависит"
    vec = {"он": eye[0], "не": eye[1], "был": eye[2], "там": eye[3], "и": eye[4]}
    vec |= {"сказал": eye[5], "что": eye[4], "зависит": eye[6]}

    def near(k: int) -> np.ndarray:  # cosine 0.9 to the source word k
        return 0.9 * eye[k] + np.sqrt(0.19) * eye[8]

    tgt = "He was never there and said he is independent"
    vec |= {"he": near(0), "was": near(2), "never": near(1), "there": near(3), "and": near(4)}
    vec |= {"said": near(5), "is": eye[7], "independent": eye[6]}
    assert reversals(src, tgt, "ru", "en", _tv(src, vec), _tv(tgt, vec)) == []
    tgt2 = "He was never there and said he is dependent"
    vec["dependent"] = eye[6]
    (r,) = reversals(src, tgt2, "ru", "en", _tv(src, vec), _tv(tgt2, vec))
    assert r.side == "src" and r.cue.start == src.rindex("не")
    assert r.rendered == pytest.approx(8 / 9)  # above every other source piece but itself
    assert tgt2[r.other[0] : r.other[1]] == "dependent"


def test_meaning_reversal_flag_with_evidence() -> None:
    src = text_doc("vi", "vi", ["Chính xác là không phụ thuộc vào Mỹ.", "Belarus ở gần Nga."])
    tgt = text_doc("en", "en", ["Officially dependent on the US.", "Belarus is near Russia."])
    beads = [Bead((0,), (0,)), Bead((1,), (1,))]
    flags = flag_comparison(src, tgt, beads, cosines=[0.9, 0.9])
    (f,) = [f for f in flags if f.kind == "meaning_reversal"]
    # counts alone (no token vectors): low; medium needs the scope rendered clearly
    assert f.severity == "low" and f.src == (0,) and f.tgt == (0,)
    assert f.evidence["src_negations"] == 1.0 and f.evidence["tgt_negations"] == 0.0
    assert {(s.version, s.text) for s in f.spans} >= {("vi", "không")}


def _flag(kind: str, sev: str, spans: tuple[Span, ...]) -> Flag:
    return Flag(kind, sev, "vi-en", (11,), (11,), 1.0, 0.0, "", spans)


def test_strict_gold_check_needs_kind_severity_and_overlap() -> None:
    seg = "Officially dependent on the United States, not NATO in general."
    rng = gold_range("Officially dependent on the United States", seg)
    assert rng == (0, 41)
    on = (Span("en", 11, 0, 10, "Officially"),)
    off = (Span("en", 11, 43, 46, "not"),)
    args = ("vi-en", "en", 11, "low_similarity", rng)
    assert finds(_flag("low_similarity", "medium", on), *args)
    assert finds(_flag("meaning_reversal", "medium", on), *args)  # a documented equivalent
    assert not finds(_flag("low_similarity", "low", on), *args)  # below medium
    assert not finds(_flag("low_similarity", "medium", off), *args)  # elsewhere in the segment
    assert not finds(_flag("duplicate", "high", on), *args)  # another kind
    assert finds(_flag("duplicate", "low", off), *args, strict=False)  # lax: touches the segment


@pytest.mark.parametrize(
    ("src", "tgt"),
    [
        ("Mưa sẽ tới vào thứ Ba.", "Ко вторнику пройдут ливни до вечера."),  # a weekday
        ("Во второй половине дня ураган достигнет Мексики.", "It reaches Mexico in the afternoon."),
        ("«А сейчас не осталось ничего».", "Today, there is nothing left."),
        ("The meeting is at 3 p.m.", "Встреча сегодня в 15:00."),
    ],
)
def test_invented_time_check_accepts_paraphrased_times(src: str, tgt: str) -> None:
    from driftscope.quality.timex import invented_times

    assert invented_times(src, tgt) == []
    assert [m.text for m in invented_times("ngay trước thềm bầu cử", "the night before")] == [
        "night"
    ]
