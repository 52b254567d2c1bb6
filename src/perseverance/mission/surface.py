"""Carrying out one sol's plan on the surface: drives, sampling, the depot, the rest.

`SolRecord` collects what the sol did as rows for the mission database (columns of
`perseverance.store.schema`); `SurfaceOps` changes the `MissionState` and the
`SampleCache` as each planned slot runs, in start order. Positions are [m]
east/north of the landing site, times [s] from the sol's LMST midnight.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal, assert_never

import numpy as np

from perseverance.mars.constants import LMST_HOUR_S
from perseverance.mission.clock import lmst_text
from perseverance.mission.moxie_runs import FlownRun
from perseverance.mission.request_details import (
    DepotDrop,
    Drive,
    PlainRun,
    RequestDetail,
    RetrySample,
    Sample,
    ScriptedDrive,
)
from perseverance.mission.requests import MAX_RETRIES, Models
from perseverance.mission.sol_planner import Slot
from perseverance.mission.state import DepotPlan, MissionState, Retry, sol_rng
from perseverance.rover.depot import wheel_path_clearance_m
from perseverance.rover.mobility import DriveResult, drive
from perseverance.rover.planner import CostGrid, plan_path, reachable_goal
from perseverance.rover.power import PowerActivity
from perseverance.rover.route import Route
from perseverance.rover.sampling.cache import SampleCache
from perseverance.rover.sampling.procedures import Outcome, ProcedureResult, planned_duration_s
from perseverance.rover.sampling.tubes import CustodyEvent, TubeState
from perseverance.terrain.protocol import RoverTerrain

#: Random-number purposes (with the seed and the sol, they seed a generator).
RNG_SLIP, RNG_CORING, RNG_DEPOT = 1, 2, 3
#: Drop sites must be this flat [rad] and free of rocks this tall [m] (E: "flat ground").
DEPOT_MAX_SLOPE_RAD = math.radians(10.0)
DEPOT_MAX_ROCK_M = 0.10
#: A waypoint the rover cannot reach (inside the rugged unit, on a rock) is replaced by the
#: nearest reachable cell within this distance [m].
MAX_WAYPOINT_SHIFT_M = 1500.0
#: Closer than this [m] to its goal, a drive has arrived.
ARRIVED_M = 0.5


def tube_label(tube_id: int) -> str:
    """The tube's id in the database: ``T01``..``T43``."""
    return f"T{tube_id:02d}"


@dataclass
class SolRecord:
    """The rows one sol writes (see `perseverance.store.writer.RunWriter`)."""

    activities: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    traverse: list[dict[str, Any]] = field(default_factory=list)
    tubes: dict[str, dict[str, Any]] = field(default_factory=dict)
    samples: list[dict[str, Any]] = field(default_factory=list)
    custody: list[dict[str, Any]] = field(default_factory=list)
    power_activities: list[PowerActivity] = field(default_factory=list)
    moxie_runs: list[dict[str, Any]] = field(default_factory=list)
    products: list[dict[str, Any]] = field(default_factory=list)
    drive_m: float = 0.0
    odometry_m: float = 0.0
    data_bits: float = 0.0

    def activity(
        self,
        kind: str,
        name: str,
        start_s: float,
        duration_s: float,
        power_w: float,
        awake: bool = True,
        outcome: str = "done",
    ) -> None:
        """Record an activity that ran (and its load for the energy budget)."""
        self.activities.append(
            {
                "kind": kind,
                "name": name[:128],
                "start_s": start_s,
                "duration_s": duration_s,
                "energy_j": power_w * duration_s,
                "outcome": outcome,
            }
        )
        if duration_s > 0:
            self.power_activities.append(PowerActivity(name, start_s, duration_s, power_w, awake))

    def moxie_run(self, flown: FlownRun) -> None:
        """Record a flown MOXIE run: its activity, loads, row, series product and event."""
        self.activities.append(flown.activity)
        self.power_activities.extend(flown.loads)
        self.moxie_runs.append(flown.row)
        self.products.append(flown.product)
        self.events.append(flown.event)

    def failed(self, sol: int, slot: Slot[RequestDetail], reason: str) -> None:
        """Record an operation the rover could not do (it changed nothing), and why."""
        r = slot.request
        self.activity(r.kind, r.name, slot.start_s or 0.0, 0.0, 0.0, outcome="failed")
        self.events.append(
            {"name": "activity_failed", "sol": sol,
             "payload": {"kind": r.kind, "name": r.name, "reason": reason}}
        )  # fmt: skip

    def skipped(self, slot: Slot[RequestDetail]) -> None:
        """Record a request the planner did not run, with why (``slot.outcome``)."""
        r = slot.request
        start_s = r.window_h[0] * LMST_HOUR_S
        self.activity(r.kind, r.name, start_s, 0.0, 0.0, outcome=slot.outcome)


