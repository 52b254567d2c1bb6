"""Site files: the packaged Jezero site loads; bad files give one-line ConfigErrors."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

import pytest

from perseverance.errors import ConfigError
from perseverance.terrain.site import Site, available_sites, load_site

JEZERO_TEXT = resources.files("perseverance.data.sites").joinpath("jezero.toml").read_text()


def _write(tmp_path: Path, text: str, name: str = "bad.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def _error(path: Path | str) -> str:
    with pytest.raises(ConfigError) as info:
        load_site(path)
    message = str(info.value)
    assert "\n" not in message
    return message


def test_jezero_loads_with_reference_figures():
    site = load_site("jezero")
    assert isinstance(site, Site)
    assert "jezero" in available_sites()
    assert site.landing_site.latitude_deg == pytest.approx(18.4446)
    assert site.landing_site.longitude_deg == pytest.approx(77.4509)
    assert site.landing_site.floor_elevation_m == pytest.approx(-2600.0)
    assert site.delta.distance_m == pytest.approx(2250.0)
    assert 270.0 < site.delta.bearing_deg < 315.0  # west-north-west
    assert site.region.half_width_m == 8000.0
    assert site.region.resolution_m == 10.0
    assert site.hazard.max_rock_height_m == pytest.approx(0.55)


def test_path_and_name_give_the_same_site(tmp_path):
    path = _write(tmp_path, JEZERO_TEXT, "copy.toml")
    assert load_site(path) == load_site("jezero")
    assert load_site(str(path)) == load_site("jezero")


def test_every_table_cites_a_source():
    data = tomllib.loads(JEZERO_TEXT)
    for key, table in data.items():
        if isinstance(table, dict):
            assert table.get("source"), f"[{key}] has no source"


def test_out_of_range_names_field_value_and_range(tmp_path):
    path = _write(tmp_path, JEZERO_TEXT.replace("latitude_deg = 18.4446", "latitude_deg = 123"))
    message = _error(path)
    assert message == f"{path}: landing_site.latitude_deg = 123 is out of range (-90..90)"


def test_negative_height_is_out_of_range(tmp_path):
    message = _error(_write(tmp_path, JEZERO_TEXT.replace("height_m = 60.0", "height_m = -5.0")))
    assert "delta.height_m = -5 is out of range (0..1000)" in message


def test_exclusive_bound_is_said(tmp_path):
    text = JEZERO_TEXT.replace("max_slope_deg = 15.0", "max_slope_deg = 0")
    message = _error(_write(tmp_path, text))
    assert "hazard.max_slope_deg = 0 is out of range (0..90, excluding 0)" in message


def test_missing_field_is_named(tmp_path):
    text = JEZERO_TEXT.replace("max_slope_deg = 15.0\n", "")
    message = _error(_write(tmp_path, text))
    assert message.endswith("hazard.max_slope_deg is missing (required)")


def test_missing_table_is_named(tmp_path):
    start = JEZERO_TEXT.index("[rocks]")
    end = JEZERO_TEXT.index("[hazard]")
    message = _error(_write(tmp_path, JEZERO_TEXT[:start] + JEZERO_TEXT[end:]))
    assert "rocks is missing (required)" in message


def test_unknown_field_lists_the_allowed_ones(tmp_path):
    text = JEZERO_TEXT.replace("[delta]\n", "[delta]\nhieght_m = 3\n")
    message = _error(_write(tmp_path, text))
    assert "delta.hieght_m is not a known field" in message
    assert "height_m" in message.split("allowed:")[1]


def test_wrong_type_is_named(tmp_path):
    text = JEZERO_TEXT.replace("resolution_m = 10.0", 'resolution_m = "ten"')
    message = _error(_write(tmp_path, text))
    assert "region.resolution_m = 'ten' is invalid" in message


def test_cross_field_check(tmp_path):
    text = JEZERO_TEXT.replace("max_diameter_m = 1000.0", "max_diameter_m = 10.0")
    message = _error(_write(tmp_path, text))
    assert "craters" in message
    assert "max_diameter_m = 10 is below min_diameter_m = 30" in message


def test_several_errors_are_counted(tmp_path):
    text = JEZERO_TEXT.replace("latitude_deg = 18.4446", "latitude_deg = 123").replace(
        "longitude_deg = 77.4509", "longitude_deg = 999"
    )
    assert _error(_write(tmp_path, text)).endswith("(and 1 more)")


def test_not_toml(tmp_path):
    message = _error(_write(tmp_path, "name = \n[[[ this is not toml"))
    assert message.startswith(f"{tmp_path / 'bad.toml'}: not a valid TOML file (")


def test_not_utf8(tmp_path):
    path = tmp_path / "binary.toml"
    path.write_bytes(b"\xff\xfe\x00name")
    assert "not a valid TOML file" in _error(path)


def test_unknown_site_and_missing_file(tmp_path):
    assert _error("atlantis").startswith("unknown site 'atlantis': packaged sites are jezero")
    assert _error(tmp_path / "nowhere.toml").endswith("site file not found")
