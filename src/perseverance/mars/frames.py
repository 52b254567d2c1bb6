"""Frames and geometry of Mars.

Frame: Mars body-fixed (IAU), right-handed, z along the spin axis, x through
the prime meridian. Latitudes are planetocentric, longitudes east-positive.
Heights are above the reference sphere of radius `R_MARS` unless a name says
otherwise (``height_above_areoid_m``).

The areoid is approximated by the IAU 2000 ellipsoid (first order in the
flattening); the true MOLA areoid departs from it by up to ~2 km globally, but
varies by far less across a landing region, which is what matters here.

All functions are vectorised: scalars or arrays of one shape in, the same out.
"""

from __future__ import annotations

from typing import TypeVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

from perseverance.mars.constants import FLATTENING_MARS, OMEGA_MARS, R_MARS

#: A scalar or an array of float64: what a vectorised function here takes and gives back.
Real = TypeVar("Real", float, NDArray[np.float64])
#: Three components of body-fixed vectors: a (3, ...) array or a tuple of three.
Vector = NDArray[np.float64] | tuple[Real, Real, Real]


def areoid_radius_m(sin_latitude: Real) -> Real:
    """Radius of the areoid [m] at a planetocentric latitude given by its sine."""
    return R_MARS * (1.0 - FLATTENING_MARS * sin_latitude**2)


def position_from_spherical(
    latitude_rad: Real, longitude_rad: Real, radius_m: Real
) -> tuple[Real, Real, Real]:
    """Body-fixed position ``(x, y, z)`` [m] of a point given in spherical coordinates."""
    cl = np.cos(latitude_rad)
    return (
        radius_m * cl * np.cos(longitude_rad),
        radius_m * cl * np.sin(longitude_rad),
        radius_m * np.sin(latitude_rad),
    )


def spherical_from_position(x: Real, y: Real, z: Real) -> tuple[Real, Real, Real]:
    """Planetocentric latitude [rad], east longitude [rad] and radius [m] of a position."""
    rxy = np.hypot(x, y)
    return np.arctan2(z, rxy), np.arctan2(y, x), np.hypot(rxy, z)


def enu_basis(
    latitude_rad: Real, longitude_rad: Real
) -> tuple[tuple[Real, Real, Real], tuple[Real, Real, Real], tuple[Real, Real, Real]]:
    """Unit vectors east, north and up, each a tuple of body-fixed components."""
    sl, cl = np.sin(latitude_rad), np.cos(latitude_rad)
    so, co = np.sin(longitude_rad), np.cos(longitude_rad)
    zero = np.zeros_like(sl * so)
    east = (-so + zero, co + zero, zero)
    north = (-sl * co, -sl * so, cl + zero)
    up = (cl * co, cl * so, sl + zero)
    return east, north, up


def velocity_from_flight_angles(
    *,
    speed_mps: Real,
    flight_path_angle_rad: Real,
    heading_rad: Real,
    lat_rad: Real,
    lon_rad: Real,
) -> tuple[Real, Real, Real]:
    """Velocity components (body frame) from speed, flight-path angle and heading.

    Heading is the azimuth of the horizontal velocity, clockwise from north.
    """
    east, north, up = enu_basis(lat_rad, lon_rad)
    ve = speed_mps * np.cos(flight_path_angle_rad) * np.sin(heading_rad)
    vn = speed_mps * np.cos(flight_path_angle_rad) * np.cos(heading_rad)
    vu = speed_mps * np.sin(flight_path_angle_rad)
    return (
        ve * east[0] + vn * north[0] + vu * up[0],
        ve * east[1] + vn * north[1] + vu * up[1],
        ve * east[2] + vn * north[2] + vu * up[2],
    )


def flight_angles_from_velocity(
    *, position: Vector[Real], velocity: Vector[Real]
) -> tuple[Real, Real, Real]:
    """Speed [m/s], flight-path angle [rad] and heading [rad] of a body-fixed ``velocity``
    ``(vx, vy, vz)`` [m/s] at ``position`` ``(x, y, z)`` [m]."""
    vx, vy, vz = velocity
    lat, lon, _ = spherical_from_position(*position)
    east, north, up = enu_basis(lat, lon)
    ve = vx * east[0] + vy * east[1] + vz * east[2]
    vn = vx * north[0] + vy * north[1] + vz * north[2]
    vu = vx * up[0] + vy * up[1] + vz * up[2]
    speed = np.sqrt(ve**2 + vn**2 + vu**2)
    return speed, np.arcsin(vu / speed), np.mod(np.arctan2(ve, vn), 2 * np.pi)


