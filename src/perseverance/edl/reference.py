"""Entry targeting and the guidance reference, computed by the project.

1. **Targeting.** Public figures give the entry speed, flight-path angle and
   time, not the entry point. We fly the reference profile (constant reference
   bank, vertical lift only, velocity-triggered parachute, no divert) from a
   trial entry point and move that point by the rotation that carries the
   landing point onto the target, until the miss is below `TARGETING_TOLERANCE_M`.
2. **Reference trajectory.** The targeted reference gives drag, altitude rate
   and range to go against planet-relative speed, and the range from its
   parachute deploy point to the target: the Range Trigger threshold.
3. **Influence coefficients** dR/dD, dR/dhdot and dR/d(L/D) (Apollo's F1, F2,
   F3) by finite differences: at nodes along the reference, a batch of runs
   perturbed in altitude, flight-path angle and vertical L/D is flown to the end
   of range control, and the change in range flown is mapped back through the
   change in drag and altitude rate. (Apollo integrated the adjoint equations;
   the batched simulator makes the direct perturbations as cheap.)
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from perseverance.edl.dynamics import Controls, Planet, environment, rk4_step
from perseverance.edl.guidance import EntryReference
from perseverance.edl.runs import RunInputs
from perseverance.edl.sequence import FlightResult, StepSizes, fly
from perseverance.edl.setup_cache import SetupEntry, entry_path, load_setup, save_setup
from perseverance.edl.system import EdlSystem
from perseverance.edl.vehicle import Vehicle
from perseverance.errors import ScenarioError
from perseverance.mars.atmosphere import AtmosphereDispersion
from perseverance.mars.constants import DEG, R_MARS
from perseverance.mars.frames import (
    angle_between,
    destination,
    inertial_to_relative_velocity,
    position_from_spherical,
    velocity_from_flight_angles,
)
from perseverance.tables import UniformTable

TARGETING_TOLERANCE_M = 2.0
TARGETING_MAX_ITERATIONS = 8
#: Initial guess of the entry-to-landing distance [m].
FIRST_GUESS_RANGE_M = 650_000.0
#: Steps of the reference and sensitivity runs [s]; targeting uses the campaign's steps.
REFERENCE_STEPS = StepSizes(entry_s=0.25, descent_s=0.1)
#: Number of speed nodes carrying influence coefficients.
INFLUENCE_NODES = 48
#: Finite-difference perturbations: altitude [m], flight-path angle [rad], vertical L/D.
DELTA_HEIGHT_M = 200.0
DELTA_GAMMA_RAD = 0.02 * DEG
DELTA_LD = 0.01
#: Speed step of the reference table [m/s].
SPEED_STEP_MPS = 5.0


def entry_state(system: EdlSystem, latitude_rad: float, longitude_rad: float) -> np.ndarray:
    """Entry state (7,): position, planet-relative velocity and mass, from the vehicle data."""
    e = system.vehicle.entry
    r = R_MARS + e.altitude_m
    x, y, z = position_from_spherical(latitude_rad, longitude_rad, r)
    v = velocity_from_flight_angles(
        speed_mps=e.speed_mps,
        flight_path_angle_rad=e.flight_path_angle_deg * DEG,
        heading_rad=e.heading_deg * DEG,
        lat_rad=latitude_rad,
        lon_rad=longitude_rad,
    )
    if e.frame == "inertial":
        v = inertial_to_relative_velocity(position=(x, y, z), velocity=v)
    return np.array([x, y, z, *v, system.vehicle.masses.entry_kg], dtype=float)


def _rotation_between(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Rotation matrix carrying unit vector ``a`` onto unit vector ``b`` (Rodrigues)."""
    axis = np.cross(a, b)
    s = np.linalg.norm(axis)
    c = float(np.dot(a, b))
    if s < 1e-15:
        return np.eye(3)
    k = axis / s
    kx = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    return np.eye(3) + s * kx + (1 - c) * kx @ kx


def _fly_reference(
    system: EdlSystem, state: np.ndarray, record: bool = False, steps: StepSizes = REFERENCE_STEPS
) -> FlightResult:
    runs = RunInputs.nominal(state)
    # NumPy's step, whatever the backend: the setup (cached, keyed without the backend)
    # is then one and the same for every backend
    return fly(
        system,
        runs,
        steps,
        reference_bank_only=True,
        deploy_on_velocity=True,
        record_telemetry=record,
        backend="numpy",
    )


