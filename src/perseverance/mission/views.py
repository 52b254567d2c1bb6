"""What a rover camera sees from where the traverse left it: the one place frames are rendered.

Shared by `perseverance image` (`mission.snapshot`) and the mission's own imaging
(`mission.imaging`): the rover's place and heading from its traverse, the scene a
camera looks at, a camera posed on the rover (pan/tilt for the mast), and one frame
rendered and turned into camera data (colour or mono at the camera's bit depth).

Frames: positions are metres east/north of the landing site (the site frame), the
ground height from the landing region; azimuths are clockwise from north, elevations
up from the horizon [rad inside, deg at the edges]. The heading is the direction of the
last traverse segment longer than `HEADING_MIN_STEP_M` (north before any drive: the
landing heading is not recorded, an estimate).

The scene is the landing region with its rocks, the Jezero far field (the crater rim
and the western fan on the horizon: `terrain.far_field`) and the rover's own shapes
(`imaging.hardware`: the wheels in the Hazcam frames, the deck under the mast), built
by `imaging.scene.site_scene`. The shapes roughly double a frame's cost, so the mission's
imaging leaves them out of mast frames that look no lower than
`ROVER_IN_VIEW_BELOW_DEG` (`sees_rover`), which cannot see the rover.

What this leaves out: the rover's pitch and roll on slopes (the body is level).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from perseverance.imaging.camera_model import CameraPose, PinholeCamera, rays
from perseverance.imaging.cameras import CameraCatalogue
from perseverance.imaging.hardware import rover_shapes
from perseverance.imaging.mounts import VehiclePose, camera_pose
from perseverance.imaging.render import DEFAULT_TAU, render, to_mono
from perseverance.imaging.scene import Scene, site_scene
from perseverance.imaging.shapes import Group
from perseverance.terrain.far_field import FarField
from perseverance.terrain.landing_region import LandingRegion

__all__ = [
    "HEADING_MIN_STEP_M",
    "ROVER_IN_VIEW_BELOW_DEG",
    "RenderedView",
    "heading_of",
    "render_view",
    "rover_pose",
    "scene_of",
    "sees_rover",
    "terrain_scene",
    "with_rover",
]

Array = NDArray[np.float64]

#: A mast frame whose lowest ray looks higher than this misses the rover [deg] (E: the
#: highest part of the rover a mast camera can look down on is the MMRTG's top, 1.6 m
#: up and about 1.7 m behind the 2 m mast head (`imaging.hardware`): atan(0.4 / 1.7) =
#: 13 deg down; a margin of 3 deg).
ROVER_IN_VIEW_BELOW_DEG = -10.0
#: The shortest traverse step that sets the heading [m] (shorter ones are turns in place
#: or noise).
HEADING_MIN_STEP_M = 0.01


def heading_of(points: Sequence[tuple[float, float]]) -> float:
    """Heading [rad, clockwise from north, 0..2 pi] along the last step of ``points``
    (east, north [m]) longer than `HEADING_MIN_STEP_M`; 0 (north) if there is none."""
    if not points:
        return 0.0
    east, north = points[-1]
    for e, n in reversed(points[:-1]):
        if math.hypot(east - e, north - n) > HEADING_MIN_STEP_M:
            return math.atan2(east - e, north - n) % (2 * math.pi)
    return 0.0


def rover_pose(
    region: LandingRegion, east_m: float, north_m: float, heading_rad: float
) -> VehiclePose:
    """The rover standing level on the ground of ``region`` at (east, north) [m]."""
    ground = float(region.elevation(east_m, north_m))
    return VehiclePose(east_m, north_m, ground, heading_rad=heading_rad)


def scene_of(region: LandingRegion, rover: VehiclePose | None = None) -> Scene:
    """What a surface camera looks at: the landing region, the crater's far field and,
    given ``rover``, the rover's shapes there."""
    return site_scene(region, FarField.generate(region.site, region), rover=rover)


def terrain_scene(region: LandingRegion) -> Scene:
    """`scene_of` without the rover: the ground alone (build once, add the rover with
    `with_rover`)."""
    return scene_of(region)


def with_rover(terrain: Scene, rover: VehiclePose) -> Scene:
    """``terrain`` with the rover's shapes at ``rover`` (the fields shared, not rebuilt;
    the rover first, as `site_scene` puts it)."""
    return terrain.with_shapes([Group.of(rover_shapes(rover)), *terrain.shapes], terrain.dust)


def sees_rover(catalogue: CameraCatalogue, camera: str, tilt_rad: float) -> bool:
    """Whether ``camera`` tilted ``tilt_rad`` may see the rover: every camera not on the
    mast, and mast frames whose lowest ray is below `ROVER_IN_VIEW_BELOW_DEG`."""
    if catalogue.mount_of(camera).kind != "pan_tilt":
        return True
    spec = catalogue.cameras[camera]
    model = PinholeCamera.from_catalogue(spec)
    half_deg = math.degrees(math.atan(model.height_px / 2 / model.focal_y_px))
    boresight_deg = math.degrees(tilt_rad) + catalogue.mount_of(camera).elevation_deg
    return boresight_deg + spec.elevation_deg - half_deg < ROVER_IN_VIEW_BELOW_DEG


@dataclass(frozen=True)
class RenderedView:
    """One rendered frame: ``image`` linear [0, 1], (H, W) mono or (H, W, 3) colour, at
    ``bit_depth``; ``ground_fraction`` of the pixels that met the ground."""

    image: Array
    bit_depth: int
    pose: CameraPose
    model: PinholeCamera
    ground_fraction: float


def render_view(
    catalogue: CameraCatalogue,
    camera: str,
    scene: Scene,
    rover: VehiclePose,
    sun_enu: Array,
    *,
    width_px: int,
    height_px: int,
    pan_rad: float = 0.0,
    tilt_rad: float = 0.0,
    tau: float = DEFAULT_TAU,
) -> RenderedView:
    """Render ``camera`` on ``rover`` (panned/tilted if it is on the mast) into ``scene``
    lit by the Sun at ``sun_enu`` through dust of optical depth ``tau``, at ``width_px`` x
    ``height_px`` (same field of view)."""
    spec = catalogue.cameras[camera]
    model = PinholeCamera.from_catalogue(spec)
    pose = camera_pose(catalogue, camera, rover, pan_rad=pan_rad, tilt_rad=tilt_rad)
    origins, directions = rays(model, pose, width_px, height_px)
    frame = render(scene, origins, directions, sun_enu, tau=tau, shape=(height_px, width_px))
    colour = spec.colour == "bayer"
    return RenderedView(
        image=frame.rgb if colour else to_mono(frame.rgb),
        bit_depth=8 if colour else min(spec.bit_depth, 16),
        pose=pose,
        model=model.resized(width_px, height_px),
        ground_fraction=float(np.mean(frame.hit)),
    )
