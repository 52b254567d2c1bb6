"""HiRISE's picture of the descent: MRO's view of Perseverance under its parachute.

On 2021-02-18 the Mars Reconnaissance Orbiter's HiRISE camera imaged the spacecraft on
its parachute over Jezero (ESP_068281_9024; docs/reference/instruments.md §6e): from
≈ 700 km, emission angle 72.2°, phase 43.5°, solar incidence 50°, 15:14 local true solar
time, 69.7 cm per pixel, MRO 268.3 km up. This module places MRO where those figures put
it, points a camera at the parachute and renders a black-and-white frame of the ground
with the parachute and backshell in it: a speck some 31 pixels across.

Geometry (the site's ENU frame [m], origin at the landing site; the planet a sphere of
radius `R_MARS` whose centre is at (0, 0, -R_MARS), as `HeightField` bends the ground):

- the target T (the parachute) and its local vertical u = (T - centre) / |T - centre|;
  the local east and north are the frame's east and north made perpendicular to u;
- MRO at M = T + rho (sin e (sin A east + cos A north) + cos e u), with e the published
  emission angle and A the azimuth of MRO seen from T (`MRO_AZIMUTH_DEG`, see there), rho
  the slant range that gives the published pixel scale, rho = 0.697 m / IFOV = 697 km
  (the published "≈ 700 km"); MRO's altitude then comes out at ≈ 274 km (published
  268.3 km: the published scale and altitude agree to 2 %);
- HiRISE, a pushbroom camera, taken as a pinhole of HiRISE's IFOV (1 µrad per pixel)
  with its boresight on T, image rows across the vertical plane through the line of
  sight and "up" in the image toward the local up (the sky side of the parachute);
- rays start at MRO but are advanced to where they come down through one dust scale
  height (`render.DUST_SCALE_HEIGHT_M`) above the floor: the renderer's haze (dust mixed
  through that layer) then takes out exp(-tau / cos e) of the light along the slant
  path, as it should for a view from orbit, not exp(-tau 700 km / H).

The hardware (`imaging.hardware`): the backshell at the telemetry's position, its z axis
along the parachute's, the canopy's vent `vent_above_backshell_m` up that axis (the
backshell, a 10 m riser (E), 1.7-diameter suspension lines, the canopy); the frame is
centred on the canopy's centre.

What it leaves out: the suspension lines and the riser (a few cm thick: far below a
pixel), the pushbroom's line-by-line timing (the spacecraft moved ≈ 3 km/s
and the parachute ≈ 100 m/s while the lines were read: smear and skew), time-delay
integration and the CCD's stagger, HiRISE's RED band (570-830 nm: here the renderer's
red channel stands for it), the curvature of the sky path through the dust, refraction,
and MRO's real orbit (M is placed from the published angles, not propagated).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from perseverance.imaging.camera_model import CameraPose, PinholeCamera, rays
from perseverance.imaging.hardware import (
    AEROSHELL_DIAMETER_M,
    BACKSHELL_CONE_HALF_ANGLE_DEG,
    BACKSHELL_PARACHUTE_CONE_HEIGHT_M,
    BACKSHELL_SHOULDER_RADIUS_M,
    CANOPY_DEPTH_FRACTION,
    DGB_BAND_FRACTION,
    DGB_GAP_FRACTION,
    PARACHUTE_NOMINAL_DIAMETER_M,
    SUSPENSION_LINE_FRACTION,
    backshell_shapes,
    parachute_shapes,
)
from perseverance.imaging.mounts import VehiclePose
from perseverance.imaging.render import DEFAULT_TAU, DUST_SCALE_HEIGHT_M, render
from perseverance.imaging.scene import GROUND, Scene
from perseverance.imaging.shapes import Shape
from perseverance.mars.constants import R_MARS

__all__ = [
    "EMISSION_DEG",
    "HIRISE_IFOV_RAD",
    "MRO_ALTITUDE_M",
    "MRO_AZIMUTH_DEG",
    "PHASE_DEG",
    "PIXEL_SCALE_M",
    "RISER_LENGTH_M",
    "SECONDS_BEFORE_TOUCHDOWN",
    "SLANT_RANGE_M",
    "HiriseView",
    "descent_train",
    "hirise_frame",
    "hirise_view",
    "vent_above_backshell_m",
]

Array = NDArray[np.float64]

#: HiRISE's instantaneous field of view [rad per pixel] (A): 1.0 µrad, 12 m focal
#: length over 12 µm pixels (McEwen et al. 2007, JGR 112:E05S02; instruments.md §6e).
HIRISE_IFOV_RAD = 1.0e-6
#: Emission angle of the descent image [deg] (B: uahirise.org ESP_068281_9024; §6e).
EMISSION_DEG = 72.2
#: Phase angle of the descent image [deg] (B: same).
PHASE_DEG = 43.5
#: Solar incidence angle of the descent image [deg] (B: same).
INCIDENCE_DEG = 50.0
#: Original pixel scale of the descent image [m] (B: same; 1 x 1 binning).
PIXEL_SCALE_M = 0.697
#: MRO's altitude at the descent image [m] (B: same).
MRO_ALTITUDE_M = 268.3e3
#: Range from HiRISE to Perseverance [m] (B: uahirise.org, S. Byrne, "≈ 700 km").
PUBLISHED_RANGE_M = 700.0e3
#: The slant range used [m]: the one that gives the published pixel scale at HiRISE's
#: IFOV (697 km, within the published "≈ 700 km").
SLANT_RANGE_M = PIXEL_SCALE_M / HIRISE_IFOV_RAD
#: Azimuth of MRO seen from the parachute, clockwise from north [deg] (E, derived): the
#: published emission, incidence and phase put MRO 43.5 deg of azimuth from the Sun,
#: cos(phase) = cos i cos e + sin i sin e cos(dA); the Sun stood at azimuth 257.3 deg
#: (this project's Mars24 Sun one minute before touchdown), so MRO was at 213.8 or
#: 300.8 deg. We take 300.8 deg (WNW): its offset is mostly across MRO's near-polar
#: track, which fits "MRO had to pitch up and roll hard left" (§6e); the other branch
#: would be mostly along the track.
MRO_AZIMUTH_DEG = 300.8
#: When the picture was taken, in seconds before touchdown (E): HiRISE gives 15:14 local
#: true solar time (§6e); touchdown was at 15:15:31 LTST (Mars24, surface.md), so the
#: picture came 32-91 s before touchdown; one minute is taken (the parachute still on).
SECONDS_BEFORE_TOUCHDOWN = 60.0
#: Length of the riser from the backshell's parachute cone to the suspension lines'
#: confluence [m] (E: no published figure held; MSL-class triple bridle and riser).
RISER_LENGTH_M = 10.0
#: Height of the backshell from its rim to its top [m], as `hardware` draws it (the 4.5 m
#: rim, the shoulder, the cone's half angle and the parachute cone): 2.0 m.
BACKSHELL_HEIGHT_M = (AEROSHELL_DIAMETER_M / 2.0 - BACKSHELL_SHOULDER_RADIUS_M) / math.tan(
    math.radians(BACKSHELL_CONE_HALF_ANGLE_DEG)
) + BACKSHELL_PARACHUTE_CONE_HEIGHT_M
#: The frame's default side [px]: 357 m at the parachute.
DEFAULT_SIZE_PX = 512


class HiriseView:
    """Where MRO is and how HiRISE points at a target: see the module docstring.

    Attributes
    ----------
    target_enu, mro_enu : ndarray (3,)
        The target (the parachute) and MRO, ENU [m].
    emission_deg, azimuth_deg : float
        Emission angle at the target and azimuth of MRO seen from it [deg].
    slant_range_m, altitude_m : float
        Range from MRO to the target, and MRO's height above the reference sphere [m].
    pixel_scale_m : float
        Size of one pixel at the target, perpendicular to the line of sight [m].
    pose : CameraPose
        HiRISE's pose (boresight on the target).
    """

    def __init__(
        self,
        target_enu: ArrayLike,
        *,
        emission_deg: float = EMISSION_DEG,
        azimuth_deg: float = MRO_AZIMUTH_DEG,
        slant_range_m: float = SLANT_RANGE_M,
        ifov_rad: float = HIRISE_IFOV_RAD,
    ) -> None:
        target = np.asarray(target_enu, dtype=float).reshape(3)
        if not np.isfinite(target).all():
            raise ValueError(f"target_enu must be finite, got {target}")
        if not (0.0 <= emission_deg < 90.0 and slant_range_m > 0.0 and ifov_rad > 0.0):
            raise ValueError(
                f"emission_deg = {emission_deg} (0 to 90), slant_range_m = {slant_range_m} "
                f"and ifov_rad = {ifov_rad} (> 0)"
            )
        self.target_enu = target
        self.emission_deg = float(emission_deg)
        self.azimuth_deg = float(azimuth_deg) % 360.0
        self.slant_range_m = float(slant_range_m)
        self.ifov_rad = float(ifov_rad)
        east, north, up = _local_axes(target)
        e, a = math.radians(emission_deg), math.radians(azimuth_deg)
        toward_mro = math.sin(e) * (math.sin(a) * east + math.cos(a) * north) + math.cos(e) * up
        self.mro_enu = target + slant_range_m * toward_mro
        self.altitude_m = float(np.linalg.norm(self.mro_enu - _CENTRE)) - R_MARS
        self.pixel_scale_m = slant_range_m * ifov_rad
        boresight = -toward_mro
        image_up = up - (up @ boresight) * boresight
        image_up /= np.linalg.norm(image_up)
        down = -image_up
        right = np.cross(down, boresight)
        self.pose = CameraPose(
            position=self.mro_enu, rotation=np.column_stack([right, down, boresight])
        )
        self._up = up

    def emission_at(self, point_enu: ArrayLike) -> float:
        """Emission angle [deg] of MRO seen from a point: from its local vertical."""
        p = np.asarray(point_enu, dtype=float).reshape(3)
        up = _local_axes(p)[2]
        to_mro = self.mro_enu - p
        return math.degrees(math.acos(float(up @ to_mro) / float(np.linalg.norm(to_mro))))

    def phase_deg(self, sun_enu: ArrayLike) -> float:
        """Phase angle [deg] at the target: between the Sun and MRO seen from it."""
        sun = np.asarray(sun_enu, dtype=float).reshape(3)
        to_mro = self.mro_enu - self.target_enu
        cos = float(sun @ to_mro) / float(np.linalg.norm(sun) * np.linalg.norm(to_mro))
        return math.degrees(math.acos(max(-1.0, min(1.0, cos))))

    def camera(self, size_px: int) -> PinholeCamera:
        """A square pinhole of ``size_px`` pixels, one IFOV each."""
        focal = 1.0 / self.ifov_rad
        return PinholeCamera(
            width_px=size_px, height_px=size_px, focal_x_px=focal, focal_y_px=focal
        )

    def rays(self, size_px: int, start_below_m: float) -> tuple[Array, Array]:
        """Every pixel's ray (origins, unit directions), (size, size, 3) ENU, each origin
        advanced from MRO along its ray to the height ``start_below_m`` (the rays are those
        of the pinhole at MRO)."""
        origins, directions = rays(self.camera(size_px), self.pose)
        t = (origins[..., 2] - start_below_m) / np.maximum(-directions[..., 2], 1e-9)
        moved: Array = origins + np.maximum(t, 0.0)[..., None] * directions
        return moved, directions

    def metadata(self) -> dict[str, Any]:
        """The view's figures, for a product row or a caption."""
        return {
            "slant_range_m": self.slant_range_m,
            "emission_deg": self.emission_deg,
            "pixel_scale_m": self.pixel_scale_m,
            "azimuth_deg": self.azimuth_deg,
            "mro_altitude_m": self.altitude_m,
            "mro_enu_m": [float(x) for x in self.mro_enu],
            "target_enu_m": [float(x) for x in self.target_enu],
        }

    def __repr__(self) -> str:
        return (
            f"HiriseView(range {self.slant_range_m / 1e3:.0f} km, emission "
            f"{self.emission_deg:.1f} deg, azimuth {self.azimuth_deg:.1f} deg, MRO "
            f"{self.altitude_m / 1e3:.1f} km up, {100 * self.pixel_scale_m:.1f} cm/px)"
        )


