"""Rover electrical power: MMRTG output, battery charge, and the energy budget of a sol.

The MMRTG's electrical output falls with the Pu-238 decay and the ageing of its
thermocouples::

    P(t) = P0 * 2**(-t / T_half) * exp(-k * t)        (t in Julian years since launch)

The batteries store what the MMRTG makes beyond the loads and cover the peaks
above it. `simulate_sol` integrates one sol (`SOL_S` = 88,775.244 s, starting at
LMST midnight) in fixed steps: the energy of every load over each step is exact
(loads are piecewise constant), and the battery charge follows

    c[k] = min(capacity, c[k-1] + eta_c * surplus[k] - deficit[k] / eta_d)

computed without a Python loop (a running maximum of the cumulative sum; the
Lindley recursion of queueing theory). `fits` and `largest_feasible_prefix` tell a
sol planner whether a plan keeps the charge at or above the state-of-charge floor.

Units: SI inside (W, J, s). Ah, V and LMST hours appear only in the data file and
in the `PowerActivity.at_lmst` / `Wh` helpers.

Left out: battery voltage and current (the battery is an energy store with
constant efficiencies), capacity fade, temperature and season (heaters depend on
LMST only), the MMRTG's dependence on its cold-side temperature (cruise vs Mars),
loads within a step are netted (an activity shorter than a step is averaged over
it), and activities that cross midnight (split them across two sols).

>>> from perseverance.rover.power import PowerActivity, load_power, simulate_sol
>>> config = load_power()
>>> plan = [config.activity("moxie", lmst_hours=11.0, duration_s=3600.0)]
>>> budget = simulate_sol(config, config.capacity_j, plan, "2021-03-04T12:00:00Z")
>>> budget.min_charge_j >= config.floor_j
True
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Annotated, Any, Self

import numpy as np
from numpy.typing import ArrayLike, NDArray
from pydantic import Field, model_validator

from perseverance.datafiles import DataDate, DataModel, load_model
from perseverance.errors import ScenarioError
from perseverance.mars.constants import LMST_HOUR_S, SOL_S
from perseverance.mars.time import julian_date_utc

__all__ = [
    "J_PER_WH",
    "ActivityKind",
    "EnergyBudget",
    "PowerActivity",
    "PowerConfig",
    "charge_trajectory",
    "fits",
    "largest_feasible_prefix",
    "load_power",
    "mmrtg_power_w",
    "simulate_sol",
]

PACKAGE = "perseverance.data.rover"

#: Joules in one watt-hour.
J_PER_WH = 3600.0
#: Julian year [days], the unit of MMRTG age.
_JULIAN_YEAR_DAYS = 365.25
#: Default integration step [s].
DEFAULT_STEP_S = 60.0

Fraction = Annotated[float, Field(gt=0, le=1)]


class Mmrtg(DataModel):
    """The Multi-Mission Radioisotope Thermoelectric Generator."""

    launch_utc: DataDate
    power_at_launch_w: Annotated[float, Field(gt=10, le=1000)]
    pu238_half_life_years: Annotated[float, Field(gt=1, le=1000)]
    thermoelectric_degradation_per_year: Annotated[float, Field(ge=0, le=0.5)]

    def power_w(self, years_since_launch: ArrayLike) -> NDArray[np.float64]:
        """Electrical output [W] at ``years_since_launch`` [Julian years] (array in, array out)."""
        years = np.asarray(years_since_launch, dtype=np.float64)
        decay = np.exp2(-years / self.pu238_half_life_years)
        return (
            self.power_at_launch_w
            * decay
            * np.exp(-self.thermoelectric_degradation_per_year * years)
        )


class BatterySpec(DataModel):
    """The rover's Li-ion batteries, taken together as one energy store."""

    count: Annotated[int, Field(ge=1, le=8)]
    capacity_ah: Annotated[float, Field(gt=1, le=500)]
    bus_voltage_v: Annotated[float, Field(gt=5, le=200)]
    charge_efficiency: Fraction
    discharge_efficiency: Fraction
    state_of_charge_floor: Annotated[float, Field(ge=0, lt=1)]


