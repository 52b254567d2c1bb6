"""The MOXIE campaign inside the mission: requests on their sols, runs in the weather's air,
and the campaigns a mission refuses (docs/reference/instruments.md §3)."""

from __future__ import annotations

from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from perseverance.cli import app
from perseverance.errors import ScenarioError
from perseverance.mars.constants import LMST_HOUR_S
from perseverance.mission.clock import MissionClock
from perseverance.mission.moxie_runs import (
    MoxieOperator,
    check_campaign,
    flown_runs,
    moxie_requests,
)
from perseverance.mission.request_details import MoxieRun
from perseverance.mission.scenario import load_scenario
from perseverance.mission.sol_planner import Slot, SlotOutcome
from perseverance.rover.moxie import load_moxie
from perseverance.rover.power import load_power
from perseverance.weather.model import Weather

SCENARIO = load_scenario("default")
MOXIE = load_moxie()
#: The landing (docs/reference/edl.md: touchdown 2021-02-18 20:55 UTC at 77.45 E).
LANDING = datetime(2021, 2, 18, 20, 55, 28, tzinfo=UTC)
LONGITUDE_E = 77.45
#: Runs 1-12 fall in the default 700 sols (moxie.toml's campaign).
RUNS_IN_700_SOLS = 12


def _with_run(number: int, **update: object):
    campaign = [r.model_copy(update=update) if r.run == number else r for r in MOXIE.campaign]
    return MOXIE.model_copy(update={"campaign": campaign})


def test_the_default_mission_flies_runs_1_to_12_outside_the_conjunction():
    runs = flown_runs(SCENARIO, MOXIE)
    assert [r.run for r in runs] == list(range(1, RUNS_IN_700_SOLS + 1))
    check_campaign(SCENARIO, MOXIE)  # raises on a problem
    assert flown_runs(SCENARIO.with_last_sol(65), MOXIE) == runs[:1]


def test_a_run_is_requested_on_its_sol_at_its_lmst():
    power = load_power()
    (request,) = moxie_requests(60, SCENARIO, MOXIE, power)
    assert request.fixed_start_s == pytest.approx(10.0 * LMST_HOUR_S)
    assert not request.exclusive and isinstance(request.detail, MoxieRun)
    assert request.detail.run.run == 1
    assert 300.0 >= request.power_w > 100.0  # the mean with a 5 % margin (~300 W peak, C)
    assert moxie_requests(61, SCENARIO, MOXIE, power) == []


def test_a_run_in_the_conjunction_is_refused_naming_it():
    moved = _with_run(5, sol=223)
    with pytest.raises(ScenarioError) as info:
        check_campaign(SCENARIO, moved)
    message = str(info.value)
    assert "\n" not in message
    assert "campaign run 5: sol = 223 is in the solar conjunction (sols 217..235)" in message


def test_a_run_over_its_power_limit_is_refused_naming_it():
    with pytest.raises(ScenarioError, match=r"campaign run 1: .*power_limit_w = 100"):
        check_campaign(SCENARIO, _with_run(1, power_limit_w=100.0))


def _operator(tmp_path: Path, moxie=MOXIE) -> MoxieOperator:
    return MoxieOperator(moxie, Weather(0), MissionClock(LANDING, LONGITUDE_E), tmp_path)


def _slot(moxie, sol: int, number: int, start_h: float | None = None):
    run = next(r for r in moxie.campaign if r.run == number)
    if start_h is not None:
        run = run.model_copy(update={"start_lmst_hours": start_h})
    (request,) = [
        r
        for r in moxie_requests(run.sol, SCENARIO, moxie, load_power())
        if r.detail.run.run == number
    ] or [None]
    assert request is not None
    slot = Slot(request, run.start_lmst_hours * LMST_HOUR_S, SlotOutcome.PLANNED)
    return slot, MoxieRun(run)


def test_a_flown_run_makes_its_row_series_and_loads(tmp_path):
    slot, detail = _slot(MOXIE, 60, 1)
    flown = _operator(tmp_path).fly(60, slot, detail)
    row = flown.row
    assert row["run"] == 1 and row["grams"] == pytest.approx(5.4, rel=0.05)  # 5.4 g (B)
    assert 0.98 <= row["purity"] <= 1.0  # >= 98 % (A)
    assert sum(a.energy_j for a in flown.loads) == pytest.approx(row["energy_j"])
    assert flown.activity["energy_j"] == pytest.approx(row["energy_j"])
    table = pq.read_table(tmp_path / flown.product["path"])
    assert flown.product.get("status", "ok") == "ok" and table.num_rows > 100
    rate_g_per_h = table.column("o2_rate_kg_s").to_numpy() * 3.6e6
    assert rate_g_per_h.max() == pytest.approx(row["peak_g_per_h"])
    assert 0.012 < row["density_kg_m3"] < 0.025  # the weather's air at Jezero


def test_the_same_run_makes_more_in_the_night_air_than_at_noon(tmp_path):
    # At the power supply's 12 g/h the thin noon air limits the CO2 flow; the night's does not.
    made = {}
    for start_h in (1.0, 12.0):
        moxie = _with_run(11, start_lmst_hours=start_h, o2_setpoint_g_per_h=12.0)
        made[start_h] = _operator(tmp_path, moxie).fly(630, *_slot(moxie, 630, 11)).row
    night, noon = made[1.0], made[12.0]
    assert night["density_kg_m3"] > noon["density_kg_m3"]
    assert night["grams"] > noon["grams"] and noon["limited_by"] == "co2_flow"


def test_a_run_that_cannot_fly_in_the_sols_air_is_one_line(tmp_path):
    tight = _with_run(1, power_limit_w=230.0)  # enough in the table's air, not in noon's
    slot, detail = _slot(MOXIE, 60, 1)
    detail = MoxieRun(next(r for r in tight.campaign if r.run == 1))
    op = _operator(tmp_path, tight)
    try:
        op.fly(60, slot, detail)
    except ScenarioError as exc:
        assert "MOXIE run 1: " in str(exc) and "\n" not in str(exc)
    tight = _with_run(1, power_limit_w=50.0)
    with pytest.raises(ScenarioError, match=r"MOXIE run 1: .*power_limit_w = 50"):
        _operator(tmp_path, tight).fly(60, slot, MoxieRun(tight.campaign[0]))


def test_the_mission_refuses_a_campaign_in_the_conjunction_writing_nothing(tmp_path):
    text = resources.files("perseverance.data.instruments").joinpath("moxie.toml").read_text()
    old = "run = 5\nsol = 244"
    assert old in text
    moxie = tmp_path / "moxie.toml"
    moxie.write_text(text.replace(old, "run = 5\nsol = 223"))
    scenario_text = resources.files("perseverance.data.scenarios").joinpath("default.toml")
    scenario = tmp_path / "s.toml"
    scenario.write_text(
        scenario_text.read_text().replace('instrument = "moxie"', f'instrument = "{moxie}"')
    )
    runs = tmp_path / "runs"
    result = CliRunner().invoke(
        app, ["mission", "--scenario", str(scenario), "--runs-dir", str(runs)]
    )
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "sol = 223 is in the solar conjunction" in lines[0]
    assert "Traceback" not in result.output and not runs.exists()
