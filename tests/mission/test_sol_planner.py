"""The sol planner: placement in LMST windows, exclusivity, and the battery floor."""

from __future__ import annotations

from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from perseverance.errors import ScenarioError
from perseverance.mars.constants import LMST_HOUR_S
from perseverance.mission.sol_planner import Request, SlotOutcome, place, plan_sol
from perseverance.rover.power import load_power, simulate_sol

POWER = load_power()
DATE = "2021-06-01T00:00:00Z"


def _request(kind="imaging", window=(10.0, 14.0), duration=1800.0, power=100.0, **kw):
    return Request(kind, kw.pop("name", kind), window, duration, power, detail=None, **kw)


def test_exclusive_requests_do_not_overlap_and_stay_in_their_window():
    slots = place([_request(name=f"a{i}", duration=3600.0) for i in range(5)])
    planned = [s for s in slots if s.planned]
    assert len(planned) == 4  # 4 h of window: the fifth hour does not fit
    assert [s.outcome for s in slots if not s.planned] == [SlotOutcome.SKIPPED_TIME]
    spans = sorted((s.start_s, s.start_s + s.request.duration_s) for s in planned)
    assert all(a1 <= b0 for (_, a1), (b0, _) in pairwise(spans))
    assert spans[0][0] == 10.0 * LMST_HOUR_S and spans[-1][1] <= 14.0 * LMST_HOUR_S


def test_background_requests_run_alongside_and_fixed_starts_are_kept():
    meda = _request("meda", (0.0, 24.0), 300.0, 17.0, exclusive=False, fixed_start_s=5000.0)
    slots = place([_request(window=(0.0, 24.0)), meda])
    assert all(s.planned for s in slots)
    assert {s.request.kind: s.start_s for s in slots}["meda"] == 5000.0


def test_nothing_starts_before_the_landing():
    slots = place([_request(window=(10.0, 14.0))], earliest_s=13.8 * LMST_HOUR_S)
    assert slots[0].outcome == SlotOutcome.SKIPPED_TIME


def test_priority_decides_who_gets_the_energy():
    big = [_request(name=f"moxie{i}", window=(0, 24), duration=7200.0, power=300.0, priority=i)
           for i in range(6)]  # fmt: skip
    slots = plan_sol(big, POWER, POWER.floor_j + 4.0e6, DATE)
    outcomes = [s.outcome for s in sorted(slots, key=lambda s: s.request.priority)]
    assert outcomes[0] is SlotOutcome.PLANNED and SlotOutcome.SKIPPED_ENERGY in outcomes
    first_skip = outcomes.index(SlotOutcome.SKIPPED_ENERGY)
    assert all(o is SlotOutcome.PLANNED for o in outcomes[:first_skip])


def test_a_sol_that_starts_below_the_floor_runs_nothing():
    slots = plan_sol([_request(power=1.0)], POWER, POWER.floor_j * 0.9, DATE)
    assert [s.outcome for s in slots] == [SlotOutcome.SKIPPED_ENERGY]


@pytest.mark.parametrize(
    ("kw", "field"),
    [({"window": (14.0, 10.0)}, "LMST window"), ({"duration": -1.0}, "duration_s"),
     ({"power": float("nan")}, "power_w"), ({"window": (0.0, 25.0)}, "LMST window")],
)  # fmt: skip
def test_bad_requests_are_one_line_errors(kw, field):
    with pytest.raises(ScenarioError, match=field):
        _request(**kw)


requests = st.lists(
    st.builds(
        _request,
        kind=st.sampled_from(["imaging", "moxie", "drive", "meda"]),
        window=st.tuples(st.floats(0, 12), st.floats(12, 24)),
        duration=st.floats(60.0, 20_000.0),
        power=st.floats(0.0, 400.0),
        exclusive=st.booleans(),
        priority=st.integers(0, 4),
    ),
    max_size=12,
)


@settings(max_examples=60, deadline=None)
@given(requests, st.floats(0.3, 1.0))
def test_kept_activities_never_take_the_battery_below_the_floor(reqs, soc):
    start = soc * POWER.capacity_j
    slots = plan_sol(reqs, POWER, start, DATE)
    kept = [s.activity() for s in slots if s.planned]
    budget = simulate_sol(POWER, start, kept, DATE)
    if start >= POWER.floor_j:
        assert budget.min_charge_j >= POWER.floor_j - 1e-6
    else:
        assert kept == []
    exclusive = sorted(
        (s.start_s, s.start_s + s.request.duration_s)
        for s in slots
        if s.planned and s.request.exclusive and s.request.fixed_start_s is None
    )
    assert all(a1 <= b0 + 1e-9 for (_, a1), (b0, _) in pairwise(exclusive))
