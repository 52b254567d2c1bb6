"""The Golombek & Rapp (1997) rock model and its samplers, against the model itself."""

from __future__ import annotations

import numpy as np
import pytest

from perseverance.terrain.rocks import (
    cumulative_fractional_area,
    cumulative_number_density,
    q_of_k,
    sample_rock_diameters,
    sample_tallest_rock,
    tallest_rock_diameter,
)

#: Allowed relative error of a sampled cumulative fractional area against F(D).
AREA_TOLERANCE = 0.15
#: Allowed absolute error of a sampled per-cell exceedance probability.
PROBABILITY_TOLERANCE = 0.005


def test_q_of_k_and_fractional_area():
    # Golombek & Rapp 1997: q(k) = 1.79 + 0.152/k, F(0) = k.
    assert q_of_k(0.05) == pytest.approx(1.79 + 0.152 / 0.05)
    assert cumulative_fractional_area(0.0, 0.07) == pytest.approx(0.07)
    assert cumulative_fractional_area(1.0, 0.07) == pytest.approx(0.07 * np.exp(-q_of_k(0.07)))


@pytest.mark.parametrize("k", [0.02, 0.05, 0.10, 0.3])
def test_number_density_differentiates_to_the_area_model(k):
    """-dN/dD times the area of one rock, pi D^2 / 4, must be -dF/dD."""
    d = np.linspace(0.1, 3.0, 30)
    h = 1e-5
    n = -(cumulative_number_density(d + h, k) - cumulative_number_density(d - h, k)) / (2 * h)
    f = -(cumulative_fractional_area(d + h, k) - cumulative_fractional_area(d - h, k)) / (2 * h)
    np.testing.assert_allclose(n * np.pi * d**2 / 4.0, f, rtol=1e-5)


@pytest.mark.parametrize("k", [0.05, 0.10])
@pytest.mark.parametrize("diameter_m", [0.3, 0.6, 1.0])
def test_full_population_recovers_fractional_area(k, diameter_m):
    rng = np.random.default_rng(42)
    area = 4e5
    d = sample_rock_diameters(k, area, rng)
    sampled = np.sum(np.pi / 4.0 * d[d >= diameter_m] ** 2) / area
    expected = cumulative_fractional_area(diameter_m, k)
    assert sampled == pytest.approx(expected, rel=AREA_TOLERANCE)


@pytest.mark.parametrize("diameter_m", [0.5, 1.0, 1.5])
def test_tallest_rock_exceedance_is_poisson(diameter_m):
    """P(tallest >= D) in a cell of area A is 1 - exp(-A N(D))."""
    k, area = 0.05, 100.0
    d = sample_tallest_rock(k, area, (1_000_000,), np.random.default_rng(3))
    expected = 1.0 - np.exp(-area * cumulative_number_density(diameter_m, k))
    assert np.mean(d >= diameter_m) == pytest.approx(expected, abs=PROBABILITY_TOLERANCE)


def test_tallest_rock_is_pure_and_monotone():
    e = np.array([1e-6, 0.1, 1.0, 10.0, 1e6])
    d = tallest_rock_diameter(0.05, 100.0, e)
    np.testing.assert_array_equal(d, tallest_rock_diameter(0.05, 100.0, e))
    assert np.all(np.diff(d) <= 0.0)  # a larger draw means fewer rocks: a smaller maximum
    assert d[-1] == 0.0  # no rock >= 0.1 m in the cell
    assert d[0] > 1.0


def test_same_seed_same_rocks():
    a = sample_tallest_rock(0.05, 100.0, (50, 60), np.random.default_rng(9))
    b = sample_tallest_rock(0.05, 100.0, (50, 60), np.random.default_rng(9))
    c = sample_tallest_rock(0.05, 100.0, (50, 60), np.random.default_rng(10))
    np.testing.assert_array_equal(a, b)
    assert a.shape == (50, 60)
    assert not np.array_equal(a, c)
