"""The hydrostatic atmosphere and its dispersions."""

from __future__ import annotations

import numpy as np
import pytest

from perseverance.mars.atmosphere import Atmosphere, AtmosphereDispersion, TemperatureProfile

#: Sol-1 surface pressure at Jezero (B: NASA MEDA release) and its site elevation (C).
SURFACE_PRESSURE_PA = 718.0
SITE_ELEVATION_M = -2_570.0
ONE_PASCAL = 1.0
#: NASA Glenn model temperature profile (B).
GLENN = TemperatureProfile(242.1, 0.000998, 7000.0, 0.00222, 140.0)


@pytest.fixture(scope="module")
def atmosphere():
    return Atmosphere.hydrostatic(
        surface_pressure_pa=SURFACE_PRESSURE_PA,
        surface_height_above_areoid_m=SITE_ELEVATION_M,
        temperature=GLENN,
    )


def test_anchored_to_surface_pressure(atmosphere):
    p, t = atmosphere.pressure_temperature(np.array([SITE_ELEVATION_M]))
    assert p[0] == pytest.approx(SURFACE_PRESSURE_PA, abs=ONE_PASCAL)
    assert t[0] == pytest.approx(GLENN.surface_k)


def test_density_falls_with_height_to_entry_interface(atmosphere):
    h = np.linspace(-5_000, 130_000, 500)
    rho, sound = atmosphere.density_sound(h)
    assert np.all(np.diff(rho) < 0)
    assert rho[-1] > 0 and np.all(sound > 150)


def test_glenn_density_near_surface(atmosphere):
    """Within 10% of the NASA Glenn closed form near the surface, where both are anchored alike."""
    h = SITE_ELEVATION_M + 2_000.0
    rho, _ = atmosphere.density_sound(np.array([h]))
    t_c = -31 - 0.000998 * 2000
    p_kpa = 0.718 * np.exp(-0.00009 * 2000)
    glenn = p_kpa / (0.1921 * (t_c + 273.1))
    assert rho[0] == pytest.approx(glenn, rel=0.10)


def test_dispersion_below_40_km_uses_the_lower_offset():
    d = AtmosphereDispersion.nominal(2)
    d = AtmosphereDispersion(
        np.array([0.1, -0.1]),
        np.array([0.9, 0.9]),
        np.array([0.1, 0.1]),
        np.zeros(2),
        *(np.zeros(2),) * 4,
    )
    factor = d.density_factor(np.array([20_000.0, 20_000.0]))
    np.testing.assert_allclose(factor, np.exp([0.1, -0.1]))
    high = d.density_factor(np.array([90_000.0, 90_000.0]))
    assert np.all(high > 2.0)
