"""The mission clock: when each sol starts, in UTC, at the landing site.

A sol runs from one local mean solar midnight (LMST 00:00) at the landing
longitude to the next (`SOL_S` seconds); sol 0 is the sol of the landing
(Mars24, `perseverance.mars.time`). Times of day inside a sol are seconds from
its LMST midnight: one LMST hour is ``SOL_S / 24`` seconds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from perseverance.mars.constants import LMST_HOUR_S, SOL_S
from perseverance.mars.time import local_mean_solar_time_hours, mars_solar_date


@dataclass(frozen=True)
class MissionClock:
    """Sol starts for a landing at ``landing_utc`` (aware UTC) and ``longitude_east_deg``."""

    landing_utc: datetime
    longitude_east_deg: float

    @property
    def _landing_msd(self) -> float:
        return float(mars_solar_date(self.landing_utc))

    @property
    def landing_lmst_s(self) -> float:
        """Time of the landing [s from the LMST midnight of sol 0]."""
        hours = float(local_mean_solar_time_hours(self._landing_msd, self.longitude_east_deg))
        return hours * LMST_HOUR_S

    def sol_start_utc(self, sol: int) -> datetime:
        """UTC of LMST midnight that starts ``sol`` (sol 0 starts before the landing)."""
        offset_sols = sol - self.landing_lmst_s / SOL_S
        return self.landing_utc + timedelta(seconds=offset_sols * SOL_S)

    def utc(self, sol: int, lmst_s: float) -> datetime:
        """UTC of ``lmst_s`` [s from LMST midnight] on ``sol``."""
        return self.sol_start_utc(sol) + timedelta(seconds=lmst_s)


def lmst_text(lmst_s: float) -> str:
    """``HH:MM:SS`` for a time of sol [s from LMST midnight], truncated to the second."""
    seconds = math.floor(round(lmst_s / LMST_HOUR_S * 3600.0, 6))
    seconds = min(max(seconds, 0), 24 * 3600 - 1)
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
