"""`perseverance image`: a frame of a run rendered on demand, and every refusal one line."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from perseverance.cli import app
from perseverance.mission.runner import MissionRunner, start_mission

runner = CliRunner()


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory):
    """A four-sol run in ``runs/`` of a folder of its own."""
    home = tmp_path_factory.mktemp("image")
    run = start_mission("default", sols=3, runs_dir=home / "runs", run_id="look", imaging="off")
    MissionRunner(run, cache_dir=home / "cache").fly()
    run.store.close()
    return home


def _image(home, *args: str):
    return runner.invoke(app, ["image", "--runs-dir", str(home / "runs"), *args])


def test_a_navcam_frame_of_the_last_sol(run_folder, tmp_path):
    out = tmp_path / "navcam.png"
    result = _image(run_folder, "--camera", "navcam_left", "--width", "320", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert f"wrote {out}" in result.stdout
    with Image.open(out) as png:
        assert png.size == (320, 240)  # the Navcam's 4:3 format, resampled
    doc = json.loads(
        _image(
            run_folder,
            "--camera",
            "navcam_left",
            "--width",
            "64",
            "--json",
            "--out",
            str(tmp_path / "small.png"),
        ).stdout
    )
    assert doc["run"] == "look" and doc["sol"] == 3 and 0.0 < doc["ground_fraction"] < 1.0
    assert doc["sun_elevation_deg"] > 0  # 14:00 LMST


def test_a_frame_at_night_is_dark(run_folder, tmp_path):
    out = tmp_path / "night.png"
    result = _image(
        run_folder, "--camera", "navcam_left", "--lmst", "02:00", "--width", "64", "--out", str(out)
    )
    assert result.exit_code == 0, result.output
    with Image.open(out) as png:
        assert np.asarray(png).max() == 0


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--camera", "nope"], "--camera 'nope': not a camera"),
        (["--camera", "navcam_left", "--sol", "9"], "--sol 9: outside the run (sols 0..3"),
        (["--camera", "hazcam_front_left_a", "--az", "10"], "does not pan or tilt"),
        (["--camera", "puc_a"], "it is on the backshell, not the rover"),
        (["--camera", "navcam_left", "--lmst", "25:00"], "--lmst '25:00': not a time of sol"),
        (["--camera", "navcam_left", "--el", "120"], "--el 120.0: out of range (-90..90 deg)"),
        (["--camera", "navcam_left", "--width", "0"], "--width 0: out of range (1..8192 px)"),
        (["--camera", "navcam_left", "--run", "missing"], "missing"),
        (
            ["--camera", "navcam_left", "--el", "60", "--width", "32"],
            "would see no ground",
        ),
    ],
)
def test_bad_requests_are_one_line_and_write_nothing(run_folder, tmp_path, args, needle):
    out = tmp_path / "never.png"
    result = _image(run_folder, *args, "--out", str(out))
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and needle in lines[0]
    assert not out.exists()


def test_an_existing_file_is_never_overwritten(run_folder, tmp_path):
    out = tmp_path / "mine.png"
    out.write_text("not ours")
    result = _image(run_folder, "--camera", "navcam_left", "--width", "32", "--out", str(out))
    assert result.exit_code == 2 and "exists" in result.stderr
    assert out.read_text() == "not ours"


def test_raw_writes_the_bayer_mosaic_at_the_camera_bit_depth(run_folder, tmp_path):
    colour, raw = tmp_path / "colour.png", tmp_path / "raw.png"
    args = ["--camera", "mastcam_z_left", "--width", "64", "--lmst", "12:00"]
    assert _image(run_folder, *args, "--out", str(colour)).exit_code == 0
    result = _image(run_folder, *args, "--raw", "--out", str(raw))
    assert result.exit_code == 0, result.output
    with Image.open(colour) as png, Image.open(raw) as mosaic:
        rgb, counts = np.asarray(png), np.asarray(mosaic)
    assert rgb.ndim == 3 and counts.ndim == 2 and counts.dtype == np.uint16
    # 11 bits (Bell et al. 2021) stored in the top bits of 16: the low five are zero.
    assert not (counts.astype(np.int64) & 0b11111).any()
    red = counts[0::2, 0::2].astype(float) / 65535
    assert red == pytest.approx(rgb[0::2, 0::2, 0].astype(float) / 255, abs=0.01)
