"""The scenario's checks against the power and caching data given in the validation context."""

from __future__ import annotations

import tomllib
from importlib import resources

import pytest

from perseverance.errors import ConfigError
from perseverance.mission.scenario import parse_scenario
from perseverance.mission.scenario_checks import ScenarioData, activity_kinds, packaged_data

RAW = tomllib.loads(
    resources.files("perseverance.data.scenarios").joinpath("default.toml").read_text("utf-8")
)


def test_the_packaged_data_is_the_default():
    assert parse_scenario(RAW) == parse_scenario(RAW, models=packaged_data())


def test_a_smaller_depot_in_the_caching_data_refuses_the_scenario():
    data = packaged_data()
    depot = data.caching.depot.model_copy(update={"tubes": 5})
    caching = data.caching.model_copy(update={"depot": depot})
    with pytest.raises(ConfigError, match="tubes are marked for the depot; it holds 5"):
        parse_scenario(RAW, "s.toml", ScenarioData(data.power, caching))


def test_a_kind_missing_from_the_power_data_is_unknown():
    data = packaged_data()
    activities = {k: v for k, v in data.power.activities.items() if k != "dte_xband"}
    power = data.power.model_copy(update={"activities": activities})
    assert "dte_xband" in activity_kinds(data.power) and "dte_xband" not in activity_kinds(power)
    with pytest.raises(ConfigError, match="unknown activity kind 'dte_xband'"):
        parse_scenario(RAW, "s.toml", ScenarioData(power, data.caching))


def test_the_crumbled_core_counts_as_caching_data_says():
    data = packaged_data()
    failures = data.caching.failures.model_copy(update={"keep_crumbled_as_atmospheric": False})
    caching = data.caching.model_copy(update={"failures": failures})
    with pytest.raises(ConfigError, match="only 9 marked depot = true are sealed before sol 653"):
        parse_scenario(RAW, "s.toml", ScenarioData(data.power, caching))


def test_a_shortened_scenario_keeps_its_data():
    data = packaged_data()
    activities = dict(data.power.activities) | {"helicopter": data.power.activities["moxie"]}
    power = data.power.model_copy(update={"activities": activities})
    flight = {"kind": "helicopter", "duration_s": 60.0, "skip_conjunction": True}
    raw = RAW | {"recurring": [*RAW["recurring"], flight]}
    with pytest.raises(ConfigError, match="unknown activity kind 'helicopter'"):
        parse_scenario(raw)
    short = parse_scenario(raw, "s.toml", ScenarioData(power, data.caching)).with_last_sol(300)
    assert short.last_sol == 300 and short.recurring[-1].kind == "helicopter"


def test_the_conjunction_sols_are_checked_against_the_ephemeris():
    from datetime import UTC, datetime

    from perseverance.mission.scenario_checks import conjunction_problem

    landing = datetime(2021, 2, 18, 20, 43, 49, tzinfo=UTC)  # Mars 2020 touchdown
    assert conjunction_problem(217, 235, landing, 77.45) is None  # NASA: sols 217-235 (B)
    problem = conjunction_problem(200, 235, landing, 77.45)
    assert (
        problem == "conjunction sols 200-235 differ from the ephemeris 217-234 by more than 2 sols"
    )
    assert "no solar conjunction" in conjunction_problem(500, 520, landing, 77.45)
