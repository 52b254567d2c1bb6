"""The WAV and spectrogram products: the WAV decodes back to the same samples and rate,
the PNG is a PNG, and a write that fails leaves nothing behind."""

from __future__ import annotations

import numpy as np
import pytest

from perseverance.acoustics.microphones import load_microphones
from perseverance.acoustics.products import PCM_MAX, read_wav, write_spectrogram, write_wav
from perseverance.acoustics.propagation import mars_air
from perseverance.acoustics.recording import record
from perseverance.acoustics.sources import LaserSpark, WindNoise

SUPERCAM = load_microphones().microphone("supercam")
AIR = mars_air(700.0, 235.0, wind_speed_mps=4.0)


def _recording():
    return record(
        SUPERCAM,
        [WindNoise(), LaserSpark(3.1, shots=3)],
        AIR,
        duration_s=1.0,
        rng=np.random.default_rng(5),
    )


def test_the_wav_decodes_back_to_the_same_samples_and_rate(tmp_path):
    rec = _recording()
    full_scale = SUPERCAM.full_scale_pa
    clipped = write_wav(tmp_path / "rec.wav", rec, full_scale)
    samples, rate = read_wav(tmp_path / "rec.wav", full_scale)
    assert clipped == 0
    assert rate == 25_000 and samples.shape == rec.samples_pa.shape
    # 16-bit quantisation: within half a step of full scale / 32767
    assert np.max(np.abs(samples - rec.samples_pa)) <= 0.5 * full_scale / PCM_MAX + 1e-12


def test_pressures_beyond_full_scale_clip_and_are_counted(tmp_path):
    rec = _recording()
    peak = float(np.max(np.abs(rec.samples_pa)))
    clipped = write_wav(tmp_path / "loud.wav", rec, peak / 2)
    samples, _ = read_wav(tmp_path / "loud.wav", peak / 2)
    assert clipped > 0 and np.max(np.abs(samples)) == pytest.approx(peak / 2)


def test_the_spectrogram_is_a_png(tmp_path):
    write_spectrogram(tmp_path / "rec.png", _recording())
    assert (tmp_path / "rec.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_failed_write_leaves_nothing(tmp_path):
    missing = tmp_path / "no-such-folder" / "rec.wav"
    with pytest.raises(OSError):
        write_wav(missing, _recording(), SUPERCAM.full_scale_pa)
    assert not missing.parent.exists()
