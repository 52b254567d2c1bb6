"""Mounts: camera poses from a rover pose, and a marker seen where the geometry says."""

from __future__ import annotations

import math

import numpy as np
import pytest

from perseverance.imaging.camera_model import PinholeCamera, project
from perseverance.imaging.cameras import load_cameras
from perseverance.imaging.mounts import TurretPose, VehiclePose, camera_pose

ROVER = VehiclePose(east_m=120.0, north_m=-40.0, up_m=3.0, heading_rad=math.radians(30.0))


def _unit(bearing: float, elevation: float) -> np.ndarray:
    return np.array(
        [
            math.cos(elevation) * math.sin(bearing),
            math.cos(elevation) * math.cos(bearing),
            math.sin(elevation),
        ]
    )


@pytest.mark.parametrize(
    "pan_deg, tilt_deg, bearing_off_deg, elevation_deg",
    [(0.0, 0.0, 0.0, 0.0), (40.0, -15.0, 10.0, -5.0), (-120.0, 20.0, -25.0, 30.0)],
)
def test_a_marker_at_a_known_bearing_lands_on_the_predicted_pixel(
    pan_deg, tilt_deg, bearing_off_deg, elevation_deg
):
    catalogue = load_cameras()
    pan, tilt = math.radians(pan_deg), math.radians(tilt_deg)
    pose = camera_pose(catalogue, "navcam_left", ROVER, pan_rad=pan, tilt_rad=tilt)
    camera = PinholeCamera.from_catalogue(catalogue.camera("navcam_left"))
    # Bearing (clockwise from north) and elevation of the marker seen from the camera.
    alpha = math.radians(bearing_off_deg)  # from the boresight's bearing
    bearing = ROVER.heading_rad + pan + alpha
    elevation = math.radians(elevation_deg)
    marker = pose.position + 25.0 * _unit(bearing, elevation)
    u, v, in_front = project(camera, pose, marker[None, :])
    # By hand: in the camera's level-then-tilted frame the marker is at
    # forward = cos e cos a cos t + sin e sin t, right = cos e sin a,
    # up = -cos e cos a sin t + sin e cos t.
    forward = math.cos(elevation) * math.cos(alpha) * math.cos(tilt) + math.sin(
        elevation
    ) * math.sin(tilt)
    right = math.cos(elevation) * math.sin(alpha)
    up = -math.cos(elevation) * math.cos(alpha) * math.sin(tilt) + math.sin(elevation) * math.cos(
        tilt
    )
    f = camera.focal_x_px
    assert in_front[0]
    assert u[0] == pytest.approx(camera.width_px / 2 + f * right / forward, abs=1.0)
    assert v[0] == pytest.approx(camera.height_px / 2 - f * up / forward, abs=1.0)


def test_the_mast_camera_is_about_2_m_up_and_looks_along_the_heading():
    pose = camera_pose(load_cameras(), "navcam_right", ROVER)
    assert pose.position[2] - ROVER.up_m == pytest.approx(1.95, abs=0.01)
    assert np.allclose(pose.boresight, _unit(ROVER.heading_rad, 0.0))
    assert np.allclose(pose.rotation.T @ pose.rotation, np.eye(3))
    assert np.linalg.det(pose.rotation) == pytest.approx(1.0)


@pytest.mark.parametrize(
    "name, up",
    [("skycam", 1.0), ("ruc", 1.0), ("puc_a", 1.0), ("rdc", -1.0), ("lcam", -1.0), ("ddc", -1.0)],
)
def test_up_and_down_looking_mounts(name, up):
    assert camera_pose(load_cameras(), name, ROVER).boresight[2] == pytest.approx(up)


def test_hazcams_look_forward_and_back_and_down():
    catalogue = load_cameras()
    front = camera_pose(catalogue, "hazcam_front_left_a", ROVER).boresight
    rear = camera_pose(catalogue, "hazcam_rear_left", ROVER).boresight
    ahead = _unit(ROVER.heading_rad, 0.0)
    assert front @ ahead > 0.5 and rear @ ahead < -0.5
    assert front[2] < 0 and rear[2] < 0


def test_a_tilted_rover_tilts_its_cameras():
    nose_up = VehiclePose(0.0, 0.0, 0.0, heading_rad=0.0, pitch_rad=math.radians(10.0))
    pose = camera_pose(load_cameras(), "navcam_left", nose_up)
    assert np.allclose(pose.boresight, _unit(0.0, math.radians(10.0)))
    right_down = VehiclePose(0.0, 0.0, 0.0, roll_rad=math.radians(10.0))
    skycam = camera_pose(load_cameras(), "skycam", right_down).boresight
    assert skycam[0] == pytest.approx(
        math.sin(math.radians(10.0))
    )  # leans to the lowered (right, east) side


def test_the_arm_turret_takes_a_given_pose():
    catalogue = load_cameras()
    turret = TurretPose(forward_m=2.0, left_m=0.0, up_m=0.5, elevation_rad=-math.pi / 2)
    pose = camera_pose(catalogue, "pixl_mcc", VehiclePose(0.0, 0.0, 0.0), turret=turret)
    assert np.allclose(pose.boresight, [0.0, 0.0, -1.0])
    # PIXL MCC sits 5 cm "up" in the down-looking turret's frame: 5 cm forward.
    assert np.allclose(pose.position, [0.0, 2.05, 0.5])
    with pytest.raises(ValueError, match="does not pan or tilt"):
        camera_pose(catalogue, "hazcam_rear_left", ROVER, pan_rad=0.1)
    with pytest.raises(ValueError, match="not the arm turret"):
        camera_pose(catalogue, "navcam_left", ROVER, turret=turret)
