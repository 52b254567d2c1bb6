"""perseverance.mars.time against the two worked examples published with Mars24.

Source of every figure below: NASA GISS, "Mars24 Sunclock: Algorithm and Worked
Examples", https://www.giss.nasa.gov/tools/mars24/help/algorithm.html, section II,
examples A and B. The page prints five decimals; we allow one unit in that digit.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from perseverance.mars.time import (
    areocentric_solar_longitude_deg,
    coordinated_mars_time_hours,
    equation_of_time_deg,
    julian_date_utc,
    local_mean_solar_time_hours,
    local_true_solar_time_hours,
    mars_clock,
    mars_solar_date,
    tt_minus_utc_s,
)

#: One unit in the fifth decimal, the last one Mars24 prints (deg, h, sol or day).
LAST_PUBLISHED_DIGIT = 1e-5
#: Mars24 prints clock readings to the second.
ONE_SECOND_IN_HOURS = 1.0 / 3600.0
SECONDS_PER_DAY = 86_400.0

# Example A: 2000-01-06 00:00:00 UTC at the prime meridian (Mars24 II, example A).
EXAMPLE_A_UTC = datetime(2000, 1, 6, 0, 0, 0, tzinfo=UTC)
EXAMPLE_A_LONGITUDE_EAST_DEG = 0.0
EXAMPLE_A_JD_UT = 2451549.5
EXAMPLE_A_TT_MINUS_UTC_S = 64.184
EXAMPLE_A_JD_TT = 2451549.500743
EXAMPLE_A_LS_DEG = 277.18758  # B-5
EXAMPLE_A_EOT_DEG = -5.18774  # C-1
EXAMPLE_A_MSD = 44795.99976  # C-2
EXAMPLE_A_MTC_HOURS = 23.99425  # C-2, printed 23:59:39
EXAMPLE_A_LTST = "23:38:54"  # C-4 at 0 deg

# Example B: 2004-01-03 13:46:31 UTC at 184.702 deg W, Spirit's planned site in Gusev,
# the instant of local true midnight there (Mars24 II, example B).
EXAMPLE_B_UTC = datetime(2004, 1, 3, 13, 46, 31, tzinfo=UTC)
EXAMPLE_B_LONGITUDE_EAST_DEG = -184.702
EXAMPLE_B_JD_UT = 2453008.07397
EXAMPLE_B_TT_MINUS_UTC_S = 64.184
EXAMPLE_B_LS_DEG = 327.32416  # B-5
EXAMPLE_B_EOT_DEG = -12.77553  # C-1
EXAMPLE_B_MTC_HOURS = 13.16537  # C-2, printed 13:09:55
EXAMPLE_B_LMST_HOURS = 0.85190  # C-3, printed 00:51:07
EXAMPLE_B_LTST_HOURS = 0.00020  # C-4, printed 00:00:00


def test_example_a_days_since_j2000() -> None:
    jd_ut = julian_date_utc(EXAMPLE_A_UTC)
    tt_minus_utc = tt_minus_utc_s(EXAMPLE_A_UTC)
    assert jd_ut == pytest.approx(EXAMPLE_A_JD_UT, abs=LAST_PUBLISHED_DIGIT)
    assert tt_minus_utc == EXAMPLE_A_TT_MINUS_UTC_S
    jd_tt = jd_ut + tt_minus_utc / SECONDS_PER_DAY
    assert jd_tt == pytest.approx(EXAMPLE_A_JD_TT, abs=1e-6)  # printed to six decimals


def test_example_a_season_and_clocks() -> None:
    msd = mars_solar_date(EXAMPLE_A_UTC)
    lon = EXAMPLE_A_LONGITUDE_EAST_DEG
    assert areocentric_solar_longitude_deg(EXAMPLE_A_UTC) == pytest.approx(
        EXAMPLE_A_LS_DEG, abs=LAST_PUBLISHED_DIGIT
    )
    assert equation_of_time_deg(EXAMPLE_A_UTC) == pytest.approx(
        EXAMPLE_A_EOT_DEG, abs=LAST_PUBLISHED_DIGIT
    )
    assert msd == pytest.approx(EXAMPLE_A_MSD, abs=LAST_PUBLISHED_DIGIT)
    assert coordinated_mars_time_hours(EXAMPLE_A_UTC) == pytest.approx(
        EXAMPLE_A_MTC_HOURS, abs=LAST_PUBLISHED_DIGIT
    )
    # At 0 deg E the local mean solar time is the coordinated Mars time.
    assert local_mean_solar_time_hours(msd, lon) == pytest.approx(
        EXAMPLE_A_MTC_HOURS, abs=LAST_PUBLISHED_DIGIT
    )
    clock = mars_clock(EXAMPLE_A_UTC, longitude_east_deg=lon, landing_utc=EXAMPLE_A_UTC)
    assert clock["lmst"] == "23:59:39"
    assert clock["ltst"] == EXAMPLE_A_LTST


def test_example_b_days_since_j2000() -> None:
    assert julian_date_utc(EXAMPLE_B_UTC) == pytest.approx(
        EXAMPLE_B_JD_UT, abs=LAST_PUBLISHED_DIGIT
    )
    assert tt_minus_utc_s(EXAMPLE_B_UTC) == EXAMPLE_B_TT_MINUS_UTC_S


def test_example_b_season_and_clocks() -> None:
    msd = mars_solar_date(EXAMPLE_B_UTC)
    lon = EXAMPLE_B_LONGITUDE_EAST_DEG
    assert areocentric_solar_longitude_deg(EXAMPLE_B_UTC) == pytest.approx(
        EXAMPLE_B_LS_DEG, abs=LAST_PUBLISHED_DIGIT
    )
    assert equation_of_time_deg(EXAMPLE_B_UTC) == pytest.approx(
        EXAMPLE_B_EOT_DEG, abs=LAST_PUBLISHED_DIGIT
    )
    assert coordinated_mars_time_hours(EXAMPLE_B_UTC) == pytest.approx(
        EXAMPLE_B_MTC_HOURS, abs=LAST_PUBLISHED_DIGIT
    )
    assert local_mean_solar_time_hours(msd, lon) == pytest.approx(
        EXAMPLE_B_LMST_HOURS, abs=LAST_PUBLISHED_DIGIT
    )
    assert local_true_solar_time_hours(msd, lon) == pytest.approx(
        EXAMPLE_B_LTST_HOURS, abs=LAST_PUBLISHED_DIGIT
    )


def test_example_b_west_and_east_longitudes_agree() -> None:
    # Mars24 writes 184.702 deg W; east-positive 175.298 deg is the same meridian.
    msd = mars_solar_date(EXAMPLE_B_UTC)
    west = local_mean_solar_time_hours(msd, EXAMPLE_B_LONGITUDE_EAST_DEG)
    east = local_mean_solar_time_hours(msd, 360.0 + EXAMPLE_B_LONGITUDE_EAST_DEG)
    assert east == pytest.approx(west, abs=ONE_SECOND_IN_HOURS / 1000.0)


def test_example_b_clock_readings() -> None:
    # Mars24 prints rounded seconds (00:51:07); mars_clock truncates like a clock face,
    # so the LMST reading may be one second lower.
    clock = mars_clock(
        EXAMPLE_B_UTC, longitude_east_deg=EXAMPLE_B_LONGITUDE_EAST_DEG, landing_utc=EXAMPLE_B_UTC
    )
    assert clock["lmst"] in {"00:51:06", "00:51:07"}
    assert clock["ltst"] == "00:00:00"
    assert clock["mtc_hours"] == pytest.approx(
        13.0 + 9.0 / 60.0 + 55.0 / 3600.0, abs=ONE_SECOND_IN_HOURS
    )
