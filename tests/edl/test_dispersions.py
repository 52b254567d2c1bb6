"""Dispersions: run 0 is nominal; a run's inputs do not depend on how runs are split."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from perseverance.edl.dispersions import BLOCK, sample_runs


def test_run_zero_is_nominal(m2020):
    runs = sample_runs(m2020, 42, 0, 3)
    np.testing.assert_allclose(runs.entry_state[0], m2020.entry_state, rtol=0, atol=1e-6)
    assert runs.drag_scale[0] == 1.0 and runs.nav_east_m[0] == 0.0
    assert runs.drag_scale[1] != 1.0


@settings(max_examples=20, deadline=None)
@given(split=st.integers(1, 2 * BLOCK + 50))
def test_split_invariance(m2020, split):
    n = 2 * BLOCK + 51
    whole = sample_runs(m2020, 9, 0, n)
    a, b = sample_runs(m2020, 9, 0, split), sample_runs(m2020, 9, split, n)
    np.testing.assert_array_equal(whole.entry_state, np.concatenate([a.entry_state, b.entry_state]))
    np.testing.assert_array_equal(whole.nav_north_m, np.concatenate([a.nav_north_m, b.nav_north_m]))
    np.testing.assert_array_equal(
        whole.atmosphere.wind_high_east_mps,
        np.concatenate([a.atmosphere.wind_high_east_mps, b.atmosphere.wind_high_east_mps]),
    )


def test_seeds_differ(m2020):
    assert not np.array_equal(
        sample_runs(m2020, 1, 0, 10).drag_scale, sample_runs(m2020, 2, 0, 10).drag_scale
    )
