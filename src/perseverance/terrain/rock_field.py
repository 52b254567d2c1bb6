"""The fine layer's rocks: every rock >= 0.1 m of each tile, and the rock-height raster.

The rocks follow Golombek & Rapp (1997) (`perseverance.terrain.rocks`) with the coarse
cell's rock abundance k (the rugged unit's inside it), and are *conditioned on the coarse
map*: each 10 m coarse cell gets its tallest rock exactly as the coarse map has it
(diameter = coarse rock height / `ROCK_HEIGHT_TO_DIAMETER`), at a uniform position in
the cell, plus a Poisson number of smaller rocks with mean A (N(d_min) - N(D_max)),
diameters from N restricted to [d_min, D_max). For a Poisson population that is the
exact law of the rest given the largest, so the rocks are still Golombek & Rapp and the
two layers agree: the coarse hazard map and the fine one see the same big rocks. Each
rock is a disc of its diameter; the raster's value in a fine cell is the height (D/2) of
the tallest rock whose disc touches the cell, rocks from neighbouring tiles included.

A tile's rocks depend only on (site, seed, tile index): they are drawn from
``numpy.random.default_rng([seed, i_east + OFFSET, i_north + OFFSET, SALT])``.
"""

from __future__ import annotations

import math
from collections import OrderedDict

import numpy as np
from numpy.typing import NDArray

from perseverance.terrain.landing_region import LandingRegion
from perseverance.terrain.rocks import (
    D_MIN_M,
    ROCK_HEIGHT_TO_DIAMETER,
    cumulative_number_density,
    tallest_rock_diameter,
)
from perseverance.terrain.tile_grid import INDEX_OFFSET, TileGrid

__all__ = ["RockField", "Rocks"]

#: Salt separating the random stream of the rocks from the roughness noise's.
_SALT_ROCKS = 0x524F434B  # "ROCK"

_Array = NDArray[np.float64]
#: Rocks as (east_m, north_m, diameter_m) arrays [m].
Rocks = tuple[_Array, _Array, _Array]


