"""perseverance.mars.time: Mars 2020 landing, leap seconds, shapes, properties, parsing."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from perseverance.errors import ConfigError
from perseverance.mars.constants import R_MARS, SOL_S
from perseverance.mars.time import (
    areocentric_solar_longitude_deg,
    coordinated_mars_time_hours,
    equation_of_time_deg,
    julian_date_utc,
    local_mean_solar_time_hours,
    local_true_solar_time_hours,
    mars_clock,
    mars_solar_date,
    mission_sol,
    parse_utc,
    tt_minus_utc_s,
)

TEN_MINUTES_IN_HOURS = 10.0 / 60.0
#: One millisecond of elapsed time, in sols.
ONE_MILLISECOND_IN_SOLS = 1e-3 / SOL_S
CENTIDEGREE = 0.01
HALF_DEGREE = 0.5
#: Perseverance touched down 1.7 km from the centre of its target (NASA/JPL, 2021-02-18);
#: at 18.44 deg N that is at most 0.030 deg of longitude, 7.3 s of local mean time.
LANDING_MISS_IN_HOURS = math.degrees(1.7e3 / (R_MARS * math.cos(math.radians(18.44)))) / 15.0

# Mars 2020 touchdown, spacecraft event time, and site (docs/reference/surface.md).
M2020_TOUCHDOWN_UTC = datetime(2021, 2, 18, 20, 43, 49, tzinfo=UTC)
M2020_LONGITUDE_EAST_DEG = 77.4509
M2020_LMST_HOURS = 15.0 + 53.0 / 60.0  # "about 15:53 LMST on sol 0" (docs/reference/surface.md)
M2020_LS_DEG = 5.2  # "Ls at landing about 5.2 deg, Mars Year 36" (docs/reference/surface.md)
# NAIF kernel m2020_lmst_jez_v4.tsc (BVS/NAIF, 2020-08-25): LMST midnight starting sol 0
# at the Jezero target site is 2021-02-18T04:24:15.8058 UTC.
M2020_SOL0_MIDNIGHT_UTC = np.datetime64("2021-02-18T04:24:15.805800")
# Piqueux et al. (2015, Icarus 251, 332), table of Ls = 0 dates: Mars Year 33 began
# 2015-06-18 12:17:16.8 UTC (as tabulated by the mars_time package documentation).
MY33_START_UTC = np.datetime64("2015-06-18T12:17:16.800")


def _apart(a: float, b: float, period: float = 24.0) -> float:
    """Distance between two readings of a cyclic quantity (hours by default), across the wrap."""
    return abs((a - b + period / 2.0) % period - period / 2.0)


# --- Mars 2020 landing -------------------------------------------------------------------


def test_m2020_landing_lmst_is_mid_afternoon() -> None:
    msd = mars_solar_date(M2020_TOUCHDOWN_UTC)
    lmst = local_mean_solar_time_hours(msd, M2020_LONGITUDE_EAST_DEG)
    assert _apart(lmst, M2020_LMST_HOURS) < TEN_MINUTES_IN_HOURS


def test_m2020_landing_season() -> None:
    # Mars24 gives 5.645 deg; the surface reference's "about 5.2" is held to half a degree.
    ls = areocentric_solar_longitude_deg(M2020_TOUCHDOWN_UTC)
    assert ls == pytest.approx(M2020_LS_DEG, abs=HALF_DEGREE)


def test_mars_year_33_starts_at_ls_zero() -> None:
    ls = areocentric_solar_longitude_deg(MY33_START_UTC)
    assert _apart(ls, 0.0, period=360.0) < CENTIDEGREE


def test_m2020_landing_is_sol_0() -> None:
    clock = mars_clock(
        M2020_TOUCHDOWN_UTC,
        longitude_east_deg=M2020_LONGITUDE_EAST_DEG,
        landing_utc=M2020_TOUCHDOWN_UTC,
    )
    assert clock["sol"] == 0
    assert clock["lmst"].startswith("15:5")
    assert set(clock) == {"msd", "mtc_hours", "lmst", "ltst", "ls_deg", "sol"}


def test_m2020_sol_0_begins_at_naif_midnight() -> None:
    msd = mars_solar_date(M2020_SOL0_MIDNIGHT_UTC)
    lmst = local_mean_solar_time_hours(msd, M2020_LONGITUDE_EAST_DEG)
    assert _apart(lmst, 0.0) < LANDING_MISS_IN_HOURS


def test_a_day_after_landing_follows_the_midnight_rule() -> None:
    later = M2020_TOUCHDOWN_UTC + timedelta(days=1)
    lmst_then = local_mean_solar_time_hours(
        mars_solar_date(M2020_TOUCHDOWN_UTC), M2020_LONGITUDE_EAST_DEG
    )
    lmst_later = local_mean_solar_time_hours(mars_solar_date(later), M2020_LONGITUDE_EAST_DEG)
    expected = 1 if lmst_later < lmst_then else 0  # a midnight came in between
    assert mission_sol(later, M2020_TOUCHDOWN_UTC, M2020_LONGITUDE_EAST_DEG) == expected == 1


def test_sol_1_starts_at_the_next_lmst_midnight() -> None:
    msd = mars_solar_date(M2020_TOUCHDOWN_UTC)
    to_midnight_s = (1.0 - (24.0 * msd + M2020_LONGITUDE_EAST_DEG / 15.0) % 24.0 / 24.0) * SOL_S
    midnight = M2020_TOUCHDOWN_UTC + timedelta(seconds=to_midnight_s)
    before, after = midnight - timedelta(seconds=1), midnight + timedelta(seconds=1)
    assert mission_sol(before, M2020_TOUCHDOWN_UTC, M2020_LONGITUDE_EAST_DEG) == 0
    assert mission_sol(after, M2020_TOUCHDOWN_UTC, M2020_LONGITUDE_EAST_DEG) == 1
    assert mission_sol(M2020_TOUCHDOWN_UTC - timedelta(days=1), M2020_TOUCHDOWN_UTC, 77.4509) == -1


# --- Leap seconds --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("utc", "expected_s"),
    [
        ("2026-05-01T00:00:00", 69.184),  # no leap second since 2017-01-01 (IERS Bulletin C)
        ("2017-01-01T00:00:00", 69.184),
        ("2016-12-31T23:59:59", 68.184),
        ("2012-08-06T05:17:57", 67.184),  # Curiosity landing, after the 2012-07-01 step
        ("2012-06-30T12:00:00", 66.184),
        ("2000-01-06T00:00:00", 64.184),
        ("1972-01-01T00:00:00", 42.184),
    ],
)
def test_tt_minus_utc_follows_the_leap_second_table(utc: str, expected_s: float) -> None:
    assert tt_minus_utc_s(np.datetime64(utc)) == expected_s


def test_tt_minus_utc_before_1972_uses_the_mars24_polynomial() -> None:
    t = (julian_date_utc(datetime(1960, 1, 1)) - 2451545.0) / 36525.0
    polynomial = 64.184 + 59.0 * t - 51.2 * t**2 - 67.1 * t**3 - 16.4 * t**4  # Mars24 A-4
    assert tt_minus_utc_s(datetime(1960, 1, 1)) == pytest.approx(polynomial, abs=1e-9)


# --- Shapes and input kinds -----------------------------------------------------------------

UTC_FUNCTIONS = [
    julian_date_utc,
    tt_minus_utc_s,
    mars_solar_date,
    coordinated_mars_time_hours,
    areocentric_solar_longitude_deg,
    equation_of_time_deg,
]


@pytest.mark.parametrize("function", UTC_FUNCTIONS)
@pytest.mark.parametrize(
    "scalar",
    [
        datetime(2021, 2, 18, 20, 43, 49),
        datetime(2021, 2, 18, 21, 43, 49, tzinfo=timezone(timedelta(hours=1))),
        np.datetime64("2021-02-18T20:43:49"),
        np.array("2021-02-18T20:43:49", dtype="datetime64[s]"),
    ],
)
def test_scalar_in_gives_float_out(function, scalar) -> None:
    value = function(scalar)
    assert type(value) is float
    assert value == function(M2020_TOUCHDOWN_UTC)


@pytest.mark.parametrize("function", UTC_FUNCTIONS)
@pytest.mark.parametrize("shape", [(5,), (2, 3)])
def test_array_in_gives_same_shape_out(function, shape) -> None:
    n = math.prod(shape)
    times = (np.datetime64("2021-02-18T20:43:49") + np.arange(n) * np.timedelta64(6, "h")).reshape(
        shape
    )
    values = function(times)
    assert isinstance(values, np.ndarray)
    assert values.shape == shape
    assert values.flat[0] == function(times.flat[0])


def test_lists_of_datetimes_or_strings_are_arrays() -> None:
    values = mars_solar_date([M2020_TOUCHDOWN_UTC, M2020_TOUCHDOWN_UTC + timedelta(hours=1)])
    assert values.shape == (2,)
    from_text = mars_solar_date(["2021-02-18T20:43:49Z", "2021-02-18T21:43:49Z"])
    np.testing.assert_array_equal(from_text, values)


def test_local_times_broadcast() -> None:
    msd = mars_solar_date(
        np.datetime64("2021-02-18T20:43:49") + np.arange(4) * np.timedelta64(1, "h")
    )
    longitudes = np.array([0.0, 77.4509, -100.0])
    lmst = local_mean_solar_time_hours(msd[:, None], longitudes)
    ltst = local_true_solar_time_hours(msd[:, None], longitudes)
    assert lmst.shape == ltst.shape == (4, 3)
    assert type(local_mean_solar_time_hours(float(msd[0]), 0.0)) is float
    assert type(local_true_solar_time_hours(float(msd[0]), 0.0)) is float


def test_mission_sol_is_an_int_or_an_int_array() -> None:
    assert type(mission_sol(M2020_TOUCHDOWN_UTC, M2020_TOUCHDOWN_UTC, 77.4509)) is int
    days = np.datetime64("2021-02-18T20:43:49") + np.arange(4) * np.timedelta64(1, "D")
    sols = mission_sol(days, M2020_TOUCHDOWN_UTC, 77.4509)
    assert sols.dtype == np.int64
    assert sols.tolist() == [0, 1, 2, 3]


def test_mars_clock_takes_one_instant() -> None:
    with pytest.raises(TypeError, match="one instant"):
        mars_clock(
            np.array(["2021-02-18"], dtype="datetime64[s]"),
            longitude_east_deg=0.0,
            landing_utc=M2020_TOUCHDOWN_UTC,
        )


# --- Properties ---------------------------------------------------------------------------

# After the last leap second (2017-01-01) UTC and TT tick together.
after_2017 = st.datetimes(min_value=datetime(2017, 1, 1), max_value=datetime(2099, 12, 31))
longitudes = st.floats(min_value=-360.0, max_value=360.0, allow_nan=False)


@given(after_2017)
def test_msd_advances_one_per_sol(utc: datetime) -> None:
    later = utc + timedelta(seconds=SOL_S)
    assert mars_solar_date(later) - mars_solar_date(utc) == pytest.approx(
        1.0, abs=ONE_MILLISECOND_IN_SOLS
    )


@given(after_2017, longitudes)
def test_local_times_are_clock_readings(utc: datetime, longitude_east_deg: float) -> None:
    msd = mars_solar_date(utc)
    assert 0.0 <= local_mean_solar_time_hours(msd, longitude_east_deg) < 24.0
    assert 0.0 <= local_true_solar_time_hours(msd, longitude_east_deg) < 24.0
    assert 0.0 <= areocentric_solar_longitude_deg(utc) < 360.0


@given(after_2017, longitudes)
def test_mission_sol_advances_one_per_sol(utc: datetime, longitude_east_deg: float) -> None:
    later = utc + timedelta(seconds=SOL_S)
    landing = M2020_TOUCHDOWN_UTC
    before = mission_sol(utc, landing, longitude_east_deg)
    assert mission_sol(later, landing, longitude_east_deg) == before + 1


# --- parse_utc ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["2021-02-18T20:43:49", "2021-02-18T20:43:49Z", "2021-02-18T21:43:49+01:00"]
)
def test_parse_utc_reads_iso_8601(text: str) -> None:
    parsed = parse_utc(text)
    assert parsed == M2020_TOUCHDOWN_UTC
    assert parsed.utcoffset() == timedelta(0)


@pytest.mark.parametrize("bad", ["18/02/2021 20:43", "", "2021-02-30T00:00:00", "noon", None])
def test_parse_utc_refuses_with_a_one_line_message(bad) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_utc(bad)
    message = str(caught.value)
    assert repr(bad) in message
    assert "ISO 8601" in message
    assert "\n" not in message


def test_mars_clock_reads_strings() -> None:
    clock = mars_clock(
        "2021-02-18T20:43:49Z", longitude_east_deg=77.4509, landing_utc="2021-02-18T20:43:49"
    )
    assert clock["sol"] == 0
    with pytest.raises(ConfigError):
        mars_clock("yesterday", longitude_east_deg=77.4509, landing_utc=M2020_TOUCHDOWN_UTC)
