"""perseverance.rover.moxie: Faraday's law, the density limit, the 16-run campaign against
the published figures (docs/reference/instruments.md §3), power, and bad input."""

from __future__ import annotations

import math
from datetime import datetime
from importlib import resources

import numpy as np
import pytest

from perseverance.errors import ConfigError, ScenarioError
from perseverance.mars.constants import R_GAS_MARS
from perseverance.mars.time import mission_sol
from perseverance.rover.moxie import (
    CampaignRun,
    MoxieResult,
    RunRequest,
    load_moxie,
    o2_rate_mol_s,
    save_run,
    simulate_run,
)
from perseverance.rover.power import load_power, simulate_sol
from perseverance.terrain.site import load_site

#: Published figures (docs/reference/instruments.md §3; surface.md "MOXIE").
FIRST_RUN_G = 5.4  # sol 60, "in about an hour" (B)
FIRST_RUN_SOL = 60
RUNS = 16  # (B)
TOTAL_G = 122.0  # (B)
RUNS_2021 = 7  # (A)
TOTAL_2021_G = 49.9  # (A/C)
RUN_2021_RANGE_G = (5.4, 8.9)  # (A/C)
BY_JUNE_2023_G = 106.0  # (C)
BY_JUNE_2023_MIN = 1083.0  # (C)
FINAL_RUN_G = 9.8  # (B)
BEST_RATE_G_PER_H = 12.0  # the power supply's limit (B)
MIN_PURITY = 0.98  # (B)
MOXIE_POWER_W = 300.0  # "~300 W" (C)
#: Tolerances.
TEN_PERCENT = 0.10
FIVE_PERCENT = 0.05
HALF_A_GRAM = 0.5

#: Night and noon air at Jezero in northern spring (E: ~690 Pa, 190 K and 250 K;
#: docs/reference/instruments.md §4, -83 °C pre-dawn to -22 °C afternoon).
NIGHT = {"pressure_pa": 690.0, "temperature_k": 190.0}
NOON = {"pressure_pa": 690.0, "temperature_k": 250.0}


def _density(air: dict[str, float]) -> float:
    return air["pressure_pa"] / (R_GAS_MARS * air["temperature_k"])


@pytest.fixture(scope="module")
def moxie():
    return load_moxie()


@pytest.fixture(scope="module")
def campaign(moxie) -> list[tuple[CampaignRun, MoxieResult]]:
    return [
        (
            run,
            simulate_run(
                moxie,
                run,
                density_kg_m3=run.density_kg_m3,
                pressure_pa=run.pressure_pa,
                temperature_k=run.temperature_k,
            ),
        )
        for run in moxie.campaign
    ]


def test_faraday_law_by_hand():
    # 10 cells at 2 A: 20 A of electrons / (4 x 96,485.332 C/mol) = 5.1822e-5 mol/s of O2,
    # x 31.998 g/mol x 3600 s/h = 5.970 g/h.
    rate = float(o2_rate_mol_s(2.0, 10))
    assert rate == pytest.approx(5.1822e-5, rel=1e-4)
    assert rate * 31.998 * 3600 == pytest.approx(5.970, abs=0.001)


def test_the_power_supply_limit_is_12_g_per_h_by_faraday(moxie):
    # 12 g/h = 1.0418e-4 mol/s; I = 4 F n / N = 4 x 96485.332 x 1.0418e-4 / 10 = 4.020 A.
    assert moxie.max_current_a == pytest.approx(4.020, abs=0.001)


def test_series_rate_is_faraday_of_its_current(moxie, campaign):
    _, result = campaign[0]
    s = result.series
    expected = o2_rate_mol_s(s.current_a, moxie.soxe.cells) * 31.998e-3
    assert np.allclose(s.o2_rate_kg_s, expected, rtol=1e-12)


def test_warm_up_to_800_c_takes_the_lumped_time(moxie, campaign):
    # C/G = 900/0.16 = 5625 s; T_eq = 253 + 210/0.16 = 1565.5 K;
    # t = 5625 ln((1565.5 - 253) / (1565.5 - 1073.15)) = 5515 s.
    assert moxie.warmup_s == pytest.approx(5515.3, abs=1.0)
    _, result = campaign[0]
    s = result.series
    assert result.summary.warmup_s == pytest.approx(5515.3, abs=10.0)  # whole 10 s steps
    assert s.stack_temperature_k[~s.producing].max() <= 1073.15
    assert np.all(s.stack_temperature_k[s.producing] == pytest.approx(1073.15))
    assert np.all(np.diff(s.stack_temperature_k[~s.producing]) > 0)


