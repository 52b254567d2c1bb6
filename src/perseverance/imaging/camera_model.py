"""Camera geometry: a pinhole camera with radial distortion, its pose, projection and rays.

Frames and conventions:

- camera frame: +z along the boresight, +x to the right in the image, +y down [m];
- world frame: the site's local east-north-up (ENU) [m];
- pixel coordinates (u, v): u to the right, v down, from the image's top-left corner;
  pixel (column c, row r) covers [c, c + 1) x [r, r + 1), so its centre is at
  (c + 0.5, r + 0.5) and the principal point of a centred lens is (width/2, height/2).

A point (X, Y, Z) in the camera frame with Z > 0 has normalised coordinates x = X/Z,
y = Y/Z; radial distortion scales them by 1 + k1 r² + k2 r⁴ (r² = x² + y²), and
u = f_x x_d + c_x, v = f_y y_d + c_y. Back-projection undoes the distortion by
fixed-point iteration (vectorised, at most `UNDISTORT_ITERATIONS`), which needs the
distorted radius to grow with r out to the image corners (1 + 3 k1 r² + 5 k2 r⁴ > 0):
a `PinholeCamera` whose distortion folds the image back is refused.

Example
-------
>>> import numpy as np
>>> camera = PinholeCamera(width_px=640, height_px=480, focal_x_px=500.0, focal_y_px=500.0)
>>> pose = CameraPose(position=np.zeros(3), rotation=np.eye(3))
>>> u, v, in_front = project(camera, pose, np.array([[0.0, 0.0, 10.0]]))
>>> float(u[0]), float(v[0]), bool(in_front[0])
(320.0, 240.0, True)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from perseverance.imaging.cameras import Camera

__all__ = [
    "CameraPose",
    "PinholeCamera",
    "back_project",
    "project",
    "rays",
]

Array = NDArray[np.float64]

#: Fixed-point iterations at most when undoing the distortion; they stop earlier once
#: no normalised coordinate moves by more than `UNDISTORT_TOLERANCE`.
UNDISTORT_ITERATIONS = 100
UNDISTORT_TOLERANCE = 1e-15


@dataclass(frozen=True)
class PinholeCamera:
    """A pinhole camera with radial distortion (``k1``, ``k2``), in pixels.

    ``principal_x_px`` / ``principal_y_px`` default to the image centre.
    """

    width_px: int
    height_px: int
    focal_x_px: float
    focal_y_px: float
    principal_x_px: float = field(default=math.nan)
    principal_y_px: float = field(default=math.nan)
    k1: float = 0.0
    k2: float = 0.0

    def __post_init__(self) -> None:
        if self.width_px < 1 or self.height_px < 1:
            raise ValueError(f"image size {self.width_px} x {self.height_px} px must be >= 1")
        if not (self.focal_x_px > 0 and self.focal_y_px > 0):
            raise ValueError("focal lengths must be positive [px]")
        if math.isnan(self.principal_x_px):
            object.__setattr__(self, "principal_x_px", self.width_px / 2)
        if math.isnan(self.principal_y_px):
            object.__setattr__(self, "principal_y_px", self.height_px / 2)
        self._check_distortion()

    def _check_distortion(self) -> None:
        """`ValueError` if the distorted radius stops growing before the image corners
        (the distortion would fold the image back on itself)."""
        if self.k1 == 0.0 and self.k2 == 0.0:
            return
        corner = math.hypot(
            max(self.principal_x_px, self.width_px - self.principal_x_px) / self.focal_x_px,
            max(self.principal_y_px, self.height_px - self.principal_y_px) / self.focal_y_px,
        )
        r = np.linspace(0.0, 10.0 * corner + 1.0, 4001)
        r2 = r * r
        distorted = r * (1.0 + self.k1 * r2 + self.k2 * r2 * r2)
        growing = 1.0 + 3.0 * self.k1 * r2 + 5.0 * self.k2 * r2 * r2 > 0.0
        reach = distorted[: int(np.argmin(growing))] if not growing.all() else distorted
        if reach.size == 0 or reach.max() < corner:
            raise ValueError(
                f"distortion k1 = {self.k1:g}, k2 = {self.k2:g} folds back inside the image "
                "(the distorted radius must grow out to the corners)"
            )

    @classmethod
    def from_catalogue(
        cls, camera: Camera, *, focal_length_mm: float | None = None
    ) -> PinholeCamera:
        """The pinhole model of a catalogue camera, square pixels, centred.

        The focal length [px] is, in order of preference: ``focal_length_mm`` over the
        pixel pitch (a zoom camera, within its zoom range); the one that spans the
        horizontal field of view across the width, or the vertical one across the
        height; 1 / the pixel scale. A wide-angle camera modelled this way covers its
        published field; its centre pixel scale is then coarser than published (a real
        wide-angle lens is closer to equal-angle).
        """
        if focal_length_mm is not None:
            if camera.zoom is None or camera.pixel_pitch_um is None:
                raise ValueError(f"{camera.name} has no zoom (and pixel pitch) in the catalogue")
            short, long = camera.zoom.focal_length_mm
            if not short <= focal_length_mm <= long:
                raise ValueError(
                    f"focal_length_mm = {focal_length_mm:g} is outside {camera.name}'s zoom "
                    f"range ({short:g}..{long:g})"
                )
            focal = focal_length_mm * 1e-3 / (camera.pixel_pitch_um * 1e-6)
        elif camera.horizontal_fov_deg is not None:
            focal = camera.width_px / 2 / math.tan(math.radians(camera.horizontal_fov_deg) / 2)
        elif camera.vertical_fov_deg is not None:
            focal = camera.height_px / 2 / math.tan(math.radians(camera.vertical_fov_deg) / 2)
        else:
            assert camera.ifov_urad is not None  # the catalogue gives one of the three
            focal = 1.0 / (camera.ifov_urad * 1e-6)
        return cls(
            width_px=camera.width_px,
            height_px=camera.height_px,
            focal_x_px=focal,
            focal_y_px=focal,
            k1=camera.k1,
            k2=camera.k2,
        )

    def resized(self, width_px: int, height_px: int) -> PinholeCamera:
        """The same camera sampled at ``width_px`` x ``height_px`` (same field of view)."""
        sx, sy = width_px / self.width_px, height_px / self.height_px
        return PinholeCamera(
            width_px=width_px,
            height_px=height_px,
            focal_x_px=self.focal_x_px * sx,
            focal_y_px=self.focal_y_px * sy,
            principal_x_px=self.principal_x_px * sx,
            principal_y_px=self.principal_y_px * sy,
            k1=self.k1,
            k2=self.k2,
        )

    def distort(self, x: ArrayLike, y: ArrayLike) -> tuple[Array, Array]:
        """Distorted normalised coordinates of the normalised ``x``, ``y``."""
        xa, ya = np.asarray(x, np.float64), np.asarray(y, np.float64)
        r2 = xa * xa + ya * ya
        scale = 1.0 + self.k1 * r2 + self.k2 * r2 * r2
        return xa * scale, ya * scale

    def undistort(self, xd: ArrayLike, yd: ArrayLike) -> tuple[Array, Array]:
        """Normalised coordinates whose distortion is ``xd``, ``yd`` (fixed-point iteration)."""
        xd_a, yd_a = np.asarray(xd, np.float64), np.asarray(yd, np.float64)
        x, y = xd_a.copy(), yd_a.copy()
        if self.k1 == 0.0 and self.k2 == 0.0:
            return x, y
        for _ in range(UNDISTORT_ITERATIONS):
            r2 = x * x + y * y
            scale = 1.0 + self.k1 * r2 + self.k2 * r2 * r2
            x_next, y_next = xd_a / scale, yd_a / scale
            moved = max(
                float(np.max(np.abs(x_next - x), initial=0.0)),
                float(np.max(np.abs(y_next - y), initial=0.0)),
            )
            x, y = x_next, y_next
            if moved <= UNDISTORT_TOLERANCE:
                break
        return x, y

    def to_pixels(self, points_cam: ArrayLike) -> tuple[Array, Array, NDArray[np.bool_]]:
        """(u, v, in_front) of points (..., 3) in the camera frame; u, v are NaN behind."""
        p = np.asarray(points_cam, np.float64)
        z = p[..., 2]
        in_front = np.isfinite(z) & (z > 0.0)
        safe_z = np.where(in_front, z, 1.0)
        xd, yd = self.distort(p[..., 0] / safe_z, p[..., 1] / safe_z)
        u = np.where(in_front, self.focal_x_px * xd + self.principal_x_px, np.nan)
        v = np.where(in_front, self.focal_y_px * yd + self.principal_y_px, np.nan)
        return u, v, in_front

    def directions(self, u: ArrayLike, v: ArrayLike) -> Array:
        """Unit ray directions (..., 3) in the camera frame through pixel coordinates u, v."""
        ua, va = np.broadcast_arrays(np.asarray(u, np.float64), np.asarray(v, np.float64))
        xd = (ua - self.principal_x_px) / self.focal_x_px
        yd = (va - self.principal_y_px) / self.focal_y_px
        x, y = self.undistort(xd, yd)
        d = np.stack([x, y, np.ones_like(x)], axis=-1)
        result: Array = d / np.linalg.norm(d, axis=-1, keepdims=True)
        return result


@dataclass(frozen=True)
class CameraPose:
    """Where a camera is and how it is turned, in the site's ENU frame.

    ``position`` (3,) [m]; ``rotation`` (3, 3) takes camera-frame vectors to ENU: its
    columns are the camera's +x (right), +y (down) and +z (boresight) in ENU.
    """

    position: Array
    rotation: Array

    def to_camera(self, points_enu: ArrayLike) -> Array:
        """Points (..., 3) in ENU [m] as camera-frame coordinates [m]."""
        p = np.asarray(points_enu, np.float64) - self.position
        result: Array = p @ self.rotation  # row vectors: (R^T p^T)^T
        return result

    def to_world(self, vectors_cam: ArrayLike) -> Array:
        """Camera-frame vectors (..., 3) as ENU vectors (a rotation, no translation)."""
        result: Array = np.asarray(vectors_cam, np.float64) @ self.rotation.T
        return result

    @property
    def boresight(self) -> Array:
        """The camera's +z axis in ENU (a unit vector)."""
        result: Array = self.rotation[:, 2].copy()
        return result


