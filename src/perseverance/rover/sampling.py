"""Sample caching: tubes, the coring procedure, sealing and the chain of custody.

The Sample Caching System (``data/instruments/caching.toml``) holds 43 tubes, 38 for
samples and 5 witness tubes. A tube moves forward through `TubeState` and never back:

    EMPTY -> CORED -> VOLUME_ASSESSED -> IMAGED -> SEALED -> STORED -> DEPOSITED

with two side roads. A witness tube goes EMPTY -> SEALED (it is opened to the rover's
environment and closed; nothing is cored). A tube whose contents are lost before it is
sealed goes to DISCARDED, a terminal state: after a pebble jam (Issole, sol ~306, dumped
and re-cored as Malay on sol 337) and after a crumbled core that the team chose not to
keep. The model retires such a tube rather than emptying and re-using it, so that a
state never repeats; this costs one tube per such failure, which is conservative.

Every state change goes through one gate (`SampleCache.advance`) that checks it against
`TRANSITIONS` and the tube's kind, raises `IllegalTransitionError` otherwise, and appends
a `CustodyEvent` (who/what, when, where) to the tube's chain of custody. A tube gets its
designation ``M2020-SSSSS-NN`` when it is sealed: SSSSS is the sol it was acquired
(cored, or exposed for a witness tube), NN its place in the sequence of sealed tubes,
witness tubes included (PDS convention, surface.md). Discarded cores take no number.

No operation runs past midnight: one that starts at ``lmst_hours`` and would end after
24:00 LMST (on its longest possible path, whatever the failure draw) is refused before it
touches a tube or draws from the generator; `SampleCache.planned_duration_s` tells a
planner how long each operation takes. Every refusal is all or nothing.

`SampleCache.state` gives the whole cache (tubes, custody logs, the sealed counter) as
JSON types, and `SampleCache.from_state` checks and rebuilds it; a rebuilt cache behaves
exactly as the original.

Units: SI (s, W, J, m); sols are mission sols (sol 0 = landing); LMST in hours only where
a name says ``lmst_hours``. Positions are site-frame east/north in metres.

What this leaves out: multi-sol sampling campaigns (the planner spreads the steps over
sols), bit wear and bit changes (9 bits are listed, not tracked), core mass and length,
seal retries, the weeks of recovery after a jam, thermal constraints, and which rocks
are friable (one crumble probability for all rock).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from typing import Annotated, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from pydantic import Field, model_validator

from perseverance.datafiles import DataModel, load_model
from perseverance.errors import ScenarioError
from perseverance.mars.constants import LMST_HOUR_S
from perseverance.rover.depot import depot_layout

PACKAGE = "perseverance.data.instruments"

#: A well-formed sample designation.
DESIGNATION = re.compile(r"^M2020-\d{5}-\d{2}$")

Fraction = Annotated[float, Field(ge=0, le=1)]
Length = Annotated[float, Field(gt=0, le=100)]


class Step(DataModel):
    """One step of a procedure: ``repeats`` x ``duration_s`` [s] at ``power_w`` [W]."""

    duration_s: Annotated[float, Field(gt=0, le=86_400)]
    power_w: Annotated[float, Field(ge=0, le=2_000)]
    repeats: Annotated[int, Field(ge=1, le=100)] = 1

    @property
    def total_s(self) -> float:
        return self.duration_s * self.repeats


class Tubes(DataModel):
    total: Annotated[int, Field(ge=1, le=99)]
    sample: Annotated[int, Field(ge=0, le=99)]
    witness: Annotated[int, Field(ge=0, le=99)]
    bits: Annotated[int, Field(ge=1, le=20)]
    core_diameter_m: Annotated[float, Field(gt=0, le=0.1)]
    core_length_m: Annotated[float, Field(gt=0, le=0.5)]

    @model_validator(mode="after")
    def _sum(self):
        if self.total != self.sample + self.witness:
            raise ValueError(
                f"total ({self.total}) must equal sample + witness ({self.sample} + {self.witness})"
            )
        return self


class Coring(DataModel):
    """Rock coring, in order; ``discard`` runs only after a jam."""

    abrasion: Step | None = None
    proximity_science: Step | None = None
    coring: Step
    percuss_to_ingest: Step | None = None
    discard: Step


class Regolith(DataModel):
    proximity_science: Step | None = None
    acquisition: Step


class Witness(DataModel):
    exposure: Step


class Handling(DataModel):
    """Inside the caching assembly, for every tube, in order."""

    volume_assessment: Step
    cachecam_image: Step
    seal: Step
    store: Step


class Failures(DataModel):
    """Per rock-core attempt; at most one failure per attempt."""

    crumble_probability: Fraction
    jam_probability: Fraction
    keep_crumbled_as_atmospheric: bool

    @model_validator(mode="after")
    def _sum(self):
        if self.crumble_probability + self.jam_probability > 1:
            raise ValueError("crumble_probability + jam_probability must not exceed 1")
        return self


class Depot(DataModel):
    """The depot: how many tubes, the drop, and where drops lie [m] (see `rover.depot`).

    The rover drives along the depot line and stops abreast of each drop spot; the tube
    is released from ``drop_height_m`` above the ground beside the rover, a lateral
    offset in [``lateral_offset_min_m``, ``lateral_offset_max_m``] off the line, so that
    it lies outside the wheel band: the wheels run ``track_half_width_m`` either side of
    the line and are ``2 x wheel_half_width_m`` wide.
    """

    tubes: Annotated[int, Field(ge=1, le=99)]
    drop_height_m: Annotated[float, Field(gt=0, le=3)]
    spacing_min_m: Length
    spacing_max_m: Length
    lateral_offset_min_m: Length
    lateral_offset_max_m: Length
    track_half_width_m: Annotated[float, Field(gt=0, le=10)]
    wheel_half_width_m: Annotated[float, Field(gt=0, le=1)]
    drop: Step
    watson_image: Step

    @property
    def min_clearance_m(self) -> float:
        """Least gap [m] between a drop and the outer edge of the wheel band."""
        return self.lateral_offset_min_m - self.track_half_width_m - self.wheel_half_width_m

    @model_validator(mode="after")
    def _geometry(self):
        if self.spacing_min_m > self.spacing_max_m:
            raise ValueError("spacing_min_m must not exceed spacing_max_m")
        if self.lateral_offset_min_m > self.lateral_offset_max_m:
            raise ValueError("lateral_offset_min_m must not exceed lateral_offset_max_m")
        if 2 * self.lateral_offset_max_m >= self.spacing_min_m:
            raise ValueError("2 x lateral_offset_max_m must be below spacing_min_m (for a zigzag)")
        if self.min_clearance_m <= 0:
            raise ValueError(
                f"lateral_offset_min_m ({self.lateral_offset_min_m:g}) must exceed "
                f"track_half_width_m + wheel_half_width_m ({self.track_half_width_m:g} + "
                f"{self.wheel_half_width_m:g}): a drop would lie in a wheel path"
            )
        return self


class CachingSystem(DataModel):
    """The Sample Caching System as loaded from a data file."""

    name: str
    tubes: Tubes
    coring: Coring
    regolith: Regolith
    witness: Witness
    handling: Handling
    failures: Failures
    depot: Depot


def load_caching(name: str = "caching") -> CachingSystem:
    """Load the shipped caching system by name, or a caching TOML by path.

    Raises `perseverance.errors.ConfigError` with a one-line message on any problem.
    """
    return load_model(CachingSystem, name, PACKAGE, "caching system")


class SamplingError(ScenarioError):
    """A sampling operation cannot be done as asked."""


class IllegalTransitionError(SamplingError):
    """A tube was asked to move to a state it may not reach from where it is."""


class NoTubeLeftError(SamplingError):
    """No empty tube of the needed kind is left."""


class TubeState(IntEnum):
    """Where a tube is in its life; the value only ever grows."""

    EMPTY = 0
    CORED = 1
    VOLUME_ASSESSED = 2
    IMAGED = 3
    SEALED = 4
    STORED = 5
    DEPOSITED = 6
    DISCARDED = 7


S = TubeState
#: The legal moves. EMPTY -> SEALED is for witness tubes only, EMPTY -> CORED for sample
#: tubes only.
TRANSITIONS: dict[TubeState, frozenset[TubeState]] = {
    S.EMPTY: frozenset({S.CORED, S.SEALED}),
    S.CORED: frozenset({S.VOLUME_ASSESSED, S.DISCARDED}),
    S.VOLUME_ASSESSED: frozenset({S.IMAGED, S.DISCARDED}),
    S.IMAGED: frozenset({S.SEALED, S.DISCARDED}),
    S.SEALED: frozenset({S.STORED}),
    S.STORED: frozenset({S.DEPOSITED}),
    S.DEPOSITED: frozenset(),
    S.DISCARDED: frozenset(),
}

TubeKind = Literal["sample", "witness"]
SampleType = Literal["igneous", "sedimentary", "regolith", "atmospheric", "witness"]
ROCK_TYPES = ("igneous", "sedimentary")
WITH_SAMPLE = frozenset({S.SEALED, S.STORED, S.DEPOSITED})


class Outcome(StrEnum):
    SEALED = "sealed"
    SEALED_ATMOSPHERIC = "sealed_atmospheric"  # the core crumbled; sealed anyway
    DISCARDED_AND_RETRY = "discarded_and_retry"  # pebbles jammed; core again
    CRUMBLED_DISCARDED = "crumbled_discarded"  # the core crumbled; tube retired
    DEPOSITED = "deposited"


@dataclass(frozen=True, slots=True)
class CustodyEvent:
    """One link of a tube's chain of custody: a state change, by what, when, where."""

    tube_id: int
    from_state: TubeState
    to_state: TubeState
    sol: int
    lmst_hours: float | None
    actor: str
    east_m: float | None
    north_m: float | None


