"""Air temperature at 1.45 m and ground temperature, driven by the Sun's elevation.

Model (K)
---------
The forcing is the Sun's elevation, F = max(sin e, 0) (e from `mars.sun`, on the
sol's nodes). Its periodic response through two first-order lags (time constants
tau_fast, tau_slow, weights w and 1 - w) is exact in Fourier space over the sol,
R_n = F_n [w / (1 + i n Omega tau_fast) + (1 - w) / (1 + i n Omega tau_slow)], Omega = 2 pi /
sol. Normalised to [0, 1] over the sol (0 at the minimum just before sunrise), it is the
sol's shape s(t), and::

    T(t) = T_predawn + d(t) + (T_afternoon - T_predawn) A s(t) + sigma(t) n(t)

- T_predawn, T_afternoon: -83 C and -23 C for the air (A/B), -83 C and +5 C for the ground
  (B), the published extremes of the first sols (reference_ls_deg).
- A = (Q / Q_ref)^beta (1 - c (tau - 0.5)): the range follows the daily insolation Q (the
  mean of F over the sol) relative to the reference season's and narrows with dust (E);
  "little seasonal change over Ls 13-203" (A) holds for beta = 0.3.
- d(t): the sol-to-sol change of the daily mean, ~1 K (A, Munguira 2024), a unit normal per
  sol interpolated between midnights.
- sigma(t) n(t): convective turbulence in the air only, sigma = 1.25 K x F / max F (the
  published "typically 2.5 K" fluctuation read as ~2 sigma: A, Munguira 2023; E), n a
  unit-variance lattice noise (`grid.lattice_noise`); it vanishes at night and ~1 h
  before sunset with the Sun low.

Leaves out: the vertical gradient between 0.84 m, 1.45 m and the ground beyond the two
curves, night gravity waves, thermal inertia changing along the traverse, the
heliocentric distance (folded into Q's exponent), the RTG's plume.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from perseverance.mars.constants import OBLIQUITY_MARS_DEG, SOL_S
from perseverance.weather.grid import NODES_PER_SOL, SolGrid
from perseverance.weather.params import Temperature

__all__ = ["daily_insolation", "lag_shape", "temperature_nodes"]

FloatArray = NDArray[np.float64]


def lag_shape(forcing: FloatArray, fast_s: float, slow_s: float, fast_weight: float) -> FloatArray:
    """Periodic two-lag response of (n_sols, NODES_PER_SOL) forcing, normalised to [0, 1]
    per sol; returned on NODES_PER_SOL + 1 nodes (the last equals the first)."""
    spectrum = np.fft.rfft(forcing, axis=1)
    omega = 2.0 * np.pi * np.arange(spectrum.shape[1]) / SOL_S
    response = fast_weight / (1.0 + 1j * omega * fast_s) + (1.0 - fast_weight) / (
        1.0 + 1j * omega * slow_s
    )
    series = np.fft.irfft(spectrum * response, n=NODES_PER_SOL, axis=1)
    low = series.min(axis=1, keepdims=True)
    span = np.maximum(series.max(axis=1, keepdims=True) - low, 1e-12)
    shape = (series - low) / span
    return np.concatenate([shape, shape[:, :1]], axis=1)


def daily_insolation(latitude_deg: float, ls_deg: float) -> float:
    """Sol mean of max(sin e, 0) at ``latitude_deg`` for the declination at ``ls_deg``."""
    phi = np.radians(latitude_deg)
    delta = np.arcsin(np.sin(np.radians(OBLIQUITY_MARS_DEG)) * np.sin(np.radians(ls_deg)))
    h0 = np.arccos(np.clip(-np.tan(phi) * np.tan(delta), -1.0, 1.0))
    value = (h0 * np.sin(phi) * np.sin(delta) + np.cos(phi) * np.cos(delta) * np.sin(h0)) / np.pi
    return float(value)


def temperature_nodes(
    params: Temperature,
    grid: SolGrid,
    latitude_deg: float,
    tau_nodes: FloatArray,
    offset_nodes: FloatArray,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Smooth air and ground temperature [K] and the turbulence sigma [K] on the nodes."""
    forcing = np.maximum(grid.daily, 0.0)
    q = forcing.mean(axis=1, keepdims=True)
    q_ref = daily_insolation(latitude_deg, params.reference_ls_deg)
    tau_mean = tau_nodes.mean(axis=1, keepdims=True)
    scale = (q / q_ref) ** params.insolation_exponent
    scale = scale * np.clip(1.0 - params.range_loss_per_tau * (tau_mean - 0.5), 0.2, 2.0)
    air_shape = lag_shape(
        forcing, params.air_fast_time_s, params.air_slow_time_s, params.air_fast_weight
    )
    ground_shape = lag_shape(
        forcing, params.ground_fast_time_s, params.ground_slow_time_s, params.ground_fast_weight
    )
    air = (
        params.air_predawn_k
        + offset_nodes
        + (params.air_afternoon_k - params.air_predawn_k) * scale * air_shape
    )
    ground = (
        params.ground_predawn_k
        + offset_nodes
        + (params.ground_afternoon_k - params.ground_predawn_k) * scale * ground_shape
    )
    peak = np.maximum(forcing.max(axis=1, keepdims=True), 1e-6)
    sigma = params.turbulence_noon_k * np.maximum(grid.sin_elevation, 0.0) / peak
    return air, ground, sigma
