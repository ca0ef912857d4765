"""The e5 backends (torch, onnx, onnx-int8), the single forward pass and the token cache.

Real model, tiny inputs, CPU only (``DRIFTSCOPE_DEVICE=cpu``). The model folder and its ONNX
export come from the real user cache; embeddings go to a temporary cache file.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from driftscope.embed import EmbeddingCache, build_e5, get_encoder
from driftscope.embed.cache import token_key
from driftscope.embed.e5 import BACKENDS, TOKEN_LAYERS, E5Encoder, backend_revision
from driftscope.errors import ConfigError
from driftscope.quality.tokens import LAYERS, embed_tokens

TEXTS = [
    "Правительство объявило в понедельник о новых мерах поддержки малого бизнеса.",
    "On Monday the government announced new support measures for small businesses.",
    "Vào thứ Hai, chính phủ đã công bố các biện pháp hỗ trợ mới.",
    "Short.",
    "  Leading and trailing spaces  ",
]


@pytest.fixture(autouse=True)
def _cpu(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRIFTSCOPE_DEVICE", "cpu")


def _enc(backend: str, cache: EmbeddingCache | None = None) -> E5Encoder:
    enc = E5Encoder(build_e5.ensure_model(), cache=cache, backend=backend)
    assert enc.device == "cpu"
    return enc


@pytest.fixture(scope="module")
def torch_out() -> tuple[np.ndarray, list]:
    enc = E5Encoder(build_e5.ensure_model(), backend="torch", device="cpu")
    return enc.encode_with_tokens(TEXTS)


def test_torch_backend_matches_sentence_transformers(torch_out) -> None:
    vecs, states = torch_out
    model = get_encoder(cache=False, backend="torch").model
    ref = model.encode(TEXTS, convert_to_numpy=True, normalize_embeddings=True)
    np.testing.assert_allclose(vecs, ref, rtol=1e-4, atol=1e-5)
    # token vectors: the layer mix of quality.tokens.embed_tokens (stored as float16)
    old = embed_tokens(model, TEXTS)
    for s, o in zip(states, old, strict=True):
        assert s.spans == o.spans and s.layers == TOKEN_LAYERS
        np.testing.assert_allclose(s.mix(LAYERS), o.vecs, atol=2e-3)


@pytest.mark.parametrize("backend", ["onnx", "onnx-int8"])
def test_onnx_backends_agree_with_torch(backend: str, torch_out) -> None:
    vecs, states = _enc(backend).encode_with_tokens(TEXTS)
    ref_vecs, ref_states = torch_out
    cos = np.sum(vecs.astype(np.float64) * ref_vecs, axis=1)
    if backend == "onnx":  # the same graph: float tolerance
        np.testing.assert_allclose(vecs, ref_vecs, rtol=1e-4, atol=1e-5)
    else:  # int8 weights: close, not equal
        assert cos.min() > 0.97 and not np.allclose(vecs, ref_vecs, atol=1e-4)
    for s, r in zip(states, ref_states, strict=True):
        assert s.spans == r.spans
        tol = 2e-3 if backend == "onnx" else 0.2
        np.testing.assert_allclose(s.mix(LAYERS), r.mix(LAYERS), atol=tol)


def test_backend_is_in_revision_and_cache_key() -> None:
    revs = {backend_revision(b) for b in BACKENDS}
    assert len(revs) == 3 and backend_revision("torch") == build_e5.REVISION
    keys = {token_key("e5-small", r, "", "x", "4,10,12") for r in revs}
    assert len(keys) == 3
    with pytest.raises(ConfigError):
        get_encoder(backend="tensorflow")
    with pytest.raises(ConfigError):
        get_encoder("hash", backend="onnx")


def test_token_cache_round_trip(tmp_path: Path) -> None:
    cache = EmbeddingCache(tmp_path / "c.sqlite3")
    rng = np.random.default_rng(0)
    spans = np.array([[0, 3], [4, 9]], np.int32)
    vecs = rng.standard_normal((3, 2, 384)).astype(np.float16)
    cache.put_tokens([(b"k" * 32, spans, vecs)])
    got = cache.get_tokens([b"k" * 32, b"m" * 32], (3, 384))
    assert list(got) == [b"k" * 32]
    np.testing.assert_array_equal(got[b"k" * 32][0], spans)
    np.testing.assert_array_equal(got[b"k" * 32][1], vecs)
    assert cache.get_tokens([b"k" * 32], (2, 384)) == {}  # another layout is a miss


def test_warm_rerun_does_no_forward_pass(tmp_path: Path) -> None:
    cache = EmbeddingCache(tmp_path / "c.sqlite3")
    cold = _enc("onnx-int8", cache)
    v1, s1 = cold.encode_with_tokens(TEXTS + TEXTS[:2])
    assert cold.n_forward == len(TEXTS)  # one pass per distinct text, sentences and tokens
    w1 = cold.encode(["a window: " + TEXTS[0]])
    assert cold.n_forward == len(TEXTS) + 1
    warm = _enc("onnx-int8", cache)
    v2, s2 = warm.encode_with_tokens(TEXTS + TEXTS[:2])
    w2 = warm.encode(["a window: " + TEXTS[0]])
    assert warm.n_forward == 0
    np.testing.assert_array_equal(v1, v2)  # cached equals computed, bit for bit
    np.testing.assert_array_equal(w1, w2)
    for a, b in zip(s1, s2, strict=True):
        assert a.spans == b.spans
        np.testing.assert_array_equal(a.vecs, b.vecs)
    # no cache at all: still one pass per text
    bare = _enc("onnx-int8")
    v3, _ = bare.encode_with_tokens(TEXTS)
    assert bare.n_forward == len(TEXTS)
    np.testing.assert_array_equal(v3, v1[: len(TEXTS)])


def test_pipeline_warm_rerun_embeds_nothing_and_gives_the_same_json(tmp_path: Path) -> None:
    from driftscope.model import to_json
    from driftscope.pipeline import PipelineConfig, run_pair

    src, tgt = tmp_path / "ru.txt", tmp_path / "en.txt"
    src.write_text("\n".join([TEXTS[0], "Министр подал в отставку.", "Цены выросли на 5%."]))
    tgt.write_text("\n".join([TEXTS[1], "The minister resigned.", "Prices rose by 7%."]))
    cache = EmbeddingCache(tmp_path / "c.sqlite3")
    cfg = PipelineConfig(seed=1)
    runs = []
    for _ in range(2):
        enc = _enc("onnx-int8", cache)
        res = run_pair(src, tgt, "ru", "en", cfg, presegmented=True, encoder=enc)
        runs.append((enc.n_forward, to_json(res)))
    assert runs[0][0] > 0 and runs[1][0] == 0
    assert runs[0][1] == runs[1][1]


def test_int8_keeps_early_ffn_down_projections_fp32() -> None:
    import onnx
    from driftscope.embed import onnx_export as ox

    folder = build_e5.ensure_model()
    ox.ensure_onnx(folder)
    graph = onnx.load(str(ox.onnx_path(folder, "onnx-int8")), load_external_data=False).graph
    float_mm = {n.name for n in graph.node if n.op_type == "MatMul"}
    kept = {f"/bert/encoder/layer.{k}/output/dense/MatMul" for k in range(ox.FP32_DOWN_LAYERS)}
    assert kept <= float_mm  # left as float MatMul ...
    later = f"/bert/encoder/layer.{ox.FP32_DOWN_LAYERS}/output/dense/MatMul"
    assert later not in float_mm  # ... the later ones are quantized (MatMulInteger)
    assert not ox._fp32_down("MatMul", "/bert/encoder/layer.0/attention/output/dense/MatMul")


def test_stale_int8_is_requantized_and_old_storage_rewritten_without_reexporting(
    tmp_path: Path,
) -> None:
    import json
    import os
    import shutil

    import onnxruntime as ort
    from driftscope.embed import onnx_export as ox

    src = build_e5.ensure_model()
    ox.ensure_onnx(src)
    folder = tmp_path / "m"
    (folder / ox.SUBDIR).mkdir(parents=True)
    for f in ("tokenizer.json", "config.json"):
        os.symlink(src / f, folder / f)
    fp32 = ox.onnx_path(folder, "onnx")
    # copies: onnx refuses weights behind a symbolic link or with several hard links
    shutil.copyfile(ox.onnx_path(src, "onnx"), fp32)
    shutil.copyfile(ox.data_path(src, "onnx"), ox.data_path(folder, "onnx"))
    ox.onnx_path(folder, "onnx-int8").write_bytes(b"old")
    # a format-1 marker (single-file storage): fp32 current, int8 stale
    marker = {"format": 1, "layers": list(ox.OUTPUT_LAYERS), "opset": ox.OPSET}
    (folder / ox.SUBDIR / ox.MARKER).write_text(json.dumps(marker))
    assert ox._current(folder, "onnx") and not ox.is_exported(folder)
    ox.ensure_onnx(folder)  # no torch export: the folder has no weights to export from
    assert ox.is_exported(folder)
    for variant in ox.FILES:  # graphs small, weights beside them
        assert ox.onnx_path(folder, variant).stat().st_size < 5 * 10**6
        assert ox.data_path(folder, variant).stat().st_size > 10**7
    feed = {"input_ids": np.array([[0, 1563, 238, 2]]), "attention_mask": np.ones((1, 4), int)}
    runs = [
        ort.InferenceSession(str(p), providers=["CPUExecutionProvider"]).run(None, feed)
        for p in (fp32, ox.onnx_path(src, "onnx"))
    ]
    for a, b in zip(*runs, strict=True):  # the same graph and weights: the same numbers
        np.testing.assert_array_equal(a, b)
    stamp = fp32.stat().st_mtime_ns
    ox.ensure_onnx(folder)
    assert fp32.stat().st_mtime_ns == stamp  # current: nothing rewritten


def test_encode_caching_tokens_stores_missing_states_once(tmp_path: Path) -> None:
    from driftscope.embed.cache import token_key as tk

    cache = EmbeddingCache(tmp_path / "c.sqlite3")
    enc = _enc("onnx", cache)
    vecs = enc.encode_caching_tokens(TEXTS[:3])
    np.testing.assert_allclose(vecs, _enc("onnx").encode(TEXTS[:3]), rtol=1e-4, atol=1e-5)
    assert enc.n_forward == 3
    keys = [tk(enc.id, enc.revision, enc.prompt, t, enc._layer_tag) for t in TEXTS]
    assert cache.has_tokens(keys) == set(keys[:3])
    again = _enc("onnx", cache)
    again.encode_caching_tokens(TEXTS[:4])  # only the new text goes through the network
    again.encode_with_tokens(TEXTS[:4])  # and the states are all cached now
    assert again.n_forward == 1
    assert _enc("onnx").encode_caching_tokens(TEXTS[:2]).shape == (2, 384)  # no cache: encode


def test_unwritable_folder_keeps_a_current_single_file_export(tmp_path: Path, monkeypatch) -> None:
    import json

    from driftscope.embed import onnx_export as ox
    from driftscope.errors import EncoderUnavailableError

    folder = tmp_path / "m"
    (folder / ox.SUBDIR).mkdir(parents=True)
    for variant in ox.FILES:
        ox.onnx_path(folder, variant).write_bytes(b"graph")
    marker = {"formats": ox.FORMATS, "layers": list(ox.OUTPUT_LAYERS), "opset": ox.OPSET}
    (folder / ox.SUBDIR / ox.MARKER).write_text(json.dumps(marker))  # storage 1

    def refuse(*args: object, **kwargs: object) -> str:
        raise PermissionError("read-only")

    monkeypatch.setattr(ox.tempfile, "mkdtemp", refuse)
    assert ox.ensure_onnx(folder) == folder / ox.SUBDIR  # usable as it is: no error
    stale = {**marker, "formats": {**ox.FORMATS, "onnx-int8": 1}}
    (folder / ox.SUBDIR / ox.MARKER).write_text(json.dumps(stale))
    with pytest.raises(EncoderUnavailableError, match="cannot write"):
        ox.ensure_onnx(folder)


def test_worker_thread_setting_reaches_onnx_runtime(monkeypatch: pytest.MonkeyPatch) -> None:
    from driftscope.embed import threads

    default = _enc("onnx")
    ref = default.encode(TEXTS)
    assert default._get_runner().session.get_session_options().intra_op_num_threads == 0
    monkeypatch.setattr(threads, "_RUNTIME_THREADS", [1])
    pinned = _enc("onnx")
    opts = pinned._get_runner().session.get_session_options()
    assert opts.intra_op_num_threads == 1
    assert opts.get_session_config_entry("session.intra_op.allow_spinning") == "0"
    np.testing.assert_allclose(pinned.encode(TEXTS), ref, rtol=1e-4, atol=1e-5)


def test_prefetch_loads_on_a_thread_only_when_the_cache_lacks_a_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    from driftscope.embed import e5
    from driftscope.errors import EncoderUnavailableError

    loads: list[str] = []
    real = e5.onnx_runner

    def spy(*args: object) -> object:
        loads.append(threading.current_thread().name)
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(e5, "onnx_runner", spy)
    cache = EmbeddingCache(tmp_path / "c.sqlite3")
    cold = _enc("onnx-int8", cache)
    cold.prefetch(TEXTS, tokens=True)
    cold.prefetch(TEXTS, tokens=True)  # one load, however often asked
    v, _ = cold.encode_with_tokens(TEXTS)
    assert len(loads) == 1 and loads[0].startswith("driftscope-load")
    np.testing.assert_array_equal(v, _enc("onnx-int8").encode(TEXTS))
    warm = _enc("onnx-int8", cache)
    warm.prefetch(TEXTS, tokens=True)
    warm.prefetch(TEXTS)  # sentence vectors cached too
    assert warm._loading is None and len(loads) == 2  # (the uncached reference above)
    warm.prefetch([*TEXTS, "A sentence the cache has never seen."])
    warm.encode(["A sentence the cache has never seen."])
    assert len(loads) == 3 and loads[2].startswith("driftscope-load")

    def broken(*args: object) -> object:
        raise EncoderUnavailableError("cannot load model.onnx: truncated file")

    monkeypatch.setattr(e5, "onnx_runner", broken)
    bad = _enc("onnx-int8", cache)
    bad.prefetch(["Another sentence nobody embedded."])  # the error is not raised here
    with pytest.raises(EncoderUnavailableError, match="truncated"):
        bad.encode(["Another sentence nobody embedded."])
