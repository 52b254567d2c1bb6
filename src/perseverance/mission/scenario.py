"""The mission scenario: phases over sol ranges, the activities they ask for, waypoints.

A scenario is a TOML data file (``data/scenarios/<name>.toml``, or any path) that says
what the mission asks for, sol range by sol range; the sol planner decides what fits
each sol. `load_scenario` validates it in full on load and raises a one-line
`ConfigError` naming the field, the value and the allowed range:

- phases run back to back from sol 0 (landing); the last one runs to ``last_sol``
  (1..`MAX_SOLS`); every activity's sols lie inside its phase and inside 0..last_sol;
- an activity's ``kind`` is an activity of ``data/rover/power.toml`` or one of the
  sampling operations `SAMPLING_OPERATIONS` (``core``, ``regolith``, ``witness``,
  ``depot``), whose durations come from ``data/instruments/caching.toml``;
- drives name a mode of ``data/rover/mobility.toml`` and a known waypoint or a distance;
- durations are positive and fit, ``per_sol_max`` times, in the LMST window;
- no commanded activity falls in the solar conjunction: only the kinds listed in
  ``conjunction.allowed_kinds`` run there, and never a drive, arm work or sampling
  (`NEVER_IN_CONJUNCTION`); a recurring activity may instead skip those sols;
- the sampling targets fit the tubes (38 sample, 5 witness), pairs hold two tubes of
  one kind with one of them for the depot, and the depot drops no more tubes than are
  marked for it and sealed before it starts.

Sols are mission sols (sol 0 = landing sol), LMST in hours where a name says
``lmst_hours``, durations in seconds, positions in metres east/north of the touchdown
point (the site frame).

The checks against the power and caching data (`scenario_checks`) take them from the
validation context: `parse_scenario` accepts others than the packaged files.

What this leaves out: the mobility file is the packaged one, waypoints are not checked
against the terrain (an unreachable one is the path planner's error), and a scenario does
not say what happens after a failed sampling attempt (the runner decides).

>>> scenario = load_scenario()
>>> scenario.phase_at(14).name, scenario.is_conjunction(220)
('first_drive', True)
>>> scenario.with_last_sol(300).last_sol
300
"""

from __future__ import annotations

import math
import typing
from dataclasses import dataclass
from functools import cache
from typing import Annotated, Any, Literal

