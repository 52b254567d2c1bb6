"""perseverance.mars.ephemeris against outside figures: light times, the 2021 conjunction,
the Sun's direction from Mars24, the ephemeris' span, and shapes."""

from __future__ import annotations

import numpy as np
import pytest

from perseverance.errors import ConfigError
from perseverance.mars.ephemeris import (
    CONJUNCTION_SEP_DEG,
    MORATORIUM_SEP_DEG,
    SPEED_OF_LIGHT_M_S,
    check_conjunction_sols,
    conjunction_sols,
    earth_in_site_sky,
    earth_mars_distance_m,
    light_time_s,
    mars_orientation_matrix,
    solar_conjunction,
    sun_earth_mars_angle_deg,
    sun_in_site_sky,
)
from perseverance.mars.sun import sun_position

#: Tolerances named once.
TWO_SECONDS = 2.0
TWO_SOLS = 2
ONE_DAY = np.timedelta64(1, "D")
#: The issue's bound on the Sun's direction, Mars24 vs the ephemeris [deg].
SUN_AGREEMENT_DEG = 0.2

#: Mars 2020 landing (Earth-received time) and site (planetocentric, east longitude).
LANDING_UTC = "2021-02-18T20:55:00Z"
JEZERO_LAT_DEG, JEZERO_LON_DEG = 18.4446, 77.45
#: 11 min 22 s (NASA, instruments.md 6d) and Curiosity's 13 min 48 s (JPL event table).
M2020_LIGHT_TIME_S = 11 * 60 + 22
MSL_LANDING_UTC = "2012-08-06T05:17:57Z"
MSL_LIGHT_TIME_S = 13 * 60 + 48
#: Perseverance's 2021 conjunction: sols 217-235, 28 Sep - 17 Oct (NASA Mars 2020 blog);
#: NASA's all-Mars moratorium (SEP < 2 deg): 2 - 14 October 2021.
M2020_CONJUNCTION_SOLS = (217, 235)
MORATORIUM_2021 = (np.datetime64("2021-10-02"), np.datetime64("2021-10-14"))


