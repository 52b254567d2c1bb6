"""Earth-Mars-Sun geometry from JPL's DE421 planetary ephemeris, offline.

The ephemeris is skyfield-data's ``de421.bsp`` (Folkner et al. 2008, JPL IOM 343R-08-003),
read by Skyfield (Rhodes) from the installed package, never downloaded; UTC goes to TT and
TDB through Skyfield's built-in leap-second table (``load.timescale(builtin=True)``). The
kernel loads on first use and stays loaded, so ``import perseverance`` costs nothing.

What each quantity is:

- ``earth_mars_distance_m``: the geometric distance between the centres of Earth and
  Mars at one instant (TDB), no light time.
- ``light_time_s``: the one-way light time of a signal leaving Mars' centre at ``utc``
  and arriving at Earth's centre, light-time corrected (Earth taken where it is when
  the signal arrives), in the Solar System barycentric frame. The Shapiro delay (at most
  ~0.25 ms near conjunction) and the ~3,400 km of Mars' radius and Earth's are left
  out. It gives 11 min 22 s at the Mars 2020 landing and 13 min 48 s at Curiosity's.
- ``sun_earth_mars_angle_deg``: the Sun-Earth-probe angle (SEP), the angle at Earth's
  centre between the astrometric (light-time corrected) directions to the Sun and to Mars.
- ``sun_in_site_sky`` and ``earth_in_site_sky``: a body's direction in the sky of a site
  on Mars. The astrometric direction from Mars' centre (ICRF) is turned into the Mars
  body-fixed frame with the IAU 2015 rotation model (Archinal et al. 2018, Celest. Mech.
  Dyn. Astr. 130:22), then into local east-north-up at the planetocentric latitude,
  "up" being the radial direction (as ``perseverance.mars.sun``). Left out: the
  parallax of the site (< 0.001 deg for the Sun, far less for Earth), aberration
  (~0.005 deg), refraction and the terrain's horizon.

Every function taking ``utc`` accepts what ``perseverance.mars.time`` accepts (a
``datetime``, an ISO 8601 string, ``numpy.datetime64`` or an array of them); a scalar in
gives a Python ``float`` out, an array in an array of the same shape. An instant outside
DE421's span (1899-07-29 .. 2053-10-09) raises a one-line ``ConfigError``.

>>> from perseverance.mars.ephemeris import light_time_s
>>> round(light_time_s("2021-02-18T20:55:00Z"))  # 11 min 22 s
682
"""

from __future__ import annotations

import atexit
import warnings
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from perseverance.errors import ConfigError
from perseverance.mars.frames import enu_basis
from perseverance.mars.time import _as_datetime64, mission_sol

__all__ = [
    "CONJUNCTION_SEP_DEG",
    "DE421_FIRST_UTC",
    "DE421_LAST_UTC",
    "MORATORIUM_SEP_DEG",
    "SPEED_OF_LIGHT_M_S",
    "ConjunctionInterval",
    "LightTimeTable",
    "SkyDirection",
    "check_conjunction_sols",
    "conjunction_sols",
    "earth_in_site_sky",
    "earth_mars_distance_m",
    "light_time_s",
    "mars_orientation_matrix",
    "solar_conjunction",
    "sun_earth_mars_angle_deg",
    "sun_in_site_sky",
]

#: Speed of light in vacuum [m/s], exact by the SI definition of the metre.
SPEED_OF_LIGHT_M_S = 299_792_458.0

#: NASA's commanding moratorium for all Mars spacecraft: no commands while Mars is within
#: this angle of the Sun as seen from Earth [deg]. 2021: 2 to 14 October (B: NASA/JPL
#: "Mars solar conjunction" releases of 2015 and 2021, "when Mars is within 2 degrees
#: of the Sun").
MORATORIUM_SEP_DEG = 2.0

#: The mission's own conjunction period, wider than the moratorium: "restrictions on
#: commanding ... during the days before and after" (B: NASA/JPL 2015 release). For
#: Perseverance in 2021 it was sols 217-235, 28 September - 17 October (B: NASA Mars 2020
#: blog, "Hunkering Down for Solar Conjunction", sol 213). The angle is ours: 3 deg (E)
#: brackets those dates to about a day (DE421 gives 3.42 deg on 28 Sep, 2.97 on 17 Oct).
CONJUNCTION_SEP_DEG = 3.0