@dataclass(slots=True, repr=False)
class Tube:
    """One tube. Change it only through `SampleCache`, which keeps it consistent."""

    id: int
    kind: TubeKind
    state: TubeState = S.EMPTY
    sample_type: SampleType | None = None
    designation: str | None = None
    name: str | None = None
    acquired_sol: int | None = None
    east_m: float | None = None  # where it was last handled [m]
    north_m: float | None = None
    custody: list[CustodyEvent] = field(default_factory=list)

    @property
    def has_sample(self) -> bool:
        return self.state in WITH_SAMPLE

    def __repr__(self) -> str:
        parts = [str(self.id), self.kind, self.state.name]
        parts += [p for p in (self.sample_type, self.designation, self.name) if p]
        return f"Tube({', '.join(parts)})"


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
#: The version of the `SampleCache.state` layout.
STATE_VERSION = 1
SAMPLE_TYPES: tuple[SampleType, ...] = (*ROCK_TYPES, "regolith", "atmospheric", "witness")


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
    """Total [s] of ``steps`` added in order, as `_Run.step` adds them."""
    total = 0.0
    for spec in steps:
        if spec is not None:
            total += spec.total_s
    return total


class _Run:
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
        kinds: list[TubeKind] = ["sample"] * t.sample + ["witness"] * t.witness
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

    def state(self) -> dict:
        """The whole cache as JSON types (str, int, float, None, list, dict).

        ``{"version": 1, "sealed": <seals so far>, "tubes": [...]}``, one dict per tube
        by id with its fields (``state`` as the `TubeState` name, positions [m]) and its
        ``custody`` log (``from_state``, ``to_state``, ``sol``, ``lmst_hours``, ``actor``,
        ``east_m``, ``north_m``). `from_state` rebuilds it.
        """
        return {
            "version": STATE_VERSION,
            "sealed": int(self._sealed),
            "tubes": [_tube_state(t) for t in self._tubes],
        }

    @classmethod
    def from_state(cls, state: dict, system: CachingSystem | None = None) -> SampleCache:
        """Rebuild a cache from `state` output, with ``system`` (default: the shipped one).

        Checks everything: the layout, the tube count and kinds against ``system``, state
        names, each custody log (legal moves, forward in time, ending at the tube's
        state), sample types, designations and the sealed counter. Any problem is one
        `SamplingError` line naming the tube and field.
        """
        cache = cls(system)
        try:
            _keys(state, ("version", "sealed", "tubes"), "the state")
            if state["version"] != STATE_VERSION:
                raise _BadStateError(
                    f"version is {state['version']!r}; this code reads {STATE_VERSION}"
                )
            tubes = state["tubes"]
            if not isinstance(tubes, list) or len(tubes) != len(cache._tubes):
                n = len(tubes) if isinstance(tubes, list) else type(tubes).__name__
                raise _BadStateError(
                    f"tubes must be a list of {len(cache._tubes)} tubes "
                    f"({cache.system.name}), not {n}"
                )
            loaded = tuple(
                _load_tube(d, t.id, t.kind) for d, t in zip(tubes, cache._tubes, strict=True)
            )
            sealed = _int(state["sealed"], "sealed", 0, len(loaded))
            numbers = sorted(int(t.designation[-2:]) for t in loaded if t.designation)
            if numbers != list(range(1, sealed + 1)):
                raise _BadStateError(
                    f"sealed = {sealed}, but the designations are numbered {numbers} "
                    f"(expected 1..{sealed}, each once)"
                )
        except _BadStateError as why:
            raise SamplingError(f"bad sample cache state: {why}") from None
        cache._tubes, cache._sealed = loaded, sealed
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
        why = None
        if not _is_int(sol) or not 0 <= sol <= 99_999:
            why = f"sol {sol!r} is not a whole number in 0..99999 (mission sols, sol 0 = landing)"
        elif lmst_hours is not None and not (_is_real(lmst_hours) and 0 <= lmst_hours <= 24):
            why = f"lmst_hours {lmst_hours!r} is not a number in 0..24"
        elif to_state not in TRANSITIONS[tube.state]:
            why = "not a legal move (tubes only move forward, one stage at a time)"
        elif tube.state == S.EMPTY and to_state == S.SEALED and tube.kind != "witness":
            why = "only a witness tube is sealed without a sample"
        elif tube.state == S.EMPTY and to_state == S.CORED and tube.kind != "sample":
            why = "a witness tube is never cored"
        elif to_state == S.CORED and sample_type not in (*ROCK_TYPES, "regolith"):
            why = f"sample_type must be igneous, sedimentary or regolith, not {sample_type!r}"
        elif position is not None and _bad_position(position):
            why = f"position {position!r} is not a pair of finite numbers [m]"
        elif tube.custody and _before(sol, lmst_hours, tube.custody[-1]):
            why = f"time goes backwards (its last change was {_at(tube.custody[-1])})"
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

    def _move(self, run: _Run, tube: Tube, to: TubeState, actor: str, position, **kw) -> None:
        sol, lmst = run.now()
        pos = (float(position[0]), float(position[1]))
        ev = self.advance(tube.id, to, sol=sol, lmst_hours=lmst, actor=actor, position=pos, **kw)
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
        if not _is_int(sol) or not 0 <= sol <= 99_999:
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
            f"start by {_hhmm(latest)} LMST or on another sol"
            if latest >= 0
            else "it is longer than a sol: split it in the plan"
        )
        raise SamplingError(
            f"{operation} on sol {sol} starting at {_hhmm(lmst_hours)} LMST {took} and would "
            f"end at {_hhmm(end)} LMST, past the end of the sol at 24:00 LMST: {fix}"
        )

    def _handle(self, run: _Run, tube: Tube, position, seal_type: SampleType | None) -> None:
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
        c, run = self.system.coring, _Run(sol, lmst_hours)
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
        r, run = self.system.regolith, _Run(sol, lmst_hours)
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
        h, run = self.system.handling, _Run(sol, lmst_hours)
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
        clock = _Run(sol, lmst_hours)  # a dry run for the drop times
        for i in ids:
            clock.step("drop", d.drop)
            at_sol, at_lmst = clock.now()
            tube = self.tube(i)
            if tube.custody and _before(at_sol, at_lmst, tube.custody[-1]):
                last = tube.custody[-1]
                raise IllegalTransitionError(
                    f"tube {i} ({tube.designation or tube.kind}) cannot go from STORED to "
                    f"DEPOSITED {_when(at_sol, at_lmst)}: time goes backwards (its last "
                    f"change was {_at(last)})"
                )
            clock.step("watson_image", d.watson_image)
        run = _Run(sol, lmst_hours)
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


