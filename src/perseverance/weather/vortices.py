"""Convective vortices passing MEDA: when, how deep, how wide, how dusty, and their signal.

Model (Hueso et al. 2023, docs/reference/instruments.md 4 "Vortices", A)
-----------------------------------------------------------------------
- Count per sol: Poisson with mean ``rate_per_sol`` = 4.9 (A, dp > 0.5 Pa).
- Time: LMST drawn from a Gaussian centred at ``peak_lmst_h`` (A: peaking at noon), width
  ``spread_lmst_h`` (E), folded into the sol.
- Pressure drop dp [Pa]: a power law N(> dp) ~ dp^-a between 0.5 Pa (A) and 9 Pa (A), a =
  2.64 (D: the largest of ~2,030 events in 415 sols is 9.0 Pa), drawn by inverting its
  truncated CDF.
- Diameter D [m]: lognormal with mean 20 m (A), log-spread ``diameter_log_sigma`` (E),
  truncated to 5-135 m (A).
- Dusty: with probability 0.75 above 2 Pa (A) and, below it, the probability that makes one
  in five dusty overall (A; derived from the power law).
- Passage: the vortex drifts with the background wind, v = max(mean wind, 1 m/s) (E), so
  its signal lasts D / v (1-150 s, A). The drop is a Lorentzian in time (the Vatistas n = 2
  profile seen along the track), dp(t) = -dp / (1 + x^2), x = 2 v (t - t0) / D, and its
  tangential wind V sqrt-cyclostrophic, V = sqrt(dp / rho) 2|x| / (1 + x^2) (D: 9 Pa gives
  ~23 m/s against the published 25 m/s), added to the background speed.

Leaves out: the miss distance (dp is the drop MEDA saw), vortices crossing midnight
(none at night), seasonal changes of the rate, the warm core.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from math import gamma

import numpy as np
from numpy.typing import NDArray
from scipy.special import ndtr, ndtri

from perseverance.mars.constants import SOL_S
from perseverance.weather.grid import Stream, sol_rng
from perseverance.weather.params import Vortices, Wind
from perseverance.weather.wind import wind_scale_mps

__all__ = ["VortexEvents", "draw_vortices", "vortex_signal", "weak_dusty_fraction"]

FloatArray = NDArray[np.float64]

#: A vortex's signal is evaluated out to this many half-widths (1/(1 + 30^2) ~ 0.1 %).
WINDOW_HALF_WIDTHS = 30.0


@dataclass(frozen=True)
class VortexEvents:
    """Vortices as arrays of one length: one row per vortex, in time order."""

    sol: NDArray[np.int64]  # local sol number
    lmst_h: FloatArray
    drop_pa: FloatArray
    diameter_m: FloatArray
    speed_mps: FloatArray  # drift speed past the rover
    dusty: NDArray[np.bool_]

    @property
    def duration_s(self) -> FloatArray:
        """Full width at half depth of the pressure drop [s]."""
        return self.diameter_m / self.speed_mps

    def __len__(self) -> int:
        return int(self.sol.size)


def weak_dusty_fraction(params: Vortices) -> float:
    """Dusty probability below the threshold that makes ``dusty_fraction`` overall."""
    a, low, high = params.drop_exponent, params.min_drop_pa, params.max_drop_pa
    threshold = min(max(params.dusty_threshold_pa, low), high)
    above = (threshold**-a - high**-a) / (low**-a - high**-a)
    if above >= 1.0:
        return 0.0
    weak = (params.dusty_fraction - params.dusty_fraction_strong * above) / (1.0 - above)
    return float(np.clip(weak, 0.0, 1.0))


def draw_vortices(
    params: Vortices,
    wind: Wind,
    seed: int,
    sols: NDArray[np.int64],
    sin_elevation_at: Callable[[NDArray[np.intp], FloatArray], FloatArray],
) -> VortexEvents:
    """The vortices of each sol in ``sols`` (each sol from its own VORTICES stream);
    ``sin_elevation_at(row, phase)`` gives the Sun's sin(elevation) at an event."""
    a, low, high = params.drop_exponent, params.min_drop_pa, params.max_drop_pa
    mu = np.log(params.diameter_mean_m) - 0.5 * params.diameter_log_sigma**2
    z_low = (np.log(params.diameter_min_m) - mu) / params.diameter_log_sigma
    z_high = (np.log(params.diameter_max_m) - mu) / params.diameter_log_sigma
    weak = weak_dusty_fraction(params)
    parts = []
    for row, sol in enumerate(sols):
        rng = sol_rng(seed, int(sol), Stream.VORTICES)
        n = int(rng.poisson(params.rate_per_sol))
        u = rng.random((4, n))
        lmst = np.mod(params.peak_lmst_h + params.spread_lmst_h * rng.standard_normal(n), 24.0)
        drop = (low**-a - u[0] * (low**-a - high**-a)) ** (-1.0 / a)
        z = ndtri(ndtr(z_low) + u[1] * (ndtr(z_high) - ndtr(z_low)))
        diameter = np.clip(
            np.exp(mu + params.diameter_log_sigma * z), params.diameter_min_m, params.diameter_max_m
        )
        dusty = u[2] < np.where(
            drop >= params.dusty_threshold_pa, params.dusty_fraction_strong, weak
        )
        parts.append(
            (np.full(n, sol, dtype=np.int64), lmst, drop, diameter, dusty, np.full(n, row))
        )
    sol_col = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, np.int64)
    lmst = np.concatenate([p[1] for p in parts]) if parts else np.zeros(0)
    rows = np.concatenate([p[5] for p in parts]).astype(np.intp) if parts else np.zeros(0, np.intp)
    scale = wind_scale_mps(wind, sin_elevation_at(rows, lmst / 24.0))
    mean_wind = scale * gamma(1.0 + 1.0 / wind.weibull_shape)
    order = np.lexsort((lmst, sol_col))
    return VortexEvents(
        sol=sol_col[order],
        lmst_h=lmst[order],
        drop_pa=np.concatenate([p[2] for p in parts])[order] if parts else np.zeros(0),
        diameter_m=np.concatenate([p[3] for p in parts])[order] if parts else np.zeros(0),
        speed_mps=np.maximum(mean_wind, params.min_advection_mps)[order],
        dusty=np.concatenate([p[4] for p in parts])[order] if parts else np.zeros(0, bool),
    )