class RockField:
    """The rocks of every tile of `grid` over `coarse`, drawn from `seed` on demand.

    The rocks of a tile's neighbours that reach into it are kept in a small LRU of
    ``max_borders`` tiles, so that rasterising a row of tiles draws each tile once.
    """

    def __init__(self, coarse: LandingRegion, seed: int, grid: TileGrid, max_borders: int):
        self.coarse = coarse
        self.seed = seed
        self.grid = grid
        self.max_borders = max_borders
        self._borders: OrderedDict[tuple[int, int], Rocks] = OrderedDict()

    def memory_bytes(self) -> int:
        """Bytes of the border rocks kept."""
        return sum(sum(a.nbytes for a in b) for b in self._borders.values())

    def rocks(self, i: int, j: int) -> Rocks:
        """Rocks centred in tile (i, j), conditioned on the coarse map's tallest rocks."""
        m = self.grid.coarse_per_tile
        coarse = self.coarse
        site = coarse.site
        rows = np.arange(self.grid.row0 + j * m, self.grid.row0 + (j + 1) * m)
        cols = np.arange(self.grid.col0 + i * m, self.grid.col0 + (i + 1) * m)
        rows = rows[(rows >= 0) & (rows < coarse.shape[0])]
        cols = cols[(cols >= 0) & (cols < coarse.shape[1])]
        rng = np.random.default_rng([self.seed, i + INDEX_OFFSET, j + INDEX_OFFSET, _SALT_ROCKS])
        empty = (np.empty(0), np.empty(0), np.empty(0))
        if rows.size == 0 or cols.size == 0:
            return empty
        d_max = coarse.rock_height_m[np.ix_(rows, cols)] / ROCK_HEIGHT_TO_DIAMETER
        centre_e = np.broadcast_to(coarse.east_m[cols][None, :], d_max.shape)
        centre_n = np.broadcast_to(coarse.north_m[rows][:, None], d_max.shape)
        k_cell = np.full(d_max.shape, site.rocks.rock_abundance_k)
        unit = site.rugged_unit
        if unit is not None:  # the coarse map's rule: cell centres inside the disc
            b = math.radians(unit.bearing_deg)
            ue, un = unit.distance_m * math.sin(b), unit.distance_m * math.cos(b)
            inside = np.hypot(centre_e - ue, centre_n - un) < unit.radius_m
            k_cell[inside] = unit.rock_abundance_k
        size = coarse.resolution_m
        area = size * size
        parts: list[Rocks] = []
        for k in np.unique(k_cell):  # ascending, so a fixed order of draws
            cells = (k_cell == k) & (d_max > 0.0)
            if not cells.any():
                continue
            top = d_max[cells]
            ce, cn = centre_e[cells], centre_n[cells]
            # The tallest rock of each cell, as in the coarse map.
            offset = rng.random((2, top.size)) - 0.5
            parts.append((ce + size * offset[0], cn + size * offset[1], top))
            # The rest: Poisson with the rate of rocks in [d_min, D_max).
            n_min = float(cumulative_number_density(D_MIN_M, float(k)))
            n_top = np.minimum(cumulative_number_density(top, float(k)), n_min)
            count = rng.poisson(area * (n_min - n_top))
            u = rng.random(int(count.sum()))
            n_top = np.repeat(n_top, count)
            target = n_top + u * (n_min - n_top)
            diameter = tallest_rock_diameter(float(k), 1.0, target)
            offset = rng.random((2, u.size)) - 0.5
            parts.append(
                (
                    np.repeat(ce, count) + size * offset[0],
                    np.repeat(cn, count) + size * offset[1],
                    np.maximum(diameter, D_MIN_M),
                )
            )
        if not parts:
            return empty
        e, n, d = (np.concatenate(p) for p in zip(*parts, strict=True))
        return e, n, d

    def raster(self, i: int, j: int) -> NDArray[np.float32]:
        """Tallest rock height [m] touching each cell of tile (i, j), neighbours included."""
        own = self.rocks(i, j)
        self._remember_border((i, j), self._crossing(i, j, *own))
        parts = [own]
        for di in (-1, 0, 1):
            for dj in (-1, 0, 1):
                if di or dj:
                    parts.append(self._border_rocks(i + di, j + dj))
        e, n, d = (np.concatenate(p) for p in zip(*parts, strict=True))
        grid = self.grid
        nc, r = grid.cells_per_tile, grid.resolution_m
        x = (e - grid.origin_east_m) / r - i * nc  # in cells from the tile's west edge
        y = (n - grid.origin_north_m) / r - j * nc
        rho = 0.5 * d / r
        x0 = np.floor(x - rho).astype(np.int64)
        y0 = np.floor(y - rho).astype(np.int64)
        span_x = np.floor(x + rho).astype(np.int64) - x0 + 1
        span_y = np.floor(y + rho).astype(np.int64) - y0 + 1
        height = (ROCK_HEIGHT_TO_DIAMETER * d).astype(np.float32)
        raster = np.zeros((nc, nc), dtype=np.float32)
        for dx in range(int(span_x.max(initial=0))):
            for dy in range(int(span_y.max(initial=0))):
                cx, cy = x0 + dx, y0 + dy
                near_x = np.clip(x, cx, cx + 1) - x
                near_y = np.clip(y, cy, cy + 1) - y
                hit = (
                    (dx < span_x)
                    & (dy < span_y)
                    & (cx >= 0)
                    & (cx < nc)
                    & (cy >= 0)
                    & (cy < nc)
                    & (near_x * near_x + near_y * near_y < rho * rho)
                )
                np.maximum.at(raster, (cy[hit], cx[hit]), height[hit])
        return raster

    def _border_rocks(self, i: int, j: int) -> Rocks:
        """Rocks of tile (i, j) whose discs reach beyond the tile (kept in a small LRU)."""
        key = (i, j)
        border = self._borders.get(key)
        if border is None:
            border = self._crossing(i, j, *self.rocks(i, j))
            self._remember_border(key, border)
        else:
            self._borders.move_to_end(key)
        return border

    def _crossing(self, i: int, j: int, e: _Array, n: _Array, d: _Array) -> Rocks:
        """The rocks (e, n, d) of tile (i, j) whose discs cross its edge."""
        grid = self.grid
        west = grid.origin_east_m + i * grid.tile_m
        south = grid.origin_north_m + j * grid.tile_m
        radius = 0.5 * d
        crossing = (
            (e - radius < west)
            | (e + radius > west + grid.tile_m)
            | (n - radius < south)
            | (n + radius > south + grid.tile_m)
        )
        return e[crossing], n[crossing], d[crossing]

    def _remember_border(self, key: tuple[int, int], border: Rocks) -> None:
        self._borders[key] = border
        self._borders.move_to_end(key)
        while len(self._borders) > self.max_borders:
            self._borders.popitem(last=False)