#: First and last UTC days that DE421 covers (JD 2414864.5 .. 2471184.5 TDB).
DE421_FIRST_UTC = np.datetime64("1899-07-29", "D")
DE421_LAST_UTC = np.datetime64("2053-10-09", "D")
# Positions are asked for up to one light time (< 25 min) before the instant: keep an hour.
_SPAN_MARGIN = np.timedelta64(1, "h")

_DAY_S = 86_400.0
_JD_J2000 = 2_451_545.0
_UNIX_EPOCH = np.datetime64("1970-01-01T00:00:00", "us")
_ONE_SECOND = np.timedelta64(1, "s")
_FINALS_EXPIRED = "The file finals2000A.all has expired"

# IAU 2015 Mars rotation (Archinal et al. 2018, Table 2; NAIF pck00011.tpc), d in days and
# T in Julian centuries of TDB from J2000. The pole and prime meridian keep their three
# long-period terms (argument 0.5042615 deg per century; amplitudes 0.42, 1.59 and 0.58 deg)
# that carry the pole to the IAU 2009 one; the short-period terms left out are each below
# 0.00024 deg, so the orientation is good to ~0.001 deg (the model's own accuracy).
_POLE_RA_DEG = (317.269202, -0.10927547)
_POLE_DEC_DEG = (54.432516, -0.05827105)
_PRIME_MERIDIAN_DEG = (176.049863, 350.891982443297)
_LONG_PERIOD_RATE_DEG_PER_CENTURY = 0.5042615
_RA_TERM = (0.419057, 79.398797)  # amplitude [deg] x sin(phase [deg] + rate T)
_DEC_TERM = (1.591274, 166.325722)  # amplitude [deg] x cos(phase [deg] + rate T)
_W_TERM = (0.584542, 95.391654)  # amplitude [deg] x sin(phase [deg] + rate T)


@dataclass(frozen=True)
class _Kernel:
    """The loaded ephemeris: Skyfield's timescale and the three bodies."""

    timescale: Any
    earth: Any
    mars: Any
    sun: Any


def _kernel_path() -> Path:
    """Where skyfield-data keeps ``de421.bsp`` (its expired-finals warning silenced:
    the built-in timescale does not read ``finals2000A.all``)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=_FINALS_EXPIRED, category=RuntimeWarning)
        from skyfield_data import get_skyfield_data_path

        return Path(get_skyfield_data_path()) / "de421.bsp"


@lru_cache(maxsize=1)
def _kernel() -> _Kernel:
    """Load DE421 and the timescale once (well under a second)."""
    from skyfield.api import load, load_file

    path = _kernel_path()
    if not path.is_file():
        raise ConfigError(
            f"DE421 ephemeris not found at {path}: reinstall skyfield-data "
            "(`pip install 'skyfield-data>=7'`)."
        )
    planets = load_file(str(path))
    atexit.register(planets.close)  # kept open while the process runs; closed at exit
    return _Kernel(load.timescale(builtin=True), planets["earth"], planets["mars"], planets["sun"])


def _out(value: NDArray[np.float64]) -> Any:
    """A 0-d result as a Python float; arrays unchanged."""
    return value.item() if np.ndim(value) == 0 else value


def _utc64(utc: Any) -> NDArray[np.datetime64]:
    """UTC as ``datetime64[us]`` after checking it lies in DE421's span."""
    utc64 = _as_datetime64(utc)
    low = DE421_FIRST_UTC.astype("datetime64[us]") + _SPAN_MARGIN
    high = DE421_LAST_UTC.astype("datetime64[us]") - _SPAN_MARGIN
    outside = (utc64 < low) | (utc64 > high)
    if np.any(outside):
        first = np.ravel(utc64)[np.flatnonzero(np.ravel(outside))[0]]
        raise ConfigError(
            f"UTC {np.datetime_as_string(first, unit='s')}Z is outside the DE421 ephemeris "
            f"span {DE421_FIRST_UTC} .. {DE421_LAST_UTC}: give an instant inside it."
        )
    return utc64


def _time(utc64: NDArray[np.datetime64]) -> Any:
    """Skyfield ``Time`` for UTC instants (whole days and seconds kept apart: no rounding)."""
    microseconds = (utc64 - _UNIX_EPOCH).astype(np.int64)
    days, rest_us = np.divmod(microseconds, 86_400_000_000)
    return _kernel().timescale.utc(1970, 1, 1 + days, 0, 0, rest_us / 1e6)


