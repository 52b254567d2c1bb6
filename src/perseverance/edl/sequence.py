"""The EDL sequence: phases, triggers and events, flown for a batch of runs at once.

`fly` advances every run of a batch with its own clock through

    entry (pre-bank, ETPC range control, heading alignment) -> SUFR ->
    parachute (heat shield separation, radar lock, LVS fix and safe-target
    selection) -> backshell separation and free fall -> powered descent
    (approach to a gate, terminal descent) -> sky crane -> touchdown -> flyaway

and returns per-run events, touchdown state and status. Phases are integer
codes per run; each step applies the triggers as masks, so runs in different
phases advance together without Python loops over runs.

Time ``t`` is seconds from entry interface. Triggers are checked at the start of
each step, and a step is cut short to end just past the next trigger (clock triggers
exactly, height and speed thresholds extrapolated at the present rate; see
`_Flight._time_to_trigger`), so events are not quantised to the step (0.5 s in entry,
1 s coasting, 0.25 s in powered descent for campaigns; 0.1 s for the displayed run);
the step after goes back onto its grid. Touchdown is interpolated in the step. The
guidance commands are held over each step (`tests/edl/test_step_convergence.py` says
what that costs).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np
from numpy.typing import NDArray

from perseverance.edl.backend import Stepper, resolve_backend, stepper
from perseverance.edl.dynamics import (
    Controls,
    Environment,
    Planet,
    capsule_drag_acceleration,
    environment,
    rk4_step,
    stagnation_heat_rate,
)
from perseverance.edl.guidance import (
    GATE_HANDOVER_S,
    crossrange_deadband,
    etpc_bank_magnitude,
    follow_bank,
    range_and_crossrange,
    terminal_acceleration,
    zem_zev_acceleration,
)
from perseverance.edl.runs import RunInputs
from perseverance.edl.status import EVENT_FIELDS, EVENT_NAMES, Status
from perseverance.edl.system import EdlSystem
from perseverance.mars.constants import DEG, G0, GM_MARS, R_MARS
from perseverance.mars.frames import areoid_radius_m, spherical_from_position

#: Per-run values (or (k, N) rows of them) and per-run flags.
Floats = NDArray[np.float64]
Mask = NDArray[np.bool_]


class Phase(IntEnum):
    ENTRY = 0
    SUFR = 1
    PARACHUTE = 2
    FREEFALL = 3
    POWERED = 4
    DONE = 5


@dataclass(frozen=True)
class StepSizes:
    """Integration steps [s]: guided entry; coasting (thin air before guidance starts,
    the inflated parachute's slow descent); powered descent and sky crane."""

    entry_s: float = 0.5
    coast_s: float = 1.0
    descent_s: float = 0.25
    max_time_s: float = 1500.0


#: Steps of Monte Carlo campaigns.
DEFAULT_STEPS = StepSizes()
#: Fine steps for a single displayed trajectory (telemetry at 10 Hz).
TELEMETRY_STEPS = StepSizes(entry_s=0.1, coast_s=0.1, descent_s=0.1)
#: Dynamic pressure [Pa] below which the entry coasts with the longer step.
COAST_DYNAMIC_PRESSURE_PA = 20.0
#: Time after parachute deploy [s] after which the descent on the canopy coasts.
COAST_AFTER_DEPLOY_S = 5.0
#: Above this height over the site's floor [m] the terrain is taken as the flat floor.
TERRAIN_QUERY_HEIGHT_M = 30_000.0
#: Seconds of flight predicted after backshell separation when choosing where to land.
POWERED_DRIFT_S = 10.0
#: A step cut short for a trigger ends this far past its predicted instant [s]; none is
#: shorter than `MIN_STEP_S` [s], so a trigger just missed costs one more short step.
TRIGGER_OVERSHOOT_S = 1e-5
MIN_STEP_S = 1e-3
#: Floor of the rates (descent speed [m/s], deceleration [m/s^2]) a trigger is predicted with.
RATE_FLOOR = 1e-3
#: Slack in steps when finding the next grid instant (float round-off of ``t / step``).
GRID_SLACK = 1e-9

TELEMETRY_COLUMNS = (
    "t_s",
    "x_m",
    "y_m",
    "z_m",
    "vx_mps",
    "vy_mps",
    "vz_mps",
    "latitude_deg",
    "longitude_deg",
    "altitude_m",
    "height_above_areoid_m",
    "velocity_mps",
    "mach",
    "dynamic_pressure_pa",
    "g_load",
    "bank_deg",
    "heat_rate_w_cm2",
    "mass_kg",
    "phase",
)


@dataclass
class FlightResult:
    """Outcome of a batch: arrays with the run axis first."""

    status: NDArray[np.int8]
    events: dict[str, dict[str, Floats]]
    touchdown: dict[str, Floats]
    telemetry: dict[str, Floats] | None = None
    backend: str = "numpy"  # the RK4 step that flew it (`perseverance.edl.backend`)

    def __repr__(self) -> str:
        codes, counts = np.unique(self.status, return_counts=True)
        outcome = ", ".join(
            f"{Status(int(c)).label} {n}" for c, n in zip(codes, counts, strict=True)
        )
        tel = "with" if self.telemetry is not None else "no"
        return f"<FlightResult {self.status.size} runs: {outcome}; {tel} telemetry>"


def fly(
    system: EdlSystem,
    runs: RunInputs,
    steps: StepSizes = DEFAULT_STEPS,
    *,
    reference_bank_only: bool = False,
    deploy_on_velocity: bool | None = None,
    record_telemetry: bool = False,
    backend: str | None = None,
) -> FlightResult:
    """Fly every run of ``runs`` from entry interface to touchdown and flyaway.

    ``reference_bank_only`` flies the constant reference bank with no lateral
    lift (used to build the guidance reference); ``deploy_on_velocity``
    overrides the vehicle's parachute trigger (True: velocity, False: range);
    ``backend`` chooses the RK4 step (`perseverance.edl.backend`; None: auto).
    """
    chosen = resolve_backend(backend)
    flight = _Flight(system, runs, steps, reference_bank_only, deploy_on_velocity, record_telemetry)
    flight.rk4 = stepper(chosen)
    result = flight.run()
    result.backend = chosen
    return result


def parachute_trigger(system: EdlSystem, deploy_on_velocity: bool | None = None) -> str:
    """The trigger a flight uses: the override, else the vehicle's; a vehicle without a
    guidance reference (its reference cannot land) has no Range Trigger threshold and
    falls back to the velocity trigger."""
    if system.reference is None:
        return "velocity"
    if deploy_on_velocity is None:
        return system.vehicle.parachute.trigger
    return "velocity" if deploy_on_velocity else "range"


class _Flight:
    """The mutable state of one batch in flight (one instance per `fly` call)."""

    def __init__(
        self,
        system: EdlSystem,
        runs: RunInputs,
        steps: StepSizes,
        reference_bank_only: bool,
        deploy_on_velocity: bool | None,
        record: bool,
    ) -> None:
        v = system.vehicle
        n = runs.size
        self.sys, self.v, self.runs, self.steps, self.n = system, v, runs, steps, n
        self.reference_only = reference_bank_only or system.reference is None
        self.velocity_trigger = parachute_trigger(system, deploy_on_velocity) == "velocity"
        self.planet = Planet(system.atmosphere, runs.atmosphere, system.aero)
        self.state = np.ascontiguousarray(runs.entry_state.T, dtype=float).copy()
        self.t = np.zeros(n)
        self.phase = np.zeros(n, dtype=np.int8)
        self.status = np.full(n, -1, dtype=np.int8)
        m = v.masses
        s = runs.mass_scale
        self.rover_kg, self.ds_dry_kg = m.rover_kg * s, m.descent_stage_dry_kg * s
        # guidance state
        g = v.guidance
        self.bank = np.full(n, g.initial_bank_sign * g.reference_bank_deg * DEG)
        self.bank_rate = np.zeros(n)
        self.bank_sign = np.full(n, float(g.initial_bank_sign))
        self.guiding = np.zeros(n, dtype=bool)
        # perceived target: the truth shifted by minus the navigation error
        e0, n0 = system.target_east_north_m
        self.nav_target = np.array(
            system.frame.direction(e0 - runs.nav_east_m, n0 - runs.nav_north_m)
        )
        self.t_sufr = np.full(n, np.nan)
        self.t_deploy = np.full(n, np.inf)
        self.heatshield_on = np.ones(n, dtype=bool)
        self.radar = np.zeros(n, dtype=bool)
        self.lvs_done = np.zeros(n, dtype=bool)
        self.aim = np.zeros((3, n))
        self.aim_up = np.zeros((3, n))
        self.safe_en = np.full((2, n), np.nan)
        self.t_backshell = np.full(n, np.nan)
        self.t_powered = np.full(n, np.nan)
        self.t_go0 = np.zeros(n)
        self.at_gate = np.zeros(n, dtype=bool)
        self.t_skycrane = np.full(n, np.inf)
        self.thrust = np.zeros((3, n))
        self.mass_flow = np.zeros(n)
        self.peak_heat = np.zeros(n)
        self.peak_g = np.zeros(n)
        self.events = {name: {f: np.full(n, np.nan) for f in EVENT_FIELDS} for name in EVENT_NAMES}
        self.touchdown = {
            k: np.full(n, np.nan)
            for k in (
                "t_s",
                "east_m",
                "north_m",
                "latitude_deg",
                "longitude_deg",
                "vertical_speed_mps",
                "horizontal_speed_mps",
                "tilt_deg",
                "distance_to_target_m",
                "distance_to_safe_target_m",
                "propellant_kg",
                "flyaway_distance_m",
                "safe_east_m",
                "safe_north_m",
            )
        }
        self.telemetry: list[Floats] | None = [] if record else None
        self._last_ctl: Controls | None = None
        self._dt = np.zeros(n)
        self._sensed_prev = np.zeros(n)
        self.rk4: Stepper = rk4_step

    # ------------------------------------------------------------------ loop
    def run(self) -> FlightResult:
        while True:
            active = self.phase != Phase.DONE
            if not active.any():
                break
            env = environment(self.state, self.planet)
            agl, east, north = self._height_above_ground(self.state)
            sensed = self._sensed_g(env)
            if self.telemetry is not None:
                self.telemetry.append(self._telemetry_row(env, agl, sensed))
            self._entry_events(env, agl, sensed, active)
            self._descent_events(env, agl, sensed, east, north)
            self._timeout(active)
            active = self.phase != Phase.DONE
            dt = self._step_sizes(env, agl, sensed)
            dt = np.where(active, dt, 0.0)
            self._sensed_prev = sensed
            ctl = self._controls(env, agl, dt)
            self._dt = dt
            before = self.state
            after = self.rk4(before, self.t, dt, env, ctl, self.planet)
            broken = active & ~np.isfinite(after).all(axis=0)
            if broken.any():  # one bad run never stops the batch
                self._end(broken, Status.NUMERICAL_FAILURE)
                active = active & ~broken
                dt = np.where(active, dt, 0.0)
                self._dt = dt
            self.state = np.where(active, after, before)
            self.t = self.t + dt
            self._after_step(before, active, agl)
        self._flyaway()
        return FlightResult(
            self.status.astype(np.int8),
            self.events,
            self.touchdown,
            self._telemetry_arrays(),
        )

    # ----------------------------------------------------------- measurements
    def _height_above_ground(self, state: Floats) -> tuple[Floats, Floats, Floats]:
        """Height above the terrain [m] and local east/north [m] of each run."""
        x, y, z = state[:3]
        east, north = self.sys.frame.east_north(x, y, z)
        r = np.sqrt(x * x + y * y + z * z)
        height = r - areoid_radius_m(z / r)
        floor = self.sys.terrain.floor_elevation_m
        ground = np.full(height.shape, floor)
        near = height < floor + TERRAIN_QUERY_HEIGHT_M
        if near.all():
            ground = self.sys.terrain.elevation(east, north)
        elif near.any():
            idx = np.flatnonzero(near)
            ground[idx] = self.sys.terrain.elevation(east[idx], north[idx])
        return height - ground, east, north

    def _sensed_g(self, env: Environment) -> Floats:
        """Non-gravitational acceleration [g]: aerodynamic plus thrust."""
        ctl = self._last_ctl
        m = self.state[6]
        if ctl is None:
            cd_area = self.v.aeroshell.area_m2 * self.runs.drag_scale
            return capsule_drag_acceleration(env, cd_area, m) / G0
        chute = (
            env.chute_cd
            * ctl.chute_cd_area
            * np.clip((self.t - ctl.chute_deploy_t) / self.sys.aero.parachute_inflation_s, 0, 1)
        )
        capsule = env.capsule_cd * ctl.capsule_cd_area
        lift = capsule * env.capsule_ld * ctl.lift_scale
        drag = capsule + chute + ctl.drag_area
        aero = env.dynamic_pressure / m * np.sqrt(drag * drag + lift * lift)
        thrust = np.sqrt((self.thrust**2).sum(axis=0)) / m
        return (aero + thrust) / G0

    def _speed(self) -> Floats:
        vx, vy, vz = self.state[3:6]
        return np.sqrt(vx * vx + vy * vy + vz * vz)

    def _record(
        self,
        name: str,
        mask: Mask,
        env: Environment,
        agl: Floats,
        sensed: Floats,
    ) -> None:
        """Record event ``name`` for runs in ``mask`` that have not recorded it yet."""
        ev = self.events[name]
        mask = mask & np.isnan(ev["t_s"])
        if not mask.any():
            return
        values = (self.t, agl, self._speed(), env.mach, env.dynamic_pressure, sensed)
        for f, value in zip(EVENT_FIELDS, values, strict=True):
            ev[f][mask] = value[mask]

    def _end(self, mask: Mask, status: Status) -> None:
        mask = mask & (self.phase != Phase.DONE)
        self.status[mask] = status
        self.phase[mask] = Phase.DONE

    # ---------------------------------------------------------------- entry
    def _entry_events(
        self,
        env: Environment,
        agl: Floats,
        sensed: Floats,
        active: Mask,
    ) -> None:
        v, g = self.v, self.v.guidance
        if np.isnan(self.events["entry_interface"]["t_s"]).any():
            self._record("entry_interface", self.t == 0, env, agl, sensed)
        entry = self.phase == Phase.ENTRY
        start = entry & ~self.guiding & (sensed >= g.start_g)
        if start.any():
            self.guiding |= start
            self._record("guidance_start", start, env, agl, sensed)
        # peaks (tracked while the heat shield is on)
        heat = stagnation_heat_rate(env, v.aeroshell.nose_radius_m)
        hotter = active & self.heatshield_on & (heat > self.peak_heat)
        if hotter.any():
            self.peak_heat = np.where(hotter, heat, self.peak_heat)
            self._overwrite("peak_heating", hotter, env, agl, sensed)
        harder = active & (self.phase <= Phase.SUFR) & (sensed > self.peak_g)
        if harder.any():
            self.peak_g = np.where(harder, sensed, self.peak_g)
            self._overwrite("peak_deceleration", harder, env, agl, sensed)
        speed = self._speed()
        sufr = entry & (speed <= v.sequence.sufr_velocity_mps) & self.guiding
        if sufr.any():
            self.phase[sufr] = Phase.SUFR
            self.t_sufr[sufr] = self.t[sufr]
            self.state[6] -= np.where(
                sufr, v.masses.entry_balance_masses_kg * self.runs.mass_scale, 0
            )
            self._record("sufr", sufr, env, agl, sensed)
        self._parachute_trigger(env, agl, sensed, speed)

    def _overwrite(
        self,
        name: str,
        mask: Mask,
        env: Environment,
        agl: Floats,
        sensed: Floats,
    ) -> None:
        self.events[name]["t_s"][mask] = np.nan
        self._record(name, mask, env, agl, sensed)

    def _parachute_trigger(
        self,
        env: Environment,
        agl: Floats,
        sensed: Floats,
        speed: Floats,
    ) -> None:
        p, seq = self.v.parachute, self.v.sequence
        too_low = (self.phase <= Phase.SUFR) & (agl < p.min_deploy_altitude_m)
        self._end(too_low, Status.CHUTE_NOT_DEPLOYED)
        ready = (self.phase == Phase.SUFR) & (self.t >= self.t_sufr + seq.sufr_duration_s)
        if not ready.any():
            return
        in_box = (env.mach <= p.mach_max) & (env.dynamic_pressure <= p.dynamic_pressure_max_pa)
        if self.velocity_trigger:
            fire = speed <= p.trigger_velocity_mps
        else:
            reference = self.sys.reference
            assert reference is not None  # without one, `parachute_trigger` says velocity
            rng, _, _ = range_and_crossrange(
                position=self.state[:3], velocity=self.state[3:6], target=self.nav_target
            )
            fire = rng <= reference.range_trigger_m
        deploy = ready & in_box & (fire | (env.mach <= p.mach_min))
        if deploy.any():
            self.phase[deploy] = Phase.PARACHUTE
            self.t_deploy[deploy] = self.t[deploy]
            self._record("parachute_deploy", deploy, env, agl, sensed)

    # -------------------------------------------------------------- descent
    def _descent_events(
        self,
        env: Environment,
        agl: Floats,
        sensed: Floats,
        east: Floats,
        north: Floats,
    ) -> None:
        v, seq, ds = self.v, self.v.sequence, self.v.descent_stage
        chute = self.phase == Phase.PARACHUTE
        shed = (
            chute
            & self.heatshield_on
            & (self.t >= self.t_deploy + seq.heatshield_separation_delay_s)
        )
        if shed.any():
            self.heatshield_on &= ~shed
            self.state[6] -= np.where(shed, v.masses.heatshield_kg * self.runs.mass_scale, 0.0)
            self._record("heatshield_separation", shed, env, agl, sensed)
        t_hs = self.events["heatshield_separation"]["t_s"]
        lock = (
            chute
            & ~self.heatshield_on
            & ~self.radar
            & (self.t >= t_hs + seq.radar_settle_s)
            & (agl <= seq.radar_max_altitude_m)
        )
        if lock.any():
            self.radar |= lock
            self._record("radar_lock", lock, env, agl, sensed)
        if seq.lvs:
            fix = chute & self.radar & ~self.lvs_done & (agl <= seq.lvs_fix_altitude_m)
            if fix.any():
                self.lvs_done |= fix
                self._choose_target(fix, agl, east, north, divert=not self.reference_only)
                self._record("lvs_solution", fix, env, agl, sensed)
        sep = chute & self.radar & (agl <= ds.backshell_separation_altitude_m)
        if sep.any():
            # without an LVS fix (none flown, or none before separation): aim where it falls
            unaimed = sep & ~self.lvs_done
            if unaimed.any():
                self._choose_target(unaimed, agl, east, north, divert=False)
            self.phase[sep] = Phase.FREEFALL
            self.t_backshell[sep] = self.t[sep]
            self.state[6] = np.where(
                sep,
                self.rover_kg + self.ds_dry_kg + v.masses.propellant_kg * self.runs.mass_scale,
                self.state[6],
            )
            self._record("backshell_separation", sep, env, agl, sensed)
        light = (self.phase == Phase.FREEFALL) & (self.t >= self.t_backshell + ds.free_fall_s)
        if light.any():
            self.phase[light] = Phase.POWERED
            self.t_powered[light] = self.t[light]
            down = -self._vertical_speed()
            self.t_go0 = np.where(
                light,
                2
                * np.maximum(agl - ds.gate_altitude_m, 1.0)
                / np.maximum(down + ds.gate_speed_mps, 1.0),
                self.t_go0,
            )
            self._record("powered_descent_start", light, env, agl, sensed)
        crane = (self.phase == Phase.POWERED) & (agl <= ds.skycrane_altitude_m)
        if crane.any():
            self.t_skycrane = np.where(crane & np.isinf(self.t_skycrane), self.t, self.t_skycrane)
            self._record("skycrane_start", crane, env, agl, sensed)

    def _vertical_speed(self) -> Floats:
        x, y, z, vx, vy, vz = self.state[:6]
        return (x * vx + y * vy + z * vz) / np.sqrt(x * x + y * y + z * z)

    def _choose_target(
        self,
        mask: Mask,
        agl: Floats,
        east: Floats,
        north: Floats,
        divert: bool,
    ) -> None:
        """Pick where to land: the predicted landing point, moved to the nearest safe
        spot within the divert reach (Lander Vision System), in true coordinates."""
        ds = self.v.descent_stage
        vx, vy, vz = self.state[3:6]
        ve, vn = self.sys.frame.horizontal(vx, vy, vz)
        down = np.maximum(-self._vertical_speed(), 1.0)
        tau = np.maximum(agl - ds.backshell_separation_altitude_m, 0.0) / down + POWERED_DRIFT_S
        pe, pn = east + ve * tau, north + vn * tau
        if divert:
            se, sn, dist = self.sys.terrain.nearest_safe(
                pe, pn, self.v.sequence.safe_target_clearance_m
            )
            reach = self.v.sequence.divert_reach_m
            se, sn = np.where(dist <= reach, se, pe), np.where(dist <= reach, sn, pn)
            # the vehicle steers what it believes (LVS fix) onto the safe spot
            ae, an = se - self.runs.lvs_east_m, sn - self.runs.lvs_north_m
        else:
            se, sn, ae, an = pe, pn, pe, pn
        self.safe_en[:, mask] = np.stack([se, sn])[:, mask]
        unit = np.array(self.sys.frame.direction(ae, an))
        sin_lat = unit[2]
        radius = areoid_radius_m(sin_lat) + self.sys.terrain.elevation(ae, an)
        self.aim[:, mask] = (unit * radius)[:, mask]
        self.aim_up[:, mask] = unit[:, mask]

    def _timeout(self, active: Mask) -> None:
        self._end(active & (self.t >= self.steps.max_time_s), Status.TIMEOUT)

    # --------------------------------------------------------------- controls
    def _controls(self, env: Environment, agl: Floats, dt: Floats) -> Controls:
        """The step's controls; the bank moves toward its command over the step ``dt``."""
        v, n = self.v, self.n
        phase = self.phase
        capsule_on = phase <= Phase.PARACHUTE
        lifting = phase == Phase.ENTRY
        self._steer_bank(env, lifting, dt)
        self._steer_thrust(env, agl)
        ctl = Controls(
            capsule_cd_area=np.where(capsule_on, v.aeroshell.area_m2 * self.runs.drag_scale, 0.0),
            lift_scale=np.where(lifting, self.runs.lift_scale, 0.0),
            cos_bank=np.cos(self.bank),
            sin_bank=np.zeros(n) if self.reference_only else np.sin(self.bank),
            chute_cd_area=np.where(
                phase == Phase.PARACHUTE, v.parachute.area_m2 * self.runs.chute_scale, 0.0
            ),
            chute_deploy_t=self.t_deploy,
            drag_area=np.where(phase >= Phase.FREEFALL, v.descent_stage.drag_area_m2, 0.0),
            thrust=(self.thrust[0], self.thrust[1], self.thrust[2]),
            mass_flow=self.mass_flow,
        )
        self._last_ctl = ctl
        return ctl

    def _steer_bank(self, env: Environment, lifting: Mask, dt: Floats) -> None:
        g = self.v.guidance
        if self.reference_only:
            self.bank = np.where(self.phase == Phase.SUFR, 0.0, self.bank)
            return
        reference = self.sys.reference
        assert reference is not None  # a system without one flies the reference bank only
        speed = self._speed()
        rng, cross, heading_err = range_and_crossrange(
            position=self.state[:3], velocity=self.state[3:6], target=self.nav_target
        )
        drag = capsule_drag_acceleration(
            env, self.v.aeroshell.area_m2 * self.runs.drag_scale, self.state[6]
        )
        hdot = self._vertical_speed()
        ld_nominal = env.capsule_ld  # the tabulated L/D: what guidance believes
        magnitude = etpc_bank_magnitude(
            ref=reference,
            gain=g.overcontrol_gain,
            lift_to_drag=ld_nominal,
            speed=speed,
            drag=drag,
            hdot=hdot,
            range_to_go=rng,
            min_bank_rad=g.min_bank_deg * DEG,
            max_bank_rad=g.max_bank_deg * DEG,
        )
        band = crossrange_deadband(
            speed=speed,
            high_m=g.deadband_high_m,
            low_m=g.deadband_low_m,
            v_high=g.deadband_high_velocity_mps,
            v_low=g.deadband_low_velocity_mps,
        )
        reverse = (np.abs(cross) > band) & (np.sign(cross) != self.bank_sign) & self.guiding
        self.bank_sign = np.where(reverse, np.sign(cross), self.bank_sign)
        aligning = speed < g.heading_alignment_velocity_mps
        align = np.clip(
            g.heading_alignment_gain * heading_err,
            -g.heading_alignment_max_bank_deg * DEG,
            g.heading_alignment_max_bank_deg * DEG,
        )
        command = np.where(aligning, align, self.bank_sign * magnitude)
        command = np.where(self.guiding, command, self.bank)
        command = np.where(self.phase == Phase.SUFR, 0.0, command)
        steer = self.phase <= Phase.SUFR
        bank, rate = follow_bank(
            bank=self.bank,
            rate=self.bank_rate,
            command=command,
            dt=dt,
            rate_max=g.bank_rate_max_deg_s * DEG,
            accel_max=g.bank_acceleration_max_deg_s2 * DEG,
        )
        self.bank = np.where(steer, bank, self.bank)
        self.bank_rate = np.where(steer, rate, self.bank_rate)

    def _steer_thrust(self, env: Environment, agl: Floats) -> None:
        powered = self.phase == Phase.POWERED
        if not powered.any():
            self.thrust = np.zeros((3, self.n))
            self.mass_flow = np.zeros(self.n)
            return
        ds = self.v.descent_stage
        p = self.state[:3]
        vel = self.state[3:6]
        m = self.state[6]
        r = np.sqrt((p**2).sum(axis=0))
        up = p / r
        g_mag = GM_MARS / r**2
        t_go = self.t_go0 - (self.t - self.t_powered)
        self.at_gate |= powered & ((t_go <= GATE_HANDOVER_S) | (agl <= ds.gate_altitude_m))
        gate_point = self.aim + ds.gate_altitude_m * self.aim_up
        gate_velocity = -ds.gate_speed_mps * self.aim_up
        approach = zem_zev_acceleration(
            p=p, v=vel, g=-g_mag * up, r_f=gate_point, v_f=gate_velocity, t_go=t_go
        )
        terminal = terminal_acceleration(
            p=p,
            v=vel,
            aim=self.aim,
            up=up,
            g_mag=g_mag,
            height=agl,
            skycrane_alt=ds.skycrane_altitude_m,
            skycrane_speed=ds.skycrane_speed_mps,
            gate_speed=ds.gate_speed_mps,
            deceleration=ds.deceleration_mps2,
        )
        accel = np.where(self.at_gate, terminal, approach)
        accel = np.where(powered, accel, 0.0)
        # engines push only: no net downward thrust
        a_up = (accel * up).sum(axis=0)
        accel = accel - np.minimum(a_up, 0.0) * up
        propellant = m - self.rover_kg - self.ds_dry_kg
        max_thrust = ds.max_thrust_n * self.runs.thrust_scale
        force = np.sqrt((accel**2).sum(axis=0)) * m
        clipped = np.clip(force, ds.min_throttle * max_thrust, max_thrust)
        on = powered & (propellant > 0)
        scale = np.where(on, clipped / np.maximum(force, 1e-9), 0.0)
        self.thrust = np.where(on, accel * m * scale, 0.0)
        self.mass_flow = np.where(on, clipped / (ds.isp_s * self.runs.isp_scale * G0), 0.0)
        exhausted = powered & (propellant <= 0) & np.isnan(self.touchdown["propellant_kg"])
        self.touchdown["propellant_kg"][exhausted] = 0.0

    # ------------------------------------------------------------ after step
    def _after_step(
        self,
        before: Floats,
        stepped: Mask,
        agl_before: Floats,
    ) -> None:
        if not stepped.any():
            return
        ds = self.v.descent_stage
        agl, _, _ = self._height_above_ground(self.state)
        bridle = ds.bridle_length_m * np.clip((self.t - self.t_skycrane) / ds.bridle_deploy_s, 0, 1)
        bridle_before = ds.bridle_length_m * np.clip(
            (self.t - self._dt - self.t_skycrane) / ds.bridle_deploy_s, 0, 1
        )
        rover_after = agl - bridle
        rover_before = agl_before - bridle_before
        crane = stepped & (self.phase == Phase.POWERED) & np.isfinite(self.t_skycrane)
        touch = crane & (rover_after <= 0)
        if touch.any():
            self._touchdown(touch, before, rover_before, rover_after)
        hit = stepped & (self.phase != Phase.DONE) & ~touch & (agl <= 0)
        if hit.any():
            no_chute = hit & (self.phase <= Phase.SUFR)
            fuel = hit & ~no_chute & (self.touchdown["propellant_kg"] == 0)
            self._end(no_chute, Status.CHUTE_NOT_DEPLOYED)
            self._end(fuel, Status.FUEL_EXHAUSTED)
            self._end(hit, Status.GROUND_IMPACT)

    def _step_sizes(self, env: Environment, agl: Floats, sensed: Floats) -> Floats:
        """Each run's step [s]: its phase's (see `StepSizes`), ending on the phase's time
        grid, and cut short to end just past the next trigger (`_time_to_trigger`)."""
        steps, phase = self.steps, self.phase
        coasting = (
            (phase == Phase.ENTRY)
            & ~self.guiding
            & (env.dynamic_pressure < COAST_DYNAMIC_PRESSURE_PA)
        ) | ((phase == Phase.PARACHUTE) & (self.t >= self.t_deploy + COAST_AFTER_DEPLOY_S))
        base = np.where(coasting, steps.coast_s, steps.entry_s)
        base = np.where(phase >= Phase.FREEFALL, steps.descent_s, base)
        # back onto the grid of the step after a cut one (telemetry stays at 10 Hz)
        grid = (np.floor(self.t / base + GRID_SLACK) + 1.0) * base - self.t
        dt = np.where(grid < MIN_STEP_S, grid + base, grid)
        to_trigger = self._time_to_trigger(env, agl, sensed) + TRIGGER_OVERSHOOT_S
        return np.minimum(dt, np.maximum(to_trigger, MIN_STEP_S))

    def _time_to_trigger(self, env: Environment, agl: Floats, sensed: Floats) -> Floats:
        """Predicted seconds to each run's next trigger (inf where none is ahead).

        Clock triggers are exact; a threshold on height or speed is extrapolated at the
        present rate (descent speed, deceleration, ground speed), so a step ends within a
        few microseconds past it and the event is not quantised to the step.
        """
        seq, ds, p, g = self.v.sequence, self.v.descent_stage, self.v.parachute, self.v.guidance
        phase, t = self.phase, self.t
        hdot = self._vertical_speed()
        down = np.maximum(-hdot, RATE_FLOOR)
        speed = self._speed()
        decel = np.maximum(sensed * G0, RATE_FLOOR)
        ahead = []  # (mask, seconds) per trigger
        entry = phase == Phase.ENTRY
        rising = (sensed - self._sensed_prev) / np.maximum(self._dt, MIN_STEP_S)
        ahead.append(
            (entry & ~self.guiding & (rising > 0), (g.start_g - sensed) / np.maximum(rising, 1e-9))
        )
        ahead.append((entry & self.guiding, (speed - seq.sufr_velocity_mps) / decel))
        sufr = phase == Phase.SUFR
        ready_in = self.t_sufr + seq.sufr_duration_s - t
        if sufr.any():
            if self.velocity_trigger:
                fire_in = (speed - p.trigger_velocity_mps) / decel
            else:
                reference = self.sys.reference
                assert reference is not None  # without one, `parachute_trigger` says velocity
                rng, _, _ = range_and_crossrange(
                    position=self.state[:3], velocity=self.state[3:6], target=self.nav_target
                )
                ground_speed = np.sqrt(np.maximum(speed**2 - hdot**2, 0.0))
                fire_in = (rng - reference.range_trigger_m) / np.maximum(ground_speed, RATE_FLOOR)
            ahead.append((sufr, np.maximum(ready_in, fire_in)))
        chute = phase == Phase.PARACHUTE
        t_hs = self.events["heatshield_separation"]["t_s"]
        ahead.append(
            (chute & self.heatshield_on, self.t_deploy + seq.heatshield_separation_delay_s - t)
        )
        radar_in = np.maximum(
            t_hs + seq.radar_settle_s - t, (agl - seq.radar_max_altitude_m) / down
        )
        ahead.append((chute & ~self.heatshield_on & ~self.radar, radar_in))
        if seq.lvs:
            lvs = chute & self.radar & ~self.lvs_done
            ahead.append((lvs, (agl - seq.lvs_fix_altitude_m) / down))
        ahead.append((chute & self.radar, (agl - ds.backshell_separation_altitude_m) / down))
        ahead.append((phase == Phase.FREEFALL, self.t_backshell + ds.free_fall_s - t))
        crane = (phase == Phase.POWERED) & np.isinf(self.t_skycrane)
        ahead.append((crane, (agl - ds.skycrane_altitude_m) / down))
        soonest = np.full(self.n, np.inf)
        for mask, seconds in ahead:
            soonest = np.where(mask & (seconds > 0), np.minimum(soonest, seconds), soonest)
        return soonest

    def _touchdown(
        self,
        touch: Mask,
        before: Floats,
        rover_before: Floats,
        rover_after: Floats,
    ) -> None:
        """Interpolate the crossing of the ground within the step and record touchdown."""
        frac = np.clip(rover_before / np.maximum(rover_before - rover_after, 1e-12), 0.0, 1.0)
        dt = self._dt
        state = before + frac * (self.state - before)
        t = self.t - dt + frac * dt
        x, y, z, vx, vy, vz, m = state
        frame, terrain = self.sys.frame, self.sys.terrain
        east, north = frame.east_north(x, y, z)
        ve, vn = frame.horizontal(vx, vy, vz)
        vu = (x * vx + y * vy + z * vz) / np.sqrt(x * x + y * y + z * z)
        e0, n0 = self.sys.target_east_north_m
        se, sn = self.safe_en
        lat, lon, _ = spherical_from_position(x, y, z)
        values = {
            "t_s": t,
            "east_m": east,
            "north_m": north,
            "latitude_deg": lat / DEG,
            "longitude_deg": np.mod(lon / DEG, 360.0),
            "vertical_speed_mps": -vu,
            "horizontal_speed_mps": np.hypot(ve, vn),
            "tilt_deg": terrain.slope(east, north) / DEG,
            "distance_to_target_m": np.hypot(east - e0, north - n0),
            "distance_to_safe_target_m": np.hypot(east - se, north - sn),
            "propellant_kg": m - self.rover_kg - self.ds_dry_kg,
            "safe_east_m": se,
            "safe_north_m": sn,
        }
        for k, val in values.items():
            self.touchdown[k][touch] = val[touch]
        ev = self.events["touchdown"]
        ev["t_s"][touch] = t[touch]
        ev["altitude_m"][touch] = 0.0
        ev["velocity_mps"][touch] = np.sqrt(vx * vx + vy * vy + vz * vz)[touch]
        env = environment(state, self.planet)
        ev["mach"][touch] = env.mach[touch]
        ev["dynamic_pressure_pa"][touch] = env.dynamic_pressure[touch]
        ev["g_load"][touch] = 1.0 / G0 * np.sqrt((self.thrust**2).sum(axis=0))[touch] / m[touch]
        ds, seq_hazard = self.v.descent_stage, terrain.is_hazard(east, north)
        hard = (-vu > ds.max_touchdown_vertical_speed_mps) | (
            np.hypot(ve, vn) > ds.max_touchdown_horizontal_speed_mps
        )
        self._end(touch & (values["propellant_kg"] <= 0), Status.FUEL_EXHAUSTED)
        self._end(touch & hard, Status.HARD_TOUCHDOWN)
        self._end(touch & seq_hazard, Status.HAZARDOUS_TOUCHDOWN)
        self._end(touch, Status.LANDED)
        self.state = np.where(touch, state, self.state)
        self.t = np.where(touch, t, self.t)

    def _flyaway(self) -> None:
        """Cut the bridle and fly the descent stage away; record where it comes down.

        Closed form: a burn at fixed throttle and elevation along the horizontal
        direction of travel, then a ballistic fall to the touchdown elevation.
        """
        ds = self.v.descent_stage
        # the descent stage flies away only after a sky-crane touchdown with engines running
        landed = ~np.isnan(self.touchdown["t_s"]) & (self.touchdown["propellant_kg"] > 0)
        if not landed.any():
            return
        prop = np.maximum(np.nan_to_num(self.touchdown["propellant_kg"]), 0.0)
        mass = self.ds_dry_kg + prop
        thrust = ds.flyaway_throttle * ds.max_thrust_n * self.runs.thrust_scale
        flow = thrust / (ds.isp_s * self.runs.isp_scale * G0)
        burn = np.minimum(ds.flyaway_burn_s, prop / np.maximum(flow, 1e-9))
        accel = thrust / np.maximum(mass - 0.5 * flow * burn, 1.0)
        g = GM_MARS / R_MARS**2
        el = ds.flyaway_elevation_deg * DEG
        up_acc = accel * np.sin(el) - g
        h_b = ds.bridle_length_m + 0.5 * up_acc * burn**2
        v_up = up_acc * burn
        x_b = 0.5 * accel * np.cos(el) * burn**2
        v_x = accel * np.cos(el) * burn
        t_fall = (v_up + np.sqrt(np.maximum(v_up**2 + 2 * g * np.maximum(h_b, 0.0), 0.0))) / g
        self.touchdown["flyaway_distance_m"] = np.where(landed, x_b + v_x * t_fall, np.nan)
        ev = self.events["flyaway"]
        ev["t_s"] = np.where(landed, self.touchdown["t_s"], np.nan)
        ev["altitude_m"] = np.where(landed, ds.bridle_length_m, np.nan)
        ev["velocity_mps"] = np.where(landed, self.events["touchdown"]["velocity_mps"], np.nan)
        ev["mach"] = np.where(landed, 0.0, np.nan)
        ev["dynamic_pressure_pa"] = np.where(landed, 0.0, np.nan)
        ev["g_load"] = np.where(landed, accel / G0, np.nan)

    # ------------------------------------------------------------- telemetry
    def _telemetry_row(self, env: Environment, agl: Floats, sensed: Floats) -> Floats:
        """This step's telemetry: a row per `TELEMETRY_COLUMNS` entry, a column per run."""
        x, y, z = self.state[:3]
        lat, lon, _ = spherical_from_position(x, y, z)
        lat, lon = lat / DEG, np.mod(lon / DEG, 360.0)
        heat = stagnation_heat_rate(env, self.v.aeroshell.nose_radius_m) * self.heatshield_on / 1e4
        return np.stack(
            [
                self.t,
                *self.state[:6],
                lat,
                lon,
                agl,
                env.height_above_areoid_m,
                self._speed(),
                env.mach,
                env.dynamic_pressure,
                sensed,
                self.bank / DEG,
                heat,
                self.state[6],
                self.phase.astype(float),
            ]
        )

    def _telemetry_arrays(self) -> dict[str, Floats] | None:
        if self.telemetry is None:
            return None
        rows = np.stack(self.telemetry)  # (steps, columns, runs)
        return {c: rows[:, i, :] for i, c in enumerate(TELEMETRY_COLUMNS)}
