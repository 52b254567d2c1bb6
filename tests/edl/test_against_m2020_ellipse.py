"""Monte Carlo landing dispersion of Mars 2020 against the published landing ellipse.

Reference: the 99% landing ellipse was 7.7 km x 6.6 km, credited to the Range
Trigger (B: NASA PIA24350); the Range Trigger shrinks the ellipse mostly along
track compared with a velocity trigger (A: Dutta & Way 2017).

Tolerance: a semi-axis of the 99% ellipse is a fixed multiple of a standard deviation
estimated from the N runs that touch down, and the relative standard error of a standard
deviation estimated from N samples is about 1/sqrt(2 (N - 1)) (normal data): 1.6% for
N = 2,000. Each semi-axis must lie within three of those standard errors (4.7%) plus a
model allowance of 10% (the vehicle's dispersion set and 3-DOF dynamics stand in for the
mission's full Monte Carlo) of the published one. At seed 11 the model gives 3,806 m
(-1.2%) and 3,022 m (-8.4%) against 3,850 m and 3,300 m. At least 99% of runs land.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from perseverance.edl.api import fly_campaign
from perseverance.edl.status import Status

RUNS = 2000
SEED = 11
PUBLISHED_SEMI_MAJOR_M = 7_700.0 / 2
PUBLISHED_SEMI_MINOR_M = 6_600.0 / 2
#: Standard errors of the sampling band, and the model's allowance beyond it (relative).
SAMPLING_SIGMAS = 3.0
MODEL_ALLOWANCE = 0.10
MIN_SUCCESS_RATE = 0.99

pytestmark = pytest.mark.slow  # two campaigns of 2,000 runs


def ellipse_tolerance(n: int) -> float:
    """Relative band of a semi-axis estimated from ``n`` touchdowns: three standard errors
    of a standard-deviation estimate, 3 / sqrt(2 (n - 1)), plus the model allowance."""
    return SAMPLING_SIGMAS / math.sqrt(2 * (n - 1)) + MODEL_ALLOWANCE


@pytest.fixture(scope="module")
def range_campaign(m2020):
    return fly_campaign(n=RUNS, seed=SEED, system=m2020)


@pytest.fixture(scope="module")
def velocity_campaign(m2020):
    return fly_campaign(n=RUNS, seed=SEED, system=m2020, trigger="velocity")


def test_ellipse_matches_published(range_campaign):
    touched = int(np.isfinite(range_campaign.table["touchdown_east_m"]).sum())
    assert touched >= MIN_SUCCESS_RATE * RUNS
    tolerance = ellipse_tolerance(touched)
    el = range_campaign.summary["ellipse_99"]
    assert el["semi_major_m"] == pytest.approx(PUBLISHED_SEMI_MAJOR_M, rel=tolerance)
    assert el["semi_minor_m"] == pytest.approx(PUBLISHED_SEMI_MINOR_M, rel=tolerance)


def test_success_rate(range_campaign):
    assert range_campaign.summary["success_rate"] >= MIN_SUCCESS_RATE
    assert range_campaign.summary["runs"] == RUNS


def _along_track_spread(campaign, heading_rad):
    t = campaign.table
    ok = np.isfinite(t["touchdown_east_m"])
    assert ok.sum() >= MIN_SUCCESS_RATE * RUNS  # a spread of the runs that touched down
    along = t["touchdown_east_m"][ok] * np.sin(heading_rad) + t["touchdown_north_m"][ok] * np.cos(
        heading_rad
    )
    return float(np.std(along))


def test_velocity_trigger_is_longer_along_track(m2020, range_campaign, velocity_campaign):
    heading = np.deg2rad(m2020.vehicle.entry.heading_deg)
    assert _along_track_spread(velocity_campaign, heading) > _along_track_spread(
        range_campaign, heading
    )


def test_run_zero_is_nominal(m2020, range_campaign):
    assert range_campaign.table["status"][0] == Status.LANDED
