"""Language identification with langdetect, deterministic. Ingest layer.

langdetect is randomised; every call here uses a fresh seeded detector so that the same text
always gets the same answer, whatever was detected before. That answer is kept on disk
(``<user cache>/langid.sqlite3``, keyed by sha256 of the langdetect version, seed and text), so
a rerun does not detect again: per-segment detection was the largest cost of a warm ``flags``
run on 300 NTREX lines (about 30 ms a segment on the 2-core machine). A cache that cannot be
used is bypassed; it never changes an answer.

A first (cold) run still detects every segment, with langdetect's own trial loop replayed
on numpy rows for all the segments of a call side by side (:mod:`driftscope.ingest.replay`;
bit-identical probabilities). On 600 NTREX lines (ru and en) detection took 1.03-1.11 s this
way against 1.56-2.17 s one segment at a time (three runs each, same machine).
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import logging
import os
import re
import sqlite3
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from driftscope.ingest.replay import REPLAYED, _detect_blocks, compiled_factory

log = logging.getLogger(__name__)

_LETTERS = re.compile(r"[^\W\d_]", re.UNICODE)
MIN_LETTERS = 12  # below this langdetect is a coin toss; say "unknown" instead
# Short texts (under SHORT_LETTERS letters) must also be confidently labelled: on 2-5 word cuts
# of NTREX lines this halves wrong labels at little cost (benchmarks/langid.py).
SHORT_LETTERS = 40
SHORT_MIN_PROB = 0.9
SEED = 0


@lru_cache(maxsize=1)
def _factory() -> object:
    """The seeded DetectorFactory, its profiles loaded once: compiled in the user cache for
    the replayed langdetect (:func:`~driftscope.ingest.replay.compiled_factory`), else
    langdetect's own."""
    from langdetect.detector_factory import DetectorFactory, init_factory

    DetectorFactory.seed = SEED
    if _version() == REPLAYED:
        compiled = compiled_factory(compiled_profiles())
        if compiled is not None:
            return compiled
    init_factory()
    from langdetect import detector_factory

    return detector_factory._factory


def compiled_profiles() -> Path:
    """Where langdetect's profiles are compiled (user cache, like the model folder)."""
    return _cache_home() / f"langdetect-{REPLAYED}-profiles"


def count_letters(text: str) -> int:
    """Number of letters (any script) in ``text``."""
    return len(_LETTERS.findall(text))


def detect_language(text: str, min_letters: int = MIN_LETTERS) -> tuple[str, float]:
    """Most probable language of ``text`` and its probability.

    Returns:
        (ISO 639-1 code such as ``"ru"``, probability in [0, 1]); ``("", 0.0)`` when the text
        has fewer than ``min_letters`` letters (numbers, names, very short lines).
    """
    return detect_languages([text], min_letters)[0]


def detect_languages(
    texts: Sequence[str], min_letters: int = MIN_LETTERS
) -> list[tuple[str, float]]:
    """:func:`detect_language` of every text; the texts no cache holds are detected together
    (:func:`_detect_blocks`), each exactly as it would be alone."""
    counts = [count_letters(t) for t in texts]
    wanted = [t for t, n in zip(texts, counts, strict=True) if n >= min_letters]
    found = dict(zip(*_unique_detected(wanted), strict=True))
    out = []
    for text, n in zip(texts, counts, strict=True):
        lang, prob = found[text] if n >= min_letters else ("", 0.0)
        out.append(("", 0.0) if n < SHORT_LETTERS and prob < SHORT_MIN_PROB else (lang, prob))
    return out


def _detect(text: str) -> tuple[str, float]:
    """langdetect's (language, probability) of ``text``, unfiltered (cached)."""
    return _unique_detected([text])[1][0]