def earth_mars_distance_m(utc: Any) -> Any:
    """Geometric distance between the centres of Earth and Mars at ``utc`` [m]."""
    k = _kernel()
    t = _time(_utc64(utc))
    return _out(np.linalg.norm(k.mars.at(t).position.m - k.earth.at(t).position.m, axis=0))


def light_time_s(utc: Any) -> Any:
    """One-way light time [s] of a signal leaving Mars at ``utc`` for Earth (light-time
    corrected: Earth's position at arrival). ``utc + light_time_s(utc)`` is when it arrives.

    Solves tau = |r_earth(t + tau) - r_mars(t)| / c by iteration (three passes leave
    < 1 ns); barycentric positions from DE421.
    """
    k = _kernel()
    utc64 = _utc64(utc)
    t = _time(utc64)
    mars_m = k.mars.at(t).position.m
    tau_s = np.linalg.norm(mars_m - k.earth.at(t).position.m, axis=0) / SPEED_OF_LIGHT_M_S
    for _ in range(3):
        arrival = k.timescale.tdb_jd(t.whole, t.tdb_fraction + tau_s / _DAY_S)
        earth_m = k.earth.at(arrival).position.m
        tau_s = np.linalg.norm(earth_m - mars_m, axis=0) / SPEED_OF_LIGHT_M_S
    return _out(np.asarray(tau_s, dtype=float))


@dataclass(frozen=True)
class LightTimeTable:
    """`light_time_s` on an hourly grid, interpolated: for the many instants of a
    mission's downlink at the cost of one ephemeris call.

    Linear interpolation at 1 h steps errs by < 1e-5 s (the light time's curvature is
    < 0.05 s/day^2); `BOUND_S` is added so the table never gives less than the ephemeris.
    """

    start: np.datetime64
    step_s: float
    values_s: NDArray[np.float64]

    #: Added to every interpolated value [s]: far above the interpolation error.
    BOUND_S = 1e-3
    #: Grid step [s].
    STEP_S = 3600.0

    @classmethod
    def over(cls, start_utc: Any, end_utc: Any) -> LightTimeTable:
        """The table covering [start_utc, end_utc] (one step of margin either side)."""
        lo, hi = _as_datetime64(start_utc), _as_datetime64(end_utc)
        step = np.timedelta64(int(cls.STEP_S), "s")
        n = int(np.ceil((hi - lo) / step)) + 3
        grid = lo - step + np.arange(n) * step
        return cls(grid[0], cls.STEP_S, np.atleast_1d(np.asarray(light_time_s(grid), float)))

    def __call__(self, utc: Any) -> NDArray[np.float64]:
        """The light time [s] at ``utc`` (datetime64 array); `ConfigError` off the table."""
        x = (np.asarray(utc, dtype="datetime64[us]") - self.start) / np.timedelta64(1, "s")
        x = np.asarray(x, dtype=float) / self.step_s
        if x.size and (x.min() < 0 or x.max() > self.values_s.size - 1):
            raise ConfigError("an instant lies outside the light-time table's span")
        grid = np.arange(self.values_s.size, dtype=float)
        return np.interp(x, grid, self.values_s) + self.BOUND_S


def sun_earth_mars_angle_deg(utc: Any) -> Any:
    """The Sun-Earth-probe angle (SEP) [deg]: at Earth, between the Sun and Mars.

    Both directions astrometric (light-time corrected) from Earth's centre at ``utc``.
    """
    k = _kernel()
    earth = k.earth.at(_time(_utc64(utc)))
    sun, mars = earth.observe(k.sun), earth.observe(k.mars)
    return _out(np.asarray(sun.separation_from(mars).degrees, dtype=float))


