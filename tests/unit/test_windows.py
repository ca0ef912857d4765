"""Window texts, masks (no sentinel strings) and encode-once."""

from __future__ import annotations

import numpy as np
from driftscope.embed import HashEncoder
from driftscope.embed.windows import encode_windows, encode_windows_sides, valid_mask, window_text


class Recorder(HashEncoder):
    def __init__(self) -> None:
        super().__init__(dim=32)
        self.calls: list[list[str]] = []

    def encode(self, texts):
        self.calls.append(list(texts))
        return super().encode(texts)


def test_window_text_and_mask() -> None:
    texts = ["a", "b ", "c"]
    assert window_text(texts, 2, 3) == "b c"
    m = valid_mask(3, 3)
    assert m.shape == (3, 4)
    assert m[0].tolist() == [False, True, True, True]
    assert m[2].tolist() == [False, False, False, True]


def test_encode_windows_dedupes_and_scatters() -> None:
    texts = ["x", "y", "x", "y"]  # "x y" occurs twice as a window of size 2
    enc = Recorder()
    vecs, mask = encode_windows(texts, enc, 2)
    assert len(enc.calls) == 1
    sent = enc.calls[0]
    assert len(sent) == len(set(sent)) == 4  # x, y, "x y", "y x"
    assert not any("PAD" in t for t in sent)
    assert mask[1, 2] and mask[1, 4] and not mask[1, 1]
    np.testing.assert_array_equal(vecs[1, 2], vecs[1, 4])
    np.testing.assert_allclose(np.linalg.norm(vecs[mask], axis=1), 1.0, atol=1e-5)
    assert not vecs[~mask].any()


def test_only_needed_cells_are_encoded() -> None:
    enc = Recorder()
    need = np.zeros((3, 5), bool)
    need[2, 4] = True
    vecs, mask = encode_windows(["a", "b", "c", "d"], enc, 3, need)
    assert enc.calls == [["b c d"]]
    assert mask.sum() == 1 and vecs[2, 4].any()


def test_sides_share_one_encode_call_and_match_separate_calls() -> None:
    src, tgt = ["a", "b", "c"], ["c", "d"]
    need = np.zeros((2, 4), bool)
    need[1, 3] = True  # "b c" only, on the source
    enc = Recorder()
    (vs, ms), (vt, mt) = encode_windows_sides([(src, need), (tgt, None)], enc, 2)
    assert enc.calls == [["b c", "c", "d", "c d"]]  # one call, "c" once for both sides
    for (v, m), (texts, nd) in zip([(vs, ms), (vt, mt)], [(src, need), (tgt, None)], strict=True):
        v1, m1 = encode_windows(texts, Recorder(), 2, nd)
        np.testing.assert_array_equal(m, m1)
        np.testing.assert_allclose(v, v1, atol=1e-6)
    assert encode_windows_sides([([], None)], enc, 2)[0][0].shape == (2, 1, 1)
