"""langdetect 1.0.9's trial loop on numpy rows, for many texts side by side. Ingest layer
(numpy and langdetect, imported inside functions).

:func:`_detect_blocks` is ``langdetect.Detector._detect_block`` for a list of detectors: each
detector's random draws in its own order, the same IEEE operations element by element and the
same (Python ``sum``) normalisation, so every probability is bit-identical to langdetect's
(``tests/unit/test_ingest.py`` compares them), while numpy's per-call cost is paid once a step
for all the detectors instead of once an iteration for each.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REPLAYED = "1.0.9"  # the langdetect whose loop is replayed


def _detect_block(det: Any) -> None:
    """``langdetect.Detector._detect_block`` replayed (:func:`_detect_blocks`)."""
    from langdetect.lang_detect_exception import ErrorCode, LangDetectException

    if not _detect_blocks([det])[0]:
        raise LangDetectException(ErrorCode.CantDetectError, "No features in text.")


ROW_BUDGET = 2**17  # n-gram rows (55 float64 each) of the detectors run in lockstep at most


def _detect_blocks(dets: Sequence[Any]) -> list[bool]:
    """``langdetect.Detector._detect_block`` of several detectors; sets each ``det.langprob``.

    Returns:
        per detector, False where its text has no features (langdetect raises then).

    Follows langdetect 1.0.9 step by step for each detector: ``random.gauss`` per trial, one
    ``random.choice`` per iteration (``seq[_randbelow(len(seq))]``), ``prob[i] *= weight +
    p[i]`` element by element, a convergence check every fifth iteration after normalising by
    Python's ``sum``. The five multiplications between two checks are one ``multiply.reduce``
    down ``[prob; f1; ...; f5]``, which multiplies in that order, and the detectors run side
    by side, so numpy's per-call cost is paid once per step for all of them. Each detector
    has its own random stream, so every probability is bit-identical to langdetect's.
    """
    ok, lanes = [], []
    for det in dets:
        det.cleaning_text()
        ngrams = det._extract_ngrams()
        ok.append(bool(ngrams))
        if ngrams:
            # one row per distinct n-gram; drawing from the row numbers consumes the random
            # stream exactly as drawing from the n-grams does (choice draws an index)
            rows: dict[str, int] = {}
            picks = [rows.setdefault(w, len(rows)) for w in ngrams]
            lanes.append((det, picks, _profile_table(det.word_lang_prob_map).rows(list(rows))))
    start, used = 0, 0
    for k, lane in enumerate(lanes):
        if used and used + len(lane[2]) > ROW_BUDGET:
            _Lockstep(lanes[start:k]).run()
            start, used = k, 0
        used += len(lane[2])
    if lanes:
        _Lockstep(lanes[start:]).run()
    return ok


class _Lockstep:
    """The trial loops of several detectors, one block of five iterations a step."""

    def __init__(self, lanes: Sequence[tuple[Any, list[int], Any]]) -> None:
        import numpy as np

        self.dets = [d for d, _, _ in lanes]
        self.tables = [t for _, _, t in lanes]
        self.off = np.cumsum([0] + [len(t) for t in self.tables]).tolist()
        # row numbers into ``factors``, where each lane's table lies from its offset on
        self.picks = [[o + p for p in lane[1]] for o, lane in zip(self.off, lanes, strict=False)]
        n = len(self.dets[0].langlist)
        self.factors = np.empty((self.off[-1], n))
        self.prob = np.empty((len(lanes), n))
        self.acc = np.zeros((len(lanes), n))
        self.trial = [0] * len(lanes)
        self.iters = [0] * len(lanes)
        for det in self.dets:
            det.random.seed(det.seed)
        # what random.choice(picks) does: picks[_randbelow(len(picks))]
        pairs = zip(self.picks, self.dets, strict=True)
        self.draws = [(p, d.random._randbelow, len(p)) for p, d in pairs]

    def _draw(self, a: int) -> int:
        picks, below, size = self.draws[a]
        return int(picks[below(size)])

    def _finish_trial(self, a: int) -> None:
        self.acc[a] += self.prob[a] / self.dets[a].n_trial
        self.trial[a] += 1

    def _start(self, a: int) -> bool:
        """Begin lane ``a``'s next trial (iteration 0 and its check); False when it is done."""
        import numpy as np

        det, prob = self.dets[a], self.prob
        while self.trial[a] < det.n_trial:
            n = prob.shape[1]
            prob[a] = np.array(det.prior_map, float) if det.prior_map is not None else 1.0 / n
            alpha = det.alpha + det.random.gauss(0.0, 1.0) * det.ALPHA_WIDTH
            self.factors[self.off[a] : self.off[a + 1]] = alpha / det.BASE_FREQ + self.tables[a]
            prob[a] *= self.factors[self._draw(a)]
            prob[a] /= sum(prob[a].tolist())  # Python's sum, as langdetect normalises
            self.iters[a] = 0
            if not (prob[a].max() > det.CONV_THRESHOLD or det.ITERATION_LIMIT <= 0):
                return True
            self._finish_trial(a)
        return False

    def run(self) -> None:
        import numpy as np

        prob, n = self.prob, self.prob.shape[1]
        active = [a for a in range(len(self.dets)) if self._start(a)]
        block = np.empty((len(active), 6, n))
        while active:
            act = np.array(active)
            step = block[: len(active)]
            step[:, 0] = prob[act]
            draws = [self.draws[a] for a in active]
            rows = [p[below(size)] for p, below, size in draws for _ in range(5)]
            step[:, 1:] = self.factors[rows].reshape(len(active), 5, n)
            new = np.multiply.reduce(step, axis=1)
            new /= np.array([sum(r) for r in new.tolist()])[:, None]
            prob[act] = new
            top = new.max(axis=1).tolist()
            still = []
            for a, mx in zip(active, top, strict=True):
                self.iters[a] += 5
                det = self.dets[a]
                if mx > det.CONV_THRESHOLD or self.iters[a] >= det.ITERATION_LIMIT:
                    self._finish_trial(a)
                    if not self._start(a):
                        continue
                still.append(a)
            active = still
        for det, acc in zip(self.dets, self.acc, strict=True):
            det.langprob = acc.tolist()


