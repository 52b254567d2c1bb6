"""The Sample Caching System's data file and its loader."""

from __future__ import annotations

from importlib import resources

import pytest

from perseverance.errors import ConfigError
from perseverance.rover.sampling.caching import load_caching

from .conftest import SYSTEM

# -- the data file -----------------------------------------------------------------------


def test_shipped_system_matches_the_reference():
    s = SYSTEM
    assert (s.tubes.total, s.tubes.sample, s.tubes.witness, s.tubes.bits) == (43, 38, 5, 9)
    assert s.coring.percuss_to_ingest.repeats == 5
    assert s.coring.percuss_to_ingest.duration_s == 1
    assert s.depot.drop_height_m == pytest.approx(0.89)
    assert (s.depot.spacing_min_m, s.depot.spacing_max_m) == (5, 15)
    assert s.depot.tubes == 10
    # drops clear the wheel band (wheel centres 1.1 m off the line, wheels 0.4 m wide)
    assert (s.depot.lateral_offset_min_m, s.depot.lateral_offset_max_m) == (2.0, 2.4)
    assert s.depot.min_clearance_m == pytest.approx(2.0 - 1.1 - 0.2)


def _caching_text() -> str:
    return resources.files("perseverance.data.instruments").joinpath("caching.toml").read_text()


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("jam_probability = 0.035", "", "failures.jam_probability is missing"),
        (
            "crumble_probability = 0.035",
            "crumble_probability = 1.5",
            "failures.crumble_probability = 1.5 is out of range (0..1)",
        ),
        (
            "jam_probability = 0.035",
            "jam_probability = -0.1",
            "failures.jam_probability = -0.1 is out of range (0..1)",
        ),
        ("total = 43", "total = 44", "tubes: total (44) must equal sample + witness (38 + 5)"),
        ("duration_s = 1800", "duration_s = -5", "coring.abrasion.duration_s = -5"),
        ("drop_height_m = 0.89", "drop_heigth_m = 0.89", "depot.drop_height_m is missing"),
        ("spacing_min_m = 5 ", "spacing_min_m = 3 ", "depot: 2 x lateral_offset_max_m"),
        (
            "lateral_offset_min_m = 2.0",
            "lateral_offset_min_m = 1.2",
            "depot: lateral_offset_min_m (1.2) must exceed track_half_width_m + "
            "wheel_half_width_m (1.1 + 0.2): a drop would lie in a wheel path",
        ),
        ("track_half_width_m = 1.1", "", "depot.track_half_width_m is missing"),
    ],
)
def test_bad_caching_file_names_the_field(tmp_path, old, new, expected):
    text = _caching_text()
    assert old in text
    path = tmp_path / "bad.toml"
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(ConfigError) as info:
        load_caching(str(path))
    message = str(info.value)
    assert expected in message
    assert "\n" not in message


def test_unknown_name_lists_the_shipped_ones():
    with pytest.raises(ConfigError, match="caching"):
        load_caching("nonesuch")
