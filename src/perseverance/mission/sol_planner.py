"""The sol planner: place a sol's requested activities in LMST and keep what the energy allows.

Each `Request` asks for one run of an activity: a kind, an LMST window, a duration
[s], a planning power [W] (an upper bound on what it will draw), a priority and
whether it needs the rover to itself (``exclusive``: the arm, the drill, the wheels
and the mast cameras do one thing at a time) or runs alongside (the weather
station, relay passes, the X-band uplink). `plan_sol` then

1. places requests in priority order: a fixed start where one is given, otherwise
   the earliest start in its window that overlaps no exclusive activity already
   placed (exclusive requests only); a request that finds no room is skipped for
   ``time``;
2. keeps, in priority order, every placed request whose addition keeps the battery
   at or above the floor all sol (`power.largest_feasible_prefix` over the rest,
   batch-simulated); one that does not fit is skipped for ``energy``.

Whatever runs in the end draws no more, and for no longer, than planned, so the
charge of the sol as flown stays above the planned one (and so above the floor).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Generic, TypeVar

from perseverance.errors import ScenarioError
from perseverance.mars.constants import LMST_HOUR_S, SOL_S
from perseverance.rover.power import PowerActivity, PowerConfig, largest_feasible_prefix

#: What a request carries for its caller (the planner never looks at it).
DetailT = TypeVar("DetailT")


class SlotOutcome(StrEnum):
    """What became of a request: planned, or why the planner did not run it."""

    PLANNED = "planned"
    SKIPPED_TIME = "skipped: time"
    SKIPPED_ENERGY = "skipped: energy"
    SKIPPED_DATA = "skipped: data"


@dataclass(frozen=True)
class Request(Generic[DetailT]):
    """One run of an activity the sol may hold (times in s from LMST midnight, or LMST h).

    ``power_w`` [W] on top of the sleep load, ``awake`` adds the avionics; ``priority``:
    lower goes first; ``fixed_start_s`` [s] pins the start; ``detail`` is the caller's.
    """

    kind: str
    name: str
    window_h: tuple[float, float]
    duration_s: float
    power_w: float
    awake: bool = True
    exclusive: bool = True
    priority: int = 0
    fixed_start_s: float | None = None
    detail: DetailT = field(kw_only=True, compare=False)

    def __post_init__(self) -> None:
        lo, hi = self.window_h
        if not (0.0 <= lo <= hi <= 24.0):
            raise ScenarioError(
                f"{self.kind} {self.name!r}: LMST window {lo:g}-{hi:g} h must lie in 0-24 h"
            )
        if not (math.isfinite(self.duration_s) and 0.0 <= self.duration_s <= SOL_S):
            raise ScenarioError(
                f"{self.kind} {self.name!r}: duration_s = {self.duration_s!r} must be in "
                f"0-{SOL_S:g} s"
            )
        if not (math.isfinite(self.power_w) and self.power_w >= 0.0):
            raise ScenarioError(f"{self.kind} {self.name!r}: power_w must be >= 0 W")


@dataclass(frozen=True)
class Slot(Generic[DetailT]):
    """A request with its place in the sol: ``start_s`` [s from LMST midnight] and
    ``outcome`` (``planned``, or why it was skipped; ``start_s`` is None then)."""

    request: Request[DetailT]
    start_s: float | None
    outcome: SlotOutcome

    @property
    def planned(self) -> bool:
        """True when the slot runs."""
        return self.outcome is SlotOutcome.PLANNED

    def activity(self) -> PowerActivity:
        """The power model's `PowerActivity` for a planned slot."""
        r = self.request
        assert self.start_s is not None
        return PowerActivity(r.name or r.kind, self.start_s, r.duration_s, r.power_w, r.awake)


def _earliest_start(
    request: Request[Any], busy: list[tuple[float, float]], earliest_s: float
) -> float | None:
    """Earliest start [s] in the request's window clear of the ``busy`` intervals."""
    lo = max(request.window_h[0] * LMST_HOUR_S, earliest_s)
    hi = min(request.window_h[1] * LMST_HOUR_S, SOL_S)
    start = lo
    for b0, b1 in sorted(busy):
        if start + request.duration_s <= b0:
            break
        if b1 > start:
            start = b1
    return start if start + request.duration_s <= hi else None


def place(requests: Sequence[Request[DetailT]], earliest_s: float = 0.0) -> list[Slot[DetailT]]:
    """Step 1: give each request (priority order, stable) a start or skip it for time.

    ``earliest_s`` [s from LMST midnight]: nothing starts before it (the landing, on sol 0).
    """
    busy: list[tuple[float, float]] = []
    slots: list[Slot[DetailT]] = []
    for r in sorted(requests, key=lambda r: r.priority):
        if r.fixed_start_s is not None:
            fits = r.fixed_start_s >= earliest_s and r.fixed_start_s + r.duration_s <= SOL_S
            start = r.fixed_start_s if fits else None
        elif r.exclusive:
            start = _earliest_start(r, busy, earliest_s)
        else:
            start = max(r.window_h[0] * LMST_HOUR_S, earliest_s)
            if start + r.duration_s > r.window_h[1] * LMST_HOUR_S:
                start = None
        if start is None:
            slots.append(Slot(r, None, SlotOutcome.SKIPPED_TIME))
            continue
        if r.exclusive:
            busy.append((start, start + r.duration_s))
        slots.append(Slot(r, start, SlotOutcome.PLANNED))
    return slots


def plan_sol(
    requests: Sequence[Request[DetailT]],
    power: PowerConfig,
    start_charge_j: float,
    date: Any,
    *,
    earliest_s: float = 0.0,
) -> list[Slot[DetailT]]:
    """Place ``requests`` and keep those the batteries allow; slots in priority order.

    ``start_charge_j`` [J] at LMST midnight; ``date`` (UTC) sets the MMRTG output.
    The kept slots, simulated together, never take the charge below ``power.floor_j``;
    a sol that starts below the floor runs nothing.
    """
    placed = place(requests, earliest_s)
    candidates = [s for s in placed if s.planned]
    kept: list[Slot[DetailT]] = []
    skipped: set[int] = set()
    rest = candidates
    while rest:
        plan = [s.activity() for s in kept + rest]
        n = largest_feasible_prefix(power, start_charge_j, plan, date)
        if n < len(kept):  # the sol starts below the floor: nothing runs
            skipped.update(id(s) for s in kept + rest)
            kept = []
            break
        take = n - len(kept)
        kept += rest[:take]
        if take < len(rest):
            skipped.add(id(rest[take]))
        rest = rest[take + 1 :]
    energy = SlotOutcome.SKIPPED_ENERGY
    return [Slot(s.request, None, energy) if id(s) in skipped else s for s in placed]
