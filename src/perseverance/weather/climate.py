"""Dust opacity and water vapour at Jezero: slow seasonal cycles in Ls.

Model
-----
- Dust opacity (visible column tau, dimensionless)::

      tau = [tau_mean + tau_amp cos(Ls - Ls_peak) + tau_storm exp(-(Ls - Ls_storm)^2 / 2 w^2)]
            x (1 + f d_sol)

  a clear aphelion season and a dusty perihelion season (E), MY36's regional storm near
  Ls 153 (A: a regional storm at Ls ~135-155 doubled the tide; its depth is E), and a
  sol-to-sol factor d_sol (unit normal, from the sol's DAILY stream) interpolated between
  midnights. This is the opacity the camera haze uses.
- Water vapour: volume mixing ratio vmr = vmr_mean + vmr_amp cos(Ls - Ls_peak) (E) at all
  hours; relative humidity = vmr p / e_ice(T_air), capped at ``max_relative_humidity`` (E),
  with e_ice the saturation pressure over ice of Murphy & Koop (2005, QJRMS 131:1539),
  ln e = 9.550426 - 5723.265/T + 3.53068 ln T - 0.00728332 T [Pa, K].

Leaves out: the diurnal cycle of dust (MEDA/TIRS see one), the vapour's exchange with
the regolith through the sol, local dust lifting by vortices.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from perseverance.weather.params import Dust, Humidity

__all__ = ["dust_tau", "ice_saturation_pa", "relative_humidity"]

FloatArray = NDArray[np.float64]


def dust_tau(params: Dust, ls_deg: FloatArray, daily: FloatArray) -> FloatArray:
    """Column dust opacity at ``ls_deg`` [deg]; ``daily`` the sol-to-sol unit normal."""
    storm_offset = np.mod(ls_deg - params.storm_ls_deg + 180.0, 360.0) - 180.0
    tau = (
        params.tau_mean
        + params.tau_amplitude * np.cos(np.radians(ls_deg - params.tau_peak_ls_deg))
        + params.storm_peak_tau * np.exp(-0.5 * (storm_offset / params.storm_width_ls_deg) ** 2)
    )
    return np.maximum(tau * (1.0 + params.sol_to_sol_fraction * daily), 0.0)


def ice_saturation_pa(temperature_k: FloatArray) -> FloatArray:
    """Saturation vapour pressure over ice [Pa] (Murphy & Koop 2005, eq. 7)."""
    t = np.asarray(temperature_k, dtype=float)
    return np.asarray(
        np.exp(9.550426 - 5723.265 / t + 3.53068 * np.log(t) - 0.00728332 * t), dtype=np.float64
    )


def relative_humidity(
    params: Humidity, ls_deg: FloatArray, pressure_pa: FloatArray, temperature_k: FloatArray
) -> FloatArray:
    """Relative humidity over ice (0..1) from the vapour mixing ratio and the air."""
    vmr = 1e-6 * (
        params.vmr_mean_ppm
        + params.vmr_amplitude_ppm * np.cos(np.radians(ls_deg - params.vmr_peak_ls_deg))
    )
    ratio = vmr * pressure_pa / ice_saturation_pa(temperature_k)
    return np.minimum(ratio, params.max_relative_humidity)
