"""What the mission carries from one sol to the next: the checkpoint a resumed run restarts from.

Everything here is plain data, written as JSON into the run's row at the end of
every sol (in the same transaction as the sol), so a run killed at any moment
resumes exactly where its last committed sol left it. The random numbers need no
state: each sol draws from generators seeded by (seed, sol, purpose).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np

from perseverance.errors import StoreError
from perseverance.rover.power import J_PER_WH

#: The layout version of `MissionState.to_json`.
STATE_VERSION = 2


@dataclass
class Retry:
    """A sampling operation to run again on the next sol that allows it.

    After a random coring failure (jammed, or crumbled), or when its own sol had no
    time or energy for it. ``kind``: core, regolith or witness; ``rock`` for a core.
    """

    name: str
    kind: str
    rock: Literal["igneous", "sedimentary"] | None
    depot: bool
    attempt: int


@dataclass
class DepotPlan:
    """The depot laid out on its first sol: drop sites [m] and the tubes, in drop order."""

    sites: list[list[float]]
    tube_ids: list[int]
    line_start: list[float]
    heading_rad: float
    dropped: int = 0


@dataclass
class MissionState:
    """The rover and the plan's progress after ``sol``.

    Positions [m] east/north of the landing site (the site frame); energies [J];
    ``done`` counts runs of each planned activity (by its place in the
    scenario file); ``onboard`` is the onboard store's queue
    (`perseverance.relay.downlink.OnboardStore.to_json`, None before the first sol's
    data); ``arrived`` lists the drives whose goal was reached;
    ``depot_bound`` names the samples meant for the depot; ``cache`` is
    `SampleCache.state()`.
    """

    sol: int
    battery_j: float
    east_m: float
    north_m: float
    odometry_m: float = 0.0
    onboard: dict[str, Any] | None = None
    done: dict[str, int] = field(default_factory=dict)
    arrived: list[str] = field(default_factory=list)
    retries: list[Retry] = field(default_factory=list)
    depot_bound: list[str] = field(default_factory=list)
    depot: DepotPlan | None = None
    cache: dict[str, Any] = field(default_factory=dict)
    landing: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        kwh = self.battery_j / (1000 * J_PER_WH)
        return (
            f"<MissionState sol {self.sol}: {self.east_m:,.0f} m E, {self.north_m:,.0f} m N, "
            f"odometry {self.odometry_m:,.0f} m, battery {kwh:.2f} kWh>"
        )

    @property
    def position(self) -> tuple[float, float]:
        return self.east_m, self.north_m

    def to_json(self) -> dict[str, Any]:
        """The state as JSON-ready data (numbers as Python floats)."""
        out = asdict(self)
        out["version"] = STATE_VERSION
        return out

    @classmethod
    def from_json(cls, data: Any) -> MissionState:
        """Read `to_json` back; `StoreError` (one line) if it is not such a state."""
        if not isinstance(data, dict) or data.get("version") != STATE_VERSION:
            found = data.get("version") if isinstance(data, dict) else type(data).__name__
            raise StoreError(
                f"the run's checkpoint is not a mission state of version {STATE_VERSION} "
                f"(found {found!r}): it was written by another version; start a new run"
            )
        data = dict(data)
        data.pop("version")
        try:
            depot = data.pop("depot")
            retries = [Retry(**r) for r in data.pop("retries")]
            return cls(
                **data, retries=retries, depot=DepotPlan(**depot) if depot is not None else None
            )
        except (TypeError, KeyError) as exc:
            raise StoreError(f"the run's checkpoint is damaged ({exc}): start a new run") from None


def sol_rng(seed: int, sol: int, purpose: int, index: int = 0) -> np.random.Generator:
    """The generator of the ``index``-th draw for one purpose on one sol: the same numbers
    on a resumed run, and independent numbers for two operations of one sol."""
    return np.random.default_rng([int(seed), int(sol), int(purpose), int(index)])
