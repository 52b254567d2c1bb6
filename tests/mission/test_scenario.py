"""perseverance.mission.scenario: the default scenario against the real mission, bad files."""

from __future__ import annotations

import copy
import tomllib
from collections import Counter
from importlib import resources

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from perseverance.errors import ConfigError, ScenarioError
from perseverance.mission.moxie_runs import flown_runs
from perseverance.mission.scenario import (
    MAX_SOLS,
    NEVER_IN_CONJUNCTION,
    Scenario,
    load_scenario,
    parse_scenario,
    procedure_duration_s,
)
from perseverance.rover.moxie import load_moxie
from perseverance.rover.sampling.caching import load_caching

# Figures from docs/reference/surface.md.
#: First drive: sol 14, 4 m + 2.5 m in 33 min (B).
FIRST_DRIVE_SOL, FIRST_DRIVE_M, FIRST_DRIVE_S = 14, 6.5, 33 * 60
#: Solar conjunction, no commanding (B).
CONJUNCTION_SOLS = (217, 235)
#: First sampling attempt, Roubion, sealed as atmospheric (B); the first witness tube (A/B).
ROUBION_SOL, WITNESS_1_SOL = 164, 120
#: Igneous cores on the crater floor, sols 194-377 (B).
IGNEOUS_SOLS = (194, 377)
#: Three Forks reached on sol 408 (B); sedimentary cores sols 490-631, regolith 634-639 (B).
DELTA_REACHED_SOL = 408
SEDIMENTARY_SOLS = (490, 631)
REGOLITH_SOLS = (634, 639)
#: Three Forks depot: sols 653-690, drops 12:48-14:36 LMST, 10 tubes (A: PDS).
DEPOT_SOLS = (653, 690)
DEPOT_LMST_HOURS = (12.8, 14.6)
DEPOT_COMPOSITION = {"rock": 7, "regolith": 1, "atmospheric": 1, "witness": 1}
#: Delta scarp ~2.25 km from the landing site (B), bearing 292.5 deg (E: jezero.toml).
DELTA_DISTANCE_M, DELTA_BEARING_DEG = 2250.0, 292.5
ONE_METRE, ONE_DEGREE = 1.0, 1.0
#: MEDA wakes every hour, regular from sol 15 (A); 2-6 relay passes a sol (B).
MEDA_FROM_SOL, RELAY_PER_SOL = 15, (2, 6)
#: MOXIE: first run sol 60 (B); 7 runs in 2021 (A); 16 in all (B). 2021 ends on sol 307.
MOXIE_FIRST_SOL, MOXIE_2021_RUNS, MOXIE_RUNS, LAST_SOL_OF_2021 = 60, 7, 16, 307

SCENARIO = load_scenario()
RAW = tomllib.loads(
    resources.files("perseverance.data.scenarios").joinpath("default.toml").read_text("utf-8")
)


def _kind(scenario: Scenario, kind: str):
    return [p for p in scenario.planned() if p.activity.kind == kind]


def _named(scenario: Scenario, text: str):
    found = [p for p in scenario.planned() if text in p.activity.name]
    assert found, text
    return found


# -- the default scenario follows the real mission -----------------------------------------


def test_default_loads_and_prints():
    assert SCENARIO.name == "default"
    assert SCENARIO.last_sol == 700
    assert SCENARIO.edl.vehicle == "m2020"
    assert repr(SCENARIO) == (
        "Scenario('default', sols 0..700, 9 phases, 62 activities, 21 sampling targets)"
    )


