"""Depot geometry: drops 5-15 m apart, in a zigzag, only where the caller allows, none in a
wheel path of the rover that lays them."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from perseverance.errors import ScenarioError
from perseverance.rover.depot import DepotLayoutError, depot_layout, wheel_path_clearance_m
from perseverance.rover.sampling.cache import SampleCache
from perseverance.rover.sampling.caching import load_caching
from perseverance.rover.sampling.tubes import TubeState

#: Rounding allowance on distances [m].
ONE_MICROMETRE = 1e-6
SPACING_MIN_M, SPACING_MAX_M = 5.0, 15.0  # Three Forks (docs/reference/surface.md)
DEPOT = load_caching().depot
#: The wheel band either side of the depot line [m]: track half width + half a wheel (E).
WHEEL_BAND_M = DEPOT.track_half_width_m + DEPOT.wheel_half_width_m


def _rover_path(start, heading_rad, length_m):
    """The rover's centreline along the depot line, from 10 m before the start [m]."""
    along, _ = _frame(heading_rad)
    ends = start + np.outer([-10.0, length_m], along)
    return ends[:, 0], ends[:, 1]


def _none_in_a_wheel_path(sites, start, heading_rad):
    """Every drop clears both wheel tracks (and the band between) by min_clearance_m."""
    along, right = _frame(heading_rad)
    length = float(np.max((sites - start) @ along)) + 10.0
    e, n = _rover_path(start, heading_rad, length)
    band = wheel_path_clearance_m(sites, e, n, half_width_m=WHEEL_BAND_M)
    assert np.all(band >= DEPOT.min_clearance_m - ONE_MICROMETRE)
    for side in (-1.0, 1.0):  # each wheel track: its centreline, half a wheel either side
        shift = side * DEPOT.track_half_width_m * right
        track = wheel_path_clearance_m(
            sites, e + shift[0], n + shift[1], half_width_m=DEPOT.wheel_half_width_m
        )
        assert np.all(track >= DEPOT.min_clearance_m - ONE_MICROMETRE)


def _frame(heading_rad):
    along = np.array([math.sin(heading_rad), math.cos(heading_rad)])
    right = np.array([math.cos(heading_rad), -math.sin(heading_rad)])
    return along, right


def _predicate(kind, start, heading_rad, seed):
    """A caller's is_free: open ground, wheel paths along the depot line, or rock hazards."""
    _, right = _frame(heading_rad)
    if kind == "open":
        return lambda e, n: True
    if kind == "old_tracks":
        # an earlier traverse along the line left tracks 2.1-2.3 m either side of it

        def free(e, n):
            cross = abs(float((np.array([e, n]) - start) @ right))
            return not 2.1 <= cross <= 2.3

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
    kind=st.sampled_from(["open", "old_tracks", "hazards"]),
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
    # the defaults are the data file's offsets: clear of the rover's wheel band
    lo, hi = DEPOT.lateral_offset_min_m, DEPOT.lateral_offset_max_m
    assert np.all((np.abs(cross) >= lo - ONE_MICROMETRE) & (np.abs(cross) <= hi + ONE_MICROMETRE))
    _none_in_a_wheel_path(sites, start, heading)


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
    _none_in_a_wheel_path(sites, np.array([100.0, 200.0]), 0.5)


def test_the_drop_offsets_clear_the_wheel_band():
    assert DEPOT.track_half_width_m == pytest.approx(1.1)
    assert DEPOT.wheel_half_width_m == pytest.approx(0.2)
    assert DEPOT.min_clearance_m == pytest.approx(0.7)
    assert 2 * DEPOT.lateral_offset_max_m < DEPOT.spacing_min_m  # room for the zigzag
    # a drop right on the edge of the allowed offsets, 2.0 m off the line
    e, n = _rover_path(np.zeros(2), 0.0, 50.0)
    clear = wheel_path_clearance_m([[2.0, 20.0], [-2.4, 30.0]], e, n, half_width_m=WHEEL_BAND_M)
    assert clear == pytest.approx([0.7, 1.1])