def hirise_view(target_enu: ArrayLike, **kwargs: float) -> HiriseView:
    """`HiriseView` of a target with the published geometry (keywords override it)."""
    return HiriseView(target_enu, **kwargs)


def descent_train(
    chute_position_enu: ArrayLike, chute_axis_enu: ArrayLike, inflation: float = 1.0
) -> tuple[list[Shape], Array]:
    """The backshell and its parachute as shapes, and the canopy's centre (3,) ENU [m].

    ``chute_position_enu``: the payload end of the train, the backshell's lowest point (its
    rim: where the EDL telemetry puts the vehicle); ``chute_axis_enu``: from the payload
    toward the canopy. The vent lies `vent_above_backshell_m` up the axis.
    """
    base = np.asarray(chute_position_enu, dtype=float).reshape(3)
    axis = np.asarray(chute_axis_enu, dtype=float).reshape(3)
    axis = axis / np.linalg.norm(axis)
    # VehiclePose's z axis is (sin roll, -sin pitch cos roll, cos pitch cos roll) at
    # heading 0: solve for the axis.
    roll = math.asin(max(-1.0, min(1.0, float(axis[0]))))
    pitch = math.atan2(-float(axis[1]), float(axis[2]))
    east, north, up = (float(x) for x in base)
    pose = VehiclePose(east, north, up, heading_rad=0.0, pitch_rad=pitch, roll_rad=roll)
    vent = base + vent_above_backshell_m(inflation) * axis
    shapes = [*backshell_shapes(pose), *parachute_shapes(vent, axis, inflation)]
    centre: Array = vent - 0.5 * _canopy_length_m(inflation) * axis
    return shapes, centre


