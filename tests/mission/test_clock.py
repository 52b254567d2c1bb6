"""The mission clock: sols start at LMST midnight at the landing site."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from perseverance.mars.constants import LMST_HOUR_S, SOL_S
from perseverance.mars.time import mars_clock
from perseverance.mission.clock import MissionClock, lmst_text

LANDING = datetime(2021, 2, 18, 20, 43, 49, tzinfo=UTC)
CLOCK = MissionClock(LANDING, 77.4509)


def test_the_landing_lies_in_sol_0_at_its_lmst():
    start0, start1 = CLOCK.sol_start_utc(0), CLOCK.sol_start_utc(1)
    assert start0 < LANDING < start1
    assert (start1 - start0).total_seconds() == pytest.approx(SOL_S, abs=1e-3)
    lmst = mars_clock(LANDING, longitude_east_deg=77.4509, landing_utc=LANDING)["lmst"]
    assert lmst_text(CLOCK.landing_lmst_s) == lmst  # ~15:53 (docs/reference/surface.md)


@pytest.mark.parametrize("sol", [1, 14, 164, 700])
def test_every_sol_starts_at_lmst_midnight_of_that_sol(sol):
    clock = mars_clock(CLOCK.utc(sol, 1.0), longitude_east_deg=77.4509, landing_utc=LANDING)
    assert clock["sol"] == sol
    assert clock["lmst"] == "00:00:01" or clock["lmst"].startswith("00:00:0")


def test_lmst_text():
    assert lmst_text(12.8 * LMST_HOUR_S) == "12:48:00"
    assert lmst_text(0.0) == "00:00:00"
