"""Embed the quality data sets once with the *current* default encoder (one model pass each).

    .venv/bin/python benchmarks/quality_embed.py [set ...]

Writes ``.cache/quality/<encoder id>-<prompt tag>/{set}.e5.npz`` (``sent``: (n, 384) float32
unit sentence vectors, identical to ``get_encoder().encode``; ``tok``: last-layer unit token
vectors, float16, rows ``offs[i]:offs[i+1]`` for text i; ``spans``: their character spans) and
``{set}.tok.npz`` (the layer mix of :data:`driftscope.quality.tokens.LAYERS`) for the sets in
``quality_fit.MIX_SETS`` (NTREX: suspicious terms; the hallucination set: source alignment).
The prompt is the encoder's own (``get_encoder().prompt``), so the cached vectors are the ones
users get; a different prompt gets a different folder. USE-m3 vectors do not depend on
the e5 prompt and live in ``.cache/quality/{set}.use.npz``.
"""

from __future__ import annotations

import sys
import time

import numpy as np

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parent))
import quality_fit as qf  # noqa: E402


def embed_once(model, texts: list[str], prompt: str, mix: bool = False, bs: int = 32):
    """Sentence vectors + last-layer (and optionally layer-mix) token vectors in one pass."""
    import torch
    from driftscope.embed.pieces import piece_spans
    from driftscope.quality.tokens import LAYERS

    tok, bert = model.tokenizer, model[0].auto_model
    order = np.argsort([len(t) for t in texts], kind="stable")
    sent = np.zeros((len(texts), bert.config.hidden_size), np.float32)
    toks: list = [None] * len(texts)
    mixes: list = [None] * len(texts)
    spans: list = [None] * len(texts)
    for s in range(0, len(texts), bs):
        idx = order[s : s + bs]
        chunk = [texts[i] for i in idx]
        enc = tok(
            [prompt + t for t in chunk],
            return_offsets_mapping=True,
            padding=True,
            truncation=True,
            max_length=int(model.max_seq_length or 512),
            return_tensors="pt",
        )
        offsets = enc.pop("offset_mapping").tolist()
        with torch.inference_mode():
            hs = bert(**enc, output_hidden_states=True).hidden_states
        m = enc["attention_mask"].unsqueeze(-1).float()
        pooled = (hs[-1] * m).sum(1) / m.sum(1).clamp(min=1e-9)
        pooled = torch.nn.functional.normalize(pooled, dim=1)
        sent[idx] = pooled.float().numpy()
        mask = enc["attention_mask"].tolist()
        for r, i in enumerate(idx):
            text = texts[i]
            # right padding: the row's first sum(mask) positions are its real pieces
            keep, sp = piece_spans(text, offsets[r][: sum(mask[r])], len(prompt))
            v = hs[-1][r, keep].float().numpy().astype(np.float64)
            toks[i] = v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-9)
            spans[i] = sp
            if mix:
                parts = []
                for layer in LAYERS:
                    w = hs[layer][r, keep].float().numpy().astype(np.float64)
                    w /= np.maximum(np.linalg.norm(w, axis=1, keepdims=True), 1e-9)
                    parts.append(w / np.sqrt(len(LAYERS)))
                mixes[i] = np.concatenate(parts, axis=1)
    return sent, toks, spans, mixes


def save(name: str, texts: list[str], mix: bool = False) -> None:
    from driftscope.embed import get_encoder

    d = qf.cache_dir()
    p = d / f"{name}.e5.npz"
    if p.exists():
        return
    enc = get_encoder()
    t0 = time.time()
    sent, toks, spans, mixes = embed_once(enc.model, texts, enc.prompt, mix=mix)
    offs = np.cumsum([0] + [len(t) for t in toks])
    flat = np.array([x for s in spans for x in s]).reshape(-1, 2)
    if mix:
        np.savez(
            d / f"{name}.tok.npz",
            tok=np.concatenate(mixes).astype(np.float16),
            offs=offs,
            spans=flat,
        )
    np.savez(p, sent=sent, tok=np.concatenate(toks).astype(np.float16), offs=offs, spans=flat)
    print(name, len(texts), f"{time.time() - t0:.0f}s", flush=True)


def main() -> None:
    import torch

    torch.set_num_threads(2)
    from driftscope.embed import get_encoder

    enc = get_encoder()
    probe = ["Hello world.", "Привет, мир! Это тест.", "Xin chào thế giới."]
    sent, *_ = embed_once(enc.model, probe, enc.prompt)
    ref = np.asarray(enc.encode(probe), np.float32)
    err = float(np.abs(sent - ref).max())
    print("encoder", enc.id, repr(enc.prompt), "max |one-pass - encode|", err, flush=True)
    assert err < 1e-4, err
    want = set(sys.argv[1:])
    sets = qf.all_sets()
    for name, texts, mix in sets:
        if not want or name in want:
            save(name, texts, mix)
    print("done", flush=True)


if __name__ == "__main__":
    main()
