"""Encoders, registry and the on-disk cache, with the fast HashEncoder (no model, no torch)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from driftscope.embed import EmbeddingCache, Encoder, HashEncoder, build_e5, get_encoder
from driftscope.embed.cache import cache_key
from driftscope.errors import ConfigError, EncoderUnavailableError

TEXTS = ["hello world", "hello world!", "Привет, мир", "Xin chào thế giới", "", "zzz qqq"]


@pytest.fixture()
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DRIFTSCOPE_HOME", str(tmp_path / "dshome"))
    return tmp_path / "dshome"


def test_hash_encoder_protocol_shape_and_norm() -> None:
    enc = HashEncoder(dim=64)
    assert isinstance(enc, Encoder)
    out = enc.encode(TEXTS)
    assert out.shape == (len(TEXTS), 64) and out.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-5)
    empty = enc.encode([])
    assert empty.shape == (0, 64) and empty.dtype == np.float32


def test_hash_encoder_deterministic_and_similarity_follows_ngrams() -> None:
    a = HashEncoder().encode(TEXTS)
    b = HashEncoder().encode(list(reversed(TEXTS)))[::-1]
    assert np.array_equal(a, b)  # same bytes whatever the order or instance
    sim = a @ a.T
    assert sim[0, 1] > 0.8  # "hello world" vs "hello world!"
    assert sim[0, 1] > sim[0, 5] + 0.5


def test_prompt_changes_vectors_and_is_recorded() -> None:
    plain, prompted = HashEncoder(), HashEncoder(prompt="query: ")
    assert prompted.prompt == "query: "
    assert not np.array_equal(plain.encode(["abc"]), prompted.encode(["abc"]))


def test_encode_dedupes_and_restores_order() -> None:
    enc = HashEncoder()
    texts = ["b", "a long text", "b", "a", "a long text"]
    out = enc.encode(texts)
    assert enc.n_embedded == 3
    singles = np.stack([HashEncoder().encode([t])[0] for t in texts])
    assert np.array_equal(out, singles)


@pytest.mark.parametrize("bad", ["a string", ["ok", 3], [None]])
def test_encode_rejects_non_string_input(bad: object) -> None:
    with pytest.raises(ConfigError):
        HashEncoder().encode(bad)  # type: ignore[arg-type]


def test_cache_hit_equals_recompute_on_random_subsets(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    corpus = [f"sentence {i} {'x' * int(i % 13)}" for i in range(200)]
    db = tmp_path / "emb.sqlite3"
    first = HashEncoder(cache=EmbeddingCache(db))
    full = first.encode(corpus)
    assert first.n_embedded == len(corpus)
    for _ in range(5):
        idx = rng.choice(len(corpus), size=40, replace=False)
        fresh = HashEncoder(cache=EmbeddingCache(db))  # new process-like instance
        got = fresh.encode([corpus[i] for i in idx])
        assert fresh.n_embedded == 0
        assert np.array_equal(got, full[idx])
        assert np.array_equal(got, HashEncoder().encode([corpus[i] for i in idx]))


def test_cache_key_separates_id_revision_prompt_text(tmp_path: Path) -> None:
    keys = {
        cache_key("e", "r", "p", "t"),
        cache_key("e", "r", "", "pt"),
        cache_key("e", "rp", "", "t"),
        cache_key("er", "", "p", "t"),
    }
    assert len(keys) == 4
    db = tmp_path / "emb.sqlite3"
    HashEncoder(cache=EmbeddingCache(db)).encode(["abc"])
    other_prompt = HashEncoder(prompt="query: ", cache=EmbeddingCache(db))
    other_prompt.encode(["abc"])
    assert other_prompt.n_embedded == 1


def test_cache_disabled_and_unusable(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    off = EmbeddingCache(tmp_path / "off.sqlite3", enabled=False)
    HashEncoder(cache=off).encode(["abc"])
    again = HashEncoder(cache=off)
    again.encode(["abc"])
    assert again.n_embedded == 1 and not (tmp_path / "off.sqlite3").exists()
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    broken = HashEncoder(cache=EmbeddingCache(blocker / "sub" / "emb.sqlite3"))
    out = broken.encode(["abc"])  # logs a warning, still embeds
    assert out.shape == (1, 256) and "unusable" in caplog.text


def test_cache_home_resolution(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DRIFTSCOPE_HOME", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert build_e5.cache_home() == tmp_path / "xdg" / "driftscope"
    monkeypatch.setenv("DRIFTSCOPE_HOME", str(tmp_path / "ds"))
    assert build_e5.cache_home() == tmp_path / "ds"
    assert build_e5.model_dir().parent == tmp_path / "ds" / "models"
    assert EmbeddingCache().path == tmp_path / "ds" / "embeddings.sqlite3"


def test_get_encoder_hash_is_memoised_and_uncached(home: Path) -> None:
    enc = get_encoder("hash")
    assert enc is get_encoder("hash") and enc.id == "hash"
    assert enc is not get_encoder("hash", prompt="x: ")
    enc.encode(["abc"])
    assert not (home / "embeddings.sqlite3").exists()


@pytest.mark.parametrize(
    "name, fragment",
    [
        ("driftscope-tests/no-such-model-here", "not in the local Hugging Face cache"),
        ("./no/such/folder", "does not exist"),
    ],
)
def test_unavailable_model_is_one_line_error(name: str, fragment: str, home: Path) -> None:
    with pytest.raises(EncoderUnavailableError) as info:
        get_encoder(name)
    msg = str(info.value)
    assert fragment in msg and "\n" not in msg and name in msg


def test_hub_offline_is_restored(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    with build_e5.hub_offline():
        assert os.environ["HF_HUB_OFFLINE"] == "1"
    assert "HF_HUB_OFFLINE" not in os.environ


def test_import_embed_leaves_torch_out() -> None:
    code = (
        "import sys, driftscope.embed as e; e.get_encoder('hash').encode(['a']);"
        "import driftscope.embed.calibrate, driftscope.embed.build_e5;"
        "bad = [m for m in ('torch', 'sentence_transformers', 'transformers') if m in sys.modules];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _fake_build(folder: Path, revision: str) -> None:
    folder.mkdir(parents=True)
    (folder / "weights").write_text(revision)
    (folder / build_e5.MARKER_NAME).write_text(json.dumps({"revision": revision}))


def test_install_race_keeps_first_verified_build(tmp_path: Path) -> None:
    final = tmp_path / "models" / build_e5.MODEL_DIRNAME
    _fake_build(final, build_e5.REVISION)
    loser = tmp_path / "models" / ".tmp-loser"
    _fake_build(loser, build_e5.REVISION)
    (loser / "weights").write_text("loser")
    build_e5._install(loser, final)  # final already verified: the loser's copy is not used
    assert (final / "weights").read_text() == build_e5.REVISION


def test_install_replaces_stale_build(tmp_path: Path) -> None:
    final = tmp_path / "models" / build_e5.MODEL_DIRNAME
    _fake_build(final, "an-older-revision")
    assert not build_e5.is_built(final)
    new = tmp_path / "models" / ".tmp-new"
    _fake_build(new, build_e5.REVISION)
    build_e5._install(new, final)
    assert build_e5.is_built(final) and not new.exists()
    assert [p.name for p in final.parent.iterdir()] == [final.name]
