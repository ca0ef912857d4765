"""Corpus inputs, streamed one document at a time as :class:`Job`s. Layer: corpus.

Three layouts: a folder of corpus manifests; line-parallel files with a ``DOCUMENT_IDS.tsv``
(NTREX: one line per segment, the id file names each line's document); a JSONL or Parquet table
with columns ``doc_id, version, lang, role, text`` (one row a version; a document's rows must be
contiguous). Readers hold one document in memory at a time. A line-parallel file's encoding
(UTF-8, or cp1251, KOI8-R, Windows-1258 as elsewhere in driftscope; UTF-16 is refused: its
lines cannot be cut as bytes) is judged on its first 64 KB, or on its first non-ASCII lines
when those are ASCII. A document whose bytes cannot be decoded becomes a job with ``error``
set, so the corpus goes on without it.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Any

from driftscope.errors import InputError
from driftscope.ingest import clean_text, detect_language, line_encoding, load_manifest
from driftscope.model import to_json

TABLE_COLUMNS = ("doc_id", "version", "lang", "role", "text")


@dataclass(frozen=True, slots=True)
class VersionText:
    """One language version of a corpus document, as text (``lang`` empty: detect it)."""

    id: str
    lang: str
    role: str
    text: str
    source: str
    lang_given: bool = True  # False: detected on the whole file, not checked per document


@dataclass(frozen=True, slots=True)
class Job:
    """One corpus document to process: its versions and the chains to align.

    ``manifest`` set: the versions are read from that manifest (``versions`` is empty).
    ``error`` set: the document failed before processing (one line, becomes an error row).
    ``chains``: version-id tuples, original first; each is one ``pipeline.run_documents`` call.
    """

    doc_id: str
    index: int
    versions: tuple[VersionText, ...] = ()
    chains: tuple[tuple[str, ...], ...] = ()
    manifest: str = ""
    presegmented: bool = False
    error: str = ""
    digest: str = ""  # sha256 of the input bytes that define the document

    @property
    def key(self) -> str:
        """Stable name of the document's result: its id and content, not its position."""
        h = hashlib.sha256(f"{self.doc_id}\0{self.digest}".encode())
        return h.hexdigest()[:32]

    @property
    def size(self) -> int:
        """Characters of text (for batching documents of similar length)."""
        return sum(len(v.text) for v in self.versions)


def plan_chains(
    versions: Sequence[tuple[str, str]], all_pairs: bool = False
) -> tuple[tuple[str, ...], ...]:
    """The comparisons of one document from its versions' (id, role), in input order.

    The original (role ``original``, else the first version) starts every chain. Relays (role
    ``relay``) form one chain with the last non-relay version; every other version is compared
    with the original directly. ``all_pairs`` adds every pair of versions not yet compared (the
    full coverage matrix).
    """
    ids = [v for v, _ in versions]
    roles = dict(versions)
    original = next((v for v in ids if roles[v] == "original"), ids[0])
    relays = [v for v in ids if v != original and roles[v] == "relay"]
    rest = [v for v in ids if v != original and v not in relays]
    chains: list[tuple[str, ...]] = []
    if relays:
        tail = rest[-1:] if rest else []
        chains.append((original, *relays, *tail))
        rest = rest[:-1]
    chains += [(original, v) for v in rest]
    if all_pairs:
        done = set()
        for ch in chains:
            done |= {frozenset(p) for p in itertools.pairwise(ch)} | {frozenset((ch[0], ch[-1]))}
        others = [v for v in ids if v != original]
        chains += [(a, b) for a, b in itertools.combinations(others, 2) if {a, b} not in done]
    return tuple(chains)


def _digest(parts: Iterable[str | bytes]) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(p.encode() if isinstance(p, str) else p)
        h.update(b"\0")
    return h.hexdigest()


def _table_job(doc_id: str, index: int, rows: list[dict[str, Any]], all_pairs: bool) -> Job:
    versions = tuple(
        VersionText(
            str(r["version"]), str(r.get("lang") or ""), str(r.get("role") or ""),
            clean_text(str(r.get("text") or "")), f"{doc_id}/{r['version']}",
        )
        for r in rows
    )  # fmt: skip
    digest = _digest(to_json(v, indent=None) for v in versions)
    ids = [v.id for v in versions]
    if len(set(ids)) != len(ids):
        return Job(doc_id, index, error=f"{doc_id}: duplicate versions {ids}", digest=digest)
    if len(ids) < 2:
        return Job(doc_id, index, error=f"{doc_id}: needs two versions, has {ids}", digest=digest)
    chains = plan_chains([(v.id, v.role) for v in versions], all_pairs)
    return Job(doc_id, index, versions, chains, digest=digest)


def _grouped(rows: Iterator[dict[str, Any]], all_pairs: bool) -> Iterator[Job]:
    index = 0
    for doc_id, group in itertools.groupby(rows, key=lambda r: str(r["doc_id"])):
        yield _table_job(doc_id, index, list(group), all_pairs)
        index += 1