from pydantic import (
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from perseverance.datafiles import (
    DataModel,
    FileTuple,
    describe_validation_error,
    format_number,
    packaged_names,
    read_toml,
)
from perseverance.errors import ConfigError, ScenarioError
from perseverance.mars.constants import SOL_S
from perseverance.mission.imaging_schedule import ImagingSchedule
from perseverance.mission.recording_schedule import RecordingSchedule
from perseverance.mission.scenario_checks import (
    SAMPLING_OPERATIONS,
    ScenarioData,
    check_kind,
    conjunction_kind_problems,
    packaged_data,
    sampling_problems,
    scenario_data,
    window_problems,
)
from perseverance.rover.mobility import ModeName
from perseverance.rover.sampling.procedures import planned_duration_s
from perseverance.rover.sampling.tubes import SampleType
from perseverance.store.schema import (
    ACTIVITY_KIND_LENGTH,
    ACTIVITY_NAME_LENGTH,
    PHASE_NAME_LENGTH,
    SAMPLE_NAME_LENGTH,
    SCENARIO_NAME_LENGTH,
)

__all__ = [
    "MAX_SOLS",
    "NEVER_IN_CONJUNCTION",
    "Conjunction",
    "MissionPhase",
    "PlannedActivity",
    "SamplingTarget",
    "Scenario",
    "ScenarioActivity",
    "Waypoint",
    "load_scenario",
    "parse_scenario",
    "procedure_duration_s",
]

PACKAGE = "perseverance.data.scenarios"

#: The longest mission a scenario (or ``--sols N``) may ask for [sols].
MAX_SOLS = 2000

#: Sampling operations that fill one tube each (and sit on the sol it was sealed).
TUBE_OPERATIONS = ("core", "regolith", "witness")

#: Kinds never allowed in the solar conjunction, whatever the file says: "no commanding,
#: no driving/arm/sampling" (B: docs/reference/surface.md, Telecom).
NEVER_IN_CONJUNCTION = frozenset({"drive", "arm", "pixl", "sherloc"} | SAMPLING_OPERATIONS.keys())

#: Room a retried core's attempt number takes in its sample's name (" 3").
_RETRY_SUFFIX_ROOM = 2
#: Room a procedure step takes in an activity row's name ("Roubion: percuss_to_ingest").
_STEP_SUFFIX_ROOM = 32
#: The longest activity (and sample) name: what the store's columns hold once a retry
#: number or a step name is added.
NAME_MAX_LENGTH = min(
    SAMPLE_NAME_LENGTH - _RETRY_SUFFIX_ROOM, ACTIVITY_NAME_LENGTH - _STEP_SUFFIX_ROOM
)

Sol = Annotated[int, Field(ge=0, le=MAX_SOLS)]
LmstHour = Annotated[float, Field(ge=0, le=24)]
Metres = Annotated[float, Field(ge=-20_000, le=20_000)]


@cache
def procedure_duration_s(kind: str) -> float:
    """Duration [s] of one nominal sampling operation (`sampling.planned_duration_s`);
    a failure's extra steps (discard) are not counted."""
    if kind not in SAMPLING_OPERATIONS:
        raise ScenarioError(
            f"{kind!r} is not a sampling operation ({', '.join(SAMPLING_OPERATIONS)})"
        )
    return planned_duration_s(packaged_data().caching, kind)


class _Strict(DataModel):
    model_config = ConfigDict(populate_by_name=True)


class Edl(_Strict):
    """How the mission lands: the vehicle and site data files (sol 0)."""

    vehicle: str = Field(min_length=1)
    site: str = Field(min_length=1)
    source: str = ""

    @field_validator("vehicle")
    @classmethod
    def _vehicle(cls, value: str) -> str:
        return _packaged_or_path(value, "perseverance.data.vehicles", "vehicle")

    @field_validator("site")
    @classmethod
    def _site(cls, value: str) -> str:
        return _packaged_or_path(value, "perseverance.data.sites", "site")


def _packaged_or_path(value: str, package: str, kind: str) -> str:
    names = packaged_names(package)
    if value not in names and not value.endswith(".toml"):
        raise ValueError(
            f"unknown {kind} {value!r}: packaged {kind}s are {', '.join(names)}, "
            "or give a path to a .toml file"
        )
    return value


class Conjunction(_Strict):
    """The solar conjunction: sols with no commanding, and the kinds that still run."""

    first_sol: Sol
    last_sol: Sol
    allowed_kinds: Annotated[tuple[str, ...], FileTuple] = ()
    source: str = ""

    @model_validator(mode="after")
    def _check(self, info: ValidationInfo) -> Conjunction:
        if self.first_sol > self.last_sol:
            raise ValueError(f"first_sol = {self.first_sol} is after last_sol = {self.last_sol}")
        power = scenario_data(info).power
        for problem in conjunction_kind_problems(self.allowed_kinds, NEVER_IN_CONJUNCTION, power):
            raise ValueError(problem)
        return self

    def contains(self, sol: int) -> bool:
        """True when ``sol`` is a conjunction sol."""
        return self.first_sol <= sol <= self.last_sol


class MoxieCampaign(_Strict):
    """The MOXIE runs the mission flies: the campaign of an instrument file
    (``data/instruments/<instrument>.toml``, its ``[[campaign]]``), each on its sol and at
    its LMST; runs after the last sol are not flown."""

    instrument: str = Field(default="moxie", min_length=1, max_length=512)
    source: str = ""


class Waypoint(_Strict):
    """A place, in metres east and north of the touchdown point (the site frame)."""

    name: str = Field(min_length=1)
    east_m: Metres
    north_m: Metres
    estimate: bool
    """True when the position is an estimate (no published coordinates)."""
    source: str = ""

    @property
    def distance_m(self) -> float:
        """Distance from the landing site [m]."""
        return math.hypot(self.east_m, self.north_m)

    @property
    def bearing_deg(self) -> float:
        """Bearing from the landing site, clockwise from north [deg], 0..360."""
        return math.degrees(math.atan2(self.east_m, self.north_m)) % 360.0


class ScenarioActivity(_Strict):
    """What a phase (or the whole mission) asks for: a kind, when, how long, how often.

    When: ``sol``, or ``first_sol``..``last_sol`` (either end defaults to its phase's,
    or the mission's for a recurring activity). ``lmst_hours`` (start, end): the LMST
    window it runs in. ``duration_s`` [s] each time; sampling operations take theirs
    from ``caching.toml``. ``per_sol`` (up to ``per_sol_max``) times on each sol it
    runs; with ``total``, that many times over its sols in all.
    """

    kind: str = Field(max_length=ACTIVITY_KIND_LENGTH)
    name: str = Field(default="", max_length=NAME_MAX_LENGTH)
    sol: Sol | None = None
    first_sol: Sol | None = None
    last_sol: Sol | None = None
    lmst_hours: Annotated[tuple[LmstHour, LmstHour], FileTuple] = (0.0, 24.0)
    duration_s: Annotated[float, Field(gt=0, le=SOL_S)] | None = None
    per_sol: Annotated[int, Field(ge=1, le=100)] = 1
    per_sol_max: Annotated[int, Field(ge=1, le=100)] | None = None
    total: Annotated[int, Field(ge=1, le=100_000)] | None = None
    skip_conjunction: bool = False
    # drives
    mode: ModeName | None = None
    to: str | None = None
    distance_m: Annotated[float, Field(ge=0, le=10_000)] | None = None
    # sampling
    at: str | None = None
    rock: Literal["igneous", "sedimentary"] | None = None
    failure: Literal["crumble", "jam"] | None = None
    depot: bool = False
    pair: str | None = None
    source: str = ""

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, kind: str, info: ValidationInfo) -> str:
        return check_kind(kind, scenario_data(info).power)

    @model_validator(mode="after")
    def _check(self, info: ValidationInfo) -> ScenarioActivity:
        for problem in self._problems(scenario_data(info)):
            raise ValueError(problem)
        return self

    def _problems(self, data: ScenarioData) -> typing.Iterator[str]:
        kind = self.kind
        ranged = self.first_sol is not None or self.last_sol is not None
        if self.sol is not None and ranged:
            yield "give either sol or first_sol/last_sol, not both"
        first, last = self.first_sol, self.last_sol
        if first is not None and last is not None and first > last:
            yield f"first_sol = {first} is after last_sol = {last}"
        start, end = self.lmst_hours
        if start >= end:
            yield (
                f"lmst_hours = [{format_number(start)}, {format_number(end)}]: the window "
                "must start before it ends (within one sol, 0..24)"
            )
        if self.per_sol_max is not None and self.per_sol_max < self.per_sol:
            yield f"per_sol_max = {self.per_sol_max} is below per_sol = {self.per_sol}"
        if self.skip_conjunction and self.sol is not None:
            yield "skip_conjunction is for activities over a range of sols, not one sol"
        yield from self._kind_problems(kind)
        yield from window_problems(self, data.caching)

    def _kind_problems(self, kind: str) -> typing.Iterator[str]:
        drive_fields = {"mode": self.mode, "to": self.to, "distance_m": self.distance_m}
        if kind == "drive":
            if self.mode is None:
                yield "a drive needs a mode (blind, visual_odometry or autonav)"
            if self.to is None and self.distance_m is None:
                yield "a drive needs a waypoint (to) or a distance (distance_m)"
            if self.at is not None:
                yield "a drive goes to a waypoint with 'to', not 'at'"
        else:
            for field, value in drive_fields.items():
                if value is not None:
                    yield f"{field} is for drives only, not for kind {kind!r}"
        sampling = kind in SAMPLING_OPERATIONS
        tube = kind in TUBE_OPERATIONS
        if sampling and self.duration_s is not None:
            yield f"{kind!r} takes its duration from caching.toml: remove duration_s"
        if not sampling and kind != "drive" and self.duration_s is None:
            yield f"kind {kind!r} needs a duration_s"
        if tube:
            if self.sol is None:
                yield f"a {kind!r} sits on the sol its tube was sealed: give sol"
            if not self.name:
                yield f"a {kind!r} needs a name (the sample's name)"
        if kind == "core" and self.rock is None:
            yield "a core needs rock = 'igneous' or 'sedimentary'"
        if kind != "core":
            if self.rock is not None:
                yield f"rock is for cores only, not for kind {kind!r}"
            if self.failure is not None:
                yield f"failure is for cores only, not for kind {kind!r}"
        if not tube and (self.depot or self.pair is not None):
            yield f"depot and pair are for core, regolith and witness, not for kind {kind!r}"
        if self.failure == "jam" and (self.depot or self.pair is not None):
            yield "a jammed core is dumped: it goes neither to the depot nor in a pair"
        if kind == "witness" and self.pair is not None:
            yield "witness tubes are not taken in pairs"
        if kind == "depot" and self.total is None:
            yield "a depot needs total (the number of tubes to drop)"

    @property
    def duration_each_s(self) -> float | None:
        """Duration [s] of each run: ``duration_s``, or the caching procedure's; None for a
        drive whose time comes from the planner."""
        if self.kind in SAMPLING_OPERATIONS:
            return procedure_duration_s(self.kind)
        return self.duration_s

    @property
    def max_per_sol(self) -> int:
        """Most runs on one sol."""
        return self.per_sol_max if self.per_sol_max is not None else self.per_sol

    @property
    def label(self) -> str:
        """The kind and the name, for messages: ``core 'Roubion'``."""
        return f"{self.kind} {self.name!r}" if self.name else self.kind