def mars_orientation_matrix(tdb_days: ArrayLike) -> NDArray[np.float64]:
    """Rotation from ICRF to the Mars body-fixed frame, IAU 2015 (shape (..., 3, 3)).

    ``tdb_days`` is the time at Mars in days of TDB since J2000.0 (d). The matrix is
    R_z(W) R_x(90 deg - dec0) R_z(90 deg + ra0), with the pole (ra0, dec0) and the prime
    meridian W of Archinal et al. (2018), long-period terms included.
    """
    d = np.asarray(tdb_days, dtype=float)
    centuries = d / 36_525.0
    angle = np.radians(_LONG_PERIOD_RATE_DEG_PER_CENTURY * centuries)
    ra0 = _POLE_RA_DEG[0] + _POLE_RA_DEG[1] * centuries
    ra0 = ra0 + _RA_TERM[0] * np.sin(np.radians(_RA_TERM[1]) + angle)
    dec0 = _POLE_DEC_DEG[0] + _POLE_DEC_DEG[1] * centuries
    dec0 = dec0 + _DEC_TERM[0] * np.cos(np.radians(_DEC_TERM[1]) + angle)
    w = _PRIME_MERIDIAN_DEG[0] + _PRIME_MERIDIAN_DEG[1] * d
    w = w + _W_TERM[0] * np.sin(np.radians(_W_TERM[1]) + angle)
    return _rot_z(np.radians(w)) @ _rot_x(np.radians(90.0 - dec0)) @ _rot_z(np.radians(90.0 + ra0))


def _rot_z(angle: NDArray[np.float64]) -> NDArray[np.float64]:
    """Frame rotation by ``angle`` [rad] about z (shape (..., 3, 3))."""
    c, s = np.cos(angle), np.sin(angle)
    zero, one = np.zeros_like(c), np.ones_like(c)
    rows = [
        np.stack([c, s, zero], -1),
        np.stack([-s, c, zero], -1),
        np.stack([zero, zero, one], -1),
    ]
    return np.stack(rows, -2)


def _rot_x(angle: NDArray[np.float64]) -> NDArray[np.float64]:
    """Frame rotation by ``angle`` [rad] about x (shape (..., 3, 3))."""
    c, s = np.cos(angle), np.sin(angle)
    zero, one = np.zeros_like(c), np.ones_like(c)
    rows = [
        np.stack([one, zero, zero], -1),
        np.stack([zero, c, s], -1),
        np.stack([zero, -s, c], -1),
    ]
    return np.stack(rows, -2)


@dataclass(frozen=True)
class SkyDirection:
    """A body's direction in a Mars site's sky; scalars for one instant, arrays for many."""

    elevation_deg: Any
    """Elevation above the local horizontal plane (normal to the radius) [deg]."""
    azimuth_deg: Any
    """Azimuth from north, east-positive, in [0, 360) [deg]."""
    enu: NDArray[np.float64]
    """Unit vector toward the body in local east, north, up (..., 3)."""


def _in_site_sky(
    body: str, utc: Any, latitude_deg: float, longitude_east_deg: float
) -> SkyDirection:
    k = _kernel()
    t = _time(_utc64(utc))
    icrf = k.mars.at(t).observe(getattr(k, body)).position.m  # (3, ...)
    unit = np.moveaxis(icrf / np.linalg.norm(icrf, axis=0), 0, -1)  # (..., 3)
    rotation = mars_orientation_matrix(t.tdb - _JD_J2000)
    fixed = np.einsum("...ij,...j->...i", rotation, unit)
    east, north, up = enu_basis(np.radians(latitude_deg), np.radians(longitude_east_deg))
    enu = np.stack([fixed @ np.asarray(axis, dtype=float) for axis in (east, north, up)], -1)
    elevation = np.degrees(np.arcsin(np.clip(enu[..., 2], -1.0, 1.0)))
    azimuth = np.mod(np.degrees(np.arctan2(enu[..., 0], enu[..., 1])), 360.0)
    return SkyDirection(elevation_deg=_out(elevation), azimuth_deg=_out(azimuth), enu=enu)


def sun_in_site_sky(utc: Any, latitude_deg: float, longitude_east_deg: float) -> SkyDirection:
    """The Sun's direction at planetocentric ``latitude_deg``, east ``longitude_east_deg``."""
    return _in_site_sky("sun", utc, latitude_deg, longitude_east_deg)


def earth_in_site_sky(utc: Any, latitude_deg: float, longitude_east_deg: float) -> SkyDirection:
    """Earth's direction at planetocentric ``latitude_deg``, east ``longitude_east_deg``
    (above the horizon: direct-to-Earth is possible, terrain aside)."""
    return _in_site_sky("earth", utc, latitude_deg, longitude_east_deg)


class ConjunctionInterval(NamedTuple):
    """A stretch of time while the Sun-Earth-Mars angle is below a threshold (UTC)."""

    first_utc: np.datetime64
    last_utc: np.datetime64
    min_angle_deg: float
    """The smallest SEP sampled in the interval (on the search's grid) [deg]."""


