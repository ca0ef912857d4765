"""Sentence embeddings: encoders, the ``get_encoder`` registry and the on-disk cache.

Layer: embed. Importing this package imports numpy and stdlib only (never torch).
"""

from __future__ import annotations

from driftscope.embed.cache import EmbeddingCache
from driftscope.embed.e5 import BACKENDS, DEFAULT_BACKEND, E5Encoder, TokenStates
from driftscope.embed.encoders import (
    BaseEncoder,
    Encoder,
    HashEncoder,
    SentenceTransformerEncoder,
    USEm3Encoder,
)
from driftscope.embed.registry import DEFAULT_ENCODER, DEFAULT_PROMPTS, ENCODERS, get_encoder

__all__ = [
    "BACKENDS",
    "DEFAULT_BACKEND",
    "E5Encoder",
    "TokenStates",
    "DEFAULT_ENCODER",
    "DEFAULT_PROMPTS",
    "ENCODERS",
    "BaseEncoder",
    "EmbeddingCache",
    "Encoder",
    "HashEncoder",
    "SentenceTransformerEncoder",
    "USEm3Encoder",
    "get_encoder",
]