class MissionPhase(_Strict):
    """A stretch of the mission over consecutive sols, with what it asks for."""

    name: str = Field(min_length=1, max_length=PHASE_NAME_LENGTH)
    title: str = ""
    first_sol: Sol
    last_sol: Sol | None = None
    """None for the last phase only: it runs to the scenario's ``last_sol``."""
    source: str = ""
    activities: Annotated[tuple[ScenarioActivity, ...], FileTuple] = ()

    @model_validator(mode="after")
    def _check(self) -> MissionPhase:
        if self.last_sol is not None and self.first_sol > self.last_sol:
            raise ValueError(f"first_sol = {self.first_sol} is after last_sol = {self.last_sol}")
        return self


@dataclass(frozen=True)
class PlannedActivity:
    """An activity with its sols resolved: where it is in the file, its phase, its sols."""

    where: str
    """Its place in the scenario file, e.g. ``phases.crater_floor.activities.4``."""
    phase: str | None
    """Its phase, or None for a recurring activity."""
    activity: ScenarioActivity
    first_sol: int
    last_sol: int

    def covers(self, sol: int, conjunction: Conjunction) -> bool:
        """True when the activity may run on ``sol``."""
        if not self.first_sol <= sol <= self.last_sol:
            return False
        return not (self.activity.skip_conjunction and conjunction.contains(sol))

    def sols(self, conjunction: Conjunction) -> list[int]:
        """The sols it may run on."""
        span = range(self.first_sol, self.last_sol + 1)
        return [s for s in span if self.covers(s, conjunction)]

    @property
    def label(self) -> str:
        return f"{self.where} ({self.activity.label})"