def _before(sol: int, lmst_hours: float | None, last: CustodyEvent) -> bool:
    """Whether (sol, LMST) comes before the tube's last custody event."""
    if sol != last.sol:
        return sol < last.sol
    return lmst_hours is not None and last.lmst_hours is not None and lmst_hours < last.lmst_hours


def _at(event: CustodyEvent) -> str:
    """When ``event`` happened, as `_when` writes it."""
    return _when(event.sol, event.lmst_hours)


def _when(sol: int, lmst_hours: float | None) -> str:
    """'on sol N' or 'on sol N at HH:MM LMST'."""
    at = "" if lmst_hours is None else f" at {_hhmm(lmst_hours)} LMST"
    return f"on sol {sol}{at}"


def _hhmm(hours: float) -> str:
    """LMST hours as HH:MM, the minutes rounded down (so a latest start is safe)."""
    minutes = math.floor(hours * 60 + 1e-9)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _is_int(x) -> bool:
    return isinstance(x, int | np.integer) and not isinstance(x, bool)


def _is_real(x) -> bool:
    return (
        isinstance(x, int | float | np.integer | np.floating)
        and not isinstance(x, bool)
        and math.isfinite(x)
    )


def _bad_position(position) -> bool:
    try:
        p = np.asarray(position, dtype=float)
    except (TypeError, ValueError):
        return True
    return p.shape != (2,) or not bool(np.all(np.isfinite(p)))


