"""The MOXIE campaign in the mission: each run requested on its sol, flown in the sol's
air, and recorded as a row and a time series.

The scenario's ``[moxie]`` names the instrument file whose ``[[campaign]]`` the mission
flies (`perseverance.rover.moxie`): each run with ``sol <= last_sol`` is asked of the
planner on its sol at its LMST (`moxie_requests`), with the duration (warm-up and
production) and mean power of the same run simulated in the campaign table's air, so
the plan is known before the sol. When its slot runs, `MoxieOperator` simulates it in
the air the weather model gives at its start (`perseverance.weather`: density,
pressure, temperature; the one weather source), puts its warm-up and production in the
sol's energy budget at their own mean powers, writes its time series as Parquet
(`rover.moxie.save_run`) under ``moxie/sol_NNNN/`` (a ``moxie_series`` product) and its
summary as a ``moxie_runs`` row. A run that cannot be flown in that air (its peak draw
above its power limit) is an activity ``failed`` with its reason; the mission goes on.

`check_campaign` refuses, before a run starts, a campaign run inside the mission that
falls in the solar conjunction (MOXIE does not run then: it is commanded) or whose draw
exceeds its power limit in the campaign's own air: one line naming the run's field.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from perseverance.errors import ScenarioError
from perseverance.mars.constants import LMST_HOUR_S
from perseverance.mission.clock import MissionClock, lmst_text
from perseverance.mission.request_details import MoxieRun, RequestDetail
from perseverance.mission.scenario import Scenario
from perseverance.mission.sol_files import MOXIE_DIR, sol_dir
from perseverance.mission.sol_planner import Request, Slot
from perseverance.rover.moxie import CampaignRun, MoxieConfig, MoxieResult, save_run, simulate_run
from perseverance.rover.power import PowerActivity, PowerConfig
from perseverance.weather.model import Weather

__all__ = [
    "MOXIE_PRIORITY",
    "FlownRun",
    "MoxieOperator",
    "check_campaign",
    "moxie_requests",
    "planned_run",
]

#: The request kind and power-table activity of a MOXIE run.
KIND = "moxie"
#: Margin on a run's planned mean power (E): the weather's air differs from the
#: campaign table's (by ~0.3 % of the energy in the default mission); a flown run that
#: would draw more than planned is refused (`MoxieOperator.fly`).
PLAN_MARGIN = 1.05
#: Downlink priority of a run's time series (E: engineering-science data, after thumbnails).
MOXIE_PRIORITY = 30


def _label(run: CampaignRun) -> str:
    return f"MOXIE run {run.run}"


def planned_run(moxie: MoxieConfig, run: CampaignRun) -> MoxieResult:
    """The run simulated in the campaign table's own air (what the plan assumes)."""
    return simulate_run(
        moxie,
        run,
        density_kg_m3=run.density_kg_m3,
        pressure_pa=run.pressure_pa,
        temperature_k=run.temperature_k,
    )


def flown_runs(scenario: Scenario, moxie: MoxieConfig | None) -> list[CampaignRun]:
    """The campaign runs the mission flies (those on or before its last sol)."""
    if scenario.moxie is None or moxie is None:
        return []
    return [r for r in moxie.campaign if r.sol <= scenario.last_sol]


def check_campaign(scenario: Scenario, moxie: MoxieConfig | None) -> None:
    """Refuse a flown run in the conjunction, or one that cannot be flown in its own air
    (over its power limit, past midnight: one-line `ScenarioError` naming the field)."""
    c = scenario.conjunction
    for run in flown_runs(scenario, moxie):
        assert moxie is not None and scenario.moxie is not None
        where = f"{scenario.moxie.instrument}.toml campaign run {run.run}"
        if scenario.is_conjunction(run.sol):
            raise ScenarioError(
                f"{where}: sol = {run.sol} is in the solar conjunction (sols "
                f"{c.first_sol}..{c.last_sol}), when MOXIE is not commanded: move it outside"
            )
        try:
            planned_run(moxie, run)
        except ScenarioError as exc:
            raise ScenarioError(f"{where}: {exc}") from None


def moxie_requests(
    sol: int, scenario: Scenario, moxie: MoxieConfig | None, power: PowerConfig
) -> list[Request[RequestDetail]]:
    """The MOXIE runs asked of the planner on ``sol`` (fixed at their LMST)."""
    runs = [r for r in flown_runs(scenario, moxie) if r.sol == sol]
    if not runs:
        return []
    spec = power.activities[KIND]
    out: list[Request[RequestDetail]] = []
    for run in runs:
        assert moxie is not None
        plan = planned_run(moxie, run).summary
        start_h = plan.start_s / LMST_HOUR_S
        end_h = min((plan.start_s + plan.duration_s) / LMST_HOUR_S, 24.0)
        out.append(
            Request(
                KIND,
                _label(run),
                (start_h, end_h),
                plan.duration_s,
                PLAN_MARGIN * plan.energy_j / plan.duration_s,
                awake=spec.awake,
                exclusive=False,
                priority=1,
                fixed_start_s=plan.start_s,
                detail=MoxieRun(run),
            )
        )
    return out