def test_phases_run_back_to_back_in_the_mission_order():
    assert list(SCENARIO.phases) == [
        "commissioning",
        "first_drive",
        "crater_floor",
        "solar_conjunction",
        "seitah",
        "delta_dash",
        "delta_front",
        "depot",
        "delta_top",
    ]
    assert SCENARIO.phase_range("commissioning") == (0, 13)
    assert SCENARIO.phase_range("solar_conjunction") == CONJUNCTION_SOLS
    assert SCENARIO.phase_range("depot") == DEPOT_SOLS
    assert SCENARIO.phase_range("delta_top")[1] == SCENARIO.last_sol
    names = [SCENARIO.phase_at(sol).name for sol in range(SCENARIO.last_sol + 1)]
    assert names[0] == "commissioning" and names[-1] == "delta_top"
    assert [n for i, n in enumerate(names) if i == 0 or names[i - 1] != n] == list(SCENARIO.phases)
    with pytest.raises(ScenarioError, match="outside"):
        SCENARIO.phase_at(SCENARIO.last_sol + 1)


def test_commissioning_follows_the_real_sols():
    assert {p.first_sol for p in _named(SCENARIO, "mast deploy")} == {2}
    assert {p.first_sol for p in _named(SCENARIO, "Navcam 360")} == {2}
    assert {p.first_sol for p in _named(SCENARIO, "Mastcam-Z panorama")} == {3}
    (software,) = _named(SCENARIO, "flight-software transition")
    assert software.first_sol == 4 and software.last_sol > 4
    (hga,) = _named(SCENARIO, "high-gain antenna")
    assert hga.first_sol >= 0 and hga.last_sol <= 5
    for checkout in ("arm checkout", "wheel wiggle"):
        assert all(p.last_sol < FIRST_DRIVE_SOL for p in _named(SCENARIO, checkout))


def test_first_drive_is_on_sol_14_and_a_few_metres():
    moving = [
        p
        for p in _kind(SCENARIO, "drive")
        if p.activity.to is not None or (p.activity.distance_m or 0) > 0
    ]
    first = min(moving, key=lambda p: p.first_sol)
    assert first.first_sol == first.last_sol == FIRST_DRIVE_SOL
    assert first.activity.distance_m == pytest.approx(FIRST_DRIVE_M)
    assert first.activity.duration_s == pytest.approx(FIRST_DRIVE_S)
    assert SCENARIO.phase_at(FIRST_DRIVE_SOL).name == "first_drive"


def test_crater_floor_sampling_starts_before_the_conjunction():
    targets = SCENARIO.sampling_targets()
    first_core = min((t for t in targets if t.kind == "core"), key=lambda t: t.sol)
    assert first_core.name == "Roubion" and first_core.sol == ROUBION_SOL
    assert first_core.phase == "crater_floor" and first_core.sol < CONJUNCTION_SOLS[0]
    assert first_core.failure == "crumble" and first_core.sample_type == "atmospheric"
    witness = [t for t in targets if t.kind == "witness"]
    assert witness[0].sol == WITNESS_1_SOL
    igneous = [t for t in targets if t.sample_type == "igneous"]
    assert min(t.sol for t in igneous) == IGNEOUS_SOLS[0]
    assert max(t.sol for t in igneous) == IGNEOUS_SOLS[1]
    assert len(igneous) == 8  # Montdenier ... Atsa (B)


def test_sedimentary_sampling_comes_after_reaching_the_delta():
    (dash,) = [p for p in _kind(SCENARIO, "drive") if p.phase == "delta_dash"]
    assert dash.activity.to == "three_forks" and dash.last_sol == DELTA_REACHED_SOL
    assert dash.activity.mode == "autonav"
    targets = SCENARIO.sampling_targets()
    sedimentary = [t.sol for t in targets if t.sample_type == "sedimentary"]
    regolith = [t.sol for t in targets if t.sample_type == "regolith"]
    assert (min(sedimentary), max(sedimentary)) == SEDIMENTARY_SOLS
    assert (min(regolith), max(regolith)) == REGOLITH_SOLS
    assert min(sedimentary) > DELTA_REACHED_SOL
    assert all(t.sol < DELTA_REACHED_SOL for t in targets if t.sample_type == "igneous")


