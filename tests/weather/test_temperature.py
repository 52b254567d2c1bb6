"""Temperatures over a simulated Mars year against docs/reference/instruments.md section 4
("Diurnal air temperature", "Noon turbulence") and surface.md "MEDA"."""

from __future__ import annotations

import numpy as np

from perseverance.weather import Weather

K = 273.15
#: Air at 1.45 m: -83 C pre-dawn, ~-22 C afternoon (B); tolerance 5 K on the year's mean extremes.
PREDAWN_C, AFTERNOON_C, TOLERANCE_K = -83.0, -22.0, 5.0
#: Ground: -83 C to +5 C (B, surface.md).
GROUND_LOW_C, GROUND_HIGH_C = -83.0, 5.0


def test_air_extremes_match_the_published_daily_range(year):
    low = year.per_sol("air_temperature_k", np.min) - K
    high = year.per_sol("air_temperature_k", np.max) - K
    assert abs(low.mean() - PREDAWN_C) < TOLERANCE_K
    assert abs(high.mean() - AFTERNOON_C) < TOLERANCE_K


def test_the_minimum_comes_before_dawn_and_the_maximum_in_the_afternoon(year):
    table = year.table
    for s in (5, 200, 500):
        m = table["sol"] == s
        lmst, air = table["lmst_h"][m], table["air_temperature_k"][m]
        assert 3.0 < lmst[np.argmin(air)] < 7.0
        assert 12.0 < lmst[np.argmax(air)] < 17.0


def test_ground_extremes(year):
    low = year.per_sol("ground_temperature_k", np.min) - K
    high = year.per_sol("ground_temperature_k", np.max) - K
    assert abs(low.mean() - GROUND_LOW_C) < TOLERANCE_K
    assert abs(high.mean() - GROUND_HIGH_C) < TOLERANCE_K


def test_noon_turbulence_is_about_2_5_k_and_the_night_is_calm():
    """Fluctuations about the smooth curve: ~2.5 K (A) read as 2 sigma at noon; none at night."""
    weather = Weather(1)
    table = weather.sol_weather(30, cadence_s=2.0)
    lmst, air = table["lmst_h"], table["air_temperature_k"]
    for window, low, high in (((11.5, 12.5), 1.8, 3.2), ((1.0, 2.0), 0.0, 0.05)):
        m = (lmst >= window[0]) & (lmst < window[1])
        trend = np.polyval(np.polyfit(lmst[m], air[m], 2), lmst[m])
        assert low <= 2.0 * np.std(air[m] - trend) <= high
