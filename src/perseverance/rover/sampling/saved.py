"""The saved state of a sample cache: strict models of its JSON layout, save and load.

``{"version": 1, "sealed": <seals so far>, "tubes": [...]}``, one object per tube by id
with its fields (``state`` as the `TubeState` name, positions [m]) and its ``custody``
log. `save_state` writes it; `load_state` checks it (the layout through the models, then
the rules `SampleCache.advance` keeps: legal moves, forward in time, a custody log that
ends at the tube's state, sample types, designations, the sealed counter) and rebuilds
the tubes. Any problem is one `SamplingError` line naming the tube and field.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from pydantic import (
    Field,
    PlainSerializer,
    PlainValidator,
    ValidationError,
)

from perseverance.datafiles import StrictModel
from perseverance.rover.sampling.tubes import (
    DESIGNATION,
    MAX_SOL,
    SAMPLE_TYPES,
    CustodyEvent,
    SampleType,
    SamplingError,
    Tube,
    TubeKind,
    TubeState,
    event_time,
    is_before,
    transition_problem,
)

#: The version of the saved layout.
STATE_VERSION = 1


def _state_by_name(value: object) -> TubeState:
    if isinstance(value, TubeState):
        return value
    if isinstance(value, str) and value in TubeState.__members__:
        return TubeState[value]
    raise ValueError("not a tube state")


def _state_name(state: TubeState) -> str:
    return state.name


#: A tube state, saved by its name.
StateName = Annotated[
    TubeState, PlainValidator(_state_by_name), PlainSerializer(_state_name, return_type=str)
]
Sol = Annotated[int, Field(ge=0, le=MAX_SOL)]


class _Saved(StrictModel):
    """Strict, frozen, no unknown keys, finite floats (a saved state is not a data file:
    positions have no bounds)."""


class SavedEvent(_Saved):
    """One custody event of a saved tube."""

    from_state: StateName
    to_state: StateName
    sol: Sol
    lmst_hours: Annotated[float, Field(ge=0, le=24)] | None
    actor: str
    east_m: float | None
    north_m: float | None


class SavedTube(_Saved):
    """One saved tube, with its custody log."""

    id: int
    kind: str
    state: StateName
    sample_type: SampleType | None
    designation: str | None
    name: str | None
    acquired_sol: Sol | None
    east_m: float | None
    north_m: float | None
    custody: list[SavedEvent]


class SavedCache(_Saved):
    """A whole saved cache."""

    version: int
    sealed: Annotated[int, Field(ge=0)]
    tubes: list[SavedTube]


def save_state(tubes: Sequence[Tube], sealed: int) -> dict[str, Any]:
    """The cache's ``tubes`` and ``sealed`` counter as JSON types, in the saved layout."""
    saved = SavedCache(
        version=STATE_VERSION,
        sealed=int(sealed),
        tubes=[_saved_tube(t) for t in tubes],
    )
    return saved.model_dump()


def _saved_tube(t: Tube) -> SavedTube:
    return SavedTube(
        id=int(t.id),
        kind=t.kind,
        state=t.state,
        sample_type=t.sample_type,
        designation=t.designation,
        name=t.name,
        acquired_sol=None if t.acquired_sol is None else int(t.acquired_sol),
        east_m=_opt_float(t.east_m),
        north_m=_opt_float(t.north_m),
        custody=[
            SavedEvent(
                from_state=e.from_state,
                to_state=e.to_state,
                sol=int(e.sol),
                lmst_hours=_opt_float(e.lmst_hours),
                actor=e.actor,
                east_m=_opt_float(e.east_m),
                north_m=_opt_float(e.north_m),
            )
            for e in t.custody
        ],
    )


def _opt_float(x: float | None) -> float | None:
    return None if x is None else float(x)