@dataclass(frozen=True)
class FlownRun:
    """What a flown run adds to its sol: the activity row, its loads for the energy
    budget (warm-up and production), the ``moxie_runs`` row, the series product and an
    event."""

    activity: dict[str, Any]
    loads: tuple[PowerActivity, ...]
    row: dict[str, Any]
    product: dict[str, Any]
    event: dict[str, Any]


class MoxieOperator:
    """Flies the sol's MOXIE runs in the weather's air and records them."""

    def __init__(
        self, moxie: MoxieConfig, weather: Weather, clock: MissionClock, run_folder: Path
    ) -> None:
        self.moxie = moxie
        self.weather = weather
        self.clock = clock
        self.run_folder = run_folder

    def air(self, sol: int, lmst_s: float) -> dict[str, float]:
        """Density [kg/m^3], pressure [Pa] and temperature [K] at 1.45 m at ``lmst_s``."""
        w = self.weather.at(self.clock.utc(sol, lmst_s))
        return {
            "density_kg_m3": w["density_kg_m3"],
            "pressure_pa": w["pressure_pa"],
            "temperature_k": w["air_temperature_k"],
        }

    def fly(self, sol: int, slot: Slot[RequestDetail], detail: MoxieRun) -> FlownRun:
        """Fly the run of ``slot`` in the air at its start; `ScenarioError` (one line) if it
        cannot be flown in that air (the runner records the activity as failed)."""
        run, name = detail.run, slot.request.name
        assert slot.start_s is not None
        air = self.air(sol, slot.start_s)
        try:
            result = simulate_run(self.moxie, run, **air)
        except ScenarioError as exc:
            raise ScenarioError(f"{name}: {exc}") from None
        s = result.summary
        planned_j = slot.request.power_w * slot.request.duration_s
        if s.energy_j > planned_j:
            raise ScenarioError(
                f"{name}: it would draw {s.energy_j / 3.6e6:.3f} kWh in the sol's air, more than "
                f"the {planned_j / 3.6e6:.3f} kWh planned"
            )
        activity = {
            "kind": KIND,
            "name": name[:128],
            "start_s": s.start_s,
            "duration_s": s.duration_s,
            "energy_j": s.energy_j,
            "outcome": "done",
        }
        event = {
            "name": "moxie_run",
            "sol": sol,
            "payload": {"run": run.run, "grams": round(s.grams, 3),
                        "peak_g_per_h": round(s.peak_g_per_h, 3)},
        }  # fmt: skip
        return FlownRun(
            activity=activity,
            loads=tuple(result.power_activities(name)),
            row=_row(run, name, result, air["density_kg_m3"]),
            product=self._series(sol, run, name, result),
            event=event,
        )

    def _series(self, sol: int, run: CampaignRun, name: str, result: MoxieResult) -> dict[str, Any]:
        """The run's time series as Parquet (a ``moxie_series`` product row; a failure is
        a failed row with no file)."""
        folder = sol_dir(MOXIE_DIR, sol)
        rel = f"{folder}/run_{run.run:02d}.parquet"
        row: dict[str, Any] = {
            "kind": "moxie_series",
            "sol": sol,
            "path": rel,
            "priority": MOXIE_PRIORITY,
            "name": name,
            "instrument": "MOXIE",
            "lmst": lmst_text(result.summary.start_s),
        }
        try:
            (self.run_folder / folder).mkdir(parents=True, exist_ok=True)
            path = save_run(result, self.run_folder / rel)
        except Exception as exc:  # the run is recorded; only its file is missing
            return row | {"status": "failed", "reason": _reason(exc)}
        return row | {"bytes": path.stat().st_size}


def _row(run: CampaignRun, name: str, result: MoxieResult, density: float) -> dict[str, Any]:
    s = result.summary
    return {
        "run": run.run,
        "name": name[:128],
        "start_s": s.start_s,
        "warmup_s": s.warmup_s,
        "production_s": s.production_s,
        "grams": s.grams,
        "peak_g_per_h": s.peak_g_per_h,
        "purity": s.purity,
        "energy_j": s.energy_j,
        "peak_power_w": s.peak_power_w,
        "limited_by": s.limited_by,
        "density_kg_m3": density,
    }


def _reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:500]
