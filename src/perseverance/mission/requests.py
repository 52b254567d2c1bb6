"""What a sol asks of the planner: the scenario's activities for the sol as `Request` s.

How many runs of each activity the sol asks for:

* a sampling operation on its sol, once (and a core to retry after a random failure,
  once on each sol until it succeeds or its attempts run out);
* a drive to a waypoint, once on each of its sols until the rover arrives; a drive of
  a set distance (the first drive) once;
* an activity with a ``total``, what is left spread evenly over the sols left
  (``ceil(left / sols left)``, at most ``per_sol_max``);
* a MOXIE run of the scenario's campaign on its sol, at its LMST (`moxie_runs`);
* UHF relay passes: the sol's computed passes (`perseverance.relay.passes`), the
  largest first, as many as the data waiting needs, between ``per_sol`` and
  ``per_sol_max``, each at its own rise and for its own duration; none in the solar
  conjunction, when the orbiters cannot reach Earth;
* the X-band session direct to Earth inside its window while Earth is up (none on a
  sol when it is not);
* anything else, ``per_sol`` times.

Then the store: every request's data (its rate times its duration) must fit in the
onboard store's free space less its reserve, or it waits (`fit_to_store`): light work
first, data-heavy science last, so the store never overflows.

Priorities (lower first): background (weather station, relay, uplink), then work
fixed to this sol (sampling, the depot, scripted events), drives, daily science, and
last the work that may slip to a later sol (activities with a ``total``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from perseverance.mars.constants import LMST_HOUR_S, SOL_S
from perseverance.mission.moxie_runs import moxie_requests
from perseverance.mission.request_details import (
    DepotDrop,
    Drive,
    PlainRun,
    RequestDetail,
    RetrySample,
    Sample,
    ScriptedDrive,
)
from perseverance.mission.scenario import PlannedActivity, Scenario
from perseverance.mission.sol_planner import Request
from perseverance.mission.state import MissionState, Retry
from perseverance.relay.passes import Passes
from perseverance.rover.mobility import Mobility
from perseverance.rover.moxie import MoxieConfig
from perseverance.rover.power import PowerConfig
from perseverance.rover.sampling.caching import CachingSystem
from perseverance.rover.sampling.procedures import Failure, planned_duration_s, planned_power_w
from perseverance.rover.telecom import Telecom

#: Kinds that run alongside anything else (no actuator, no mast camera).
BACKGROUND_KINDS = frozenset({"meda", "uhf_relay", "dte_xband", "sleep"})
#: Science that waits first when the onboard store is full.
DATA_HEAVY_KINDS = frozenset({"imaging", "supercam", "pixl", "sherloc", "rimfax"})
#: How many times a core is tried again after a random failure.
MAX_RETRIES = 2
#: The LMST window of a retried core [h].
RETRY_WINDOW_H = (9.0, 17.0)
#: Margin on a drive's expected time for slip [-].
DRIVE_TIME_MARGIN = 1.25

PRIORITY_BACKGROUND, PRIORITY_FIXED, PRIORITY_DRIVE, PRIORITY_DAILY, PRIORITY_SPREAD = range(5)

#: A request of the mission, with what its slot is for.
MissionRequest = Request[RequestDetail]


@dataclass(frozen=True)
class Models:
    """The data-driven models the planner and the runner share."""

    scenario: Scenario
    power: PowerConfig
    mobility: Mobility
    caching: CachingSystem
    telecom: Telecom
    moxie: MoxieConfig | None = None
    """The instrument file of the scenario's MOXIE campaign (None: no ``[moxie]``)."""


def _spread_starts(window_h: tuple[float, float], n: int, duration_s: float) -> list[float]:
    """``n`` starts [s] spread evenly over the window, each run inside it."""
    lo, hi = window_h[0] * LMST_HOUR_S, window_h[1] * LMST_HOUR_S
    step = (hi - lo) / n
    return [min(max(lo + (i + 0.5) * step - duration_s / 2, lo), hi - duration_s) for i in range(n)]


def _overlap(
    window_h: tuple[float, float], earth_h: tuple[float, float] | None, duration_s: float
) -> tuple[float, float] | None:
    """The part of ``window_h`` inside ``earth_h`` [h], if a run of ``duration_s`` fits."""
    if earth_h is None:
        return None
    lo, hi = max(window_h[0], earth_h[0]), min(window_h[1], earth_h[1])
    return (lo, hi) if (hi - lo) * LMST_HOUR_S >= duration_s else None