def load_state(
    state: object, template: Sequence[Tube], system_name: str
) -> tuple[tuple[Tube, ...], int]:
    """The tubes and sealed counter of a saved ``state``, checked against ``template`` (the
    empty tubes of the cache's system, named ``system_name``); `SamplingError` if bad."""
    try:
        saved = SavedCache.model_validate(state)
        tubes = _load_cache(saved, template, system_name)
    except ValidationError as exc:
        why = _describe(exc, len(template), system_name)
        raise SamplingError(f"bad sample cache state: {why}") from None
    except _BadStateError as exc:
        raise SamplingError(f"bad sample cache state: {exc}") from None
    return tubes, saved.sealed


class _BadStateError(ValueError):
    """A state that breaks a rule; `load_state` turns it into one `SamplingError` line."""


def _load_cache(saved: SavedCache, template: Sequence[Tube], system_name: str) -> tuple[Tube, ...]:
    if saved.version != STATE_VERSION:
        raise _BadStateError(f"version is {saved.version!r}; this code reads {STATE_VERSION}")
    if len(saved.tubes) != len(template):
        raise _BadStateError(
            f"tubes must be a list of {len(template)} tubes ({system_name}), not {len(saved.tubes)}"
        )
    loaded = tuple(_load_tube(d, t.id, t.kind) for d, t in zip(saved.tubes, template, strict=True))
    sealed = saved.sealed
    if sealed > len(loaded):
        raise _BadStateError(f"sealed = {sealed!r} is not a whole number in 0..{len(loaded)}")
    numbers = sorted(int(t.designation[-2:]) for t in loaded if t.designation)
    if numbers != list(range(1, sealed + 1)):
        raise _BadStateError(
            f"sealed = {sealed}, but the designations are numbered {numbers} "
            f"(expected 1..{sealed}, each once)"
        )
    return loaded


def _load_event(e: SavedEvent, where: str, tube_id: int) -> CustodyEvent:
    if (e.east_m is None) != (e.north_m is None):
        raise _BadStateError(f"{where}: east_m and north_m must both be numbers or both null")
    return CustodyEvent(
        tube_id, e.from_state, e.to_state, e.sol, e.lmst_hours, e.actor, e.east_m, e.north_m
    )


def _load_tube(d: SavedTube, tube_id: int, kind: TubeKind) -> Tube:
    """Check one saved tube against the rules `SampleCache.advance` keeps."""
    where = f"tube {tube_id}"
    if d.id != tube_id:
        raise _BadStateError(f"{where} is listed with id {d.id!r} (tubes are listed by id from 1)")
    if d.kind != kind:
        raise _BadStateError(f"{where}.kind = {d.kind!r}, but tube {tube_id} is a {kind} tube")
    events = [_load_event(e, f"{where}.custody[{j}]", tube_id) for j, e in enumerate(d.custody)]
    at = TubeState.EMPTY
    for j, e in enumerate(events):
        w = f"{where}.custody[{j}]"
        if e.from_state != at:
            raise _BadStateError(f"{w} starts from {e.from_state.name}, but the tube was {at.name}")
        problem = transition_problem(kind, e.from_state, e.to_state)
        if problem:
            raise _BadStateError(f"{w}: {e.from_state.name} -> {e.to_state.name}: {problem}")
        if j and is_before(e.sol, e.lmst_hours, events[j - 1]):
            raise _BadStateError(
                f"{w}: time goes backwards (the event before was {event_time(events[j - 1])})"
            )
        at = e.to_state
    if at != d.state:
        raise _BadStateError(
            f"{where}.state = {d.state.name}, but its custody log ends at {at.name}"
        )
    expected: tuple[SampleType | None, ...]
    if d.state == TubeState.EMPTY:
        expected = (None,)
    elif kind == "witness":
        expected = ("witness",)
    else:
        expected = tuple(t for t in SAMPLE_TYPES if t != "witness")
    if d.sample_type not in expected:
        raise _BadStateError(
            f"{where}.sample_type = {d.sample_type!r} does not fit a {kind} tube in "
            f"{d.state.name} (expected {' or '.join(map(repr, expected))})"
        )
    first = events[0].sol if events else None
    if d.acquired_sol != first:
        raise _BadStateError(
            f"{where}.acquired_sol = {d.acquired_sol!r}, but its first custody event is on "
            f"sol {first!r}"
        )
    designation = d.designation
    if any(e.to_state == TubeState.SEALED for e in events):
        if designation is None or not DESIGNATION.match(designation):
            raise _BadStateError(f"{where}.designation = {designation!r} is not M2020-SSSSS-NN")
        if int(designation[6:11]) != d.acquired_sol:
            raise _BadStateError(
                f"{where}.designation {designation} does not carry its acquired sol "
                f"{d.acquired_sol}"
            )
    elif designation is not None:
        raise _BadStateError(
            f"{where}.designation = {designation!r}, but the tube was never sealed"
        )
    placed = [(e.east_m, e.north_m) for e in events if e.east_m is not None]
    if (d.east_m, d.north_m) != (placed[-1] if placed else (None, None)):
        raise _BadStateError(
            f"{where}: east_m, north_m = {d.east_m!r}, {d.north_m!r} is not where its custody "
            "log last placed it"
        )
    return Tube(
        id=tube_id,
        kind=kind,
        state=d.state,
        sample_type=d.sample_type,
        designation=designation,
        name=d.name,
        acquired_sol=d.acquired_sol,
        east_m=d.east_m,
        north_m=d.north_m,
        custody=events,
    )


