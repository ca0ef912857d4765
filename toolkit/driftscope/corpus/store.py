"""The output folder of a corpus run: committed document results and the final tables.

Layer: corpus. Layout of ``OUT``::

    documents.parquet beads.parquet flags.parquet index.html signature.json reports/
    .driftscope/parts-<sig>/<ab>/<key>.json   one committed document result
    .driftscope/order-<sig>.tsv               the input order of the last pass

A document result is committed atomically (temporary file, then rename) the moment it arrives,
under a folder named by the run's signature: a rerun with the same signature finds it and skips
the document; another signature starts afresh. The tables are written only after every
document is committed, each to a temporary file renamed into place, so an interrupted run
never leaves half a table (the previous complete tables, if any, stay).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from driftscope.corpus.tables import DocRows, schemas
from driftscope.errors import OutputError

TABLES = ("documents", "beads", "flags")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def report_name(doc_id: str, key: str) -> str:
    """File name of a document's report under ``reports/`` (safe, unique per document)."""
    return f"{_UNSAFE.sub('_', doc_id).strip('._')[:80] or 'doc'}-{key[:8]}.html"


class Store:
    """Committed results of one signature inside ``out`` (see the module docstring)."""

    def __init__(self, out: Path, signature: dict[str, Any]) -> None:
        if out.exists() and not out.is_dir():
            raise OutputError(f"{out}: exists and is not a folder")
        self.out = out
        self.signature = signature
        text = json.dumps(signature, sort_keys=True, ensure_ascii=False)
        self.sig = hashlib.sha256(text.encode()).hexdigest()[:12]
        self.work = out / ".driftscope"
        self.parts = self.work / f"parts-{self.sig}"
        try:
            self.parts.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise OutputError(f"{out}: cannot create the output folder ({err})") from err
        _atomic_write(out / "signature.json", (json.dumps(signature, indent=1) + "\n").encode())

    def _part(self, key: str) -> Path:
        return self.parts / key[:2] / f"{key}.json"

    def done(self, key: str) -> bool:
        """True when the document with this key is committed under this signature."""
        return self._part(key).is_file()

    def commit(self, rows: DocRows) -> None:
        """Write one document's result atomically (and its report, when it has one)."""
        if rows.report:
            name = report_name(rows.doc_id, rows.key)
            _atomic_write(self.out / "reports" / name, rows.report.encode())
        _atomic_write(self._part(rows.key), rows.to_json().encode())

    def load(self, key: str) -> DocRows:
        return DocRows.from_json(self._part(key).read_text(encoding="utf-8"))

    @contextmanager
    def order(self) -> Iterator[Callable[[int, str, str], None]]:
        """Record the input order of this pass: ``add(index, key, doc_id)``; kept on success."""
        final = self.work / f"order-{self.sig}.tsv"
        fd, tmp = tempfile.mkstemp(prefix=".order.", dir=self.work)
        fh: IO[str] = os.fdopen(fd, "w", encoding="utf-8")
        try:

            def add(i: int, key: str, doc_id: str) -> None:
                fh.write(f"{i}\t{key}\t{doc_id}\n")

            yield add
            fh.close()
            os.replace(tmp, final)
        except BaseException:
            fh.close()
            Path(tmp).unlink(missing_ok=True)
            raise

    def iter_results(self) -> Iterator[DocRows]:
        """Committed results in the input order of the last complete pass."""
        with (self.work / f"order-{self.sig}.tsv").open(encoding="utf-8") as fh:
            for line in fh:
                yield self.load(line.split("\t", 2)[1])

    def write_tables(self, on_doc: Callable[[DocRows], None] | None = None) -> dict[str, Path]:
        """Write the three Parquet tables from the committed results (atomically, streamed).

        Args:
            on_doc: called with each document's rows as they are written (summaries).
        Returns:
            table name -> path.
        """
        import pyarrow as pa
        import pyarrow.parquet as pq

        sch = schemas()
        paths = {t: self.out / f"{t}.parquet" for t in TABLES}
        tmps = {t: self.out / f".{t}.parquet.{os.getpid()}.tmp" for t in TABLES}
        writers = {t: pq.ParquetWriter(tmps[t], sch[t]) for t in TABLES}
        buf: dict[str, list[dict[str, Any]]] = {t: [] for t in TABLES}

        def flush(t: str) -> None:
            if buf[t]:
                writers[t].write_table(pa.Table.from_pylist(buf[t], schema=sch[t]))
                buf[t] = []

        try:
            for rows in self.iter_results():
                buf["documents"] += rows.documents
                buf["beads"] += rows.beads
                buf["flags"] += rows.flags
                if on_doc is not None:
                    on_doc(rows)
                for t in TABLES:
                    if len(buf[t]) >= 20_000:  # bounded memory: one row group at a time
                        flush(t)
            for t in TABLES:
                flush(t)
                writers[t].close()
            for t in TABLES:
                os.replace(tmps[t], paths[t])
        finally:
            for t in TABLES:
                writers[t].close()
                tmps[t].unlink(missing_ok=True)
        return paths

    def write_index(self, html: str) -> Path:
        path = self.out / "index.html"
        _atomic_write(path, html.encode())
        return path
