"""The aligner on vectors with a planted alignment, config validation, paragraphs, encoders."""

from __future__ import annotations

import numpy as np
import pytest
from driftscope.align import AlignConfig, align, align_vectors
from driftscope.align.costs import normalize_rows
from driftscope.embed import HashEncoder
from driftscope.errors import AlignmentError, ConfigError
from driftscope.evaluate import score_alignments


def planted(n: int, seed: int, d: int = 64, noise: float = 0.35):
    """Source/target vectors with 1-1, 1-2, 2-1, 1-0 and 0-1 beads; returns gold pairs too."""
    rng = np.random.default_rng(seed)
    src, tgt, gold = [], [], []

    def vec(base):
        return base + noise * rng.standard_normal(d) / np.sqrt(d)

    while len(src) < n:
        op = rng.choice(["11", "12", "21", "10", "01"], p=[0.7, 0.08, 0.08, 0.07, 0.07])
        a, b = rng.standard_normal((2, d)) / np.sqrt(d)
        i, j = len(src), len(tgt)
        if op == "11":
            src.append(vec(a)), tgt.append(vec(a))
            gold.append(((i,), (j,)))
        elif op == "12":
            src.append(vec(a + b)), tgt.append(vec(a)), tgt.append(vec(b))
            gold.append(((i,), (j, j + 1)))
        elif op == "21":
            src.append(vec(a)), src.append(vec(b)), tgt.append(vec(a + b))
            gold.append(((i, i + 1), (j,)))
        elif op == "10":
            src.append(vec(a))
            gold.append(((i,), ()))
        else:
            tgt.append(vec(a))
            gold.append(((), (j,)))
    return normalize_rows(np.array(src)), normalize_rows(np.array(tgt)), gold


@pytest.mark.parametrize("seed", [0, 1])
def test_recovers_planted_alignment(seed: int) -> None:
    src, tgt, gold = planted(300, seed)
    res = align_vectors(src, tgt, AlignConfig(length_weight=0.0), np.random.default_rng(0))
    s = score_alignments([(gold, res.beads)])
    assert s.strict_f1 > 0.9
    assert len(res.similarity) == len(res.beads)
    # Coverage: every segment exactly once, in order.
    assert [i for b in res.beads for i in b.src] == list(range(len(src)))
    assert [j for b in res.beads for j in b.tgt] == list(range(len(tgt)))


def test_coarse_to_fine_matches_dense_on_long_input() -> None:
    src, tgt, gold = planted(900, 7)
    cfg = AlignConfig(length_weight=0.0)
    dense = align_vectors(src, tgt, cfg, np.random.default_rng(0))
    fine = align_vectors(src, tgt, cfg.replace(max_dense=100), np.random.default_rng(0))
    sd = score_alignments([(gold, dense.beads)]).strict_f1
    sf = score_alignments([(gold, fine.beads)]).strict_f1
    assert sf > 0.9 and abs(sd - sf) < 0.02


def test_deterministic_for_a_seed() -> None:
    src, tgt, _ = planted(120, 3)
    a = align_vectors(src, tgt, AlignConfig(), np.random.default_rng(5))
    b = align_vectors(src, tgt, AlignConfig(), np.random.default_rng(5))
    assert a.beads == b.beads
    np.testing.assert_array_equal(a.similarity, b.similarity)


def test_paragraph_breaks_are_respected_when_counts_match() -> None:
    src, tgt, _ = planted(60, 4)
    # Shuffle-free but deliberately misleading paragraphs: every bead must stay inside one.
    sp = [0 if i < 20 else 1 for i in range(len(src))]
    tp = [0 if j < 25 else 1 for j in range(len(tgt))]
    cfg = AlignConfig(use_paragraphs=True)
    res = align_vectors(src, tgt, cfg, np.random.default_rng(0), src_par=sp, tgt_par=tp)
    for b in res.beads:
        assert len({sp[i] for i in b.src} | {tp[j] for j in b.tgt}) <= 1
    free = align_vectors(
        src,
        tgt,
        AlignConfig(),  # the default lets beads cross them
        np.random.default_rng(0),
        src_par=sp,
        tgt_par=tp,
    )
    assert free.beads != res.beads


@pytest.mark.parametrize(
    "kw",
    [
        {"max_bead": 1},
        {"max_side": 9},
        {"skip": -1.0},
        {"skip": float("nan")},
        {"band": 0},
        {"embed": "some"},
        {"n_samples": 2},
    ],
)
def test_config_validation(kw) -> None:
    with pytest.raises(ConfigError):
        AlignConfig(**kw)