def _unique_detected(texts: Sequence[str]) -> tuple[list[str], list[tuple[str, float]]]:
    """The distinct texts and their langdetect answers: this process's memory, the disk
    cache, then one :func:`_run_detectors` call for the rest."""
    uniq = list(dict.fromkeys(texts))
    todo = {}
    for text in uniq:
        if text not in _MEMORY:
            hit = _DISK.get(key := _key(text))
            if hit is None:
                todo[text] = key
            else:
                _MEMORY[text] = hit
    if todo:
        for (text, key), got in zip(todo.items(), _run_detectors(list(todo)), strict=True):
            _DISK.put(key, got)
            _MEMORY[text] = got
    out = [_MEMORY[t] for t in uniq]
    if len(_MEMORY) > 65536:
        _MEMORY.clear()
    return uniq, out


_MEMORY: dict[str, tuple[str, float]] = {}  # this process's answers, before the disk cache


def _run_detectors(texts: list[str]) -> list[tuple[str, float]]:
    from langdetect.lang_detect_exception import LangDetectException

    factory = _factory()
    # Each detector seeds its own random.Random from the factory seed at creation, so every
    # call is reproducible whatever ran before.
    dets = []
    for text in texts:
        det = factory.create()  # type: ignore[attr-defined]
        det.append(text)
        dets.append(det)
    # another langdetect than the replayed one runs its own loop (get_probabilities)
    ok = _detect_blocks(dets) if _version() == REPLAYED else [True] * len(dets)
    out = []
    for det, good in zip(dets, ok, strict=True):
        try:
            probs = det.get_probabilities() if good else []
        except LangDetectException:
            probs = []
        if not probs:
            out.append(("", 0.0))
            continue
        top = probs[0]
        lang = str(top.lang).split("-")[0]  # zh-cn -> zh
        out.append((lang, round(float(top.prob), 4)))
    return out


@lru_cache(maxsize=1)
def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("langdetect")
    except PackageNotFoundError:  # pragma: no cover - langdetect is a dependency
        return "?"


def _key(text: str) -> bytes:
    h = hashlib.sha256(f"langdetect-{_version()}-seed{SEED}".encode())
    h.update(b"\0" + text.encode("utf-8"))
    return h.digest()


def _cache_home() -> Path:
    # the same rule as driftscope.embed.build_e5.cache_home (ingest may not import embed)
    env = os.environ.get("DRIFTSCOPE_HOME")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg).expanduser() if xdg else Path.home() / ".cache") / "driftscope"


class _DiskCache:
    """key -> (lang, prob) in sqlite; writes are batched and flushed at exit."""

    def __init__(self) -> None:
        self.conns: dict[str, sqlite3.Connection | None] = {}
        self.pending: list[tuple[bytes, str, float]] = []

    def _conn(self) -> sqlite3.Connection | None:
        path = str(_cache_home() / "langid.sqlite3")
        if path not in self.conns:
            try:
                Path(path).parent.mkdir(parents=True, exist_ok=True)
                conn = sqlite3.connect(path, timeout=30.0, isolation_level=None)
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute(
                    "CREATE TABLE IF NOT EXISTS lang (key BLOB PRIMARY KEY, lang TEXT NOT NULL,"
                    " prob REAL NOT NULL) WITHOUT ROWID"
                )
                self.conns[path] = conn
            except (OSError, sqlite3.Error) as err:
                log.debug("language cache %s unusable (%s)", path, err)
                self.conns[path] = None
        return self.conns[path]

    def get(self, key: bytes) -> tuple[str, float] | None:
        conn = self._conn()
        if conn is None:
            return None
        try:
            row = conn.execute("SELECT lang, prob FROM lang WHERE key = ?", (key,)).fetchone()
        except sqlite3.Error:
            return None
        return (str(row[0]), float(row[1])) if row else None

    def put(self, key: bytes, value: tuple[str, float]) -> None:
        self.pending.append((key, value[0], value[1]))
        if len(self.pending) >= 256:
            self.flush()

    def flush(self) -> None:
        rows, self.pending = self.pending, []
        conn = self._conn() if rows else None
        if conn is None:
            return
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany("INSERT OR REPLACE INTO lang VALUES (?, ?, ?)", rows)
            conn.execute("COMMIT")
        except sqlite3.Error as err:
            log.debug("language cache write failed (%s)", err)
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")


_DISK = _DiskCache()
atexit.register(_DISK.flush)
