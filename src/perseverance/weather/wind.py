"""Near-surface wind at Jezero: Weibull speeds on a diurnal cycle, slope-driven directions.

Model
-----
- Speed [m/s]: U(t) = lambda(t) (1 + f d_sol) W(t), with W = (-ln(1 - Phi(g(t))))^(1/k) a
  unit-scale Weibull variable of shape k (A: Weibull-distributed, Viudez-Moreiras et al.
  2022) made from a unit Gaussian lattice noise g correlated over ``gust_step_s`` (E).
  The scale lambda goes from the night value to the day value with the daytime weight
  D = clip(sin e / sin 30 deg, 0, 1) (E: scales and shape are estimates; the published
  mean speeds are UNCONFIRMED, docs/reference/instruments.md 9). At the day scale, k = 2
  gives P(U > 10 m/s) ~ 2 %: gusts of 10 m/s (B) most sols. Vortices add their own winds
  (`perseverance.weather.vortices`).
- Direction the wind blows from [deg clockwise from north]: the unit vectors of the day
  (upslope from ESE, A) and night (downslope from NW, A) directions blended by D, plus a
  Gaussian wander whose spread goes from the night value to the day value.

Leaves out: the vertical profile (one height, ~1.5 m), the rover's own wake, regional
winds, seasonal changes of the slope flows.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.special import ndtr

from perseverance.weather.params import Wind

__all__ = ["daytime_weight", "wind_direction_deg", "wind_scale_mps", "wind_speed_mps"]

FloatArray = NDArray[np.float64]

_SIN_30 = 0.5


def daytime_weight(sin_elevation: FloatArray) -> FloatArray:
    """0 at night, 1 with the Sun above 30 deg, linear in sin(elevation) between."""
    return np.clip(np.asarray(sin_elevation) / _SIN_30, 0.0, 1.0)


def wind_scale_mps(params: Wind, sin_elevation: FloatArray) -> FloatArray:
    """The Weibull scale lambda [m/s] of the background wind."""
    day = daytime_weight(sin_elevation)
    return params.night_scale_mps + (params.day_scale_mps - params.night_scale_mps) * day


def wind_speed_mps(
    params: Wind, scale: FloatArray, daily: FloatArray, gust: FloatArray
) -> FloatArray:
    """Background speed [m/s] from the scale, the sol factor and the unit Gaussian ``gust``."""
    weibull = (-np.log1p(-ndtr(gust) * (1.0 - 1e-16))) ** (1.0 / params.weibull_shape)
    speed = np.maximum(scale * (1.0 + params.sol_to_sol_fraction * daily), 0.05) * weibull
    return np.asarray(speed, dtype=np.float64)


def wind_direction_deg(params: Wind, sin_elevation: FloatArray, wander: FloatArray) -> FloatArray:
    """Direction the wind blows from [deg from north, clockwise], in [0, 360)."""
    day = daytime_weight(sin_elevation)
    day_rad, night_rad = np.radians(params.day_from_deg), np.radians(params.night_from_deg)
    east = day * np.sin(day_rad) + (1.0 - day) * np.sin(night_rad)
    north = day * np.cos(day_rad) + (1.0 - day) * np.cos(night_rad)
    spread = params.direction_spread_night_deg + day * (
        params.direction_spread_day_deg - params.direction_spread_night_deg
    )
    direction = np.mod(np.degrees(np.arctan2(east, north)) + spread * wander, 360.0)
    return np.asarray(direction, dtype=np.float64)