def vent_above_backshell_m(inflation: float = 1.0) -> float:
    """Distance along the axis from the backshell's rim to the canopy's vent [m]: the
    backshell, the riser (`RISER_LENGTH_M`), the suspension lines' reach (1.7 diameters
    long, to the skirt's rim) and the canopy (`hardware.parachute_shapes`' proportions)."""
    scale = 0.05 + 0.95 * inflation
    rim = scale * PARACHUTE_NOMINAL_DIAMETER_M / 2.0
    lines = SUSPENSION_LINE_FRACTION * PARACHUTE_NOMINAL_DIAMETER_M
    reach = math.sqrt(max(lines**2 - rim**2, 0.0))
    return BACKSHELL_HEIGHT_M + RISER_LENGTH_M + reach + _canopy_length_m(inflation)


def _canopy_length_m(inflation: float) -> float:
    """Vent to skirt along the axis [m], as `hardware.parachute_shapes` draws it."""
    d = PARACHUTE_NOMINAL_DIAMETER_M
    disk_d = d / (1.0 + 4.0 * DGB_GAP_FRACTION + 4.0 * DGB_BAND_FRACTION) ** 0.5
    scale = 0.05 + 0.95 * inflation
    depth = min(CANOPY_DEPTH_FRACTION * d / 2.0 * (1.0 + 2.0 * (1.0 - inflation)), scale * d / 2)
    return float(depth + (DGB_GAP_FRACTION + DGB_BAND_FRACTION) * disk_d)