def test_night_run_makes_more_than_the_same_run_at_noon(moxie):
    request = RunRequest(start_lmst_hours=1.0, production_min=60.0, o2_setpoint_g_per_h=12.0)
    at_noon = request.model_copy(update={"start_lmst_hours": 11.0})
    night = simulate_run(moxie, request, density_kg_m3=_density(NIGHT), **NIGHT)
    noon = simulate_run(moxie, at_noon, density_kg_m3=_density(NOON), **NOON)
    assert night.summary.grams > noon.summary.grams * 1.1
    assert night.summary.peak_g_per_h == pytest.approx(BEST_RATE_G_PER_H, abs=0.01)
    assert noon.summary.limited_by == "co2_flow"
    # Noon air supports u_max x 2F x inflow / N: the rate is in proportion to the density.
    assert noon.summary.peak_g_per_h / BEST_RATE_G_PER_H < _density(NOON) / _density(NIGHT) + 0.1


def test_the_current_never_exceeds_what_the_inflow_supports(moxie, campaign):
    for _, result in campaign:
        assert result.series.utilisation.max() <= moxie.soxe.max_utilisation + 1e-12


def test_campaign_has_16_runs_and_makes_122_g(campaign):
    assert len(campaign) == RUNS
    total = sum(r.summary.grams for _, r in campaign)
    assert total == pytest.approx(TOTAL_G, rel=FIVE_PERCENT)


def test_first_run_sol_60_makes_5_4_g_in_about_an_hour(campaign):
    run, result = campaign[0]
    assert run.sol == FIRST_RUN_SOL
    assert result.summary.grams == pytest.approx(FIRST_RUN_G, rel=TEN_PERCENT)
    assert result.summary.production_s == pytest.approx(3600.0, rel=TEN_PERCENT)


def test_2021_campaign_seven_runs_of_5_4_to_8_9_g(campaign):
    in_2021 = [(run, r) for run, r in campaign if run.date_utc.year == 2021]
    assert len(in_2021) == RUNS_2021
    grams = [r.summary.grams for _, r in in_2021]
    assert sum(grams) == pytest.approx(TOTAL_2021_G, rel=FIVE_PERCENT)
    lo, hi = RUN_2021_RANGE_G
    assert all(lo - HALF_A_GRAM <= g <= hi + HALF_A_GRAM for g in grams)


def test_by_june_2023_106_g_in_1083_minutes(campaign):
    cutoff = datetime(2023, 6, 30).astimezone()
    early = [(run, r) for run, r in campaign if run.date_utc <= cutoff]
    assert sum(r.summary.grams for _, r in early) == pytest.approx(BY_JUNE_2023_G, rel=FIVE_PERCENT)
    minutes = sum(r.summary.production_s for _, r in early) / 60.0
    assert minutes == pytest.approx(BY_JUNE_2023_MIN, rel=FIVE_PERCENT)


def test_final_run_and_best_rate_and_purity(campaign):
    assert campaign[-1][1].summary.grams == pytest.approx(FINAL_RUN_G, rel=TEN_PERCENT)
    peaks = [r.summary.peak_g_per_h for _, r in campaign]
    assert max(peaks) == pytest.approx(BEST_RATE_G_PER_H, abs=0.01)
    later = [r.summary.peak_g_per_h for run, r in campaign if run.date_utc.year >= 2022]
    assert sum(10.0 <= p <= 12.0 for p in later) >= 3  # "later 10-12 g/h"
    assert all(r.summary.purity >= MIN_PURITY for _, r in campaign)


def test_campaign_sols_match_their_dates():
    site = load_site("jezero").landing_site
    for run in load_moxie().campaign:
        sol = mission_sol(run.date_utc, site.landing_utc, site.longitude_deg)
        assert abs(int(sol) - run.sol) <= 1, run.run


def test_runs_inside_the_default_700_sols(campaign):
    # Runs 1-12 (to sol 687) fall inside the default mission; 13-16 (2023) after it.
    inside = [(run, r) for run, r in campaign if run.sol <= 700]
    assert [run.run for run, _ in inside] == list(range(1, 13))
    made = sum(r.summary.grams for _, r in inside)
    assert made == pytest.approx(sum(run.grams_published for run, _ in inside), rel=0.02)
    assert made == pytest.approx(85.6, abs=0.5)


