"""The microphone catalogue: the published bands and rates, and bad files as one line."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from perseverance.acoustics.microphones import load_microphones
from perseverance.errors import ConfigError

PACKAGE = "perseverance.data.instruments"


def _edited(tmp_path: Path, old: str, new: str) -> str:
    text = resources.files(PACKAGE).joinpath("microphones.toml").read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "microphones.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return str(path)


def _message(path: str) -> str:
    with pytest.raises(ConfigError) as info:
        load_microphones(path)
    message = str(info.value)
    assert message and "\n" not in message
    return message


def test_the_two_microphones_have_the_published_bands_and_rates():
    """docs/reference/instruments.md §2a: SuperCam on the mast at 2.1 m, 20 Hz-12.5 kHz at
    25 kHz or to 50 kHz at 100 kHz; the EDL microphone on the body, 20 Hz-20 kHz."""
    catalogue = load_microphones()
    supercam = catalogue.microphone("supercam")
    assert supercam.location == "mast" and supercam.height_m == 2.1
    standard, high = supercam.mode("standard"), supercam.mode("high_rate")
    assert (standard.sample_rate_hz, standard.band_low_hz, standard.band_high_hz) == (
        25_000.0,
        20.0,
        12_500.0,
    )
    assert (high.sample_rate_hz, high.band_low_hz, high.band_high_hz) == (100_000.0, 20.0, 50_000.0)
    edl = catalogue.microphone("edl")
    assert edl.location == "body" and not edl.usable_during_edl
    assert (edl.mode("standard").band_low_hz, edl.mode("standard").band_high_hz) == (20.0, 20_000.0)


def test_a_band_above_the_nyquist_frequency_is_one_line_naming_the_field(tmp_path):
    message = _message(_edited(tmp_path, "band_high_hz = 12_500.0", "band_high_hz = 13_000.0"))
    assert "microphones.supercam.modes.standard" in message
    assert "band_high_hz = 13000" in message and "Nyquist" in message and "12500" in message


def test_a_negative_sampling_rate_is_one_line_naming_the_field(tmp_path):
    message = _message(_edited(tmp_path, "sample_rate_hz = 25_000.0", "sample_rate_hz = -25_000.0"))
    assert "microphones.supercam.modes.standard.sample_rate_hz = -25000" in message
    assert "out of range" in message


def test_an_unknown_microphone_names_the_known_ones():
    with pytest.raises(KeyError, match="supercam"):
        load_microphones().microphone("chemcam")