def _jsonl_rows(path: Path) -> Iterator[dict[str, Any]]:
    with path.open("rb") as fh:
        for n, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            try:
                row = json.loads(raw)
            except (json.JSONDecodeError, UnicodeDecodeError) as err:
                raise InputError(f"{path}:{n}: not a JSON object ({err})") from err
            if not isinstance(row, dict) or "doc_id" not in row or "version" not in row:
                raise InputError(f"{path}:{n}: a row needs doc_id and version")
            yield row


def _parquet_rows(path: Path) -> Iterator[dict[str, Any]]:
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
    except (OSError, ValueError) as err:
        raise InputError(f"{path}: not a Parquet file ({err})") from err
    missing = [c for c in ("doc_id", "version", "text") if c not in pf.schema_arrow.names]
    if missing:
        raise InputError(f"{path}: missing columns {missing} (need {', '.join(TABLE_COLUMNS)})")
    cols = [c for c in TABLE_COLUMNS if c in pf.schema_arrow.names]
    for batch in pf.iter_batches(batch_size=1024, columns=cols):
        yield from batch.to_pylist()


@dataclass(frozen=True, slots=True)
class LineParallel:
    """Line-parallel files: ``versions`` is ``((id, path), ...)``, the original first.

    ``doc_ids`` None: each file is one document. ``langs`` maps a version id to its language
    (default: the id when it is a two-letter code, else detected from the file's start).
    """

    versions: tuple[tuple[str, Path], ...]
    doc_ids: Path | None = None
    langs: tuple[tuple[str, str], ...] = ()


def _scan(path: Path, sniff: bool = True) -> tuple[int, str]:
    """(lines, encoding) of a line-parallel file, in one pass over it.

    The encoding (:func:`~driftscope.ingest.decode.line_encoding`, which refuses UTF-16/32) is
    judged on the first 64 KB; when those are ASCII (ids, names, numbers first), on up to 64 KB
    of the lines with non-ASCII bytes in the first 16 MB. ``sniff=False``: UTF-8, not judged.
    """
    n, last, enc, read = 0, b"\n", "utf-8", 0
    sample: list[bytes] = []
    size, tail = 0, b""
    try:
        with path.open("rb") as fh:
            chunk = fh.read(1 << 16)
            if sniff:
                enc = line_encoding(chunk, str(path))
                sniff = enc == "utf-8" and chunk.isascii()  # look further for non-ASCII lines
            while chunk:
                n += chunk.count(b"\n")
                last, read = chunk[-1:], read + len(chunk)
                if sniff:
                    *lines, tail = (tail + chunk).split(b"\n")
                    for line in lines:
                        if not line.isascii():
                            sample.append(line + b"\n")
                            size += len(line) + 1
                    sniff = size < 1 << 16 and read < 1 << 24
                chunk = fh.read(1 << 20)
    except OSError as err:
        raise InputError(f"{path}: cannot read ({err.strerror or err})") from err
    if sample:
        enc = line_encoding(b"".join(sample), str(path))
    return n + (last != b"\n"), enc


def _decode_line(raw: bytes, path: Path, n: int, encoding: str = "utf-8") -> str:
    if encoding == "utf-8" and n == 1:
        encoding = "utf-8-sig"
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as err:
        name = "UTF-8" if encoding.startswith("utf-8") else encoding
        raise InputError(f"{path}:{n}: not valid {name} ({err.reason})") from err
    return text.rstrip("\r\n")


def _file_lang(vid: str, path: Path, given: dict[str, str], encoding: str) -> tuple[str, bool]:
    """(language, given by the user): the option, a two-letter id, else the file's start."""
    if vid in given:
        return given[vid], True
    if len(vid) == 2 and vid.isalpha():
        return vid.lower(), True
    with path.open("rb") as fh:
        head = b"".join(itertools.islice(fh, 200)).decode(encoding, errors="replace")
    return detect_language(clean_text(head))[0], False


def _line_groups(ids: IO[bytes] | None, n_lines: int) -> Iterator[tuple[str, int]]:
    """(doc id, number of lines) of each run of equal ids (one group without an id file)."""
    if ids is None:
        yield "", n_lines
        return
    lines = (raw.decode("utf-8-sig").split("\t", 1)[0].strip() for raw in ids)
    for did, group in itertools.groupby(lines):
        if not did:
            raise InputError("DOCUMENT_IDS: empty document id")
        yield did, sum(1 for _ in group)


