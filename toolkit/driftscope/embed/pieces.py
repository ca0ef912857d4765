"""Which tokenizer pieces belong to a text, and their character spans. Stdlib only."""

from __future__ import annotations

from collections.abc import Iterable


def piece_spans(
    text: str, offsets: Iterable[tuple[int, int]], n_prompt: int
) -> tuple[list[int], list[tuple[int, int]]]:
    """Rows to keep and their half-open spans in ``text``, from a fast tokenizer's offsets.

    ``offsets`` are those of ``prompt + text``; special tokens ((0, 0)) and prompt pieces (which
    end before ``n_prompt``) are dropped, and a leading space inside a piece's span (Metaspace)
    is not part of the span.
    """
    keep: list[int] = []
    spans: list[tuple[int, int]] = []
    for k, (a0, b0) in enumerate(offsets):
        a, b = int(a0) - n_prompt, int(b0) - n_prompt
        if b <= a or a < 0:
            continue
        while a < b and text[a].isspace():
            a += 1
        if a < b:
            keep.append(k)
            spans.append((a, b))
    return keep, spans
