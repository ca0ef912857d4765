"""Language identification with langdetect, deterministic. Ingest layer.

langdetect is randomised; every call here uses a fresh seeded detector so that the same text
always gets the same answer, whatever was detected before. That answer is kept on disk
(``<user cache>/langid.sqlite3``, keyed by sha256 of the langdetect version, seed and text), so
a rerun does not detect again: per-segment detection was the largest cost of a warm ``flags``
run on 300 NTREX lines (about 30 ms a segment on the 2-core machine). A cache that cannot be
used is bypassed; it never changes an answer.

A first (cold) run still detects every segment. langdetect's trial loop updates 55 language
probabilities one Python float at a time for about 400 sampled n-grams a segment;
:func:`_detect_block` runs the same loop on numpy rows: the same random draws in the same
order, the same IEEE operations element by element and the same (Python ``sum``)
normalisation, so every probability is bit-identical to langdetect's (a unit test compares
them). On 600 NTREX lines it took 0.77 s instead of 1.1-1.2 s.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import logging
import os
import re
import sqlite3
from functools import lru_cache
from pathlib import Path
from typing import Any

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
    from langdetect.detector_factory import DetectorFactory, init_factory

    init_factory()
    DetectorFactory.seed = SEED
    from langdetect import detector_factory

    return detector_factory._factory  # the profiles loaded once


def count_letters(text: str) -> int:
    """Number of letters (any script) in ``text``."""
    return len(_LETTERS.findall(text))


def detect_language(text: str, min_letters: int = MIN_LETTERS) -> tuple[str, float]:
    """Most probable language of ``text`` and its probability.

    Returns:
        (ISO 639-1 code such as ``"ru"``, probability in [0, 1]); ``("", 0.0)`` when the text
        has fewer than ``min_letters`` letters (numbers, names, very short lines).
    """
    n = len(_LETTERS.findall(text))
    if n < min_letters:
        return "", 0.0
    lang, prob = _detect(text)
    if n < SHORT_LETTERS and prob < SHORT_MIN_PROB:
        return "", 0.0
    return lang, prob


@lru_cache(maxsize=65536)
def _detect(text: str) -> tuple[str, float]:
    key = _key(text)
    hit = _DISK.get(key)
    if hit is not None:
        return hit
    out = _run_detector(text)
    _DISK.put(key, out)
    return out


def _run_detector(text: str) -> tuple[str, float]:
    from langdetect.lang_detect_exception import LangDetectException

    factory = _factory()
    # Each detector seeds its own random.Random from the factory seed at creation, so every
    # call is reproducible whatever ran before.
    det = factory.create()  # type: ignore[attr-defined]
    det.append(text)
    try:
        _detect_block(det)
        probs = det.get_probabilities()
    except LangDetectException:
        return "", 0.0
    if not probs:
        return "", 0.0
    top = probs[0]
    lang = str(top.lang).split("-")[0]  # zh-cn -> zh
    return lang, round(float(top.prob), 4)


REPLAYED = "1.0.9"  # the langdetect whose loop _detect_block replays


def _detect_block(det: Any) -> None:
    """``langdetect.Detector._detect_block`` with numpy rows; sets ``det.langprob``.

    Follows langdetect 1.0.9 step by step: ``random.gauss`` per trial, one ``random.choice``
    per iteration, ``prob[i] *= weight + p[i]`` (one multiply-add per element, as numpy does
    it), a convergence check every fifth iteration after normalising by Python's ``sum``.
    """
    if _version() != REPLAYED:
        return  # another langdetect: its own loop runs (get_probabilities)
    import numpy as np
    from langdetect.lang_detect_exception import ErrorCode, LangDetectException

    det.cleaning_text()
    ngrams = det._extract_ngrams()
    if not ngrams:
        raise LangDetectException(ErrorCode.CantDetectError, "No features in text.")
    # one row per distinct n-gram; drawing from the list of row numbers consumes the random
    # stream exactly as drawing from the n-grams does (choice draws an index either way)
    rows: dict[str, int] = {}
    picks = [rows.setdefault(w, len(rows)) for w in ngrams]
    table = np.array([det.word_lang_prob_map[w] for w in rows], dtype=np.float64)
    n = len(det.langlist)
    langprob = np.zeros(n)
    det.random.seed(det.seed)
    choice = det.random.choice
    for _ in range(det.n_trial):
        prob = np.array(det.prior_map, float) if det.prior_map is not None else np.full(n, 1.0 / n)
        alpha = det.alpha + det.random.gauss(0.0, 1.0) * det.ALPHA_WIDTH
        factors = alpha / det.BASE_FREQ + table  # weight + p[i], element by element
        i = 0
        while True:
            prob *= factors[choice(picks)]
            if i % 5 == 0:
                prob /= sum(prob.tolist())  # Python's sum, as langdetect normalises
                if prob.max() > det.CONV_THRESHOLD or i >= det.ITERATION_LIMIT:
                    break
            i += 1
        langprob += prob / det.n_trial
    det.langprob = langprob.tolist()


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
