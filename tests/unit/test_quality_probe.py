"""The meaning-reversal probe (quality.probe): cue deletion, calibrated gain, severity."""

from __future__ import annotations

import numpy as np
import pytest
from driftscope.model import Bead
from driftscope.quality import flag_comparison
from driftscope.quality.mention import Mention
from driftscope.quality.probe import PROBE_MEDIUM, drop_cue

from tests.helpers import text_doc


@pytest.mark.parametrize(
    ("text", "cue", "want"),
    [
        ("It does not depend on us.", "not", "It does depend on us."),
        ("It doesn't depend on us.", "doesn't", "It does depend on us."),
        ("We won't go.", "won't", "We will go."),
        ("Он не зависит от нас.", "не", "Он зависит от нас."),
    ],
)
def test_drop_cue(text: str, cue: str, want: str) -> None:
    a = text.index(cue)
    assert drop_cue(text, Mention(cue, cue, a, a + len(cue))) == want


class _Stub:
    """Vectors by rule: each line pair shares an axis; a negation word adds its own axis."""

    def __init__(self, lines: list[str], lost_weight: float) -> None:
        self.lines, self.w = lines, lost_weight

    def encode(self, texts: list[str]) -> np.ndarray:
        out = []
        for t in texts:
            v = np.zeros(16)
            k = next(i for i, key in enumerate(self.lines) if any(w in t for w in key.split()))
            v[k] = 1.0
            if " not " in t or " не " in t:
                v[15] = self.w
            out.append(v / np.linalg.norm(v))
        return np.asarray(out, np.float32)


SRC = ["План зависит от США.", "Погода хорошая сегодня.", "Город большой и старый.",
       "Поезд пришёл вовремя утром.", "Музей открыт для всех.", "Река течёт на север."]  # fmt: skip
TGT = ["Plan does not depend on the US.", "Weather is fine today.", "City is big and old.",
       "Train arrived on time.", "Museum is open to all.", "River flows north."]  # fmt: skip


@pytest.mark.parametrize(("weight", "severity"), [(1.5, "medium"), (0.05, "low")])
def test_a_reversal_is_medium_when_deleting_its_cue_brings_the_sides_together(
    weight: float, severity: str
) -> None:
    """A lost negation (the target's "not" matches nothing in the source): deleting it raises
    the bead's similarity by far more than PROBE_MEDIUM when the negation weighs in the
    vectors, and hardly at all when it does not."""
    keys = [f"{a.split()[0]} {b.split()[0]}" for a, b in zip(SRC, TGT, strict=True)]
    enc = _Stub(keys, weight)
    src, tgt = text_doc("ru", "ru", SRC), text_doc("en", "en", TGT)
    beads = [Bead((k,), (k,)) for k in range(len(SRC))]
    sv, tv = enc.encode(SRC), enc.encode(TGT)
    kw = {"src_vecs": sv, "tgt_vecs": tv, "min_severity": "low"}
    (f,) = [f for f in flag_comparison(src, tgt, beads, encoder=enc, **kw)
            if f.kind == "meaning_reversal"]  # fmt: skip
    assert f.src == (0,) and f.severity == severity
    assert (f.evidence["probe"] >= PROBE_MEDIUM) is (severity == "medium")
    (g,) = [f for f in flag_comparison(src, tgt, beads, **kw) if f.kind == "meaning_reversal"]
    assert g.severity == "low" and g.evidence["probe"] != g.evidence["probe"]  # nan: no probe
