"""The pinhole camera: projection by hand, back-projection round trips, rays, behind."""

from __future__ import annotations

import math

import numpy as np
import pytest

from perseverance.imaging.camera_model import (
    CameraPose,
    PinholeCamera,
    back_project,
    project,
    rays,
)
from perseverance.imaging.cameras import load_cameras

#: A camera at the origin looking north (+z north), +x east, +y down.
NORTH = CameraPose(
    position=np.zeros(3),
    rotation=np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]]),
)


def _camera(k1: float = 0.0, k2: float = 0.0) -> PinholeCamera:
    return PinholeCamera(
        width_px=640, height_px=480, focal_x_px=500.0, focal_y_px=500.0, k1=k1, k2=k2
    )


def test_a_point_on_the_boresight_lands_on_the_principal_point():
    u, v, in_front = project(_camera(), NORTH, np.array([[0.0, 37.0, 0.0]]))
    assert (u[0], v[0], in_front[0]) == (320.0, 240.0, True)


@pytest.mark.parametrize("theta_deg", [5.0, 20.0, 40.0])
def test_a_point_off_axis_lands_f_tan_theta_from_the_centre(theta_deg):
    theta = math.radians(theta_deg)
    east_of_axis = np.array([[10.0 * math.sin(theta), 10.0 * math.cos(theta), 0.0]])
    above_axis = np.array([[0.0, 10.0 * math.cos(theta), 10.0 * math.sin(theta)]])
    u, v, _ = project(_camera(), NORTH, east_of_axis)
    assert u[0] == pytest.approx(320.0 + 500.0 * math.tan(theta), abs=1e-9)
    assert v[0] == pytest.approx(240.0, abs=1e-9)
    u, v, _ = project(_camera(), NORTH, above_axis)
    assert v[0] == pytest.approx(240.0 - 500.0 * math.tan(theta), abs=1e-9)  # up is -v


def test_radial_distortion_by_hand():
    camera = _camera(k1=-0.1, k2=0.01)
    x = math.tan(math.radians(30.0))
    u, _, _ = project(camera, NORTH, np.array([[x, 1.0, 0.0]]))
    assert u[0] == pytest.approx(320.0 + 500.0 * x * (1 - 0.1 * x**2 + 0.01 * x**4), abs=1e-9)


@pytest.mark.parametrize("k1, k2", [(0.0, 0.0), (-0.08, 0.004), (0.05, 0.01)])
def test_back_projection_round_trips_over_the_image(k1, k2):
    camera = _camera(k1, k2)
    u, v = np.meshgrid(np.linspace(0.0, 640.0, 33), np.linspace(0.0, 480.0, 25))
    directions = back_project(camera, u.ravel(), v.ravel(), NORTH)
    assert directions.shape == (u.size, 3)
    assert np.allclose(np.linalg.norm(directions, axis=1), 1.0)
    u2, v2, in_front = project(camera, NORTH, 50.0 * directions)
    assert in_front.all()
    assert np.max(np.abs(u2 - u.ravel())) < 1e-6
    assert np.max(np.abs(v2 - v.ravel())) < 1e-6


def test_points_behind_the_camera_are_flagged():
    points = np.array([[0.0, 10.0, 0.0], [0.0, -10.0, 0.0], [3.0, 0.0, 1.0], [1.0, 1e-3, 0.0]])
    u, v, in_front = project(_camera(), NORTH, points)
    assert in_front.tolist() == [True, False, False, True]
    assert np.isnan(u[1:3]).all() and np.isnan(v[1:3]).all()


def test_rays_cover_every_pixel_at_any_sampling():
    camera = PinholeCamera.from_catalogue(load_cameras().camera("navcam_left"))
    origins, directions = rays(camera, NORTH, 96, 72)
    assert origins.shape == directions.shape == (72, 96, 3)
    assert np.array_equal(origins[5, 7], NORTH.position)
    # The edge rays span the published 96° horizontal field (pixel centres: just inside).
    left, right = directions[36, 0], directions[36, -1]
    across = math.degrees(math.acos(float(np.dot(left, right))))
    assert 94.0 < across < 96.0
    u, v, _ = project(camera.resized(96, 72), NORTH, directions[10:12, 20:23].reshape(-1, 3))
    assert np.allclose(u, [20.5, 21.5, 22.5] * 2) and np.allclose(v, [10.5] * 3 + [11.5] * 3)


def test_the_zoom_sets_the_focal_length_from_the_pixel_pitch():
    mastcam = load_cameras().camera("mastcam_z_left")
    wide = PinholeCamera.from_catalogue(mastcam, focal_length_mm=26.0)
    long = PinholeCamera.from_catalogue(mastcam, focal_length_mm=110.0)
    assert 1e6 / wide.focal_x_px == pytest.approx(283.0, rel=0.01)  # µrad/px, Bell et al.
    assert 1e6 / long.focal_x_px == pytest.approx(67.4, rel=0.01)
    with pytest.raises(ValueError, match="outside mastcam_z_left's zoom range"):
        PinholeCamera.from_catalogue(mastcam, focal_length_mm=200.0)


def test_a_distortion_that_folds_the_image_is_refused():
    with pytest.raises(ValueError, match="folds back inside the image"):
        _camera(k1=-0.5)  # r (1 - 0.5 r^2) peaks at 0.54, short of the corner at 0.8
