"""The `perseverance` command: outputs, and bad input giving one line and exit code 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from perseverance.cli import app
from perseverance.user_cache import CACHE_ENV

runner = CliRunner()
EVENT_KEYS = {"name", "t_s", "altitude_m", "velocity_mps", "mach", "dynamic_pressure_pa", "g_load"}
TOUCHDOWN_KEYS = {
    "latitude_deg",
    "longitude_deg",
    "vertical_speed_mps",
    "horizontal_speed_mps",
    "tilt_deg",
    "distance_to_target_m",
    "distance_to_safe_target_m",
    "utc",
    "lmst",
}


def _cli(*args):
    """Run the installed command in a subprocess (the way a user does)."""
    return subprocess.run(
        [sys.executable, "-m", "perseverance.cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_edl_json_msl():
    result = runner.invoke(app, ["edl", "--vehicle", "msl", "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["status"] == "landed"
    assert all(set(e) >= EVENT_KEYS for e in doc["events"])
    assert set(doc["touchdown"]) >= TOUCHDOWN_KEYS
    assert doc["events"][0]["name"] == "entry_interface"


def test_time_json():
    result = runner.invoke(app, ["time", "2021-02-18T20:43:49Z", "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert set(doc) >= {"msd", "mtc_hours", "lmst", "ltst", "ls_deg", "sol"}
    assert doc["sol"] == 0 and doc["lmst"].startswith("15:5")


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["edl", "--vehicle", "apollo"], "unknown vehicle 'apollo'"),
        (["edl", "--monte-carlo", "0"], "N = 0 is out of range"),
        (["edl", "--monte-carlo", "-5"], "N = -5 is out of range"),
        (["edl", "--vehicle", "/nope/v.toml"], "vehicle file not found"),
        (["time", "yesterday"], "yesterday"),
        (["time", ""], "UTC '': empty"),
        (["edl", "--seed", "-1"], "--seed"),
        (["edl", "--seed", str(10**23)], "--seed"),
        (["edl", "--monte-carlo", "abc"], "Invalid value for '--monte-carlo'"),
        (["edl", "--trigger", "sonar"], "Invalid value for '--trigger'"),
        (["edl", "--monte-carlo", "3", "--scheduler", ""], "--scheduler ''"),
        (["edl", "--no-such-option"], "No such option"),
        (["edl", "--compare-triggers"], "--compare-triggers needs --monte-carlo N"),
    ],
)
def test_bad_input_is_one_line_exit_2(args, needle):
    result = _cli(*args)
    assert result.returncode == 2
    assert needle in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_bad_vehicle_file_leaves_out_untouched(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("name = 'x'\n")
    out = tmp_path / "out"
    out.mkdir()
    (out / "summary.json").write_text("{}")
    result = _cli("edl", "--vehicle", str(bad), "--out", str(out))
    assert result.returncode == 2
    assert "aeroshell is missing" in result.stderr
    assert [p.name for p in out.iterdir()] == ["summary.json"]


def test_unreachable_scheduler():
    result = _cli(
        "edl", "--vehicle", "msl", "--monte-carlo", "10", "--scheduler", "tcp://127.0.0.1:9"
    )
    assert result.returncode == 2
    assert "cannot reach the Dask scheduler" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_campaign_prints_progress_lines_when_stderr_is_not_a_terminal():
    """A log gets plain progress lines (no bar, no blank line) ending at the total."""
    result = _cli("edl", "--vehicle", "msl", "--monte-carlo", "3")
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert lines, "no progress at all"
    assert all(line.startswith("Monte Carlo ") and line.endswith(" runs") for line in lines)
    assert lines[-1] == "Monte Carlo 3/3 runs"


def test_quiet_and_json_print_no_progress():
    result = _cli("edl", "--vehicle", "msl", "--monte-carlo", "3", "--json")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


def _vehicle_named(tmp_path, name: str):
    from importlib import resources

    text = resources.files("perseverance.data.vehicles").joinpath("msl.toml").read_text()
    line = next(t for t in text.splitlines() if t.startswith("name = "))
    path = tmp_path / "marked.toml"
    path.write_text(text.replace(line, f"name = {json.dumps(name)}", 1))
    return path


def test_a_vehicle_name_with_rich_markup_is_printed_as_it_is(tmp_path):
    name = "[/] Curiosity [bold]twin[/bold] [link=x]"
    out = tmp_path / "out"
    result = _cli("edl", "--vehicle", str(_vehicle_named(tmp_path, name)), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert name in " ".join(result.stdout.split())
    assert (out / "summary.json").is_file()


def test_a_full_disk_names_the_file(tmp_path, monkeypatch):
    import errno

    from perseverance.report import edl_products

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(edl_products, "write_flight", full)
    out = tmp_path / "out"
    result = runner.invoke(app, ["edl", "--vehicle", "msl", "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert f"{out}: No space left on device" in " ".join(result.output.split())
    assert "None" not in result.output


def test_a_vehicle_that_runs_dry_prints_its_summary_and_exits_1(tmp_path):
    from importlib import resources

    text = resources.files("perseverance.data.vehicles").joinpath("m2020.toml").read_text()
    line = next(t for t in text.splitlines() if t.startswith("propellant_kg = "))
    path = tmp_path / "dry.toml"
    path.write_text(text.replace(line, "propellant_kg = 150", 1))
    result = _cli("edl", "--vehicle", str(path))
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    out = " ".join(result.stdout.split())
    assert "Touched down (fuel exhausted)" in out
    assert "ran out of propellant; check masses.propellant_kg" in out


def test_a_vehicle_without_lvs_has_no_safe_target():
    result = runner.invoke(app, ["edl", "--vehicle", "msl", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["touchdown"]["distance_to_safe_target_m"] is None
    text = runner.invoke(app, ["edl", "--vehicle", "msl"]).output
    assert "safe target" not in text and "Landed at" in " ".join(text.split())


def test_offsets_and_positions_say_west_and_south():
    from perseverance.places import east_north, latlon

    assert east_north(-310.4, 977.0) == "310 m W, 977 m N"
    assert east_north(12.0, -1900.0) == "12 m E, 1,900 m S"
    assert latlon(-4.5895, -222.6) == "4.5895° S, 137.4000° E"


def test_help_shows_flags_without_placeholders_and_the_trigger_default():
    text = runner.invoke(app, ["edl", "--help"], env={"COLUMNS": "120"}).output
    json_line = next(line for line in text.splitlines() if "--json" in line)
    assert "<bool>" not in json_line
    assert "the vehicle's" in text


def test_the_flight_table_has_units_and_spelled_out_events():
    result = runner.invoke(app, ["edl", "--vehicle", "msl"], env={"COLUMNS": "120"})
    assert "altitude [m]" in result.output and "speed [m/s]" in result.output
    assert "straighten up (SUFR)" in result.output
    assert "sufr" not in result.output


def test_a_campaign_of_a_vehicle_without_lvs_has_no_safe_target_row():
    result = runner.invoke(app, ["edl", "--vehicle", "msl", "--monte-carlo", "3", "--json"])
    assert result.exit_code == 0, result.output
    assert "distance_to_safe_target_m" not in json.loads(result.stdout)["percentiles"]


def test_a_missing_offset_is_a_dash():
    from perseverance.places import east_north

    assert east_north(float("nan"), 3.0) == "—"


def test_compare_triggers_flies_the_same_runs_with_the_other_trigger(tmp_path):
    out = tmp_path / "mc"
    args = ["edl", "--vehicle", "msl", "--monte-carlo", "40", "--seed", "3", "--out", str(out)]
    result = runner.invoke(app, [*args, "--compare-triggers", "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    other = doc["compared_trigger"]
    assert doc["parachute_trigger"] == "velocity" and other["parachute_trigger"] == "range"
    assert (other["runs"], other["seed"]) == (40, 3)
    assert other["ellipse_99"] != doc["ellipse_99"]
    png = (out / "trigger_comparison.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert {p.name for p in out.iterdir()} >= {"ellipse.png", "distributions.png", "runs.parquet"}
    listed = json.loads((out / "manifest.json").read_text())
    assert "trigger_comparison.png" in json.dumps(listed)


def test_compare_triggers_prints_the_other_campaign_and_is_off_by_default(tmp_path):
    args = ["edl", "--vehicle", "msl", "--monte-carlo", "3"]
    text = " ".join(runner.invoke(app, [*args, "--compare-triggers"]).output.split())
    assert "range trigger, same runs:" in text
    out = tmp_path / "mc"
    result = runner.invoke(app, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "same runs" not in result.output
    assert not (out / "trigger_comparison.png").exists()


def test_edl_video_writes_the_imagery_that_decodes_to_what_it_says(tmp_path):
    from perseverance.imaging.video import read_video_info

    folder = tmp_path / "video"
    result = runner.invoke(app, ["edl", "--video", str(folder), "--video-width", "48", "--quiet"])
    assert result.exit_code == 0, result.output
    names = {p.name for p in folder.iterdir()}
    assert names == {"descent.mp4", "descent_preview.webp", "sky_crane.png", "hirise.png",
                     "imagery.json", "manifest.json"}  # fmt: skip
    doc = json.loads((folder / "imagery.json").read_text())
    video = next(p for p in doc["products"] if p["kind"] == "descent_video")
    assert read_video_info(folder / "descent.mp4") == (
        video["frames"],
        video["width_px"],
        video["height_px"],
        video["fps"],
    )
    assert video["fps"] == 30.0 and video["width_px"] == 48
    photo = next(p for p in doc["products"] if p["kind"] == "sky_crane_photo")
    assert photo["rover_height_m"] == pytest.approx(2.0, abs=0.01)
    hirise = next(p for p in doc["products"] if p["kind"] == "hirise_frame")
    assert hirise["pixel_scale_m"] == pytest.approx(0.697, abs=0.01)
    assert "wrote" in result.stdout and "descent.mp4" in result.stdout


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--monte-carlo", "3"], "does not take --monte-carlo"),
        (["--video-width", "8"], "--video-width = 8 is out of range (16..1920 px)"),
    ],
)
def test_edl_video_bad_options_are_one_line_exit_2(tmp_path, args, needle):
    result = runner.invoke(app, ["edl", "--video", str(tmp_path / "v"), *args])
    assert result.exit_code == 2
    assert needle in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "v").exists()


def test_edl_video_refuses_a_folder_of_someone_else_before_flying(tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("keep me")
    result = runner.invoke(app, ["edl", "--video", str(folder)])
    assert result.exit_code == 2
    assert "--video" in result.stderr and "notes.txt" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert [p.name for p in folder.iterdir()] == ["notes.txt"]
    assert (folder / "notes.txt").read_text() == "keep me"


def test_an_unwritable_setup_cache_is_one_warning_and_the_flight_goes_on(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder\n")
    env = os.environ | {CACHE_ENV: str(blocker)}
    result = subprocess.run(
        [sys.executable, "-m", "perseverance.cli", "edl", "--vehicle", "msl", "--json"],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["status"] == "landed"
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("warning: cannot write the EDL setup cache")
    assert CACHE_ENV in lines[0] and "Traceback" not in result.stderr
