"""Convective vortices against docs/reference/instruments.md section 4 "Vortices (Hueso et
al. 2023)": 4.9 per sol with dp > 0.5 Pa peaking at noon, 5-135 m (mean 20 m), max 9 Pa,
one in five dusty."""

from __future__ import annotations

import numpy as np
import pytest

from perseverance.weather import Weather
from perseverance.weather.params import load_meda
from perseverance.weather.vortices import weak_dusty_fraction

RATE_PER_SOL, RATE_TOLERANCE = 4.9, 0.20
SOLS = 669


@pytest.fixture(scope="module")
def events():
    weather = Weather(0)
    return [weather.vortices(s) for s in range(SOLS)]


def _all(events, name):
    return np.concatenate([getattr(e, name) for e in events])


def test_rate_is_4_9_per_sol(events):
    rate = sum(len(e) for e in events) / SOLS
    assert abs(rate / RATE_PER_SOL - 1.0) < RATE_TOLERANCE


def test_most_pass_between_10_and_14_lmst(events):
    lmst = _all(events, "lmst_h")
    assert np.mean((lmst >= 10.0) & (lmst < 14.0)) > 0.6
    counts, _ = np.histogram(lmst, bins=24, range=(0.0, 24.0))
    assert 11 <= np.argmax(counts) <= 13


def test_drops_diameters_and_dust(events):
    drop, diameter, dusty = (
        _all(events, "drop_pa"),
        _all(events, "diameter_m"),
        _all(events, "dusty"),
    )
    assert drop.min() >= 0.5 and drop.max() <= 9.0 and np.median(drop) < 1.0
    assert diameter.min() >= 5.0 and diameter.max() <= 135.0
    assert abs(diameter.mean() - 20.0) < 3.0
    assert abs(dusty.mean() - 0.2) < 0.05
    assert abs(dusty[drop > 2.0].mean() - 0.75) < 0.15
    duration = _all(events, "duration_s")
    assert duration.min() >= 1.0 * 0.5 and duration.max() <= 150.0  # 1-150 s (A)


def test_the_weak_dusty_fraction_gives_one_in_five_overall():
    params = load_meda().vortices
    a, lo, hi = params.drop_exponent, params.min_drop_pa, params.max_drop_pa
    above = (2.0**-a - hi**-a) / (lo**-a - hi**-a)  # hand computation: ~2.6 %
    assert above == pytest.approx(0.0254, abs=0.002)
    overall = 0.75 * above + weak_dusty_fraction(params) * (1.0 - above)
    assert overall == pytest.approx(0.2, abs=1e-9)


def test_a_passing_vortex_is_seen_in_the_pressure_and_the_wind():
    weather = Weather(0)
    sol = next(
        s for s in range(50) if len(weather.vortices(s)) and weather.vortices(s).drop_pa.max() > 1.0
    )
    events = weather.vortices(sol)
    i = int(np.argmax(events.drop_pa))
    table = weather.sol_weather(sol, cadence_s=0.25)
    near = np.abs(table["lmst_h"] - events.lmst_h[i]) < 10.0 * events.duration_s[i] / 3698.97
    p = table["pressure_pa"][near]
    assert np.ptp(p) > 0.8 * events.drop_pa[i]
    assert table["wind_speed_mps"][near].max() > np.sqrt(events.drop_pa[i] / 0.03)
