"""The RK4 step of `perseverance.edl.dynamics`, compiled with Numba over both cores.

One fused loop per run (``prange``): the four stages of environment (areoid height,
the tabulated atmosphere with the run's density and wind dispersions, airspeed, Mach,
the aerodynamic tables) and derivatives (J2 gravity, Coriolis and centrifugal terms,
capsule drag and lift, parachute with its inflation ramp, body drag, thrust), with
no temporary arrays. The arithmetic is `dynamics`' line for line; the results agree
with the NumPy step to round-off (the libraries' ``exp``/``sin``/``sqrt`` may differ
in the last bit), and each backend is deterministic: a run's result never depends on
the batch or the number of threads.

Optional: Numba comes with ``pip install 'perseverance[fast]'``; without it the NumPy
step runs (`perseverance.edl.backend`).
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np
from numpy.typing import NDArray

from perseverance.edl.dynamics import Controls, Planet
from perseverance.mars import atmosphere as atm
from perseverance.mars.constants import (
    FLATTENING_MARS,
    GM_MARS,
    J2_MARS,
    OMEGA_MARS,
    R_MARS,
)

__all__ = ["rk4_step_numba"]

_BLEND_BOTTOM_M = atm.BLEND_BOTTOM_M
_BLEND_SPAN_M = atm.BLEND_TOP_M - atm.BLEND_BOTTOM_M
_WAVE_NUMBER = 2 * np.pi / atm.WAVE_LENGTH_M
_WIND_TOP_M = atm.WIND_BLEND_TOP_M


@nb.njit(cache=True, inline="always")
def _lookup(values, slopes, x0, dx, row, x):
    """`UniformTable` at ``x``: clamped, NaN for a NaN query."""
    n = values.shape[1]
    u = (x - x0) / dx
    if u != u:
        return math.nan
    u = min(max(u, 0.0), n - 1.0)
    i = int(u)
    return values[row, i] + slopes[row, i] * (u - i)


@nb.njit(cache=True, inline="always")
def _derivative(
    s, t, j, c, aero_dx, atm_v, atm_s, atm_x0, atm_dx, surface_h, d, aero_v, aero_s, infl
):
    x, y, z, vx, vy, vz, m = s[0], s[1], s[2], s[3], s[4], s[5], s[6]
    # environment (dynamics.environment)
    rxy2 = x * x + y * y
    r = math.sqrt(rxy2 + z * z)
    rxy = math.sqrt(rxy2)
    sin_lat = z / r
    h = r - R_MARS * (1.0 - FLATTENING_MARS * sin_lat**2)
    above = h - surface_h
    rho = math.exp(_lookup(atm_v, atm_s, atm_x0, atm_dx, 0, h))
    sound = _lookup(atm_v, atm_s, atm_x0, atm_dx, 1, h)
    if above > _BLEND_BOTTOM_M:
        bs = min(max((above - _BLEND_BOTTOM_M) / _BLEND_SPAN_M, 0.0), 1.0)
        wave = math.sin(above * _WAVE_NUMBER + d[3, j])
        rho = rho * math.exp(d[0, j] + bs * (d[1, j] - d[0, j] + d[2, j] * wave))
    else:
        rho = rho * math.exp(d[0, j])
    ws = min(max(above / _WIND_TOP_M, 0.0), 1.0)
    w_e = d[4, j] + ws * (d[6, j] - d[4, j])
    w_n = d[5, j] + ws * (d[7, j] - d[5, j])
    we = w_e / rxy
    wn = w_n / (r * rxy)
    ax = vx - (-y * we - z * x * wn)
    ay = vy - (x * we - z * y * wn)
    az = vz - rxy2 * wn
    speed = math.sqrt(ax * ax + ay * ay + az * az)
    mach = speed / sound
    cd = _lookup(aero_v, aero_s, 0.0, aero_dx, 0, mach)
    ld = _lookup(aero_v, aero_s, 0.0, aero_dx, 1, mach)
    chute_cd = _lookup(aero_v, aero_s, 0.0, aero_dx, 2, mach)
    q = 0.5 * rho * speed * speed
    # derivatives (dynamics.derivatives)
    q_over_m = q / m
    capsule_drag = q_over_m * cd * c[0, j]
    inflation = min(max((t - c[5, j]) / infl, 0.0), 1.0)
    drag = capsule_drag + q_over_m * (chute_cd * c[4, j] * inflation + c[6, j])
    lift = capsule_drag * ld * c[1, j]
    inv_v = 1.0 / max(speed, 1e-9)
    ux, uy, uz = ax * inv_v, ay * inv_v, az * inv_v
    inv_r = 1.0 / math.sqrt(x * x + y * y + z * z)
    rx, ry, rz = x * inv_r, y * inv_r, z * inv_r
    dot = rx * ux + ry * uy + rz * uz
    px, py, pz = rx - dot * ux, ry - dot * uy, rz - dot * uz
    inv_p = 1.0 / max(math.sqrt(px * px + py * py + pz * pz), 1e-12)
    px, py, pz = px * inv_p, py * inv_p, pz * inv_p
    sx, sy, sz = uy * pz - uz * py, uz * px - ux * pz, ux * py - uy * px
    lc, ls = lift * c[2, j], lift * c[3, j]
    r2 = x * x + y * y + z * z
    mu_r3 = GM_MARS / (r2 * math.sqrt(r2))
    k = 1.5 * J2_MARS * R_MARS * R_MARS / r2
    zz = 5.0 * z * z / r2
    horizontal = -mu_r3 * (1.0 + k * (1.0 - zz))
    gx, gy, gz = horizontal * x, horizontal * y, -mu_r3 * z * (1.0 + k * (3.0 - zz))
    inv_m = 1.0 / m
    two_w = 2.0 * OMEGA_MARS
    w2 = OMEGA_MARS * OMEGA_MARS
    dvx = gx - drag * ux + lc * px + ls * sx + c[7, j] * inv_m + two_w * vy + w2 * x
    dvy = gy - drag * uy + lc * py + ls * sy + c[8, j] * inv_m - two_w * vx + w2 * y
    dvz = gz - drag * uz + lc * pz + ls * sz + c[9, j] * inv_m
    return (vx, vy, vz, dvx, dvy, dvz, -c[10, j])


#: Where in the step each RK4 stage is evaluated, as a fraction of it.
_STAGE_AT = np.array([0.0, 0.5, 0.5, 1.0])


@nb.njit(cache=True, parallel=True)
def _rk4(
    state, t, dt, c, atm_v, atm_s, atm_x0, atm_dx, surface_h, d, aero_v, aero_s, aero_dx, infl
):
    n = state.shape[1]
    out = np.empty_like(state)
    for j in nb.prange(n):
        s0 = state[:, j].copy()
        s = s0.copy()
        k = np.empty((4, 7))
        for stage in range(4):
            at = _STAGE_AT[stage] * dt[j]
            if stage > 0:
                for i in range(7):
                    s[i] = s0[i] + at * k[stage - 1, i]
            rates = _derivative(
                s, t[j] + at, j, c, aero_dx, atm_v, atm_s, atm_x0, atm_dx, surface_h, d,
                aero_v, aero_s, infl,
            )  # fmt: skip
            for i in range(7):
                k[stage, i] = rates[i]
        for i in range(7):
            out[i, j] = s0[i] + (dt[j] / 6.0) * (k[0, i] + 2.0 * k[1, i] + 2.0 * k[2, i] + k[3, i])
    return out


def rk4_step_numba(
    state: NDArray[np.float64],
    t: NDArray[np.float64],
    dt: NDArray[np.float64],
    ctl: Controls,
    planet: Planet,
) -> NDArray[np.float64]:
    """`dynamics.rk4_step`, compiled: the same arguments less the environment (each
    stage computes its own)."""
    c = np.stack(
        [
            ctl.capsule_cd_area,
            ctl.lift_scale,
            ctl.cos_bank,
            ctl.sin_bank,
            ctl.chute_cd_area,
            ctl.chute_deploy_t,
            ctl.drag_area,
            *ctl.thrust,
            ctl.mass_flow,
        ],
        dtype=np.float64,
    )
    disp = planet.dispersion
    d = np.stack(
        [
            disp.ln_density_low,
            disp.ln_density_high,
            disp.wave_amplitude,
            disp.wave_phase_rad,
            disp.wind_low_east_mps,
            disp.wind_low_north_mps,
            disp.wind_high_east_mps,
            disp.wind_high_north_mps,
        ],
        dtype=np.float64,
    )
    hot, aero = planet.atmosphere.hot, planet.aero.table
    if aero.x0 != 0.0:  # `Aerodynamics.from_tables` starts its Mach grid at 0
        raise ValueError(f"aerodynamic table starts at Mach {aero.x0}, not 0")
    return _rk4(
        np.ascontiguousarray(state, dtype=np.float64),
        np.ascontiguousarray(t, dtype=np.float64),
        np.ascontiguousarray(dt, dtype=np.float64),
        c,
        np.ascontiguousarray(hot.values),
        np.ascontiguousarray(hot.slopes),
        float(hot.x0),
        float(hot.dx),
        float(planet.atmosphere.surface_height_m),
        d,
        np.ascontiguousarray(aero.values),
        np.ascontiguousarray(aero.slopes),
        float(aero.dx),
        float(planet.aero.parachute_inflation_s),
    )
