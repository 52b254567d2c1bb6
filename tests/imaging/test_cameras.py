"""The camera catalogue: 25 cameras in the published groups, and bad files as one line."""

from __future__ import annotations

from collections import Counter
from importlib import resources
from pathlib import Path

import pytest

from perseverance.errors import ConfigError
from perseverance.imaging.cameras import FOV_IFOV_TOLERANCE, load_cameras

PACKAGE = "perseverance.data.instruments"


def _edited(tmp_path: Path, old: str, new: str) -> str:
    text = resources.files(PACKAGE).joinpath("cameras.toml").read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "cameras.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return str(path)


def _message(path: str) -> str:
    with pytest.raises(ConfigError) as info:
        load_cameras(path)
    message = str(info.value)
    assert message and "\n" not in message
    return message


def test_the_catalogue_has_the_25_cameras_in_the_published_counts():
    """docs/reference/instruments.md §7a: 23 on the spacecraft (19 on the rover, 3 PUC
    on the backshell, the DDC on the descent stage) and Ingenuity's 2."""
    catalogue = load_cameras()
    cameras = catalogue.cameras
    assert len(cameras) == 25
    groups = Counter(c.group for c in cameras.values())
    assert groups == {
        "navcam": 2, "hazcam": 6, "cachecam": 1, "mastcam_z": 2, "supercam_rmi": 1,
        "watson": 1, "aci": 1, "pixl_mcc": 1, "skycam": 1, "puc": 3, "ddc": 1, "ruc": 1,
        "rdc": 1, "lcam": 1, "ingenuity_nav": 1, "ingenuity_rte": 1,
    }  # fmt: skip
    vehicles = Counter(catalogue.mount_of(name).vehicle for name in cameras)
    assert vehicles == {"rover": 19, "backshell": 3, "descent_stage": 1, "helicopter": 2}


def test_published_figures_are_carried():
    catalogue = load_cameras()
    navcam = catalogue.camera("navcam_left")
    assert (navcam.width_px, navcam.height_px) == (5120, 3840)
    assert (navcam.horizontal_fov_deg, navcam.vertical_fov_deg, navcam.ifov_urad) == (
        96.0, 73.0, 330.0
    )  # fmt: skip
    mastcam = catalogue.camera("mastcam_z_right")
    assert mastcam.bit_depth == 11 and mastcam.zoom is not None
    assert mastcam.zoom.focal_length_mm == (26.0, 110.0)
    assert catalogue.camera("lcam").colour == "mono"
    assert catalogue.camera("ingenuity_nav").frame_rate_hz == 10.0
    assert catalogue.mount_of("navcam_left").kind == "pan_tilt"


def test_every_estimate_is_listed_and_every_camera_cites_a_source():
    for camera in load_cameras().cameras.values():
        assert "docs/reference/" in camera.source
        assert set(camera.estimated) <= set(type(camera).model_fields)
    assert "bit_depth" in load_cameras().camera("puc_a").estimated


def test_a_negative_field_of_view_is_one_line(tmp_path):
    path = _edited(tmp_path, "horizontal_fov_deg = 96.0", "horizontal_fov_deg = -96.0")
    message = _message(path)
    assert "cameras.navcam_left.horizontal_fov_deg = -96 is out of range" in message
    assert "(0..180, excluding 0 and 180)" in message


def test_a_zero_resolution_is_one_line(tmp_path):
    message = _message(_edited(tmp_path, "width_px = 5120", "width_px = 0"))
    assert "cameras.navcam_left.width_px = 0 is out of range (1..100000)" in message


def test_a_mount_below_the_ground_is_one_line(tmp_path):
    message = _message(_edited(tmp_path, "up_m = 0.6 ", "up_m = -0.6 "))
    assert "mounts.rover_belly.up_m = -0.6 is out of range (0..10)" in message


def test_an_unknown_mount_is_one_line(tmp_path):
    message = _message(_edited(tmp_path, 'mount = "mast_head"', 'mount = "mast_top"'))
    assert "cameras.navcam_left.mount = 'mast_top' is not a known mount (allowed: mast_head," in (
        message
    )


def test_a_field_of_view_that_disagrees_with_the_pixel_scale_is_one_line(tmp_path):
    message = _message(_edited(tmp_path, "ifov_urad = 330.0", "ifov_urad = 300.0"))
    assert "horizontal_fov_deg = 96 disagrees with 5120 px x ifov_urad 300" in message
    assert f"within {FOV_IFOV_TOLERANCE:.0%}" in message


def test_a_wrong_count_is_one_line(tmp_path):
    message = _message(_edited(tmp_path, "hazcam = 6", "hazcam = 5"))
    assert "groups.hazcam: 6 cameras, published 5" in message
    message = _message(_edited(tmp_path, "total = 25 ", "total = 24 "))
    assert "counts.total = 24 but the file has 25" in message


def test_a_duplicate_camera_is_one_line(tmp_path):
    path = _edited(tmp_path, "[cameras.navcam_right]", "[cameras.navcam_left]")
    assert "not a valid TOML file" in _message(path)


def test_an_unknown_field_is_one_line(tmp_path):
    message = _message(_edited(tmp_path, "bit_depth = 11", "bit_depth = 11\nbits = 11"))
    assert "cameras.mastcam_z_left.bits is not a known field" in message


def test_camera_names_fit_the_products_table():
    from perseverance.imaging.cameras import CAMERA_NAME_MAX
    from perseverance.store.schema import CAMERA_NAME_LENGTH

    assert CAMERA_NAME_MAX == CAMERA_NAME_LENGTH
