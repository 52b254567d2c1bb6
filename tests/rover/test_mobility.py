"""Mobility: the planner avoids obstacles, drives keep their budgets, slip, bad data files."""

from __future__ import annotations

import math
import time
from collections import deque
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from perseverance.errors import ConfigError, ScenarioError
from perseverance.rover.mobility import drive, load_mobility, slip_fraction
from perseverance.rover.planner import NoPathError, plan_path, traversability
from perseverance.rover.route import Route
from perseverance.terrain.landing_region import LandingRegion
from perseverance.terrain.site import load_site

#: Single-sol drive record of Perseverance (docs/reference/surface.md, B): an upper bound,
#: not a target.
SINGLE_SOL_RECORD_M = 347.7
#: Sub-cell sampling step when walking a path over the grid [m].
SAMPLE_STEP_M = 0.25
#: How near a path may pass a cell before it counts as touching it [m].
TOUCH_M = 1e-6
#: A 2-5 km route must plan within this wall-clock time [s].
PLAN_TIME_LIMIT_S = 1.0
#: Relative slack for budget comparisons (floating-point sums).
BUDGET_RTOL = 1e-9

SITE = load_site("jezero")
MOBILITY_TEXT = resources.files("perseverance.data.rover").joinpath("mobility.toml").read_text()


@pytest.fixture(scope="module")
def jezero():
    return LandingRegion.generate(SITE, seed=0)


