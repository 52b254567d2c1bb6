"""Entry guidance, bank-angle control and powered-descent guidance (batched).

Entry: the Apollo-heritage Entry Terminal Point Controller flown by MSL and
Mars 2020 (Moseley 1969; Mendeck & Craig 2011, NTRS 20110013204). Against a
reference trajectory indexed by planet-relative speed, the predicted range is

    R_p = R_ref + dR/dD (D - D_ref) + dR/dhdot (hdot - hdot_ref)

and the commanded vertical lift-to-drag ratio is

    (L/D)_c = (L/D)_ref + K3 (R_togo - R_p) / (dR/d(L/D)),

with the influence coefficients computed by `perseverance.edl.reference`.
The bank magnitude is arccos((L/D)_c / (L/D)); its sign flips (a bank
reversal) when the crossrange leaves a velocity-dependent deadband. Below a
speed, heading alignment steers the crossrange out with small banks; at SUFR
the bank returns to zero.

Powered descent: a zero-effort-miss / zero-effort-velocity law to a gate above
the selected target, then a velocity profile down to the sky-crane start and
the sky crane at constant speed, with horizontal position hold.

Leaves out: navigation filter dynamics (errors are modelled as offsets), the
backshell avoidance manoeuvre, attitude control of the descent stage.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from perseverance.mars.constants import R_MARS
from perseverance.mars.frames import Vector
from perseverance.tables import UniformTable

#: Gains of the terminal-descent velocity and position loops [1/s, 1/s^2, 1/s].
VERTICAL_SPEED_GAIN = 1.0
HORIZONTAL_POSITION_GAIN = 0.16
HORIZONTAL_SPEED_GAIN = 0.8
#: ZEM/ZEV guidance hands over to the terminal law this close to the gate [s].
GATE_HANDOVER_S = 2.0


@dataclass(frozen=True)
class EntryReference:
    """Reference trajectory and influence coefficients, indexed by speed [m/s].

    Table rows: drag [m/s^2], altitude rate [m/s], range to go [m],
    dR/dD [s^2], dR/dhdot [s], dR/d(L/D) [m].
    """

    table: UniformTable
    vertical_lift_to_drag: float
    range_trigger_m: float

    def lookup(self, speed: NDArray[np.float64]) -> NDArray[np.float64]:
        return self.table(speed)


def range_and_crossrange(
    *,
    position: Vector[NDArray[np.float64]],
    velocity: Vector[NDArray[np.float64]],
    target: Vector[NDArray[np.float64]],
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Great-circle range to go [m], crossrange [m, target to the right is positive]
    and heading error [rad, positive = target to the right] from body-fixed ``position``
    ``(x, y, z)`` [m] with ``velocity`` ``(vx, vy, vz)`` [m/s] to the unit vector ``target``."""
    x, y, z = position
    vx, vy, vz = velocity
    tx, ty, tz = target
    r = np.sqrt(x * x + y * y + z * z)
    rx, ry, rz = x / r, y / r, z / r
    cos_t = rx * tx + ry * ty + rz * tz
    cx, cy, cz = ry * tz - rz * ty, rz * tx - rx * tz, rx * ty - ry * tx
    sin_t = np.sqrt(cx * cx + cy * cy + cz * cz)
    rng = R_MARS * np.arctan2(sin_t, cos_t)
    # orbit normal n = r x v points to the left of the velocity
    nx, ny, nz = ry * vz - rz * vy, rz * vx - rx * vz, rx * vy - ry * vx
    n = np.maximum(np.sqrt(nx * nx + ny * ny + nz * nz), 1e-9)
    cross = -R_MARS * np.arcsin(np.clip((nx * tx + ny * ty + nz * tz) / n, -1.0, 1.0))
    # heading error: horizontal velocity vs horizontal direction to the target
    vr = vx * rx + vy * ry + vz * rz
    hx, hy, hz = vx - vr * rx, vy - vr * ry, vz - vr * rz
    dx, dy, dz = tx - cos_t * rx, ty - cos_t * ry, tz - cos_t * rz
    along = hx * dx + hy * dy + hz * dz
    side = -((hy * dz - hz * dy) * rx + (hz * dx - hx * dz) * ry + (hx * dy - hy * dx) * rz)
    return rng, cross, np.arctan2(side, along)


