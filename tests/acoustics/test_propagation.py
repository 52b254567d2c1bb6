"""The propagation model against hand computations and outside authorities: the two speeds
of sound of docs/reference/instruments.md §2a, the classical absorption of §2c, ISO 9613-1
on Earth (§2e) and the ≈ 20 dB impedance difference (§2a)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from perseverance.acoustics.microphones import load_microphones
from perseverance.acoustics.propagation import (
    absorption_np_per_m,
    classical_absorption_np_per_m,
    earth_air,
    impedance,
    mars_air,
    phase_speed,
    propagate,
    sound_speeds,
    wavenumber,
)
from perseverance.acoustics.recording import record
from perseverance.acoustics.sources import Tone
from perseverance.errors import ConfigError

#: Tolerances.
THREE_M_PER_S = 3.0
TEN_PERCENT = 0.10
THREE_DB = 3.0
#: Nepers to decibels.
DB_PER_NP = 20 / math.log(10)
#: A typical daytime Jezero atmosphere at the microphone (E: 700 Pa, 235 K).
MARS = mars_air(700.0, 235.0)
#: The Earth case of the brief: 101325 Pa, 288.15 K, 50% relative humidity.
EARTH = earth_air(101_325.0, 288.15, 0.5)
SUPERCAM = load_microphones().microphone("supercam")


def iso9613_db_per_m(f: np.ndarray, t: float, p: float, rh_percent: float) -> np.ndarray:
    """ISO 9613-1:1993 pure-tone absorption [dB/m], written out from the standard's
    formula (docs/reference/instruments.md §2e), independent of the model's code."""
    pr, t0, t01 = 101_325.0, 293.15, 273.16
    psat = pr * 10 ** (-6.8346 * (t01 / t) ** 1.261 + 4.6151)
    h = rh_percent * psat / p
    fro = (p / pr) * (24 + 4.04e4 * h * (0.02 + h) / (0.391 + h))
    frn = (
        (p / pr) * (t / t0) ** -0.5 * (9 + 280 * h * math.exp(-4.170 * ((t / t0) ** (-1 / 3) - 1)))
    )
    return (
        8.686
        * f**2
        * (
            1.84e-11 * (p / pr) ** -1 * (t / t0) ** 0.5
            + (t / t0) ** -2.5
            * (
                0.01275 * math.exp(-2239.1 / t) / (fro + f**2 / fro)
                + 0.1068 * math.exp(-3352.0 / t) / (frn + f**2 / frn)
            )
        )
    )


def test_mars_speeds_below_and_above_240_hz_are_the_published_pair():
    """≈ 240 m/s below and ≈ 250 m/s above the 240 Hz relaxation (§2a), and the hand
    computation √(γRT) with γ = 9/7 and 7/5 in pure CO2 (§2a's check: R = 188.9 J/kg/K)."""
    low, high = phase_speed(np.array([30.0, 5_000.0]), MARS)
    assert low == pytest.approx(240.0, abs=THREE_M_PER_S)
    assert high == pytest.approx(250.0, abs=THREE_M_PER_S)
    pure = mars_air(700.0, 240.0, co2_fraction=1.0)
    c0, c_inf = sound_speeds(pure)
    assert c0 == pytest.approx(math.sqrt(9 / 7 * 188.92 * 240.0), rel=1e-4)  # 241.4
    assert c_inf == pytest.approx(math.sqrt(7 / 5 * 188.92 * 240.0), rel=1e-4)  # 251.9


def test_the_relaxation_frequency_scales_with_pressure():
    """The speed is halfway between c0 and c∞ near 240 Hz at 700 Pa, near 480 Hz at 1400 Pa."""
    for pressure, f_mid in ((700.0, 240.0), (1400.0, 480.0)):
        air = mars_air(pressure, 235.0)
        c0, c_inf = sound_speeds(air)
        c = phase_speed(np.array([f_mid]), air)[0]
        assert (c - c0) / (c_inf - c0) == pytest.approx(0.5, abs=0.1)


def test_the_classical_absorption_matches_the_reference_hand_computation():
    """§2c: ρ = 0.020, c = 245, μ = 1.2e-5, κ = 0.0125, c_p = 750 give 0.012, 0.05, 0.30 and
    1.2 dB/m at 1, 2, 5 and 10 kHz (γ = c_p/(c_p - R), R = 188.9)."""
    f = np.array([1_000.0, 2_000.0, 5_000.0, 10_000.0])
    alpha = DB_PER_NP * classical_absorption_np_per_m(
        f,
        density_kg_m3=0.020,
        sound_speed_mps=245.0,
        viscosity_pa_s=1.2e-5,
        bulk_viscosity_pa_s=0.0,
        conductivity_w_m_k=0.0125,
        gamma=750 / (750 - 188.9),
        cp_j_kg_k=750.0,
    )
    np.testing.assert_allclose(alpha, [0.012, 0.05, 0.30, 1.2], rtol=TEN_PERCENT)


