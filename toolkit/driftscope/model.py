"""The single data model: frozen dataclasses serialised to JSON. Leaf layer: stdlib only.

Every report renders from a :class:`RunResult` (``to_json``/``from_json``) without re-embedding
or re-aligning. Fields are JSON-native (str, int, float, bool, tuples, str-keyed mappings);
no arrays. Indices are 0-based, character spans half-open, ``src``/``tgt`` everywhere.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

SCHEMA_VERSION = "1.0"

FLAG_KINDS = (
    "addition",  # hallucinated or added target content with no source
    "omission",  # source content with no counterpart in the target
    "low_similarity",  # garbled, or meaning badly changed
    "untranslated",  # target left in the source language, or in a wrong language
    "number_mismatch",
    "entity_mismatch",
    "duplicate",  # a segment repeated in the same version
    "broken_segment",  # a sentence broken mid-way
    "suspicious_term",  # a target word poorly supported by the source
    "meaning_reversal",  # a negation on one side of a bead and not on the other
)
SEVERITIES = ("low", "medium", "high")


@dataclass(frozen=True, slots=True)
class Segment:
    """One sentence (or pre-segmented line) of a document.

    ``char_start``/``char_end`` are a half-open span in the document's normalised text.
    ``lang`` is the detected language ('' when too short to tell), ``lang_prob`` its probability.
    """

    index: int
    text: str
    char_start: int
    char_end: int
    paragraph: int = 0
    lang: str = ""
    lang_prob: float = 0.0


@dataclass(frozen=True, slots=True)
class Document:
    """One language version of a text, normalised (NFC, cleaned) and segmented."""

    doc_id: str
    lang: str
    segments: tuple[Segment, ...]
    lang_prob: float = 1.0
    lang_source: str = "given"  # "given" | "detected"
    role: str = ""  # "original" | "relay" | "mt" | "" (plain file)
    source: str = ""  # path as given by the user
    sha256: str = ""  # of the raw bytes read
    encoding: str = "utf-8"

    @property
    def texts(self) -> tuple[str, ...]:
        return tuple(s.text for s in self.segments)


@dataclass(frozen=True, slots=True)
class Bead:
    """An alignment unit: source and target segment indices; an empty side is 0-1 or 1-0."""

    src: tuple[int, ...]
    tgt: tuple[int, ...]
    cost: float = 0.0

    def key(self) -> str:
        """Vecalign/Bertalign syntax, e.g. ``[0]:[0, 1]``."""
        return f"[{', '.join(map(str, self.src))}]:[{', '.join(map(str, self.tgt))}]"


@dataclass(frozen=True, slots=True)
class BeadScore:
    """Per-bead similarity evidence (higher is better except ``length_ratio``, a log ratio)."""

    similarity: float  # calibrated: 0 = random pair, 1 = typical true translation
    cosine: float  # raw encoder cosine of the concatenated spans
    margin: float  # cosine minus mean cosine to nearest neighbours
    length_ratio: float  # log(tgt chars / src chars) minus the document-level log ratio


@dataclass(frozen=True, slots=True)
class Span:
    """A character span (half-open) inside one segment of one version."""

    version: str
    segment: int
    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class Flag:
    """A problem a careful reader would mark, with the evidence behind it."""

    kind: str  # one of FLAG_KINDS
    severity: str  # one of SEVERITIES
    hop: str  # "src_id-tgt_id", e.g. "vi-en"; the hop where the problem first appears
    src: tuple[int, ...]
    tgt: tuple[int, ...]
    value: float  # the score that triggered the flag
    threshold: float  # the threshold it crossed
    note: str  # one human sentence
    spans: tuple[Span, ...] = ()
    evidence: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # JSON round-trips must be exact: an int threshold would come back as a float.
        object.__setattr__(self, "value", float(self.value))
        object.__setattr__(self, "threshold", float(self.threshold))
        ev = {
            k: float(v) if isinstance(v, int) and not isinstance(v, bool) else v
            for k, v in self.evidence.items()
        }
        object.__setattr__(self, "evidence", ev)


@dataclass(frozen=True, slots=True)
class Comparison:
    """One aligned pair of versions (a hop of a chain, or the direct original-to-final pair)."""

    src_id: str
    tgt_id: str
    beads: tuple[Bead, ...]
    scores: tuple[BeadScore, ...]  # parallel to beads
    flags: tuple[Flag, ...] = ()
    summary: Mapping[str, float] = field(default_factory=dict)

    @property
    def hop(self) -> str:
        return f"{self.src_id}-{self.tgt_id}"


@dataclass(frozen=True, slots=True)
class Signature:
    """Everything that determines a result, sacrebleu style."""

    driftscope: str
    encoder: str
    revision: str = ""
    prompt: str = ""
    seed: int = 0
    align: Mapping[str, Any] = field(default_factory=dict)
    score: Mapping[str, Any] = field(default_factory=dict)
    flag: Mapping[str, Any] = field(default_factory=dict)
    packages: Mapping[str, str] = field(default_factory=dict)

    def format(self, short: bool = True) -> str:
        """``driftscope:0.1.0|enc:e5-small|...``; the long form spells every parameter out."""
        parts = [f"driftscope:{self.driftscope}", f"enc:{self.encoder}"]
        if self.revision:
            parts.append(f"rev:{self.revision}")
        parts.append(f"prompt:{self.prompt or 'none'}")
        parts.append(f"seed:{self.seed}")
        if not short:
            for name in ("align", "score", "flag", "packages"):
                for k, v in sorted(getattr(self, name).items()):
                    parts.append(f"{name}.{k}:{v}")
        return "|".join(parts)


@dataclass(frozen=True, slots=True)
class RunResult:
    """A whole run: versions, their pairwise comparisons, and the signature."""

    signature: Signature
    documents: tuple[Document, ...]
    comparisons: tuple[Comparison, ...]
    chain: tuple[str, ...] = ()  # version ids, original first; () for a plain pair
    title: str = ""
    extras: Mapping[str, Any] = field(default_factory=dict)  # JSON-native add-ons
    schema: str = SCHEMA_VERSION

    def document(self, doc_id: str) -> Document:
        for d in self.documents:
            if d.doc_id == doc_id:
                return d
        raise KeyError(doc_id)


# --------------------------------------------------------------------------- JSON
T = TypeVar("T")


def to_dict(obj: Any) -> Any:
    """Dataclasses to plain JSON-native structures, field order kept, tuples to lists."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_dict(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, (tuple, list)):
        return [to_dict(v) for v in obj]
    if isinstance(obj, Mapping):
        return {str(k): to_dict(v) for k, v in obj.items()}
    if isinstance(obj, float) and obj != obj:  # NaN is not JSON
        return None
    return obj


