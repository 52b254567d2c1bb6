"""A run gives bit-identical results alone and inside a batch of 1,000."""

from __future__ import annotations

import numpy as np

from perseverance.edl.dispersions import sample_runs
from perseverance.edl.montecarlo import concatenate, fly_runs
from perseverance.edl.sequence import fly

BATCH = 1000
PICKED = (0, 7, 513, 999)


def _same(a, b):
    return np.array_equal(a, b, equal_nan=True)


def test_alone_equals_in_batch(m2020):
    runs = sample_runs(m2020, 3, 0, BATCH)
    batch = fly(m2020, runs)
    assert batch.touchdown and all(batch.events.values())  # something to compare
    for k in PICKED:
        alone = fly(m2020, runs.take(np.array([k])))
        assert alone.status[0] == batch.status[k]
        for key, values in batch.touchdown.items():
            assert _same(alone.touchdown[key][0], values[k]), key
        for name, ev in batch.events.items():
            for field, values in ev.items():
                assert _same(alone.events[name][field][0], values[k]), (name, field)


def test_split_campaign_equals_whole(m2020):
    whole = fly_runs(m2020, 5, 0, 300)
    parts = concatenate([fly_runs(m2020, 5, 120, 300), fly_runs(m2020, 5, 0, 120)])
    assert whole.keys() == parts.keys() and whole
    for key in whole:
        assert _same(whole[key], parts[key]), key