def solar_conjunction(
    start_utc: Any,
    end_utc: Any,
    threshold_deg: float = CONJUNCTION_SEP_DEG,
    *,
    step_h: float = 6.0,
) -> list[ConjunctionInterval]:
    """The intervals between ``start_utc`` and ``end_utc`` while SEP < ``threshold_deg``.

    Samples SEP every ``step_h`` hours (it changes by ~0.3 deg/day near conjunction), then
    bisects each crossing to a second. An interval running past either end is cut there.

    >>> [str(c.first_utc.astype("datetime64[D]")) for c in solar_conjunction(
    ...     "2021-09-01", "2021-11-01", MORATORIUM_SEP_DEG)]
    ['2021-10-02']
    """
    start, end = _utc64(start_utc), _utc64(end_utc)
    if np.ndim(start) or np.ndim(end) or not start < end:
        raise ConfigError(f"solar_conjunction: start {start} must be one instant before end {end}")
    if not threshold_deg > 0.0:
        raise ConfigError(f"solar_conjunction: threshold_deg = {threshold_deg} must be > 0 deg")
    start_us, end_us = int(start.astype(np.int64)), int(end.astype(np.int64))
    step_us = max(1, round(step_h * 3.6e9))
    grid = np.append(np.arange(start_us, end_us, step_us), end_us).astype("datetime64[us]")
    below = np.asarray(sun_earth_mars_angle_deg(grid)) < threshold_deg
    change = np.flatnonzero(below[1:] != below[:-1])  # a crossing between grid[i], grid[i+1]
    edges = _bisect_crossings(grid[change], grid[change + 1], threshold_deg)
    enters = below[change + 1]
    firsts = np.concatenate([grid[:1][below[:1]], edges[enters]])
    lasts = np.concatenate([edges[~enters], grid[-1:][below[-1:]]])
    intervals = []
    for first, last in zip(firsts, lasts, strict=True):
        inside = np.append(grid[(grid > first) & (grid < last)], [first, last])
        angle = float(np.min(sun_earth_mars_angle_deg(inside)))
        first_s, last_s = first.astype("datetime64[s]"), last.astype("datetime64[s]")
        intervals.append(ConjunctionInterval(first_s, last_s, angle))
    return intervals


def _bisect_crossings(
    low: NDArray[np.datetime64], high: NDArray[np.datetime64], threshold_deg: float
) -> NDArray[np.datetime64]:
    """Where SEP crosses ``threshold_deg`` inside each [low, high], to a second."""
    if low.size == 0:
        return high
    low_below = np.asarray(sun_earth_mars_angle_deg(low)) < threshold_deg
    while np.max(high - low) > _ONE_SECOND:
        mid = low + (high - low) // 2
        mid_below = np.atleast_1d(sun_earth_mars_angle_deg(mid)) < threshold_deg
        same = mid_below == low_below
        low, high = np.where(same, mid, low), np.where(same, high, mid)
    return high


def conjunction_sols(
    intervals: list[ConjunctionInterval], landing_utc: Any, longitude_east_deg: float
) -> list[tuple[int, int]]:
    """Each interval as (first sol, last sol) of the mission (0 = landing sol), counting
    every sol with any part of it below the threshold (sols from Mars24 LMST at the site)."""
    return [
        (
            int(mission_sol(i.first_utc, landing_utc, longitude_east_deg)),
            int(mission_sol(i.last_utc, landing_utc, longitude_east_deg)),
        )
        for i in intervals
    ]


def check_conjunction_sols(
    stated: tuple[int, int], computed: tuple[int, int], *, tolerance_sols: int = 2
) -> str | None:
    """None when a stated conjunction (first, last sol) matches the computed one within
    ``tolerance_sols`` at both ends; otherwise one line saying what differs.

    >>> check_conjunction_sols((217, 235), (216, 233)) is None
    True
    >>> check_conjunction_sols((200, 235), (216, 233))
    'conjunction sols 200-235 differ from the ephemeris 216-233 by more than 2 sols'
    """
    if abs(stated[0] - computed[0]) <= tolerance_sols and abs(stated[1] - computed[1]) <= (
        tolerance_sols
    ):
        return None
    return (
        f"conjunction sols {stated[0]}-{stated[1]} differ from the ephemeris "
        f"{computed[0]}-{computed[1]} by more than {tolerance_sols} sols"
    )