class _ProfileTable:
    """langdetect's n-gram profiles as numpy rows, each converted once, when first met.

    Converting every segment's n-grams from Python lists took about 40 % of the detection
    time on NTREX lines; the whole profile (87,598 n-grams, 39 MB) would take 0.4 s to build
    and is mostly never read."""

    def __init__(self, profile: dict[str, list[float]]) -> None:
        import numpy as np

        self.profile = profile
        self.index: dict[str, int] = {}
        width = len(next(iter(profile.values()))) if profile else 0
        self.table = np.empty((1024, width))

    def rows(self, grams: list[str]) -> Any:
        """(len(grams), n_langs) float64: the profile rows of ``grams``."""
        import numpy as np

        new = [g for g in grams if g not in self.index]
        if new:
            start = len(self.index)
            if start + len(new) > len(self.table):
                grown = np.empty((max(2 * len(self.table), start + len(new)), self.table.shape[1]))
                grown[:start] = self.table[:start]
                self.table = grown
            self.table[start : start + len(new)] = [self.profile[g] for g in new]
            self.index.update((g, start + k) for k, g in enumerate(new))
        return self.table[[self.index[g] for g in grams]]


class _CompiledTable:
    """:class:`_ProfileTable` for a profile compiled by :func:`compiled_factory`: the map
    holds row numbers into a float64 table, loaded whole from the cache."""

    def __init__(self, profile: dict[str, int], table: Any) -> None:
        self.profile = profile
        self.table = table

    def rows(self, grams: list[str]) -> Any:
        """(len(grams), n_langs) float64: the profile rows of ``grams``."""
        return self.table[[self.profile[g] for g in grams]]


# by id of the profile dict, which the table holds
_TABLES: dict[int, _ProfileTable | _CompiledTable] = {}


def _profile_table(profile: dict[str, Any]) -> _ProfileTable | _CompiledTable:
    table = _TABLES.get(id(profile))
    if table is None or table.profile is not profile:
        table = _TABLES[id(profile)] = _ProfileTable(profile)
    return table


def compiled_factory(folder: Path) -> Any:
    """langdetect's DetectorFactory with its profiles from ``folder``, where they are compiled
    (n-grams, languages and a float64 table) on first use; None where that fails.

    ``init_factory`` parses 55 JSON profiles into 87,598 lists of 55 floats (0.3-0.4 s each
    process); the compiled files load in about 0.05 s. The map of the factory returned holds
    row numbers instead of lists, which only this module's loop reads (``_detect_blocks``), so
    use it only with the replayed langdetect. The rows are the profile's floats, bit for bit.
    """
    import numpy as np
    from langdetect import detector_factory
    from langdetect.detector_factory import DetectorFactory

    # langdetect numbers the languages in the order the directory lists its profiles
    files = os.listdir(detector_factory.PROFILES_DIRECTORY)
    try:
        meta = json.loads((folder / "langs.json").read_text(encoding="utf-8"))
        langs = meta["langs"]
        if meta["files"] != files:
            raise ValueError("the profiles are listed in another order")
        grams = (folder / "grams.txt").read_text(encoding="utf-8").split("\n")
        table = np.load(folder / "table.npy")
        if table.shape != (len(grams), len(langs)):
            raise ValueError(f"table {table.shape} for {len(grams)} n-grams")
    except (OSError, ValueError, KeyError, TypeError):
        detector_factory.init_factory()
        loaded = detector_factory._factory
        grams = list(loaded.word_lang_prob_map)
        if any("\n" in g for g in grams):
            return None
        langs = list(loaded.langlist)
        table = np.array([loaded.word_lang_prob_map[g] for g in grams], dtype=np.float64)
        with contextlib.suppress(OSError):
            folder.parent.mkdir(parents=True, exist_ok=True)
            tmp = Path(tempfile.mkdtemp(prefix=".langdetect-", dir=folder.parent))
            np.save(tmp / "table.npy", table)
            (tmp / "grams.txt").write_text("\n".join(grams), encoding="utf-8")
            meta = {"langs": langs, "files": files}
            (tmp / "langs.json").write_text(json.dumps(meta), encoding="utf-8")
            shutil.rmtree(folder, ignore_errors=True)  # a stale compilation
            try:
                os.replace(tmp, folder)
            except OSError:  # another process compiled it first
                shutil.rmtree(tmp, ignore_errors=True)
    factory = DetectorFactory()
    factory.langlist = langs
    factory.word_lang_prob_map = dict(zip(grams, range(len(grams)), strict=True))
    _TABLES[id(factory.word_lang_prob_map)] = _CompiledTable(factory.word_lang_prob_map, table)
    return factory