def inertial_to_relative_velocity(
    *, position: Vector[Real], velocity: Vector[Real]
) -> tuple[Real, Real, Real]:
    """Planet-relative velocity from the inertial ``velocity`` ``(vx, vy, vz)`` [m/s] at
    ``position`` ``(x, y, z)`` [m] at the same instant (v - w x r)."""
    x, y, _ = position
    vx, vy, vz = velocity
    return vx + OMEGA_MARS * y, vy - OMEGA_MARS * x, vz


def angle_between(a: ArrayLike, b: ArrayLike) -> NDArray[np.float64]:
    """Angle [rad] between body-fixed vectors ``a`` and ``b`` of shape (3, ...) (need not be
    unit vectors); stable for small angles."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    cross = np.cross(a, b, axis=0)
    return np.arctan2(np.sqrt((cross**2).sum(axis=0)), (a * b).sum(axis=0))


def destination(
    *, lat_rad: Real, lon_rad: Real, bearing: Real, distance_m: Real, radius_m: float = R_MARS
) -> tuple[Real, Real]:
    """Point reached from ``(lat, lon)`` along ``bearing`` after ``distance_m`` on a sphere."""
    d = distance_m / radius_m
    lat2 = np.arcsin(np.sin(lat_rad) * np.cos(d) + np.cos(lat_rad) * np.sin(d) * np.cos(bearing))
    lon2 = lon_rad + np.arctan2(
        np.sin(bearing) * np.sin(d) * np.cos(lat_rad),
        np.cos(d) - np.sin(lat_rad) * np.sin(lat2),
    )
    return lat2, lon2


class LocalFrame:
    """A tangent-plane frame at a point of the surface: east/north offsets in metres.

    Points are mapped by gnomonic projection from the planet centre, scaled to
    the reference sphere: horizontal distances from the origin are stretched by
    about (d/R)^2/3, i.e. 3 cm at 10 km and 23 cm at 20 km.
    """

    def __init__(self, latitude_rad: float, longitude_rad: float) -> None:
        self.latitude_rad = float(latitude_rad)
        self.longitude_rad = float(longitude_rad)
        e, n, u = enu_basis(latitude_rad, longitude_rad)
        self.east = np.array(e, dtype=float)
        self.north = np.array(n, dtype=float)
        self.up = np.array(u, dtype=float)

    def east_north(self, x: Real, y: Real, z: Real) -> tuple[Real, Real]:
        """East and north offsets [m] of body-fixed positions from the frame origin."""
        pe = x * self.east[0] + y * self.east[1] + z * self.east[2]
        pn = x * self.north[0] + y * self.north[1] + z * self.north[2]
        pu = x * self.up[0] + y * self.up[1] + z * self.up[2]
        return R_MARS * pe / pu, R_MARS * pn / pu

    def direction(self, east_m: Real, north_m: Real) -> tuple[Real, Real, Real]:
        """Unit body-fixed direction from the centre through a local east/north offset."""
        ux = R_MARS * self.up[0] + east_m * self.east[0] + north_m * self.north[0]
        uy = R_MARS * self.up[1] + east_m * self.east[1] + north_m * self.north[1]
        uz = R_MARS * self.up[2] + east_m * self.east[2] + north_m * self.north[2]
        norm = np.sqrt(ux**2 + uy**2 + uz**2)
        return ux / norm, uy / norm, uz / norm

    def horizontal(self, vx: Real, vy: Real, vz: Real) -> tuple[Real, Real]:
        """East and north components of body-fixed vectors (in this frame's axes)."""
        ve = vx * self.east[0] + vy * self.east[1] + vz * self.east[2]
        vn = vx * self.north[0] + vy * self.north[1] + vz * self.north[2]
        return ve, vn