def _runs_wanted(p: PlannedActivity, sol: int, scenario: Scenario, done: int) -> int:
    a = p.activity
    if a.total is None:
        return a.per_sol
    left = a.total - done
    if left <= 0:
        return 0
    sols_left = sum(1 for s in p.sols(scenario.conjunction) if s >= sol)
    return min(a.max_per_sol, math.ceil(left / max(sols_left, 1)))


def _drive_request(
    p: PlannedActivity, models: Models, state: MissionState
) -> MissionRequest | None:
    a = p.activity
    mode = models.mobility.mode(a.mode or "visual_odometry")
    if a.distance_m is not None:  # a scripted drive (first drive, wheel wiggle): once
        if state.done.get(p.where, 0):
            return None
        duration = a.duration_s or a.distance_m / mode.speed_mps
        detail: RequestDetail = ScriptedDrive(p)
        priority = PRIORITY_FIXED
    elif p.where in state.arrived or a.to is None:
        return None
    else:
        goal = models.scenario.waypoints()[a.to]
        distance = math.hypot(goal.east_m - state.east_m, goal.north_m - state.north_m)
        window_s = (a.lmst_hours[1] - a.lmst_hours[0]) * LMST_HOUR_S
        budget = models.mobility.budget.max_drive_time_per_sol_s
        wanted = DRIVE_TIME_MARGIN * distance / mode.speed_mps + 60.0
        duration = min(budget, window_s, wanted)
        detail = Drive(p, a.to)
        priority = PRIORITY_DRIVE
    return Request(
        "drive", a.name, a.lmst_hours, duration, mode.power_w, priority=priority, detail=detail
    )


def _sampling_request(
    p: PlannedActivity, models: Models, state: MissionState
) -> MissionRequest | None:
    a = p.activity
    if a.kind == "depot":
        return None
    if state.done.get(p.where, 0):
        return None
    failure = a.failure or ("random" if a.kind == "core" else None)
    duration = planned_duration_s(models.caching, a.kind, failure=failure)
    return Request(
        a.kind,
        a.name,
        a.lmst_hours,
        duration,
        planned_power_w(models.caching, a.kind, failure=failure),
        priority=PRIORITY_FIXED,
        detail=Sample(p),
    )


def _depot_requests(
    p: PlannedActivity, sol: int, models: Models, state: MissionState
) -> list[MissionRequest]:
    a = p.activity
    n = _runs_wanted(p, sol, models.scenario, state.done.get(p.where, 0))
    d = models.caching.depot
    blind = models.mobility.mode("blind")
    # the move abreast of the next drop, at the worst slip (the drive stops at the budget)
    move_s = d.spacing_max_m / blind.speed_mps / (1.0 - models.mobility.slip.max_fraction)
    duration = planned_duration_s(models.caching, "deposit", n=1) + move_s
    power = max(planned_power_w(models.caching, "deposit"), blind.power_w)
    return [
        Request(
            "depot",
            f"{a.name}: tube drop",
            a.lmst_hours,
            duration,
            power,
            priority=PRIORITY_FIXED,
            detail=DepotDrop(p),
        )
        for _ in range(n)
    ]


def retry_request(retry: Retry, models: Models) -> MissionRequest:
    """A request to run a sampling operation again (after a failure, or no room on its sol)."""
    failure: Failure | None = "random" if retry.kind == "core" else None
    duration = planned_duration_s(models.caching, retry.kind, failure=failure)
    return Request(
        retry.kind,
        retry.name,
        RETRY_WINDOW_H,
        duration,
        planned_power_w(models.caching, retry.kind, failure=failure),
        priority=PRIORITY_FIXED,
        detail=RetrySample(retry),
    )


def fit_to_store(
    requests: list[MissionRequest], bits: list[float], free_bits: float
) -> tuple[list[MissionRequest], list[MissionRequest]]:
    """The requests whose data (``bits`` [bit], one per request) fit in ``free_bits``,
    taken light work first and data-heavy science last (each group by priority, then in
    list order), and those that wait. The kept requests' bits never sum above ``free_bits``."""
    order = sorted(
        range(len(requests)),
        key=lambda i: (requests[i].kind in DATA_HEAVY_KINDS, requests[i].priority),
    )
    kept: set[int] = set()
    room = free_bits
    for i in order:
        if bits[i] <= room:
            kept.add(i)
            room -= bits[i]
    return (
        [r for i, r in enumerate(requests) if i in kept],
        [r for i, r in enumerate(requests) if i not in kept],
    )