def project(
    camera: PinholeCamera, pose: CameraPose, points_enu: ArrayLike
) -> tuple[Array, Array, NDArray[np.bool_]]:
    """Pixel coordinates (u, v) and the in-front mask of points (N, 3) in ENU [m].

    Points on or behind the camera's image plane get ``in_front`` False and u, v NaN.
    Points in front are projected even when they fall outside the image.
    """
    return camera.to_pixels(pose.to_camera(points_enu))


def back_project(
    camera: PinholeCamera, u: ArrayLike, v: ArrayLike, pose: CameraPose | None = None
) -> Array:
    """Unit ray directions (N, 3) through pixel coordinates ``u``, ``v``: in ENU when
    ``pose`` is given, else in the camera frame."""
    directions = camera.directions(u, v)
    return directions if pose is None else pose.to_world(directions)


def rays(
    camera: PinholeCamera,
    pose: CameraPose,
    width_px: int | None = None,
    height_px: int | None = None,
) -> tuple[Array, Array]:
    """Every pixel's ray: (origins, unit directions), each (height, width, 3) in ENU.

    Rays go through pixel centres; ``width_px`` x ``height_px`` (default: the camera's
    own format) resamples the same field of view. The origins are a read-only view of
    the camera position.
    """
    sampled = camera.resized(width_px or camera.width_px, height_px or camera.height_px)
    u = np.arange(sampled.width_px, dtype=np.float64) + 0.5
    v = np.arange(sampled.height_px, dtype=np.float64) + 0.5
    uu, vv = np.meshgrid(u, v)
    directions = back_project(sampled, uu, vv, pose)
    origins = np.broadcast_to(pose.position, directions.shape)
    return origins, directions
