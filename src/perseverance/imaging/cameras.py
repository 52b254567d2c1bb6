"""The camera catalogue (``data/instruments/cameras.toml``): its models, loader and checks.

`load_cameras()` reads the 25 cameras (23 on the spacecraft, Ingenuity's two) and the
mounts they sit on. Each camera has a detector format, a field of view and/or an
angular pixel scale, its colour, bit depth and (EDL and Ingenuity cameras) frame rate,
and lists the fields that are engineering estimates. The loader checks the published
counts, that every camera's mount exists, and that a field of view agrees with
pixels x pixel scale where both are given (to within `FOV_IFOV_TOLERANCE`).
"""

from __future__ import annotations

import math
import os
from collections import Counter
from functools import cache
from typing import Annotated, Any, Literal, Self

from pydantic import Field, model_validator

from perseverance.datafiles import DataModel, FileTuple, format_number, load_model

__all__ = [
    "FOV_IFOV_TOLERANCE",
    "Camera",
    "CameraCatalogue",
    "Counts",
    "Mount",
    "Zoom",
    "load_cameras",
]

PACKAGE = "perseverance.data.instruments"

#: Largest relative difference allowed between a field of view and pixels x pixel scale
#: (the published Navcam, Hazcam, Mastcam-Z and Ingenuity figures agree to within 1.5%).
FOV_IFOV_TOLERANCE = 0.03

VehicleName = Literal["rover", "backshell", "descent_stage", "helicopter"]
MountKind = Literal["fixed", "pan_tilt", "arm"]

FovDeg = Annotated[float, Field(gt=0.0, lt=180.0)]
IfovUrad = Annotated[float, Field(gt=0.0, le=100_000.0)]
AzimuthDeg = Annotated[float, Field(ge=-360.0, le=360.0)]
ElevationDeg = Annotated[float, Field(ge=-90.0, le=90.0)]
Pixels = Annotated[int, Field(ge=1, le=100_000)]
Offset = Annotated[float, Field(ge=-5.0, le=5.0)]
Distortion = Annotated[float, Field(ge=-1.0, le=1.0)]
FocalMm = Annotated[float, Field(gt=0.0, le=10_000.0)]
FNumber = Annotated[float, Field(gt=0.0, le=100.0)]


#: The longest camera name or group [characters]: the width of the products table's
#: ``camera`` and ``instrument`` columns (`store.schema.CAMERA_NAME_LENGTH`).
CAMERA_NAME_MAX = 32


class Mount(DataModel):
    """Where cameras sit on a vehicle, and where the mount points (see `imaging.mounts`).

    ``forward_m``, ``left_m``, ``up_m`` are in the vehicle's body frame (x forward, y left,
    z up [m]) from its origin: the ground point under the centre for the rover and the
    helicopter, the vehicle's lowest point otherwise; nothing is below it.
    """

    vehicle: VehicleName
    kind: MountKind
    """``fixed``: points as written; ``pan_tilt``: adds a pan and tilt (the mast head);
    ``arm``: posed by the caller, the figures here being the default pose."""
    forward_m: Annotated[float, Field(ge=-10.0, le=10.0)]
    left_m: Annotated[float, Field(ge=-10.0, le=10.0)]
    up_m: Annotated[float, Field(ge=0.0, le=10.0)]
    azimuth_deg: AzimuthDeg = 0.0
    """Pointing, clockwise from the vehicle's forward axis [deg]."""
    elevation_deg: ElevationDeg = 0.0
    """Pointing, up from the vehicle's deck plane [deg]."""