@dataclass(frozen=True)
class SamplingTarget:
    """One tube the scenario fills: a core, a regolith sample or a witness tube.

    ``sample_type`` is what the tube ends up holding: the rock type, ``atmospheric``
    for a core that crumbles (and is kept, as Roubion on sol 164), or None for a core
    that jams and is dumped (Issole).
    """

    name: str
    kind: Literal["core", "regolith", "witness"]
    sol: int
    phase: str
    sample_type: SampleType | None
    depot: bool
    pair: str | None
    at: str | None
    failure: Literal["crumble", "jam"] | None
    lmst_hours: tuple[float, float]


class Scenario(_Strict):
    """A mission scenario as loaded by `load_scenario`: phases, waypoints, recurring work.

    Queries: `phase_at`, `phase_range`, `is_conjunction`, `planned`, `activities_on`,
    `sampling_targets`, `waypoints`; `with_last_sol` gives a validated copy that ends
    on another sol (``--sols N``).
    """

    name: str = Field(min_length=1, max_length=SCENARIO_NAME_LENGTH)
    title: str = ""
    source: str = ""
    last_sol: Annotated[int, Field(ge=1, le=MAX_SOLS)]
    edl: Edl
    conjunction: Conjunction
    waypoint_table: dict[str, Waypoint] = Field(default_factory=dict, alias="waypoints")
    phases: dict[str, MissionPhase] = Field(min_length=1)
    recurring: Annotated[tuple[ScenarioActivity, ...], FileTuple] = ()
    imaging: ImagingSchedule = Field(default_factory=ImagingSchedule)
    """What the cameras image on which sol (`mission.imaging_schedule`)."""
    acoustics: RecordingSchedule = Field(default_factory=RecordingSchedule)
    """What the microphones record on which sol (`mission.recording_schedule`)."""
    moxie: MoxieCampaign | None = None
    """The MOXIE campaign flown (None: no MOXIE runs; `mission.moxie_runs`)."""

    _planned: tuple[PlannedActivity, ...] = PrivateAttr(default=())
    _data: ScenarioData = PrivateAttr(default_factory=packaged_data)

    @model_validator(mode="before")
    @classmethod
    def _names_from_keys(cls, data: Any) -> Any:
        """A phase or waypoint is named by its table key (``[phases.crater_floor]``)."""
        if not isinstance(data, dict):
            return data
        data = dict(data)
        for table in ("phases", "waypoints"):
            entries = data.get(table)
            if isinstance(entries, dict):
                data[table] = {
                    key: {"name": key, **value} if isinstance(value, dict) else value
                    for key, value in entries.items()
                }
        return data

    @model_validator(mode="after")
    def _check(self, info: ValidationInfo) -> Scenario:
        names = [("phases", key, phase.name) for key, phase in self.phases.items()]
        names += [("waypoints", key, w.name) for key, w in self.waypoint_table.items()]
        for table, key, name in names:
            if name != key:
                raise ValueError(f"{table}.{key}.name = {name!r} must equal its key")
        self._check_phases()
        for problem in self.imaging.last_sol_problems(self.last_sol):
            raise ValueError(problem)
        for problem in self.acoustics.last_sol_problems(self.last_sol):
            raise ValueError(problem)
        self._data = scenario_data(info)
        self._planned = tuple(self._resolve())
        for p in self._planned:
            self._check_activity(p)
        depots = [p for p in self._planned if p.activity.kind == "depot"]
        for problem in sampling_problems(self.sampling_targets(), depots, self._data.caching):
            raise ValueError(problem)
        return self

    # -- validation ------------------------------------------------------------------

    def _check_phases(self) -> None:
        expected = 0
        phases = list(self.phases.values())
        for i, phase in enumerate(phases):
            where = f"phases.{phase.name}"
            if phase.first_sol != expected:
                what = "the first phase starts on sol 0 (landing)"
                if i:
                    prev = phases[i - 1]
                    what = f"it must start the sol after phases.{prev.name} ends ({expected})"
                raise ValueError(
                    f"{where}.first_sol = {phase.first_sol}: {what}; phases run back to back"
                )
            last = phase.last_sol
            if last is None and i < len(phases) - 1:
                raise ValueError(f"{where}.last_sol is missing (only the last phase may omit it)")
            if last is not None and last > self.last_sol:
                raise ValueError(
                    f"{where}.last_sol = {last} is beyond the scenario's last_sol = {self.last_sol}"
                )
            if last is not None and i == len(phases) - 1 and last != self.last_sol:
                raise ValueError(
                    f"{where}.last_sol = {last}: the last phase runs to the scenario's "
                    f"last_sol = {self.last_sol} (or omit it)"
                )
            expected = (last if last is not None else self.last_sol) + 1

    def _resolve(self) -> typing.Iterator[PlannedActivity]:
        for phase in self.phases.values():
            first, last = self.phase_range(phase.name)
            for i, a in enumerate(phase.activities):
                where = f"phases.{phase.name}.activities.{i}"
                yield _planned(where, phase.name, a, first, last)
        for i, a in enumerate(self.recurring):
            yield _planned(f"recurring.{i}", None, a, 0, self.last_sol)

    def _check_activity(self, p: PlannedActivity) -> None:
        a, c = p.activity, self.conjunction
        if p.phase is not None:
            first, last = self.phase_range(p.phase)
            for field in ("sol", "first_sol", "last_sol"):
                sol = getattr(a, field)
                if sol is not None and not first <= sol <= last:
                    raise ValueError(
                        f"{p.label}: {field} = {sol} is outside its phase (sols {first}..{last})"
                    )
        if p.first_sol > p.last_sol:
            raise ValueError(
                f"{p.label}: first sol {p.first_sol} is after its last sol {p.last_sol} "
                f"(last_sol = {self.last_sol}): it would never run"
            )
        if p.last_sol > self.last_sol:
            raise ValueError(
                f"{p.label}: sol {p.last_sol} is beyond the scenario's last_sol = {self.last_sol}"
            )
        if a.kind not in c.allowed_kinds and not a.skip_conjunction:
            inside = max(p.first_sol, c.first_sol)
            if inside <= min(p.last_sol, c.last_sol):
                hint = (
                    "move it out of the conjunction"
                    if a.sol is not None or a.kind in NEVER_IN_CONJUNCTION
                    else "move it or set skip_conjunction = true"
                )
                raise ValueError(
                    f"{p.label}: sol {inside} (phase {self.phase_at(inside).name!r}) is in "
                    f"the solar conjunction (sols {c.first_sol}..{c.last_sol}), when nothing "
                    f"is commanded and {a.kind!r} is not among conjunction.allowed_kinds: {hint}"
                )
        if a.total is not None:
            room = len(p.sols(c)) * a.max_per_sol
            if a.total > room:
                raise ValueError(
                    f"{p.label}: total = {a.total} does not fit in sols "
                    f"{p.first_sol}..{p.last_sol} ({room} runs at most)"
                )
        for field in ("to", "at"):
            name = getattr(a, field)
            if name is not None and name not in self.waypoint_table:
                known = ", ".join(self.waypoint_table) or "none"
                raise ValueError(
                    f"{p.label}: {field} = {name!r} is not a waypoint (waypoints: {known})"
                )

    # -- queries ---------------------------------------------------------------------

    def phase_range(self, name: str) -> tuple[int, int]:
        """First and last sol of the phase called ``name``."""
        phase = self.phases.get(name)
        if phase is None:
            raise ScenarioError(f"no phase {name!r}: phases are {', '.join(self.phases)}")
        last = phase.last_sol if phase.last_sol is not None else self.last_sol
        return phase.first_sol, last

    def phase_at(self, sol: int) -> MissionPhase:
        """The phase that holds ``sol`` (0..last_sol)."""
        self._check_sol(sol)
        for phase in self.phases.values():
            first, last = self.phase_range(phase.name)
            if first <= sol <= last:
                return phase
        raise AssertionError("phases cover every sol")  # pragma: no cover

    def is_conjunction(self, sol: int) -> bool:
        """True when ``sol`` is in the solar conjunction (no commanding)."""
        return self.conjunction.contains(sol)

    def planned(self) -> tuple[PlannedActivity, ...]:
        """Every activity with its sols resolved: the phases' in order, then recurring."""
        return self._planned

    def activities_on(self, sol: int) -> list[PlannedActivity]:
        """The activities that may run on ``sol``, in file order."""
        self._check_sol(sol)
        return [p for p in self._planned if p.covers(sol, self.conjunction)]

    def sampling_targets(self) -> list[SamplingTarget]:
        """The tubes the scenario fills (core, regolith, witness), by sol."""
        keep = self._data.caching.failures.keep_crumbled_as_atmospheric
        targets = []
        for p in self._planned:
            a = p.activity
            if a.kind not in TUBE_OPERATIONS or a.sol is None:
                continue
            kind = typing.cast(Literal["core", "regolith", "witness"], a.kind)
            sample: SampleType | None
            if kind == "core":
                sample = a.rock
                if a.failure == "crumble":
                    sample = "atmospheric" if keep else None
                elif a.failure == "jam":
                    sample = None
            else:
                sample = kind
            targets.append(
                SamplingTarget(
                    name=a.name,
                    kind=kind,
                    sol=a.sol,
                    phase=p.phase or "",
                    sample_type=sample,
                    depot=a.depot,
                    pair=a.pair,
                    at=a.at,
                    failure=a.failure,
                    lmst_hours=a.lmst_hours,
                )
            )
        return sorted(targets, key=lambda t: t.sol)

    def waypoints(self) -> dict[str, Waypoint]:
        """The waypoints by name (a copy), in file order."""
        return dict(self.waypoint_table)

    def with_last_sol(self, last_sol: int) -> Scenario:
        """A validated copy that ends on ``last_sol`` (``--sols N``).

        Shorter: phases that start later are dropped, the one holding ``last_sol`` runs
        to it, activities that start later are dropped, ranges are cut at it and their
        ``total`` is cut in proportion (rounded up). Longer: the last phase and every
        open-ended activity run on to it; explicit ranges and totals stay as they are.
        Raises `ScenarioError` (one line) for ``last_sol`` outside 1..`MAX_SOLS`.
        """
        n = last_sol
        if isinstance(n, bool) or not isinstance(n, int):
            raise ScenarioError(f"the last sol must be a whole number of sols, not {n!r}")
        if not 1 <= n <= MAX_SOLS:
            raise ScenarioError(
                f"--sols {n} is out of range (1..{MAX_SOLS}): the mission runs from sol 0 "
                f"(landing) to a last sol between 1 and {MAX_SOLS}"
            )
        if n == self.last_sol:
            return self
        data = self.model_dump(by_alias=True)
        data["last_sol"] = n
        planned = iter(self._planned)
        phases = {}
        for name, phase in data["phases"].items():
            acts = [_clip(a, next(planned), n) for a in phase["activities"]]
            if phase["first_sol"] > n:
                continue
            phase["activities"] = [a for a in acts if a is not None]
            if phase["last_sol"] is not None and phase["last_sol"] >= n:
                phase["last_sol"] = None
            phases[name] = phase
        last_phase = phases[list(phases)[-1]]
        last_phase["last_sol"] = None
        data["phases"] = phases
        recurring = [_clip(a, next(planned), n) for a in data["recurring"]]
        data["recurring"] = [a for a in recurring if a is not None]
        data["imaging"] = self.imaging.cut_at(data["imaging"], n)
        data["acoustics"] = self.acoustics.cut_at(data["acoustics"], n)
        try:
            return parse_scenario(data, f"{self.name} with last_sol = {n}", self._data)
        except ConfigError as exc:
            raise ScenarioError(str(exc)) from None

    def _check_sol(self, sol: int) -> None:
        if not 0 <= sol <= self.last_sol:
            raise ScenarioError(
                f"sol {sol} is outside the scenario {self.name!r} (sols 0..{self.last_sol})"
            )

    def __repr__(self) -> str:
        return (
            f"Scenario({self.name!r}, sols 0..{self.last_sol}, {len(self.phases)} phases, "
            f"{len(self._planned)} activities, {len(self.sampling_targets())} sampling targets)"
        )