def hirise_frame(
    scene: Scene,
    chute_position_enu: ArrayLike,
    chute_axis_enu: ArrayLike,
    sun_enu: ArrayLike,
    *,
    inflation: float = 1.0,
    size_px: int = DEFAULT_SIZE_PX,
    tau: float = DEFAULT_TAU,
    exposure: float = 2.0,
    azimuth_deg: float = MRO_AZIMUTH_DEG,
    floor_elevation_m: float | None = None,
) -> tuple[Array, dict[str, Any]]:
    """HiRISE's black-and-white frame centred on the parachute.

    ``scene``: the ground (`scene.site_scene`: the local map and the crater far field);
    ``chute_position_enu``: the backshell's lowest point under the parachute (ENU [m],
    where the EDL telemetry puts the vehicle, `SECONDS_BEFORE_TOUCHDOWN` before
    touchdown); ``chute_axis_enu``: from the backshell toward the canopy (up, or along
    the airflow); ``sun_enu``: toward the Sun; ``inflation``: the canopy's, 0..1 (see
    `hardware.parachute_shapes`); ``floor_elevation_m``: the ground's height under the
    dust layer [m] (default: the median height of the scene's first height field).

    Returns ``(image, metadata)``: the (size_px, size_px) image in [0, 1] (the renderer's
    red channel for HiRISE's RED band, then a linear stretch of the ground's 0.5th to
    99.5th percentiles to 0.1-0.8, as public HiRISE products are stretched; the white
    canopy saturates) and the view's figures (`HiriseView.metadata`, plus ``phase_deg``,
    ``size_px``, ``canopy_centre_enu_m`` and ``labels``, what each pixel met: 0 sky,
    1 ground, 2 + i shape i of the scene's shapes followed by the backshell and canopy).

    Example
    -------
    >>> import numpy as np
    >>> from perseverance.imaging.heightfield import HeightField
    >>> axis = np.arange(-20e3, 20e3 + 1, 1e3)
    >>> ground = Scene((HeightField(axis, axis, np.zeros((axis.size, axis.size))),))
    >>> image, meta = hirise_frame(ground, [0, 0, 2000.0], [0, 0, 1.0], [0, -0.6, 0.8],
    ...                            size_px=64)
    >>> image.shape, round(meta["pixel_scale_m"], 3)
    ((64, 64), 0.697)
    """
    if not 8 <= size_px <= 8192:
        raise ValueError(f"size_px = {size_px}: 8 to 8192")
    hardware, centre = descent_train(chute_position_enu, chute_axis_enu, inflation)
    view = HiriseView(centre, azimuth_deg=azimuth_deg)
    if floor_elevation_m is None:
        floor_elevation_m = _ground_level(scene)
    origins, directions = view.rays(size_px, floor_elevation_m + DUST_SCALE_HEIGHT_M)
    world = scene.with_shapes([*scene.shapes, *hardware], scene.dust)
    frame = render(
        world, origins, directions, sun_enu, tau=tau, exposure=exposure, shape=(size_px,) * 2
    )
    image = _stretch(frame.rgb[..., 0], frame.label == GROUND)
    metadata = view.metadata()
    metadata.update(
        phase_deg=view.phase_deg(sun_enu),
        size_px=size_px,
        canopy_centre_enu_m=[float(x) for x in centre],
        labels=frame.label,
    )
    return image, metadata


