"""Path planning over the hazard map: a traversability cost grid and a shortest path.

`traversability(region)` turns a `LandingRegion` into a `CostGrid` on the region's own
cells: a cell is an obstacle where its slope exceeds the tilt limit or its tallest rock
exceeds the wheel obstacle height; elsewhere its cost per metre is the expected wheel
odometry per metre made good, 1 / (1 - slip(slope, sand)), times the sand cost factor on
sand. `plan_path(grid, start_en, goal_en)` finds the cheapest 8-connected route between
cell centres (Dijkstra, `scipy.sparse.csgraph`) and returns a `Route` polyline.

Sand is not in the terrain model. We call a cell sandy where the RMS of its elevation
about the 3 x 3-cell mean is above ``sand.roughness_threshold_m``: this picks the ripple
fields of the rugged (Seitah-like) unit and the sharply curved floors of small craters,
where sand collects; it also picks sharp ridge crests, which are rocky, not sandy.

Design choices. The grid is planned at the map's own resolution: coarsening by
max-pooling obstacles would close most passages in a field where one cell in seven
holds a rock above 40 cm, and averaging would open paths through obstacles. Diagonal
moves may not cut the corner of an obstacle cell, so the polyline never touches one. The
search runs on a window around start and goal (grown until it holds the route), after
a connected-component check over the whole grid has proved the goal reachable, so an
unreachable goal is refused at once and a 2-5 km route takes well under a second.

What this leaves out: any-angle smoothing (8-connected paths are up to ~8 % longer than
the geodesic), the rover's footprint (obstacles are not dilated), heading-dependent cost
(cross-slope tilt, uphill vs downhill slip), the 45 deg static limit, hazards smaller
than the 10 m cells, and re-planning from AutoNav's own imagery.
"""

from __future__ import annotations

import math
import weakref
from functools import cached_property

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage, sparse
from scipy.sparse import csgraph

from perseverance.errors import ScenarioError
from perseverance.rover.mobility import Mobility, load_mobility, slip_fraction
from perseverance.rover.route import Route
from perseverance.terrain.landing_region import LandingRegion

__all__ = ["CostGrid", "NoPathError", "plan_path", "traversability"]

#: Smallest search window margin around the start-goal box [cells].
_MIN_MARGIN_CELLS = 40
#: Window margin as a share of the start-goal distance.
_MARGIN_SHARE = 0.3

#: Vertices closer than this [m] are merged (start or goal on a cell centre).
_SAME_POINT_M = 1e-9

_DEFAULT_GRIDS: weakref.WeakKeyDictionary[LandingRegion, CostGrid] = weakref.WeakKeyDictionary()


class NoPathError(ScenarioError):
    """No traversable route: the goal lies in an obstacle, off the map, or is cut off."""


class CostGrid:
    """Traversability of a map: obstacles and cost per metre, on [north, east] cells.

    Attributes
    ----------
    east_m, north_m : ndarray
        Ascending, evenly spaced cell-centre axes [m] (east/north of the landing site).
    obstacle : ndarray of bool (n_north, n_east)
        Cells the rover may not enter.
    cost : ndarray (n_north, n_east)
        Cost per metre made good (>= 1; finite also on obstacles, for the start cell).
    slope_rad : ndarray
        Slope of each cell [rad].
    sand : ndarray of bool
        Cells taken as sand.
    rock_height_m : ndarray
        Tallest rock in each cell [m].
    mobility : Mobility
        The limits the grid was made with.
    """

    def __init__(
        self,
        *,
        east_m: NDArray[np.float64],
        north_m: NDArray[np.float64],
        slope_rad: NDArray[np.float64],
        rock_height_m: NDArray[np.float64],
        sand: NDArray[np.bool_],
        mobility: Mobility,
    ) -> None:
        self.east_m = np.asarray(east_m, float)
        self.north_m = np.asarray(north_m, float)
        self.slope_rad = np.asarray(slope_rad, float)
        self.rock_height_m = np.asarray(rock_height_m, float)
        self.sand = np.asarray(sand, bool)
        self.mobility = mobility
        limits = mobility.limits
        self.obstacle = (self.slope_rad > limits.tilt_limit_rad) | (
            self.rock_height_m > limits.wheel_obstacle_height_m
        )
        slip = slip_fraction(self.slope_rad, self.sand, mobility)
        self.cost = np.where(self.sand, mobility.sand.cost_factor, 1.0) / (1.0 - slip)
        self.d_east = float(self.east_m[1] - self.east_m[0])
        self.d_north = float(self.north_m[1] - self.north_m[0])

    @property
    def shape(self) -> tuple[int, int]:
        """Grid shape (n_north, n_east)."""
        return self.obstacle.shape

    @cached_property
    def components(self) -> NDArray[np.int32]:
        """Label of each free cell's 4-connected component (0 on obstacles).

        Without corner cutting a diagonal move needs both orthogonal neighbours free,
        so 4-connectivity is exactly the planner's reachability.
        """
        labels, _ = ndimage.label(~self.obstacle)
        return labels

    def cell(self, east_m: float, north_m: float) -> tuple[int, int] | None:
        """(row, column) of the cell holding (east, north) [m], or None off the map."""
        row = round((north_m - self.north_m[0]) / self.d_north)
        col = round((east_m - self.east_m[0]) / self.d_east)
        if 0 <= row < self.shape[0] and 0 <= col < self.shape[1]:
            return row, col
        return None

    def __repr__(self) -> str:
        return (
            f"CostGrid({self.shape[0]}x{self.shape[1]} cells at {self.d_east:g} m, "
            f"{100.0 * float(np.mean(self.obstacle)):.1f}% obstacle, "
            f"{100.0 * float(np.mean(self.sand)):.1f}% sand)"
        )


