"""Vehicle data files: shipped ones load; bad ones fail with one clear line."""

from __future__ import annotations

import pytest

from perseverance.edl.vehicle import load_vehicle
from perseverance.errors import ConfigError

#: Often-quoted Mars 2020 entry mass (E) and the MSL entry mass (C), kg.
M2020_ENTRY_KG = 3_440.0
MSL_ENTRY_KG = 3_257.0


def test_shipped_vehicles_load():
    assert load_vehicle("m2020").masses.entry_kg == pytest.approx(M2020_ENTRY_KG)
    assert load_vehicle("msl").masses.entry_kg == pytest.approx(MSL_ENTRY_KG)
    assert load_vehicle("m2020").parachute.trigger == "range"
    assert load_vehicle("msl").parachute.trigger == "velocity"


def _write(tmp_path, text, name="bad.toml"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def _m2020_text():
    from importlib import resources

    return resources.files("perseverance.data.vehicles").joinpath("m2020.toml").read_text()


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "flight_path_angle_deg = -15.5",
            "flight_path_angle_deg = -40",
            "entry.flight_path_angle_deg = -40",
        ),
        ("rover_kg = 1025", "rover_kg = -5", "masses.rover_kg = -5"),
        ('trigger = "range"', 'trigger = "sonar"', "parachute.trigger"),
        ("isp_s = 220", "", "descent_stage.isp_s is missing"),
        # strict, finite and bounded (every data file's base model, datafiles.DataModel)
        (
            "drag_area_m2 = ",
            "drag_area_m2 = inf #",
            "descent_stage.drag_area_m2 = inf is not a finite",
        ),
        ("entry_speed_mps = 1.0", "entry_speed_mps = inf", "dispersions.entry_speed_mps = inf"),
        (
            "entry_speed_mps = 1.0",
            "entry_speed_mps = nan",
            "is not a finite number (allowed: 0..100)",
        ),
        (
            "entry_speed_mps = 1.0",
            "entry_speed_mps = 1e6",
            "entry_speed_mps = 1000000 is out of range",
        ),
        ("lvs = true", 'lvs = "yes"', "sequence.lvs = 'yes' is invalid"),
        ("engine_count = 8", 'engine_count = "8"', "descent_stage.engine_count = '8'"),
        ("engine_count = 8", "engine_count = 8.0", "descent_stage.engine_count = 8.0"),
    ],
)
def test_bad_values_name_the_field(tmp_path, old, new, expected):
    text = _m2020_text()
    assert old in text
    with pytest.raises(ConfigError) as info:
        load_vehicle(_write(tmp_path, text.replace(old, new, 1)))
    message = str(info.value)
    assert expected in message
    assert "\n" not in message


def test_range_is_stated(tmp_path):
    text = _m2020_text().replace("flight_path_angle_deg = -15.5", "flight_path_angle_deg = -40", 1)
    with pytest.raises(ConfigError, match=r"-30"):
        load_vehicle(_write(tmp_path, text))


def test_unknown_vehicle_lists_choices():
    with pytest.raises(ConfigError, match="m2020, msl"):
        load_vehicle("apollo")


def test_malformed_toml(tmp_path):
    with pytest.raises(ConfigError, match="not a valid TOML file"):
        load_vehicle(_write(tmp_path, "name = [unclosed"))


def test_missing_file():
    with pytest.raises(ConfigError, match="vehicle file not found"):
        load_vehicle("/nonexistent/vehicle.toml")