def synthetic_region(seed: int, n: int, rock_share: float, mesa_share: float) -> LandingRegion:
    """A small 10 m map with random tall rocks and random 15 m mesas (steep walls)."""
    rng = np.random.default_rng(seed)
    axis = 10.0 * (np.arange(n) - n // 2)
    elevation = 15.0 * (rng.random((n, n)) < mesa_share)
    rocks = np.where(rng.random((n, n)) < rock_share, 0.6, 0.2)
    return LandingRegion(
        site=SITE, east_m=axis, north_m=axis.copy(), elevation_m=elevation, rock_height_m=rocks
    )


def crossed_cells(path: Route, region: LandingRegion) -> set[tuple[int, int]]:
    """Every cell the polyline passes through or touches.

    Each segment is sampled every SAMPLE_STEP_M, and also wherever it meets a cell
    boundary, where the cells a hair (TOUCH_M) to either side in east and north count
    too: a diagonal that grazes the corner of an obstacle cell crosses it.
    """
    cells = set()
    d = region.resolution_m
    e_edges = region.east_m[0] + d * (np.arange(region.east_m.size + 1) - 0.5)
    n_edges = region.north_m[0] + d * (np.arange(region.north_m.size + 1) - 0.5)

    def add(east, north):
        rows = np.rint((north - region.north_m[0]) / d).astype(int)
        cols = np.rint((east - region.east_m[0]) / d).astype(int)
        cells.update(zip(rows.tolist(), cols.tolist(), strict=True))

    for i in range(len(path)):
        e0, e1 = path.east_m[i], path.east_m[i + 1]
        n0, n1 = path.north_m[i], path.north_m[i + 1]
        k = max(2, math.ceil(math.hypot(e1 - e0, n1 - n0) / SAMPLE_STEP_M) + 1)
        t = np.linspace(0.0, 1.0, k)
        add(e0 + t * (e1 - e0), n0 + t * (n1 - n0))
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            crossings = [(e_edges - e0) / (e1 - e0), (n_edges - n0) / (n1 - n0)]
        t = np.concatenate(crossings)
        t = t[(t > 0.0) & (t < 1.0)]  # NaN and inf drop out
        for de in (-TOUCH_M, TOUCH_M):
            for dn in (-TOUCH_M, TOUCH_M):
                add(e0 + t * (e1 - e0) + de, n0 + t * (n1 - n0) + dn)
    return cells


def reachable(obstacle: np.ndarray, start: tuple[int, int], goal: tuple[int, int]) -> bool:
    """Independent oracle: breadth-first search, 8-connected without corner cutting."""
    n_rows, n_cols = obstacle.shape
    free = ~obstacle
    free[start] = True
    seen = {start}
    queue = deque([start])
    while queue:
        r, c = queue.popleft()
        if (r, c) == goal:
            return True
        for dr in (-1, 0, 1):
            for dc in (-1, 0, 1):
                rr, cc = r + dr, c + dc
                if not (0 <= rr < n_rows and 0 <= cc < n_cols) or (rr, cc) in seen:
                    continue
                if not free[rr, cc] or (dr and dc and not (free[r + dr, c] and free[r, c + dc])):
                    continue
                seen.add((rr, cc))
                queue.append((rr, cc))
    return False


def assert_avoids_obstacles(path: Route, region: LandingRegion) -> None:
    grid = traversability(region)
    start = grid.cell(*path.start_en)
    bad = [c for c in crossed_cells(path, region) if c != start and grid.obstacle[c]]
    assert not bad, f"path crosses obstacle cells {bad[:5]}"


# ------------------------------------------------------------------ the planner


@settings(max_examples=80, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    rock_share=st.floats(0.0, 0.45),
    mesa_share=st.floats(0.0, 0.15),
    start=st.tuples(st.floats(-124.9, 114.9), st.floats(-124.9, 114.9)),
    goal=st.tuples(st.floats(-124.9, 114.9), st.floats(-124.9, 114.9)),
)
def test_paths_never_cross_obstacles_on_random_maps(seed, rock_share, mesa_share, start, goal):
    region = synthetic_region(seed, 24, rock_share, mesa_share)
    grid = traversability(region)
    start_cell, goal_cell = grid.cell(*start), grid.cell(*goal)
    expect = not grid.obstacle[goal_cell] and reachable(grid.obstacle, start_cell, goal_cell)
    try:
        path = plan_path(region, start, goal)
    except NoPathError as exc:
        assert not expect, f"planner refused a reachable goal: {exc}"
        assert "\n" not in str(exc)
        return
    assert expect, "planner found a path the oracle says does not exist"
    assert_avoids_obstacles(path, region)
    assert path.start_en == pytest.approx(start) and path.goal_en == pytest.approx(goal)
    assert path.length_m >= math.dist(start, goal) - 1e-9


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    start=st.tuples(st.floats(-3000.0, 3000.0), st.floats(-3000.0, 3000.0)),
    goal=st.tuples(st.floats(-3000.0, 3000.0), st.floats(-3000.0, 3000.0)),
)
def test_paths_never_cross_obstacles_at_jezero(jezero, start, goal):
    try:
        path = plan_path(jezero, start, goal)
    except NoPathError:
        return
    assert_avoids_obstacles(path, jezero)
    assert path.length_m >= math.dist(start, goal) - 1e-9
    assert path.cost >= path.length_m  # cost per metre is at least 1


def test_two_km_route_plans_within_a_second(jezero):
    traversability(jezero)  # the cost grid is built once per map
    start, goal = (0.0, 0.0), (2000.0, -300.0)
    t0 = time.perf_counter()
    path = plan_path(jezero, start, goal)
    elapsed = time.perf_counter() - t0
    assert elapsed < PLAN_TIME_LIMIT_S
    assert math.dist(start, goal) <= path.length_m < 1.3 * math.dist(start, goal)


def test_goal_in_an_obstacle_is_refused_in_one_line(jezero):
    grid = traversability(jezero)
    rows, cols = np.nonzero(grid.obstacle)
    k = int(np.argmin(np.hypot(jezero.east_m[cols], jezero.north_m[rows])))
    goal = (float(jezero.east_m[cols[k]]), float(jezero.north_m[rows[k]]))
    with pytest.raises(NoPathError, match="obstacle") as info:
        plan_path(jezero, (0.0, 0.0), goal)
    assert isinstance(info.value, ScenarioError)
    assert "\n" not in str(info.value)


