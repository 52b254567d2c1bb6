"""The default mission against the published figures of the real one (M2020).

Figures from docs/reference/surface.md.
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest

from perseverance.mars.constants import LMST_HOUR_S
from perseverance.mission.surface import DEPOT_MAX_SLOPE_RAD
from perseverance.rover.depot import wheel_path_clearance_m
from perseverance.rover.sampling.caching import load_caching
from perseverance.terrain.tiles import FineTerrain

# Reference figures (docs/reference/surface.md, copied here with their sources).
FIRST_DRIVE_SOL = 14  # 2021-03-04, 6.5 m in 33 min (B: NASA)
THREE_FORKS_SOL = 408  # reached after the 31-sol dash (B)
ODOMETRY_BY_SOL_387_M = 6100.0  # "~6.1 km odometry by sol 387" (B/C)
SEALED_BY_SOL_690 = 20  # 18 samples + 2 witness tubes, sols 120-639 (A: Czaja23, PDS)
DEPOT_TUBES = 10  # 7 rock, 1 regolith, 1 atmospheric, 1 witness (A: PDS)
DEPOT_SOLS = (653, 690)  # (A: PDS Analyst's Notebook)
DEPOT_LMST = ("12:48:00", "14:36:00")  # drop times (A: PDS)
SAME_ORDER = 2.0  # "of the same order": within a factor of two

#: Every test here reads the whole default mission (sols 0-700).
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def db(default_mission):
    return default_mission.store, default_mission.run_id


def _events(db, name):
    store, run_id = db
    return [e for e in store.events(run_id) if e.name == name]


def test_the_rover_lands_then_first_drives_on_sol_14(db):
    store, run_id = db
    (landing,) = _events(db, "landing")
    assert landing.sol is None or landing.sol == 0
    names = [e.name for e in store.events(run_id, sol=0)]
    assert names[0] == "entry_interface"
    assert names.index("touchdown") < names.index("landing")
    (first,) = _events(db, "first_drive")
    assert first.sol == FIRST_DRIVE_SOL
    assert first.payload["distance_m"] == pytest.approx(6.5, abs=0.01)
    driven = [s.sol for s in store.sols(run_id) if s.drive_m > 0]
    assert driven[0] == FIRST_DRIVE_SOL


def test_it_reaches_the_delta_front_and_three_forks_in_time(db):
    arrived: dict[str, int] = {}
    for e in _events(db, "arrived"):
        arrived.setdefault(e.payload["waypoint"], e.sol)  # the first arrival
    assert arrived["three_forks"] <= THREE_FORKS_SOL
    assert "skinner_ridge" in arrived and "wildcat_ridge" in arrived


def test_odometry_is_of_the_order_of_the_real_one(db):
    store, run_id = db
    odometry = sum(s.odometry_m for s in store.sols(run_id) if s.sol <= 387)
    assert ODOMETRY_BY_SOL_387_M / SAME_ORDER < odometry < ODOMETRY_BY_SOL_387_M * SAME_ORDER
    record = max(s.drive_m for s in store.sols(run_id))
    assert record <= 347.7  # the single-sol record (B) bounds a sol


def test_samples_of_every_kind_are_sealed(db):
    store, run_id = db
    samples = store.samples(run_id)
    kinds = Counter(s.sample_type for s in samples)
    assert len(samples) >= 10
    for kind in ("igneous", "sedimentary", "regolith", "atmospheric", "witness"):
        assert kinds[kind] >= 1, kind
    sealed = sum(1 for s in samples if s.sol <= 690)
    assert SEALED_BY_SOL_690 / SAME_ORDER <= sealed <= SEALED_BY_SOL_690 * SAME_ORDER
    tubes = {t.tube_id: t for t in store.tubes(run_id)}
    designations = [tubes[s.tube_id].designation for s in samples]
    assert len(set(designations)) == len(samples)
    assert all(
        d.startswith(f"M2020-{s.sol:05d}-") for d, s in zip(designations, samples, strict=True)
    )


def test_ten_tubes_in_a_zigzag_on_flat_ground_clear_of_every_wheel_path(db, tmp_path):
    store, run_id = db
    drops = _events(db, "tube_deposited")
    assert len(drops) == DEPOT_TUBES
    assert all(DEPOT_SOLS[0] <= e.sol <= DEPOT_SOLS[1] for e in drops)
    sites = np.array([[e.payload["east_m"], e.payload["north_m"]] for e in drops])
    gaps = np.hypot(*np.diff(sites, axis=0).T)
    assert np.all((gaps >= 5.0) & (gaps <= 15.0)), gaps
    pairwise = np.hypot(*(sites[:, None, :] - sites[None, :, :]).T)
    assert np.all(pairwise[~np.eye(len(sites), dtype=bool)] >= 5.0)
    # zigzag: the drops alternate sides of the depot line, outside the wheel band
    plan = store.checkpoint(run_id)["depot"]
    along = np.array([math.sin(plan["heading_rad"]), math.cos(plan["heading_rad"])])
    rel = sites - np.array(plan["line_start"])
    lateral = along[1] * rel[:, 0] - along[0] * rel[:, 1]  # right of the heading > 0
    assert np.all(np.sign(lateral[1:]) == -np.sign(lateral[:-1]))
    caching = load_caching()
    d = caching.depot
    traverse = store.traverse(run_id)
    east = np.array([t.east_m for t in traverse])
    north = np.array([t.north_m for t in traverse])
    band = d.track_half_width_m + d.wheel_half_width_m
    clearance = wheel_path_clearance_m(sites, east, north, half_width_m=band)
    assert clearance.min() >= d.min_clearance_m - 1e-9
    lmst = [c.lmst for c in store.custody(run_id) if c.to_state == "deposited"]
    assert len(lmst) == DEPOT_TUBES
    assert all(DEPOT_LMST[0] <= t <= DEPOT_LMST[1] for t in lmst), lmst
    from perseverance.edl.api import prepare_edl

    fine = FineTerrain(prepare_edl("m2020", terrain_seed=0).terrain, cache_dir=tmp_path)
    assert np.all(fine.slope(sites[:, 0], sites[:, 1]) <= DEPOT_MAX_SLOPE_RAD)


def test_the_depot_holds_one_of_each_pair(db):
    store, run_id = db
    tubes = {t.tube_id: t for t in store.tubes(run_id)}
    samples = store.samples(run_id)
    deposited = [s for s in samples if tubes[s.tube_id].state == "deposited"]
    kinds = Counter(s.sample_type for s in deposited)
    assert kinds["witness"] == 1 and kinds["regolith"] == 1
    assert kinds["igneous"] + kinds["sedimentary"] >= 6
    assert any(tubes[s.tube_id].state == "stored" for s in samples)


def test_no_commanding_in_the_solar_conjunction(db):
    store, run_id = db
    banned = {"drive", "core", "regolith", "witness", "depot", "arm", "dte_xband"}
    ran = [a for a in store.activities(run_id) if 217 <= a.sol <= 235 and a.outcome == "done"]
    assert ran and not [a for a in ran if a.kind in banned]


def test_relay_passes_follow_the_data(db):
    store, run_id = db
    passes = Counter(
        a.sol for a in store.activities(run_id) if a.kind == "uhf_relay" and a.outcome == "done"
    )
    del passes[0]  # sol 0: only the passes after the landing
    assert passes
    assert all(2 <= n <= 6 for n in passes.values())  # (B: docs/reference/surface.md, Telecom)
    assert max(passes.values()) > 2  # more data, more passes
    assert sum(s.data_bits for s in store.sols(run_id)) > 0


def test_sampling_happens_at_its_waypoint_in_its_window(db):
    store, run_id = db
    arrived = {e.payload["waypoint"]: e.payload for e in _events(db, "arrived")}
    (roubion,) = [s for s in store.samples(run_id) if s.name == "Roubion"]
    w = arrived["roubion"]
    assert math.hypot(roubion.east_m - w["east_m"], roubion.north_m - w["north_m"]) < 1.0
    cores = [a for a in store.activities(run_id) if a.kind == "core" and a.outcome == "done"]
    assert cores
    assert all(9.0 * LMST_HOUR_S <= a.start_s < 17.0 * LMST_HOUR_S for a in cores)
