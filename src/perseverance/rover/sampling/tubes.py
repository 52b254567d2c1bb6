"""Sample tubes: their state machine, the one transition check, custody records and errors.

A tube moves forward through `TubeState` and never back:

    EMPTY -> CORED -> VOLUME_ASSESSED -> IMAGED -> SEALED -> STORED -> DEPOSITED

with two side roads. A witness tube goes EMPTY -> SEALED (it is opened to the rover's
environment and closed; nothing is cored). A tube whose contents are lost before it is
sealed goes to DISCARDED, a terminal state: after a pebble jam (Issole, sol ~306, dumped
and re-cored as Malay on sol 337) and after a crumbled core that the team chose not to
keep. The model retires such a tube rather than emptying and re-using it, so that a
state never repeats; this costs one tube per such failure, which is conservative.

`transition_problem` is the one check of a move against `TRANSITIONS` and the tube's
kind, used both when a tube advances and when a saved cache state is loaded. A tube
gets its designation ``M2020-SSSSS-NN`` (`DESIGNATION`) when it is sealed: SSSSS is the
sol it was acquired (cored, or exposed for a witness tube), NN its place in the sequence
of sealed tubes, witness tubes included (PDS convention, docs/reference/surface.md). Discarded cores
take no number.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Literal

from perseverance.errors import ScenarioError

#: A well-formed sample designation.
DESIGNATION = re.compile(r"^M2020-\d{5}-\d{2}$")
#: The last mission sol a tube may change on.
MAX_SOL = 99_999


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
#: tubes only (`transition_problem` checks both).
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
ROCK_TYPES: tuple[SampleType, ...] = ("igneous", "sedimentary")
SAMPLE_TYPES: tuple[SampleType, ...] = (*ROCK_TYPES, "regolith", "atmospheric", "witness")
WITH_SAMPLE = frozenset({S.SEALED, S.STORED, S.DEPOSITED})


def transition_problem(kind: str, from_state: TubeState, to_state: TubeState) -> str | None:
    """Why a ``kind`` tube may not move from ``from_state`` to ``to_state``; None if it may."""
    if to_state not in TRANSITIONS[from_state]:
        return "not a legal move (tubes only move forward, one stage at a time)"
    if from_state == S.EMPTY and to_state == S.SEALED and kind != "witness":
        return "only a witness tube is sealed without a sample"
    if from_state == S.EMPTY and to_state == S.CORED and kind != "sample":
        return "a witness tube is never cored"
    return None


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


def is_before(sol: int, lmst_hours: float | None, last: CustodyEvent) -> bool:
    """Whether (sol, LMST) comes before the custody event ``last``."""
    if sol != last.sol:
        return sol < last.sol
    return lmst_hours is not None and last.lmst_hours is not None and lmst_hours < last.lmst_hours


def event_time(event: CustodyEvent) -> str:
    """When ``event`` happened, as `when` writes it."""
    return when(event.sol, event.lmst_hours)


def when(sol: int, lmst_hours: float | None) -> str:
    """'on sol N' or 'on sol N at HH:MM LMST'."""
    at = "" if lmst_hours is None else f" at {hhmm(lmst_hours)} LMST"
    return f"on sol {sol}{at}"


def hhmm(hours: float) -> str:
    """LMST hours as HH:MM, the minutes rounded down (so a latest start is safe)."""
    minutes = math.floor(hours * 60 + 1e-9)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"