def test_depot_holds_ten_tubes_of_the_published_composition():
    (depot,) = _kind(SCENARIO, "depot")
    assert (depot.first_sol, depot.last_sol) == DEPOT_SOLS
    assert depot.activity.total == load_caching().depot.tubes == 10
    assert depot.activity.lmst_hours == pytest.approx(DEPOT_LMST_HOURS)
    assert depot.activity.at == "three_forks"
    marked = [t for t in SCENARIO.sampling_targets() if t.depot]
    assert all(t.sol < DEPOT_SOLS[0] for t in marked)
    kinds = Counter(
        "rock" if t.sample_type in ("igneous", "sedimentary") else t.sample_type for t in marked
    )
    assert kinds == DEPOT_COMPOSITION


def test_samples_come_in_pairs_with_one_of_each_in_the_depot():
    pairs: dict[str, list] = {}
    for t in SCENARIO.sampling_targets():
        if t.pair is not None:
            pairs.setdefault(t.pair, []).append(t)
    assert len(pairs) == 8  # 4 igneous, 3 sedimentary, 1 regolith (B)
    for members in pairs.values():
        assert len(members) == 2 and sum(t.depot for t in members) == 1


def test_nothing_is_commanded_in_the_conjunction():
    first, last = CONJUNCTION_SOLS
    assert not SCENARIO.is_conjunction(first - 1) and not SCENARIO.is_conjunction(last + 1)
    allowed = set(SCENARIO.conjunction.allowed_kinds)
    assert not allowed & NEVER_IN_CONJUNCTION
    for sol in range(first, last + 1):
        assert SCENARIO.is_conjunction(sol)
        kinds = {p.activity.kind for p in SCENARIO.activities_on(sol)}
        assert kinds <= allowed, (sol, kinds - allowed)
        assert "meda" in kinds and "uhf_relay" in kinds
    assert "dte_xband" in {p.activity.kind for p in SCENARIO.activities_on(first - 1)}


def test_recurring_meda_relay_and_moxie():
    (meda,) = [p for p in _kind(SCENARIO, "meda") if p.phase is None]
    assert meda.first_sol == MEDA_FROM_SOL and meda.last_sol == SCENARIO.last_sol
    assert meda.activity.per_sol == 24
    (relay,) = _kind(SCENARIO, "uhf_relay")
    assert (relay.activity.per_sol, relay.activity.max_per_sol) == RELAY_PER_SOL
    assert (relay.first_sol, relay.last_sol) == (0, SCENARIO.last_sol)
    assert _kind(SCENARIO, "moxie") == []  # MOXIE flies its campaign ([moxie]), not activities
    runs = flown_runs(SCENARIO, load_moxie())
    assert min(r.sol for r in runs) == MOXIE_FIRST_SOL
    assert sum(r.sol <= LAST_SOL_OF_2021 for r in runs) == MOXIE_2021_RUNS
    assert len(runs) <= MOXIE_RUNS and not any(SCENARIO.is_conjunction(r.sol) for r in runs)


def test_waypoints_put_the_delta_front_wnw_and_mark_estimates():
    waypoints = SCENARIO.waypoints()
    assert not waypoints["landing"].estimate
    assert waypoints["landing"].distance_m == 0
    assert all(w.estimate for name, w in waypoints.items() if name != "landing")
    front = waypoints["delta_front"]
    assert front.distance_m == pytest.approx(DELTA_DISTANCE_M, abs=ONE_METRE)
    assert front.bearing_deg == pytest.approx(DELTA_BEARING_DEG, abs=ONE_DEGREE)
    forks = waypoints["three_forks"]
    assert forks.distance_m < front.distance_m
    assert forks.bearing_deg == pytest.approx(DELTA_BEARING_DEG, abs=ONE_DEGREE)
    assert all(w.source for w in waypoints.values())
    used = {p.activity.to for p in SCENARIO.planned()} | {t.at for t in SCENARIO.sampling_targets()}
    assert used - {None} <= set(waypoints)