def target_entry(system: EdlSystem) -> tuple[np.ndarray, bool]:
    """Entry state (7,) whose reference trajectory lands on the target, and whether the
    reference lands at all (a vehicle that cannot land keeps the first-guess entry point)."""
    e, t = system.vehicle.entry, system.vehicle.target
    if e.latitude_deg is not None and e.longitude_deg is not None:  # both or neither
        state = entry_state(system, e.latitude_deg * DEG, e.longitude_deg * DEG)
        return state, bool(
            np.isfinite(_fly_reference(system, state, steps=StepSizes()).touchdown["t_s"][0])
        )
    lat, lon = destination(
        lat_rad=t.latitude_deg * DEG,
        lon_rad=t.longitude_deg * DEG,
        bearing=e.heading_deg * DEG + np.pi,
        distance_m=FIRST_GUESS_RANGE_M,
    )
    state = entry_state(system, float(lat), float(lon))
    for _ in range(TARGETING_MAX_ITERATIONS):
        result = _fly_reference(system, state, steps=StepSizes())
        if np.isnan(result.touchdown["t_s"][0]):
            return state, False
        td = result.touchdown
        landed = np.array(
            position_from_spherical(td["latitude_deg"][0] * DEG, td["longitude_deg"][0] * DEG, 1.0)
        )
        miss = np.linalg.norm(landed - system.target_unit) * R_MARS
        if miss < TARGETING_TOLERANCE_M:
            return state, True
        rot = _rotation_between(landed, system.target_unit)
        state = np.concatenate([rot @ state[:3], rot @ state[3:6], state[6:]])
    raise ScenarioError(f"entry targeting did not converge (miss {miss:.0f} m)")


def build_reference(system: EdlSystem, state: np.ndarray) -> EntryReference:
    """Reference trajectory tables and influence coefficients for the ETPC."""
    v = system.vehicle
    g = v.guidance
    result = _fly_reference(system, state, record=True)
    assert result.telemetry is not None  # recorded
    tel = {k: a[:, 0] for k, a in result.telemetry.items()}
    states = np.stack(
        [tel[k] for k in ("x_m", "y_m", "z_m", "vx_mps", "vy_mps", "vz_mps", "mass_kg")]
    )
    t_start = result.events["guidance_start"]["t_s"][0]
    speed = tel["velocity_mps"]
    window = (
        (tel["t_s"] >= t_start) & (speed >= g.heading_alignment_velocity_mps) & (tel["phase"] == 0)
    )
    if window.sum() < 10:
        raise ScenarioError(
            "guidance never starts on the reference trajectory: check guidance.start_g"
        )
    idx = np.flatnonzero(window)
    nodes = idx[np.linspace(0, idx.size - 1, INFLUENCE_NODES).round().astype(int)]
    f1, f2, f3 = _influence_coefficients(system, states[:, nodes])
    planet = Planet(system.atmosphere, AtmosphereDispersion.nominal(idx.size), system.aero)
    env = environment(states[:, idx], planet)
    drag = env.dynamic_pressure * env.capsule_cd * v.aeroshell.area_m2 / states[6, idx]
    x, y, z, vx, vy, vz = states[:6, idx]
    hdot = (x * vx + y * vy + z * vz) / np.sqrt(x * x + y * y + z * z)
    # ranges are measured to the reference's own landing point (the target, once targeted)
    td = result.touchdown
    end = np.array(
        position_from_spherical(td["latitude_deg"][0] * DEG, td["longitude_deg"][0] * DEG, 1.0)
    )
    unit = states[:3, idx] / np.sqrt((states[:3, idx] ** 2).sum(axis=0))
    rng = R_MARS * angle_between(unit, end[:, None])
    sp = speed[idx]
    order = np.argsort(sp)
    node_speed = speed[nodes]
    node_order = np.argsort(node_speed)
    table_speed = np.arange(sp.min(), sp.max(), SPEED_STEP_MPS)
    rows = [np.interp(table_speed, sp[order], q[order]) for q in (drag, hdot, rng)]
    rows += [np.interp(table_speed, node_speed[node_order], f[node_order]) for f in (f1, f2, f3)]
    table = UniformTable.resample(table_speed, np.stack(rows), SPEED_STEP_MPS)
    deploy = result.events["parachute_deploy"]["t_s"][0]
    k = int(np.searchsorted(tel["t_s"], deploy))
    du = states[:3, k] / np.linalg.norm(states[:3, k])
    trigger = R_MARS * angle_between(du, end)
    hyp_ld = v.hypersonic_lift_to_drag
    return EntryReference(table, hyp_ld * np.cos(g.reference_bank_deg * DEG), float(trigger))


def _perturbed_states(states: np.ndarray) -> NDArray[np.float64]:
    """Node states perturbed in height, flight-path angle; (7, 3K): base, dh, dgamma."""
    pos, vel = states[:3], states[3:6]
    r = np.sqrt((pos**2).sum(axis=0))
    up = pos / r
    high = states.copy()
    high[:3] = pos + DELTA_HEIGHT_M * up
    vr = (vel * up).sum(axis=0)
    horiz = vel - vr * up
    vh = np.sqrt((horiz**2).sum(axis=0))
    speed = np.sqrt(vr**2 + vh**2)
    gamma = np.arctan2(vr, vh) + DELTA_GAMMA_RAD
    steep = states.copy()
    steep[3:6] = speed * (np.cos(gamma) * horiz / vh + np.sin(gamma) * up)
    return np.concatenate([states, high, steep], axis=1)


