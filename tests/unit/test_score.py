"""driftscope.score against sacrebleu's own API: corpus and sentence scores, signatures,
paired bootstrap / approximate randomisation p-values, and the ``sim`` metric (HashEncoder)."""

from __future__ import annotations

import random

import numpy as np
import pytest
from driftscope.errors import ConfigError, InputError
from driftscope.score import (
    MetricOptions,
    PairedConfig,
    ScoreSetup,
    estimate_qe,
    paired_test,
    score_corpus,
    score_sentences,
)
from driftscope.score.calibration import IDENTITY, linear_calibrator
from sacrebleu.metrics import BLEU, CHRF, TER
from sacrebleu.significance import PairedTest

REFS = [
    "The committee approved the new budget on Tuesday after a long debate.",
    "Heavy rain caused flooding in several northern towns.",
    "She said the results would be published next month.",
    "The company plans to open two factories in Poland.",
    "Officials warned that prices could rise again this winter.",
    "The museum will reopen to visitors in the spring.",
    "Police arrested three men in connection with the robbery.",
    "The talks ended without an agreement on fishing rights.",
    "Scientists found traces of water in the ancient rock samples.",
    "The minister resigned after the report was released.",
    "Train services were suspended because of the strike.",
    "A new bridge will connect the two halves of the city.",
]


def perturb(lines: list[str], p: float, seed: int) -> list[str]:
    """Drop each word with probability p and sometimes swap two neighbours (deterministic)."""
    rng = random.Random(seed)
    out = []
    for line in lines:
        words = [w for w in line.split() if rng.random() > p] or ["x"]
        if len(words) > 3 and rng.random() < 0.5:
            i = rng.randrange(len(words) - 1)
            words[i], words[i + 1] = words[i + 1], words[i]
        out.append(" ".join(words))
    return out


REF2 = perturb(REFS, 0.15, 7)
SYS = [perturb(REFS, 0.1, 1), perturb(REFS, 0.3, 2), perturb(REFS, 0.12, 3)]


class HashEnc:
    """Deterministic bag-of-words encoder: (n, 64) float32 unit rows."""

    id = "test-hash"
    prompt = ""

    def encode(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), 64), dtype=np.float32)
        for i, t in enumerate(texts):
            for w in t.lower().split():
                out[i, sum(map(ord, w)) % 64] += 1.0
            out[i, 63] += 0.1
        return out / np.linalg.norm(out, axis=1, keepdims=True)


@pytest.mark.parametrize(
    ("opts", "refs"),
    [
        (MetricOptions(), [REFS]),
        (MetricOptions(), [REFS, REF2]),
        (MetricOptions(lowercase=True, tokenize="intl", chrf_word_order=2), [REFS, REF2]),
        (MetricOptions(smooth_method="floor", smooth_value=0.2, ter_normalized=True), [REFS]),
        (MetricOptions(chrf_beta=1, chrf_whitespace=True, ter_case_sensitive=True), [REF2, REFS]),
    ],
)
def test_corpus_scores_equal_sacrebleu(opts: MetricOptions, refs: list[list[str]]) -> None:
    got = score_corpus(SYS, refs, ["ter", "bleu", "chrf"], setup=ScoreSetup(opts))
    bleu = BLEU(
        lowercase=opts.lowercase,
        tokenize=opts.tokenize,
        smooth_method=opts.smooth_method,
        smooth_value=opts.smooth_value,
        references=refs,
    )
    chrf = CHRF(
        word_order=opts.chrf_word_order,
        beta=opts.chrf_beta,
        whitespace=opts.chrf_whitespace,
        references=refs,
    )
    ter = TER(
        normalized=opts.ter_normalized, case_sensitive=opts.ter_case_sensitive, references=refs
    )
    assert [s.system for s in got] == ["System 1", "System 2", "System 3"]
    for sys_score, hyps in zip(got, SYS, strict=True):
        assert [m.metric for m in sys_score.scores] == ["bleu", "chrf", "ter"]  # sacrebleu order
        for key, metric in (("bleu", bleu), ("chrf", chrf), ("ter", ter)):
            want = metric.corpus_score(hyps, None)
            mine = sys_score.get(key)
            assert mine.score == want.score
            assert mine.name == want.name
            assert mine.signature == metric.get_signature().format()
            assert mine.signature_short == metric.get_signature().format(True)
            assert mine.verbose == want._verbose


def test_sentence_scores_equal_sacrebleu_sentence_score() -> None:
    refs = [REFS, REF2]
    segs = score_sentences(SYS[:1], refs, ["bleu", "chrf", "ter"])
    bleu, chrf, ter = BLEU(effective_order=True), CHRF(), TER()
    assert len(segs) == len(REFS)
    for seg in segs:
        i = seg.index
        r = [REFS[i], REF2[i]]
        assert seg.scores[0].score == bleu.sentence_score(SYS[0][i], r).score
        assert seg.scores[1].score == chrf.sentence_score(SYS[0][i], r).score
        assert seg.scores[2].score == ter.sentence_score(SYS[0][i], r).score
        assert "eff:yes" in seg.scores[0].signature
        assert seg.qe is None


