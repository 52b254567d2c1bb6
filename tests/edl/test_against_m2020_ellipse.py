"""Monte Carlo landing dispersion of Mars 2020 against the published landing ellipse.

Reference: the 99% landing ellipse was 7.7 km x 6.6 km, credited to the Range
Trigger (B: NASA PIA24350); the Range Trigger shrinks the ellipse mostly along
track compared with a velocity trigger (A: Dutta & Way 2017).
Tolerance: each semi-axis within +-35% of the published one; >= 99% of runs land.
"""

from __future__ import annotations

import numpy as np
import pytest

from perseverance.edl.api import monte_carlo
from perseverance.edl.status import Status

RUNS = 2000
SEED = 11
PUBLISHED_SEMI_MAJOR_M = 7_700.0 / 2
PUBLISHED_SEMI_MINOR_M = 6_600.0 / 2
ELLIPSE_TOLERANCE = 0.35
MIN_SUCCESS_RATE = 0.99


@pytest.fixture(scope="module")
def range_campaign(m2020):
    return monte_carlo(n=RUNS, seed=SEED, system=m2020)


@pytest.fixture(scope="module")
def velocity_campaign(m2020):
    return monte_carlo(n=RUNS, seed=SEED, system=m2020, trigger="velocity")


def test_ellipse_matches_published(range_campaign):
    el = range_campaign.summary["ellipse_99"]
    assert el["semi_major_m"] == pytest.approx(PUBLISHED_SEMI_MAJOR_M, rel=ELLIPSE_TOLERANCE)
    assert el["semi_minor_m"] == pytest.approx(PUBLISHED_SEMI_MINOR_M, rel=ELLIPSE_TOLERANCE)


def test_success_rate(range_campaign):
    assert range_campaign.summary["success_rate"] >= MIN_SUCCESS_RATE
    assert range_campaign.summary["runs"] == RUNS


def _along_track_spread(campaign, heading_rad):
    t = campaign.table
    ok = np.isfinite(t["touchdown_east_m"])
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
