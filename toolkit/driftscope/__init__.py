"""driftscope: align translations sentence by sentence, score them, flag drift, report.

Importing the package is cheap: no torch, no sentence-transformers (they load lazily inside the
encoder). The public API is re-exported lazily from the stage modules.
"""

from __future__ import annotations

import logging
from typing import Any

from driftscope._version import __version__
from driftscope.errors import (
    AlignmentError,
    ConfigError,
    DriftscopeError,
    EncoderUnavailableError,
    InputError,
    OutputError,
)

logging.getLogger(__name__).addHandler(logging.NullHandler())

_LAZY = {
    "read_document": "driftscope.ingest",
    "load_manifest": "driftscope.ingest.manifest",
    "get_encoder": "driftscope.embed.encoders",
    "align": "driftscope.align",
}

__all__ = [
    "AlignmentError",
    "ConfigError",
    "DriftscopeError",
    "EncoderUnavailableError",
    "InputError",
    "OutputError",
    "__version__",
    *_LAZY,
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'driftscope' has no attribute {name!r}")
