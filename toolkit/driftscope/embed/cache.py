"""On-disk embedding cache: one sqlite row per (encoder id, revision, prompt, text).

Layer: embed. Imports numpy and stdlib only.

Keys are ``sha256`` digests of the four parts (length-prefixed, so no two different tuples can
produce the same byte string); values are float32 blobs. Token vectors live in a second table
of the same file (``tok``): per text its piece count ``n``, the (n, 2) int32 character spans and
the (L, n, h) float16 unit rows of L hidden layers, under :func:`token_key`. The database lives
under the user cache (``$DRIFTSCOPE_HOME/embeddings.sqlite3``, see
:func:`driftscope.embed.build_e5.cache_home`) in WAL mode, so many processes may read while one
writes. A cache that cannot be opened or written is logged and bypassed: caching only ever
saves time, it never changes a result.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

DB_NAME = "embeddings.sqlite3"
_CHUNK = 500  # keys per SELECT; below SQLite's host-parameter limit on every build


def _select_in(conn: sqlite3.Connection, select: str, keys: list[bytes]) -> Iterator[tuple]:
    """Rows of ``select ... WHERE key IN (keys)``, ``_CHUNK`` keys per statement."""
    for start in range(0, len(keys), _CHUNK):
        part = keys[start : start + _CHUNK]
        yield from conn.execute(f"{select} WHERE key IN ({','.join('?' * len(part))})", part)


def cache_key(encoder_id: str, revision: str, prompt: str, text: str) -> bytes:
    """32-byte sha256 key of one embedding."""
    h = hashlib.sha256()
    for part in (encoder_id, revision, prompt, text):
        raw = part.encode("utf-8")
        h.update(len(raw).to_bytes(8, "little"))
        h.update(raw)
    return h.digest()


def token_key(encoder_id: str, revision: str, prompt: str, text: str, layers: str) -> bytes:
    """Key of one text's token vectors: like :func:`cache_key`, with the layer list added."""
    return cache_key(encoder_id, f"{revision}|tokens:{layers}", prompt, text)


