"""The sources, measured from their synthesised signals: the wind noise follows the dynamic
pressure (docs/reference/instruments.md §2d), the spark is an N-wave burst at the SuperCam
cadence (§2b, §2e), Ingenuity's tone is at 84 Hz (§2d)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import scipy.signal

from perseverance.acoustics.propagation import impedance, mars_air
from perseverance.acoustics.sources import (
    INGENUITY_BLADE_HZ,
    LIBS_CADENCE_HZ,
    WIND_NOISE_PER_DYNAMIC_PRESSURE,
    Ingenuity,
    LaserSpark,
    RoverDrive,
    Tone,
    WindNoise,
    moxie_compressor,
    n_wave_spectrum,
)
from perseverance.errors import ConfigError

RATE = 25_000.0
#: The estimate of a band RMS from 10 s of noise in a 400 Hz band scatters by ≈ 1/√(BT)
#: = 1.6%; we allow three times that.
FIVE_PERCENT = 0.05


def _band_rms(x: np.ndarray, lo: float, hi: float) -> float:
    sos = scipy.signal.butter(8, (lo, hi), "bandpass", fs=RATE, output="sos")
    return float(np.sqrt(np.mean(scipy.signal.sosfiltfilt(sos, x) ** 2)))


def _wind(speed: float, seed: int = 3) -> np.ndarray:
    air = mars_air(700.0, 235.0, wind_speed_mps=speed)
    return WindNoise().signal(int(10 * RATE), RATE, 0.0, air, np.random.default_rng(seed))


def test_wind_noise_rms_in_100_500_hz_is_the_constant_times_dynamic_pressure():
    """Hand computation: K · ½ρv² with ρ = p/(RT)."""
    air = mars_air(700.0, 235.0, wind_speed_mps=5.0)
    q = 0.5 * 700.0 / (air.gas_constant * 235.0) * 25.0
    assert _band_rms(_wind(5.0), 100.0, 500.0) == pytest.approx(
        WIND_NOISE_PER_DYNAMIC_PRESSURE * q, rel=FIVE_PERCENT
    )


def test_doubling_the_wind_quadruples_the_wind_noise_rms():
    """RMS ∝ dynamic pressure ∝ v² (§2d): twice the wind, four times the RMS (12 dB)."""
    ratio = _band_rms(_wind(8.0, seed=4), 100, 500) / _band_rms(_wind(4.0, seed=5), 100, 500)
    assert ratio == pytest.approx(4.0, rel=2 * FIVE_PERCENT)


def test_the_wind_noise_spectrum_falls_with_frequency():
    x = _wind(5.0)
    bands = [(30, 60), (100, 200), (300, 600), (1000, 2000), (3000, 6000)]
    rms = [_band_rms(x, lo, hi) for lo, hi in bands]
    assert all(a > b for a, b in itertools.pairwise(rms))


def test_the_n_wave_spectrum_is_the_transform_of_the_n_wave():
    """The analytic spectrum against the FFT of a finely sampled N-wave (hand check)."""
    rate, t_half, amp = 10e6, 1e-4, 2.0
    t = np.arange(-4000, 4000) / rate
    wave = np.where(np.abs(t) < t_half, -amp * t / t_half, 0.0)
    freqs = np.fft.rfftfreq(t.size, 1 / rate)[1:200]
    fft = np.fft.rfft(np.fft.ifftshift(wave))[1:200] / rate
    np.testing.assert_allclose(n_wave_spectrum(freqs, amp, t_half), fft, atol=1e-3 * amp * t_half)


def test_the_spark_burst_is_at_the_supercam_cadence_and_carries_its_energy():
    """30 shots at ≈ 3 Hz (§2e); the first shot's energy 4π∫s²dt/(ρc) is the stated one."""
    air = mars_air(700.0, 235.0)
    spark = LaserSpark(3.1, shots=30)
    n = int(11 * RATE)
    s = spark.signal(n, RATE, 0.0, air, np.random.default_rng(0))
    peaks, _ = scipy.signal.find_peaks(s, height=0.5 * np.max(s), distance=int(0.1 * RATE))
    assert peaks.size == 30
    assert np.median(np.diff(peaks)) / RATE == pytest.approx(1 / LIBS_CADENCE_HZ, abs=2 / RATE)
    # at 1 MHz sampling, so that the N-wave's spectrum above Nyquist is negligible
    one = LaserSpark(3.1, shots=1).signal(100_000, 1e6, 0.0, air, np.random.default_rng(0))
    energy = 4 * math.pi * np.sum(one**2) / 1e6 / impedance(air)
    assert energy == pytest.approx(spark.energy_j, rel=0.02)


def test_ingenuity_tone_is_at_the_blade_passing_frequency():
    """84.6 Hz = 2 x 2,537 rpm / 60 (§2d), with its 168 Hz harmonic."""
    air = mars_air(700.0, 235.0)
    s = Ingenuity().signal(int(20 * RATE), RATE, 0.0, air, np.random.default_rng(0))
    f, psd = scipy.signal.welch(s, fs=RATE, nperseg=2**16)
    assert f[np.argmax(psd)] == pytest.approx(84.6, abs=0.5)
    assert pytest.approx(84.57, abs=0.01) == INGENUITY_BLADE_HZ
    near_168 = (f > 160) & (f < 175)
    assert f[near_168][np.argmax(psd[near_168])] == pytest.approx(169.1, abs=0.5)


def test_moxie_is_a_tone_only_while_it_runs_and_the_rover_clicks_while_driving():
    air = mars_air(700.0, 235.0)
    rng = np.random.default_rng(0)
    s = moxie_compressor(on_s=1.0, off_s=2.0).signal(int(3 * RATE), RATE, 0.0, air, rng)
    assert np.all(s[: int(RATE)] == 0) and np.all(s[int(2 * RATE) :] == 0)
    assert np.std(s[int(1.1 * RATE) : int(1.9 * RATE)]) > 0
    drive = RoverDrive(speed_mps=0.04).signal(int(5 * RATE), RATE, 0.0, air, rng)
    kurtosis = np.mean(drive**4) / np.mean(drive**2) ** 2
    assert kurtosis > 3  # impulsive clicks on top of the tone (a pure tone has 1.5)


def test_a_spark_target_out_of_range_is_one_line():
    with pytest.raises(ConfigError, match=r"^distance_m = 12.0 is out of range \(1\.\.7\)$"):
        LaserSpark(12.0)
    with pytest.raises(ConfigError, match="frequencies_hz"):
        Tone((0.0,), 1e-6, 1.0)
