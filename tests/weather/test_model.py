"""The weather as a whole: reproducible, a pure function of (seed, time), physically consistent."""

from __future__ import annotations

import numpy as np
import pytest

from perseverance.errors import ConfigError
from perseverance.mars.constants import GAMMA_MARS, R_GAS_MARS
from perseverance.weather import QUANTITIES, Weather


def test_the_same_seed_gives_the_same_weather_and_another_seed_differs():
    a, b, c = Weather(7), Weather(7), Weather(8)
    ta, tb, tc = (w.sol_weather(40, cadence_s=600.0) for w in (a, b, c))
    for name in QUANTITIES:
        np.testing.assert_array_equal(ta[name], tb[name])
    assert not np.allclose(ta["air_temperature_k"], tc["air_temperature_k"])
    assert not np.allclose(ta["wind_speed_mps"], tc["wind_speed_mps"])


def test_a_sol_alone_equals_the_same_sol_in_a_batch():
    weather = Weather(3)
    alone = weather.sol_weather(101, cadence_s=300.0)
    times = np.concatenate([weather.sol_times(s, 300.0) for s in range(95, 130)])
    batch = weather.weather_at(times)
    m = batch["sol"] == 101
    for name in QUANTITIES:
        np.testing.assert_allclose(batch[name][m], alone[name], rtol=0, atol=1e-9)


def test_any_order_and_any_subset_of_instants_gives_the_same_values():
    weather = Weather(5)
    times = weather.sol_times(12, 60.0)
    full = weather.weather_at(times)
    pick = np.random.default_rng(0).permutation(times.size)[:50]
    part = weather.weather_at(times[pick])
    for name in QUANTITIES:
        np.testing.assert_allclose(part[name], full[name][pick], rtol=0, atol=1e-9)


def test_density_and_sound_speed_follow_the_ideal_gas():
    table = Weather(0).sol_weather(2, cadence_s=1800.0)
    t, p = table["air_temperature_k"], table["pressure_pa"]
    np.testing.assert_allclose(table["density_kg_m3"], p / (R_GAS_MARS * t), rtol=1e-12)
    np.testing.assert_allclose(table["sound_speed_mps"], np.sqrt(GAMMA_MARS * R_GAS_MARS * t))
    # Hand figure: 718 Pa at 210 K is 0.0181 kg/m^3, sound at 230 m/s.
    assert 0.014 < table["density_kg_m3"].mean() < 0.021
    assert table["sound_speed_mps"].min() > 215.0 and table["sound_speed_mps"].max() < 255.0


def test_meda_cadence_is_a_1_hz_session_every_lmst_hour():
    times = Weather(0).meda_times(20)
    assert times.size == 24 * 300  # 24 sessions of 300 s at 1 Hz
    gaps = np.diff(times) / np.timedelta64(1, "s")
    assert np.isclose(np.median(gaps), 1.0)


def test_summary_of_a_sol():
    summary = Weather(0).sol_summary(1, cadence_s=60.0)
    assert summary.sol == 1 and summary.cadence_s == 60.0
    assert summary.pressure_min_pa < summary.pressure_mean_pa < summary.pressure_max_pa
    assert summary.air_temperature_min_k < summary.air_temperature_max_k
    assert summary.vortex_count == len(Weather(0).vortices(1))
    assert set(summary.as_dict()) >= {"peak_wind_mps", "vortex_count", "dust_tau"}


@pytest.mark.parametrize("sol", [-1, 10_001, 1.5, True])
def test_a_bad_sol_is_one_line(sol):
    with pytest.raises(ConfigError, match=r"^sol = .*0\.\.10000$"):
        Weather(0).sol_summary(sol)


def test_a_bad_seed_is_one_line():
    with pytest.raises(ConfigError, match="--seed = -1"):
        Weather(-1)


def test_one_instant_gives_arrays_of_one():
    out = Weather(0).weather_at("2021-02-19T12:00:00Z")
    assert all(out[name].shape == (1,) for name in QUANTITIES)
    assert out["sol"][0] == 1 and 6.0 < out["lmst_h"][0] < 7.5  # sol 1, just after dawn


def test_vortices_depend_on_the_seed():
    a = [len(Weather(1).vortices(s)) for s in range(30)]
    b = [len(Weather(2).vortices(s)) for s in range(30)]
    assert a != b