class EmbeddingCache:
    """Persistent map from :func:`cache_key` to a float32 vector.

    Args:
        path: sqlite file; default ``<cache_home()>/embeddings.sqlite3``, resolved on first use
            so that ``DRIFTSCOPE_HOME`` set after construction still counts.
        enabled: ``False`` makes every lookup miss and every store a no-op.
    """

    def __init__(self, path: Path | str | None = None, *, enabled: bool = True) -> None:
        self._path = Path(path) if path is not None else None
        self.enabled = enabled
        self._conn: sqlite3.Connection | None = None
        self._pid = -1
        self.hits = 0
        self.misses = 0

    @property
    def path(self) -> Path:
        if self._path is None:
            from driftscope.embed.build_e5 import cache_home

            self._path = cache_home() / DB_NAME
        return self._path

    def _connect(self) -> sqlite3.Connection | None:
        if not self.enabled:
            return None
        if self._conn is not None and self._pid == os.getpid():
            return self._conn
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(str(self.path), timeout=60.0, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute(
                "CREATE TABLE IF NOT EXISTS emb (key BLOB PRIMARY KEY, vec BLOB NOT NULL)"
                " WITHOUT ROWID"
            )
            conn.execute(
                "CREATE TABLE IF NOT EXISTS tok (key BLOB PRIMARY KEY, n INTEGER NOT NULL,"
                " spans BLOB NOT NULL, vecs BLOB NOT NULL) WITHOUT ROWID"
            )
        except (OSError, sqlite3.Error) as err:
            log.warning("embedding cache %s unusable (%s); continuing without it", self.path, err)
            self.enabled = False
            return None
        self._conn, self._pid = conn, os.getpid()
        return conn

    def get_many(self, keys: Sequence[bytes], dim: int) -> dict[bytes, np.ndarray]:
        """Look up ``keys``.

        Args:
            keys: cache keys.
            dim: expected vector length; a stored blob of another size counts as a miss.

        Returns:
            The hits, each a (dim,) float32 array; keys not stored are absent.
        """
        conn = self._connect()
        found: dict[bytes, np.ndarray] = {}
        if conn is None or not keys:
            self.misses += len(keys)
            return found
        uniq = list(dict.fromkeys(keys))
        try:
            for key, blob in _select_in(conn, "SELECT key, vec FROM emb", uniq):
                if len(blob) == 4 * dim:
                    found[bytes(key)] = np.frombuffer(blob, dtype=np.float32).copy()
        except sqlite3.Error as err:
            log.warning("embedding cache read failed (%s); recomputing", err)
            found = {}
        self.hits += len(found)
        self.misses += len(uniq) - len(found)
        return found

    def put_many(self, items: Iterable[tuple[bytes, np.ndarray]]) -> None:
        """Store vectors (converted to float32); existing keys are overwritten."""
        conn = self._connect()
        if conn is None:
            return
        rows = [(k, np.ascontiguousarray(v, dtype=np.float32).tobytes()) for k, v in items]
        if not rows:
            return
        try:
            with _transaction(conn):
                conn.executemany("INSERT OR REPLACE INTO emb (key, vec) VALUES (?, ?)", rows)
        except sqlite3.Error as err:
            log.warning("embedding cache write failed (%s); continuing without storing", err)

    def get_tokens(
        self, keys: Sequence[bytes], shape: tuple[int, int]
    ) -> dict[bytes, tuple[np.ndarray, np.ndarray]]:
        """Look up token vectors.

        Args:
            keys: :func:`token_key` digests.
            shape: (L, h): layers and width per piece; a blob of another size is a miss.

        Returns:
            The hits: key -> (spans (n, 2) int32, vecs (L, n, h) float16).
        """
        conn = self._connect()
        found: dict[bytes, tuple[np.ndarray, np.ndarray]] = {}
        if conn is None or not keys:
            return found
        n_layers, width = shape
        uniq = list(dict.fromkeys(keys))
        try:
            for key, n, sp, vv in _select_in(conn, "SELECT key, n, spans, vecs FROM tok", uniq):
                if len(sp) != 8 * n or len(vv) != 2 * n_layers * n * width:
                    continue
                spans = np.frombuffer(sp, dtype=np.int32).reshape(n, 2)
                vecs = np.frombuffer(vv, dtype=np.float16).reshape(n_layers, n, width)
                found[bytes(key)] = (spans, vecs)
        except sqlite3.Error as err:
            log.warning("token cache read failed (%s); recomputing", err)
            found = {}
        return found

    def has_tokens(self, keys: Sequence[bytes]) -> set[bytes]:
        """The :func:`token_key` digests among ``keys`` that have token vectors (no blob read)."""
        return self._has("tok", keys)

    def has_vectors(self, keys: Sequence[bytes]) -> set[bytes]:
        """The :func:`cache_key` digests among ``keys`` that have a vector (no blob read)."""
        return self._has("emb", keys)

    def _has(self, table: str, keys: Sequence[bytes]) -> set[bytes]:
        conn = self._connect()
        found: set[bytes] = set()
        if conn is None or not keys:
            return found
        uniq = list(dict.fromkeys(keys))
        try:
            found.update(bytes(k) for (k,) in _select_in(conn, f"SELECT key FROM {table}", uniq))
        except sqlite3.Error as err:
            log.warning("embedding cache read failed (%s); recomputing", err)
            return set()
        return found

    def put_tokens(self, items: Iterable[tuple[bytes, np.ndarray, np.ndarray]]) -> None:
        """Store (key, spans (n, 2) int, vecs (L, n, h)) rows, as int32 and float16."""
        conn = self._connect()
        if conn is None:
            return
        rows = [
            (
                k,
                len(sp),
                np.ascontiguousarray(sp, dtype=np.int32).tobytes(),
                np.ascontiguousarray(vv, dtype=np.float16).tobytes(),
            )
            for k, sp, vv in items
        ]
        if not rows:
            return
        try:
            with _transaction(conn):
                conn.executemany(
                    "INSERT OR REPLACE INTO tok (key, n, spans, vecs) VALUES (?, ?, ?, ?)", rows
                )
        except sqlite3.Error as err:
            log.warning("token cache write failed (%s); continuing without storing", err)

    def __len__(self) -> int:
        conn = self._connect()
        if conn is None:
            return 0
        return int(conn.execute("SELECT COUNT(*) FROM emb").fetchone()[0])

    def close(self) -> None:
        if self._conn is not None and self._pid == os.getpid():
            self._conn.close()
        self._conn = None

    def __getstate__(self) -> dict[str, object]:
        # sqlite connections do not pickle; a copy reconnects lazily.
        state = self.__dict__.copy()
        state["_conn"] = None
        return state


class _transaction:
    """``BEGIN IMMEDIATE`` ... ``COMMIT`` (rollback on error) for an autocommit connection."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self.conn.execute("ROLLBACK" if exc_type else "COMMIT")
