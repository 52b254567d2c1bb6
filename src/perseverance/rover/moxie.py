"""MOXIE: oxygen from the Martian air by solid-oxide electrolysis of CO2.

A run has two phases, simulated in fixed steps as NumPy arrays (no loop over steps):

1. **Warm-up.** The heater (``thermal.heater_max_w``) warms the hot box, a lumped
   heat capacity C with a conductance G to its surroundings, from ``start_temperature_k``
   to the SOXE's operating temperature (800 °C)::

       T(t) = T_eq - (T_eq - T_0) exp(-G t / C),   T_eq = T_0 + P_heater / G

   so the warm-up lasts ``(C / G) ln((T_eq - T_0) / (T_eq - T_op))``.
2. **Production.** The stack is held at 800 °C. The stack current is ramped to its
   setpoint and then held; the O2 rate follows by Faraday's law (4 electrons per O2)::

       n_O2 = N_cells I / (4 F)             [mol/s],  2 CO2 -> 2 CO + O2

   The scroll compressor's intake is limited by the air's density::

       m_air = eta_v rho V_swept (rpm / 60)  [kg/s],  rpm <= max_speed_rpm

   The compressor is run just fast enough to keep the CO2 utilisation (the fraction of the
   inflowing CO2 converted, 2 n_O2 / n_CO2) at ``target_utilisation``; where the air is
   too thin for that at top speed, the utilisation may rise to ``max_utilisation`` and no
   further. **The CO2 utilisation limit:** the current cannot exceed what the inflow
   supports, ``I <= u_max 2 F n_CO2,in / N_cells``. The power supply caps the current at
   the value that gives ``power.max_o2_rate_g_per_h`` (12 g/h). So a run in the dense
   night air makes more than the same run at noon whenever its setpoint is above what the
   noon air supports (~10 g/h).

Power: electronics + compressor (idle losses in proportion to speed plus the isothermal
compression work m R T ln(p_out / p_in) / eta) + heater + stack (N I V, with the cell
voltage V = V_oc + I R). While producing, the heater holds 800 °C against the losses
G (T_op - T_0) and the stack's heat balance N I (V_tn - V) (endothermic below the
thermoneutral voltage). A run whose peak draw exceeds its power limit is refused
(`ScenarioError`, one line). `MoxieResult.power_activities` gives the run as
`perseverance.rover.power.PowerActivity` objects for the sol's energy budget.

Purity: a constant impurity flux (CO/CO2 leaking to the anode side) dilutes the O2.

Units: SI inside (kg, s, K, Pa, W, A, mol); g/h, rpm, minutes and LMST hours only where
a name says so. Sources: ``data/instruments/moxie.toml`` (docs/reference/instruments.md
§3; Hoffman et al. 2022; Hecht et al. 2021).

Leaves out: the cool-down after a run, the dependence of cell resistance on temperature
and age (the flight stacks degraded little), the gas dynamics of the manifolds, the
diurnal change of the air during a run (the atmosphere is given once, at the start),
and operating points that step within a run (one setpoint per run).

>>> from perseverance.rover.moxie import load_moxie, simulate_run
>>> moxie = load_moxie()
>>> run = simulate_run(moxie, moxie.campaign[0], density_kg_m3=0.0152, pressure_pa=705.0,
...                    temperature_k=245.0)
>>> round(run.summary.grams, 1)
5.5
"""

from __future__ import annotations

import io
import json
import math
import os
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import Annotated, Literal, Self

import numpy as np
from numpy.typing import NDArray
from pydantic import Field, model_validator

from perseverance.datafiles import DataDate, DataModel, FileTuple, format_number, load_model
from perseverance.errors import ScenarioError
from perseverance.mars.constants import LMST_HOUR_S, R_GAS_MARS, SOL_S
from perseverance.mars.time import areocentric_solar_longitude_deg
from perseverance.outputs import write_atomic
from perseverance.rover.power import PowerActivity

__all__ = [
    "FARADAY_C_PER_MOL",
    "MOLAR_MASS_CO2_KG",
    "MOLAR_MASS_O2_KG",
    "CampaignRun",
    "MoxieConfig",
    "MoxieResult",
    "MoxieSeries",
    "MoxieSummary",
    "RunRequest",
    "load_moxie",
    "o2_rate_mol_s",
    "save_run",
    "simulate_run",
]