def _check_position(operation: str, position) -> None:
    if _bad_position(position):
        raise SamplingError(
            f"{operation}: position {position!r} is not a pair of finite numbers (east, north) [m]"
        )


# -- the state layout ------------------------------------------------------------------

TUBE_KEYS = (
    "id",
    "kind",
    "state",
    "sample_type",
    "designation",
    "name",
    "acquired_sol",
    "east_m",
    "north_m",
    "custody",
)
EVENT_KEYS = ("from_state", "to_state", "sol", "lmst_hours", "actor", "east_m", "north_m")


class _BadStateError(ValueError):
    """A malformed state; `SampleCache.from_state` turns it into one `SamplingError` line."""


def _tube_state(t: Tube) -> dict:
    return {
        "id": int(t.id),
        "kind": t.kind,
        "state": t.state.name,
        "sample_type": t.sample_type,
        "designation": t.designation,
        "name": t.name,
        "acquired_sol": None if t.acquired_sol is None else int(t.acquired_sol),
        "east_m": _opt_float(t.east_m),
        "north_m": _opt_float(t.north_m),
        "custody": [
            {
                "from_state": e.from_state.name,
                "to_state": e.to_state.name,
                "sol": int(e.sol),
                "lmst_hours": _opt_float(e.lmst_hours),
                "actor": e.actor,
                "east_m": _opt_float(e.east_m),
                "north_m": _opt_float(e.north_m),
            }
            for e in t.custody
        ],
    }


