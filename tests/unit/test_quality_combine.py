from __future__ import annotations

import numpy as np
import pytest
from driftscope.errors import ConfigError, InputError
from driftscope.quality.combine import (
    FEATURES,
    OMISSION_FEATURES,
    embedding_blocks,
    load_combiner,
    pair_features,
)


def unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=-1, keepdims=True)).astype(np.float32)


def test_shipped_combiners_load_and_are_consistent() -> None:
    for name, variant in (("qe", ""), ("qe", "e5"), ("hallucination", ""), ("omission", "e5"),
                          ("detached", ""), ("detached", "e5")):  # fmt: skip
        c = load_combiner(name, variant)
        assert set(c.features) <= set(FEATURES)
        width = len(c.features) + sum({"e5": 384, "use": 512}[b] for b in c.blocks)
        assert len(c.coef) == len(c.mean) == len(c.scale) == width
        assert "train" in c.note or "CV" in c.note
    assert "use_z" not in load_combiner("qe", "e5").features
    assert "use_z" not in load_combiner("detached", "e5").features
    # the omission combiners see the source-coverage features only (what the target adds,
    # repetitions or extra length, is no evidence of an omission)
    assert load_combiner("omission").features == OMISSION_FEATURES
    assert set(load_combiner("omission", "e5").features) == set(OMISSION_FEATURES) - {"use_z"}
    with pytest.raises(ConfigError):
        load_combiner("nope")


def test_qe_ranks_true_pairs_above_shuffled_pairs() -> None:
    rng = np.random.default_rng(0)
    n, d = 40, 384  # the e5-small width: the shipped qe:e5 combiner has an e5 embedding block
    s = unit(rng.normal(size=(n, d)))
    t = unit(s + 0.2 * rng.normal(size=(n, d)))
    toks_s = [unit(s[i] + 0.3 * rng.normal(size=(6, d))) for i in range(n)]
    toks_t = [unit(toks_s[i] + 0.1 * rng.normal(size=(6, d))) for i in range(n)]
    src = [f"source sentence {i} with some words" for i in range(n)]
    tgt = [f"target sentence {i} with some words" for i in range(n)]
    X = pair_features(src, tgt, s, t, np.random.default_rng(1), toks_s, toks_t)
    assert X.shape == (n, len(FEATURES)) and np.isfinite(X).all()
    perm = np.roll(np.arange(n), 3)
    Xr = pair_features(
        src,
        [tgt[i] for i in perm],
        s,
        t[perm],
        np.random.default_rng(1),
        toks_s,
        [toks_t[i] for i in perm],
    )
    qe = load_combiner("qe", "e5")
    assert qe.blocks == ("e5",)
    with pytest.raises(ConfigError):
        qe.calibrated(X)  # the embedding block is required
    good = qe.calibrated(X, embedding_blocks(s, t))
    bad = qe.calibrated(Xr, embedding_blocks(s, t[perm]))
    assert np.median(good) > np.median(bad) + 0.3
    with pytest.raises(ConfigError):
        pair_features(src, tgt[:-1], s, t, np.random.default_rng(0))


def test_margin_feature_is_cosine_minus_neighbour_means() -> None:
    rng = np.random.default_rng(3)
    n, d = 30, 64
    s = unit(rng.normal(size=(n, d)))
    t = unit(s + 0.5 * rng.normal(size=(n, d)))
    t[0] = unit(s[1] + 0.05 * rng.normal(size=d))  # target 0 belongs to source 1
    txt = [f"sentence {i}" for i in range(n)]
    X = pair_features(txt, txt, s, t, np.random.default_rng(0))
    m = X[:, FEATURES.index("e5_m")]
    # brute-force definition: cos - (mean top-4 of the row + mean top-4 of the column) / 2
    M = s.astype(np.float64) @ t.astype(np.float64).T
    raw = np.diag(M) - (np.sort(M, 1)[:, -4:].mean(1) + np.sort(M, 0)[-4:, :].mean(0)) / 2
    assert np.corrcoef(m, raw)[0, 1] > 0.9999  # z-scoring is an increasing affine map
    assert np.argmin(m) == 0 and np.median(m[1:]) > 1.0


