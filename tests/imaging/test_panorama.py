"""Stitching: a marker at a known bearing and elevation lands on the mosaic pixel the
angles give by hand (column = bearing / pixel angle - 1/2, ±1 px)."""

from __future__ import annotations

import io
import math

import numpy as np
import pytest
from PIL import Image

from perseverance.imaging.camera_model import PinholeCamera, rays
from perseverance.imaging.cameras import load_cameras
from perseverance.imaging.mounts import VehiclePose, camera_pose
from perseverance.imaging.panorama import AXIS_STRIP_PX, PanoramaFrame, labelled_png, stitch

MARKER_BEARING_DEG = 123.4
MARKER_ELEVATION_DEG = -7.0
MARKER_WIDTH_DEG = 1.5


def _world(directions: np.ndarray) -> np.ndarray:
    """A synthetic world seen along unit ENU ``directions``: a bright spot (a Gaussian of
    `MARKER_WIDTH_DEG`) at the marker's bearing and elevation on a dim background."""
    bearing = np.degrees(np.arctan2(directions[..., 0], directions[..., 1])) % 360.0
    elevation = np.degrees(np.arcsin(np.clip(directions[..., 2], -1, 1)))
    db = (bearing - MARKER_BEARING_DEG + 180.0) % 360.0 - 180.0
    de = elevation - MARKER_ELEVATION_DEG
    spot = np.exp(-(db**2 + de**2) / (2 * MARKER_WIDTH_DEG**2))
    return np.stack([0.1 + 0.9 * spot, 0.1 + 0.0 * spot, 0.2 + 0.0 * spot], axis=-1)


def _frames(n: int = 6, width: int = 160, heading_deg: float = 20.0) -> list[PanoramaFrame]:
    catalogue = load_cameras()
    model = PinholeCamera.from_catalogue(catalogue.cameras["navcam_left"])
    height = round(width * model.height_px / model.width_px)
    rover = VehiclePose(0.0, 0.0, 0.0, heading_rad=math.radians(heading_deg))
    out = []
    for k in range(n):
        pan = math.radians(k * 360.0 / n)
        pose = camera_pose(catalogue, "navcam_left", rover, pan_rad=pan, tilt_rad=-0.1)
        _, directions = rays(model, pose, width, height)
        out.append(PanoramaFrame(_world(directions), model.resized(width, height), pose))
    return out


@pytest.fixture(scope="module")
def mosaic():
    return stitch(_frames(), deg_per_px=0.5, elevation_range_deg=(-30.0, 20.0))


def test_a_marker_shows_at_the_column_its_bearing_gives(mosaic):
    hand_column = MARKER_BEARING_DEG / 0.5 - 0.5  # the mosaic starts at north
    hand_row = (20.0 - MARKER_ELEVATION_DEG) / 0.5 - 0.5
    red = mosaic.image[..., 0]
    row, column = np.unravel_index(np.argmax(red), red.shape)
    assert abs(column - hand_column) <= 1.0
    assert abs(row - hand_row) <= 1.0
    assert mosaic.column_of(MARKER_BEARING_DEG) == pytest.approx(hand_column)
    assert mosaic.row_of(MARKER_ELEVATION_DEG) == pytest.approx(hand_row)


def test_the_mosaic_spans_360_degrees_and_every_pixel_is_seen(mosaic):
    assert mosaic.width_px == 720  # 360 deg at 0.5 deg/px
    assert mosaic.coverage.all()  # six 96-deg frames 60 deg apart leave no gap
    assert mosaic.bearings_deg()[0] == pytest.approx(0.25)
    # away from the marker the world's background comes back unchanged
    assert mosaic.image[0, 0] == pytest.approx([0.1, 0.1, 0.2], abs=1e-6)


def test_a_mosaic_from_another_start_bearing_puts_the_marker_where_it_says():
    m = stitch(_frames(), deg_per_px=0.5, start_bearing_deg=100.0, span_deg=60.0)
    assert m.width_px == 120
    column = int(np.argmax(m.image[..., 0].max(axis=0)))
    assert abs(column - (MARKER_BEARING_DEG - 100.0) / 0.5 + 0.5) <= 1.0


def test_the_labelled_png_has_a_bearing_axis_under_the_mosaic(mosaic):
    with Image.open(io.BytesIO(labelled_png(mosaic))) as png:
        assert png.size == (mosaic.width_px, mosaic.height_px + AXIS_STRIP_PX)
        strip = np.asarray(png.convert("L"))[mosaic.height_px :]
    east = round(mosaic.column_of(90.0) + 0.5)
    assert strip[:8, east].max() > 200  # the E tick
    assert strip[:4, east + 7].max() < 60  # and no tick beside it


def test_trimming_drops_the_rows_the_frames_do_not_cover():
    m = stitch(_frames(), deg_per_px=0.5)
    assert m.coverage.mean(axis=1).min() >= 0.995
    untrimmed = stitch(_frames(), deg_per_px=0.5, trim=False)
    assert untrimmed.height_px >= m.height_px


def test_no_frames_is_an_error():
    with pytest.raises(ValueError, match="at least one frame"):
        stitch([])