def vortex_signal(
    events: VortexEvents,
    sample_sol: NDArray[np.int64],
    sample_phase: FloatArray,
    density_kg_m3: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    """Pressure change [Pa] (negative) and added wind speed [m/s] at each sample."""
    n = sample_sol.size
    if len(events) == 0 or n == 0:
        return np.zeros(n), np.zeros(n)
    base = int(sample_sol.min())
    clock = (sample_sol - base) * SOL_S + sample_phase * SOL_S
    order = np.argsort(clock, kind="stable")
    sorted_clock = clock[order]
    centre = (events.sol - base) * SOL_S + events.lmst_h / 24.0 * SOL_S
    half = 0.5 * events.duration_s
    lo = np.searchsorted(sorted_clock, centre - WINDOW_HALF_WIDTHS * half, side="left")
    hi = np.searchsorted(sorted_clock, centre + WINDOW_HALF_WIDTHS * half, side="right")
    counts = hi - lo
    total = int(counts.sum())
    if total == 0:
        return np.zeros(n), np.zeros(n)
    event = np.repeat(np.arange(len(events)), counts)
    start = np.cumsum(counts) - counts
    position = np.arange(total) - np.repeat(start, counts) + np.repeat(lo, counts)
    sample = order[position]
    x = (clock[sample] - centre[event]) / half[event]
    profile = 1.0 / (1.0 + x**2)
    drop = events.drop_pa[event]
    dp_total = np.bincount(sample, weights=-drop * profile, minlength=n).astype(np.float64)
    tangential = np.sqrt(drop / density_kg_m3[sample]) * 2.0 * np.abs(x) * profile
    wind_total = np.bincount(sample, weights=tangential, minlength=n).astype(np.float64)
    return dp_total, wind_total