class Loads(DataModel):
    """Loads that do not belong to one activity [W]."""

    sleep_w: Annotated[float, Field(ge=0, le=1000)]
    awake_w: Annotated[float, Field(ge=0, le=1000)]


class Heaters(DataModel):
    """Survival heater power [W], piecewise constant in LMST hours from midnight."""

    lmst_start_hours: list[Annotated[float, Field(ge=0, lt=24)]] = Field(min_length=1)
    power_w: list[Annotated[float, Field(ge=0, le=1000)]] = Field(min_length=1)

    @model_validator(mode="after")
    def _check(self) -> Self:
        if len(self.lmst_start_hours) != len(self.power_w):
            raise ValueError("lmst_start_hours and power_w need the same length")
        if self.lmst_start_hours[0] != 0:
            raise ValueError("lmst_start_hours must start at 0 (midnight)")
        hours = self.lmst_start_hours
        if any(b <= a for a, b in itertools.pairwise(hours)):
            raise ValueError("lmst_start_hours must be strictly increasing")
        return self

    def cumulative_energy_j(self, t_s: ArrayLike) -> NDArray[np.float64]:
        """Heater energy [J] from sol start to ``t_s`` [s] (0 <= t_s <= SOL_S), exact."""
        starts = np.asarray(self.lmst_start_hours) * LMST_HOUR_S
        knots = np.append(starts, SOL_S)
        energy = np.concatenate(([0.0], np.cumsum(np.asarray(self.power_w) * np.diff(knots))))
        return np.interp(np.asarray(t_s, dtype=float), knots, energy)


class ActivityKind(DataModel):
    """One kind of activity: its power [W] above the sleep load, and whether the rover is awake."""

    power_w: Annotated[float, Field(ge=0, le=2000)]
    awake: bool


class PowerConfig(DataModel):
    """The rover's power system as loaded from ``data/rover/power.toml``."""

    mmrtg: Mmrtg
    battery: BatterySpec
    loads: Loads
    heaters: Heaters
    activities: dict[str, ActivityKind] = Field(min_length=1)

    @property
    def capacity_j(self) -> float:
        """Usable energy of all batteries at full charge [J] (count x Ah x V)."""
        b = self.battery
        return b.count * b.capacity_ah * b.bus_voltage_v * 3600.0

    @property
    def floor_j(self) -> float:
        """The charge a plan may not go below [J]."""
        return self.battery.state_of_charge_floor * self.capacity_j

    def activity(
        self,
        kind: str,
        *,
        duration_s: float,
        start_s: float | None = None,
        lmst_hours: float | None = None,
        name: str | None = None,
    ) -> PowerActivity:
        """A `PowerActivity` of a kind from the table, from ``start_s`` [s] or ``lmst_hours``."""
        spec = self.activities.get(kind)
        if spec is None:
            known = ", ".join(sorted(self.activities))
            raise ScenarioError(f"unknown activity kind {kind!r}: known kinds are {known}")
        if lmst_hours is not None and start_s is None:
            start = lmst_hours * LMST_HOUR_S
        elif start_s is not None and lmst_hours is None:
            start = start_s
        else:
            raise ScenarioError(f"activity {kind!r}: give exactly one of start_s or lmst_hours")
        return PowerActivity(name or kind, float(start), duration_s, spec.power_w, spec.awake)


def load_power(name: str = "power") -> PowerConfig:
    """Load the shipped power file by name (``power``) or a power TOML by path.

    Raises `perseverance.errors.ConfigError` with a one-line message on any problem.
    """
    return load_model(PowerConfig, name, PACKAGE, "power")


@lru_cache(maxsize=1)
def _default_config() -> PowerConfig:
    return load_power()