def to_json(obj: Any, indent: int | None = 1) -> str:
    """Deterministic JSON (``ensure_ascii=False``, fixed field order)."""
    return json.dumps(to_dict(obj), ensure_ascii=False, indent=indent, allow_nan=False)


def _build(tp: Any, value: Any) -> Any:
    origin = typing.get_origin(tp)
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        hints = typing.get_type_hints(tp)
        kwargs = {
            f.name: _build(hints[f.name], value[f.name])
            for f in dataclasses.fields(tp)
            if f.name in value
        }
        return tp(**kwargs)
    if origin is tuple:
        args = typing.get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_build(args[0], v) for v in value)
        return tuple(_build(a, v) for a, v in zip(args, value, strict=True))
    if origin in (dict, Mapping, typing.Mapping) or tp is Mapping:
        args = typing.get_args(tp)
        vt = args[1] if len(args) == 2 else Any
        return {k: _build(vt, v) for k, v in value.items()}
    if origin in (typing.Union, types.UnionType):
        if value is None:
            return None
        non_none = [a for a in typing.get_args(tp) if a is not type(None)]
        return _build(non_none[0], value)
    if tp is float and value is None:
        return float("nan")
    if tp is float and isinstance(value, int):
        return float(value)
    return value


def from_dict(cls: type[T], data: Mapping[str, Any]) -> T:
    """Inverse of :func:`to_dict` for any dataclass of this module."""
    return typing.cast(T, _build(cls, data))


def from_json(text: str, cls: type[T] = RunResult) -> T:  # type: ignore[assignment]
    """Parse JSON written by :func:`to_json` back into ``cls`` (default :class:`RunResult`)."""
    return from_dict(cls, json.loads(text))
