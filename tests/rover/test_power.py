"""perseverance.rover.power: MMRTG against published figures, energy balance, the floor."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from importlib import resources

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from perseverance.errors import ConfigError, ScenarioError
from perseverance.mars.constants import LMST_HOUR_S, SOL_S
from perseverance.rover.power import (
    J_PER_WH,
    PowerActivity,
    charge_trajectory,
    fits,
    largest_feasible_prefix,
    load_power,
    mmrtg_power_w,
    simulate_sol,
)

#: "About 110 W" of electricity at the start of the mission (B: Mars 2020 press kit;
#: docs/reference/surface.md, Power).
MMRTG_LAUNCH_W = 110.0
#: "Declining a few percent per year" (B: same): we read it as 2-6 % a year.
FEW_PERCENT_PER_YEAR = (0.02, 0.06)
#: Energy per sol at the start, 110 W x 24.66 h (E: docs/reference/surface.md, Power).
ENERGY_PER_SOL_START_J = 2.7e3 * J_PER_WH
#: Tolerances.
ONE_WATT = 1.0
TWO_PERCENT = 0.02
ONE_MILLIJOULE = 1e-3

LAUNCH_UTC = datetime(2020, 7, 30, 11, 50, tzinfo=UTC)
LANDING_UTC = datetime(2021, 2, 18, 20, 43, 49, tzinfo=UTC)
STEP_S = 60.0

CONFIG = load_power()


def _lossless(config):
    battery = config.battery.model_copy(
        update={"charge_efficiency": 1.0, "discharge_efficiency": 1.0}
    )
    return config.model_copy(update={"battery": battery})


# --- MMRTG ------------------------------------------------------------------


def test_mmrtg_at_launch_is_110_w():
    assert mmrtg_power_w(0.0) == pytest.approx(MMRTG_LAUNCH_W, abs=ONE_WATT)
    assert mmrtg_power_w(LAUNCH_UTC) == pytest.approx(MMRTG_LAUNCH_W, abs=ONE_WATT)
    assert mmrtg_power_w("2020-07-30T11:50:00Z", CONFIG) == pytest.approx(mmrtg_power_w(0.0))


@pytest.mark.parametrize("years", [1.0, 2.0])
def test_mmrtg_declines_a_few_percent_a_year(years):
    yearly = 1 - (mmrtg_power_w(years) / mmrtg_power_w(0.0)) ** (1 / years)
    low, high = FEW_PERCENT_PER_YEAR
    assert low <= yearly <= high
    assert mmrtg_power_w(years) < mmrtg_power_w(years - 0.5)


def test_mmrtg_shapes():
    assert isinstance(mmrtg_power_w(1), float)
    assert isinstance(mmrtg_power_w(LANDING_UTC), float)
    years = np.linspace(0.0, 10.0, 7).reshape(7, 1)
    assert mmrtg_power_w(years).shape == (7, 1)
    times = np.array(["2020-07-30T11:50", "2022-07-30T11:50"], dtype="datetime64[s]")
    powers = mmrtg_power_w(times)
    assert powers.shape == (2,)
    assert powers[1] == pytest.approx(mmrtg_power_w(2.0), rel=1e-4)


# --- One sol ----------------------------------------------------------------


def test_energy_per_sol_at_the_start_is_2_7_kwh():
    budget = simulate_sol(CONFIG, CONFIG.floor_j, [], 0.0)
    assert budget.generated_j == pytest.approx(ENERGY_PER_SOL_START_J, rel=TWO_PERCENT)
    assert budget.generated_j == pytest.approx(MMRTG_LAUNCH_W * SOL_S, rel=1e-12)
    landing = simulate_sol(CONFIG, CONFIG.floor_j, [], LANDING_UTC)
    assert landing.generated_j < budget.generated_j


def test_grid_covers_the_sol():
    budget = simulate_sol(CONFIG, CONFIG.capacity_j, [], LANDING_UTC, step_s=STEP_S)
    assert budget.time_s[0] == 0.0
    assert budget.time_s[-1] == SOL_S
    assert budget.charge_j.shape == budget.time_s.shape == (int(np.ceil(SOL_S / STEP_S)) + 1,)


def test_heaters_follow_lmst():
    """Heater energy over the first 7 LMST hours is the first table value times 7 Mars hours."""
    heaters = CONFIG.heaters
    energy = heaters.cumulative_energy_j([7 * LMST_HOUR_S, SOL_S])
    assert energy[0] == pytest.approx(heaters.power_w[0] * 7 * LMST_HOUR_S)
    mean_w = energy[1] / SOL_S
    assert 0 < mean_w < max(heaters.power_w)


def _plan():
    return [
        CONFIG.activity("moxie", lmst_hours=11.0, duration_s=5400.0),
        CONFIG.activity("imaging", lmst_hours=11.5, duration_s=1800.0),
        CONFIG.activity("moxie", lmst_hours=13.0, duration_s=3600.0),
        CONFIG.activity("meda", lmst_hours=2.0, duration_s=1800.0),
        CONFIG.activity("uhf_relay", start_s=60_000.0, duration_s=612.5),
    ]


def test_energy_is_conserved_without_clamping():
    """Lossless batteries, never full: generated - used - heaters = change of charge."""
    config = _lossless(CONFIG)
    budget = simulate_sol(config, 0.5 * config.capacity_j, _plan(), LANDING_UTC)
    assert budget.max_charge_j < config.capacity_j
    assert budget.shunted_j == 0.0
    assert budget.losses_j == pytest.approx(0.0, abs=ONE_MILLIJOULE)
    delta = budget.end_charge_j - budget.start_charge_j
    assert budget.generated_j - budget.used_j - budget.heaters_j == pytest.approx(
        delta, abs=ONE_MILLIJOULE
    )


@pytest.mark.parametrize("state_of_charge", [0.45, 0.9, 1.0])
def test_energy_balance_with_losses_and_shunt(state_of_charge):
    budget = simulate_sol(CONFIG, state_of_charge * CONFIG.capacity_j, _plan(), LANDING_UTC)
    delta = budget.end_charge_j - budget.start_charge_j
    spent = budget.used_j + budget.heaters_j + budget.losses_j + budget.shunted_j
    assert budget.generated_j - spent == pytest.approx(delta, abs=ONE_MILLIJOULE)
    assert budget.losses_j > 0
    assert budget.max_charge_j <= CONFIG.capacity_j


def test_full_batteries_shunt_the_surplus():
    budget = simulate_sol(CONFIG, CONFIG.capacity_j, [], LANDING_UTC)
    assert budget.max_charge_j == pytest.approx(CONFIG.capacity_j)
    assert budget.shunted_j > 0


def test_used_energy_does_not_depend_on_the_step():
    """Loads are integrated exactly, so step size changes only the netting."""
    fine = simulate_sol(CONFIG, CONFIG.floor_j, _plan(), LANDING_UTC, step_s=7.3)
    coarse = simulate_sol(CONFIG, CONFIG.floor_j, _plan(), LANDING_UTC, step_s=900.0)
    for name in ("generated_j", "used_j", "heaters_j"):
        assert getattr(fine, name) == pytest.approx(getattr(coarse, name), rel=1e-12)


def test_overlapping_awake_activities_pay_the_avionics_once():
    moxie = CONFIG.activity("moxie", start_s=40_000.0, duration_s=3600.0)
    rimfax = CONFIG.activity("rimfax", start_s=40_000.0, duration_s=3600.0)
    alone = simulate_sol(CONFIG, CONFIG.floor_j, [moxie], 0.0)
    both = simulate_sol(CONFIG, CONFIG.floor_j, [moxie, rimfax], 0.0)
    assert both.used_j - alone.used_j == pytest.approx(rimfax.energy_j)


def test_repr_in_kwh():
    text = repr(simulate_sol(CONFIG, CONFIG.capacity_j, [], 0.0))
    assert text.startswith("EnergyBudget(mmrtg 110.0 W, generated 2.713 kWh")


# --- The floor --------------------------------------------------------------


def test_moxie_at_night_on_a_low_battery_does_not_fit():
    start = CONFIG.floor_j + 0.1 * CONFIG.capacity_j
    moxie = [CONFIG.activity("moxie", lmst_hours=1.0, duration_s=2 * 3600.0)]
    assert not fits(CONFIG, start, moxie, LANDING_UTC)
    assert fits(CONFIG, CONFIG.capacity_j, moxie, LANDING_UTC)
    assert largest_feasible_prefix(CONFIG, start, _plan()[:2] + moxie, LANDING_UTC) == 2


def test_a_sol_that_starts_below_the_floor_fits_nothing():
    start = 0.5 * CONFIG.floor_j
    assert not fits(CONFIG, start, [], LANDING_UTC)
    assert largest_feasible_prefix(CONFIG, start, _plan(), LANDING_UTC) == 0


def _naive_charge(config, start, activities, years):
    """An independent per-step loop: exact overlaps, then the clamped battery update."""
    edges = [*np.arange(0.0, SOL_S, STEP_S), SOL_S]
    heater_starts = [*(h * LMST_HOUR_S for h in config.heaters.lmst_start_hours), SOL_S]
    mmrtg = mmrtg_power_w(years, config)
    b = config.battery
    charge, out = start, [start]
    for t0, t1 in itertools.pairwise(edges):
        dt = t1 - t0
        loads = config.loads.sleep_w * dt
        for p, h0, h1 in zip(
            config.heaters.power_w, heater_starts, heater_starts[1:], strict=False
        ):
            loads += p * max(0.0, min(h1, t1) - max(h0, t0))
        awake = False
        for a in activities:
            overlap = max(0.0, min(a.end_s, t1) - max(a.start_s, t0))
            loads += a.power_w * overlap
            awake |= a.awake and overlap > 0
        loads += config.loads.awake_w * dt * awake  # activities are whole steps here
        net = mmrtg * dt - loads
        stored = b.charge_efficiency * net if net > 0 else net / b.discharge_efficiency
        charge = min(config.capacity_j, charge + stored)
        out.append(charge)
    return np.array(out)


_LAST_STEP = int(SOL_S // STEP_S) - 1
_activities = st.lists(
    st.builds(
        lambda kind, start, steps, extra_w: PowerActivity(
            kind,
            start * STEP_S,
            min(steps, _LAST_STEP - start) * STEP_S,
            CONFIG.activities[kind].power_w + extra_w,
            CONFIG.activities[kind].awake,
        ),
        st.sampled_from(sorted(CONFIG.activities)),
        st.integers(0, _LAST_STEP),
        st.integers(0, 300),
        st.floats(0.0, 500.0),
    ),
    max_size=10,
)


@settings(max_examples=60, deadline=None)
@given(
    activities=_activities,
    state_of_charge=st.floats(0.3, 1.0),
    years=st.floats(0.0, 14.0),
)
def test_an_accepted_plan_never_goes_below_the_floor(activities, state_of_charge, years):
    start = state_of_charge * CONFIG.capacity_j
    naive = _naive_charge(CONFIG, start, activities, years)
    budget = simulate_sol(CONFIG, start, activities, years, step_s=STEP_S)
    np.testing.assert_allclose(budget.charge_j, naive, rtol=0, atol=1e-3)
    if fits(CONFIG, start, activities, years, step_s=STEP_S):
        assert naive.min() >= CONFIG.floor_j - 1e-3
    n = largest_feasible_prefix(CONFIG, start, activities, years, step_s=STEP_S)
    if fits(CONFIG, start, activities[:n], years):
        assert _naive_charge(CONFIG, start, activities[:n], years).min() >= CONFIG.floor_j - 1e-3
        if n < len(activities):
            assert not fits(CONFIG, start, activities[: n + 1], years)


@settings(max_examples=50, deadline=None)
@given(
    net=st.lists(st.floats(-5e4, 5e4), min_size=1, max_size=50),
    start_fraction=st.floats(0.0, 1.0),
)
def test_charge_kernel_matches_a_loop(net, start_fraction):
    capacity = 1e5
    start = start_fraction * capacity
    charge, clamped = charge_trajectory(np.array([net]), start, capacity, 0.9, 0.8)
    expected, c = [start], start
    for n in net:
        c = min(capacity, c + (0.9 * n if n > 0 else n / 0.8))
        expected.append(c)
    np.testing.assert_allclose(charge[0], expected, rtol=0, atol=1e-6)
    assert (clamped >= -1e-9).all()


# --- Bad input --------------------------------------------------------------


def _power_text():
    return resources.files("perseverance.data.rover").joinpath("power.toml").read_text()


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("capacity_ah = 43.0", "capacity_ah = -5", "battery.capacity_ah = -5 is out of range"),
        ("state_of_charge_floor = 0.40", "state_of_charge_floor = 1.5", "state_of_charge_floor"),
        ("sleep_w = 45.0", "sleep_w = 45.0\nsleep_watts = 45", "loads.sleep_watts is not a known"),
        ("[0.0,  7.0,  9.0", "[0.0,  9.0,  7.0", "heaters: lmst_start_hours must be strictly"),
        ("moxie = { power_w = 300.0", "moxie = { power_w = -300.0", "activities.moxie.power_w"),
        ("power_at_launch_w = 110.0", "", "mmrtg.power_at_launch_w is missing"),
    ],
)
def test_bad_power_file_gives_one_line(tmp_path, old, new, expected):
    text = _power_text()
    assert old in text
    path = tmp_path / "power.toml"
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(ConfigError) as info:
        load_power(str(path))
    message = str(info.value)
    assert expected in message
    assert "\n" not in message
    assert message.startswith(str(path))


def test_unknown_power_name():
    with pytest.raises(ConfigError, match=r"packaged powers are .*power"):
        load_power("nope")


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda: PowerActivity("drive", 0.0, -1.0, 100.0), "none may be negative"),
        (lambda: PowerActivity("drive", SOL_S - 10.0, 60.0, 100.0), "split it across two sols"),
        (lambda: PowerActivity("drive", float("nan"), 60.0, 100.0), "finite"),
        (lambda: CONFIG.activity("dance", start_s=0.0, duration_s=1.0), "known kinds are"),
        (lambda: CONFIG.activity("moxie", duration_s=1.0), "exactly one of"),
        (lambda: simulate_sol(CONFIG, 2 * CONFIG.capacity_j, [], 0.0), "start_charge_j"),
        (lambda: simulate_sol(CONFIG, 0.0, [], 0.0, step_s=0.0), "step_s"),
    ],
)
def test_bad_plans_raise_scenario_errors(make, expected):
    with pytest.raises(ScenarioError, match=expected):
        make()


def test_activity_at_lmst():
    activity = PowerActivity.at_lmst("relay", 12.0, 600.0, 70.0)
    assert activity.start_s == pytest.approx(SOL_S / 2)
    assert activity.end_s == pytest.approx(SOL_S / 2 + 600.0)