class SurfaceOps:
    """Runs planned slots against the mission state, the sample cache and the terrain."""

    def __init__(
        self,
        models: Models,
        terrain: RoverTerrain,
        grid: CostGrid,
        seed: int,
        traverse_so_far: tuple[np.ndarray, np.ndarray],
    ):
        self.models = models
        self.terrain = terrain
        self.grid = grid
        self.seed = seed
        self.traverse_so_far = traverse_so_far
        self._draws: dict[tuple[int, int], int] = {}

    def _rng(self, sol: int, purpose: int) -> np.random.Generator:
        """A fresh, independent generator for each operation of the sol (in start order)."""
        index = self._draws.get((sol, purpose), 0)
        self._draws[(sol, purpose)] = index + 1
        return sol_rng(self.seed, sol, purpose, index)

    # ------------------------------------------------------------------ drives

    def _record_drive(
        self,
        rec: SolRecord,
        state: MissionState,
        result: DriveResult,
        start_s: float,
        name: str,
        duration_s: float | None = None,
    ) -> None:
        mode = self.models.mobility.mode(result.mode)
        rec.activity("drive", name, start_s, duration_s or result.time_s, mode.power_w)
        if not result.segments:
            return
        points = [result.segments[0].start_en] + [s.end_en for s in result.segments]
        e = np.array([p[0] for p in points])
        n = np.array([p[1] for p in points])
        elevation = self.terrain.elevation(e, n)
        seq0 = len(rec.traverse)
        rec.traverse += [
            {
                "seq": seq0 + k,
                "east_m": float(e[k]),
                "north_m": float(n[k]),
                "elevation_m": float(elevation[k]),
                "drive_mode": result.mode,
            }
            for k in range(e.size)
        ]
        state.east_m, state.north_m = result.end_en
        state.odometry_m += result.odometry_m
        rec.drive_m += result.distance_m
        rec.odometry_m += result.odometry_m
        rec.data_bits += self.models.telecom.data_bits("drive", result.time_s)

    def drive_to(
        self,
        sol: int,
        slot: Slot[RequestDetail],
        detail: Drive,
        rec: SolRecord,
        state: MissionState,
    ) -> None:
        """Drive towards the slot's waypoint for at most the slot's time."""
        p = detail.planned
        a = p.activity
        w = self.models.scenario.waypoints()[detail.waypoint]
        goal = reachable_goal(
            self.grid, state.position, (w.east_m, w.north_m), max_shift_m=MAX_WAYPOINT_SHIFT_M
        )
        assert slot.start_s is not None
        if not state.done.get(p.where, 0) and goal != (w.east_m, w.north_m):
            moved = math.hypot(goal[0] - w.east_m, goal[1] - w.north_m)
            rec.events.append(
                {
                    "name": "waypoint_moved",
                    "sol": sol,
                    "payload": {
                        "waypoint": detail.waypoint,
                        "east_m": goal[0],
                        "north_m": goal[1],
                        "moved_m": moved,
                        "reason": "not reachable on this terrain",
                    },
                }
            )
        state.done[p.where] = state.done.get(p.where, 0) + 1
        if math.hypot(goal[0] - state.east_m, goal[1] - state.north_m) <= ARRIVED_M:
            self._arrive(sol, rec, state, p.where, detail.waypoint)
            rec.activity("drive", a.name, slot.start_s, 0.0, 0.0, outcome="done: already there")
            return
        path = plan_path(self.grid, state.position, goal)
        rng = self._rng(sol, RNG_SLIP)
        result = drive(
            path,
            a.mode or "visual_odometry",
            budget_s=slot.request.duration_s,
            rng=rng,
            mobility=self.models.mobility,
        )
        self._record_drive(rec, state, result, slot.start_s, a.name)
        if result.arrived:
            self._arrive(sol, rec, state, p.where, detail.waypoint)

    def _arrive(self, sol: int, rec: SolRecord, state: MissionState, where: str, to: str) -> None:
        state.arrived.append(where)
        rec.events.append(
            {
                "name": "arrived",
                "sol": sol,
                "payload": {"waypoint": to, "east_m": state.east_m, "north_m": state.north_m},
            }
        )

    def scripted_drive(
        self,
        sol: int,
        slot: Slot[RequestDetail],
        detail: ScriptedDrive,
        rec: SolRecord,
        state: MissionState,
    ) -> None:
        """A drive of a set distance straight ahead (the first drive), or wheels only (0 m)."""
        p = detail.planned
        a = p.activity
        assert slot.start_s is not None and a.distance_m is not None
        state.done[p.where] = state.done.get(p.where, 0) + 1
        mode = self.models.mobility.mode(a.mode or "blind")
        if a.distance_m <= 0.0:
            rec.activity("drive", a.name, slot.start_s, slot.request.duration_s, mode.power_w)
            return
        heading = self._heading_to_next_goal(sol, state)
        e0, n0 = state.position
        e1 = e0 + a.distance_m * math.sin(heading)
        n1 = n0 + a.distance_m * math.cos(heading)
        path = self._straight_path((e0, n0), (e1, n1))
        result = drive(
            path,
            a.mode or "blind",
            budget_s=slot.request.duration_s,
            rng=self._rng(sol, RNG_SLIP),
            mobility=self.models.mobility,
        )
        self._record_drive(
            rec, state, result, slot.start_s, a.name, duration_s=slot.request.duration_s
        )
        if p.phase == "first_drive" or "first drive" in a.name.lower():
            rec.events.append(
                {
                    "name": "first_drive",
                    "sol": sol,
                    "payload": {
                        "distance_m": result.distance_m,
                        "duration_s": slot.request.duration_s,
                        "east_m": state.east_m,
                        "north_m": state.north_m,
                    },
                }
            )

    def _straight_path(self, a: tuple[float, float], b: tuple[float, float]) -> Route:
        e = np.array([a[0], b[0]])
        n = np.array([a[1], b[1]])
        slope = float(np.mean(self.terrain.slope(e, n)))
        return Route(
            e, n, np.array([slope]), np.array([0.0]), float(math.hypot(*np.subtract(b, a)))
        )

    def _heading_to_next_goal(self, sol: int, state: MissionState) -> float:
        """Bearing [rad, clockwise from north] to the next drive's waypoint after ``sol``."""
        waypoints = self.models.scenario.waypoints()
        for p in self.models.scenario.planned():
            a = p.activity
            if a.kind == "drive" and a.to and p.last_sol >= sol and p.where not in state.arrived:
                w = waypoints[a.to]
                if math.hypot(w.east_m - state.east_m, w.north_m - state.north_m) > ARRIVED_M:
                    return math.atan2(w.east_m - state.east_m, w.north_m - state.north_m)
        return 0.0

    # ---------------------------------------------------------------- sampling

    def sample(
        self,
        sol: int,
        slot: Slot[RequestDetail],
        detail: Sample | RetrySample,
        rec: SolRecord,
        state: MissionState,
        cache: SampleCache,
    ) -> None:
        """Run a core, regolith or witness operation at the rover's position."""
        assert slot.start_s is not None
        lmst_h = slot.start_s / LMST_HOUR_S
        pos = state.position
        failure: Literal["random", "crumble", "jam"]
        match detail:
            case RetrySample(retry=retry):
                state.retries.remove(retry)
                name, kind, rock, depot, attempt = (
                    retry.name, retry.kind, retry.rock, retry.depot, retry.attempt
                )  # fmt: skip
                failure = "random"
            case Sample(planned=p):
                a = p.activity
                state.done[p.where] = state.done.get(p.where, 0) + 1
                name, kind, rock, depot, attempt = a.name, a.kind, a.rock, a.depot, 0
                failure = a.failure or "random"
            case _:
                assert_never(detail)
        if kind == "core":
            assert rock is not None  # the scenario gives every core its rock type
            result = cache.core(
                sol,
                rock,
                self._rng(sol, RNG_CORING),
                pos,
                lmst_hours=lmst_h,
                name=name,
                failure=failure,
            )
        elif kind == "regolith":
            result = cache.sample_regolith(sol, pos, lmst_hours=lmst_h, name=name)
        else:
            result = cache.witness(sol, pos, lmst_hours=lmst_h, name=name)
        self._record_procedure(sol, kind, name, slot.start_s, result, rec, cache)
        tube = cache.tube(result.tube_ids[0])
        random_failure = failure == "random" and result.outcome in (
            Outcome.SEALED_ATMOSPHERIC,
            Outcome.DISCARDED_AND_RETRY,
            Outcome.CRUMBLED_DISCARDED,
        )
        if tube.has_sample:
            rec.samples.append(
                {
                    "name": name,
                    "tube_id": tube_label(tube.id),
                    "sample_type": tube.sample_type,
                    "east_m": pos[0],
                    "north_m": pos[1],
                }
            )
            rec.events.append(
                {
                    "name": "sample_sealed",
                    "sol": sol,
                    "payload": {
                        "name": name,
                        "designation": tube.designation,
                        "sample_type": tube.sample_type,
                        "tube_id": tube_label(tube.id),
                    },
                }
            )
            if depot and not random_failure:
                state.depot_bound.append(name)
        else:
            rec.events.append(
                {
                    "name": "core_failed",
                    "sol": sol,
                    "payload": {
                        "name": name,
                        "outcome": str(result.outcome),
                        "tube_id": tube_label(tube.id),
                    },
                }
            )
        if random_failure and attempt < MAX_RETRIES and rock is not None:
            state.retries.append(
                Retry(f"{_base(name)} {attempt + 2}", "core", rock, depot, attempt + 1)
            )

    def _record_procedure(
        self,
        sol: int,
        kind: str,
        name: str,
        start_s: float,
        result: ProcedureResult,
        rec: SolRecord,
        cache: SampleCache,
    ) -> None:
        for step in result.steps:
            rec.activity(
                kind, f"{name}: {step.name}", start_s + step.start_s, step.duration_s, step.power_w
            )
        rec.data_bits += self.models.telecom.data_bits(kind, result.duration_s)
        for ev in result.events:
            rec.custody.append(_custody_row(ev))
        for tube_id in result.tube_ids:
            t = cache.tube(tube_id)
            rec.tubes[tube_label(tube_id)] = {
                "state": t.state.name.lower(),
                "designation": t.designation,
                "sample_type": t.sample_type,
            }

    # ------------------------------------------------------------------- depot

    def depot_drop(
        self,
        sol: int,
        slot: Slot[RequestDetail],
        detail: DepotDrop,
        rec: SolRecord,
        state: MissionState,
        cache: SampleCache,
    ) -> None:
        """Drive along the depot line abreast of the next drop site and drop the tube there."""
        p = detail.planned
        assert slot.start_s is not None
        if state.depot is None:
            state.depot = self._lay_out_depot(sol, p.activity.total or 1, state, cache, rec)
        plan = state.depot
        if plan.dropped >= len(plan.tube_ids):
            rec.activity(
                "depot",
                slot.request.name,
                slot.start_s,
                0.0,
                0.0,
                outcome="skipped: no tube left for the depot",
            )
            state.done[p.where] = state.done.get(p.where, 0) + 1
            return
        site = np.array(plan.sites[plan.dropped])
        start = np.array(plan.line_start)
        along = np.array([math.sin(plan.heading_rad), math.cos(plan.heading_rad)])
        abreast = start + float(np.dot(site - start, along)) * along
        t = slot.start_s
        if math.hypot(*(abreast - np.array(state.position))) > 0.01:
            path = self._straight_path(state.position, (float(abreast[0]), float(abreast[1])))
            deposit_s = planned_duration_s(self.models.caching, "deposit", n=1)
            budget_s = slot.request.duration_s - deposit_s
            result = drive(
                path, "blind", budget_s=budget_s, rng=self._rng(sol, RNG_SLIP),
                mobility=self.models.mobility,
            )  # fmt: skip
            self._record_drive(rec, state, result, t, f"{slot.request.name}: move")
            if not result.arrived:  # slipped too much: drop it another sol
                rec.events.append(
                    {"name": "depot_drop_deferred", "sol": sol,
                     "payload": {"reason": f"the move stopped: {result.stop_reason}"}}
                )  # fmt: skip
                return
            t += result.time_s
        tube_id = plan.tube_ids[plan.dropped]
        result_drop = cache.deposit([tube_id], [site], sol, lmst_hours=t / LMST_HOUR_S)
        tube = cache.tube(tube_id)
        self._record_procedure(sol, "depot", slot.request.name, t, result_drop, rec, cache)
        rec.events.append(
            {
                "name": "tube_deposited",
                "sol": sol,
                "payload": {
                    "designation": tube.designation,
                    "name": tube.name,
                    "tube_id": tube_label(tube_id),
                    "east_m": float(site[0]),
                    "north_m": float(site[1]),
                },
            }
        )
        plan.dropped += 1
        state.done[p.where] = state.done.get(p.where, 0) + 1

    def _lay_out_depot(
        self, sol: int, total: int, state: MissionState, cache: SampleCache, rec: SolRecord
    ) -> DepotPlan:
        """Drop sites on flat, rock-free ground clear of every wheel path so far."""
        stored = [t for t in cache.in_state(TubeState.STORED) if t.name in state.depot_bound]
        stored.sort(key=lambda t: (t.acquired_sol or 0, t.id))
        tube_ids = [t.id for t in stored[:total]]
        heading = self._heading_to_next_goal(sol + 1, state)
        d = self.models.caching.depot
        band = d.track_half_width_m + d.wheel_half_width_m
        past_e, past_n = self.traverse_so_far
        past_e = np.concatenate([past_e, [r["east_m"] for r in rec.traverse]])
        past_n = np.concatenate([past_n, [r["north_m"] for r in rec.traverse]])
        terrain = self.terrain
        terrain.set_focus(*state.position)

        def is_free(e: float, n: float) -> bool:
            if terrain.is_hazard(e, n, DEPOT_MAX_SLOPE_RAD, DEPOT_MAX_ROCK_M):
                return False
            if past_e.size == 0:
                return True
            gap = wheel_path_clearance_m([[e, n]], past_e, past_n, half_width_m=band)
            return bool(gap[0] >= d.min_clearance_m)

        sites = cache.depot_layout(
            max(len(tube_ids), 1),
            state.east_m,
            state.north_m,
            heading,
            self._rng(sol, RNG_DEPOT),
            is_free,
        )
        return DepotPlan(
            sites=sites[: len(tube_ids)].tolist(),
            tube_ids=tube_ids,
            line_start=[state.east_m, state.north_m],
            heading_rad=heading,
        )

    # ------------------------------------------------------------------ others

    def plain(
        self, slot: Slot[RequestDetail], detail: PlainRun, rec: SolRecord, state: MissionState
    ) -> None:
        """An activity that only draws power and makes data (imaging, MEDA, a relay pass...)."""
        r = slot.request
        p = detail.planned
        assert slot.start_s is not None
        state.done[p.where] = state.done.get(p.where, 0) + 1
        rec.activity(r.kind, r.name, slot.start_s, r.duration_s, r.power_w, r.awake)
        rec.data_bits += self.models.telecom.data_bits(r.kind, r.duration_s)


def _base(name: str) -> str:
    """A retried core's name without its attempt number."""
    head, _, tail = name.rpartition(" ")
    return head if head and tail.isdigit() else name


def _custody_row(ev: CustodyEvent) -> dict[str, Any]:
    return {
        "tube_id": tube_label(ev.tube_id),
        "from_state": ev.from_state.name.lower(),
        "to_state": ev.to_state.name.lower(),
        "sol": ev.sol,
        "lmst": None if ev.lmst_hours is None else lmst_text(ev.lmst_hours * LMST_HOUR_S),
        "actor": ev.actor[:64],
        "east_m": ev.east_m,
        "north_m": ev.north_m,
    }