def traversability(region: LandingRegion, mobility: Mobility | None = None) -> CostGrid:
    """The `CostGrid` of `region` for a rover's `mobility` (default: the packaged one).

    Obstacle: slope > tilt limit or tallest rock > wheel obstacle height. Sand: RMS
    elevation about the 3 x 3-cell mean > the sand roughness threshold [m]. The grid of
    the default mobility is cached per region.
    """
    if mobility is None and region in _DEFAULT_GRIDS:
        return _DEFAULT_GRIDS[region]
    m = mobility or load_mobility()
    z = np.asarray(region.elevation_m, float)
    residual = z - ndimage.uniform_filter(z, 3, mode="nearest")
    variance = ndimage.uniform_filter(residual * residual, 3, mode="nearest")
    roughness = np.sqrt(np.maximum(variance, 0.0))  # the running mean can dip below 0
    grid = CostGrid(
        east_m=region.east_m,
        north_m=region.north_m,
        slope_rad=region.slope_rad,
        rock_height_m=region.rock_height_m,
        sand=roughness > m.sand.roughness_threshold_m,
        mobility=m,
    )
    if mobility is None:
        _DEFAULT_GRIDS[region] = grid
    return grid


def plan_path(
    grid: CostGrid | LandingRegion,
    start_en: tuple[float, float],
    goal_en: tuple[float, float],
) -> Route:
    """The cheapest obstacle-free route from `start_en` to `goal_en` (east, north) [m].

    Dijkstra over an 8-connected graph of cell centres; an edge costs its length [m]
    times the mean cost per metre of its two cells, and a diagonal edge needs both
    cells it passes between to be free (no corner cutting). The start cell may be an
    obstacle (the rover is already there: it may drive out of it); the goal cell may not.
    A `LandingRegion` is first turned into its `CostGrid` with the default mobility.

    Raises `NoPathError` (a `ScenarioError`) with one line when start or goal is off
    the map, the goal cell is an obstacle, or no route joins them.

    Example
    -------
    >>> path = plan_path(region, (0.0, 0.0), (-2000.0, 900.0))  # doctest: +SKIP
    >>> path.length_m                                            # doctest: +SKIP
    """
    if isinstance(grid, LandingRegion):
        grid = traversability(grid)
    start = _checked_cell(grid, start_en, "start")
    goal = _checked_cell(grid, goal_en, "goal")
    if grid.obstacle[goal]:
        raise NoPathError(_obstacle_message(grid, goal_en, goal))
    if not _connected(grid, start, goal):
        raise NoPathError(
            f"goal ({goal_en[0]:.1f}, {goal_en[1]:.1f}) m E/N is cut off from the start "
            f"({start_en[0]:.1f}, {start_en[1]:.1f}) m by obstacles (slope > "
            f"{grid.mobility.limits.tilt_limit_deg:g} deg or rocks > "
            f"{grid.mobility.limits.wheel_obstacle_height_m:g} m): choose another goal"
        )

    cells = _search(grid, start, goal)
    rows = np.array([c[0] for c in cells])
    cols = np.array([c[1] for c in cells])
    east = np.concatenate([[start_en[0]], grid.east_m[cols], [goal_en[0]]])
    north = np.concatenate([[start_en[1]], grid.north_m[rows], [goal_en[1]]])
    # Per-segment slope and sand: mean of the two end cells (start and goal cells for
    # the partial first and last segments).
    cell_rows = np.concatenate([[rows[0]], rows, [rows[-1]]])
    cell_cols = np.concatenate([[cols[0]], cols, [cols[-1]]])
    slope = grid.slope_rad[cell_rows, cell_cols]
    sand = grid.sand[cell_rows, cell_cols].astype(float)
    cost = grid.cost[cell_rows, cell_cols]
    # A cell centre within _SAME_POINT_M of the start or goal gives way to it.
    keep = np.ones(east.size, dtype=bool)
    if math.hypot(east[1] - east[0], north[1] - north[0]) <= _SAME_POINT_M:
        keep[1] = False
    if math.hypot(east[-1] - east[-2], north[-1] - north[-2]) <= _SAME_POINT_M:
        keep[-2] = False
    keep[0] = keep[-1] = True
    east, north = east[keep], north[keep]
    slope, sand, cost = slope[keep], sand[keep], cost[keep]
    length = np.hypot(np.diff(east), np.diff(north))
    return Route(
        east_m=east,
        north_m=north,
        slope_rad=0.5 * (slope[1:] + slope[:-1]),
        sand=0.5 * (sand[1:] + sand[:-1]),
        cost=float(np.sum(length * 0.5 * (cost[1:] + cost[:-1]))),
    )