def _opt_float(x) -> float | None:
    return None if x is None else float(x)


def _keys(d, keys: Sequence[str], where: str) -> None:
    if not isinstance(d, dict):
        raise _BadStateError(f"{where} must be an object (dict), not {type(d).__name__}")
    missing = [k for k in keys if k not in d]
    extra = sorted(str(k) for k in d if k not in keys)
    if missing:
        raise _BadStateError(f"{where} lacks {', '.join(missing)}")
    if extra:
        raise _BadStateError(f"{where} has unknown keys {', '.join(extra)}")


def _int(x, where: str, lo: int, hi: int, none: bool = False) -> int | None:
    if x is None and none:
        return None
    if not _is_int(x) or not lo <= x <= hi:
        raise _BadStateError(f"{where} = {x!r} is not a whole number in {lo}..{hi}")
    return int(x)


def _float(x, where: str, lo: float = -math.inf, hi: float = math.inf) -> float | None:
    if x is None:
        return None
    if not _is_real(x) or not lo <= x <= hi:
        span = "" if math.isinf(lo) else f" in {lo:g}..{hi:g}"
        raise _BadStateError(f"{where} = {x!r} is not a finite number{span}")
    return float(x)


def _str(x, where: str) -> str | None:
    if x is not None and not isinstance(x, str):
        raise _BadStateError(f"{where} = {x!r} is not a string")
    return x


def _state_name(x, where: str) -> TubeState:
    if not isinstance(x, str) or x not in TubeState.__members__:
        raise _BadStateError(
            f"{where} = {x!r} is not a tube state ({', '.join(TubeState.__members__)})"
        )
    return TubeState[x]


def _load_event(d, where: str, tube_id: int) -> CustodyEvent:
    _keys(d, EVENT_KEYS, where)
    east = _float(d["east_m"], f"{where}.east_m")
    north = _float(d["north_m"], f"{where}.north_m")
    if (east is None) != (north is None):
        raise _BadStateError(f"{where}: east_m and north_m must both be numbers or both null")
    actor = _str(d["actor"], f"{where}.actor")
    if actor is None:
        raise _BadStateError(f"{where}.actor is null; every custody event names who or what acted")
    return CustodyEvent(
        tube_id,
        _state_name(d["from_state"], f"{where}.from_state"),
        _state_name(d["to_state"], f"{where}.to_state"),
        _int(d["sol"], f"{where}.sol", 0, 99_999),
        _float(d["lmst_hours"], f"{where}.lmst_hours", 0.0, 24.0),
        actor,
        east,
        north,
    )


