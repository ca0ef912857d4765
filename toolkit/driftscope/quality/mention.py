"""A mention found in a text: normalised key, surface text, half-open character span."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Mention:
    """A number or entity found in a text: normalised key, surface text, half-open span."""

    key: str
    text: str
    start: int
    end: int