def _checked_cell(grid: CostGrid, point: tuple[float, float], name: str) -> tuple[int, int]:
    east, north = float(point[0]), float(point[1])
    cell = grid.cell(east, north) if math.isfinite(east) and math.isfinite(north) else None
    if cell is None:
        half_e, half_n = 0.5 * grid.d_east, 0.5 * grid.d_north
        raise NoPathError(
            f"{name} ({east:.1f}, {north:.1f}) m E/N is off the map (east "
            f"{grid.east_m[0] - half_e:.0f}..{grid.east_m[-1] + half_e:.0f} m, north "
            f"{grid.north_m[0] - half_n:.0f}..{grid.north_m[-1] + half_n:.0f} m)"
        )
    return cell


def _obstacle_message(grid: CostGrid, point: tuple[float, float], cell: tuple[int, int]) -> str:
    limits = grid.mobility.limits
    why = []
    slope_deg = math.degrees(float(grid.slope_rad[cell]))
    if slope_deg > limits.tilt_limit_deg:
        why.append(f"slope {slope_deg:.1f} deg > tilt limit {limits.tilt_limit_deg:g} deg")
    rock = float(grid.rock_height_m[cell])
    if rock > limits.wheel_obstacle_height_m:
        why.append(f"rock {rock:.2f} m > wheel limit {limits.wheel_obstacle_height_m:g} m")
    text = (
        f"goal ({point[0]:.1f}, {point[1]:.1f}) m E/N lies in an obstacle cell ({'; '.join(why)})"
    )
    nearest = _nearest_free(grid, cell)
    if nearest is not None:
        text += (
            f": try the free cell at ({grid.east_m[nearest[1]]:.1f}, "
            f"{grid.north_m[nearest[0]]:.1f}) m"
        )
    return text


def _nearest_free(grid: CostGrid, cell: tuple[int, int], reach: int = 10):
    """The free cell nearest to `cell` within `reach` cells, or None."""
    r0, c0 = max(cell[0] - reach, 0), max(cell[1] - reach, 0)
    window = grid.obstacle[r0 : cell[0] + reach + 1, c0 : cell[1] + reach + 1]
    free_rows, free_cols = np.nonzero(~window)
    if free_rows.size == 0:
        return None
    d = np.hypot(
        (free_rows + r0 - cell[0]) * grid.d_north, (free_cols + c0 - cell[1]) * grid.d_east
    )
    k = int(np.argmin(d))
    return int(free_rows[k] + r0), int(free_cols[k] + c0)


def _connected(grid: CostGrid, start: tuple[int, int], goal: tuple[int, int]) -> bool:
    """Whether the goal's component touches the start cell (or its free neighbours)."""
    labels = grid.components
    target = labels[goal]
    if labels[start] == target:
        return True
    if labels[start] != 0:
        return False
    r, c = start  # an obstacle start: the rover may leave to any free 4-neighbour
    n_rows, n_cols = grid.shape
    for dr, dc in ((0, 1), (0, -1), (1, 0), (-1, 0)):
        if 0 <= r + dr < n_rows and 0 <= c + dc < n_cols and labels[r + dr, c + dc] == target:
            return True
    return False


def _search(grid: CostGrid, start: tuple[int, int], goal: tuple[int, int]):
    """Cells of the cheapest route, start to goal, found in growing windows."""
    n_rows, n_cols = grid.shape
    span = max(abs(goal[0] - start[0]), abs(goal[1] - start[1]))
    margin = max(_MIN_MARGIN_CELLS, math.ceil(_MARGIN_SHARE * span))
    while True:
        r0 = max(min(start[0], goal[0]) - margin, 0)
        r1 = min(max(start[0], goal[0]) + margin + 1, n_rows)
        c0 = max(min(start[1], goal[1]) - margin, 0)
        c1 = min(max(start[1], goal[1]) + margin + 1, n_cols)
        route = _dijkstra(grid, (r0, r1, c0, c1), start, goal)
        if route is not None:
            return route
        if r0 == 0 and c0 == 0 and r1 == n_rows and c1 == n_cols:
            raise AssertionError("reachable goal not found on the whole grid")  # a bug
        margin *= 2


