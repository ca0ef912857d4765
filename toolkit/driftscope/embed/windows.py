"""Embeddings of windows of consecutive segments. Imports numpy and ``errors`` only.

A window of size ``k`` ending at node ``e`` is the text of segments ``e-k .. e-1`` joined by a
space. Windows live in a ``(K, n + 1)`` grid indexed by (size - 1, end node), the layout
:mod:`driftscope.align` uses; cells with ``e < k`` are invalid and masked (no sentinel strings
such as ``PAD`` are ever embedded). Only the cells asked for are encoded, and each distinct text
is encoded once, whatever the number of cells it fills.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np

from driftscope.errors import EncoderUnavailableError

JOINER = " "


class TextEncoder(Protocol):
    """What the windows need of an encoder: ``encode(texts) -> (n, d) float32 unit rows``."""

    def encode(self, texts: list[str]) -> np.ndarray: ...


def window_text(texts: Sequence[str], k: int, end: int) -> str:
    """The text of the window of size ``k`` ending at node ``end``."""
    return JOINER.join(t.strip() for t in texts[end - k : end])


def valid_mask(n: int, max_size: int) -> np.ndarray:
    """(K, n + 1) bool: True where a window of size k ends at node e (``k <= e``)."""
    k = np.arange(1, max_size + 1)[:, None]
    e = np.arange(n + 1)[None, :]
    return e >= k


def encode_windows(
    texts: Sequence[str],
    encoder: TextEncoder,
    max_size: int,
    needed: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Encode the requested windows of one document side.

    Args:
        texts: the n segment texts.
        encoder: anything with ``encode(list[str]) -> (len, d) float32`` unit-norm rows.
        max_size: largest window size K (>= 1).
        needed: optional (K, n + 1) bool of the cells wanted; default every valid cell.
    Returns:
        ``(vectors, mask)``: (K, n + 1, d) float32 with zero rows where not encoded, and
        (K, n + 1) bool, True where the row holds an embedding.
    Raises:
        EncoderUnavailableError: if the encoder returns the wrong number of rows.
    """
    return encode_windows_sides([(texts, needed)], encoder, max_size)[0]


def encode_windows_sides(
    sides: Sequence[tuple[Sequence[str], np.ndarray | None]],
    encoder: TextEncoder,
    max_size: int,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """:func:`encode_windows` of several sides (``(texts, needed)`` each) in one ``encode``
    call: the encoder batches all their texts together (on ParIce dev, half the calls of an
    alignment; a text both sides share is encoded once)."""
    unique: dict[str, int] = {}
    plans = []
    for texts, needed in sides:
        mask = valid_mask(len(texts), max_size)
        if needed is not None:
            mask = mask & needed.astype(bool)
        cells = np.argwhere(mask)  # (c, 2): (k - 1, e) in row-major order, deterministic
        slot = np.empty(len(cells), np.int64)
        for c, (k1, e) in enumerate(cells.tolist()):
            slot[c] = unique.setdefault(window_text(texts, k1 + 1, e), len(unique))
        plans.append((mask, cells, slot))
    vecs = encoder.encode(list(unique)) if unique else np.zeros((0, 1), np.float32)
    if len(vecs) != len(unique):
        raise EncoderUnavailableError(
            f"encoder returned {len(vecs)} vectors for {len(unique)} texts"
        )
    d = vecs.shape[1] if len(unique) else 1
    out = []
    for mask, cells, slot in plans:
        arr = np.zeros((*mask.shape, d), np.float32)
        if len(cells):
            arr[cells[:, 0], cells[:, 1]] = vecs[slot]
        out.append((arr, mask))
    return out