def _planned(
    where: str, phase: str | None, a: ScenarioActivity, first: int, last: int
) -> PlannedActivity:
    if a.sol is not None:
        first = last = a.sol
    else:
        first = a.first_sol if a.first_sol is not None else first
        last = a.last_sol if a.last_sol is not None else last
    return PlannedActivity(where, phase, a, first, last)


def _clip(activity: dict[str, Any], planned: PlannedActivity, n: int) -> dict[str, Any] | None:
    """An activity's data cut at sol ``n``: None when it starts later."""
    if planned.first_sol > n:
        return None
    if planned.last_sol <= n:
        return activity
    activity = dict(activity)
    if activity["last_sol"] is not None:
        activity["last_sol"] = n
    if activity["total"] is not None:
        old = planned.last_sol - planned.first_sol + 1
        new = n - planned.first_sol + 1
        activity["total"] = max(1, math.ceil(activity["total"] * new / old))
    return activity


def parse_scenario(
    data: dict[str, Any], label: str = "scenario", models: ScenarioData | None = None
) -> Scenario:
    """Validate scenario data (a parsed TOML table); `ConfigError` with one line if bad.

    ``label`` names the source in the message (a file name); ``models``: the power and
    caching data it is checked against (default: the packaged files).
    """
    models = models or packaged_data()
    try:
        return Scenario.model_validate(data, context=models.context())
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(label, exc, Scenario)) from None


def load_scenario(name_or_path: str = "default") -> Scenario:
    """Load a packaged scenario by name (``default``) or a scenario TOML by path.

    Raises `perseverance.errors.ConfigError` with a one-line message naming the file,
    the field, the value and what was expected.

    >>> load_scenario().last_sol
    700
    """
    label, data = read_toml(str(name_or_path), PACKAGE, "scenario")
    return parse_scenario(data, label)
