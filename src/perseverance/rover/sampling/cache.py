"""The sample cache as a whole: every tube aboard and on the ground, and the operations.

Every state change goes through one gate (`SampleCache.advance`) that checks it with
`tubes.transition_problem`, raises `IllegalTransitionError` otherwise, and appends a
`CustodyEvent` (who/what, when, where) to the tube's chain of custody. The operations
(core, regolith, witness, deposit) run their procedures' steps and move tubes through it.

No operation runs past midnight: one that starts at ``lmst_hours`` and would end after
24:00 LMST (on its longest possible path, whatever the failure draw) is refused before it
touches a tube or draws from the generator; `SampleCache.planned_duration_s` tells a
planner how long each operation takes. Every refusal is all or nothing.

`SampleCache.state` gives the whole cache (tubes, custody logs, the sealed counter) as
JSON types, and `SampleCache.from_state` checks and rebuilds it (`saved`); a rebuilt
cache behaves exactly as the original.

Units: SI (s, W, J, m); sols are mission sols (sol 0 = landing); LMST in hours only where
a name says ``lmst_hours``. Positions are site-frame east/north in metres.

What this leaves out: multi-sol sampling campaigns (the planner spreads the steps over
sols), bit wear and bit changes (9 bits are listed, not tracked), core mass and length,
seal retries, the weeks of recovery after a jam, thermal constraints, and which rocks
are friable (one crumble probability for all rock).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from perseverance.mars.constants import LMST_HOUR_S
from perseverance.rover.depot import depot_layout
from perseverance.rover.sampling.caching import CachingSystem, load_caching
from perseverance.rover.sampling.procedures import (
    FAILURES,
    Failure,
    Outcome,
    ProcedureResult,
    ProcedureRun,
    planned_duration_s,
)
from perseverance.rover.sampling.saved import load_state, save_state
from perseverance.rover.sampling.tubes import (
    MAX_SOL,
    ROCK_TYPES,
    CustodyEvent,
    IllegalTransitionError,
    NoTubeLeftError,
    SampleType,
    SamplingError,
    Tube,
    TubeKind,
    TubeState,
    event_time,
    hhmm,
    is_before,
    transition_problem,
    when,
)

S = TubeState


class SampleCache:
    """All tubes aboard and on the ground, and the operations that change them.

    >>> import numpy as np
    >>> cache = SampleCache()
    >>> r = cache.core(164, "igneous", np.random.default_rng(1), (0.0, 0.0), lmst_hours=13.0)
    >>> r.outcome.value, cache.tube(r.tube_ids[0]).designation
    ('sealed', 'M2020-00164-01')
    """

    def __init__(self, system: CachingSystem | None = None):
        self.system = system if system is not None else load_caching()
        t = self.system.tubes
        kinds: list[TubeKind] = [
            "sample" if i < t.sample else "witness" for i in range(t.sample + t.witness)
        ]
        self._tubes = tuple(Tube(i + 1, kind) for i, kind in enumerate(kinds))
        self._sealed = 0

    @property
    def tubes(self) -> tuple[Tube, ...]:
        """Every tube, by id: sample tubes first, then witness tubes."""
        return self._tubes

    def tube(self, tube_id: int) -> Tube:
        if not 1 <= tube_id <= len(self._tubes):
            raise SamplingError(f"no tube {tube_id}: tubes are numbered 1..{len(self._tubes)}")
        return self._tubes[tube_id - 1]

    def by_designation(self, designation: str) -> Tube:
        for tube in self._tubes:
            if tube.designation == designation:
                return tube
        raise SamplingError(f"no tube has designation {designation!r}")

    def in_state(self, state: TubeState) -> list[Tube]:
        return [t for t in self._tubes if t.state == state]

    def custody(self) -> list[CustodyEvent]:
        """Every custody event of every tube, by tube."""
        return [e for t in self._tubes for e in t.custody]

    def __repr__(self) -> str:
        counts = {s: 0 for s in TubeState}
        for t in self._tubes:
            counts[t.state] += 1
        text = ", ".join(f"{n} {s.name.lower()}" for s, n in counts.items() if n)
        return f"SampleCache({len(self._tubes)} tubes: {text})"

    def planned_duration_s(
        self,
        operation: str,
        *,
        n: int = 1,
        failure: Failure | None = None,
        keep_crumbled_as_atmospheric: bool | None = None,
    ) -> float:
        """Duration [s] of ``operation`` with this cache's system; see `planned_duration_s`."""
        keep = keep_crumbled_as_atmospheric
        return planned_duration_s(
            self.system, operation, n=n, failure=failure, keep_crumbled_as_atmospheric=keep
        )

    # -- saving and loading ------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        """The whole cache as JSON types (str, int, float, None, list, dict).

        ``{"version": 1, "sealed": <seals so far>, "tubes": [...]}``, one dict per tube
        by id with its fields (``state`` as the `TubeState` name, positions [m]) and its
        ``custody`` log (``from_state``, ``to_state``, ``sol``, ``lmst_hours``, ``actor``,
        ``east_m``, ``north_m``). `from_state` rebuilds it.
        """
        return save_state(self._tubes, self._sealed)

    @classmethod
    def from_state(cls, state: object, system: CachingSystem | None = None) -> SampleCache:
        """Rebuild a cache from `state` output, with ``system`` (default: the shipped one).

        Checks everything: the layout, the tube count and kinds against ``system``, state
        names, each custody log (legal moves, forward in time, ending at the tube's
        state), sample types, designations and the sealed counter. Any problem is one
        `SamplingError` line naming the tube and field.
        """
        cache = cls(system)
        cache._tubes, cache._sealed = load_state(state, cache._tubes, cache.system.name)
        return cache

    # -- the one gate ------------------------------------------------------------------

    def advance(
        self,
        tube_id: int,
        to_state: TubeState,
        *,
        sol: int,
        actor: str,
        lmst_hours: float | None = None,
        position: tuple[float, float] | None = None,
        sample_type: SampleType | None = None,
    ) -> CustodyEvent:
        """Move one tube to ``to_state`` and log it; `IllegalTransitionError` if not allowed.

        ``sample_type`` is needed when a sample tube is cored. Sealing gives the
        designation. ``lmst_hours`` in [0, 24] or None; ``position`` (east, north) [m] or
        None. The operations below are the usual way in; this is for replays.
        """
        tube = self.tube(tube_id)
        to_state = TubeState(to_state)
        why: str | None = None
        if not _is_int(sol) or not 0 <= sol <= MAX_SOL:
            why = f"sol {sol!r} is not a whole number in 0..99999 (mission sols, sol 0 = landing)"
        elif lmst_hours is not None and not (_is_real(lmst_hours) and 0 <= lmst_hours <= 24):
            why = f"lmst_hours {lmst_hours!r} is not a number in 0..24"
        elif problem := transition_problem(tube.kind, tube.state, to_state):
            why = problem
        elif to_state == S.CORED and sample_type not in (*ROCK_TYPES, "regolith"):
            why = f"sample_type must be igneous, sedimentary or regolith, not {sample_type!r}"
        elif position is not None and _bad_position(position):
            why = f"position {position!r} is not a pair of finite numbers [m]"
        elif tube.custody and is_before(sol, lmst_hours, tube.custody[-1]):
            why = f"time goes backwards (its last change was {event_time(tube.custody[-1])})"
        if why:
            raise IllegalTransitionError(
                f"tube {tube.id} ({tube.designation or tube.kind}) cannot go from "
                f"{tube.state.name} to {to_state.name}: {why}"
            )
        sol = int(sol)
        lmst_hours = None if lmst_hours is None else float(lmst_hours)
        if tube.state == S.EMPTY:
            tube.acquired_sol = sol
            tube.sample_type = sample_type if to_state == S.CORED else "witness"
        if to_state == S.SEALED:
            self._sealed += 1
            tube.designation = f"M2020-{tube.acquired_sol:05d}-{self._sealed:02d}"
        east = north = None
        if position is not None:
            east, north = float(position[0]), float(position[1])
        event = CustodyEvent(tube.id, tube.state, to_state, sol, lmst_hours, actor, east, north)
        tube.state = to_state
        if position is not None:
            tube.east_m, tube.north_m = east, north
        tube.custody.append(event)
        return event

    def _move(
        self,
        run: ProcedureRun,
        tube: Tube,
        to: TubeState,
        actor: str,
        position: tuple[float, float],
        sample_type: SampleType | None = None,
    ) -> None:
        sol, lmst = run.now()
        pos = (float(position[0]), float(position[1]))
        ev = self.advance(
            tube.id,
            to,
            sol=sol,
            lmst_hours=lmst,
            actor=actor,
            position=pos,
            sample_type=sample_type,
        )
        run.events.append(ev)

    def _empty(self, kind: TubeKind) -> Tube:
        for tube in self._tubes:
            if tube.kind == kind and tube.state == S.EMPTY:
                return tube
        raise NoTubeLeftError(f"no empty {kind} tube left (all {kind} tubes are used)")

    def _check_start(
        self, operation: str, sol: int, lmst_hours: float | None, duration_s: float
    ) -> None:
        """Refuse a bad start or one that would run past 24:00 LMST (changes nothing)."""
        if not _is_int(sol) or not 0 <= sol <= MAX_SOL:
            raise SamplingError(
                f"{operation}: sol {sol!r} is not a whole number in 0..99999 "
                "(mission sols, sol 0 = landing)"
            )
        if lmst_hours is None:
            return
        if not (_is_real(lmst_hours) and 0 <= lmst_hours < 24):
            raise SamplingError(
                f"{operation}: lmst_hours {lmst_hours!r} is not a number in [0, 24) (or None)"
            )
        hours = duration_s / LMST_HOUR_S
        end = lmst_hours + hours
        if end <= 24:
            return
        took = f"takes up to {duration_s:.0f} s ({hours:.2f} LMST hours)"
        latest = 24 - hours
        fix = (
            f"start by {hhmm(latest)} LMST or on another sol"
            if latest >= 0
            else "it is longer than a sol: split it in the plan"
        )
        raise SamplingError(
            f"{operation} on sol {sol} starting at {hhmm(lmst_hours)} LMST {took} and would "
            f"end at {hhmm(end)} LMST, past the end of the sol at 24:00 LMST: {fix}"
        )

    def _handle(
        self,
        run: ProcedureRun,
        tube: Tube,
        position: tuple[float, float],
        seal_type: SampleType | None,
    ) -> None:
        h = self.system.handling
        run.step("volume_assessment", h.volume_assessment)
        self._move(run, tube, S.VOLUME_ASSESSED, "volume assessment", position)
        run.step("cachecam_image", h.cachecam_image)
        self._move(run, tube, S.IMAGED, "CacheCam image", position)
        if seal_type is not None:
            tube.sample_type = seal_type
        run.step("seal", h.seal)
        self._move(run, tube, S.SEALED, "hermetic seal", position)
        run.step("store", h.store)
        self._move(run, tube, S.STORED, "stored aboard", position)

    # -- operations --------------------------------------------------------------------

    def core(
        self,
        sol: int,
        rock_type: Literal["igneous", "sedimentary"],
        rng: np.random.Generator,
        position: tuple[float, float],
        *,
        lmst_hours: float | None = None,
        name: str | None = None,
        keep_crumbled_as_atmospheric: bool | None = None,
        failure: Failure = "random",
    ) -> ProcedureResult:
        """Core a rock into the next empty sample tube and seal it.

        Draws one uniform number from ``rng``: below ``crumble_probability`` the rock
        crumbles (volume assessment finds the tube empty; it is sealed as an atmospheric
        sample, as Roubion on sol 164, unless ``keep_crumbled_as_atmospheric`` is False,
        default from the data file); within the next ``jam_probability`` pebbles jam the
        bit carousel after percuss-to-ingest (the core is dumped, the tube retired,
        outcome ``discarded_and_retry``: core again, as Issole -> Malay).
        ``position`` is (east, north) [m]; ``lmst_hours`` the start time, or None.
        ``failure`` other than ``"random"`` forces the outcome a scenario scripts (the
        number is still drawn, so the random sequence stays the same either way).

        Refused with `SamplingError` before any draw or change if the inputs are bad, no
        sample tube is left, or the longest path for ``failure``
        (`planned_duration_s`) would run past 24:00 LMST.
        """
        if failure not in FAILURES:
            raise SamplingError(f"failure must be random, none, crumble or jam, not {failure!r}")
        if rock_type not in ROCK_TYPES:
            raise SamplingError(
                f"rock_type must be igneous or sedimentary, not {rock_type!r}; "
                "use sample_regolith() for soil"
            )
        _check_position("core", position)
        f = self.system.failures
        keep = f.keep_crumbled_as_atmospheric
        keep = keep if keep_crumbled_as_atmospheric is None else keep_crumbled_as_atmospheric
        longest = planned_duration_s(
            self.system, "core", failure=failure, keep_crumbled_as_atmospheric=keep
        )
        self._check_start("core", sol, lmst_hours, longest)
        tube = self._empty("sample")
        u = rng.random()
        crumble = u < f.crumble_probability
        jam = not crumble and u < f.crumble_probability + f.jam_probability
        if failure != "random":
            crumble, jam = failure == "crumble", failure == "jam"
        c, run = self.system.coring, ProcedureRun(sol, lmst_hours)
        run.step("abrasion", c.abrasion)
        run.step("proximity_science", c.proximity_science)
        run.step("coring", c.coring)
        actor = f"coring drill: {rock_type} core"
        self._move(run, tube, S.CORED, actor, position, sample_type=rock_type)
        tube.name = name
        run.step("percuss_to_ingest", c.percuss_to_ingest)
        if jam:
            run.step("discard", c.discard)
            actor = "pebbles jammed the bit carousel; core dumped"
            self._move(run, tube, S.DISCARDED, actor, position)
            return run.result(Outcome.DISCARDED_AND_RETRY, [tube.id])
        if crumble and not keep:
            run.step("volume_assessment", self.system.handling.volume_assessment)
            self._move(run, tube, S.VOLUME_ASSESSED, "volume assessment: core crumbled", position)
            self._move(run, tube, S.DISCARDED, "crumbled core not kept; tube retired", position)
            return run.result(Outcome.CRUMBLED_DISCARDED, [tube.id])
        self._handle(run, tube, position, "atmospheric" if crumble else None)
        return run.result(Outcome.SEALED_ATMOSPHERIC if crumble else Outcome.SEALED, [tube.id])

    def sample_regolith(
        self,
        sol: int,
        position: tuple[float, float],
        *,
        lmst_hours: float | None = None,
        name: str | None = None,
    ) -> ProcedureResult:
        """Take regolith with the regolith bit into the next empty sample tube and seal it.

        Refused as `core` is (bad inputs, no tube, past 24:00 LMST), changing nothing.
        """
        _check_position("regolith", position)
        self._check_start("regolith", sol, lmst_hours, self.planned_duration_s("regolith"))
        tube = self._empty("sample")
        r, run = self.system.regolith, ProcedureRun(sol, lmst_hours)
        run.step("proximity_science", r.proximity_science)
        run.step("regolith_acquisition", r.acquisition)
        self._move(run, tube, S.CORED, "regolith bit", position, sample_type="regolith")
        tube.name = name
        self._handle(run, tube, position, None)
        return run.result(Outcome.SEALED, [tube.id])

    def witness(
        self,
        sol: int,
        position: tuple[float, float],
        *,
        lmst_hours: float | None = None,
        name: str | None = None,
    ) -> ProcedureResult:
        """Expose the next witness tube to the rover's environment, seal and store it.

        Refused as `core` is (bad inputs, no tube, past 24:00 LMST), changing nothing.
        """
        _check_position("witness", position)
        self._check_start("witness", sol, lmst_hours, self.planned_duration_s("witness"))
        tube = self._empty("witness")
        h, run = self.system.handling, ProcedureRun(sol, lmst_hours)
        run.step("witness_exposure", self.system.witness.exposure)
        run.step("seal", h.seal)
        self._move(run, tube, S.SEALED, "witness exposure and hermetic seal", position)
        tube.name = name
        run.step("store", h.store)
        self._move(run, tube, S.STORED, "stored aboard", position)
        return run.result(Outcome.SEALED, [tube.id])

    def deposit(
        self,
        tube_ids: Sequence[int],
        positions: ArrayLike,
        sol: int,
        *,
        lmst_hours: float | None = None,
    ) -> ProcedureResult:
        """Drop stored tubes on the ground at ``positions`` ((n, 2) east, north [m]).

        All or nothing: every tube is checked (known, not repeated, STORED, its last
        custody event no later than its own drop time), every position is finite, and the
        whole deposit ends by 24:00 LMST, before any tube is dropped. Each drop is
        followed by a WATSON check image.
        """
        ids = [int(i) for i in tube_ids]
        pos = np.asarray(positions, dtype=float)
        if pos.shape != (len(ids), 2):
            raise SamplingError(
                f"positions must have shape ({len(ids)}, 2) for {len(ids)} tubes, not {pos.shape}"
            )
        if len(set(ids)) != len(ids):
            raise SamplingError(f"tube ids repeat in {ids}: each tube is dropped once")
        for i in ids:
            tube = self.tube(i)
            if tube.state != S.STORED:
                raise IllegalTransitionError(
                    f"tube {i} ({tube.designation or tube.kind}) is {tube.state.name}, "
                    "not STORED: only tubes stored aboard can be deposited"
                )
        for i, p in zip(ids, pos, strict=True):
            if not np.all(np.isfinite(p)):
                raise SamplingError(
                    f"deposit: position {p.tolist()!r} for tube {i} is not a pair of "
                    "finite numbers [m]"
                )
        self._check_start(
            "deposit", sol, lmst_hours, self.planned_duration_s("deposit", n=len(ids))
        )
        d = self.system.depot
        clock = ProcedureRun(sol, lmst_hours)  # a dry run for the drop times
        for i in ids:
            clock.step("drop", d.drop)
            at_sol, at_lmst = clock.now()
            tube = self.tube(i)
            if tube.custody and is_before(at_sol, at_lmst, tube.custody[-1]):
                last = tube.custody[-1]
                raise IllegalTransitionError(
                    f"tube {i} ({tube.designation or tube.kind}) cannot go from STORED to "
                    f"DEPOSITED {when(at_sol, at_lmst)}: time goes backwards (its last "
                    f"change was {event_time(last)})"
                )
            clock.step("watson_image", d.watson_image)
        run = ProcedureRun(sol, lmst_hours)
        for i, p in zip(ids, pos, strict=True):
            run.step("drop", d.drop)
            actor = f"dropped from {d.drop_height_m:.2f} m"
            self._move(run, self.tube(i), S.DEPOSITED, actor, (p[0], p[1]))
            run.step("watson_image", d.watson_image)
        return run.result(Outcome.DEPOSITED, ids)

    def depot_layout(
        self,
        n: int,
        start_east_m: float,
        start_north_m: float,
        heading_rad: float,
        rng: np.random.Generator,
        is_free: Callable[[float, float], bool],
    ) -> NDArray[np.float64]:
        """Drop sites for ``n`` tubes, (n, 2) east, north [m]; see `depot.depot_layout`.

        The lateral offsets come from the data file, so every drop lies at least
        ``system.depot.min_clearance_m`` outside the wheel band of a rover driving along
        the depot line.
        """
        d = self.system.depot
        limits = ("spacing_min_m", "spacing_max_m", "lateral_offset_min_m", "lateral_offset_max_m")
        kw = {k: getattr(d, k) for k in limits}
        return depot_layout(n, start_east_m, start_north_m, heading_rad, rng, is_free, **kw)


def _is_int(x: object) -> bool:
    return isinstance(x, int | np.integer) and not isinstance(x, bool)


def _is_real(x: object) -> bool:
    return (
        isinstance(x, int | float | np.integer | np.floating)
        and not isinstance(x, bool)
        and math.isfinite(x)
    )


def _bad_position(position: object) -> bool:
    try:
        p = np.asarray(position, dtype=float)
    except (TypeError, ValueError):
        return True
    return p.shape != (2,) or not bool(np.all(np.isfinite(p)))


def _check_position(operation: str, position: object) -> None:
    if _bad_position(position):
        raise SamplingError(
            f"{operation}: position {position!r} is not a pair of finite numbers (east, north) [m]"
        )
