"""perseverance.mars.sun: the Sun at the landing, the seasons, noon and midnight, arrays."""

from __future__ import annotations

import math

import numpy as np
import pytest

from perseverance.mars.sun import subsolar_declination_deg, sun_at_site, sun_position
from perseverance.mars.time import (
    areocentric_solar_longitude_deg,
    local_true_solar_time_hours,
    mars_solar_date,
)
from perseverance.terrain.site import load_site

SITE = load_site("jezero")
LAT = SITE.landing_site.latitude_deg
LON = SITE.landing_site.longitude_deg
#: Earth-received landing time (NASA), ~15:53 LMST at Jezero, Ls ~5.2 deg.
LANDING = "2021-02-18T20:55:00Z"


def _minutes(start: str, hours: float) -> np.ndarray:
    """One-minute UTC grid of ``hours`` from ``start``."""
    first = np.datetime64(start.rstrip("Z"), "s")
    return first + np.arange(int(hours * 60)) * np.timedelta64(60, "s")


def _hand_enu(ls_deg: float, ltst_h: float) -> np.ndarray:
    """The Sun in ENU by rotating a body-fixed vector (not the module's formulas).

    The Sun stands over latitude delta = asin(sin 25.19 sin Ls) and over the longitude
    where it is noon: lambda_sun = lambda - 15 (LTST - 12).
    """
    delta = math.asin(math.sin(math.radians(25.19)) * math.sin(math.radians(ls_deg)))
    lam = math.radians(LON)
    lam_sun = lam - math.radians(15.0 * (ltst_h - 12.0))
    phi = math.radians(LAT)
    sun = np.array(
        [math.cos(delta) * math.cos(lam_sun), math.cos(delta) * math.sin(lam_sun), math.sin(delta)]
    )
    east = np.array([-math.sin(lam), math.cos(lam), 0.0])
    north = np.array(
        [-math.sin(phi) * math.cos(lam), -math.sin(phi) * math.sin(lam), math.cos(phi)]
    )
    up = np.array([math.cos(phi) * math.cos(lam), math.cos(phi) * math.sin(lam), math.sin(phi)])
    return np.array([sun @ east, sun @ north, sun @ up])


def test_landing_sun_is_in_the_western_sky_where_the_hand_computation_puts_it():
    sun = sun_at_site(SITE, LANDING)
    ls = areocentric_solar_longitude_deg(LANDING)
    ltst = local_true_solar_time_hours(mars_solar_date(LANDING), LON)
    assert ls == pytest.approx(5.2, abs=0.5)  # "about 5.2 deg" (docs/reference/surface.md)
    hand = _hand_enu(ls, ltst)
    np.testing.assert_allclose(sun.enu, hand, atol=1e-9)
    assert sun.elevation_deg == pytest.approx(math.degrees(math.asin(hand[2])), abs=1e-6)
    assert sun.azimuth_deg == pytest.approx(
        math.degrees(math.atan2(hand[0], hand[1])) % 360.0, abs=1e-6
    )
    # Mid-afternoon (~4 h after noon) near the equinox at 18 deg N: west, a third of the way up.
    assert 225.0 < sun.azimuth_deg < 315.0
    assert 20.0 < sun.elevation_deg < 45.0
    assert sun.hour_angle_deg > 0.0


def test_declination_follows_the_seasons():
    assert subsolar_declination_deg(0.0) == pytest.approx(0.0, abs=1e-12)
    assert subsolar_declination_deg(90.0) == pytest.approx(25.19, abs=1e-9)
    assert subsolar_declination_deg(180.0) == pytest.approx(0.0, abs=1e-9)
    assert subsolar_declination_deg(270.0) == pytest.approx(-25.19, abs=1e-9)


def test_sun_is_below_the_horizon_at_local_midnight():
    times = _minutes("2021-02-18T00:00:00Z", 25.0)
    sun = sun_position(times, LAT, LON)
    midnight = np.argmin(np.abs(np.abs(sun.hour_angle_deg) - 180.0))
    assert abs(sun.hour_angle_deg[midnight]) > 179.0
    assert sun.elevation_deg[midnight] < 0.0
    # and it is as low as it gets: -(90 - |lat + dec|)
    expected = -(90.0 - abs(LAT + sun.declination_deg[midnight]))
    assert sun.elevation_deg[midnight] == pytest.approx(expected, abs=0.1)


def _noon(start: str, latitude_deg: float) -> tuple[float, float, float]:
    times = _minutes(start, 25.0)
    sun = sun_position(times, latitude_deg, LON)
    i = np.argmin(np.abs(sun.hour_angle_deg))
    return sun.azimuth_deg[i], sun.elevation_deg[i], sun.declination_deg[i]


def test_noon_sun_is_south_when_the_site_is_north_of_the_subsolar_latitude():
    azimuth, elevation, declination = _noon("2021-02-18T00:00:00Z", LAT)
    assert declination < LAT
    assert azimuth == pytest.approx(180.0, abs=1.0)
    assert elevation == pytest.approx(90.0 - (LAT - declination), abs=0.1)


def test_noon_sun_is_north_when_the_site_is_south_of_the_subsolar_latitude():
    days = np.datetime64("2021-02-18") + np.arange(700) * np.timedelta64(1, "D")
    solstice = days[np.argmin(np.abs(areocentric_solar_longitude_deg(days) - 90.0))]
    azimuth, elevation, declination = _noon(str(solstice) + "T00:00:00Z", 10.0)
    assert declination == pytest.approx(25.19, abs=0.1)
    assert min(azimuth, 360.0 - azimuth) == pytest.approx(0.0, abs=1.0)
    assert elevation == pytest.approx(90.0 - (declination - 10.0), abs=0.1)


def test_arrays_in_arrays_out():
    times = _minutes("2021-02-18T00:00:00Z", 2.0).reshape(4, 30)
    sun = sun_position(times, LAT, LON)
    assert sun.elevation_deg.shape == (4, 30)
    assert sun.azimuth_deg.shape == (4, 30)
    assert sun.enu.shape == (4, 30, 3)
    np.testing.assert_allclose(np.linalg.norm(sun.enu, axis=-1), 1.0)
    one = sun_position(times[2, 7], LAT, LON)
    assert isinstance(one.elevation_deg, float)
    assert one.elevation_deg == sun.elevation_deg[2, 7]
    np.testing.assert_array_equal(one.enu, sun.enu[2, 7])