def test_the_co2_transport_properties_are_the_reference_textbook_values():
    """§2c quotes μ = 1.2e-5 Pa s and κ = 0.0125 W/m/K for Mars air at ≈ 240 K."""
    air = mars_air(700.0, 240.0)
    assert air.viscosity_pa_s() == pytest.approx(1.2e-5, rel=0.05)
    assert air.conductivity_w_m_k() == pytest.approx(0.0125, rel=0.05)


def test_mars_absorption_is_above_the_classical_lower_bound_and_grows_with_frequency():
    """§2c: CO2 relaxation adds to the classical absorption in the audible band."""
    f = np.array([1_000.0, 2_000.0, 5_000.0, 10_000.0])
    alpha = DB_PER_NP * absorption_np_per_m(f, MARS)
    assert np.all(alpha > np.array([0.012, 0.05, 0.30, 1.2]))
    assert np.all(np.diff(alpha) > 0)


@pytest.mark.parametrize("f", [500.0, 1_000.0, 2_000.0, 4_000.0, 8_000.0])
def test_the_same_code_on_earth_gives_the_iso_9613_absorption(f):
    ours = DB_PER_NP * absorption_np_per_m(np.array([f]), EARTH)[0]
    iso = iso9613_db_per_m(np.array([f]), 288.15, 101_325.0, 50.0)[0]
    assert ours == pytest.approx(iso, rel=TEN_PERCENT)


def test_the_iso_formula_as_written_gives_the_iso_table_value():
    """A check of the test's own ISO transcription: 15 °C, 50%, 1 kHz is 4.2 dB/km in the
    ISO 9613-2 table (docs/reference/instruments.md §2e)."""
    iso = iso9613_db_per_m(np.array([1_000.0]), 288.15, 101_325.0, 50.0)[0]
    assert iso * 1e3 == pytest.approx(4.2, abs=0.1)


def test_earth_speed_is_the_textbook_value():
    """Dry air at 288.15 K: 340.3 m/s (ISO 2533); moist air is ≈ 0.5 m/s faster."""
    assert phase_speed(np.array([1_000.0]), EARTH)[0] == pytest.approx(340.8, abs=0.5)


def test_the_same_source_is_20_db_quieter_on_mars():
    """§2a: the impedance ρc of thin CO2 makes the same source ≈ 20 dB weaker."""
    level = 10 * math.log10(impedance(MARS) / impedance(EARTH))
    assert level == pytest.approx(-20.0, abs=THREE_DB)


def test_propagate_delays_by_the_travel_time_and_spreads_as_one_over_r():
    """A pulse near 60 Hz moves r/c_g later (c_g = dω/dRe k, the group speed, from the
    model's k by finite differences) and is 1/r as strong, less e^{-αΔr}."""
    rate, n = 25_000.0, 2**14
    t = np.arange(n) / rate
    pulse = np.exp(-(((t - 0.1) / 0.004) ** 2)) * np.cos(2 * np.pi * 60 * (t - 0.1))
    out = propagate(np.stack([pulse, pulse]), rate, np.array([3.0, 6.0]), MARS)
    k = wavenumber(np.array([59.0, 61.0]), MARS).real
    c = 2 * np.pi * 2.0 / (k[1] - k[0])
    for row, r in zip(out, (3.0, 6.0), strict=True):
        xcorr = np.fft.ifft(np.fft.fft(row) * np.conj(np.fft.fft(pulse)))
        lag = np.argmax(np.abs(xcorr)) / rate
        assert lag == pytest.approx(r / c, abs=2 / rate)
    spread_and_absorbed = 2.0 * math.exp(3.0 * absorption_np_per_m(np.array([60.0]), MARS)[0])
    ratio = np.max(np.abs(out[0])) / np.max(np.abs(out[1]))
    assert ratio == pytest.approx(spread_and_absorbed, rel=0.05)


def test_out_of_range_air_is_one_line():
    with pytest.raises(ConfigError, match=r"^temperature_k = -5.0 is out of range"):
        mars_air(700.0, -5.0)
    with pytest.raises(ConfigError, match="co2_fraction"):
        mars_air(700.0, 230.0, co2_fraction=1.5)


@pytest.mark.parametrize("f", [2_000.0, 4_000.0, 8_000.0])
def test_an_earth_recording_loses_what_iso_9613_says_between_50_and_250_m(f):
    """The same code on Earth: a tone recorded at 50 m and at 250 m, corrected for
    spreading (×5), loses the ISO 9613-1 absorption over 200 m (the formula above), ±10%."""
    rms = []
    for r in (50.0, 250.0):
        rec = record(
            SUPERCAM,
            [Tone((f,), 1e-3, r)],
            EARTH,
            duration_s=0.5,
            rng=np.random.default_rng(6),
            self_noise=False,
        )
        rms.append(float(np.sqrt(np.mean(rec.samples_pa**2))))
    measured_db_per_m = -20 * math.log10(rms[1] / rms[0] * 5.0) / 200.0
    iso = iso9613_db_per_m(np.array([f]), 288.15, 101_325.0, 50.0)[0]
    assert measured_db_per_m == pytest.approx(iso, rel=0.10)
