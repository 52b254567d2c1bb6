"""Cross-checks of a scenario against the power and caching data, given as validation context.

`parse_scenario` validates with ``context={"power": PowerConfig, "caching": CachingSystem}``
(`scenario_data`); without one, the packaged ``power.toml`` and ``caching.toml`` are used.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC
from functools import cache
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import ValidationInfo

from perseverance.datafiles import format_number
from perseverance.errors import ConfigError
from perseverance.mars.constants import LMST_HOUR_S, SOL_S
from perseverance.rover.power import PowerConfig, load_power
from perseverance.rover.sampling.caching import CachingSystem, load_caching
from perseverance.rover.sampling.procedures import planned_duration_s

if TYPE_CHECKING:
    from perseverance.mission.scenario import PlannedActivity, SamplingTarget, ScenarioActivity

#: Scenario kinds that are sampling operations, and the ``caching.toml`` table each runs.
SAMPLING_OPERATIONS: dict[str, str] = {
    "core": "coring",
    "regolith": "regolith",
    "witness": "witness",
    "depot": "depot",
}


@dataclass(frozen=True)
class ScenarioData:
    """The model data a scenario is checked against."""

    power: PowerConfig
    caching: CachingSystem

    def context(self) -> dict[str, object]:
        """The pydantic validation context that carries this data."""
        return {"power": self.power, "caching": self.caching}


@cache
def packaged_data() -> ScenarioData:
    """The packaged ``power.toml`` and ``caching.toml``."""
    return ScenarioData(load_power(), load_caching())


def scenario_data(info: ValidationInfo) -> ScenarioData:
    """The data in the validation context, or the packaged data when there is none."""
    context = info.context
    if not context:
        return packaged_data()
    power, caching = context["power"], context["caching"]
    if not isinstance(power, PowerConfig) or not isinstance(caching, CachingSystem):
        raise TypeError("the scenario context holds a PowerConfig and a CachingSystem")
    return ScenarioData(power, caching)


def activity_kinds(power: PowerConfig) -> frozenset[str]:
    """Every activity kind a scenario may use: the power table's, ``drive`` (its power is
    the drive mode's) and the sampling operations (their steps carry their power)."""
    kinds = frozenset(power.activities)
    clash = kinds & (SAMPLING_OPERATIONS.keys() | {"drive"})
    if clash:
        raise ConfigError(
            f"power.toml activities {', '.join(sorted(clash))} clash with the sampling "
            "operations of the same name: rename them in power.toml"
        )
    missing = [t for t in SAMPLING_OPERATIONS.values() if t not in CachingSystem.model_fields]
    if missing:  # pragma: no cover - a programming error
        raise ConfigError(f"caching system has no table {', '.join(missing)}")
    return kinds | SAMPLING_OPERATIONS.keys() | {"drive"}


def check_kind(kind: str, power: PowerConfig) -> str:
    """``kind`` if the power table (or the sampling operations) know it."""
    known = activity_kinds(power)
    if kind not in known:
        raise ValueError(
            f"unknown activity kind {kind!r}: known kinds are {', '.join(sorted(known))}"
        )
    return kind


def conjunction_kind_problems(
    allowed_kinds: Sequence[str], never: frozenset[str], power: PowerConfig
) -> Iterator[str]:
    """What is wrong with the kinds the conjunction allows (unknown, or never allowed)."""
    known = activity_kinds(power)
    for kind in allowed_kinds:
        if kind not in known:
            yield (
                f"allowed_kinds: unknown activity kind {kind!r}: known kinds are "
                f"{', '.join(sorted(known))}"
            )
        if kind in never:
            yield (
                f"allowed_kinds: {kind!r} is never allowed in the conjunction "
                "(no commanding: no driving, arm or sampling)"
            )


