"""Camera mounts: a camera's pose in the site frame from the pose of the vehicle it rides.

A vehicle (rover, backshell, descent stage, helicopter) has a body frame: x forward,
y left, z up [m], its origin given by `VehiclePose` in the site's east-north-up frame,
turned by a heading (clockwise from north), then a pitch (nose up) and a roll (right side
down) [rad]. A mount (``data/instruments/cameras.toml``, `imaging.cameras.Mount`) sits
at a point of the body frame and points at an azimuth (clockwise from forward) and an
elevation (up from the deck plane); its pointed frame has x along the pointing. A
``pan_tilt`` mount (the mast head) adds a pan and a tilt; an ``arm`` mount (the turret)
takes a `TurretPose`. A camera sits at its ``offset_m`` in the pointed frame and turns
by its own azimuth and elevation; its frame is that of `imaging.camera_model`.

Example
-------
>>> from perseverance.imaging.cameras import load_cameras
>>> rover = VehiclePose(east_m=0.0, north_m=0.0, up_m=0.0, heading_rad=0.0)
>>> pose = camera_pose(load_cameras(), "navcam_left", rover)
>>> [round(float(c), 2) for c in pose.boresight]   # level, looking north
[0.0, 1.0, 0.0]
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from perseverance.imaging.camera_model import CameraPose
from perseverance.imaging.cameras import CameraCatalogue

__all__ = ["TurretPose", "VehiclePose", "camera_pose", "pointing_rotation"]

Array = NDArray[np.float64]

#: Body axes (x forward, y left, z up) in ENU for a vehicle heading north.
_BODY_AT_NORTH = np.array([[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
#: Camera axes (x right, y down, z boresight) in a pointed frame (x forward, y left, z up).
_CAMERA_IN_POINTED = np.array([[0.0, 0.0, 1.0], [-1.0, 0.0, 0.0], [0.0, -1.0, 0.0]])


@dataclass(frozen=True)
class VehiclePose:
    """A vehicle's body-frame origin in ENU [m] and its attitude [rad]."""

    east_m: float
    north_m: float
    up_m: float
    heading_rad: float = 0.0
    """Clockwise from north (east is pi/2)."""
    pitch_rad: float = 0.0
    """Nose up."""
    roll_rad: float = 0.0
    """Right side down."""

    def rotation(self) -> Array:
        """Body-frame vectors to ENU: (3, 3), columns forward, left, up in ENU."""
        result: Array = (
            _rz(-self.heading_rad) @ _BODY_AT_NORTH @ _ry(-self.pitch_rad) @ _rx(self.roll_rad)
        )
        return result

    @property
    def position(self) -> Array:
        return np.array([self.east_m, self.north_m, self.up_m])


@dataclass(frozen=True)
class TurretPose:
    """The arm turret's place in the rover body frame [m] and its pointing [rad]."""

    forward_m: float
    left_m: float
    up_m: float
    azimuth_rad: float = 0.0
    """Clockwise from the rover's forward axis."""
    elevation_rad: float = -math.pi / 2
    """Up from the deck plane; the default looks straight down."""


def pointing_rotation(azimuth_rad: float, elevation_rad: float) -> Array:
    """Pointed-frame vectors to the frame they point in (3, 3): the pointed x axis is at
    ``azimuth_rad`` clockwise from x and ``elevation_rad`` above the x-y plane."""
    result: Array = _rz(-azimuth_rad) @ _ry(-elevation_rad)
    return result


def camera_pose(
    catalogue: CameraCatalogue,
    name: str,
    vehicle: VehiclePose,
    *,
    pan_rad: float = 0.0,
    tilt_rad: float = 0.0,
    turret: TurretPose | None = None,
) -> CameraPose:
    """The pose of camera ``name`` on ``vehicle`` (the vehicle its mount is on).

    ``pan_rad`` (clockwise) and ``tilt_rad`` (up) turn a ``pan_tilt`` mount; ``turret``
    poses an ``arm`` mount (default: the mount's figures in the catalogue). Either given
    for another kind of mount is a `ValueError`.
    """
    camera = catalogue.camera(name)
    mount = catalogue.mounts[camera.mount]
    if (pan_rad or tilt_rad) and mount.kind != "pan_tilt":
        raise ValueError(f"{name} is on the {camera.mount} mount, which does not pan or tilt")
    if turret is not None and mount.kind != "arm":
        raise ValueError(f"{name} is on the {camera.mount} mount, not the arm turret")
    if turret is not None:
        place = np.array([turret.forward_m, turret.left_m, turret.up_m])
        azimuth, elevation = turret.azimuth_rad, turret.elevation_rad
    else:
        place = np.array([mount.forward_m, mount.left_m, mount.up_m])
        azimuth = math.radians(mount.azimuth_deg) + pan_rad
        elevation = math.radians(mount.elevation_deg) + tilt_rad
    body_from_mount = pointing_rotation(azimuth, elevation)
    mount_from_camera = pointing_rotation(
        math.radians(camera.azimuth_deg), math.radians(camera.elevation_deg)
    )
    world_from_body = vehicle.rotation()
    in_body = place + body_from_mount @ np.asarray(camera.offset_m, np.float64)
    return CameraPose(
        position=vehicle.position + world_from_body @ in_body,
        rotation=world_from_body @ body_from_mount @ mount_from_camera @ _CAMERA_IN_POINTED,
    )


def _rx(angle: float) -> Array:
    c, s = math.cos(angle), math.sin(angle)
    return np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])


def _ry(angle: float) -> Array:
    c, s = math.cos(angle), math.sin(angle)
    return np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])


def _rz(angle: float) -> Array:
    c, s = math.cos(angle), math.sin(angle)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
