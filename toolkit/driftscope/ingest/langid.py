"""Language identification with langdetect, deterministic. Ingest layer.

langdetect is randomised; every call here uses a fresh seeded detector so that the same text
always gets the same answer, whatever was detected before.
"""

from __future__ import annotations

import re
from functools import lru_cache

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
    from langdetect.lang_detect_exception import LangDetectException

    factory = _factory()
    # Each detector seeds its own random.Random from the factory seed at creation, so every
    # call is reproducible whatever ran before.
    det = factory.create()  # type: ignore[attr-defined]
    det.append(text)
    try:
        probs = det.get_probabilities()
    except LangDetectException:
        return "", 0.0
    if not probs:
        return "", 0.0
    top = probs[0]
    lang = str(top.lang).split("-")[0]  # zh-cn -> zh
    return lang, round(float(top.prob), 4)