def window_problems(activity: ScenarioActivity, caching: CachingSystem) -> Iterator[str]:
    """An activity's runs on one sol that do not fit in its LMST window."""
    a = activity
    duration = (
        planned_duration_s(caching, a.kind) if a.kind in SAMPLING_OPERATIONS else a.duration_s
    )
    start, end = a.lmst_hours
    window = (end - start) * LMST_HOUR_S
    if duration is not None and start < end and a.max_per_sol * duration > window:
        yield (
            f"{a.max_per_sol} x {format_number(duration)} s does not fit in the "
            f"LMST window [{format_number(start)}, {format_number(end)}] "
            f"({window:.0f} s)"
        )


def sampling_problems(
    targets: Sequence[SamplingTarget], depots: Sequence[PlannedActivity], caching: CachingSystem
) -> Iterator[str]:
    """What the sampling targets and the depot ask of the tubes that they cannot have."""
    names = Counter(t.name for t in targets)
    repeated = [n for n, k in names.items() if k > 1]
    if repeated:
        yield f"sampling target {repeated[0]!r} appears {names[repeated[0]]} times"
    uses = Counter("witness" if t.kind == "witness" else "sample" for t in targets)
    for kind, have in (("sample", caching.tubes.sample), ("witness", caching.tubes.witness)):
        if uses[kind] > have:
            yield f"the scenario fills {uses[kind]} {kind} tubes; the rover carries {have}"
    pairs: dict[str, list[SamplingTarget]] = {}
    for t in targets:
        if t.pair is not None:
            pairs.setdefault(t.pair, []).append(t)
    for label, members in pairs.items():
        listed = ", ".join(t.name for t in members)
        if len(members) > 2 or len({t.kind for t in members}) > 1:
            yield f"pair {label!r} ({listed}): a pair is two tubes of one kind"
        in_depot = sum(t.depot for t in members)
        if in_depot > 1 or (len(members) == 2 and in_depot != 1):
            yield (
                f"pair {label!r} ({listed}): one tube of each pair goes to the depot "
                f"(depot = true on exactly one), not {in_depot}"
            )
    if len(depots) > 1:
        yield f"{depots[1].label}: a scenario has one depot"
    marked = [t for t in targets if t.depot]
    if len(marked) > caching.depot.tubes:
        yield f"{len(marked)} tubes are marked for the depot; it holds {caching.depot.tubes}"
    for p in depots:
        ready = [t for t in marked if t.sample_type is not None and t.sol < p.first_sol]
        total = p.activity.total or 0
        if total > len(ready):
            yield (
                f"{p.label}: total = {total} tubes, but only {len(ready)} marked "
                f"depot = true are sealed before sol {p.first_sol}"
            )


#: How far a scenario's conjunction sols may lie from the ephemeris' [sols] (issue 12: ±2).
CONJUNCTION_TOLERANCE_SOLS = 2
#: Sols searched past the scenario's stated conjunction for the computed one.
_CONJUNCTION_MARGIN_SOLS = 40


def conjunction_problem(
    first_sol: int, last_sol: int, landing_utc: Any, longitude_east_deg: float
) -> str | None:
    """The scenario's conjunction sols checked against the Sun-Earth-Mars angle of the
    ephemeris (`mars.ephemeris.solar_conjunction`, its `CONJUNCTION_SEP_DEG`): None, or
    one line saying what differs."""
    from perseverance.mars.ephemeris import (
        CONJUNCTION_SEP_DEG,
        check_conjunction_sols,
        conjunction_sols,
        solar_conjunction,
    )

    start = np.datetime64(landing_utc.astimezone(UTC).replace(tzinfo=None), "us")
    span_s = (last_sol + _CONJUNCTION_MARGIN_SOLS) * SOL_S
    end = start + np.timedelta64(int(span_s * 1e6), "us")
    found = conjunction_sols(solar_conjunction(start, end), start, longitude_east_deg)
    near = [c for c in found if c[1] >= first_sol - _CONJUNCTION_MARGIN_SOLS]
    if not near:
        return (
            f"conjunction sols {first_sol}-{last_sol}: the ephemeris has no solar conjunction "
            f"(Sun-Earth-Mars angle below {CONJUNCTION_SEP_DEG:g} deg) near them"
        )
    return check_conjunction_sols(
        (first_sol, last_sol), near[0], tolerance_sols=CONJUNCTION_TOLERANCE_SOLS
    )
