"""Recordings measured from the synthesised signal itself: the spark's arrival times give
the two speeds of sound (docs/reference/instruments.md §2a), attenuation between 2 and 5 m
grows with frequency (§2c), Mars is 20 dB quieter than Earth (§2a), and the EDL microphone
heard nothing during descent (§2a)."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest
import scipy.signal

import perseverance.acoustics
from perseverance.acoustics.microphones import load_microphones
from perseverance.acoustics.propagation import (
    absorption_np_per_m,
    earth_air,
    impedance,
    mars_air,
    sound_speeds,
)
from perseverance.acoustics.recording import record, record_during_edl
from perseverance.acoustics.sources import LaserSpark, Tone, WindNoise
from perseverance.errors import ConfigError

#: Tolerances.
THREE_M_PER_S = 3.0
THREE_DB = 3.0
#: A typical daytime Jezero atmosphere at the microphone (E: 700 Pa, 235 K).
MARS = mars_air(700.0, 235.0)
EARTH = earth_air(101_325.0, 288.15, 0.5)
SUPERCAM = load_microphones().microphone("supercam")
RATE = SUPERCAM.mode("standard").sample_rate_hz


def _spark(distance_m: float) -> np.ndarray:
    rec = record(
        SUPERCAM,
        [LaserSpark(distance_m, shots=1, first_s=0.05)],
        MARS,
        duration_s=0.5,
        rng=np.random.default_rng(1),
        self_noise=False,
    )
    return rec.samples_pa


def _delay_s(near: np.ndarray, far: np.ndarray, band: tuple[float, float]) -> float:
    """Delay of ``far`` after ``near`` in ``band``: zero-phase band-pass of both, the peak
    of their cross-correlation, refined by a parabola through its three top samples."""
    sos = scipy.signal.butter(4, band, "bandpass", fs=RATE, output="sos")
    a, b = scipy.signal.sosfiltfilt(sos, near), scipy.signal.sosfiltfilt(sos, far)
    xcorr = scipy.signal.correlate(b, a, "full")
    lags = scipy.signal.correlation_lags(b.size, a.size, "full")
    i = int(np.argmax(xcorr))
    y0, y1, y2 = xcorr[i - 1 : i + 2]
    return float(lags[i] + 0.5 * (y0 - y2) / (y0 - 2 * y1 + y2)) / RATE


def test_the_spark_at_2_and_5_m_gives_240_m_s_below_and_250_m_s_above_240_hz():
    """The two published speeds (§2a), ±3 m/s, and the model's relaxed and frozen
    speeds √(γRT) (hand check, ±1.5 m/s: the band's group speed is not quite c0 or c∞)."""
    near, far = _spark(2.0), _spark(5.0)
    low = 3.0 / _delay_s(near, far, (25.0, 80.0))
    high = 3.0 / _delay_s(near, far, (2_000.0, 8_000.0))
    assert low == pytest.approx(240.0, abs=THREE_M_PER_S)
    assert high == pytest.approx(250.0, abs=THREE_M_PER_S)
    c0, c_inf = sound_speeds(MARS)
    assert low == pytest.approx(c0, abs=1.5)
    assert high == pytest.approx(c_inf, abs=1.5)


def test_attenuation_between_2_and_5_m_grows_with_frequency():
    """Spectra of the two recordings, corrected for spherical spreading (×5/2): the loss
    per metre rises band by band, lies above the classical-only lower bound of §2c
    (0.05 dB/m at 2 kHz, 0.30 at 5 kHz) and matches the model's α within 10%."""
    near, far = np.fft.rfft(_spark(2.0)), np.fft.rfft(_spark(5.0))
    freqs = np.fft.rfftfreq(_spark(2.0).size, 1 / RATE)
    centres = np.array([300.0, 1_000.0, 2_000.0, 5_000.0, 10_000.0])
    measured = []
    for fc in centres:
        band = (freqs > fc / 1.12) & (freqs < fc * 1.12)
        ratio = math.sqrt(np.sum(np.abs(far[band]) ** 2) / np.sum(np.abs(near[band]) ** 2))
        measured.append(-20 * math.log10(ratio * 5 / 2) / 3.0)  # dB/m
    db_per_m = np.array(measured)
    assert np.all(np.diff(db_per_m) > 0)
    assert db_per_m[2] > 0.05 and db_per_m[3] > 0.30
    model = 20 / math.log(10) * absorption_np_per_m(centres, MARS)
    np.testing.assert_allclose(db_per_m, model, rtol=0.10)


def test_the_same_source_is_20_db_quieter_on_mars_than_on_earth():
    """A 100 Hz tone of the same acoustic power at 1 m, measured RMS: 20 ± 3 dB lower on
    Mars (§2a); by hand, 10 log10 of the impedance ratio less the absorption over 1 m."""
    levels = {}
    for name, air in (("mars", MARS), ("earth", EARTH)):
        rec = record(
            SUPERCAM,
            [Tone((100.0,), 1e-6, 1.0)],
            air,
            duration_s=1.0,
            rng=np.random.default_rng(2),
            self_noise=False,
        )
        levels[name] = 20 * math.log10(float(np.sqrt(np.mean(rec.samples_pa**2))))
    difference = levels["mars"] - levels["earth"]
    assert difference == pytest.approx(-20.0, abs=THREE_DB)
    loss = 20 / math.log(10) * absorption_np_per_m(np.array([100.0]), MARS)[0]
    by_hand = 10 * math.log10(impedance(MARS) / impedance(EARTH)) - loss
    assert difference == pytest.approx(by_hand, abs=0.2)


def test_the_self_noise_is_the_noise_floor_over_the_band():
    """RMS of a silent recording = N0 √(band) (hand; the Butterworth edges add ≈ 1%)."""
    rec = record(SUPERCAM, [], MARS, duration_s=2.0, rng=np.random.default_rng(3))
    lo, hi = rec.band_hz
    expected = SUPERCAM.noise_floor_pa_per_sqrt_hz * math.sqrt(hi - lo)
    assert float(np.std(rec.samples_pa)) == pytest.approx(expected, rel=0.05)


def test_a_recording_is_sampled_at_the_mode_rate_for_its_duration():
    air = mars_air(700.0, 235.0, wind_speed_mps=3.0)
    rec = record(
        SUPERCAM, [WindNoise()], air, duration_s=0.2, mode="high_rate", rng=np.random.default_rng(4)
    )
    assert rec.sample_rate_hz == 100_000.0 and rec.samples_pa.shape == (20_000,)
    assert repr(rec).startswith("Recording(supercam/high_rate, 0.200 s at 100000 Hz, RMS ")


def test_a_recording_request_outside_the_microphone_band_is_one_line():
    with pytest.raises(ConfigError) as info:
        record(
            SUPERCAM,
            [],
            MARS,
            duration_s=1.0,
            band_hz=(20.0, 20_000.0),
            rng=np.random.default_rng(0),
        )
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith("band_hz = [20, 20000] is outside the supercam microphone's")
    assert "20..12500 Hz" in message
    with pytest.raises(ConfigError, match="mode = 'fast' is not a mode"):
        record(SUPERCAM, [], MARS, duration_s=1.0, mode="fast", rng=np.random.default_rng(0))
    with pytest.raises(ConfigError, match=r"duration_s = -1\.0 is out of range"):
        record(SUPERCAM, [], MARS, duration_s=-1.0, rng=np.random.default_rng(0))


def test_the_edl_microphone_records_nothing_during_descent_and_says_why():
    """§2a: it returned no usable audio during descent."""
    result = record_during_edl(load_microphones().microphone("edl"))
    assert result.microphone == "edl" and result.phase == "edl"
    assert "no usable audio during descent" in result.reason


def test_the_acoustics_package_imports_only_lower_layers():
    """It takes the air as plain inputs: no weather, mission, store or report imports."""
    allowed = {"acoustics", "mars", "datafiles", "errors", "outputs"}
    package = Path(perseverance.acoustics.__file__).parent
    imported = {
        match
        for path in package.glob("*.py")
        for match in re.findall(
            r"^\s*(?:from|import) perseverance\.(\w+)", path.read_text(), flags=re.MULTILINE
        )
    }
    assert imported <= allowed