def test_signature_is_json_native() -> None:
    sig = AlignConfig(skip=0.4).as_signature()
    assert sig["skip"] == 0.4 and sig["max_bead"] == 6 and sig["embed"] == "path"


class CountingEncoder(HashEncoder):
    def __init__(self) -> None:
        super().__init__(dim=128)
        self.seen: list[str] = []

    def encode(self, texts):
        self.seen.extend(texts)
        return super().encode(texts)


def test_align_texts_embeds_each_text_once_and_few_windows() -> None:
    words = [f"alpha{k} beta{k} gamma{k} delta{k}" for k in range(40)]
    enc = CountingEncoder()
    res = align(words, [w.upper() for w in words], enc, AlignConfig())
    assert [(b.src, b.tgt) for b in res.beads] == [((k,), (k,)) for k in range(40)]
    assert len(enc.seen) == len(set(enc.seen))  # each distinct text once
    assert res.n_embedded_windows < 20  # identical texts: almost nothing but sentences


def test_path_mode_embeds_the_windows_of_the_merges_it_keeps() -> None:
    src = [f"alpha{k} beta{k} gamma{k} delta{k} epsilon{k}" for k in range(30)]
    tgt = [s.upper() for s in src[:12]] + [f"{src[12]} {src[13]}".upper()]
    tgt += [s.upper() for s in src[14:]]
    by_mode = {}
    for mode in ("path", "band"):
        enc = CountingEncoder()
        res = align(src, tgt, enc, AlignConfig(embed=mode))
        by_mode[mode] = ([(b.src, b.tgt) for b in res.beads], res.n_embedded_windows, enc.seen)
    beads, n_windows, seen = by_mode["path"]
    assert ((12, 13), (12,)) in beads and beads == by_mode["band"][0]
    assert f"{src[12]} {src[13]}" in seen  # the merge on the path was really embedded
    assert 1 <= n_windows <= by_mode["band"][1]  # and no more windows than band
    assert len(seen) == len(set(seen))  # each text once, over all the rounds


def test_empty_side_raises() -> None:
    with pytest.raises(AlignmentError):
        align([], ["a"], HashEncoder())


def _unit(rng: np.random.Generator, k: int, d: int = 64) -> np.ndarray:
    return normalize_rows(rng.standard_normal((k, d)))


def test_duplicated_segment_matches_its_first_copy() -> None:
    """Source segment 3 appears twice (3 and 4, identical text and vector): the first copy is
    matched, the second is the deletion; same on the target side. (Default length weight:
    gluing both copies into a 2-1 bead doubles the length on one side.)"""
    rng = np.random.default_rng(3)
    base = _unit(rng, 12)
    noisy = normalize_rows(base + 0.3 * rng.standard_normal(base.shape) / 8)
    src = np.vstack([base[:4], base[3:4], base[4:]])  # 13 segments, 3 == 4
    res = align_vectors(src, noisy, AlignConfig(), np.random.default_rng(0))
    pairs = res.pairs()
    assert ((3,), (3,)) in pairs and ((4,), ()) in pairs
    tgt = np.vstack([noisy[:6], noisy[5:6], noisy[6:]])  # 13 segments, 5 == 6
    res = align_vectors(base, tgt, AlignConfig(), np.random.default_rng(0))
    pairs = res.pairs()
    assert ((5,), (5,)) in pairs and ((), (6,)) in pairs


def test_unrelated_segments_on_both_sides_stay_unmatched() -> None:
    """An extra sentence on each side at the same place, unrelated to each other: leaving both
    unmatched (two skips) must beat pairing them (a random pair on the calibrated scale)."""
    rng = np.random.default_rng(4)
    base = _unit(rng, 20)
    noisy = normalize_rows(base + 0.3 * rng.standard_normal(base.shape) / 8)
    x, y = _unit(rng, 2)
    src = np.vstack([base[:10], x[None], base[10:]])
    tgt = np.vstack([noisy[:10], y[None], noisy[10:]])
    res = align_vectors(src, tgt, AlignConfig(length_weight=0.0), np.random.default_rng(0))
    pairs = res.pairs()
    assert ((10,), ()) in pairs and ((), (10,)) in pairs
    assert ((10,), (10,)) not in pairs


def test_pairable_windows_keep_content_free_segments_out_of_merges() -> None:
    from driftscope.align.search import pairable_windows

    ok = pairable_windows(["A sentence.", "..... ", "Another one.", "- _-"], 3)
    # [k-1, e]: window of size k ending before segment e
    assert ok[0].tolist() == [False, True, True, True, True]  # alone, any segment may pair
    assert ok[1].tolist() == [False, False, False, False, False]  # every pair touches debris
    assert ok[2, 3] == np.False_ and not ok[:, 0].any()
    clean = pairable_windows(["One.", "Two 2.", "3"], 3)
    assert clean.sum() == 3 + 2 + 1