_CENTRE = np.array([0.0, 0.0, -R_MARS])
#: Where the stretch puts the ground's darkest and brightest (0.5th, 99.5th percentile).
_STRETCH = (0.1, 0.8)


def _local_axes(point: Array) -> tuple[Array, Array, Array]:
    """Local east, north, up at a point of the frame: up radial from the planet's centre,
    east and north the frame's own made perpendicular to it."""
    up = point - _CENTRE
    up = up / np.linalg.norm(up)
    east = np.array([1.0, 0.0, 0.0]) - up[0] * up
    east /= np.linalg.norm(east)
    north = np.cross(up, east)
    return east, north, up


def _stretch(red: Array, ground: NDArray[np.bool_]) -> Array:
    """Linear stretch: the ground's 0.5th and 99.5th percentiles to `_STRETCH` (the whole
    frame's where it shows little ground); the bright hardware saturates, as in the
    published frame. A ground of one tone (spread under 5 % of its level) keeps 5 %."""
    sample = red[ground] if ground.sum() >= 100 else red.ravel()
    lo, hi = (float(x) for x in np.percentile(sample, [0.5, 99.5]))
    span = max(hi - lo, 0.05 * hi, 1e-12)
    black, white = _STRETCH
    image: Array = np.clip(black + (white - black) * (red - lo) / span, 0.0, 1.0)
    return image


def _ground_level(scene: Scene) -> float:
    """A height for the floor under the dust layer [m]: the median of the first field."""
    if not scene.fields:
        return 0.0
    return float(np.median(scene.fields[0].height_m))