def _load_tube(d, tube_id: int, kind: TubeKind) -> Tube:
    """Check one tube's state dict against the rules `SampleCache.advance` keeps."""
    where = f"tube {tube_id}"
    _keys(d, TUBE_KEYS, where)
    if d["id"] != tube_id or not _is_int(d["id"]):
        raise _BadStateError(
            f"{where} is listed with id {d['id']!r} (tubes are listed by id from 1)"
        )
    if d["kind"] != kind:
        raise _BadStateError(f"{where}.kind = {d['kind']!r}, but tube {tube_id} is a {kind} tube")
    state = _state_name(d["state"], f"{where}.state")
    if not isinstance(d["custody"], list):
        raise _BadStateError(f"{where}.custody must be a list of events")
    events = [_load_event(e, f"{where}.custody[{j}]", tube_id) for j, e in enumerate(d["custody"])]
    at = S.EMPTY
    for j, e in enumerate(events):
        w = f"{where}.custody[{j}]"
        if e.from_state != at:
            raise _BadStateError(f"{w} starts from {e.from_state.name}, but the tube was {at.name}")
        if e.to_state not in TRANSITIONS[e.from_state]:
            raise _BadStateError(
                f"{w}: {e.from_state.name} -> {e.to_state.name} is not a legal move"
            )
        if e.from_state == S.EMPTY and e.to_state == S.SEALED and kind != "witness":
            raise _BadStateError(f"{w}: only a witness tube is sealed without a sample")
        if e.from_state == S.EMPTY and e.to_state == S.CORED and kind != "sample":
            raise _BadStateError(f"{w}: a witness tube is never cored")
        if j and _before(e.sol, e.lmst_hours, events[j - 1]):
            raise _BadStateError(
                f"{w}: time goes backwards (the event before was {_at(events[j - 1])})"
            )
        at = e.to_state
    if at != state:
        raise _BadStateError(f"{where}.state = {state.name}, but its custody log ends at {at.name}")
    sample_type = d["sample_type"]
    if state == S.EMPTY:
        expected: tuple = (None,)
    elif kind == "witness":
        expected = ("witness",)
    else:
        expected = tuple(t for t in SAMPLE_TYPES if t != "witness")
    if sample_type not in expected:
        raise _BadStateError(
            f"{where}.sample_type = {sample_type!r} does not fit a {kind} tube in "
            f"{state.name} (expected {' or '.join(map(repr, expected))})"
        )
    acquired = _int(d["acquired_sol"], f"{where}.acquired_sol", 0, 99_999, none=True)
    first = events[0].sol if events else None
    if acquired != first:
        raise _BadStateError(
            f"{where}.acquired_sol = {acquired!r}, but its first custody event is on sol {first!r}"
        )
    designation = _str(d["designation"], f"{where}.designation")
    if any(e.to_state == S.SEALED for e in events):
        if designation is None or not DESIGNATION.match(designation):
            raise _BadStateError(f"{where}.designation = {designation!r} is not M2020-SSSSS-NN")
        if int(designation[6:11]) != acquired:
            raise _BadStateError(
                f"{where}.designation {designation} does not carry its acquired sol {acquired}"
            )
    elif designation is not None:
        raise _BadStateError(
            f"{where}.designation = {designation!r}, but the tube was never sealed"
        )
    east = _float(d["east_m"], f"{where}.east_m")
    north = _float(d["north_m"], f"{where}.north_m")
    placed = [(e.east_m, e.north_m) for e in events if e.east_m is not None]
    if (east, north) != (placed[-1] if placed else (None, None)):
        raise _BadStateError(
            f"{where}: east_m, north_m = {east!r}, {north!r} is not where its custody log "
            "last placed it"
        )
    name = _str(d["name"], f"{where}.name")
    return Tube(
        id=tube_id,
        kind=kind,
        state=state,
        sample_type=sample_type,
        designation=designation,
        name=name,
        acquired_sol=acquired,
        east_m=east,
        north_m=north,
        custody=events,
    )