def test_combiners_record_their_encoder_and_refuse_others() -> None:
    from types import SimpleNamespace

    qe = load_combiner("qe", "e5")
    assert qe.encoder == "e5-small" and qe.prompt is not None
    same = SimpleNamespace(id=qe.encoder, prompt=qe.prompt)
    other = SimpleNamespace(id=qe.encoder, prompt=qe.prompt + "query: ")
    assert qe.matches(same) and not qe.matches(other)
    assert not qe.matches(SimpleNamespace(id="hash", prompt=qe.prompt))

    from driftscope.quality.estimate import combined_qe

    with pytest.raises(ConfigError, match="prompt"):
        combined_qe(["a", "b"], ["c", "d"], other)


def test_estimate_qe_falls_back_for_another_prompt() -> None:
    from driftscope.embed import get_encoder
    from driftscope.score.qe import QE_ID, estimate_qe, qe_id

    enc = get_encoder("hash")
    qe = load_combiner("qe", "e5")
    enc.id, enc.prompt, enc.model = qe.encoder, "passage: ", object()  # looks like e5, wrong prompt
    assert qe_id(enc) == QE_ID
    out = estimate_qe(["one two three", "four five"], ["one two three", "six"], enc)
    assert out.shape == (2,) and out[0] > out[1]


def test_source_alignment_finds_the_unaligned_run() -> None:
    from driftscope.quality.tokens import TokenVectors, source_alignment

    rng = np.random.default_rng(5)
    text = "alpha beta gamma delta"  # 5 + 4 + 5 + 5 characters, one piece each
    spans = ((0, 5), (6, 10), (11, 16), (17, 22))
    vecs = unit(rng.normal(size=(4, 32)))
    src = TokenVectors(text, spans, vecs)
    full = TokenVectors("a b c d", ((0, 1), (2, 3), (4, 5), (6, 7)), unit(vecs + 0.05))
    assert source_alignment(src, full) == (1.0, 0.0)
    # the target expresses only the first two words: the last two form one unaligned run
    part = TokenVectors("a b", ((0, 1), (2, 3)), unit(vecs[:2] + 0.05))
    share, run = source_alignment(src, part)
    assert share == pytest.approx(9 / 19) and run == pytest.approx(10 / 19)
    assert source_alignment(src, TokenVectors("", (), np.zeros((0, 32), np.float32))) == (0, 0)


def test_alignment_features_rank_a_dropped_clause_below_full_pairs() -> None:
    from driftscope.quality.tokens import TokenVectors

    rng = np.random.default_rng(6)
    n, d = 24, 32
    s, t = unit(rng.normal(size=(n, d))), unit(rng.normal(size=(n, d)))
    text = "w0 w1 w2 w3 w4 w5"
    spans = tuple((3 * k, 3 * k + 2) for k in range(6))
    mix_s = [TokenVectors(text, spans, unit(rng.normal(size=(6, d)))) for _ in range(n)]
    mix_t = [TokenVectors(text, spans, unit(m.vecs + 0.1 * rng.normal(size=(6, d)))) for m in mix_s]
    mix_t[0] = TokenVectors("w0 w1", spans[:2], mix_t[0].vecs[:2])  # four words dropped
    X = pair_features([text] * n, [text] * n, s, t, np.random.default_rng(0), mix_src=mix_s,
                      mix_tgt=mix_t)  # fmt: skip
    c, run = X[:, FEATURES.index("sal_c")], X[:, FEATURES.index("sal_run")]
    assert np.argmin(c) == 0 and np.argmax(run) == 0


def test_combined_estimates_need_enough_pairs() -> None:
    """The combined features are z-scores against random pairings of the input: below
    MIN_CALIBRATION_SEGMENTS pairs qe is the calibrated cosine and no probabilities are given
    (the model is never touched: ``object()`` would fail)."""
    from driftscope.embed import get_encoder
    from driftscope.score.calibration import MIN_CALIBRATION_SEGMENTS
    from driftscope.score.qe import QE_COMBINED_ID, QE_ID, estimate_qe, estimate_risks, qe_id

    enc = get_encoder("hash")
    qe = load_combiner("qe", "e5")
    enc.id, enc.prompt, enc.model = qe.encoder, qe.prompt, object()
    n = MIN_CALIBRATION_SEGMENTS - 1
    assert qe_id(enc, n) == QE_ID and qe_id(enc, n + 1) == QE_COMBINED_ID
    src = [f"sentence number {i}" for i in range(n)]
    out = estimate_qe(src, src[::-1], enc)
    assert out.shape == (n,) and np.isfinite(out).all()
    assert estimate_risks(src, src, enc) is None
    with pytest.raises(InputError):
        estimate_risks(src, src[:-1], enc)