# -- one line for a layout error -------------------------------------------------------

_STRING = "a string"
#: What each saved field must hold, for the messages.
_EXPECTED = {
    "id": "a whole number",
    "sol": f"a whole number in 0..{MAX_SOL}",
    "acquired_sol": f"a whole number in 0..{MAX_SOL}",
    "lmst_hours": "a finite number in 0..24",
    "east_m": "a finite number",
    "north_m": "a finite number",
    "kind": _STRING,
    "designation": _STRING,
    "name": _STRING,
    "actor": _STRING,
    "sample_type": f"a sample type ({', '.join(SAMPLE_TYPES)})",
    "state": f"a tube state ({', '.join(TubeState.__members__)})",
    "from_state": f"a tube state ({', '.join(TubeState.__members__)})",
    "to_state": f"a tube state ({', '.join(TubeState.__members__)})",
}


def _where(loc: tuple[int | str, ...]) -> str:
    """A location as the messages name it: ``the state``, ``sealed``, ``tube 1.custody[4].sol``."""
    if not loc:
        return "the state"
    if loc[0] != "tubes" or len(loc) < 2:
        return ".".join(str(part) for part in loc)
    text = f"tube {int(loc[1]) + 1}"
    for part in loc[2:]:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text


def _describe(exc: ValidationError, n_tubes: int, system_name: str) -> str:
    """One line for the first layout error: the field, its value and what it must hold."""
    errors = exc.errors()
    first = errors[0]
    loc, kind, value = tuple(first["loc"]), first["type"], first.get("input")
    if kind in ("missing", "extra_forbidden"):
        names = [
            str(e["loc"][-1])
            for e in errors
            if e["type"] == kind and tuple(e["loc"][:-1]) == loc[:-1]
        ]
        owner = _where(loc[:-1])
        if kind == "missing":
            return f"{owner} lacks {', '.join(names)}"
        return f"{owner} has unknown keys {', '.join(sorted(names))}"
    where = _where(loc)
    leaf = loc[-1] if loc else None
    if kind == "model_type":
        return f"{where} must be an object (dict), not {type(value).__name__}"
    if loc == ("version",):
        return f"version is {value!r}; this code reads {STATE_VERSION}"
    if loc == ("sealed",):
        return f"sealed = {value!r} is not a whole number in 0..{n_tubes}"
    if loc == ("tubes",):
        return (
            f"tubes must be a list of {n_tubes} tubes ({system_name}), not {type(value).__name__}"
        )
    if leaf == "custody":
        return f"{where} must be a list of events"
    if leaf == "actor" and value is None:
        return f"{where} is null; every custody event names who or what acted"
    if isinstance(leaf, str) and leaf in _EXPECTED:
        return f"{where} = {value!r} is not {_EXPECTED[leaf]}"
    return f"{where} = {value!r} is invalid ({first['msg']})"
