"""The default mission runner: its invariants, determinism and resume after a crash."""

from __future__ import annotations

import os
import uuid
from itertools import pairwise

import pytest

from perseverance.mission.runner import MissionRunner, resume_mission
from perseverance.mission.surface import SurfaceOps
from perseverance.rover.power import load_power
from perseverance.rover.sampling.tubes import TubeState

from .conftest import dump, fly


@pytest.fixture(scope="module")
def db(default_mission):
    return default_mission.store, default_mission.run_id


@pytest.mark.slow
def test_custody_never_goes_backwards(db):
    store, run_id = db
    by_tube: dict[str, list] = {}
    for c in store.custody(run_id):
        by_tube.setdefault(c.tube_id, []).append(c)
    assert by_tube
    for chain in by_tube.values():
        states = [TubeState[c.to_state.upper()] for c in chain]
        assert states == sorted(states)
        assert all(a.to_state == b.from_state for a, b in pairwise(chain))
        assert [c.sol for c in chain] == sorted(c.sol for c in chain)


@pytest.mark.slow
def test_the_battery_never_crosses_the_floor(db):
    store, run_id = db
    floor = load_power().floor_j
    assert store.power(run_id)
    assert min(p.charge_min_j for p in store.power(run_id)) >= floor - 1.0


def test_the_same_seed_gives_the_same_mission_bit_for_bit(tmp_path):
    a = fly(tmp_path / "a", sols=30, run_id="a")
    b = fly(tmp_path / "b", sols=30, run_id="b")
    assert dump(a.store, "a") == dump(b.store, "b")
    c = fly(tmp_path / "c", sols=30, seed=1, run_id="c")
    assert dump(c.store, "c")["traverse"] != dump(a.store, "a")["traverse"]


def test_a_failure_mid_sol_rolls_back_that_sol_and_resume_ends_the_same(tmp_path, monkeypatch):
    reference = fly(tmp_path / "ref", sols=25, run_id="x")
    plain = SurfaceOps.plain

    def broken(self, slot, detail, rec, state):
        if rec.activities and state.sol == 19 and slot.request.kind == "imaging":
            raise RuntimeError("simulated crash in the middle of sol 20")
        return plain(self, slot, detail, rec, state)

    from perseverance.mission.runner import start_mission

    run = start_mission("default", sols=25, runs_dir=tmp_path / "runs", run_id="x", imaging="off")
    monkeypatch.setattr(SurfaceOps, "plain", broken)
    with pytest.raises(RuntimeError, match="sol 20"):
        MissionRunner(run, cache_dir=tmp_path / "cache").fly()
    assert run.store.last_committed_sol("x") == 19
    assert not run.store.activities("x", sol=20) and not run.store.traverse("x", sol=20)
    monkeypatch.setattr(SurfaceOps, "plain", plain)
    resumed = resume_mission("x", runs_dir=tmp_path / "runs")
    MissionRunner(resumed, cache_dir=tmp_path / "cache").fly()
    assert dump(resumed.store, "x") == dump(reference.store, "x")


@pytest.mark.skipif(
    not os.environ.get("PERSEVERANCE_TEST_POSTGRES_URL"),
    reason="PostgreSQL not configured: set PERSEVERANCE_TEST_POSTGRES_URL (see .ci/run)",
)
def test_a_mission_on_postgresql_is_the_one_on_sqlite(tmp_path):
    from perseverance.mission.runner import start_mission

    run_id = f"pg-{uuid.uuid4().hex[:8]}"
    lite = fly(tmp_path / "lite", sols=20, run_id=run_id)
    url = os.environ["PERSEVERANCE_TEST_POSTGRES_URL"]
    run = start_mission(
        "default", sols=20, db=url, runs_dir=tmp_path / "pg", run_id=run_id, imaging="off"
    )
    try:
        MissionRunner(run, cache_dir=tmp_path / "cache").fly()
        assert dump(run.store, run_id) == dump(lite.store, run_id)
    finally:
        run.store.close()
        lite.store.close()