def _mars_year(n: int) -> np.ndarray:
    """``n`` instants spread over one Mars year (687 days) from the landing."""
    first = np.datetime64(LANDING_UTC.rstrip("Z"), "s")
    return first + (np.arange(n) * (687 * 86_400 // n)).astype("timedelta64[s]")


def test_light_time_at_the_mars_2020_landing():
    assert abs(light_time_s(LANDING_UTC) - M2020_LIGHT_TIME_S) <= TWO_SECONDS


def test_light_time_at_curiositys_landing():
    assert abs(light_time_s(MSL_LANDING_UTC) - MSL_LIGHT_TIME_S) <= TWO_SECONDS


def test_light_time_is_the_distance_over_c_give_or_take_the_earths_motion():
    """Earth moves < 60 km/s relative to Mars: the correction is under 60/c of the time."""
    utc = _mars_year(50)
    geometric_s = earth_mars_distance_m(utc) / SPEED_OF_LIGHT_M_S
    corrected_s = light_time_s(utc)
    assert np.all(np.abs(corrected_s - geometric_s) < 60e3 / SPEED_OF_LIGHT_M_S * corrected_s)
    assert np.all((corrected_s > 3 * 60) & (corrected_s < 23 * 60))  # 3-22 min (6d)


def test_the_2021_conjunction_falls_on_sols_217_to_235():
    intervals = solar_conjunction(LANDING_UTC, "2022-02-18", CONJUNCTION_SEP_DEG)
    assert len(intervals) == 1
    ((first, last),) = conjunction_sols(intervals, LANDING_UTC, JEZERO_LON_DEG)
    assert abs(first - M2020_CONJUNCTION_SOLS[0]) <= TWO_SOLS
    assert abs(last - M2020_CONJUNCTION_SOLS[1]) <= TWO_SOLS
    assert check_conjunction_sols(M2020_CONJUNCTION_SOLS, (first, last)) is None
    assert intervals[0].min_angle_deg < 1.0  # Mars passed within a degree of the Sun


def test_the_2021_moratorium_falls_on_2_to_14_october():
    (interval,) = solar_conjunction("2021-09-01", "2021-11-01", MORATORIUM_SEP_DEG)
    assert abs(interval.first_utc - MORATORIUM_2021[0]) <= ONE_DAY
    assert abs(interval.last_utc - MORATORIUM_2021[1]) <= ONE_DAY
    # The threshold is where the interval's edges sit (bisected to a second).
    edges = np.array([interval.first_utc, interval.last_utc])
    assert np.allclose(sun_earth_mars_angle_deg(edges), MORATORIUM_SEP_DEG, atol=1e-4)


def test_no_conjunction_away_from_it_and_one_cut_at_the_ends():
    assert solar_conjunction("2021-03-01", "2021-08-01") == []
    (inside,) = solar_conjunction("2021-10-05", "2021-10-10")
    assert inside.first_utc == np.datetime64("2021-10-05T00:00:00")
    assert inside.last_utc == np.datetime64("2021-10-10T00:00:00")


def test_a_shifted_scenario_conjunction_is_reported():
    problem = check_conjunction_sols((225, 240), (217, 234))
    assert problem is not None and "225-240" in problem and "217-234" in problem


def test_the_sun_agrees_with_mars24_over_a_mars_year():
    utc = _mars_year(2000)
    ephemeris = sun_in_site_sky(utc, JEZERO_LAT_DEG, JEZERO_LON_DEG)
    mars24 = sun_position(utc, JEZERO_LAT_DEG, JEZERO_LON_DEG)
    cosine = np.clip(np.sum(ephemeris.enu * mars24.enu, axis=-1), -1.0, 1.0)
    assert np.degrees(np.max(np.arccos(cosine))) <= SUN_AGREEMENT_DEG
    assert np.max(np.abs(ephemeris.elevation_deg - mars24.elevation_deg)) <= SUN_AGREEMENT_DEG


def test_earth_stays_within_its_greatest_elongation_of_the_sun_in_mars_sky():
    """Seen from Mars, Earth is an inner planet: never more than arcsin(1.017 AU / 1.381 AU)
    = 47.4 deg from the Sun; close to it at conjunction and at opposition alike."""
    utc = _mars_year(400)
    sun = sun_in_site_sky(utc, JEZERO_LAT_DEG, JEZERO_LON_DEG).enu
    earth = earth_in_site_sky(utc, JEZERO_LAT_DEG, JEZERO_LON_DEG).enu
    elongation_deg = np.degrees(np.arccos(np.clip(np.sum(sun * earth, axis=-1), -1.0, 1.0)))
    assert np.max(elongation_deg) < 47.4
    assert np.max(elongation_deg) > 40.0
    for utc_at in ("2021-10-08", "2020-10-13"):  # conjunction, opposition
        sun_at = sun_in_site_sky(utc_at, JEZERO_LAT_DEG, JEZERO_LON_DEG).enu
        earth_at = earth_in_site_sky(utc_at, JEZERO_LAT_DEG, JEZERO_LON_DEG).enu
        assert np.degrees(np.arccos(np.clip(sun_at @ earth_at, -1.0, 1.0))) < 5.0


def test_the_orientation_is_a_rotation_with_the_iau_2009_pole_at_j2000():
    matrix = mars_orientation_matrix(np.array([0.0, 3650.0, -20_000.0]))
    assert matrix.shape == (3, 3, 3)
    assert np.allclose(matrix @ np.swapaxes(matrix, -1, -2), np.eye(3), atol=1e-12)
    pole = matrix[0, 2]  # the body's z axis in ICRF
    ra, dec = np.degrees(np.arctan2(pole[1], pole[0])) % 360.0, np.degrees(np.arcsin(pole[2]))
    assert abs(ra - 317.68143) < 0.01 and abs(dec - 52.88650) < 0.01  # IAU 2009 at J2000


@pytest.mark.parametrize("utc", ["1850-01-01T00:00:00Z", "2060-06-01", "1899-07-28T23:00:00"])
def test_a_date_outside_the_span_is_one_line(utc):
    with pytest.raises(ConfigError) as info:
        light_time_s(utc)
    message = str(info.value)
    assert "\n" not in message
    assert "1899-07-29 .. 2053-10-09" in message and utc[:10] in message


def test_one_bad_instant_in_an_array_is_named():
    utc = np.array(["2021-02-18", "2099-01-01"], dtype="datetime64[s]")
    with pytest.raises(ConfigError, match="2099-01-01"):
        sun_earth_mars_angle_deg(utc)


def test_scalars_in_scalars_out_arrays_in_arrays_out():
    assert isinstance(light_time_s(LANDING_UTC), float)
    assert isinstance(earth_mars_distance_m(LANDING_UTC), float)
    assert isinstance(sun_earth_mars_angle_deg(LANDING_UTC), float)
    one = sun_in_site_sky(LANDING_UTC, JEZERO_LAT_DEG, JEZERO_LON_DEG)
    assert isinstance(one.elevation_deg, float) and one.enu.shape == (3,)
    utc = _mars_year(7)
    for function in (light_time_s, earth_mars_distance_m, sun_earth_mars_angle_deg):
        assert np.shape(function(utc)) == (7,)
    many = earth_in_site_sky(utc, JEZERO_LAT_DEG, JEZERO_LON_DEG)
    assert np.shape(many.azimuth_deg) == (7,) and many.enu.shape == (7, 3)
    # Each element of an array is the scalar answer for that instant.
    assert light_time_s(utc)[3] == pytest.approx(light_time_s(utc[3]), abs=1e-9)
    # Strings and datetimes as perseverance.mars.time takes them.
    listed = light_time_s([LANDING_UTC, MSL_LANDING_UTC])
    assert listed.shape == (2,) and listed[1] > listed[0]