# -- distance to a path ------------------------------------------------------------------


def test_clearance_known_values():
    # an L-shaped path: (0, 0) -> (10, 0) -> (10, 10)
    e, n = [0.0, 10.0, 10.0], [0.0, 0.0, 10.0]
    drops = [[5.0, 2.0], [12.0, 5.0], [-3.0, -4.0], [13.0, 14.0], [10.0, 0.0], [9.0, 1.0]]
    assert wheel_path_clearance_m(drops, e, n) == pytest.approx([2.0, 2.0, 5.0, 5.0, 0.0, 1.0])
    # a band 0.5 m either side: inside it is negative
    assert wheel_path_clearance_m(drops, e, n, half_width_m=0.5)[5] == pytest.approx(0.5)
    assert wheel_path_clearance_m([[5.0, 0.2]], e, n, half_width_m=0.5)[0] == pytest.approx(-0.3)
    # one point, and a repeated point (a segment of length zero)
    assert wheel_path_clearance_m([[3.0, 4.0]], [0.0], [0.0]) == pytest.approx([5.0])
    assert wheel_path_clearance_m([[3.0, 4.0]], [0.0, 0.0, 6.0], [0.0, 0.0, 0.0]) == (
        pytest.approx([4.0])
    )
    assert wheel_path_clearance_m(np.empty((0, 2)), e, n).shape == (0,)


def _clearance_one_by_one(drops, e, n):
    """The same distance, one drop and one segment at a time (a plain reference)."""
    path = list(zip(e, n, strict=True))
    path = path if len(path) > 1 else path * 2
    out = []
    for px, py in drops:
        best = math.inf
        for (ax, ay), (bx, by) in itertools.pairwise(path):
            dx, dy = bx - ax, by - ay
            length2 = dx * dx + dy * dy
            t = 0.0 if length2 == 0 else ((px - ax) * dx + (py - ay) * dy) / length2
            t = min(1.0, max(0.0, t))
            best = min(best, math.hypot(ax + t * dx - px, ay + t * dy - py))
        out.append(best)
    return out


coordinate = st.floats(-100, 100)


@settings(max_examples=100, deadline=None)
@given(
    drops=st.lists(st.tuples(coordinate, coordinate), min_size=1, max_size=8),
    path=st.lists(st.tuples(coordinate, coordinate), min_size=1, max_size=8),
    half_width=st.floats(0, 3),
)
def test_clearance_matches_a_plain_loop(drops, path, half_width):
    e, n = [p[0] for p in path], [p[1] for p in path]
    got = wheel_path_clearance_m(drops, e, n, half_width_m=half_width)
    assert got.shape == (len(drops),) and got.dtype == np.float64
    expected = np.array(_clearance_one_by_one(drops, e, n)) - half_width
    assert got == pytest.approx(expected, abs=ONE_MICROMETRE)


@pytest.mark.parametrize(
    ("args", "kw", "expected"),
    [
        (([1.0, 2.0], [0.0, 1.0], [0.0, 1.0]), {}, "drops must have shape"),
        (([[1.0, 2.0]], [0.0, 1.0], [0.0]), {}, "path_east and path_north must be 1-D"),
        (([[1.0, 2.0]], [], []), {}, "of one length >= 1"),
        (([[1.0, float("nan")]], [0.0], [0.0]), {}, "finite"),
        (([[1.0, 2.0]], [0.0, float("inf")], [0.0, 0.0]), {}, "finite"),
        (([[1.0, 2.0]], [0.0], [0.0]), {"half_width_m": -1.0}, "half_width_m"),
    ],
)
def test_clearance_bad_inputs(args, kw, expected):
    with pytest.raises(ScenarioError, match=expected) as info:
        wheel_path_clearance_m(*args, **kw)
    assert "\n" not in str(info.value)