def _dijkstra(grid: CostGrid, window: tuple[int, int, int, int], start, goal):
    """Dijkstra inside a window of the grid; the route's cells, or None if cut off."""
    r0, r1, c0, c1 = window
    free = ~grid.obstacle[r0:r1, c0:c1]
    free[start[0] - r0, start[1] - c0] = True
    cost = grid.cost[r0:r1, c0:c1]
    h, w = free.shape
    index = np.arange(h * w).reshape(h, w)
    d_e, d_n = grid.d_east, grid.d_north
    diagonal = math.hypot(d_e, d_n)
    heads, tails, weights = [], [], []
    # (row offset, col offset, length): east, north, north-east, north-west.
    for dr, dc, length in ((0, 1, d_e), (1, 0, d_n), (1, 1, diagonal), (1, -1, diagonal)):
        a = np.s_[0 : h - dr, max(-dc, 0) : w - max(dc, 0)]
        b = np.s_[dr:h, max(dc, 0) : w - max(-dc, 0)]
        ok = free[a] & free[b]
        if dr and dc:  # no corner cutting: both cells passed between must be free
            ok &= free[dr:h, max(-dc, 0) : w - max(dc, 0)]  # the cell beside `a`, row+1
            ok &= free[0 : h - dr, max(dc, 0) : w - max(-dc, 0)]  # the cell beside `a`, col+dc
        weight = length * 0.5 * (cost[a] + cost[b])
        heads.append(index[a][ok])
        tails.append(index[b][ok])
        weights.append(weight[ok])
    u = np.concatenate(heads + tails)
    v = np.concatenate(tails + heads)
    wt = np.concatenate(weights + weights)
    graph = sparse.csr_matrix((wt, (u, v)), shape=(h * w, h * w))
    source = int(index[start[0] - r0, start[1] - c0])
    target = int(index[goal[0] - r0, goal[1] - c0])
    dist, pred = csgraph.dijkstra(graph, directed=True, indices=source, return_predecessors=True)
    if not np.isfinite(dist[target]):
        return None
    route = [target]
    while route[-1] != source:
        route.append(int(pred[route[-1]]))
    route.reverse()
    return [(r0 + k // w, c0 + k % w) for k in route]


def reachable_goal(
    grid: CostGrid,
    start_en: tuple[float, float],
    goal_en: tuple[float, float],
    max_shift_m: float = 500.0,
) -> tuple[float, float]:
    """``goal_en`` if a route reaches it, else the nearest cell centre [m] that one does.

    A waypoint of a scenario is an approximate place: when its cell is an obstacle or cut
    off from the rover, the rover drives to the closest reachable free cell instead.
    Raises `NoPathError` when none lies within ``max_shift_m`` [m] of the goal.
    """
    start = _checked_cell(grid, start_en, "start")
    goal = _checked_cell(grid, goal_en, "goal")
    if not grid.obstacle[goal] and _connected(grid, start, goal):
        return float(goal_en[0]), float(goal_en[1])
    labels = grid.components
    r, c = start
    reach = {int(labels[r, c])} if labels[r, c] else set()
    if not reach:  # an obstacle start: the rover may leave to a free 4-neighbour
        for dr, dc in ((0, 1), (0, -1), (1, 0), (-1, 0)):
            if 0 <= r + dr < grid.shape[0] and 0 <= c + dc < grid.shape[1]:
                reach.add(int(labels[r + dr, c + dc]))
        reach.discard(0)
    k = math.ceil(max_shift_m / min(grid.d_east, grid.d_north))
    r0, c0 = max(goal[0] - k, 0), max(goal[1] - k, 0)
    window = labels[r0 : goal[0] + k + 1, c0 : goal[1] + k + 1]
    rows, cols = np.nonzero(np.isin(window, list(reach)))
    if rows.size:
        east = grid.east_m[cols + c0]
        north = grid.north_m[rows + r0]
        d = np.hypot(east - goal_en[0], north - goal_en[1])
        i = int(np.argmin(d))
        if d[i] <= max_shift_m:
            return float(east[i]), float(north[i])
    raise NoPathError(
        f"no cell within {max_shift_m:g} m of the goal ({goal_en[0]:.1f}, {goal_en[1]:.1f}) m "
        "E/N can be reached from the rover: move the waypoint"
    )
