"""Pressure over a simulated Mars year against docs/reference/instruments.md section 4
("Early pressure", "Daily pressure amplitude", "Waves") and surface.md "MEDA"."""

from __future__ import annotations

import numpy as np

from perseverance.weather.params import load_meda
from perseverance.weather.pressure import seasonal_pressure_pa, wave_pa

#: Sol-mean pressure at landing, 718 Pa (B, instruments.md 4 "Early pressure"), and its tolerance.
LANDING_PA, LANDING_TOLERANCE = 718.0, 0.02
#: Daily range (max - min) as a fraction of the sol mean, 2-5 % (A).
AMPLITUDE_LOW, AMPLITUDE_HIGH = 0.02, 0.05
#: The regional dust storm's season, where the tide doubles (A, surface.md): Ls 135-165.
STORM_LS = (135.0, 165.0)


def test_the_landing_season_mean_is_718_pa(year):
    means = year.per_sol("pressure_pa", np.mean)[:10]  # sols 0-9, Ls 5-10
    assert abs(means.mean() / LANDING_PA - 1.0) < LANDING_TOLERANCE


def test_the_daily_amplitude_is_2_to_5_percent_of_the_mean_outside_the_storm(year):
    amplitude = year.per_sol("pressure_pa", np.ptp) / year.per_sol("pressure_pa", np.mean)
    ls = year.per_sol("ls_deg", lambda v: v[0])
    storm = (ls > STORM_LS[0]) & (ls < STORM_LS[1])
    inside = (amplitude >= AMPLITUDE_LOW) & (amplitude <= AMPLITUDE_HIGH)
    assert inside[~storm].mean() > 0.95
    assert amplitude[storm].max() > 1.5 * np.median(amplitude[~storm])  # the storm's tide


def test_the_seasonal_cycle_spans_600_to_760_pa():
    """surface.md "Seasonal sol-mean pressure" (E): ~600 to ~750-760 Pa; minimum near Ls 150."""
    params = load_meda().pressure
    ls = np.arange(0.0, 360.0, 1.0)
    p = seasonal_pressure_pa(params, ls)
    assert 590.0 < p.min() < 625.0 and 745.0 < p.max() < 775.0
    assert 130.0 < ls[np.argmin(p)] < 170.0 and 230.0 < ls[np.argmax(p)] < 280.0


def test_baroclinic_waves_have_2_to_4_sol_periods_and_1_to_15_pa():
    params = load_meda().pressure
    msd = 52_000.0 + np.arange(0.0, 400.0, 0.05)
    for ls, low, high in ((90.0, 0.5, 1.0), (270.0, 7.0, 15.0)):
        wave = wave_pa(params, 3, msd, np.full_like(msd, ls))
        assert low <= np.abs(wave).max() <= high
    spectrum = np.abs(np.fft.rfft(wave_pa(params, 3, msd, np.full_like(msd, 270.0))))
    period = 1.0 / np.fft.rfftfreq(msd.size, 0.05)[1:][np.argmax(spectrum[1:])]
    assert 2.0 <= period <= 4.0