def test_sampling_durations_come_from_the_caching_file():
    c = load_caching()
    drop = c.depot.drop.duration_s + c.depot.watson_image.duration_s
    assert procedure_duration_s("depot") == drop
    assert procedure_duration_s("core") > procedure_duration_s("regolith") > 0
    with pytest.raises(ScenarioError, match="not a sampling operation"):
        procedure_duration_s("drive")


# -- bad scenarios ---------------------------------------------------------------------------


def _phase_activity(phase: str, index: int, **changes):
    def change(data):
        data["phases"][phase]["activities"][index].update(changes)

    return change


def _add(phase: str, **activity):
    def change(data):
        data["phases"][phase]["activities"].append(activity)

    return change


def _set(*path_and_value):
    *path, key, value = path_and_value

    def change(data):
        for part in path:
            data = data[part]
        data[key] = value

    return change


BAD = {
    "unknown kind": (
        _phase_activity("crater_floor", 0, kind="teleport"),
        ["phases.crater_floor.activities.0.kind", "'teleport'", "known kinds are"],
    ),
    "negative duration": (
        _phase_activity("crater_floor", 0, duration_s=-60),
        ["activities.0.duration_s = -60", "out of range (0..88775.244, excluding 0)"],
    ),
    "LMST past midnight": (
        _phase_activity("crater_floor", 0, lmst_hours=[10, 25]),
        ["lmst_hours.1 = 25 is out of range (0..24)"],
    ),
    "window too short": (
        _phase_activity("crater_floor", 0, lmst_hours=[11.0, 11.1]),
        ["activities.0", "does not fit in the LMST window"],
    ),
    "unknown field": (
        _phase_activity("crater_floor", 0, colour="red"),
        ["activities.0.colour is not a known field", "allowed: kind, name"],
    ),
    "sol beyond the mission": (
        _phase_activity("crater_floor", 4, sol=900),
        ["phases.crater_floor.activities.4 (core 'Roubion')", "sol = 900", "outside its phase"],
    ),
    "reversed sol range": (
        _set("phases", "crater_floor", "activities", 2, "first_sol", 170),
        ["activities.2", "first_sol = 170 is after last_sol = 160"],
    ),
    "phase past last_sol": (
        _set("phases", "crater_floor", "last_sol", 900),
        ["phases.crater_floor.last_sol = 900", "last_sol = 700"],
    ),
    "overlapping phases": (
        _set("phases", "seitah", "first_sol", 230),
        ["phases.seitah.first_sol = 230", "back to back"],
    ),
    "reversed phase": (
        _set("phases", "first_drive", "last_sol", 10),
        ["phases.first_drive", "first_sol = 14 is after last_sol = 10"],
    ),
    "too many sols": (_set("last_sol", 5000), ["last_sol = 5000 is out of range (1..2000)"]),
    "drive in the conjunction": (
        _add("solar_conjunction", kind="drive", sol=220, mode="blind", distance_m=5.0),
        ["phases.solar_conjunction.activities.1 (drive)", "sol 220", "solar conjunction"],
    ),
    "recurring work across the conjunction": (
        _set("recurring", 2, "skip_conjunction", False),
        ["recurring.2 (dte_xband", "sol 217 (phase 'solar_conjunction')", "skip_conjunction"],
    ),
    "drive allowed in the conjunction": (
        _set("conjunction", "allowed_kinds", ["drive"]),
        ["conjunction: allowed_kinds: 'drive' is never allowed"],
    ),
    "unknown waypoint": (
        _phase_activity("crater_floor", 2, to="olympus_mons"),
        ["activities.2 (drive 'to Roubion')", "to = 'olympus_mons' is not a waypoint"],
    ),
    "drive without a mode": (
        _phase_activity("crater_floor", 2, mode=None),
        ["activities.2: a drive needs a mode"],
    ),
    "sampling with its own duration": (
        _phase_activity("crater_floor", 4, duration_s=60.0),
        ["activities.4: 'core' takes its duration from caching.toml"],
    ),
    "depot larger than its tubes": (
        _phase_activity("depot", 0, total=11),
        ["phases.depot.activities.0", "total = 11 tubes", "only 10"],
    ),
    "pair with two depot tubes": (
        _phase_activity("crater_floor", 7, depot=True),
        ["pair 'citadelle' (Montdenier, Montagnac)", "exactly one"],
    ),
    "unknown vehicle": (_set("edl", "vehicle", "apollo"), ["edl.vehicle", "'apollo'"]),
    "waypoint off the map": (
        _set("waypoints", "roubion", "east_m", 1e6),
        ["waypoints.roubion.east_m = 1000000 is out of range (-20000..20000)"],
    ),
    "unknown camera": (
        _set("imaging", "shots", 2, "cameras", ["navcam_centre"]),
        ["imaging.shots.2.cameras", "unknown camera 'navcam_centre'", "navcam_left"],
    ),
    "a camera off the rover": (
        _set("imaging", "shots", 2, "cameras", ["ddc"]),
        ["imaging.shots.2.cameras", "'ddc' is on the descent_stage"],
    ),
    "frame too small": (
        _set("imaging", "shots", 0, "width_px", 4),
        ["imaging.shots.0.width_px = 4 is out of range (16..8192)"],
    ),
    "frame wider than the camera": (
        _set("imaging", "shots", 3, "width_px", 4000),
        ["imaging.shots.3", "width_px = 4000 is beyond mastcam_z_left's 1600 px"],
    ),
    "priority out of range": (
        _set("imaging", "shots", 0, "priority", 0),
        ["imaging.shots.0.priority = 0 is out of range (1..100)"],
    ),
    "a panorama of a fractional row": (
        _set("imaging", "shots", 3, "frames", 141),
        ["imaging.shots.3", "frames = 141 is not a whole number of rows = 2"],
    ),
    "a Hazcam turned like the mast": (
        _set("imaging", "shots", 0, "pointing", "heading"),
        ["imaging.shots.0", "turns the mast: every camera must be on it"],
    ),
    "a close-up on the wrong event": (
        _set("imaging", "shots", 6, "on", "drive_end"),
        ["imaging.shots.6", "'abrasion_patch' is taken on = 'sample_sealed'"],
    ),
    "a shot after the mission": (
        _set("imaging", "shots", 2, "sol", 900),
        ["imaging.shots.2.sol = 900 is beyond the scenario's last_sol = 700"],
    ),
    "unknown shot field": (
        _set("imaging", "shots", 0, "zoom", 3),
        ["imaging.shots.0.zoom is not a known field"],
    ),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_scenarios_give_one_line_naming_the_field(case):
    change, expected = BAD[case]
    data = copy.deepcopy(RAW)
    change(data)
    with pytest.raises(ConfigError) as info:
        parse_scenario(data, "bad.toml")
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith("bad.toml: ")
    for text in expected:
        assert text in message


def test_the_imaging_schedule_follows_the_first_sols():
    shots = SCENARIO.imaging.shots
    first = shots[0]
    assert first.sol == 0 and first.dust_cover and first.downlink == "thumbnail"
    assert first.priority == min(s.priority for s in shots)  # thumbnails go first (C)
    assert (first.width_px, first.height_px(first.cameras[0])) == (320, 240)  # (B)
    navcam, mastcam = shots[2], shots[3]
    assert navcam.sol == 2 and navcam.pointing == "panorama"  # (B)
    assert mastcam.sol == 3 and mastcam.frames == 142  # (B)
    assert {s.on for s in shots} == {"sol", "drive_end", "sample_sealed", "tube_deposited"}


def test_a_shorter_mission_drops_the_later_shots():
    assert [s.sol for s in SCENARIO.with_last_sol(2).imaging.shots if s.on == "sol"] == [0, 1, 2]


def test_bad_file_on_disk_names_the_file_phase_and_sol(tmp_path):
    text = resources.files("perseverance.data.scenarios").joinpath("default.toml")
    text = text.read_text("utf-8")
    rimfax = 'kind = "rimfax"\nname = "RIMFAX stationary soundings"'
    assert rimfax in text
    path = tmp_path / "drive_in_conjunction.toml"
    path.write_text(text.replace(rimfax, 'kind = "drive"\nmode = "blind"\ndistance_m = 5.0'))
    with pytest.raises(ConfigError) as info:
        load_scenario(str(path))
    message = str(info.value)
    assert "\n" not in message
    assert str(path) in message and "phases.solar_conjunction" in message
    assert "sol 217" in message


@pytest.mark.parametrize("name", ["no_such_scenario", "missing/file.toml"])
def test_missing_scenarios_are_config_errors(name):
    with pytest.raises(ConfigError, match="scenario"):
        load_scenario(name)


# -- --sols N ---------------------------------------------------------------------------


@pytest.mark.parametrize("n", [0, -5, MAX_SOLS + 1, 10**6])
def test_impossible_sols_raise_one_line(n):
    with pytest.raises(ScenarioError) as info:
        SCENARIO.with_last_sol(n)
    assert "\n" not in str(info.value)
    assert f"--sols {n} is out of range (1..{MAX_SOLS})" in str(info.value)


@pytest.mark.parametrize("n", [1.5, True, "700"])
def test_sols_must_be_a_whole_number(n):
    with pytest.raises(ScenarioError, match="whole number"):
        SCENARIO.with_last_sol(n)


def test_shorter_mission_drops_what_comes_later():
    short = SCENARIO.with_last_sol(300)
    assert short.last_sol == 300 and SCENARIO.last_sol == 700
    assert list(short.phases)[-1] == "seitah"
    assert short.phase_range("seitah") == (236, 300)
    assert all(p.last_sol <= 300 for p in short.planned())
    assert all(t.sol <= 300 for t in short.sampling_targets())
    assert not _kind(short, "depot")
    assert short.is_conjunction(220)
    assert short.with_last_sol(300) is short


def test_cut_in_the_depot_campaign_drops_fewer_tubes():
    (depot,) = _kind(SCENARIO.with_last_sol(660), "depot")
    assert (depot.first_sol, depot.last_sol) == (653, 660)
    assert 1 <= depot.activity.total < 10


def test_longer_mission_extends_the_last_phase_and_open_activities():
    long = SCENARIO.with_last_sol(1000)
    assert long.phase_range("delta_top") == (691, 1000)
    assert long.phase_at(1000).name == "delta_top"
    (meda,) = [p for p in _kind(long, "meda") if p.phase is None]
    assert meda.last_sol == 1000
    assert long.sampling_targets() == SCENARIO.sampling_targets()


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=1, max_value=MAX_SOLS))
def test_any_possible_last_sol_gives_a_valid_scenario(n):
    s = SCENARIO.with_last_sol(n)
    assert s.last_sol == n
    assert s.phase_at(0).name == "commissioning"
    assert s.phase_at(n).name == list(s.phases)[-1]
    assert all(p.last_sol <= n for p in s.planned())
    assert sum(t.depot for t in s.sampling_targets()) <= 10
    for sol in range(CONJUNCTION_SOLS[0], min(CONJUNCTION_SOLS[1], n) + 1):
        assert not {p.activity.kind for p in s.activities_on(sol)} & NEVER_IN_CONJUNCTION


def test_recurring_activity_that_never_runs_is_refused(tmp_path):
    import tomllib
    from importlib import resources

    text = resources.files("perseverance.data.scenarios").joinpath("default.toml").read_text()
    data = tomllib.loads(text)
    data["recurring"][0]["first_sol"] = data["last_sol"] + 200
    with pytest.raises(ConfigError, match="would never run"):
        parse_scenario(data, "bad.toml")