class Zoom(DataModel):
    """A zoom lens's range: each pair is (wide end, long end)."""

    focal_length_mm: Annotated[tuple[FocalMm, FocalMm], FileTuple]
    f_number: Annotated[tuple[FNumber, FNumber], FileTuple]
    horizontal_fov_deg: Annotated[tuple[FovDeg, FovDeg], FileTuple]
    vertical_fov_deg: Annotated[tuple[FovDeg, FovDeg], FileTuple]
    ifov_urad: Annotated[tuple[IfovUrad, IfovUrad], FileTuple]

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        short, long = self.focal_length_mm
        if not short < long:
            raise ValueError(
                f"focal_length_mm = [{format_number(short)}, {format_number(long)}] must be "
                "(wide end, long end), the wide end shorter"
            )
        return self


class Camera(DataModel):
    """One camera: detector format, field of view or pixel scale, and where it sits.

    Fields of view are full angles [deg], ``ifov_urad`` is the angular pixel scale at the
    centre [µrad/px]; at least one of the three is given. ``offset_m`` is the camera's
    place in its mount's pointed frame (forward, left, up [m]); ``azimuth_deg`` and
    ``elevation_deg`` its pointing from the mount's. ``k1``, ``k2`` are the radial
    distortion coefficients (see `imaging.camera_model`).
    """

    name: str = Field(min_length=1, max_length=CAMERA_NAME_MAX)
    group: str = Field(min_length=1, max_length=CAMERA_NAME_MAX)
    mount: str = Field(min_length=1, max_length=64)
    width_px: Pixels
    height_px: Pixels
    horizontal_fov_deg: FovDeg | None = None
    vertical_fov_deg: FovDeg | None = None
    ifov_urad: IfovUrad | None = None
    pixel_pitch_um: Annotated[float, Field(gt=0.0, le=100.0)] | None = None
    target_scale_um: Annotated[float, Field(gt=0.0, le=10_000.0)] | None = None
    """Size of a pixel on the target at the working distance [µm] (close-up cameras)."""
    colour: Literal["bayer", "mono"]
    bit_depth: Annotated[int, Field(ge=1, le=32)]
    frame_rate_hz: Annotated[float, Field(gt=0.0, le=10_000.0)] | None = None
    offset_m: Annotated[tuple[Offset, Offset, Offset], FileTuple] = (0.0, 0.0, 0.0)
    azimuth_deg: AzimuthDeg = 0.0
    elevation_deg: ElevationDeg = 0.0
    k1: Distortion = 0.0
    k2: Distortion = 0.0
    zoom: Zoom | None = None
    estimated: Annotated[tuple[str, ...], FileTuple] = ()
    """The fields whose values are engineering estimates (E)."""
    source: str = ""

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        fovs = (
            ("horizontal_fov_deg", self.horizontal_fov_deg, self.width_px),
            ("vertical_fov_deg", self.vertical_fov_deg, self.height_px),
        )
        if self.ifov_urad is None and all(fov is None for _, fov, _ in fovs):
            raise ValueError("give horizontal_fov_deg, vertical_fov_deg or ifov_urad")
        for field, fov, pixels in fovs:
            _check_scale(field, fov, pixels, self.ifov_urad)
        if self.zoom is not None:
            for end in (0, 1):
                z = self.zoom
                _check_scale(
                    f"zoom.horizontal_fov_deg[{end}]",
                    z.horizontal_fov_deg[end],
                    self.width_px,
                    z.ifov_urad[end],
                )
                _check_scale(
                    f"zoom.vertical_fov_deg[{end}]",
                    z.vertical_fov_deg[end],
                    self.height_px,
                    z.ifov_urad[end],
                )
        unknown = [f for f in self.estimated if f not in type(self).model_fields]
        if unknown:
            raise ValueError(f"estimated names unknown fields: {', '.join(unknown)}")
        return self


def _check_scale(field: str, fov_deg: float | None, pixels: int, ifov_urad: float | None) -> None:
    """`ValueError` unless ``fov_deg`` ≈ ``pixels`` x ``ifov_urad`` (when both are given)."""
    if fov_deg is None or ifov_urad is None:
        return
    scaled = math.degrees(pixels * ifov_urad * 1e-6)
    if abs(scaled - fov_deg) > FOV_IFOV_TOLERANCE * fov_deg:
        raise ValueError(
            f"{field} = {format_number(fov_deg)} disagrees with {pixels} px x ifov_urad "
            f"{format_number(ifov_urad)} = {scaled:.2f} deg (allowed: within "
            f"{FOV_IFOV_TOLERANCE:.0%})"
        )