PACKAGE = "perseverance.data.instruments"

#: Faraday constant [C/mol] (CODATA 2018, exact: N_A e).
FARADAY_C_PER_MOL = 96_485.332_12
#: Molar masses [kg/mol] (IUPAC standard atomic weights).
MOLAR_MASS_O2_KG = 31.998e-3
MOLAR_MASS_CO2_KG = 44.009e-3
#: Grams per hour in one kg/s.
G_PER_H_PER_KG_S = 3.6e6
#: Default time step [s].
DEFAULT_STEP_S = 10.0

Seasons = Literal["northern spring", "northern summer", "northern autumn", "northern winter"]
SEASONS: tuple[Seasons, ...] = (
    "northern spring",
    "northern summer",
    "northern autumn",
    "northern winter",
)


def o2_rate_mol_s(current_a: NDArray[np.float64] | float, cells: int) -> NDArray[np.float64]:
    """O2 production [mol/s] of ``cells`` cells in series carrying ``current_a`` [A].

    Faraday's law with 4 electrons per O2 molecule: ``n = N I / (4 F)``.
    """
    return np.asarray(current_a, dtype=np.float64) * cells / (4.0 * FARADAY_C_PER_MOL)


def _current_for_rate_a(o2_g_per_h: float, cells: int) -> float:
    """The stack current [A] that makes ``o2_g_per_h`` (Faraday's law inverted)."""
    mol_s = o2_g_per_h / G_PER_H_PER_KG_S / MOLAR_MASS_O2_KG
    return 4.0 * FARADAY_C_PER_MOL * mol_s / cells


class Compressor(DataModel):
    """The scroll compressor that feeds the stack."""

    swept_volume_m3: Annotated[float, Field(gt=0.0, le=1e-3)]
    volumetric_efficiency: Annotated[float, Field(gt=0.0, le=1.0)]
    max_speed_rpm: Annotated[float, Field(gt=0.0, le=20_000.0)]
    outlet_pressure_pa: Annotated[float, Field(gt=100.0, le=1e6)]
    isothermal_efficiency: Annotated[float, Field(gt=0.0, le=1.0)]
    idle_power_w: Annotated[float, Field(ge=0.0, le=500.0)]
    co2_mass_fraction: Annotated[float, Field(gt=0.0, le=1.0)]

    def max_air_flow_kg_s(self, density_kg_m3: float) -> float:
        """Intake [kg/s] at top speed in air of ``density_kg_m3``."""
        per_s = self.max_speed_rpm / 60.0
        return self.volumetric_efficiency * density_kg_m3 * self.swept_volume_m3 * per_s


class Soxe(DataModel):
    """The solid-oxide electrolysis stacks."""

    cells: Annotated[int, Field(ge=1, le=100)]
    operating_temperature_k: Annotated[float, Field(gt=500.0, le=1500.0)]
    open_circuit_v_per_cell: Annotated[float, Field(gt=0.0, le=3.0)]
    cell_resistance_ohm: Annotated[float, Field(ge=0.0, le=10.0)]
    thermoneutral_v_per_cell: Annotated[float, Field(gt=0.0, le=3.0)]
    max_utilisation: Annotated[float, Field(gt=0.0, le=1.0)]
    target_utilisation: Annotated[float, Field(gt=0.0, le=1.0)]
    current_ramp_s: Annotated[float, Field(ge=0.0, le=7200.0)]
    impurity_leak_g_per_h: Annotated[float, Field(ge=0.0, le=10.0)]

    @model_validator(mode="after")
    def _utilisations(self) -> Self:
        if self.target_utilisation > self.max_utilisation:
            raise ValueError(
                f"target_utilisation = {format_number(self.target_utilisation)} exceeds "
                f"max_utilisation = {format_number(self.max_utilisation)}"
            )
        return self


class Thermal(DataModel):
    """The hot box as one heat capacity behind one conductance."""

    heat_capacity_j_per_k: Annotated[float, Field(gt=0.0, le=1e6)]
    conductance_w_per_k: Annotated[float, Field(gt=0.0, le=100.0)]
    heater_max_w: Annotated[float, Field(gt=0.0, le=2000.0)]
    start_temperature_k: Annotated[float, Field(gt=100.0, le=400.0)]