@pytest.mark.parametrize(("test", "n"), [("bs", 300), ("ar", 400)])
def test_paired_tests_equal_sacrebleu(test: str, n: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SACREBLEU_SEED", "777")
    metrics = {"BLEU": BLEU(references=[REFS]), "CHRF": CHRF(references=[REFS])}
    named = [(f"s{i}", h) for i, h in enumerate(SYS)]
    sigs, want = PairedTest(named, metrics, None, test_type=test, n_samples=n)()
    res = paired_test(
        SYS, [REFS], ["chrf", "bleu"], names=["s0", "s1", "s2"], config=PairedConfig(test, n, 777)
    )
    assert res.systems == ("Baseline: s0", "s1", "s2")
    assert list(res.results) == ["BLEU", "chrF2"]
    for name in ("BLEU", "chrF2"):
        assert res.signatures[name] == sigs[name].format()
        for mine, theirs in zip(res.results[name], want[name], strict=True):
            assert mine.score == theirs.score
            assert mine.p_value == theirs.p_value
            assert mine.mean == (None if theirs.mean is None else float(theirs.mean))
            assert mine.ci == (None if theirs.ci is None else float(theirs.ci))
    assert res.results["BLEU"][1].p_value is not None
    assert res.results["BLEU"][0].p_value is None


def test_seed_changes_bootstrap_but_is_reproducible() -> None:
    def run(seed: int) -> float | None:
        res = paired_test(SYS[:2], [REFS], ["bleu"], config=PairedConfig("bs", 100, seed))
        return res.results["BLEU"][1].mean

    assert run(1) == run(1)
    assert run(1) != run(2)


def test_sim_metric_mean_of_segments_and_bootstrap() -> None:
    setup = ScoreSetup(encoder=HashEnc(), calibrator=linear_calibrator(0.2, 0.8))
    corpus = score_corpus(SYS, [REFS], ["sim"], setup=setup)
    segs = score_sentences(SYS[:1], [REFS], ["sim"], setup=setup)
    seg_mean = np.mean([s.scores[0].score for s in segs])
    assert corpus[0].get("sim").score == pytest.approx(seg_mean, rel=1e-5, abs=1e-6)
    raw_mean = np.mean([s.scores[0].extra["raw"] for s in segs])
    assert corpus[0].get("sim").extra["raw"] == pytest.approx(raw_mean, rel=1e-5, abs=1e-6)
    # calibration is applied: (raw - 0.2) / 0.6, on the reports' 0-1 scale (not x 100)
    assert corpus[0].get("sim").score == pytest.approx((raw_mean - 0.2) / 0.6, rel=1e-5, abs=1e-6)
    assert corpus[0].get("sim").signature.startswith("enc:test-hash|prompt:none|ref:ref|cal:lin")
    # a closer system (SYS[0], 10% dropped words) is more similar than SYS[1] (30%)
    assert corpus[0].get("sim").score > corpus[1].get("sim").score
    res = paired_test(SYS, [REFS], ["sim", "bleu"], config=PairedConfig("bs", 200), setup=setup)
    assert list(res.results) == ["BLEU", "sim"]
    sim = res.results["sim"]
    assert sim[0].score == pytest.approx(corpus[0].get("sim").score, rel=1e-5, abs=1e-6)
    assert 0 < sim[1].p_value <= 1 and sim[1].mean is not None and sim[1].ci > 0
    assert "bs:200" in res.signatures["sim"] and "seed:12345" in res.signatures["sim"]
    ar = paired_test(SYS, [REFS], ["sim"], config=PairedConfig("ar", 200), setup=setup)
    assert 0 < ar.results["sim"][1].p_value <= 1


def test_sim_uses_source_when_given_and_qe() -> None:
    src = [r.upper() for r in REFS]  # the hash encoder lower-cases: a perfect "translation"
    setup = ScoreSetup(encoder=HashEnc(), calibrator=IDENTITY)
    got = score_corpus([REFS], [], ["sim"], src=src, setup=setup)[0].get("sim")
    assert got.score == pytest.approx(1.0, rel=1e-5, abs=1e-6)
    assert "ref:src" in got.signature
    segs = score_sentences([REFS, SYS[1]], [], ["sim"], src=src, setup=setup)
    assert [s.qe for s in segs[:3]] == pytest.approx([1.0, 1.0, 1.0], rel=1e-5, abs=1e-6)
    assert all(s.qe is not None and s.qe < 1.0 for s in segs[len(REFS) :] if s.index < 3)
    qe = estimate_qe(src, SYS[1], HashEnc())
    assert qe.shape == (len(REFS),) and qe.dtype == np.float64
    with pytest.raises(InputError):
        estimate_qe(src[:2], SYS[1], HashEnc())


def test_bad_arguments() -> None:
    with pytest.raises(InputError, match="reference stream 1 has 11"):
        score_corpus(SYS, [REFS[:-1]], ["bleu"])
    with pytest.raises(ConfigError, match="unknown metric"):
        score_corpus(SYS, [REFS], ["meteor"])
    with pytest.raises(ConfigError, match="needs an encoder"):
        score_corpus(SYS, [REFS], ["sim"])
    with pytest.raises(ConfigError, match="needs at least one reference"):
        score_corpus(SYS, [], ["bleu"], src=REFS)
    with pytest.raises(ConfigError, match="two systems"):
        paired_test(SYS[:1], [REFS], ["bleu"])
    with pytest.raises(ConfigError):
        MetricOptions(tokenize="nope")
    with pytest.raises(ConfigError):
        PairedConfig("t-test")


def test_target_language_picks_tokenizer_like_sacrebleu() -> None:
    assert MetricOptions(trg_lang="zh").bleu_tokenizer() == "zh"
    assert MetricOptions(trg_lang="ja").bleu_tokenizer() == "ja-mecab"
    assert MetricOptions(trg_lang="de").bleu_tokenizer() == "13a"
    assert MetricOptions(trg_lang="zh", tokenize="char").bleu_tokenizer() == "char"
    zh = ["我们今天去公园散步。", "天气很好。"]
    got = score_corpus([zh], [zh], ["bleu"], setup=ScoreSetup(MetricOptions(trg_lang="zh")))
    want = BLEU(trg_lang="zh").corpus_score(zh, [zh])
    assert got[0].get("bleu").score == want.score
    assert "tok:zh" in got[0].get("bleu").signature