class Counts(DataModel):
    """The published numbers of cameras (total, on the spacecraft, rover, helicopter)."""

    total: Annotated[int, Field(ge=1, le=100)]
    spacecraft: Annotated[int, Field(ge=0, le=100)]
    rover: Annotated[int, Field(ge=0, le=100)]
    helicopter: Annotated[int, Field(ge=0, le=100)]


class CameraCatalogue(DataModel):
    """The cameras and mounts of a camera data file, loaded with `load_cameras`."""

    name: str = Field(min_length=1)
    source: str = ""
    counts: Counts
    groups: dict[str, Annotated[int, Field(ge=1, le=100)]]
    """Published number of cameras in each group."""
    mounts: dict[str, Mount]
    cameras: dict[str, Camera]

    @model_validator(mode="before")
    @classmethod
    def _named(cls, data: Any) -> Any:
        """Each camera takes its table's name (``[cameras.navcam_left]``)."""
        if isinstance(data, dict) and isinstance(data.get("cameras"), dict):
            cameras = {
                key: {"name": key, **value} if isinstance(value, dict) else value
                for key, value in data["cameras"].items()
            }
            data = {**data, "cameras": cameras}
        return data

    @model_validator(mode="after")
    def _cross_checks(self) -> Self:
        for key, camera in self.cameras.items():
            if camera.name != key:
                raise ValueError(f"cameras.{key}: name {camera.name!r} differs from its table")
            if camera.mount not in self.mounts:
                raise ValueError(
                    f"cameras.{key}.mount = {camera.mount!r} is not a known mount "
                    f"(allowed: {', '.join(self.mounts)})"
                )
            if camera.group not in self.groups:
                raise ValueError(
                    f"cameras.{key}.group = {camera.group!r} is not a known group "
                    f"(allowed: {', '.join(self.groups)})"
                )
        found = Counter(camera.group for camera in self.cameras.values())
        for group, count in self.groups.items():
            if found[group] != count:
                raise ValueError(f"groups.{group}: {found[group]} cameras, published {count}")
        by_vehicle = Counter(self.mounts[c.mount].vehicle for c in self.cameras.values())
        counts = self.counts
        checks = (
            ("total", counts.total, len(self.cameras)),
            ("spacecraft", counts.spacecraft, len(self.cameras) - by_vehicle["helicopter"]),
            ("rover", counts.rover, by_vehicle["rover"]),
            ("helicopter", counts.helicopter, by_vehicle["helicopter"]),
        )
        for field, published, actual in checks:
            if published != actual:
                raise ValueError(f"counts.{field} = {published} but the file has {actual}")
        return self

    def camera(self, name: str) -> Camera:
        """The camera called ``name``; `KeyError` naming the known ones if none is."""
        if name not in self.cameras:
            raise KeyError(f"unknown camera {name!r}: known are {', '.join(self.cameras)}")
        return self.cameras[name]

    def mount_of(self, name: str) -> Mount:
        """The mount the camera ``name`` sits on."""
        return self.mounts[self.camera(name).mount]


def load_cameras(name_or_path: str | os.PathLike[str] = "cameras") -> CameraCatalogue:
    """Load a camera data file by packaged name (``"cameras"``) or path.

    Raises `perseverance.errors.ConfigError` with a one-line message naming the file,
    the field, the value and the allowed range on any problem.
    """
    if name_or_path == "cameras":
        return _packaged()
    return load_model(CameraCatalogue, os.fspath(name_or_path), PACKAGE, "camera")


@cache
def _packaged() -> CameraCatalogue:
    return load_model(CameraCatalogue, "cameras", PACKAGE, "camera")
