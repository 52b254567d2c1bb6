"""Uniform-grid tables agree with NumPy's linear interpolation."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from perseverance.tables import UniformTable

X = np.array([0.0, 0.5, 1.0, 2.0, 5.0, 10.0])
Y = np.array([1.0, 1.1, 1.3, 1.5, 1.6, 1.6])


@settings(max_examples=100, deadline=None)
@given(x=st.floats(-5, 20))
def test_matches_interp(x):
    table = UniformTable.resample(X, Y, 0.5)
    assert abs(float(table(np.array(x))) - float(np.interp(x, X, Y))) < 1e-12


def test_shapes():
    table = UniformTable.resample(X, np.stack([Y, 2 * Y]), 0.5)
    first, second = table(np.zeros((3, 4)))
    assert first.shape == second.shape == (3, 4)
    assert np.ndim(UniformTable.resample(X, Y, 0.5)(1.5)) == 0