def etpc_bank_magnitude(
    *,
    ref: EntryReference,
    gain: float,
    lift_to_drag: NDArray[np.float64],
    speed: NDArray[np.float64],
    drag: NDArray[np.float64],
    hdot: NDArray[np.float64],
    range_to_go: NDArray[np.float64],
    min_bank_rad: float,
    max_bank_rad: float,
) -> NDArray[np.float64]:
    """Bank-angle magnitude [rad] commanded by the Entry Terminal Point Controller."""
    d_ref, hdot_ref, r_ref, f1, f2, f3 = ref.lookup(speed)
    predicted = r_ref + f1 * (drag - d_ref) + f2 * (hdot - hdot_ref)
    ld_cmd = ref.vertical_lift_to_drag + gain * (range_to_go - predicted) / f3
    cos_bank = np.clip(ld_cmd / lift_to_drag, np.cos(max_bank_rad), np.cos(min_bank_rad))
    return np.arccos(cos_bank)


def crossrange_deadband(
    *, speed: NDArray[np.float64], high_m: float, low_m: float, v_high: float, v_low: float
) -> NDArray[np.float64]:
    """Crossrange deadband [m], linear in speed between two corners, clamped."""
    s = np.clip((speed - v_low) / (v_high - v_low), 0.0, 1.0)
    return low_m + s * (high_m - low_m)


def follow_bank(
    *,
    bank: NDArray[np.float64],
    rate: NDArray[np.float64],
    command: NDArray[np.float64],
    dt: float | NDArray[np.float64],
    rate_max: float,
    accel_max: float,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Move the bank angle toward ``command`` with rate and acceleration limits.

    Returns the new bank [rad] and bank rate [rad/s] after ``dt`` [s]. Uses the
    time-optimal (bang-bang) profile: brake when the stopping distance reaches
    the remaining error. Reversals pass through lift-up (zero bank).
    """
    err = command - bank
    # brake early enough to stop on the command with discrete steps
    stop_rate = np.maximum(np.sqrt(2.0 * accel_max * np.abs(err)) - 0.5 * accel_max * dt, 0.0)
    wanted = np.sign(err) * np.minimum(rate_max, stop_rate)
    new_rate = np.clip(wanted, rate - accel_max * dt, rate + accel_max * dt)
    new_bank = bank + 0.5 * (rate + new_rate) * dt
    crossed = np.sign(command - new_bank) != np.sign(err)
    # finish on the command when the remaining move fits in one step from near rest
    close = crossed | (np.abs(command - new_bank) < 1e-9) | (np.abs(err) <= accel_max * dt * dt)
    snap = close & (np.abs(rate) <= accel_max * dt)
    new_bank = np.where(snap, command, new_bank)
    new_rate = np.where(snap, 0.0, new_rate)
    return new_bank, new_rate


def zem_zev_acceleration(
    *,
    p: NDArray[np.float64],
    v: NDArray[np.float64],
    g: NDArray[np.float64],
    r_f: NDArray[np.float64],
    v_f: NDArray[np.float64],
    t_go: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Thrust acceleration [m/s^2] (3, N) of the fixed-time ZEM/ZEV law."""
    t_go = np.maximum(t_go, 1e-3)
    zem = r_f - (p + v * t_go + 0.5 * g * t_go**2)
    zev = v_f - (v + g * t_go)
    return 6.0 * zem / t_go**2 - 2.0 * zev / t_go


def terminal_acceleration(
    *,
    p: NDArray[np.float64],
    v: NDArray[np.float64],
    aim: NDArray[np.float64],
    up: NDArray[np.float64],
    g_mag: NDArray[np.float64],
    height: NDArray[np.float64],
    skycrane_alt: float,
    skycrane_speed: float,
    gate_speed: float,
    deceleration: float,
) -> NDArray[np.float64]:
    """Thrust acceleration [m/s^2] (3, N): velocity profile down, position hold across."""
    v_up = (v * up).sum(axis=0)
    over = np.maximum(height - skycrane_alt, 0.0)
    profile = np.sqrt(skycrane_speed**2 + 2.0 * deceleration * over)
    v_cmd = -np.minimum(profile, gate_speed)
    # feed forward the profile's own deceleration so the loop does not lag behind it
    braking = np.where((over > 0) & (profile < gate_speed), deceleration, 0.0)
    a_up = g_mag + braking + VERTICAL_SPEED_GAIN * (v_cmd - v_up)
    d = aim - p
    d_h = d - (d * up).sum(axis=0) * up
    v_h = v - v_up * up
    a_h = HORIZONTAL_POSITION_GAIN * d_h - HORIZONTAL_SPEED_GAIN * v_h
    return a_up * up + a_h
