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

Units: SI (s, W, J, m); sols are mission sols (sol 0 = landing); LMST in hours only where
a name says ``lmst_hours``. Positions are site-frame east/north in metres.

What this leaves out: multi-sol sampling campaigns (the planner spreads the steps over
sols), bit wear and bit changes (9 bits are listed, not tracked), core mass and length,
seal retries, the weeks of recovery after a jam, thermal constraints, and which rocks
are friable (one crumble probability for all rock).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from typing import Annotated, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from pydantic import BaseModel, ConfigDict, Field, model_validator

from perseverance.datafiles import load_model
from perseverance.errors import ScenarioError
from perseverance.mars.constants import SOL_S
from perseverance.rover.depot import depot_layout

PACKAGE = "perseverance.data.instruments"

#: One LMST hour [s].
LMST_HOUR_S = SOL_S / 24.0

#: A well-formed sample designation.
DESIGNATION = re.compile(r"^M2020-\d{5}-\d{2}$")

Fraction = Annotated[float, Field(ge=0, le=1)]
Length = Annotated[float, Field(gt=0, le=100)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Step(_Strict):
    """One step of a procedure: ``repeats`` x ``duration_s`` [s] at ``power_w`` [W]."""

    duration_s: Annotated[float, Field(gt=0, le=86_400)]
    power_w: Annotated[float, Field(ge=0, le=2_000)]
    repeats: Annotated[int, Field(ge=1, le=100)] = 1

    @property
    def total_s(self) -> float:
        return self.duration_s * self.repeats


class Tubes(_Strict):
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


class Coring(_Strict):
    """Rock coring, in order; ``discard`` runs only after a jam."""

    abrasion: Step | None = None
    proximity_science: Step | None = None
    coring: Step
    percuss_to_ingest: Step | None = None
    discard: Step


class Regolith(_Strict):
    proximity_science: Step | None = None
    acquisition: Step


class Witness(_Strict):
    exposure: Step


class Handling(_Strict):
    """Inside the caching assembly, for every tube, in order."""

    volume_assessment: Step
    cachecam_image: Step
    seal: Step
    store: Step


class Failures(_Strict):
    """Per rock-core attempt; at most one failure per attempt."""

    crumble_probability: Fraction
    jam_probability: Fraction
    keep_crumbled_as_atmospheric: bool

    @model_validator(mode="after")
    def _sum(self):
        if self.crumble_probability + self.jam_probability > 1:
            raise ValueError("crumble_probability + jam_probability must not exceed 1")
        return self


class Depot(_Strict):
    tubes: Annotated[int, Field(ge=1, le=99)]
    drop_height_m: Annotated[float, Field(gt=0, le=3)]
    spacing_min_m: Length
    spacing_max_m: Length
    lateral_offset_min_m: Length
    lateral_offset_max_m: Length
    drop: Step
    watson_image: Step

    @model_validator(mode="after")
    def _geometry(self):
        if self.spacing_min_m > self.spacing_max_m:
            raise ValueError("spacing_min_m must not exceed spacing_max_m")
        if self.lateral_offset_min_m > self.lateral_offset_max_m:
            raise ValueError("lateral_offset_min_m must not exceed lateral_offset_max_m")
        if 2 * self.lateral_offset_max_m >= self.spacing_min_m:
            raise ValueError("2 x lateral_offset_max_m must be below spacing_min_m (for a zigzag)")
        return self


class CachingSystem(_Strict):
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


class _Run:
    """The clock and step log of one operation."""

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
        """(sol, LMST hours) at the current time; LMST past midnight rolls the sol on."""
        if self.lmst_hours is None:
            return self.sol, None
        t = self.lmst_hours + self.elapsed_s / LMST_HOUR_S
        return self.sol + int(t // 24), t % 24

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
        designation. The operations below are the usual way in; this is for replays.
        """
        tube = self.tube(tube_id)
        to_state = TubeState(to_state)
        why = None
        if not 0 <= sol <= 99_999:
            why = f"sol {sol} is outside 0..99999 (mission sols, sol 0 = landing)"
        elif to_state not in TRANSITIONS[tube.state]:
            why = "not a legal move (tubes only move forward, one stage at a time)"
        elif tube.state == S.EMPTY and to_state == S.SEALED and tube.kind != "witness":
            why = "only a witness tube is sealed without a sample"
        elif tube.state == S.EMPTY and to_state == S.CORED and tube.kind != "sample":
            why = "a witness tube is never cored"
        elif to_state == S.CORED and sample_type not in (*ROCK_TYPES, "regolith"):
            why = f"sample_type must be igneous, sedimentary or regolith, not {sample_type!r}"
        elif position is not None and not all(np.isfinite(np.asarray(position, dtype=float))):
            why = f"position {position!r} is not a pair of finite numbers [m]"
        elif tube.custody and _before(sol, lmst_hours, tube.custody[-1]):
            last = tube.custody[-1]
            why = f"time goes backwards (its last change was on sol {last.sol})"
        if why:
            raise IllegalTransitionError(
                f"tube {tube.id} ({tube.designation or tube.kind}) cannot go from "
                f"{tube.state.name} to {to_state.name}: {why}"
            )
        if tube.state == S.EMPTY:
            tube.acquired_sol = sol
            tube.sample_type = sample_type if to_state == S.CORED else "witness"
        if to_state == S.SEALED:
            self._sealed += 1
            tube.designation = f"M2020-{tube.acquired_sol:05d}-{self._sealed:02d}"
        east, north = position if position is not None else (None, None)
        event = CustodyEvent(tube.id, tube.state, to_state, sol, lmst_hours, actor, east, north)
        tube.state = to_state
        if position is not None:
            tube.east_m, tube.north_m = float(east), float(north)
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
        failure: Literal["random", "none", "crumble", "jam"] = "random",
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
        """
        if failure not in ("random", "none", "crumble", "jam"):
            raise SamplingError(f"failure must be random, none, crumble or jam, not {failure!r}")
        if rock_type not in ROCK_TYPES:
            raise SamplingError(
                f"rock_type must be igneous or sedimentary, not {rock_type!r}; "
                "use sample_regolith() for soil"
            )
        tube = self._empty("sample")
        f = self.system.failures
        keep = f.keep_crumbled_as_atmospheric
        keep = keep if keep_crumbled_as_atmospheric is None else keep_crumbled_as_atmospheric
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
        """Take regolith with the regolith bit into the next empty sample tube and seal it."""
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
        """Expose the next witness tube to the rover's environment, seal and store it."""
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

        All or nothing: every tube is checked (known, not repeated, STORED) before any
        is dropped. Each drop is followed by a WATSON check image.
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
        d, run = self.system.depot, _Run(sol, lmst_hours)
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
        """Drop sites for ``n`` tubes, (n, 2) east, north [m]; see `depot.depot_layout`."""
        d = self.system.depot
        limits = ("spacing_min_m", "spacing_max_m", "lateral_offset_min_m", "lateral_offset_max_m")
        kw = {k: getattr(d, k) for k in limits}
        return depot_layout(n, start_east_m, start_north_m, heading_rad, rng, is_free, **kw)


def _before(sol: int, lmst_hours: float | None, last: CustodyEvent) -> bool:
    """Whether (sol, LMST) comes before the tube's last custody event."""
    if sol != last.sol:
        return sol < last.sol
    return lmst_hours is not None and last.lmst_hours is not None and lmst_hours < last.lmst_hours