@dataclass(frozen=True)
class PowerActivity:
    """One thing the rover does in a sol.

    ``start_s`` [s] from the sol start (LMST midnight), ``duration_s`` [s],
    ``power_w`` [W] on top of the sleep load, ``awake``: it needs the avionics on
    (`Loads.awake_w`, counted once over overlapping awake activities). It must
    end within the sol.
    """

    name: str
    start_s: float
    duration_s: float
    power_w: float
    awake: bool = True

    def __post_init__(self) -> None:
        values = (self.start_s, self.duration_s, self.power_w)
        if not all(math.isfinite(v) for v in values):
            raise ScenarioError(f"activity {self.name!r}: start, duration and power must be finite")
        if self.start_s < 0 or self.duration_s < 0 or self.power_w < 0:
            raise ScenarioError(
                f"activity {self.name!r}: start_s = {self.start_s:g}, duration_s = "
                f"{self.duration_s:g}, power_w = {self.power_w:g}; none may be negative"
            )
        if self.end_s > SOL_S * (1 + 1e-12):
            raise ScenarioError(
                f"activity {self.name!r} ends {self.end_s - SOL_S:.0f} s after the sol "
                f"({SOL_S} s): split it across two sols"
            )

    @classmethod
    def at_lmst(
        cls, name: str, lmst_hours: float, duration_s: float, power_w: float, awake: bool = True
    ) -> PowerActivity:
        """An activity starting at ``lmst_hours`` [LMST hours after midnight]."""
        return cls(name, lmst_hours * LMST_HOUR_S, duration_s, power_w, awake)

    @property
    def end_s(self) -> float:
        """End [s from sol start]."""
        return self.start_s + self.duration_s

    @property
    def energy_j(self) -> float:
        """Energy of the activity's own load [J], avionics not included."""
        return self.power_w * self.duration_s


@dataclass(frozen=True, repr=False)
class EnergyBudget:
    """The energy of one simulated sol.

    ``time_s`` (N+1,) step edges [s from sol start]; ``charge_j`` (N+1,) battery
    charge at those edges [J]. Energies [J] over the sol: ``generated_j`` by the
    MMRTG, ``used_j`` by sleep load, avionics and activities, ``heaters_j``,
    ``losses_j`` in charging and discharging, ``shunted_j`` (surplus dumped with
    the batteries full). They balance: generated = used + heaters + losses +
    shunted + (end - start charge).
    """

    time_s: NDArray[np.float64]
    charge_j: NDArray[np.float64]
    mmrtg_w: float
    generated_j: float
    used_j: float
    heaters_j: float
    losses_j: float
    shunted_j: float
    capacity_j: float
    floor_j: float

    @property
    def start_charge_j(self) -> float:
        return float(self.charge_j[0])

    @property
    def end_charge_j(self) -> float:
        return float(self.charge_j[-1])

    @property
    def min_charge_j(self) -> float:
        return float(self.charge_j.min())

    @property
    def max_charge_j(self) -> float:
        return float(self.charge_j.max())

    def __repr__(self) -> str:
        kwh = 1.0 / (1000.0 * J_PER_WH)
        return (
            f"EnergyBudget(mmrtg {self.mmrtg_w:.1f} W, generated {self.generated_j * kwh:.3f} kWh, "
            f"used {self.used_j * kwh:.3f} kWh, heaters {self.heaters_j * kwh:.3f} kWh, "
            f"charge {self.start_charge_j * kwh:.3f} -> {self.end_charge_j * kwh:.3f} kWh "
            f"(min {self.min_charge_j * kwh:.3f}, floor {self.floor_j * kwh:.3f}))"
        )


def _years_since_launch(when: Any, mmrtg: Mmrtg) -> NDArray[np.float64]:
    """``when`` as Julian years since launch: numbers are taken as years, times as UTC."""
    if not isinstance(when, str | datetime):
        array = np.asarray(when)
        if array.dtype.kind in "iuf":
            return array.astype(np.float64)
    days = np.asarray(julian_date_utc(when)) - julian_date_utc(mmrtg.launch_utc)
    return days / _JULIAN_YEAR_DAYS


def mmrtg_power_w(when: Any, config: PowerConfig | None = None) -> Any:
    """MMRTG electrical output [W].

    ``when``: years since launch (a number or an array of them) or a UTC time
    (``datetime``, ISO 8601 string, ``numpy.datetime64`` or an array). A scalar
    in gives a ``float``; an array gives an array of the same shape. ``config``
    defaults to the shipped ``power.toml``. Before launch the formula is simply
    extrapolated.

    >>> round(mmrtg_power_w(0.0), 1)
    110.0
    """
    mmrtg = (config or _default_config()).mmrtg
    power = mmrtg.power_w(_years_since_launch(when, mmrtg))
    return power.item() if power.ndim == 0 else power


