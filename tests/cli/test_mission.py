"""`perseverance mission` on bad input: one line, exit code 2, nothing half-written."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from perseverance.cli import app
from perseverance.mission.runner import start_mission
from perseverance.store.database import open_store

runner = CliRunner()


def _one_line_error(result, *needles: str) -> None:
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines[-1].startswith("error:"), result.output
    assert "Traceback" not in result.output
    for needle in needles:
        assert needle in result.output


def test_the_mission_runs_and_sums_up(tmp_path, monkeypatch):
    monkeypatch.setenv("PERSEVERANCE_CACHE", str(tmp_path / "cache"))
    result = runner.invoke(
        app,
        [
            "mission",
            "--imaging",
            "off",
            "--sols",
            "16",
            "--runs-dir",
            str(tmp_path),
            "--run-id",
            "m",
            "-q",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Landed 2021-02-18" in result.output and "sols 0-16" in result.output
    assert (tmp_path / "m" / "report.html").is_file()
    assert (tmp_path / "m" / "edl" / "telemetry.parquet").is_file()
    listed = runner.invoke(app, ["runs", "list", "--runs-dir", str(tmp_path)])
    assert listed.exit_code == 0 and "m" in listed.output


def test_an_invalid_scenario_is_refused_before_anything_is_written(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(
        'name = "bad"\nlast_sol = 10\n[edl]\nvehicle = "m2020"\nsite = "jezero"\n'
        "[conjunction]\nfirst_sol = 5\nlast_sol = 6\nallowed_kinds = []\n"
        '[phases.a]\nfirst_sol = 0\n[[phases.a.activities]]\nkind = "teleport"\n'
        "duration_s = 10\n"
    )
    runs = tmp_path / "runs"
    result = runner.invoke(app, ["mission", "--scenario", str(bad), "--runs-dir", str(runs)])
    _one_line_error(result, "teleport")
    assert not runs.exists()


@pytest.mark.parametrize(
    ("args", "needle"),
    [(["--sols", "-3"], "sols"), (["--sols", "999999"], "2000"),
     (["--resume", "nope"], "nope"), (["--db", "postgresql+psycopg://u@127.0.0.1:9/x"], "x")],
)  # fmt: skip
def test_bad_options_and_unreachable_databases_are_one_line(tmp_path, args, needle):
    result = runner.invoke(app, ["mission", "--runs-dir", str(tmp_path), *args])
    _one_line_error(result, needle)


def test_a_read_only_database_is_one_line_and_unchanged(tmp_path):
    path = tmp_path / "ro.db"
    open_store(path).close()
    path.chmod(0o444)
    before = path.read_bytes()
    result = runner.invoke(
        app,
        [
            "mission",
            "--imaging",
            "off",
            "--sols",
            "3",
            "--db",
            str(path),
            "--runs-dir",
            str(tmp_path),
        ],
    )
    _one_line_error(result, "read-only")
    assert path.read_bytes() == before


def test_a_database_of_another_schema_version_is_refused(tmp_path):
    path = tmp_path / "old.db"
    open_store(path).close()
    with sqlite3.connect(path) as con:
        con.execute("UPDATE schema_version SET version = 1")
    result = runner.invoke(
        app,
        [
            "mission",
            "--imaging",
            "off",
            "--sols",
            "3",
            "--db",
            str(path),
            "--runs-dir",
            str(tmp_path),
        ],
    )
    _one_line_error(result, "schema")


def test_a_second_writer_on_the_same_run_is_refused(tmp_path):
    run = start_mission(
        "default", sols=3, runs_dir=tmp_path, run_id="busy", imaging="off"
    )  # holds the lease
    assert run.store.last_committed_sol("busy") is None
    env = os.environ | {"PERSEVERANCE_CACHE": str(tmp_path / "cache")}
    proc = subprocess.run(
        [sys.executable, "-m", "perseverance.cli", "mission", "--resume", "busy",
         "--runs-dir", str(tmp_path)],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip().splitlines()[-1].startswith("error:")
    assert "Traceback" not in proc.stderr
    assert run.store.last_committed_sol("busy") is None


def test_samples_commands_read_a_flown_run(tmp_path, monkeypatch):
    monkeypatch.setenv("PERSEVERANCE_CACHE", str(tmp_path / "cache"))
    runs = Path(tmp_path)
    ok = runner.invoke(
        app, ["mission", "--imaging", "off", "--sols", "125", "--runs-dir", str(runs), "-q"]
    )
    assert ok.exit_code == 0, ok.output
    listed = runner.invoke(app, ["samples", "list", "--runs-dir", str(runs), "--json"])
    assert listed.exit_code == 0 and "Witness 1" in listed.output
    shown = runner.invoke(app, ["samples", "show", "Witness 1", "--runs-dir", str(runs)])
    assert shown.exit_code == 0 and "sealed" in shown.output


def test_a_negative_seed_is_refused_before_anything_is_written(tmp_path):
    runs = tmp_path / "runs"
    result = runner.invoke(app, ["mission", "--seed", "-1", "--runs-dir", str(runs)])
    _one_line_error(result, "--seed")
    assert not runs.exists()


def test_resume_takes_no_new_settings(tmp_path):
    result = runner.invoke(app, ["mission", "--resume", "r", "--seed", "3"])
    _one_line_error(result, "--resume continues a run as it was started")


def test_resume_refuses_a_scenario_that_changed_since_the_start(tmp_path, monkeypatch):
    from importlib import resources

    scenario = tmp_path / "mine.toml"
    text = resources.files("perseverance.data.scenarios").joinpath("default.toml").read_text()
    scenario.write_text(text)
    run = start_mission(str(scenario), sols=3, runs_dir=tmp_path, run_id="edit", imaging="off")
    run.store.release("edit")
    scenario.write_text(text.replace("duration_s = 1800", "duration_s = 1700", 1))
    monkeypatch.chdir(tmp_path.parent)  # the stored path is absolute: any folder will do
    result = runner.invoke(app, ["mission", "--resume", "edit", "--runs-dir", str(tmp_path)])
    _one_line_error(result, "changed since the run started")
    assert run.store.last_committed_sol("edit") is None


def _cli(*args: str) -> subprocess.CompletedProcess:
    """The installed command in a subprocess (usage errors are formatted by its `main`)."""
    return subprocess.run(
        [sys.executable, "-m", "perseverance.cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--sols", "abc"], "Invalid value for '--sols'"),
        (["--run-id", ""], "--run-id ''"),
        (["--run-id", "a\x01b"], "printable characters"),
        (["--run-id", "x" * 65], "at most 64"),
        (["--no-such-option"], "No such option"),
        (["--imaging", "most"], "--imaging 'most': not a mode (allowed: default, full, off)"),
    ],
)
def test_usage_errors_and_bad_run_ids_are_one_line_exit_2(tmp_path, args, needle):
    runs = tmp_path / "runs"
    proc = _cli("mission", "--runs-dir", str(runs), *args)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), proc.stderr
    assert needle in lines[0]
    assert not runs.exists()


def _scenario_naming(tmp_path: Path, vehicle: str, site: str = "jezero") -> Path:
    from importlib import resources

    text = resources.files("perseverance.data.scenarios").joinpath("default.toml").read_text()
    old = 'vehicle = "m2020"'
    assert old in text and 'site = "jezero"' in text
    path = tmp_path / "named.toml"
    path.write_text(text.replace(old, f'vehicle = "{vehicle}"', 1).replace(
        'site = "jezero"', f'site = "{site}"', 1))  # fmt: skip
    return path


def test_a_scenario_naming_a_bad_vehicle_or_site_writes_nothing(tmp_path):
    bad_vehicle = tmp_path / "v.toml"
    bad_vehicle.write_text('name = "broken"\n')
    bad_site = tmp_path / "s.toml"
    bad_site.write_text("this is not toml\n")
    runs = tmp_path / "runs"
    for vehicle, site, needle in [
        (str(bad_vehicle), "jezero", "aeroshell is missing"),
        ("m2020", str(bad_site), "not a valid TOML file"),
    ]:
        scenario = _scenario_naming(tmp_path, vehicle, site)
        result = runner.invoke(
            app, ["mission", "--scenario", str(scenario), "--runs-dir", str(runs)]
        )
        _one_line_error(result, needle)
        assert not runs.exists()


def test_a_run_folder_belongs_to_one_run(tmp_path, monkeypatch):
    monkeypatch.setenv("PERSEVERANCE_CACHE", str(tmp_path / "cache"))
    runs = tmp_path / "runs"
    first = runner.invoke(
        app,
        [
            "mission",
            "--imaging",
            "off",
            "--sols",
            "1",
            "--runs-dir",
            str(runs),
            "--run-id",
            "k",
            "-q",
        ],
    )
    assert first.exit_code == 0, first.output
    before = {p: p.stat().st_mtime_ns for p in (runs / "k").rglob("*") if p.is_file()}
    other = f"sqlite:///{tmp_path / 'other.db'}"
    second = runner.invoke(
        app,
        [
            "mission",
            "--imaging",
            "off",
            "--sols",
            "1",
            "--runs-dir",
            str(runs),
            "--run-id",
            "k",
            "--db",
            other,
        ],
    )
    _one_line_error(second, "k")
    assert {p: p.stat().st_mtime_ns for p in (runs / "k").rglob("*") if p.is_file()} == before
    again = runner.invoke(app, ["mission", "--resume", "k", "--runs-dir", str(runs)])
    assert again.exit_code == 0, again.output
    assert "already complete" in again.output


def test_a_failed_landing_ends_the_run_as_failed_and_resume_says_so(tmp_path, monkeypatch):
    import perseverance.mission.runner as mission_runner
    from perseverance.edl.status import Status

    real_fly = mission_runner.fly_edl

    def crash(*args, **kwargs):
        result = real_fly(*args, **kwargs)
        result.flight.status[result.run] = int(Status.FUEL_EXHAUSTED)
        return result

    monkeypatch.setattr(mission_runner, "fly_edl", crash)
    monkeypatch.setenv("PERSEVERANCE_CACHE", str(tmp_path / "cache"))
    runs = tmp_path / "runs"
    result = runner.invoke(
        app,
        ["mission", "--imaging", "off", "--sols", "1", "--runs-dir", str(runs), "--run-id", "f"],
    )
    assert result.exit_code == 1, result.output
    assert "the landing failed" in result.output
    store = open_store(runs / "f" / "mission.db", create=False)
    try:
        assert store.run("f").status == "failed"
        assert store.last_committed_sol("f") is None
    finally:
        store.close()
    resumed = runner.invoke(app, ["mission", "--resume", "f", "--runs-dir", str(runs)])
    _one_line_error(resumed, "run f failed (the landing failed", "cannot be resumed")


def test_a_conjunction_off_the_ephemeris_is_refused_before_anything_is_written(tmp_path):
    from importlib import resources

    text = resources.files("perseverance.data.scenarios").joinpath("default.toml").read_text()
    head, tail = text.split("[conjunction]", 1)
    old = "first_sol = 217\nlast_sol = 235"
    assert old in tail
    scenario = tmp_path / "shifted.toml"
    scenario.write_text(
        head + "[conjunction]" + tail.replace(old, "first_sol = 220\nlast_sol = 235", 1)
    )
    runs = tmp_path / "runs"
    result = runner.invoke(app, ["mission", "--scenario", str(scenario), "--runs-dir", str(runs)])
    _one_line_error(result, "conjunction sols 220-235 differ from the ephemeris 217-234")
    assert not runs.exists()
