"""Sentence alignment of two (or a chain of) language versions. Layer: align (imports embed).

Public API: :func:`align`, :func:`align_vectors`, :class:`AlignConfig`, :class:`Alignment`,
:func:`align_chain`, :class:`ChainAlignment`.
"""

from __future__ import annotations

from driftscope.align.config import AlignConfig
from driftscope.align.result import Alignment
from driftscope.align.search import align, align_vectors

__all__ = ["AlignConfig", "Alignment", "align", "align_vectors"]