def charge_trajectory(
    net_j: ArrayLike,
    start_j: ArrayLike,
    capacity_j: float,
    charge_efficiency: float = 1.0,
    discharge_efficiency: float = 1.0,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Battery charge over a sol from the net bus energy of each step (the kernel).

    ``net_j`` (B, N): generated minus loads in each step [J], batch axis first;
    ``start_j`` (B,) or scalar: charge at the start [J], at most ``capacity_j``.
    A surplus charges at ``charge_efficiency``, a deficit discharges at
    ``discharge_efficiency``; the charge is clamped at ``capacity_j`` (surplus
    shunted) and not below (a negative charge means the plan is impossible).
    Returns ``charge`` (B, N+1) [J] and ``clamped`` (B, N) [J of stored energy
    turned away because the batteries were full].
    """
    net = np.atleast_2d(np.asarray(net_j, dtype=np.float64))
    start = np.broadcast_to(np.asarray(start_j, dtype=np.float64), net.shape[:1])
    increment = np.where(
        net > 0, charge_efficiency * net, net / discharge_efficiency
    )  # stored-energy change, unclamped
    cumulative = np.cumsum(increment, axis=1)
    headroom = capacity_j - start
    # c[k] = c0 + D[k] - max(0, max_{j<=k} D[j] - (C - c0)): the upper-clamped walk.
    excess = np.maximum(np.maximum.accumulate(cumulative, axis=1) - headroom[:, None], 0.0)
    charge = np.empty((net.shape[0], net.shape[1] + 1))
    charge[:, 0] = start
    charge[:, 1:] = start[:, None] + cumulative - excess
    clamped = np.diff(excess, axis=1, prepend=0.0)
    return charge, clamped


def _step_edges(step_s: float) -> NDArray[np.float64]:
    if not (math.isfinite(step_s) and 0 < step_s <= SOL_S):
        raise ScenarioError(f"step_s = {step_s:g} is out of range (0..{SOL_S}, excluding 0)")
    n = math.ceil(SOL_S / step_s)
    return np.minimum(np.arange(n + 1) * step_s, SOL_S)


def _activity_step_energy(activities: list[PowerActivity], edges: NDArray[np.float64]) -> NDArray:
    """Energy [J] of each activity's own load in each step, (M, N)."""
    if not activities:
        return np.zeros((0, edges.size - 1))
    start = np.array([a.start_s for a in activities])[:, None]
    duration = np.array([a.duration_s for a in activities])[:, None]
    power = np.array([a.power_w for a in activities])[:, None]
    cumulative = power * np.clip(edges[None, :] - start, 0.0, duration)
    return np.diff(cumulative, axis=1)


def _awake_step_seconds(activities: list[PowerActivity], edges: NDArray[np.float64]) -> NDArray:
    """Seconds of each step during which at least one awake activity runs, (N,)."""
    spans = sorted((a.start_s, a.end_s) for a in activities if a.awake and a.duration_s > 0)
    merged: list[list[float]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    if not merged:
        return np.zeros(edges.size - 1)
    union = np.array(merged)
    covered = np.clip(edges[None, :] - union[:, :1], 0.0, union[:, 1:] - union[:, :1]).sum(axis=0)
    return np.diff(covered)


def _check_start(config: PowerConfig, start_charge_j: float) -> float:
    start = float(start_charge_j)
    if not (math.isfinite(start) and 0 <= start <= config.capacity_j * (1 + 1e-12)):
        raise ScenarioError(
            f"start_charge_j = {start:g} is out of range (0..{config.capacity_j:g}, the capacity)"
        )
    return min(start, config.capacity_j)


def _simulate(
    config: PowerConfig,
    start_charge_j: float,
    activities: list[PowerActivity],
    date: Any,
    step_s: float,
    prefixes: bool = False,
) -> tuple[NDArray, NDArray, float, dict[str, NDArray]]:
    """Simulate a plan, or with ``prefixes`` all its prefixes as one batch (B = 1 or M+1)."""
    start = _check_start(config, start_charge_j)
    edges = _step_edges(step_s)
    dt = np.diff(edges)
    mmrtg_w = float(mmrtg_power_w(date, config))
    generated = mmrtg_w * dt
    heaters = np.diff(config.heaters.cumulative_energy_j(edges))
    own = _activity_step_energy(activities, edges)
    if prefixes:
        own_sum = np.concatenate((np.zeros((1, dt.size)), np.cumsum(own, axis=0)))
        plans = [activities[:k] for k in range(len(activities) + 1)]
    else:
        own_sum = own.sum(axis=0, keepdims=True)
        plans = [activities]
    awake_s = np.stack([_awake_step_seconds(plan, edges) for plan in plans])
    used = config.loads.sleep_w * dt + config.loads.awake_w * awake_s + own_sum
    net = generated - heaters - used
    b = config.battery
    charge, clamped = charge_trajectory(
        net, start, config.capacity_j, b.charge_efficiency, b.discharge_efficiency
    )
    shunted = clamped / b.charge_efficiency
    surplus = np.maximum(net, 0.0) - shunted
    deficit = np.maximum(-net, 0.0)
    losses = (1 - b.charge_efficiency) * surplus + (1 / b.discharge_efficiency - 1) * deficit
    sums = {
        "generated": np.full(len(plans), generated.sum()),
        "used": used.sum(axis=1),
        "heaters": np.full(len(plans), heaters.sum()),
        "losses": losses.sum(axis=1),
        "shunted": shunted.sum(axis=1),
    }
    return edges, charge, mmrtg_w, sums


def simulate_sol(
    config: PowerConfig,
    start_charge_j: float,
    activities: list[PowerActivity],
    date: Any,
    *,
    step_s: float = DEFAULT_STEP_S,
) -> EnergyBudget:
    """Integrate the rover's energy over one sol and return its `EnergyBudget`.

    ``start_charge_j`` [J] at the sol start (LMST midnight), between 0 and the
    capacity; ``activities``: the sol's `PowerActivity` records; ``date``: when the sol
    is (a UTC time, or years since launch) for the MMRTG output, taken constant
    over the sol (it changes by < 0.02 % in a sol); ``step_s`` [s]: the step (the
    last one is shorter so that the sol ends at `SOL_S`).
    """
    edges, charge, mmrtg_w, sums = _simulate(config, start_charge_j, activities, date, step_s)
    return EnergyBudget(
        time_s=edges,
        charge_j=charge[0],
        mmrtg_w=mmrtg_w,
        generated_j=float(sums["generated"][0]),
        used_j=float(sums["used"][0]),
        heaters_j=float(sums["heaters"][0]),
        losses_j=float(sums["losses"][0]),
        shunted_j=float(sums["shunted"][0]),
        capacity_j=config.capacity_j,
        floor_j=config.floor_j,
    )


def fits(
    config: PowerConfig,
    start_charge_j: float,
    activities: list[PowerActivity],
    date: Any,
    *,
    step_s: float = DEFAULT_STEP_S,
    floor_j: float | None = None,
) -> bool:
    """True when the plan keeps the charge at or above the floor [J] at every step.

    ``floor_j`` defaults to the configured state-of-charge floor. A sol that
    starts below the floor fits no plan at all, not even an empty one: the
    planner should let the batteries recharge first.
    """
    floor = config.floor_j if floor_j is None else floor_j
    _, charge, _, _ = _simulate(config, start_charge_j, activities, date, step_s)
    return bool(charge.min() >= floor)


def largest_feasible_prefix(
    config: PowerConfig,
    start_charge_j: float,
    activities: list[PowerActivity],
    date: Any,
    *,
    step_s: float = DEFAULT_STEP_S,
    floor_j: float | None = None,
) -> int:
    """How many leading ``activities`` fit (0..len), taking them in the order given.

    The planner lists activities by priority and keeps the first ones returned.
    Every load is non-negative, so adding an activity never raises the charge:
    if a prefix does not fit, no longer one does. All prefixes are simulated at
    once, as one batch. Returns 0 also when the sol starts below the floor.
    """
    floor = config.floor_j if floor_j is None else floor_j
    _, charge, _, _ = _simulate(config, start_charge_j, activities, date, step_s, prefixes=True)
    ok = charge.min(axis=1) >= floor
    if ok.all():
        return len(activities)
    return max(int(np.argmin(ok)) - 1, 0)
