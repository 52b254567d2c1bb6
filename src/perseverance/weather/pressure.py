"""Surface pressure at Jezero: the seasonal CO2 cycle, the thermal tide, baroclinic waves.

Model (SI: Pa; Ls and LTST in degrees and hours at the edges)::

    p(t) = p_season(Ls) [1 + tide(LTST, tau)] + wave(MSD, Ls) + vortices(t)

- ``p_season``: a Fourier series in Ls with ``harmonics`` terms, least-squares fitted to
  the anchor points of ``meda.toml`` (718 Pa at Ls 6 on sol 1, B; the 600 to 750-760 Pa
  annual range, E; the Viking/Curiosity shape of the CO2 cap cycle, E).
- ``tide``: sum over n = 1..6 of a_n (1 + g (tau - tau_ref)) cos(2 pi n (LTST - t_n) / 24 h):
  six harmonics (A: Sanchez-Lavega et al. 2023 resolve up to the sixth), their
  amplitudes sized so the daily range is 2-5 % of the sol mean (A), growing with dust and
  doubling in a regional storm (A; gain D).
- ``wave``: baroclinic disturbances, a sum of ``wave_modes`` sinusoids in MSD with periods
  drawn uniformly in 2-4 sols and random phases (A: periods 2-4 sols), weights summing to
  one, under an envelope rising from 1 Pa (northern summer) to 15 Pa (northern winter, A).
  The modes are drawn once per seed, so the wave is a pure function of time.
- ``vortices``: see `perseverance.weather.vortices`.

Leaves out: night-time gravity waves (8-24 min), the tide's seasonal phase drift,
hydrostatic changes as the rover climbs (the site is one height), sensor noise.
"""

from __future__ import annotations

from functools import cache

import numpy as np
from numpy.typing import NDArray

from perseverance.weather.grid import Stream
from perseverance.weather.params import Pressure

__all__ = ["seasonal_coefficients", "seasonal_pressure_pa", "tide_fraction", "wave_pa"]

FloatArray = NDArray[np.float64]


def _design(ls_deg: FloatArray, harmonics: int) -> FloatArray:
    ls = np.radians(np.asarray(ls_deg, dtype=float))
    columns = [np.ones_like(ls)]
    for n in range(1, harmonics + 1):
        columns += [np.cos(n * ls), np.sin(n * ls)]
    return np.stack(columns, axis=-1)


@cache
def seasonal_coefficients(params: Pressure) -> FloatArray:
    """Least-squares Fourier coefficients [Pa] (mean, cos 1Ls, sin 1Ls, cos 2Ls, ...)."""
    design = _design(np.asarray(params.anchor_ls_deg), params.harmonics)
    coefficients, *_ = np.linalg.lstsq(design, np.asarray(params.anchor_pa), rcond=None)
    return np.asarray(coefficients, dtype=float)


def seasonal_pressure_pa(params: Pressure, ls_deg: FloatArray) -> FloatArray:
    """Sol-mean pressure [Pa] at areocentric solar longitude ``ls_deg`` [deg]."""
    return _design(ls_deg, params.harmonics) @ seasonal_coefficients(params)


def tide_fraction(params: Pressure, ltst_h: FloatArray, tau: FloatArray) -> FloatArray:
    """The thermal tide as a fraction of the sol mean at LTST ``ltst_h`` [h], opacity ``tau``."""
    gain = np.maximum(1.0 + params.tide_dust_gain_per_tau * (tau - params.tide_reference_tau), 0.1)
    total = np.zeros_like(np.asarray(ltst_h, dtype=float))
    for n, (amplitude, t_max) in enumerate(
        zip(params.tide_amplitude, params.tide_max_ltst_h, strict=True), start=1
    ):
        total = total + amplitude * np.cos(2.0 * np.pi * n * (ltst_h - t_max) / 24.0)
    return np.asarray(gain * total, dtype=np.float64)


@cache
def _wave_modes(params: Pressure, seed: int) -> tuple[FloatArray, FloatArray, FloatArray]:
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0, int(Stream.WAVES))))
    periods = rng.uniform(params.wave_period_min_sol, params.wave_period_max_sol, params.wave_modes)
    weights = rng.dirichlet(np.full(params.wave_modes, 2.0))
    phases = rng.uniform(0.0, 2.0 * np.pi, params.wave_modes)
    return periods, weights, phases


def wave_pa(params: Pressure, seed: int, msd: FloatArray, ls_deg: FloatArray) -> FloatArray:
    """Baroclinic-wave pressure [Pa] at Mars Solar Dates ``msd`` and ``ls_deg`` [deg]."""
    periods, weights, phases = _wave_modes(params, seed)
    season = 0.5 * (1.0 + np.cos(np.radians(ls_deg - params.wave_peak_ls_deg)))
    envelope = (
        params.wave_amplitude_min_pa
        + (params.wave_amplitude_max_pa - params.wave_amplitude_min_pa) * season**2
    )
    msd = np.asarray(msd, dtype=float)
    signal = np.zeros_like(msd)
    for period, weight, phase in zip(periods, weights, phases, strict=True):
        signal = signal + weight * np.sin(2.0 * np.pi * np.mod(msd / period, 1.0) + phase)
    return envelope * signal
