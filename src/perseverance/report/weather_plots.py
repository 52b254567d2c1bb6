"""Weather plots of ``report.html``: MEDA's per-sol summary over the mission, one sol's
diurnal curves.

Like `perseverance.report.mission_plots`, each function draws one
`matplotlib.figure.Figure` (never pyplot) and returns PNG bytes (`mission_plots.png_bytes`).
Inputs are plain arrays in SI units (Pa, K, m/s; LMST in hours); temperatures are drawn
in °C, the unit the MEDA releases use.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, MultipleLocator
from numpy.typing import ArrayLike, NDArray

from perseverance.report.mission_plots import png_bytes

__all__ = ["KELVIN_TO_C", "diurnal", "weather_per_sol"]

#: 0 °C [K].
KELVIN_TO_C = 273.15
#: A gap between samples longer than this [h of LMST] breaks a diurnal curve (sessions).
SESSION_GAP_H = 0.05


def _f(values: ArrayLike) -> NDArray[np.float64]:
    return np.asarray(values, dtype=np.float64)


def weather_per_sol(
    sol: ArrayLike,
    pressure_min_pa: ArrayLike,
    pressure_mean_pa: ArrayLike,
    pressure_max_pa: ArrayLike,
    air_min_k: ArrayLike,
    air_max_k: ArrayLike,
    peak_wind_mps: ArrayLike,
    vortex_count: ArrayLike,
    dusty_vortex_count: ArrayLike,
) -> bytes:
    """Four panels against sol: sol-mean pressure in its min-max band (the seasonal CO2
    cycle) [Pa], air temperature min and max [°C], peak wind [m/s], vortices per sol
    (the dusty ones darker)."""
    s = _f(sol)
    style = {"marker": "o", "ms": 3} if s.size <= 60 else {}
    fig = Figure(figsize=(9, 9.0))
    ax_p, ax_t, ax_w, ax_v = fig.subplots(4, 1, sharex=True)
    ax_p.fill_between(
        s, _f(pressure_min_pa), _f(pressure_max_pa), color="C0", alpha=0.2, label="min-max"
    )
    ax_p.plot(s, _f(pressure_mean_pa), color="C0", lw=1.0, label="sol mean", **style)
    ax_p.set(ylabel="pressure [Pa]", title="MEDA per sol")
    ax_p.legend(fontsize=7, loc="best")
    ax_t.plot(s, _f(air_max_k) - KELVIN_TO_C, color="C3", lw=1.0, label="max", **style)
    ax_t.plot(s, _f(air_min_k) - KELVIN_TO_C, color="C9", lw=1.0, label="min", **style)
    ax_t.set(ylabel="air temperature [°C]")
    ax_t.legend(fontsize=7, loc="best", ncol=2)
    ax_w.plot(s, _f(peak_wind_mps), color="C2", lw=1.0, **style)
    ax_w.set(ylabel="peak wind [m/s]")
    ax_w.set_ylim(bottom=0)
    ax_v.bar(s, _f(vortex_count), width=1.0, color="C1", alpha=0.6, label="vortices")
    ax_v.bar(s, _f(dusty_vortex_count), width=1.0, color="C5", label="dusty")
    ax_v.set(xlabel="sol", ylabel="vortices seen")
    ax_v.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax_v.legend(fontsize=7, loc="upper right", ncol=2)
    ax_v.xaxis.set_major_locator(MaxNLocator(integer=True))
    for ax in (ax_p, ax_t, ax_w, ax_v):
        ax.grid(alpha=0.3)
    return png_bytes(fig)


def _broken(lmst_h: NDArray[np.float64], *ys: NDArray[np.float64]) -> list[NDArray[np.float64]]:
    """``lmst_h`` and ``ys`` with a NaN at every session gap (so lines do not join)."""
    gaps = np.flatnonzero(np.diff(lmst_h) > SESSION_GAP_H) + 1
    return [np.insert(a, gaps, np.nan) for a in (lmst_h, *ys)]


def _session_means(
    lmst_h: NDArray[np.float64], *ys: NDArray[np.float64]
) -> list[NDArray[np.float64]]:
    """The mean of ``lmst_h`` and of each of ``ys`` over each session (sorted input)."""
    starts = np.concatenate([[0], np.flatnonzero(np.diff(lmst_h) > SESSION_GAP_H) + 1])
    counts = np.diff(np.append(starts, lmst_h.size))
    return [np.add.reduceat(a, starts) / counts for a in (lmst_h, *ys)]


def diurnal(
    lmst_h: ArrayLike, pressure_pa: ArrayLike, air_temperature_k: ArrayLike, *, sol: int
) -> bytes:
    """Pressure [Pa] and air temperature [°C] of one sol against LMST [h], each session a
    separate stretch of line, and a dotted line through the sessions' means."""
    order = np.argsort(_f(lmst_h), kind="stable")
    sorted_ = (_f(lmst_h)[order], _f(pressure_pa)[order], _f(air_temperature_k)[order])
    t, p, air = _broken(*sorted_)
    mean_t, mean_p, mean_air = _session_means(*sorted_)
    fig = Figure(figsize=(9, 5.2))
    ax_p, ax_t = fig.subplots(2, 1, sharex=True)
    ax_p.plot(mean_t, mean_p, color="0.6", lw=0.8, ls=":")
    ax_t.plot(mean_t, mean_air - KELVIN_TO_C, color="0.6", lw=0.8, ls=":")
    ax_p.plot(t, p, color="C0", lw=0.8)
    ax_p.set(ylabel="pressure [Pa]", title=f"Sol {sol}: MEDA's samples")
    ax_t.plot(t, air - KELVIN_TO_C, color="C3", lw=0.8)
    ax_t.set(xlabel="LMST [h]", ylabel="air temperature [°C]", xlim=(0, 24))
    ax_t.xaxis.set_major_locator(MultipleLocator(3))
    for ax in (ax_p, ax_t):
        ax.grid(alpha=0.3)
    return png_bytes(fig)