def test_walled_off_goal_is_unreachable():
    n = 21
    axis = 10.0 * (np.arange(n) - n // 2)
    rocks = np.full((n, n), 0.1)
    rocks[5:16, 5] = rocks[5:16, 15] = rocks[5, 5:16] = rocks[15, 5:16] = 0.8  # a ring
    region = LandingRegion(
        site=SITE, east_m=axis, north_m=axis.copy(), elevation_m=np.zeros((n, n)),
        rock_height_m=rocks,
    )  # fmt: skip
    with pytest.raises(NoPathError, match="cut off") as info:
        plan_path(region, (-90.0, -90.0), (0.0, 0.0))
    assert "\n" not in str(info.value)
    with pytest.raises(NoPathError, match="off the map"):
        plan_path(region, (0.0, 0.0), (500.0, 0.0))
    # A wall of cells touching only at corners stops the rover: no corner cutting.
    diagonal = np.full((n, n), 0.1)
    diagonal[np.arange(n), n - 1 - np.arange(n)] = 0.8
    region2 = LandingRegion(
        site=SITE, east_m=axis, north_m=axis.copy(), elevation_m=np.zeros((n, n)),
        rock_height_m=diagonal,
    )  # fmt: skip
    with pytest.raises(NoPathError, match="cut off"):
        plan_path(region2, (-90.0, -90.0), (90.0, 90.0))


def test_sand_costs_more_and_is_avoided_when_cheap_to_avoid():
    n = 31
    axis = 10.0 * (np.arange(n) - n // 2)
    elevation = np.zeros((n, n))
    ripple = 0.8 * (np.indices((n, n)).sum(axis=0) % 2)  # a checkerboard: very rough
    elevation[10:21, 5:26] = ripple[10:21, 5:26]
    region = LandingRegion(
        site=SITE, east_m=axis, north_m=axis.copy(), elevation_m=elevation,
        rock_height_m=np.zeros((n, n)),
    )  # fmt: skip
    grid = traversability(region)
    assert grid.sand[15, 15] and not grid.sand[0, 0]
    assert grid.cost[15, 15] >= load_mobility().sand.cost_factor
    path = plan_path(region, (0.0, -140.0), (0.0, 140.0))
    assert path.length_m > 280.0  # it went round the sand
    assert float(np.max(path.sand)) < 1.0


# ------------------------------------------------------------------ driving


@pytest.fixture(scope="module")
def delta_route(jezero):
    return plan_path(jezero, (0.0, 0.0), (-1500.0, 800.0))


@settings(max_examples=60, deadline=None)
@given(
    mode=st.sampled_from(["blind", "visual_odometry", "autonav"]),
    budget_s=st.floats(0.0, 30_000.0),
    budget_j=st.floats(0.0, 3.0e6),
    seed=st.integers(0, 2**32 - 1),
)
def test_drive_never_exceeds_its_budgets(delta_route, mode, budget_s, budget_j, seed):
    result = drive(delta_route, mode, budget_s, budget_j, np.random.default_rng(seed))
    mobility = load_mobility()
    limit_s = min(budget_s, mobility.budget.max_drive_time_per_sol_s)
    assert result.time_s <= limit_s * (1 + BUDGET_RTOL) + 1e-9
    assert result.energy_j <= budget_j * (1 + BUDGET_RTOL) + 1e-9
    cap = mobility.mode(mode).max_distance_per_sol_m or math.inf
    assert result.distance_m <= min(cap, delta_route.length_m) * (1 + BUDGET_RTOL) + 1e-9
    assert result.odometry_m >= result.distance_m
    for segment in result.segments:
        assert segment.odometry_m >= segment.distance_m
        assert 0.0 <= segment.slip_fraction <= mobility.slip.max_fraction
    if not result.arrived:
        assert result.remaining is not None
        assert result.remaining.start_en == pytest.approx(result.end_en)
        assert result.remaining.length_m + result.distance_m == pytest.approx(delta_route.length_m)


def test_a_full_sol_at_autonav_stays_below_the_record(delta_route):
    result = drive(delta_route, "autonav", rng=np.random.default_rng(3))
    assert result.stop_reason == "time"
    assert 100.0 < result.distance_m <= SINGLE_SOL_RECORD_M
    speed = load_mobility().modes.autonav.speed_m_per_h
    assert result.odometry_m == pytest.approx(speed * result.time_s / 3600.0)


def test_slip_grows_with_slope_and_makes_odometry_exceed_distance():
    mobility = load_mobility()
    slopes = np.radians([0.0, 5.0, 10.0, 20.0, 30.0])
    s = slip_fraction(slopes, 0.0, mobility)
    assert s.shape == slopes.shape and np.all(np.diff(s) > 0)
    assert np.all(slip_fraction(slopes, 1.0, mobility) > s)
    assert np.ndim(slip_fraction(0.1)) == 0  # a scalar in, a scalar out

    east = np.array([0.0, 50.0, 100.0])
    flat = Route(east, np.zeros(3), np.zeros(2), np.zeros(2), 100.0)
    steep = Route(east, np.zeros(3), np.radians([25.0, 25.0]), np.zeros(2), 100.0)
    a = drive(flat, "autonav", rng=None)
    b = drive(steep, "autonav", rng=None)
    assert a.arrived and b.arrived
    assert a.distance_m == pytest.approx(100.0) == pytest.approx(b.distance_m)
    assert a.odometry_m > a.distance_m
    assert b.odometry_m > a.odometry_m and b.time_s > a.time_s and b.energy_j > a.energy_j


def test_successive_sols_reach_the_goal_and_repeat_exactly(delta_route):
    def campaign(seed):
        rng = np.random.default_rng(seed)
        path, sols = delta_route, []
        while path is not None:
            sols.append(drive(path, "autonav", rng=rng))
            path = sols[-1].remaining
        return sols

    sols = campaign(11)
    assert sols[-1].arrived and sols[-1].end_en == pytest.approx(delta_route.goal_en)
    assert math.fsum(s.distance_m for s in sols) == pytest.approx(delta_route.length_m)
    assert [s.end_en for s in campaign(11)] == [s.end_en for s in sols]
    assert "autonav" in repr(sols[0]) and "m made good" in repr(sols[0])


def test_unknown_mode_and_negative_budget_are_one_line_errors(delta_route):
    with pytest.raises(ScenarioError, match="unknown drive mode 'warp'"):
        drive(delta_route, "warp")
    with pytest.raises(ScenarioError, match="time budget"):
        drive(delta_route, "autonav", budget_s=-1.0)


# ------------------------------------------------------------------ the data file


def test_packaged_mobility_holds_the_reference_figures():
    mobility = load_mobility()
    assert mobility.limits.wheel_obstacle_height_m == pytest.approx(0.40)
    assert mobility.limits.tilt_limit_deg == pytest.approx(30.0)
    assert mobility.modes.autonav.speed_m_per_h == pytest.approx(120.0)
    assert mobility.mode("blind").speed_mps > 0


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("tilt_limit_deg = 30.0", "tilt_limit_deg = 95.0", "limits.tilt_limit_deg"),
        ("wheel_obstacle_height_m = 0.40", "", "limits.wheel_obstacle_height_m"),
        ("speed_m_per_h = 120.0", "speed_m_per_h = -5.0", "modes.autonav.speed_m_per_h"),
        ("cost_factor = 2.0", "cost_factor = 2.0\ncolour = 1", "sand.colour"),
        ("at_tilt_limit_fraction = 0.45", "at_tilt_limit_fraction = 0.01", "slip"),
    ],
)
def test_bad_mobility_file_is_a_one_line_config_error(tmp_path: Path, old, new, field):
    assert old in MOBILITY_TEXT
    path = tmp_path / "bad.toml"
    path.write_text(MOBILITY_TEXT.replace(old, new))
    with pytest.raises(ConfigError) as info:
        load_mobility(path)
    message = str(info.value)
    assert "\n" not in message and field in message and "bad.toml" in message
