"""A simulated Mars year of weather (seed 0, every 15 minutes), built once per session."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from perseverance.weather import Weather

#: A Mars year [sols] (668.6 rounded up).
MARS_YEAR_SOLS = 669
#: The coarse cadence of the year [s]: fast enough for tests, fine enough for daily extremes.
YEAR_CADENCE_S = 900.0


@dataclass(frozen=True)
class Year:
    weather: Weather
    table: dict[str, np.ndarray]

    def per_sol(self, name: str, reduce) -> np.ndarray:
        sol, values = self.table["sol"], self.table[name]
        return np.array([reduce(values[sol == s]) for s in range(MARS_YEAR_SOLS)])


@pytest.fixture(scope="session")
def year() -> Year:
    weather = Weather(0)
    times = np.concatenate([weather.sol_times(s, YEAR_CADENCE_S) for s in range(MARS_YEAR_SOLS)])
    return Year(weather, weather.weather_at(times))
