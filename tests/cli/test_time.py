"""`perseverance time`: the Sun at Jezero and the Earth-Mars geometry, in JSON and the table."""

from __future__ import annotations

import json
import subprocess
import sys

from typer.testing import CliRunner

from perseverance.cli import app
from perseverance.mars.ephemeris import light_time_s
from perseverance.mars.sun import sun_position

runner = CliRunner()
LANDING_UTC = "2021-02-18T20:55:00Z"
GEOMETRY_KEYS = {
    "sun_elevation_deg",
    "sun_azimuth_deg",
    "earth_mars_distance_km",
    "light_time_s",
    "sun_earth_mars_angle_deg",
}


def test_time_json_has_the_sun_and_the_geometry():
    result = runner.invoke(app, ["time", LANDING_UTC, "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert set(doc) >= GEOMETRY_KEYS | {"msd", "lmst", "sol"}
    assert abs(doc["light_time_s"] - (11 * 60 + 22)) <= 2.0
    assert doc["light_time_s"] == light_time_s(LANDING_UTC)
    # distance / c is the light time to within Earth's motion (< 0.1 s here)
    assert abs(doc["earth_mars_distance_km"] * 1e3 / 299_792_458.0 - doc["light_time_s"]) < 0.1
    sun = sun_position(LANDING_UTC, 18.4446, 77.4509)
    assert doc["sun_elevation_deg"] == sun.elevation_deg
    assert doc["sun_azimuth_deg"] == sun.azimuth_deg
    assert 180.0 < doc["sun_azimuth_deg"] < 360.0  # afternoon, west of the meridian
    assert 0.0 < doc["sun_earth_mars_angle_deg"] < 180.0


def test_time_table_shows_them():
    result = runner.invoke(app, ["time", LANDING_UTC], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "Sun elevation 37.0" in result.output
    assert "light time 11 min 22" in result.output
    assert "Sun-Earth-Mars angle" in result.output and "million km" in result.output


def test_time_outside_the_ephemeris_is_one_line_exit_2():
    result = subprocess.run(
        [sys.executable, "-m", "perseverance.cli", "time", "2060-01-01"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "outside the DE421 ephemeris span" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
