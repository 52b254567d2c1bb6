"""Sampling procedures: their step layouts, planned durations and power, and run records.

`planned_duration_s` tells a planner how long an operation takes as the data file lays
it out, on the path a failure draw picks or the longest one it could pick (the bound
`SampleCache` checks against midnight); `planned_power_w` the highest power of any step
it may run. `ProcedureRun` is the clock and step log of one operation as it runs, and
`ProcedureResult` what the operation did.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

import numpy as np

from perseverance.mars.constants import LMST_HOUR_S
from perseverance.rover.sampling.caching import CachingSystem, Step
from perseverance.rover.sampling.tubes import CustodyEvent, SamplingError


class Outcome(StrEnum):
    """What one sampling operation came to."""

    SEALED = "sealed"
    SEALED_ATMOSPHERIC = "sealed_atmospheric"  # the core crumbled; sealed anyway
    DISCARDED_AND_RETRY = "discarded_and_retry"  # pebbles jammed; core again
    CRUMBLED_DISCARDED = "crumbled_discarded"  # the core crumbled; tube retired
    DEPOSITED = "deposited"


@dataclass(frozen=True, slots=True)
class StepRecord:
    """A step as run: start [s from the procedure start], duration [s], power [W], energy [J]."""

    name: str
    start_s: float
    duration_s: float
    power_w: float
    energy_j: float


@dataclass(frozen=True, slots=True)
class ProcedureResult:
    """What one operation did: its outcome, the tubes it touched, steps and custody events."""

    outcome: Outcome
    tube_ids: tuple[int, ...]
    steps: tuple[StepRecord, ...]
    events: tuple[CustodyEvent, ...]

    @property
    def duration_s(self) -> float:
        return sum(s.duration_s for s in self.steps)

    @property
    def energy_j(self) -> float:
        return sum(s.energy_j for s in self.steps)


Failure = Literal["random", "none", "crumble", "jam"]
FAILURES: tuple[Failure, ...] = ("random", "none", "crumble", "jam")
#: Operation names for `planned_duration_s`; ``depot`` is the scenario's name for deposit.
OPERATIONS = ("core", "regolith", "witness", "deposit", "depot")


def planned_duration_s(
    system: CachingSystem,
    operation: str,
    *,
    n: int = 1,
    failure: Failure | None = None,
    keep_crumbled_as_atmospheric: bool | None = None,
) -> float:
    """Duration [s] of one operation as ``system`` lays it out.

    ``operation``: ``core`` (abrasion, proximity science, coring, percuss-to-ingest,
    then volume assessment, CacheCam image, seal, store), ``regolith`` (proximity
    science, acquisition, the same handling), ``witness`` (exposure, seal, store) or
    ``deposit`` (``depot`` is accepted too): ``n`` tubes, each a drop and a WATSON image.

    For a core, ``failure`` picks the path: None or ``"none"`` the nominal (sealed)
    path; ``"jam"`` adds the discard step after percuss-to-ingest instead of the
    handling; ``"crumble"`` is the nominal path when the crumbled core is kept as an
    atmospheric sample (``keep_crumbled_as_atmospheric``, default from the data file),
    else it stops after volume assessment; ``"random"`` is the longest path that a draw
    could take (outcomes of zero probability left out). This is the bound `SampleCache`
    checks against midnight. The sum runs in step order, exactly as the operation's own
    clock adds it up, so a run's ``duration_s`` never exceeds it.
    """
    paths = _planned_paths(system, operation, n, failure, keep_crumbled_as_atmospheric)
    return max(_sum_steps(path) for path in paths)


def planned_power_w(
    system: CachingSystem,
    operation: str,
    *,
    failure: Failure | None = None,
    keep_crumbled_as_atmospheric: bool | None = None,
) -> float:
    """The highest power [W] of any step the operation may run (arguments as for
    `planned_duration_s`): with its duration, a bound on what a run draws."""
    paths = _planned_paths(system, operation, 1, failure, keep_crumbled_as_atmospheric)
    return max((s.power_w for path in paths for s in path if s is not None), default=0.0)


def _planned_paths(
    system: CachingSystem,
    operation: str,
    n: int,
    failure: Failure | None,
    keep_crumbled_as_atmospheric: bool | None,
) -> list[list[Step | None]]:
    """The step sequences an operation may take (one, or a core's possible outcomes)."""
    if operation not in OPERATIONS:
        raise SamplingError(f"operation must be one of {', '.join(OPERATIONS)}, not {operation!r}")
    if failure is not None and failure not in FAILURES:
        raise SamplingError(f"failure must be random, none, crumble or jam, not {failure!r}")
    if operation in ("deposit", "depot"):
        if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 0:
            raise SamplingError(f"a deposit drops a whole number of tubes >= 0, not {n!r}")
        d = system.depot
        return [[d.drop, d.watson_image] * int(n)]
    h = system.handling
    handling = [h.volume_assessment, h.cachecam_image, h.seal, h.store]
    if operation == "regolith":
        r = system.regolith
        return [[r.proximity_science, r.acquisition, *handling]]
    if operation == "witness":
        return [[system.witness.exposure, h.seal, h.store]]
    c, f = system.coring, system.failures
    keep = f.keep_crumbled_as_atmospheric
    keep = keep if keep_crumbled_as_atmospheric is None else keep_crumbled_as_atmospheric
    prefix = [c.abrasion, c.proximity_science, c.coring, c.percuss_to_ingest]
    paths = {
        "none": prefix + handling,
        "jam": [*prefix, c.discard],
        "crumble": prefix + (handling if keep else [h.volume_assessment]),
    }
    if failure != "random":
        return [paths[failure or "none"]]
    possible = [
        ("none", f.crumble_probability + f.jam_probability < 1),
        ("crumble", f.crumble_probability > 0),
        ("jam", f.jam_probability > 0),
    ]
    return [paths[k] for k, p in possible if p]


def _sum_steps(steps: Sequence[Step | None]) -> float:
    """Total [s] of ``steps`` added in order, as `ProcedureRun.step` adds them."""
    total = 0.0
    for spec in steps:
        if spec is not None:
            total += spec.total_s
    return total


class ProcedureRun:
    """The clock and step log of one operation (which never runs past midnight)."""

    def __init__(self, sol: int, lmst_hours: float | None):
        self.sol, self.lmst_hours = sol, lmst_hours
        self.elapsed_s = 0.0
        self.steps: list[StepRecord] = []
        self.events: list[CustodyEvent] = []

    def step(self, name: str, spec: Step | None) -> None:
        if spec is None:
            return
        d = spec.total_s
        self.steps.append(StepRecord(name, self.elapsed_s, d, spec.power_w, d * spec.power_w))
        self.elapsed_s += d

    def now(self) -> tuple[int, float | None]:
        """(sol, LMST hours) at the current time; the start checks keep it within the sol."""
        if self.lmst_hours is None:
            return self.sol, None
        return self.sol, self.lmst_hours + self.elapsed_s / LMST_HOUR_S

    def result(self, outcome: Outcome, tube_ids: Sequence[int]) -> ProcedureResult:
        return ProcedureResult(outcome, tuple(tube_ids), tuple(self.steps), tuple(self.events))