class MoxiePower(DataModel):
    """MOXIE's electrical limits."""

    electronics_w: Annotated[float, Field(ge=0.0, le=500.0)]
    limit_w: Annotated[float, Field(gt=0.0, le=2000.0)]
    max_o2_rate_g_per_h: Annotated[float, Field(gt=0.0, le=100.0)]


class RunRequest(DataModel):
    """One run as commanded: when it starts, how long it makes O2, at what rate.

    ``power_limit_w`` overrides the instrument's ``power.limit_w`` for this run.
    """

    start_lmst_hours: Annotated[float, Field(ge=0.0, lt=24.0)]
    production_min: Annotated[float, Field(gt=0.0, le=600.0)]
    o2_setpoint_g_per_h: Annotated[float, Field(gt=0.0, le=100.0)]
    power_limit_w: Annotated[float, Field(gt=0.0, le=2000.0)] | None = None


class CampaignRun(RunRequest):
    """A run of the real campaign, with what was published and the air it ran in (E)."""

    run: Annotated[int, Field(ge=1, le=100)]
    sol: Annotated[int, Field(ge=0, le=10_000)]
    date_utc: DataDate
    season: Seasons
    grams_published: Annotated[float, Field(gt=0.0, le=1000.0)]
    pressure_pa: Annotated[float, Field(gt=50.0, le=2000.0)]
    temperature_k: Annotated[float, Field(gt=100.0, le=350.0)]
    estimated: Annotated[tuple[str, ...], FileTuple] = ()

    @property
    def density_kg_m3(self) -> float:
        """The air's density [kg/m^3] from its pressure and temperature (ideal gas)."""
        return self.pressure_pa / (R_GAS_MARS * self.temperature_k)

    @model_validator(mode="after")
    def _season_matches_date(self) -> Self:
        ls = float(areocentric_solar_longitude_deg(self.date_utc))
        season = SEASONS[int(ls // 90.0) % 4]
        if season != self.season:
            raise ValueError(
                f"season = {self.season!r} but {self.date_utc:%Y-%m-%d} is Ls {ls:.0f}° ({season})"
            )
        unknown = sorted(set(self.estimated) - set(type(self).model_fields))
        if unknown:
            raise ValueError(f"estimated names unknown fields: {', '.join(unknown)}")
        return self


class MoxieConfig(DataModel):
    """MOXIE as loaded from ``data/instruments/moxie.toml``."""

    name: str = Field(min_length=1, max_length=64)
    compressor: Compressor
    soxe: Soxe
    thermal: Thermal
    power: MoxiePower
    campaign: list[CampaignRun] = Field(default_factory=list)

    @model_validator(mode="after")
    def _campaign_in_order(self) -> Self:
        numbers = [r.run for r in self.campaign]
        if numbers != list(range(1, len(numbers) + 1)):
            raise ValueError(f"campaign runs must be numbered 1, 2, ... in order, not {numbers}")
        sols = [r.sol for r in self.campaign]
        if sols != sorted(sols):
            raise ValueError("campaign runs must be in order of sol")
        return self

    @property
    def max_current_a(self) -> float:
        """The power supply's limit on the stack current [A] (its 12 g/h by Faraday's law)."""
        return _current_for_rate_a(self.power.max_o2_rate_g_per_h, self.soxe.cells)

    @property
    def warmup_s(self) -> float:
        """Time [s] from the start temperature to 800 °C at full heater power."""
        th, t_op = self.thermal, self.soxe.operating_temperature_k
        t_eq = th.start_temperature_k + th.heater_max_w / th.conductance_w_per_k
        if t_eq <= t_op:
            return math.inf
        tau = th.heat_capacity_j_per_k / th.conductance_w_per_k
        return tau * math.log((t_eq - th.start_temperature_k) / (t_eq - t_op))

    @model_validator(mode="after")
    def _heater_reaches_temperature(self) -> Self:
        if not math.isfinite(self.warmup_s):
            th = self.thermal
            reach = th.start_temperature_k + th.heater_max_w / th.conductance_w_per_k
            raise ValueError(
                f"thermal.heater_max_w = {format_number(th.heater_max_w)} cannot reach "
                f"soxe.operating_temperature_k (it levels off at {reach:.0f} K)"
            )
        return self


def load_moxie(name_or_path: str | os.PathLike[str] = "moxie") -> MoxieConfig:
    """Load MOXIE's data file by packaged name (``"moxie"``) or path.

    Raises `perseverance.errors.ConfigError` with one line naming the field on any problem.
    """
    if name_or_path == "moxie":
        return _packaged()
    return load_model(MoxieConfig, os.fspath(name_or_path), PACKAGE, "instrument")


@cache
def _packaged() -> MoxieConfig:
    return load_model(MoxieConfig, "moxie", PACKAGE, "instrument")


@dataclass(frozen=True, repr=False)
class MoxieSeries:
    """A run's time series, one value per step, (N,) each.

    ``time_s`` from the run's start (warm-up begins) [s]; ``dt_s`` each step's length
    [s] (the last may be shorter); ``producing`` True after the
    warm-up; ``stack_temperature_k`` [K]; ``current_a`` [A]; ``compressor_rpm``;
    ``co2_inflow_kg_s`` [kg/s]; ``o2_rate_kg_s`` [kg/s]; ``utilisation``; ``power_w`` [W]
    (average over the step that starts at ``time_s``).
    """

    time_s: NDArray[np.float64]
    dt_s: NDArray[np.float64]
    producing: NDArray[np.bool_]
    stack_temperature_k: NDArray[np.float64]
    current_a: NDArray[np.float64]
    compressor_rpm: NDArray[np.float64]
    co2_inflow_kg_s: NDArray[np.float64]
    o2_rate_kg_s: NDArray[np.float64]
    utilisation: NDArray[np.float64]
    power_w: NDArray[np.float64]

    @property
    def o2_g_per_h(self) -> NDArray[np.float64]:
        """The O2 rate in g/h."""
        return self.o2_rate_kg_s * G_PER_H_PER_KG_S

    def __repr__(self) -> str:
        return f"MoxieSeries({self.time_s.size} steps, {float(self.dt_s.sum()):g} s)"


@dataclass(frozen=True)
class MoxieSummary:
    """A run in one row: start [s from LMST midnight], durations [s], O2 [g], peak [g/h]."""

    start_s: float
    warmup_s: float
    production_s: float
    grams: float
    peak_g_per_h: float
    purity: float
    energy_j: float
    peak_power_w: float
    limited_by: str
    """What held the current below its setpoint at the end: ``setpoint``, ``ramp``,
    ``power_supply`` or ``co2_flow``."""

    @property
    def duration_s(self) -> float:
        """Warm-up and production together [s]."""
        return self.warmup_s + self.production_s

    @property
    def start_lmst_hours(self) -> float:
        return self.start_s / LMST_HOUR_S


@dataclass(frozen=True, repr=False)
class MoxieResult:
    """A simulated run: its time series and its summary."""

    series: MoxieSeries
    summary: MoxieSummary

    def power_activities(self, name: str = "moxie") -> list[PowerActivity]:
        """The run as two activities of the sol's energy plan, warm-up and production,
        each at its mean power, with the exact energy of the run."""
        s, series = self.summary, self.series
        energy = series.power_w * series.dt_s
        warm = float(energy[~series.producing].sum())
        prod = float(energy[series.producing].sum())
        out = []
        if s.warmup_s > 0:
            out.append(PowerActivity(f"{name} warm-up", s.start_s, s.warmup_s, warm / s.warmup_s))
        out.append(
            PowerActivity(
                f"{name} production", s.start_s + s.warmup_s, s.production_s, prod / s.production_s
            )
        )
        return out

    def __repr__(self) -> str:
        s = self.summary
        return (
            f"MoxieResult({s.grams:.2f} g O2 in {s.production_s / 60:.0f} min "
            f"(+{s.warmup_s / 60:.0f} min warm-up), peak {s.peak_g_per_h:.2f} g/h, "
            f"purity {100 * s.purity:.1f} %, {s.energy_j / 3600:.0f} Wh)"
        )


def _check_air(density_kg_m3: float, pressure_pa: float, temperature_k: float) -> None:
    for field, value, lo, hi in (
        ("density_kg_m3", density_kg_m3, 1e-4, 0.1),
        ("pressure_pa", pressure_pa, 50.0, 2000.0),
        ("temperature_k", temperature_k, 100.0, 350.0),
    ):
        if not (math.isfinite(value) and lo <= value <= hi):
            raise ScenarioError(
                f"MOXIE run: {field} = {format_number(value)} is out of range "
                f"({format_number(lo)}..{format_number(hi)})"
            )


def simulate_run(
    moxie: MoxieConfig,
    request: RunRequest,
    *,
    density_kg_m3: float,
    pressure_pa: float,
    temperature_k: float,
    step_s: float = DEFAULT_STEP_S,
) -> MoxieResult:
    """Simulate one MOXIE run in air of the given density [kg/m^3], pressure [Pa] and
    temperature [K] (held for the run).

    Raises `ScenarioError` (one line) when the setpoint is above the power supply's
    limit, when the run's peak draw exceeds its power limit, or on impossible air.
    """
    _check_air(density_kg_m3, pressure_pa, temperature_k)
    if not (math.isfinite(step_s) and 0.1 <= step_s <= 600.0):
        raise ScenarioError(
            f"MOXIE run: step_s = {format_number(step_s)} is out of range (0.1..600)"
        )
    c, sx, th, pw = moxie.compressor, moxie.soxe, moxie.thermal, moxie.power
    if request.o2_setpoint_g_per_h > pw.max_o2_rate_g_per_h:
        raise ScenarioError(
            f"MOXIE run: o2_setpoint_g_per_h = {format_number(request.o2_setpoint_g_per_h)} is "
            f"out of range (0..{format_number(pw.max_o2_rate_g_per_h)}, the power supply's "
            "limit power.max_o2_rate_g_per_h)"
        )
    production_s = request.production_min * 60.0
    n_warm = math.ceil(moxie.warmup_s / step_s)  # ends with the step that reaches 800 °C
    n_prod = math.ceil(production_s / step_s)
    time_s: NDArray[np.float64] = np.arange(n_warm + n_prod, dtype=np.float64) * step_s
    producing = np.arange(n_warm + n_prod) >= n_warm
    t_prod = np.where(producing, time_s - n_warm * step_s, 0.0) + 0.5 * step_s  # step midpoints

    # Warm-up: the first-order lag toward T_eq, the step's mean temperature.
    t_eq = th.start_temperature_k + th.heater_max_w / th.conductance_w_per_k
    tau = th.heat_capacity_j_per_k / th.conductance_w_per_k
    t_mid = time_s + 0.5 * step_s
    warm_t = t_eq - (t_eq - th.start_temperature_k) * np.exp(-t_mid / tau)
    stack_t = np.where(producing, sx.operating_temperature_k, warm_t)
    stack_t = np.minimum(stack_t, sx.operating_temperature_k)

    # Production: current = min(ramped setpoint, power supply, CO2 flow limit).
    cells = sx.cells
    i_set = _current_for_rate_a(request.o2_setpoint_g_per_h, cells)
    ramp: NDArray[np.float64] | float = (
        np.clip(t_prod / sx.current_ramp_s, 0.0, 1.0) if sx.current_ramp_s > 0 else 1.0
    )
    i_wanted = np.where(producing, i_set * ramp, 0.0)
    co2_wanted_mol_s = 2.0 * o2_rate_mol_s(i_wanted, cells) / sx.target_utilisation
    air_wanted = co2_wanted_mol_s * MOLAR_MASS_CO2_KG / c.co2_mass_fraction
    air_max = c.max_air_flow_kg_s(density_kg_m3)
    air = np.where(producing, np.minimum(air_wanted, air_max), 0.0)
    rpm = c.max_speed_rpm * air / air_max
    co2_in = air * c.co2_mass_fraction
    i_flow = sx.max_utilisation * 2.0 * FARADAY_C_PER_MOL * (co2_in / MOLAR_MASS_CO2_KG) / cells
    current: NDArray[np.float64] = np.minimum(np.minimum(i_wanted, moxie.max_current_a), i_flow)
    o2_mol = o2_rate_mol_s(current, cells)
    o2 = o2_mol * MOLAR_MASS_O2_KG
    co2_in_mol = co2_in / MOLAR_MASS_CO2_KG
    utilisation = np.divide(
        2.0 * o2_mol, co2_in_mol, out=np.zeros_like(o2_mol), where=co2_in_mol > 0
    )

    # Power: electronics + compressor + heater + stack.
    work = air * R_GAS_MARS * temperature_k * math.log(c.outlet_pressure_pa / pressure_pa)
    compressor_w = c.idle_power_w * rpm / c.max_speed_rpm + work / c.isothermal_efficiency
    volts = sx.open_circuit_v_per_cell + current * sx.cell_resistance_ohm
    stack_w = cells * current * volts
    loss_w = th.conductance_w_per_k * (sx.operating_temperature_k - th.start_temperature_k)
    hold_w = loss_w + cells * current * (sx.thermoneutral_v_per_cell - volts)
    heater_w = np.where(producing, np.clip(hold_w, 0.0, th.heater_max_w), th.heater_max_w)
    power = pw.electronics_w + compressor_w + heater_w + stack_w

    limit = request.power_limit_w if request.power_limit_w is not None else pw.limit_w
    peak_power = float(power.max())
    if peak_power > limit:
        field = "power_limit_w" if request.power_limit_w is not None else "power.limit_w"
        raise ScenarioError(
            f"MOXIE run at LMST {request.start_lmst_hours:g} h: it draws {peak_power:.0f} W at "
            f"its peak, above {field} = {format_number(limit)} W; lower o2_setpoint_g_per_h "
            "or raise the limit"
        )
    start_s = request.start_lmst_hours * LMST_HOUR_S
    if start_s + n_warm * step_s + production_s > SOL_S:
        raise ScenarioError(
            f"MOXIE run at LMST {request.start_lmst_hours:g} h lasts "
            f"{(n_warm * step_s + production_s) / 60:.0f} min and would cross midnight: "
            "start it earlier or split it"
        )

    dt = np.full(time_s.size, step_s)
    dt[-1] = production_s - (n_prod - 1) * step_s  # the warm-up is whole steps
    grams = float((o2 * dt).sum()) * 1e3
    leak_kg = sx.impurity_leak_g_per_h / G_PER_H_PER_KG_S * float(dt[producing].sum())
    purity = grams / (grams + leak_kg * 1e3) if grams > 0 else 0.0
    last = int(np.flatnonzero(producing)[-1])
    limited = _limited_by(i_wanted[last], i_set, moxie.max_current_a, i_flow[last])
    series = MoxieSeries(
        time_s, dt, producing, stack_t, current, rpm, co2_in, o2, utilisation, power
    )
    summary = MoxieSummary(
        start_s=start_s,
        warmup_s=n_warm * step_s,
        production_s=production_s,
        grams=grams,
        peak_g_per_h=float(o2.max()) * G_PER_H_PER_KG_S,
        purity=purity,
        energy_j=float((power * dt).sum()),
        peak_power_w=peak_power,
        limited_by=limited,
    )
    return MoxieResult(series, summary)


def _limited_by(i_wanted: float, i_set: float, i_psu: float, i_flow: float) -> str:
    if min(i_psu, i_flow) < i_wanted:
        return "power_supply" if i_psu <= i_flow else "co2_flow"
    return "setpoint" if i_wanted >= i_set * (1 - 1e-9) else "ramp"


def save_run(result: MoxieResult, path: str | os.PathLike[str]) -> Path:
    """Write a run as Parquet: one row per step (time, phase, temperature, current,
    compressor speed, CO2 inflow, O2 rate, power), the summary in the schema's metadata
    (key ``moxie``, JSON). Atomic: nothing half-written."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    s = result.series
    table = pa.table(
        {
            "time_s": s.time_s,
            "dt_s": s.dt_s,
            "producing": s.producing,
            "stack_temperature_k": s.stack_temperature_k,
            "current_a": s.current_a,
            "compressor_rpm": s.compressor_rpm,
            "co2_inflow_kg_s": s.co2_inflow_kg_s,
            "o2_rate_kg_s": s.o2_rate_kg_s,
            "utilisation": s.utilisation,
            "power_w": s.power_w,
        }
    )
    summary = asdict(result.summary)
    table = table.replace_schema_metadata({"moxie": json.dumps(summary)})
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    out = Path(path)
    write_atomic(out, buffer.getvalue())
    return out