def _influence_coefficients(
    system: EdlSystem, states: np.ndarray
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """F1 = dR/dD [s^2], F2 = dR/dhdot [s], F3 = dR/d(L/D) [m] at each node (K,)."""
    v = system.vehicle
    k = states.shape[1]
    batch = np.concatenate([_perturbed_states(states), states], axis=1)  # base, dh, dg, dLD
    cos_ref = np.cos(v.guidance.reference_bank_deg * DEG)
    hyp_ld = v.hypersonic_lift_to_drag
    cos_bank = np.full(4 * k, cos_ref)
    cos_bank[3 * k :] += DELTA_LD / hyp_ld
    ranges = _range_to_speed(system, batch, cos_bank)
    planet = Planet(system.atmosphere, AtmosphereDispersion.nominal(3 * k), system.aero)
    env = environment(batch[:, : 3 * k], planet)
    drag = env.dynamic_pressure * env.capsule_cd * v.aeroshell.area_m2 / batch[6, : 3 * k]
    pos, vel = batch[:3, : 3 * k], batch[3:6, : 3 * k]
    hdot = (pos * vel).sum(axis=0) / np.sqrt((pos**2).sum(axis=0))
    base, dh, dg = slice(0, k), slice(k, 2 * k), slice(2 * k, 3 * k)
    d_r = np.stack([ranges[dh] - ranges[base], ranges[dg] - ranges[base]])  # (2, K)
    jac = np.array(
        [
            [drag[dh] - drag[base], drag[dg] - drag[base]],
            [hdot[dh] - hdot[base], hdot[dg] - hdot[base]],
        ]
    )  # (2, 2, K)
    inv = np.linalg.inv(np.moveaxis(jac, -1, 0))  # (K, 2, 2)
    f = np.einsum("ik,kij->jk", d_r, inv)
    f3 = (ranges[3 * k :] - ranges[base]) / DELTA_LD
    return f[0], f[1], f3


def _range_to_speed(
    system: EdlSystem, states: np.ndarray, cos_bank: np.ndarray
) -> NDArray[np.float64]:
    """Ground range [m] flown by each state (7, M) as the reference flies it: fixed bank
    until SUFR, no lift after, until the nominal parachute deploy speed."""
    v = system.vehicle
    end_speed = v.parachute.trigger_velocity_mps
    m = states.shape[1]
    planet = Planet(system.atmosphere, AtmosphereDispersion.nominal(m), system.aero)
    zeros = np.zeros(m)
    ctl = Controls(
        capsule_cd_area=np.full(m, v.aeroshell.area_m2),
        lift_scale=np.ones(m),
        cos_bank=cos_bank,
        sin_bank=zeros,
        chute_cd_area=zeros,
        chute_deploy_t=np.full(m, np.inf),
        drag_area=zeros,
        thrust=(zeros, zeros, zeros),
        mass_flow=zeros,
    )
    start = states[:3] / np.sqrt((states[:3] ** 2).sum(axis=0))
    state, t = states.copy(), np.zeros(m)
    dt_s = REFERENCE_STEPS.entry_s
    end = np.full((3, m), np.nan)
    for _ in range(20_000):
        speed = np.sqrt((state[3:6] ** 2).sum(axis=0))
        running = np.isnan(end[0])
        if not running.any():
            break
        dt = np.where(running, dt_s, 0.0)
        ctl.lift_scale = np.where(speed > v.sequence.sufr_velocity_mps, 1.0, 0.0)
        new = rk4_step(state, t, dt, environment(state, planet), ctl, planet)
        new_speed = np.sqrt((new[3:6] ** 2).sum(axis=0))
        crossed = running & (new_speed <= end_speed)
        frac = np.clip((speed - end_speed) / np.maximum(speed - new_speed, 1e-12), 0, 1)
        end[:, crossed] = (state[:3] + frac * (new[:3] - state[:3]))[:, crossed]
        state, t = new, t + dt
    else:
        raise ScenarioError("reference sensitivity runs never slowed to the parachute deploy speed")
    return R_MARS * angle_between(start, end)


def build_system(vehicle: Vehicle, terrain_seed: int = 0, *, use_cache: bool = True) -> EdlSystem:
    """Assemble a vehicle's EDL system: terrain, targeted entry point and guidance reference.

    With ``use_cache`` the targeting and the reference come from the disk cache
    (`perseverance.edl.setup_cache`) when it holds them, and are stored there when not.
    """
    system = EdlSystem.assemble(vehicle, terrain_seed)
    path = entry_path(system) if use_cache else None
    entry = load_setup(path) if path is not None else None
    if entry is None:
        state, lands = target_entry(system)
        # a vehicle whose reference cannot land flies unguided, and its runs say why they fail
        entry = SetupEntry(state, build_reference(system, state) if lands else None)
        if path is not None:
            save_setup(path, entry)
    system.entry_state = entry.entry_state
    system.reference = entry.reference
    return system
