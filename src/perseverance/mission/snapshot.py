"""One camera frame rendered on demand from a run's state (`perseverance image`).

The rover stands where the run's traverse left it at the end of the sol (at the
landing point before its first drive), heading along its last drive (north before
one: the landing heading is not recorded, an estimate). The terrain is the run's own
(its site and terrain seed); the Sun is the one at that sol and LMST at the site.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from perseverance.errors import ConfigError
from perseverance.imaging.camera_model import PinholeCamera
from perseverance.imaging.cameras import CameraCatalogue, load_cameras
from perseverance.mars.constants import LMST_HOUR_S
from perseverance.mars.sun import sun_at_site
from perseverance.mars.time import parse_utc
from perseverance.mission.clock import MissionClock
from perseverance.mission.scenario import load_scenario
from perseverance.mission.views import heading_of, render_view, rover_pose, scene_of
from perseverance.store import Store
from perseverance.store.schema import RunRow
from perseverance.terrain.landing_region import LandingRegion
from perseverance.terrain.site import load_site

#: The widest frame rendered by default [px]; larger cameras are resampled to it (the
#: same field of view), a full frame is ``width_px=`` the camera's own.
DEFAULT_MAX_WIDTH_PX = 1280
#: The largest frame side rendered on request [px] (a full 5120 x 3840 Navcam frame fits).
MAX_SIDE_PX = 8192
#: LMST of a frame when none is asked for: early afternoon, when drives end (E).
DEFAULT_LMST = "14:00:00"
_LMST = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")


@dataclass(frozen=True)
class Snapshot:
    """A rendered frame and what it shows: the image is linear [0, 1], (H, W) mono or
    (H, W, 3) colour, at the camera's ``bit_depth``."""

    image: NDArray[np.float64]
    bit_depth: int
    camera: str
    sol: int
    lmst: str
    utc: str
    east_m: float
    north_m: float
    heading_deg: float
    sun_elevation_deg: float
    sun_azimuth_deg: float
    ground_fraction: float

    def metadata(self) -> dict[str, Any]:
        """What the frame shows, as plain data (no image)."""
        return {k: v for k, v in self.__dict__.items() if k != "image"}


def lmst_seconds(text: str) -> float:
    """Seconds from LMST midnight of ``HH:MM[:SS]``; `ConfigError` naming the range."""
    match = _LMST.match(text.strip())
    hours, minutes, seconds = (int(g) if g else 0 for g in match.groups()) if match else (-1, 0, 0)
    if not (0 <= hours < 24 and 0 <= minutes < 60 and 0 <= seconds < 60):
        raise ConfigError(f"--lmst {text!r}: not a time of sol (HH:MM or HH:MM:SS, 00:00..23:59)")
    return (hours + minutes / 60 + seconds / 3600) * LMST_HOUR_S


def _check_angle(name: str, value: float | None, low: float, high: float) -> None:
    if value is not None and not (math.isfinite(value) and low <= value <= high):
        raise ConfigError(f"{name} {value}: out of range ({low:g}..{high:g} deg)")


def _camera(catalogue: CameraCatalogue, name: str) -> PinholeCamera:
    if name not in catalogue.cameras:
        known = ", ".join(sorted(catalogue.cameras))
        raise ConfigError(f"--camera {name!r}: not a camera (known: {known})")
    mount = catalogue.mount_of(name)
    if mount.vehicle != "rover":
        raise ConfigError(
            f"--camera {name}: it is on the {mount.vehicle}, not the rover; "
            "only the rover's cameras image the surface"
        )
    return PinholeCamera.from_catalogue(catalogue.cameras[name])


def _size(camera: PinholeCamera, width_px: int | None) -> tuple[int, int]:
    if width_px is None:
        width_px = min(camera.width_px, DEFAULT_MAX_WIDTH_PX)
    if not 1 <= width_px <= MAX_SIDE_PX:
        raise ConfigError(f"--width {width_px}: out of range (1..{MAX_SIDE_PX} px)")
    height_px = max(1, round(width_px * camera.height_px / camera.width_px))
    return width_px, height_px


