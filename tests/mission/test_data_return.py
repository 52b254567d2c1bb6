"""The link home inside a mission (`perseverance.mission.data_return`): against the
ephemeris, the conjunction and the onboard store's size."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from perseverance.mars.ephemeris import light_time_s
from perseverance.mission import runner as runner_module
from perseverance.mission.requests import DATA_HEAVY_KINDS, fit_to_store
from perseverance.mission.sol_planner import Request, SlotOutcome
from perseverance.relay.downlink import OnboardStore
from perseverance.relay.orbits import load_orbiters
from perseverance.rover.telecom import load_telecom

from .conftest import fly

#: Light time at the Mars 2020 landing, 11 min 22 s (B: NASA; docs/reference/instruments.md §6).
LANDING_LIGHT_TIME_S = 682.0


def _us(t: datetime) -> np.datetime64:
    return np.datetime64(t.astimezone(UTC).replace(tzinfo=None), "us")


@pytest.fixture(scope="module")
def db(default_mission):
    return default_mission.store, default_mission.run_id


def test_every_product_received_was_sent_after_it_was_made_and_took_the_light_time(db):
    store, run_id = db
    rows = store.downlinks(run_id)
    assert len(rows) > 1000
    fleet = load_orbiters()
    delay = {k: 0.0 if k == "dte" else fleet.orbiter(k).elements.store_forward_delay_s
             for k in {r.orbiter for r in rows}}  # fmt: skip
    sent = np.array([_us(r.sent_utc) for r in rows])
    live = np.array([r.kind.startswith("edl_") for r in rows])  # bent pipe: no relay delay
    relayed = sent + np.array(
        [
            np.timedelta64(0 if lv else int(delay[r.orbiter] * 1e6), "us")
            for r, lv in zip(rows, live, strict=True)
        ]
    )
    received = np.array([_us(r.received_utc) for r in rows])
    acquired = np.array([_us(r.acquired_utc) for r in rows])
    light = np.asarray(light_time_s(relayed), float)  # the ephemeris itself, not the table
    assert np.all(sent >= acquired)
    late_by_s = (received - relayed) / np.timedelta64(1, "us") * 1e-6 - light
    assert late_by_s.min() >= 0.0  # never before sent + relay delay + light time
    assert late_by_s.max() < 0.01  # the table's 1 ms bound, no more
    assert live.any() and all(
        r.orbiter in {"mro", "maven"} for r, lv in zip(rows, live, strict=True) if lv
    )


def test_touchdown_is_confirmed_one_light_time_later_through_mro_and_maven(db):
    store, run_id = db
    (event,) = [e for e in store.events(run_id) if e.name == "touchdown_confirmed"]
    p = event.payload
    spacecraft = datetime.fromisoformat(p["spacecraft_utc"].replace("Z", "+00:00"))
    earth = datetime.fromisoformat(p["earth_received_utc"].replace("Z", "+00:00"))
    assert (earth - spacecraft).total_seconds() == pytest.approx(LANDING_LIGHT_TIME_S, abs=2.0)
    assert set(p["relays"]) == {"mro", "maven"}  # B: the landing-day EDL relays


def test_nothing_is_relayed_in_the_conjunction_and_products_wait_it_out(db, default_mission):
    store, run_id = db
    scenario = default_mission.prepared.scenario
    lo, hi = scenario.conjunction.first_sol, scenario.conjunction.last_sol
    rows = store.downlinks(run_id)
    assert not [r for r in rows if lo <= r.sol <= hi]
    waited = [r for r in rows if r.acquired_sol < lo and r.sol > hi]
    assert waited, "products made just before the conjunction are sent after it"
    relays = [a for a in store.activities(run_id) if a.kind == "uhf_relay"]
    per_sol = np.bincount([a.sol for a in relays], minlength=scenario.last_sol + 1)
    outside = np.array([s for s in range(1, scenario.last_sol + 1) if not lo <= s <= hi])
    assert np.all(per_sol[lo : hi + 1] == 0)
    assert np.median(per_sol[outside]) >= 2  # B: >= 2 passes a sol, typically 4-6


def test_priority_order_holds_within_each_pass(db):
    """A product of lower priority never completes on a pass before one of higher
    priority made no later (it could only have been overtaken by later data)."""
    store, run_id = db
    rows = store.downlinks(run_id)
    by_pass: dict[tuple[int, str], list] = {}
    for r in rows:
        by_pass.setdefault((r.sol, r.orbiter), []).append(r)
    checked = 0
    for group in by_pass.values():
        group.sort(key=lambda r: r.sent_utc)
        for a, b in itertools.pairwise(group):
            if b.acquired_utc <= a.acquired_utc and a.sent_utc < b.sent_utc:
                assert a.priority <= b.priority, (a.item, b.item)
                checked += 1
    assert checked > 100


def test_the_store_never_overflows_when_it_is_small(tmp_path, monkeypatch):
    """A 0.4 Gbit store (an eightieth of the default): science waits, nothing is lost,
    the store never holds more than its size."""
    small = load_telecom()
    small = small.model_copy(
        update={
            "onboard_store": small.onboard_store.model_copy(
                update={"capacity_bits": 4e8, "reserve_bits": 1e8}
            )
        }
    )
    monkeypatch.setattr(runner_module, "load_telecom", lambda: small)
    peaks: list[float] = []
    real_add = OnboardStore.add

    def add(self, items):
        real_add(self, items)
        peaks.append(self.used_bits)
        assert self.used_bits <= self.capacity_bits

    monkeypatch.setattr(OnboardStore, "add", add)
    run = fly(tmp_path, sols=12)
    held = [
        a for a in run.store.activities(run.run_id) if a.outcome == SlotOutcome.SKIPPED_DATA.value
    ]
    assert held, "data-heavy science waits for room"
    assert {a.kind for a in held} <= DATA_HEAVY_KINDS | {"drive", "meda", "supercam"}
    assert not [e for e in run.store.events(run.run_id) if e.name == "onboard_store_full"]
    assert max(peaks) <= 4e8


def _request(kind: str) -> Request:
    return Request(kind, kind, (0.0, 24.0), 60.0, 10.0, detail=None)


@settings(max_examples=200, deadline=None)
@given(
    kinds=st.lists(
        st.sampled_from(["imaging", "drive", "meda", "rimfax", "wake", "pixl"]), max_size=20
    ),
    bits=st.lists(st.floats(0.0, 5e9), min_size=20, max_size=20),
    free=st.floats(0.0, 2e10),
)
def test_what_the_planner_keeps_always_fits(kinds, bits, free):
    requests = [_request(k) for k in kinds]
    sizes = bits[: len(requests)]
    kept, held = fit_to_store(requests, sizes, free)
    assert len(kept) + len(held) == len(requests)
    kept_ids = {id(r) for r in kept}
    assert sum(b for r, b in zip(requests, sizes, strict=True) if id(r) in kept_ids) <= free
    if sum(sizes) <= free:
        assert not held  # nothing waits when everything fits
    light = [(r, b) for r, b in zip(requests, sizes, strict=True) if r.kind not in DATA_HEAVY_KINDS]
    if sum(b for _, b in light) <= free:
        assert all(id(r) in kept_ids for r, _ in light)  # light work goes before science


def test_a_telecom_file_whose_reserve_exceeds_the_store_is_refused(tmp_path):
    from importlib import resources

    from perseverance.errors import ConfigError

    text = resources.files("perseverance.data.rover").joinpath("telecom.toml").read_text()
    path = tmp_path / "telecom.toml"
    path.write_text(text.replace("reserve_bits = 8.0e8", "reserve_bits = 4.0e10"))
    with pytest.raises(ConfigError, match="reserve_bits"):
        load_telecom(path)
