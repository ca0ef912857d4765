from __future__ import annotations

import numpy as np
from driftscope.embed import HashEncoder
from driftscope.score.calibration import data_calibrator

from tests.helpers import ntrex_lines


def test_data_calibrator_maps_null_to_zero_and_pairs_near_one() -> None:
    enc = HashEncoder()
    a = ntrex_lines("en", 60)
    b = [t.lower().replace(",", "") for t in a]
    cal = data_calibrator(enc, a, b, seed=0)
    assert cal.id.startswith("nn[")
    va, vb = enc.encode(a), enc.encode(b)
    true = cal(np.einsum("ij,ij->i", va, vb))
    rand = cal(np.einsum("ij,ij->i", va, np.roll(vb, 7, axis=0)))
    assert np.median(true) > 0.7 and abs(float(np.median(rand))) < 0.3
    # same data and seed: same calibration (deterministic)
    assert data_calibrator(enc, a, b, seed=0).id == cal.id


def test_small_inputs_fall_back() -> None:
    assert data_calibrator(HashEncoder(), ["a b c"] * 5, ["a b c"] * 5).id == "none"