def _line_parallel_jobs(spec: LineParallel, presegmented: bool, all_pairs: bool) -> Iterator[Job]:
    scans = {vid: _scan(p) for vid, p in spec.versions}
    counts = {vid: n for vid, (n, _) in scans.items()}
    encodings = {vid: enc for vid, (_, enc) in scans.items()}
    n_ids = _scan(spec.doc_ids, sniff=False)[0] if spec.doc_ids else next(iter(counts.values()))
    for vid, p in spec.versions:
        if counts[vid] != n_ids:
            raise InputError(f"{p}: {counts[vid]} lines but {n_ids} document ids")
    given = dict(spec.langs)
    langs = {vid: _file_lang(vid, p, given, encodings[vid]) for vid, p in spec.versions}
    chains = plan_chains([(vid, "original" if k == 0 else "") for k, (vid, _) in
                          enumerate(spec.versions)], all_pairs)  # fmt: skip
    files = [p.open("rb") for _, p in spec.versions]
    id_file = spec.doc_ids.open("rb") if spec.doc_ids else None
    try:
        line = 0
        for index, (did, n) in enumerate(_line_groups(id_file, n_ids)):
            raws = [[fh.readline() for _ in range(n)] for fh in files]
            doc_id = did or spec.versions[0][1].stem
            yield _lines_job(spec, doc_id, index, line, raws, langs, encodings, chains,
                             presegmented)  # fmt: skip
            line += n
    finally:
        for fh in files:
            fh.close()
        if id_file:
            id_file.close()


def _lines_job(
    spec: LineParallel, doc_id: str, index: int, first: int, raws: list[list[bytes]],
    langs: dict[str, tuple[str, bool]], encodings: dict[str, str],
    chains: tuple[tuple[str, ...], ...], presegmented: bool,
) -> Job:  # fmt: skip
    pairs = zip(spec.versions, raws, strict=True)
    digest = _digest(vid.encode() + b"".join(r) for (vid, _), r in pairs)
    versions = []
    try:
        for (vid, path), lines in zip(spec.versions, raws, strict=True):
            enc = encodings[vid]
            texts = [_decode_line(r, path, first + k + 1, enc) for k, r in enumerate(lines)]
            src = f"{path}:{first + 1}-{first + len(lines)}"
            role = "original" if vid == spec.versions[0][0] else ""
            lang, given = langs[vid]
            text = clean_text("\n".join(texts))
            versions.append(VersionText(vid, lang, role, text, src, given))
    except InputError as err:
        return Job(doc_id, index, error=str(err), digest=digest)
    return Job(doc_id, index, tuple(versions), chains, presegmented=presegmented, digest=digest)


def _manifest_jobs(root: Path, all_pairs: bool) -> Iterator[Job]:
    paths = [root / "manifest.toml"] if (root / "manifest.toml").is_file() else []
    paths = paths or sorted(root.rglob("manifest.toml"))
    if not paths:
        raise InputError(f"{root}: no manifest.toml in this folder or below it")
    for index, p in enumerate(paths):
        doc_id = p.parent.relative_to(root).as_posix() if p.parent != root else root.name
        try:
            man = load_manifest(p)
            files = [p] + [Path(man.root) / (v.segments or v.file) for v in man.versions]
            digest = _digest([f.read_bytes() for f in files])
        except (InputError, OSError) as err:
            yield Job(doc_id, index, error=" ".join(str(err).split()), digest=str(p))
            continue
        chains: tuple[tuple[str, ...], ...] = (man.chain,)
        if all_pairs:
            roles = [(v.id, "original" if v.id == man.chain[0] else "") for v in man.versions]
            extra = [c for c in plan_chains(roles, True) if len(c) == 2]
            pairs = {frozenset(x) for x in itertools.pairwise(man.chain)}
            pairs.add(frozenset((man.chain[0], man.chain[-1])))
            chains += tuple(c for c in extra if frozenset(c) not in pairs)
        yield Job(doc_id, index, (), chains, manifest=str(p), digest=digest)


def iter_jobs(
    source: Path | LineParallel, *, presegmented: bool = False, all_pairs: bool = False
) -> Iterator[Job]:
    """Stream the documents of a corpus input (see the module docstring), in input order.

    Args:
        source: a manifest folder, a ``.jsonl``/``.parquet`` table, or :class:`LineParallel`.
        presegmented: line-parallel and table texts have one segment per line.
        all_pairs: also compare every pair of versions (the coverage matrix).
    Raises:
        InputError: an unreadable or malformed input as a whole (a broken document is a job
            with ``error`` set instead).
    """
    if isinstance(source, LineParallel):
        yield from _line_parallel_jobs(source, presegmented, all_pairs)
        return
    path = Path(source)
    if path.is_dir():
        yield from _manifest_jobs(path, all_pairs)
        return
    suffix = path.suffix.lower()
    if not path.is_file():
        raise InputError(f"{path}: no such file or folder")
    if suffix not in (".jsonl", ".parquet"):
        raise InputError(f"{path}: expected a folder of manifests, a .jsonl or a .parquet table")
    rows = _jsonl_rows(path) if suffix == ".jsonl" else _parquet_rows(path)
    for job in _grouped(rows, all_pairs):
        yield replace(job, presegmented=presegmented) if presegmented else job