class _WordsOnly(HashEncoder):
    """Embeds the words of a text only, so "X ....." and "X" get the same vector: what a
    real encoder nearly does, and what made a merge beat leaving debris unaligned."""

    def _vector(self, text: str) -> np.ndarray:
        words = " ".join("".join(ch for ch in w if ch.isalnum()) for w in text.split())
        return super()._vector(" ".join(words.split()))


def test_debris_line_is_left_unaligned_not_glued() -> None:
    src = [f"Sentence number {w} of the story, with its own words." for w in "abcdefgh"]
    tgt = [*src[:3], "..... ", *src[3:]]
    res = align(src, tgt, _WordsOnly(), AlignConfig(n_samples=16))
    assert ((), (3,)) in [(b.src, b.tgt) for b in res.beads]
    assert all(len(b.src) == len(b.tgt) == 1 for b in res.beads if b.src and b.tgt)


def test_one_segment_each_side_is_one_uncalibrated_pair() -> None:
    # the only pair is the true one: no random pairing exists, so the pair is the alignment
    for src, tgt in ((["Der Präsident sprach."], ["Le président a parlé."]), (["a"], ["zzz"])):
        al = align(src, tgt, HashEncoder())
        assert [(b.src, b.tgt) for b in al.beads] == [((0,), (0,))]
        assert np.isnan(al.similarity[0]) and np.isfinite(al.cosine[0])
    two = align(["Der Präsident sprach.", "Er ging."], ["Le président a parlé."], HashEncoder())
    assert sum(len(b.src) for b in two.beads) == 2  # longer inputs still go through the search


def test_short_documents_keep_their_true_pairs() -> None:
    # half of a 2 x 2 document's pairs are true: none of them may count as "random", or a true
    # pair costs what a random one does and two skips beat it (11-12 % of 2-line NTREX pairs)
    rng = np.random.default_rng(7)
    split = 0
    for seed in range(40):
        src = _unit(rng, 2)
        tgt = normalize_rows(src + 0.45 * _unit(rng, 2))
        al = align_vectors(src, tgt, AlignConfig(), np.random.default_rng(seed))
        split += [(b.src, b.tgt) for b in al.beads] != [((0,), (0,)), ((1,), (1,))]
    assert split == 0


def _short_noisy(n: int, seed: int, d: int = 64):
    """1-1 pairs only; every third is short (12 characters) and noisy, the rest long, clean."""
    rng = np.random.default_rng(seed)
    src, tgt, weights, short = [], [], [], []
    for i in range(n):
        a = rng.standard_normal(d) / np.sqrt(d)
        is_short = i % 3 == 0
        noise = 1.3 if is_short else 0.35
        src.append(a + noise * rng.standard_normal(d) / np.sqrt(d))
        tgt.append(a + noise * rng.standard_normal(d) / np.sqrt(d))
        weights.append(12.0 if is_short else 150.0)
        short.append(is_short)
    w = np.array(weights)
    return normalize_rows(np.array(src)), normalize_rows(np.array(tgt)), w, short


@pytest.mark.parametrize("seed", [0, 3])
def test_short_noisy_pairs_stay_paired(seed: int) -> None:
    """short_len: a short pair's noisy cost is scaled down, so it is neither glued to its
    neighbours nor split into a deletion and an insertion (off, about a third are)."""
    src, tgt, w, short = _short_noisy(120, seed)

    def recall(short_len: float) -> float:
        cfg = AlignConfig(short_len=short_len)
        res = align_vectors(src, tgt, cfg, np.random.default_rng(0), src_weights=w, tgt_weights=w)
        got = {(b.src, b.tgt) for b in res.beads}
        return float(np.mean([((i,), (i,)) in got for i in range(len(src)) if short[i]]))

    on, off = recall(75.0), recall(0.0)
    assert on >= 0.95
    assert on > off + 0.2


def test_short_len_needs_lengths() -> None:
    """Without weights (unit lengths) there is nothing to call short: short_len is ignored."""
    src, tgt, _ = planted(120, 4)
    a = align_vectors(src, tgt, AlignConfig(short_len=0.0), np.random.default_rng(0))
    b = align_vectors(src, tgt, AlignConfig(short_len=500.0), np.random.default_rng(0))
    assert [(x.src, x.tgt) for x in a.beads] == [(x.src, x.tgt) for x in b.beads]
