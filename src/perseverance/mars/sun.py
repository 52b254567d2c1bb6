"""The Sun in a site's sky: elevation, azimuth and local east-north-up direction, from Mars24.

Model
-----
The subsolar declination follows from the areocentric solar longitude Ls and the
obliquity epsilon (Mars24, Allison & McEwen 2000)::

    sin(delta) = sin(epsilon) sin(Ls)

and the hour angle from the local true solar time, H = 15 deg/h (LTST - 12 h), positive
in the afternoon. The standard spherical-astronomy transformation at the planetocentric
latitude phi then gives the elevation e and the azimuth A (from north, east-positive)::

    sin(e) = sin(phi) sin(delta) + cos(phi) cos(delta) cos(H)
    A = atan2(-cos(delta) sin(H), cos(phi) sin(delta) - sin(phi) cos(delta) cos(H))

What it leaves out: atmospheric refraction (small on Mars, well under a degree except at
the horizon); the solar parallax (the Sun is ~1.5 AU away, a few arcseconds); the
planetographic-planetocentric difference (Mars24's extra 0.25 deg sin Ls declination
term and the ~0.2 deg latitude difference at Jezero belong to the planetographic
system; here latitude, declination and the local vertical are all planetocentric, the
vertical being the radial direction); the Sun's finite disc (~0.35 deg) and the terrain's
own horizon.

Every function taking ``utc`` accepts what ``perseverance.mars.time`` accepts (a
``datetime``, an ISO 8601 string, ``numpy.datetime64`` or an array of them); arrays give
arrays of the same shape, and the direction has a trailing axis of 3.

>>> from perseverance.mars.sun import sun_at_site
>>> from perseverance.terrain.site import load_site
>>> sun = sun_at_site(load_site("jezero"), "2021-02-18T20:55:00Z")
>>> 180.0 < sun.azimuth_deg < 360.0 and 0.0 < sun.elevation_deg < 90.0
True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from numpy.typing import ArrayLike, NDArray

from perseverance.mars.constants import OBLIQUITY_MARS_DEG
from perseverance.mars.time import (
    areocentric_solar_longitude_deg,
    local_true_solar_time_hours,
    mars_solar_date,
)

__all__ = ["SunPosition", "subsolar_declination_deg", "sun_at_site", "sun_position"]


@dataclass(frozen=True)
class SunPosition:
    """Where the Sun is in a site's sky at one or more instants.

    Scalars for one instant; arrays of the input's shape for many (``enu`` adds a last
    axis of 3).
    """

    elevation_deg: Any
    """Elevation above the local horizontal plane [deg]; negative below the horizon."""
    azimuth_deg: Any
    """Azimuth clockwise from north (east = 90 deg), in [0, 360) [deg]."""
    declination_deg: Any
    """Subsolar (planetocentric) latitude [deg]."""
    hour_angle_deg: Any
    """Local hour angle, 15 deg/h (LTST - 12 h), in [-180, 180) [deg]; > 0 after noon."""
    enu: NDArray[np.float64]
    """Unit vector toward the Sun in local east, north, up (..., 3)."""


def _out(value: NDArray[np.float64]) -> Any:
    """A 0-d result as a Python float; arrays unchanged."""
    return value.item() if np.ndim(value) == 0 else value


def subsolar_declination_deg(ls_deg: ArrayLike) -> Any:
    """Subsolar declination, arcsin(sin(obliquity) sin(Ls)) [deg], from Ls [deg]."""
    ls = np.radians(np.asarray(ls_deg, dtype=float))
    sin_obliquity = np.sin(np.radians(OBLIQUITY_MARS_DEG))
    return _out(np.degrees(np.arcsin(sin_obliquity * np.sin(ls))))


def sun_position(utc: Any, latitude_deg: float, longitude_east_deg: float) -> SunPosition:
    """The Sun's direction at planetocentric ``latitude_deg``, east ``longitude_east_deg``."""
    msd = np.asarray(mars_solar_date(utc), dtype=float)
    ls_deg = np.asarray(areocentric_solar_longitude_deg(utc), dtype=float)
    ltst_h = np.asarray(local_true_solar_time_hours(msd, longitude_east_deg), dtype=float)
    declination_deg = np.asarray(subsolar_declination_deg(ls_deg), dtype=float)
    hour_angle_deg = np.mod(15.0 * (ltst_h - 12.0) + 180.0, 360.0) - 180.0

    delta = np.radians(declination_deg)
    hour = np.radians(hour_angle_deg)
    phi = np.radians(latitude_deg)
    up = np.sin(phi) * np.sin(delta) + np.cos(phi) * np.cos(delta) * np.cos(hour)
    east = -np.cos(delta) * np.sin(hour)
    north = np.cos(phi) * np.sin(delta) - np.sin(phi) * np.cos(delta) * np.cos(hour)
    elevation_deg = np.degrees(np.arcsin(np.clip(up, -1.0, 1.0)))
    azimuth_deg = np.mod(np.degrees(np.arctan2(east, north)), 360.0)
    enu = np.stack([east, north, up], axis=-1)
    return SunPosition(
        elevation_deg=_out(elevation_deg),
        azimuth_deg=_out(azimuth_deg),
        declination_deg=_out(declination_deg),
        hour_angle_deg=_out(hour_angle_deg),
        enu=enu / np.linalg.norm(enu, axis=-1, keepdims=True),
    )


class _Point(Protocol):
    @property
    def latitude_deg(self) -> float: ...
    @property
    def longitude_deg(self) -> float: ...


class _Site(Protocol):
    """What `sun_at_site` needs of a site (`perseverance.terrain.site.Site`)."""

    @property
    def landing_site(self) -> _Point: ...


def sun_at_site(site: _Site, utc: Any) -> SunPosition:
    """The Sun's direction at ``site``'s landing point (e.g. ``load_site("jezero")``)."""
    point = site.landing_site
    return sun_position(utc, point.latitude_deg, point.longitude_deg)