def test_power_draw_and_activities_fit_the_energy_plan(moxie, campaign):
    _, result = campaign[0]
    assert result.summary.peak_power_w == pytest.approx(MOXIE_POWER_W, rel=0.2)
    activities = result.power_activities()
    assert [a.name for a in activities] == ["moxie warm-up", "moxie production"]
    assert sum(a.energy_j for a in activities) == pytest.approx(result.summary.energy_j)
    assert activities[1].start_s == pytest.approx(activities[0].end_s)
    assert load_power().activities["moxie"].power_w == MOXIE_POWER_W
    config = load_power()
    budget = simulate_sol(config, config.capacity_j, activities, "2021-04-20T12:00:00Z")
    assert budget.min_charge_j < config.capacity_j  # the run drew on the batteries


def _one_line(info: pytest.ExceptionInfo) -> str:
    message = str(info.value)
    assert message and "\n" not in message
    return message


def test_a_run_over_its_power_limit_is_one_line(moxie):
    request = RunRequest(
        start_lmst_hours=1.0, production_min=60.0, o2_setpoint_g_per_h=12.0, power_limit_w=200.0
    )
    with pytest.raises(ScenarioError) as info:
        simulate_run(moxie, request, density_kg_m3=_density(NIGHT), **NIGHT)
    assert "power_limit_w = 200" in _one_line(info)


def test_a_setpoint_above_the_power_supply_is_one_line(moxie):
    request = RunRequest(start_lmst_hours=1.0, production_min=60.0, o2_setpoint_g_per_h=15.0)
    with pytest.raises(ScenarioError) as info:
        simulate_run(moxie, request, density_kg_m3=_density(NIGHT), **NIGHT)
    assert "o2_setpoint_g_per_h = 15" in _one_line(info)


def test_a_run_crossing_midnight_is_one_line(moxie):
    request = RunRequest(start_lmst_hours=23.0, production_min=60.0, o2_setpoint_g_per_h=6.0)
    with pytest.raises(ScenarioError) as info:
        simulate_run(moxie, request, density_kg_m3=_density(NIGHT), **NIGHT)
    assert "midnight" in _one_line(info)


def test_impossible_air_is_one_line(moxie):
    request = RunRequest(start_lmst_hours=1.0, production_min=60.0, o2_setpoint_g_per_h=6.0)
    with pytest.raises(ScenarioError) as info:
        simulate_run(moxie, request, density_kg_m3=-0.01, pressure_pa=700.0, temperature_k=200.0)
    assert "density_kg_m3 = -0.01" in _one_line(info)


def _edited(tmp_path, old: str, new: str) -> str:
    text = resources.files("perseverance.data.instruments").joinpath("moxie.toml").read_text()
    assert old in text
    path = tmp_path / "moxie.toml"
    path.write_text(text.replace(old, new, 1))
    return str(path)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("swept_volume_m3 = 2.24e-5", "swept_volume_m3 = -2.24e-5", "compressor.swept_volume_m3"),
        ("cells = 10", "cells = 0", "soxe.cells = 0 is out of range (1..100)"),
        ("target_utilisation = 0.3", "target_utilisation = 0.7", "exceeds max_utilisation"),
        ("heater_max_w = 210.0", "heater_max_w = 50.0", "cannot reach"),
        (
            'season = "northern summer"',
            'season = "northern winter"',
            "campaign.4: season = 'northern winter'",
        ),
        ("grams_published = 9.8", "grams_published = nan", "not a finite number"),
        ("max_speed_rpm = 3500.0", 'max_speed_rpm = "fast"', "compressor.max_speed_rpm"),
    ],
)
def test_bad_data_file_values_are_one_line(tmp_path, old, new, expected):
    with pytest.raises(ConfigError) as info:
        load_moxie(_edited(tmp_path, old, new))
    message = _one_line(info)
    assert expected in message
    assert "moxie.toml" in message


def test_repr_says_what_the_run_made(campaign):
    assert repr(campaign[0][1]).startswith("MoxieResult(5.5")
    assert math.isfinite(campaign[0][1].summary.start_lmst_hours)


def test_a_run_is_saved_as_parquet_with_its_summary(campaign, tmp_path):
    import json

    import pyarrow.parquet as pq

    _, result = campaign[0]
    path = save_run(result, tmp_path / "moxie_run01.parquet")
    table = pq.read_table(path)
    assert table.num_rows == result.series.time_s.size
    grams = float(np.sum(table.column("o2_rate_kg_s").to_numpy() * table.column("dt_s").to_numpy()))
    assert grams * 1e3 == pytest.approx(result.summary.grams)
    summary = json.loads(table.schema.metadata[b"moxie"])
    assert summary["grams"] == pytest.approx(result.summary.grams)
    assert [p.name for p in tmp_path.iterdir()] == ["moxie_run01.parquet"]
