"""Corpus manifests (TOML): versions of one text and the translation chain. Ingest layer."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from driftscope.errors import InputError
from driftscope.ingest.document import read_document
from driftscope.model import Document

ROLES = ("original", "relay", "mt", "reference", "")


@dataclass(frozen=True, slots=True)
class VersionSpec:
    """One language version as the manifest names it (paths relative to the manifest)."""

    id: str
    lang: str
    role: str
    file: str
    segments: str = ""  # optional one-sentence-per-line file; preferred when present
    reconstructed: bool = False


@dataclass(frozen=True, slots=True)
class Manifest:
    """A parsed ``manifest.toml``: ``chain`` lists version ids, original first."""

    id: str
    title: str
    root: str
    versions: tuple[VersionSpec, ...]
    chain: tuple[str, ...]

    def version(self, vid: str) -> VersionSpec:
        for v in self.versions:
            if v.id == vid:
                return v
        raise KeyError(vid)


def load_manifest(path: str | Path) -> Manifest:
    """Parse a manifest file, or ``manifest.toml`` inside a folder.

    Raises:
        InputError: missing file, TOML syntax error, missing keys, unknown chain ids.
    """
    p = Path(path)
    if p.is_dir():
        p = p / "manifest.toml"
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise InputError(f"{p}: no such manifest") from err
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise InputError(f"{p}: not a valid TOML manifest ({err})") from err
    except OSError as err:
        raise InputError(f"{p}: cannot read ({err.strerror or err})") from err
    versions = []
    for i, v in enumerate(data.get("versions", [])):
        try:
            spec = VersionSpec(
                id=str(v["id"]),
                lang=str(v["lang"]),
                role=str(v.get("role", "")),
                file=str(v["file"]),
                segments=str(v.get("segments", "")),
                reconstructed=bool(v.get("reconstructed", False)),
            )
        except KeyError as err:
            raise InputError(f"{p}: version {i} lacks the key {err.args[0]!r}") from err
        if spec.role not in ROLES:
            raise InputError(f"{p}: version {spec.id!r} has unknown role {spec.role!r}")
        versions.append(spec)
    if len(versions) < 2:
        raise InputError(f"{p}: a manifest needs at least two [[versions]]")
    ids = [v.id for v in versions]
    if len(set(ids)) != len(ids):
        raise InputError(f"{p}: duplicate version ids in {ids}")
    chain = tuple(str(c) for c in data.get("chain", ids))
    unknown = [c for c in chain if c not in ids]
    if unknown or len(chain) < 2:
        raise InputError(f"{p}: chain {list(chain)} names unknown versions {unknown}")
    return Manifest(
        id=str(data.get("id", p.parent.name)),
        title=str(data.get("title", "")),
        root=str(p.parent),
        versions=tuple(versions),
        chain=chain,
    )


def read_versions(manifest: Manifest, detect_segments: bool = True) -> tuple[Document, ...]:
    """Read every version of a manifest (its ``segments`` file when given, else ``file``)."""
    docs = []
    for v in manifest.versions:
        root = Path(manifest.root)
        if v.segments:
            path, preseg = root / v.segments, True
        else:
            path, preseg = root / v.file, False
        docs.append(
            read_document(
                path,
                v.lang,
                presegmented=preseg,
                doc_id=v.id,
                role=v.role,
                detect_segments=detect_segments,
            )
        )
    return tuple(docs)


def read_gold_problems(path: str | Path) -> list[dict[str, Any]]:
    """Rows of a corpus's ``gold/problems.tsv`` (hop, version, segment, kind, span, explanation).

    Returns:
        ``[{"hop", "version", "segment", "kind", "span", "note"}]``; ``span`` is ``""`` where the
        file says ``-`` (the whole segment).
    Raises:
        InputError: unreadable file or a malformed row (path:line).
    """
    p = Path(path)
    try:
        lines = p.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(f"{p}: cannot read gold problems ({err})") from err
    rows = []
    for n, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        cols = line.split("\t")
        if len(cols) < 6 or not cols[2].strip().isdigit():
            raise InputError(f"{p}:{n}: expected hop, version, segment, kind, span, explanation")
        span = "" if cols[4].strip() == "-" else cols[4].strip()
        rows.append(
            {
                "hop": cols[0].strip(),
                "version": cols[1].strip(),
                "segment": int(cols[2]),
                "kind": cols[3].strip(),
                "span": span,
                "note": "\t".join(cols[5:]).strip(),
            }
        )
    return rows