def _landing(store: Store, run: RunRow) -> dict[str, Any]:
    """The payload of the run's ``landing`` event (where and when it touched down)."""
    landing = next((e.payload for e in store.events(run.id) if e.name == "landing"), None)
    if not isinstance(landing, dict) or not landing:
        raise ConfigError(f"run {run.id} has not landed: nothing to image")
    return landing


def _rover_place(
    store: Store, run: RunRow, sol: int, landing: dict[str, Any]
) -> tuple[float, float, float]:
    """East, north [m] and heading [rad, clockwise from north] at the end of ``sol``."""
    points = [(t.east_m, t.north_m) for t in store.traverse(run.id) if t.sol <= sol]
    if not points:
        return float(landing["east_m"]), float(landing["north_m"]), 0.0
    east, north = points[-1]
    return float(east), float(north), heading_of(points)


def snapshot(
    store: Store,
    run: RunRow,
    *,
    camera: str,
    sol: int | None = None,
    lmst: str = DEFAULT_LMST,
    azimuth_deg: float | None = None,
    elevation_deg: float | None = None,
    width_px: int | None = None,
) -> Snapshot:
    """Render ``camera``'s frame on ``sol`` (default: the last committed one) at ``lmst``.

    ``azimuth_deg`` (from north, clockwise) and ``elevation_deg`` point a mast camera
    (default: along the rover's heading, level); other cameras look where their mount
    does. Every problem is a one-line `ConfigError` before anything is written (a
    pointing given with ``azimuth_deg``/``elevation_deg`` that sees no ground is one,
    found once the frame is rendered).
    """
    last = store.last_committed_sol(run.id)
    if last is None:
        raise ConfigError(f"run {run.id} has no committed sol yet: nothing to image")
    sol = last if sol is None else sol
    if not 0 <= sol <= last:
        raise ConfigError(f"--sol {sol}: outside the run (sols 0..{last} are committed)")
    _check_angle("--az", azimuth_deg, 0.0, 360.0)
    _check_angle("--el", elevation_deg, -90.0, 90.0)
    lmst_s = lmst_seconds(lmst)
    catalogue = load_cameras()
    model = _camera(catalogue, camera)
    width, height = _size(model, width_px)
    mount = catalogue.mount_of(camera)
    if (azimuth_deg is not None or elevation_deg is not None) and mount.kind != "pan_tilt":
        raise ConfigError(
            f"--az/--el: {camera} is on the {catalogue.cameras[camera].mount} mount, "
            "which does not pan or tilt (the mast cameras do)"
        )

    config = run.config
    scenario = load_scenario(str(config["scenario_source"]))
    site = load_site(scenario.edl.site)
    region = LandingRegion.generate(site, int(config["terrain_seed"]))
    landing = _landing(store, run)
    east, north, heading = _rover_place(store, run, sol, landing)
    rover = rover_pose(region, east, north, heading)
    pan = 0.0 if azimuth_deg is None else math.radians(azimuth_deg) - heading
    tilt = 0.0 if elevation_deg is None else math.radians(elevation_deg)

    clock = MissionClock(parse_utc(str(landing["utc"])), float(landing["longitude_deg"]))
    when = clock.utc(sol, lmst_s)
    sun = sun_at_site(site, when)
    view = render_view(
        catalogue,
        camera,
        scene_of(region, rover),
        rover,
        sun.enu,
        width_px=width,
        height_px=height,
        pan_rad=pan,
        tilt_rad=tilt,
    )
    if (azimuth_deg is not None or elevation_deg is not None) and view.ground_fraction == 0.0:
        raise ConfigError(
            f"--az {azimuth_deg} --el {elevation_deg}: {camera} would see no ground (only "
            "sky, or the rover itself); point it lower (--el below a few degrees)"
        )
    return Snapshot(
        image=view.image,
        bit_depth=view.bit_depth,
        camera=camera,
        sol=sol,
        lmst=lmst,
        utc=f"{when:%Y-%m-%dT%H:%M:%S}Z",
        east_m=east,
        north_m=north,
        heading_deg=math.degrees(heading),
        sun_elevation_deg=float(sun.elevation_deg),
        sun_azimuth_deg=float(sun.azimuth_deg),
        ground_fraction=view.ground_fraction,
    )
