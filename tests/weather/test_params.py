"""The MEDA file: what it holds, and a bad value as a one-line error naming the field."""

from __future__ import annotations

import pytest

from perseverance.errors import ConfigError
from perseverance.weather.params import load_meda


def test_the_packaged_file_holds_the_published_figures():
    meda = load_meda()
    assert meda.vortices.rate_per_sol == 4.9 and meda.vortices.max_drop_pa == 9.0
    assert meda.pressure.anchor_pa[0] == 718.0
    assert meda.temperature.air_predawn_k == pytest.approx(273.15 - 83.0)
    assert meda.cadence.hourly_from_sol == 15


def _write(tmp_path, old: str, new: str):
    from importlib import resources

    text = resources.files("perseverance.data.instruments").joinpath("meda.toml").read_text()
    assert old in text
    path = tmp_path / "meda.toml"
    path.write_text(text.replace(old, new, 1))
    return path


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "rate_per_sol = 4.9",
            "rate_per_sol = -1.0",
            r"vortices\.rate_per_sol = -1 is out of range \(0\.\.1000\)",
        ),
        (
            "sample_rate_hz = 1.0",
            "sample_rate_hz = 0",
            r"cadence\.sample_rate_hz = 0 is out of range",
        ),
        ("max_drop_pa = 9.0", "max_drop_pa = 0.2", r"max_drop_pa = 0\.2 must exceed min_drop_pa"),
        ("harmonics = 3", "harmonics = 5", r"needs at least 11 distinct anchor_ls_deg"),
        (
            "weibull_shape = 2.0",
            "weibull_shape = nan",
            r"wind\.weibull_shape = nan is not a finite",
        ),
        ("[dust]", "[dust]\ncolour = 1", r"dust\.colour is not a known field"),
    ],
)
def test_a_bad_value_is_one_line(tmp_path, old, new, message):
    with pytest.raises(ConfigError, match=message) as info:
        load_meda(_write(tmp_path, old, new))
    assert "\n" not in str(info.value)
