"""Batched 3-DOF translational dynamics over the rotating, oblate Mars.

State layout (internal): an array of shape (7, N), rows x, y, z [m],
vx, vy, vz [m/s] in the Mars body-fixed frame (rotating), and mass [kg]; the
batch axis N is the trajectory. Each run keeps its own clock ``t`` and step
``dt`` (arrays of shape (N,)), so a run's result never depends on what else is
in the batch.

Forces: J2 gravity, Coriolis and centrifugal terms, aerodynamic drag and lift
of the capsule (lift direction set by the bank angle), parachute drag with a
linear inflation ramp, the descent stage's body drag and engine thrust.

Leaves out: attitude dynamics (the bank angle is followed with rate and
acceleration limits in `guidance`, the trim angle is folded into the tables),
aerodynamic moments, parachute pendulum motion, plume interactions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from perseverance.mars.atmosphere import Atmosphere, AtmosphereDispersion
from perseverance.mars.constants import OMEGA_MARS, SUTTON_GRAVES_K_MARS
from perseverance.mars.frames import areoid_radius_m
from perseverance.mars.gravity import gravity_j2
from perseverance.tables import UniformTable

#: Mach step of the resampled aerodynamic tables.
MACH_STEP = 0.01


@dataclass(frozen=True)
class Aerodynamics:
    """Tabulated aerodynamics against Mach: rows capsule CD, capsule L/D, parachute CD."""

    table: UniformTable
    parachute_inflation_s: float

    @classmethod
    def from_tables(
        cls,
        *,
        mach: NDArray[np.float64],
        cd: NDArray[np.float64],
        ld: NDArray[np.float64],
        chute_mach: NDArray[np.float64],
        chute_cd: NDArray[np.float64],
        inflation_s: float,
    ) -> Aerodynamics:
        """Merge the capsule and parachute tables onto one uniform Mach grid."""
        top = max(mach[-1], chute_mach[-1], 40.0)
        grid = np.arange(0.0, top + MACH_STEP / 2, MACH_STEP)
        rows = np.stack(
            [
                np.interp(grid, mach, cd),
                np.interp(grid, mach, ld),
                np.interp(grid, chute_mach, chute_cd),
            ]
        )
        return cls(UniformTable(0.0, MACH_STEP, rows), float(inflation_s))


@dataclass
class Environment:
    """Command-independent quantities at a state (all arrays of shape (N,))."""

    height_above_areoid_m: NDArray[np.float64]
    height_above_surface_m: NDArray[np.float64]
    density: NDArray[np.float64]
    sound_speed: NDArray[np.float64]
    air_velocity: tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]
    airspeed: NDArray[np.float64]
    mach: NDArray[np.float64]
    dynamic_pressure: NDArray[np.float64]
    capsule_cd: NDArray[np.float64]
    capsule_ld: NDArray[np.float64]
    chute_cd: NDArray[np.float64]


@dataclass
class Controls:
    """What the vehicle does during one step (arrays of shape (N,)).

    ``capsule_cd_area`` is the capsule reference area times its CD scale [m^2],
    zero once the capsule is gone; ``lift_scale`` multiplies the tabulated L/D
    (zero after SUFR); ``chute_cd_area`` is the canopy area times its CD scale,
    zero before deploy; ``drag_area`` is a fixed CD*A [m^2]; ``thrust`` is the
    engine force [N] in the body frame and ``mass_flow`` [kg/s] its propellant use.
    """

    capsule_cd_area: NDArray[np.float64]
    lift_scale: NDArray[np.float64]
    cos_bank: NDArray[np.float64]
    sin_bank: NDArray[np.float64]
    chute_cd_area: NDArray[np.float64]
    chute_deploy_t: NDArray[np.float64]
    drag_area: NDArray[np.float64]
    thrust: tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]
    mass_flow: NDArray[np.float64]


@dataclass(frozen=True)
class Planet:
    """The planet side of the dynamics: atmosphere and its per-run dispersions."""

    atmosphere: Atmosphere
    dispersion: AtmosphereDispersion
    aero: Aerodynamics


def environment(state: NDArray[np.float64], planet: Planet) -> Environment:
    """Atmosphere, airspeed, Mach and aerodynamic coefficients at each state."""
    x, y, z, vx, vy, vz = state[:6]
    rxy2 = x * x + y * y
    r = np.sqrt(rxy2 + z * z)
    rxy = np.sqrt(rxy2)
    sin_lat = z / r
    h = r - areoid_radius_m(sin_lat)
    above = h - planet.atmosphere.surface_height_m
    rho, sound = planet.atmosphere.density_sound(h)
    rho = rho * planet.dispersion.density_factor(above)
    w_e, w_n = planet.dispersion.wind(above)
    # east = (-y, x, 0)/rxy; north = (-z x, -z y, rxy^2)/(r rxy)
    we = w_e / rxy
    wn = w_n / (r * rxy)
    ax = vx - (-y * we - z * x * wn)
    ay = vy - (x * we - z * y * wn)
    az = vz - rxy2 * wn
    speed = np.sqrt(ax * ax + ay * ay + az * az)
    mach = speed / sound
    cd, ld, chute_cd = planet.aero.table(mach)
    q = 0.5 * rho * speed * speed
    return Environment(h, above, rho, sound, (ax, ay, az), speed, mach, q, cd, ld, chute_cd)


def derivatives(
    state: NDArray[np.float64],
    t: NDArray[np.float64],
    env: Environment,
    ctl: Controls,
    planet: Planet,
) -> NDArray[np.float64]:
    """Time derivative of the state, shape (7, N)."""
    x, y, z, vx, vy, vz, m = state
    q_over_m = env.dynamic_pressure / m
    capsule_drag = q_over_m * env.capsule_cd * ctl.capsule_cd_area
    chute_cd = env.chute_cd
    inflation = np.clip((t - ctl.chute_deploy_t) / planet.aero.parachute_inflation_s, 0.0, 1.0)
    drag = capsule_drag + q_over_m * (chute_cd * ctl.chute_cd_area * inflation + ctl.drag_area)
    lift = capsule_drag * env.capsule_ld * ctl.lift_scale

    ax, ay, az = env.air_velocity
    inv_v = 1.0 / np.maximum(env.airspeed, 1e-9)
    ux, uy, uz = ax * inv_v, ay * inv_v, az * inv_v
    inv_r = 1.0 / np.sqrt(x * x + y * y + z * z)
    rx, ry, rz = x * inv_r, y * inv_r, z * inv_r
    # lift "up": radial unit vector minus its component along the airspeed
    dot = rx * ux + ry * uy + rz * uz
    px, py, pz = rx - dot * ux, ry - dot * uy, rz - dot * uz
    inv_p = 1.0 / np.maximum(np.sqrt(px * px + py * py + pz * pz), 1e-12)
    px, py, pz = px * inv_p, py * inv_p, pz * inv_p
    # lift "right": airspeed direction x lift-up (positive bank = lift to the right)
    sx, sy, sz = uy * pz - uz * py, uz * px - ux * pz, ux * py - uy * px
    lc, ls = lift * ctl.cos_bank, lift * ctl.sin_bank

    gx, gy, gz = gravity_j2(x, y, z)
    tx, ty, tz = ctl.thrust
    inv_m = 1.0 / m
    two_w = 2.0 * OMEGA_MARS
    w2 = OMEGA_MARS * OMEGA_MARS
    dvx = gx - drag * ux + lc * px + ls * sx + tx * inv_m + two_w * vy + w2 * x
    dvy = gy - drag * uy + lc * py + ls * sy + ty * inv_m - two_w * vx + w2 * y
    dvz = gz - drag * uz + lc * pz + ls * sz + tz * inv_m
    return np.stack([vx, vy, vz, dvx, dvy, dvz, -ctl.mass_flow])


def capsule_drag_acceleration(
    env: Environment, cd_area_m2: NDArray[np.float64], mass_kg: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Drag acceleration of the capsule [m/s^2] for a reference area times CD scale [m^2]."""
    return env.dynamic_pressure * env.capsule_cd * cd_area_m2 / mass_kg


def stagnation_heat_rate(env: Environment, nose_radius_m: float) -> NDArray[np.float64]:
    """Stagnation-point convective heat rate [W/m^2] (Sutton & Graves 1971)."""
    return SUTTON_GRAVES_K_MARS * np.sqrt(env.density / nose_radius_m) * env.airspeed**3


def rk4_step(
    state: NDArray[np.float64],
    t: NDArray[np.float64],
    dt: NDArray[np.float64],
    env: Environment,
    ctl: Controls,
    planet: Planet,
) -> NDArray[np.float64]:
    """Advance each run by its own ``dt`` with the classical Runge-Kutta method.

    ``env`` is the environment at ``state`` (already computed for guidance).
    Controls are held over the step, as flight software holds its commands.
    """
    half = 0.5 * dt
    k1 = derivatives(state, t, env, ctl, planet)
    s2 = state + half * k1
    k2 = derivatives(s2, t + half, environment(s2, planet), ctl, planet)
    s3 = state + half * k2
    k3 = derivatives(s3, t + half, environment(s3, planet), ctl, planet)
    s4 = state + dt * k3
    k4 = derivatives(s4, t + dt, environment(s4, planet), ctl, planet)
    return state + (dt / 6.0) * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