def _relay_requests(
    p: PlannedActivity, spec_power_w: float, awake: bool, passes: Passes, relay_bits: float
) -> list[MissionRequest]:
    """The sol's relay passes to fly: the largest first, never two at once, until they
    carry ``relay_bits`` (at least ``per_sol``, at most ``per_sol_max``)."""
    a = p.activity
    lo, hi = a.lmst_hours
    inside = np.flatnonzero((passes.rise_lmst_h >= lo) & (passes.rise_lmst_h < hi))
    by_volume = inside[np.argsort(-passes.volume_bits[inside], kind="stable")]
    chosen: list[int] = []  # the largest first, none overlapping another (one UHF radio)
    carried = 0.0
    for i in by_volume:
        if len(chosen) >= a.max_per_sol or (carried >= relay_bits and len(chosen) >= a.per_sol):
            break
        if any(passes.rise_utc[i] < passes.set_utc[j] and passes.rise_utc[j] < passes.set_utc[i]
               for j in chosen):  # fmt: skip
            continue
        chosen.append(int(i))
        carried += float(passes.volume_bits[i])
    out: list[MissionRequest] = []
    for i in sorted(chosen):
        start = float(passes.rise_lmst_h[i]) * LMST_HOUR_S
        duration = min(float(passes.duration_s[i]), SOL_S - start)
        out.append(
            Request(
                a.kind,
                f"{a.name} ({passes.orbiter[i]})",
                a.lmst_hours,
                duration,
                spec_power_w,
                awake=awake,
                exclusive=False,
                priority=PRIORITY_BACKGROUND,
                fixed_start_s=start,
                detail=PlainRun(p, relay_pass=int(i)),
            )
        )
    return out


def sol_requests(
    sol: int,
    models: Models,
    state: MissionState,
    *,
    relay_bits: float,
    free_bits: float,
    passes: Passes,
    earth_window_h: tuple[float, float] | None,
) -> tuple[list[MissionRequest], list[MissionRequest]]:
    """The sol's requests, and those held back because their data would not fit.

    ``relay_bits`` [bit] is the data the sol is expected to leave for the relay passes;
    ``free_bits`` [bit] the onboard store's free space less its reserve; ``passes`` the
    relay passes rising on this sol; ``earth_window_h`` the LMST hours with Earth high
    enough for the X-band link (None: not on this sol).
    """
    scenario, power = models.scenario, models.power
    requests: list[MissionRequest] = []
    for p in scenario.activities_on(sol):
        a = p.activity
        if a.kind == "drive":
            r = _drive_request(p, models, state)
            requests += [r] if r else []
            continue
        if a.kind == "depot":
            requests += _depot_requests(p, sol, models, state)
            continue
        if a.kind in ("core", "regolith", "witness"):
            r = _sampling_request(p, models, state)
            requests += [r] if r else []
            continue
        spec = power.activities[a.kind]
        duration = a.duration_each_s or 0.0
        if a.kind == "uhf_relay":
            if not scenario.is_conjunction(sol):
                requests += _relay_requests(p, spec.power_w, spec.awake, passes, relay_bits)
            continue
        n = _runs_wanted(p, sol, scenario, state.done.get(p.where, 0))
        window: tuple[float, float] | None = a.lmst_hours
        if a.kind == "dte_xband":  # only while Earth is up, never across the Sun
            up = None if scenario.is_conjunction(sol) else earth_window_h
            window = _overlap(a.lmst_hours, up, duration)
            n = n if window is not None else 0
        if n <= 0 or window is None:
            continue
        assert window is not None
        background = a.kind in BACKGROUND_KINDS
        if a.sol is not None:
            priority = PRIORITY_FIXED
        elif background:
            priority = PRIORITY_BACKGROUND
        else:
            priority = PRIORITY_SPREAD if a.total is not None else PRIORITY_DAILY
        starts = _spread_starts(window, n, duration) if background else [None] * n
        for start in starts:
            run: MissionRequest = Request(
                a.kind,
                a.name,
                window,
                duration,
                spec.power_w,
                awake=spec.awake,
                exclusive=not background,
                priority=priority,
                fixed_start_s=start,
                detail=PlainRun(p),
            )
            requests.append(run)
    requests += moxie_requests(sol, scenario, models.moxie, power)
    if not scenario.is_conjunction(sol):
        requests += [retry_request(r, models) for r in state.retries]
    bits = [models.telecom.data_bits(r.kind, r.duration_s) for r in requests]
    return fit_to_store(requests, bits, free_bits)
