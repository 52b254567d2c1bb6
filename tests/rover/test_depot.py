"""Depot geometry: drops 5-15 m apart, in a zigzag, only where the caller allows."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from perseverance.errors import ScenarioError
from perseverance.rover.depot import DepotLayoutError, depot_layout
from perseverance.rover.sampling import SampleCache, TubeState, load_caching

#: Rounding allowance on distances [m].
ONE_MICROMETRE = 1e-6
SPACING_MIN_M, SPACING_MAX_M = 5.0, 15.0  # Three Forks (surface.md)


def _frame(heading_rad):
    along = np.array([math.sin(heading_rad), math.cos(heading_rad)])
    right = np.array([math.cos(heading_rad), -math.sin(heading_rad)])
    return along, right


def _predicate(kind, start, heading_rad, seed):
    """A caller's is_free: open ground, wheel paths along the depot line, or rock hazards."""
    _, right = _frame(heading_rad)
    if kind == "open":
        return lambda e, n: True
    if kind == "wheel_paths":
        # the rover drove in along the line: 0.5 m-wide tracks 1.0-1.5 m either side of it

        def free(e, n):
            cross = abs(float((np.array([e, n]) - start) @ right))
            return not 1.0 <= cross <= 1.5

        return free
    hazards = start + np.random.default_rng(seed).uniform(-20, 120, size=(60, 2))

    def clear(e, n):
        return bool(np.min(np.hypot(hazards[:, 0] - e, hazards[:, 1] - n)) > 1.0)

    return clear


@settings(max_examples=150, deadline=None)
@given(
    n=st.integers(1, 12),
    east=st.floats(-5000, 5000),
    north=st.floats(-5000, 5000),
    heading=st.floats(0, 2 * math.pi),
    seed=st.integers(0, 2**32 - 1),
    kind=st.sampled_from(["open", "wheel_paths", "hazards"]),
)
def test_layout_meets_the_depot_rules(n, east, north, heading, seed, kind):
    start = np.array([east, north])
    is_free = _predicate(kind, start, heading, seed)
    sites = depot_layout(
        n,
        start_east_m=east,
        start_north_m=north,
        heading_rad=heading,
        rng=np.random.default_rng(seed),
        is_free=is_free,
    )
    assert sites.shape == (n, 2) and sites.dtype == np.float64
    assert all(is_free(float(e), float(nn)) for e, nn in sites)
    steps = np.hypot(*np.diff(sites, axis=0).T)
    assert np.all(steps >= SPACING_MIN_M - ONE_MICROMETRE)
    assert np.all(steps <= SPACING_MAX_M + ONE_MICROMETRE)
    pairwise = np.hypot(*(sites[:, None, :] - sites[None, :, :]).transpose(2, 0, 1))
    assert np.all(pairwise[~np.eye(n, dtype=bool)] >= SPACING_MIN_M - ONE_MICROMETRE)
    along, right = _frame(heading)
    cross = (sites - start) @ right
    assert np.all(np.sign(cross) == [(-1) ** i for i in range(n)])  # zigzag
    assert np.all(np.diff((sites - start) @ along) > 0)  # moving on along the line


def test_same_seed_same_layout():
    def layout(seed):
        rng = np.random.default_rng(seed)
        return SampleCache().depot_layout(10, 0.0, 0.0, 1.0, rng, lambda e, n: True)

    assert np.array_equal(layout(3), layout(3))
    assert not np.array_equal(layout(3), layout(4))


def test_nowhere_free_is_one_clear_line():
    with pytest.raises(DepotLayoutError) as info:
        depot_layout(
            10,
            start_east_m=0.0,
            start_north_m=0.0,
            heading_rad=0.0,
            rng=np.random.default_rng(0),
            is_free=lambda e, n: False,
            tries=5,
            restarts=2,
        )
    assert isinstance(info.value, ScenarioError)
    assert "choose a start or heading" in str(info.value)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("n", [0, -1, 2.5, True])
def test_bad_tube_count(n):
    kw = {"start_east_m": 0.0, "start_north_m": 0.0, "heading_rad": 0.0}
    with pytest.raises(DepotLayoutError, match="whole number"):
        depot_layout(n, rng=np.random.default_rng(0), is_free=lambda e, nn: True, **kw)


def test_three_forks_like_depot_records_every_drop():
    system = load_caching()
    failures = system.failures.model_copy(
        update={"crumble_probability": 0.0, "jam_probability": 0.0}
    )
    cache = SampleCache(system.model_copy(update={"failures": failures}))
    rng = np.random.default_rng(7)
    ids = [cache.core(200 + i, "igneous", rng, (0.0, 0.0)).tube_ids[0] for i in range(8)]
    ids.append(cache.sample_regolith(639, (0.0, 0.0)).tube_ids[0])
    ids.append(cache.witness(586, (0.0, 0.0)).tube_ids[0])
    sites = cache.depot_layout(10, 100.0, 200.0, 0.5, rng, lambda e, n: True)
    r = cache.deposit(ids, sites, 653, lmst_hours=12.8)
    assert len(cache.in_state(TubeState.DEPOSITED)) == 10
    assert [s.name for s in r.steps] == ["drop", "watson_image"] * 10
    for tube_id, (e, n) in zip(ids, sites, strict=True):
        last = cache.tube(tube_id).custody[-1]
        assert last.to_state is TubeState.DEPOSITED
        assert (last.east_m, last.north_m) == (e, n)
        assert "0.89 m" in last.actor
    assert len(cache.in_state(TubeState.STORED)) == 0
