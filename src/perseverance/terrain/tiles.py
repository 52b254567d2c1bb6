"""Fine terrain around the rover: metre-scale tiles over the coarse landing region.

The coarse `LandingRegion` (16 km x 16 km at 10 m) is enough for entry, descent and
landing; a rover driving on it needs the ground at its wheels' scale. `FineTerrain` adds
that: square tiles of ``tile_m`` at ``resolution_m`` (1 m), generated on first use, kept
in a bounded in-memory LRU and, optionally, cached on disk (`tile_cache`).
`perseverance.terrain.multires` joins it to the coarse map around a focus point.

What a tile holds (positions are metres east/north of the landing site, 2-D arrays are
indexed [north, east], as in `LandingRegion`):

- **Elevation** [m above the MOLA areoid]: the coarse map's bilinear elevation plus
  small-scale roughness, lattice noise in four octaves (`perseverance.terrain.noise`),
  a pure function of the global position: tiles join with no seam.
- **Rocks**: every rock of diameter >= 0.1 m (`rocks.D_MIN_M`) from the Golombek & Rapp
  (1997) model, conditioned on the coarse map's tallest rock of each coarse cell
  (`perseverance.terrain.rock_field`); ``rock_height_m`` of a 1 m cell is the height
  (D/2) of the tallest rock whose disc touches the cell, rocks from neighbouring tiles
  included.
- **Slope** [rad] and **normals** from centred differences of the fine elevation, and
  **roughness** [m]: the RMS of the elevation about the least-squares plane of the 3 x 3
  block around the cell (detrended, so a smooth slope is not counted as rough).

Elevation, slope and normals are bilinear in the fine grid; rock height and roughness
are per cell. A tile depends only on (site, seed, tile index), never on the order of
queries.

What this leaves out: rocks in the elevation (the ground is the soil/bedrock surface and
rocks sit on it, reported by ``rock_height``, as in the coarse map; slopes are therefore
not dominated by rocks); rock shapes other than discs of height D/2, burial and
clustering; sand ripples and bedforms below the coarse map's 10 m cells (the rugged unit's
40 m ripples are in the coarse map); and the fine layer outside the coarse map, where
every query answers from the coarse map's flat far field.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np
from numpy.typing import ArrayLike, NDArray

from perseverance.terrain.landing_region import LandingRegion
from perseverance.terrain.noise import octave_keys, roughness_noise
from perseverance.terrain.rock_field import RockField, Rocks
from perseverance.terrain.site import Site
from perseverance.terrain.tile_cache import TileArrays, TileCache
from perseverance.terrain.tile_grid import INDEX_OFFSET, TileGrid

__all__ = [
    "DEFAULT_MAX_TILES",
    "FineTerrain",
    "FineTile",
    "hazard_mask",
    "plane_residual_rms",
]

#: Default tile side [m]: 16 coarse cells of 10 m. A tile must hold whole coarse cells,
#: so that each coarse cell's rocks are drawn by exactly one tile.
DEFAULT_TILE_M = 160.0
#: Default fine cell size [m].
DEFAULT_RESOLUTION_M = 1.0
#: Default number of tiles kept in memory (about 0.6 MB each at the defaults).
DEFAULT_MAX_TILES = 64

#: Cells of elevation kept around each tile: bilinear gradients need two.
_HALO = 2

_Array = NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class FineTile:
    """One fine tile: read-only [north, east] grids over ``tile_m`` x ``tile_m``.

    Attributes
    ----------
    i_east, i_north : int
        Tile index: the tile covers east from ``origin_east_m + i_east * tile_m`` for
        ``tile_m``, and likewise north.
    east_m, north_m : ndarray (n,)
        Cell-centre coordinates [m].
    elevation_halo_m : ndarray (n + 4, n + 4)
        Elevation [m above the areoid] including two cells of the neighbours on every
        side (computed from the same global function, so equal to theirs).
    rock_height_m : ndarray (n, n), float32
        Height of the tallest rock touching each cell [m] (0: no rock >= 0.1 m).
    gradient_east, gradient_north : ndarray (n + 2, n + 2), float32
        dz/de and dz/dn (dimensionless), centred differences, with one cell of halo.
    roughness_m : ndarray (n, n), float32
        RMS of the elevation about the 3 x 3 least-squares plane [m].
    """

    i_east: int
    i_north: int
    east_m: _Array
    north_m: _Array
    elevation_halo_m: _Array
    rock_height_m: NDArray[np.float32]
    gradient_east: NDArray[np.float32]
    gradient_north: NDArray[np.float32]
    roughness_m: NDArray[np.float32]

    @property
    def elevation_m(self) -> _Array:
        """Elevation of the tile's own cells [m], (n, n)."""
        return self.elevation_halo_m[_HALO:-_HALO, _HALO:-_HALO]

    @property
    def slope_rad(self) -> _Array:
        """Slope of the tile's own cells [rad], (n, n)."""
        ge = self.gradient_east[1:-1, 1:-1]
        gn = self.gradient_north[1:-1, 1:-1]
        return np.arctan(np.hypot(ge, gn))

    @property
    def nbytes(self) -> int:
        """Bytes held by the tile's arrays."""
        arrays = (
            self.east_m,
            self.north_m,
            self.elevation_halo_m,
            self.rock_height_m,
            self.gradient_east,
            self.gradient_north,
            self.roughness_m,
        )
        return sum(a.nbytes for a in arrays)


class FineTerrain:
    """The fine layer over a coarse `LandingRegion`: lazily generated, cached tiles.

    Parameters
    ----------
    coarse
        The coarse map; fine elevation follows it and fine rocks are conditioned on it.
    seed
        Seed of the fine detail; defaults to ``coarse.seed`` (required if that is None).
    cache_dir
        Folder for the disk cache (e.g. `tile_cache.default_cache_dir()`), or None to keep
        tiles in memory only. Tiles go in a sub-folder keyed by site, seed, `CACHE_VERSION`
        and a digest of the coarse map. If it cannot be created or written, the terrain
        keeps working from memory: ``cache_dir`` becomes None and ``cache_error`` says why.
    tile_m
        Tile side [m]; a whole number of coarse cells and of fine cells.
    resolution_m
        Fine cell size [m]; divides the coarse cell size.
    max_tiles
        Tiles kept in memory (least recently used are dropped first).

    Queries take east/north [m] of any (broadcastable) shape and answer in that shape,
    a scalar for scalars. Points are grouped by tile, one vectorised pass per tile.
    Points outside the coarse map are answered by the coarse map (its far field).

    Example
    -------
    >>> from perseverance.terrain.site import load_site
    >>> fine = FineTerrain(LandingRegion.generate(load_site("jezero"), seed=7))
    >>> z = fine.elevation([0.0, 0.5, 1.0], [0.0, 0.0, 0.0])
    """

    def __init__(
        self,
        coarse: LandingRegion,
        *,
        seed: int | None = None,
        cache_dir: str | os.PathLike[str] | None = None,
        tile_m: float = DEFAULT_TILE_M,
        resolution_m: float = DEFAULT_RESOLUTION_M,
        max_tiles: int = DEFAULT_MAX_TILES,
    ) -> None:
        if seed is None:
            seed = coarse.seed
        if seed is None:
            raise ValueError(
                "the coarse map has no seed (it was built from arrays): pass seed=... "
                "to FineTerrain"
            )
        if max_tiles < 1:
            raise ValueError(f"max_tiles must be at least 1, got {max_tiles}")
        #: The tiling: tile and cell sizes, the origin of tile (0, 0).
        self.grid = TileGrid.over(coarse, tile_m, resolution_m)
        self.coarse = coarse
        self.site: Site = coarse.site
        self.seed = int(seed)
        self.max_tiles = int(max_tiles)
        self.rock_field = RockField(coarse, self.seed, self.grid, max_borders=4 * self.max_tiles)
        self._noise_keys = octave_keys(self.seed)
        self._tiles: OrderedDict[tuple[int, int], FineTile] = OrderedDict()
        #: The disk cache, or None for memory only.
        self.cache: TileCache | None = None
        if cache_dir is not None:
            self.cache = TileCache.open(
                Path(cache_dir),
                coarse,
                seed=self.seed,
                tile_m=self.grid.tile_m,
                resolution_m=self.grid.resolution_m,
                cells=self.grid.cells_per_tile,
                halo=_HALO,
            )

    def __repr__(self) -> str:
        where = str(self.cache_dir) if self.cache_dir is not None else "memory only"
        return (
            f"FineTerrain({self.site.name!r}, seed={self.seed}, {self.grid.tile_m:g} m tiles "
            f"at {self.grid.resolution_m:g} m, {len(self._tiles)}/{self.max_tiles} in memory, "
            f"{where})"
        )

    @property
    def cache_dir(self) -> Path | None:
        """The folder tiles are cached in; None when memory only (or the cache failed)."""
        return None if self.cache is None else self.cache.folder

    @property
    def cache_error(self) -> str | None:
        """Why the disk cache could not be created or written (None if it could)."""
        return None if self.cache is None else self.cache.error

    # ---------------------------------------------------------------- tiles

    def tile_index(
        self, east_m: ArrayLike, north_m: ArrayLike
    ) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """(i_east, i_north) of the tile holding each finite point (east, north) [m]."""
        e, n = np.broadcast_arrays(np.asarray(east_m, float), np.asarray(north_m, float))
        ce, cn = self.grid.cell_index(e, n)
        nc = self.grid.cells_per_tile
        return (ce // nc)[()], (cn // nc)[()]

    def tile(self, i_east: int, i_north: int) -> FineTile:
        """The tile of index (i_east, i_north): from memory, the disk cache, or made now."""
        key = (int(i_east), int(i_north))
        tile = self._tiles.get(key)
        if tile is not None:
            self._tiles.move_to_end(key)
            return tile
        arrays = self.cache.read(key) if self.cache is not None else None
        if arrays is None:
            arrays = self._generate(key)
            if self.cache is not None:
                self.cache.write(key, *arrays)
        tile = self._assemble(key, *arrays)
        self._tiles[key] = tile
        while len(self._tiles) > self.max_tiles:
            self._tiles.popitem(last=False)
        return tile

    def tile_rocks(self, i_east: int, i_north: int) -> Rocks:
        """Every rock centred in tile (i_east, i_north): (east_m, north_m, diameter_m).

        Drawn afresh (not cached): rocks >= `rocks.D_MIN_M` of each coarse cell in the
        tile, the coarse cell's tallest rock first (`rock_field`). Positions [m] are east
        and north of the site, diameters [m].
        """
        return self.rock_field.rocks(int(i_east), int(i_north))

    def memory_bytes(self) -> int:
        """Bytes held by the tiles in memory (and the few rocks kept from tile borders).

        The coarse map is not counted (see ``coarse``; about 0.1 GB for Jezero).
        """
        return sum(t.nbytes for t in self._tiles.values()) + self.rock_field.memory_bytes()

    @property
    def tiles_in_memory(self) -> int:
        """Number of tiles held in memory (at most ``max_tiles``)."""
        return len(self._tiles)

    # ---------------------------------------------------------------- queries

    def elevation(self, east_m: ArrayLike, north_m: ArrayLike) -> _Array:
        """Elevation above the MOLA areoid [m] at (east, north) [m], bilinear at 1 m."""
        return self._query(east_m, north_m, self._elevation_in, self.coarse.elevation)

    def slope(self, east_m: ArrayLike, north_m: ArrayLike) -> _Array:
        """Terrain slope [rad] at (east, north) [m], from bilinear fine gradients."""

        def fine(tile: FineTile, e: _Array, n: _Array) -> _Array:
            ge, gn = self._gradient_in(tile, e, n)
            return np.arctan(np.hypot(ge, gn))

        return self._query(east_m, north_m, fine, self.coarse.slope)

    def normal(self, east_m: ArrayLike, north_m: ArrayLike) -> _Array:
        """Upward unit normal (east, north, up) of the ground at (east, north) [m].

        Shape ``(..., 3)`` for points of shape ``(...)``. Outside the coarse map the
        ground is the flat far field: (0, 0, 1).
        """

        def fine(tile: FineTile, e: _Array, n: _Array) -> _Array:
            return _normal_from_gradient(*self._gradient_in(tile, e, n))

        def outside(e: _Array, n: _Array) -> _Array:
            return np.broadcast_to(np.array([0.0, 0.0, 1.0]), (*np.shape(e), 3))

        return self._query(east_m, north_m, fine, outside, tail=(3,))

    def rock_height(self, east_m: ArrayLike, north_m: ArrayLike) -> _Array:
        """Height [m] of the tallest rock touching the 1 m cell holding (east, north)."""
        return self._query(
            east_m,
            north_m,
            lambda t, e, n: t.rock_height_m[self._local_cell(t, e, n)].astype(float),
            self.coarse.rock_height,
        )

    def roughness(self, east_m: ArrayLike, north_m: ArrayLike) -> _Array:
        """Roughness [m] of the cell holding (east, north): RMS about its 3 x 3 plane.

        0 outside the coarse map (the far field is flat).
        """
        return self._query(
            east_m,
            north_m,
            lambda t, e, n: t.roughness_m[self._local_cell(t, e, n)].astype(float),
            lambda e, n: np.zeros(np.shape(e)),
        )

    def is_hazard(
        self,
        east_m: ArrayLike,
        north_m: ArrayLike,
        max_slope_rad: float | None = None,
        max_rock_m: float | None = None,
    ) -> NDArray[np.bool_]:
        """True where slope > `max_slope_rad` [rad] or rock height > `max_rock_m` [m].

        The limits default to the site's landing limits (``site.hazard``). This is a
        point test, not dilated by any footprint: to check a vehicle, query the points
        under it.
        """
        return hazard_mask(
            self.slope(east_m, north_m),
            self.rock_height(east_m, north_m),
            self.site,
            max_slope_rad,
            max_rock_m,
        )

    # ---------------------------------------------------------------- query plumbing

    def _query(
        self,
        east_m: ArrayLike,
        north_m: ArrayLike,
        fine: Callable[[FineTile, _Array, _Array], _Array],
        outside: Callable[[_Array, _Array], ArrayLike],
        tail: tuple[int, ...] = (),
    ) -> _Array:
        """Evaluate `fine` tile by tile on points in the coarse map, `outside` elsewhere."""
        e, n = np.broadcast_arrays(np.asarray(east_m, float), np.asarray(north_m, float))
        e, n = e.ravel(), n.ravel()
        out: _Array = np.empty((e.size, *tail), dtype=np.float64)
        inside = self.coarse.contains(e, n)
        if not np.all(inside):
            far = ~inside
            out[far] = outside(e[far], n[far])
        self._by_tile(np.flatnonzero(inside), e, n, fine, out)
        shape = np.broadcast_shapes(np.shape(east_m), np.shape(north_m))
        return out.reshape((*shape, *tail))[()]

    def _by_tile(
        self,
        points: NDArray[np.intp],
        e: _Array,
        n: _Array,
        fine: Callable[[FineTile, _Array, _Array], _Array],
        out: _Array,
    ) -> None:
        """Fill ``out[points]`` with `fine`, one call per tile the points fall in."""
        if points.size == 0:
            return
        ce, cn = self.grid.cell_index(e[points], n[points])
        nc = self.grid.cells_per_tile
        ti, tj = ce // nc, cn // nc
        key = (ti + INDEX_OFFSET) * (1 << 32) + (tj + INDEX_OFFSET)
        order = np.argsort(key, kind="stable")
        starts = np.flatnonzero(np.r_[True, np.diff(key[order]) != 0])
        ends = np.r_[starts[1:], order.size]
        for start, end in zip(starts, ends, strict=True):
            group = order[start:end]
            tile = self.tile(int(ti[group[0]]), int(tj[group[0]]))
            idx = points[group]
            out[idx] = fine(tile, e[idx], n[idx])

    def _local_fraction(
        self, tile: FineTile, e: _Array, n: _Array, halo: int
    ) -> tuple[NDArray[np.intp], NDArray[np.intp], _Array, _Array]:
        """Bilinear base cell (row, col) in a grid with `halo` cells, and weights."""
        grid = self.grid
        nc, r = grid.cells_per_tile, grid.resolution_m
        fc = (e - grid.origin_east_m) / r - 0.5 - tile.i_east * nc
        fr = (n - grid.origin_north_m) / r - 0.5 - tile.i_north * nc
        fc = np.clip(fc, -1.0, float(nc))
        fr = np.clip(fr, -1.0, float(nc))
        c0 = np.minimum(np.floor(fc), nc - 1).astype(np.intp)
        r0 = np.minimum(np.floor(fr), nc - 1).astype(np.intp)
        return r0 + halo, c0 + halo, fr - r0, fc - c0

    def _elevation_in(self, tile: FineTile, e: _Array, n: _Array) -> _Array:
        row, col, tr, tc = self._local_fraction(tile, e, n, _HALO)
        return _bilinear(tile.elevation_halo_m, row, col, tr, tc)

    def _gradient_in(self, tile: FineTile, e: _Array, n: _Array) -> tuple[_Array, _Array]:
        row, col, tr, tc = self._local_fraction(tile, e, n, 1)
        return (
            _bilinear(tile.gradient_east, row, col, tr, tc),
            _bilinear(tile.gradient_north, row, col, tr, tc),
        )

    def _local_cell(
        self, tile: FineTile, e: _Array, n: _Array
    ) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
        """(row, col) of the tile's own cell holding each point."""
        ce, cn = self.grid.cell_index(e, n)
        nc = self.grid.cells_per_tile
        col = np.clip(ce - tile.i_east * nc, 0, nc - 1)
        row = np.clip(cn - tile.i_north * nc, 0, nc - 1)
        return row, col

    # ---------------------------------------------------------------- generation

    def _generate(self, key: tuple[int, int]) -> TileArrays:
        """Elevation (with halo) and rock-height grids of a tile, from scratch."""
        i, j = key
        east = self.grid.east_axis(i, _HALO)
        north = self.grid.north_axis(j, _HALO)
        e, n = np.meshgrid(east, north)
        elevation = np.asarray(self.coarse.elevation(e, n), dtype=float)
        elevation += roughness_noise(self._noise_keys, east, north)
        return elevation, self.rock_field.raster(i, j)

    def _assemble(
        self, key: tuple[int, int], elevation: _Array, rock: NDArray[np.float32]
    ) -> FineTile:
        """A read-only `FineTile` with its derived grids, from the stored arrays."""
        i, j = key
        r = self.grid.resolution_m
        # np.gradient of a 2-D grid: d/d(north) and d/d(east), one array each.
        d_north, d_east = cast(tuple[_Array, _Array], np.gradient(elevation, r, r))
        g_east = d_east[1:-1, 1:-1].astype(np.float32)
        g_north = d_north[1:-1, 1:-1].astype(np.float32)
        roughness = plane_residual_rms(elevation[1:-1, 1:-1]).astype(np.float32)
        arrays = (
            self.grid.east_axis(i, 0),
            self.grid.north_axis(j, 0),
            elevation,
            rock,
            g_east,
            g_north,
            roughness,
        )
        for a in arrays:
            a.setflags(write=False)
        return FineTile(i, j, *arrays)


# -------------------------------------------------------------------- kernels


def hazard_mask(
    slope_rad: _Array,
    rock_height_m: _Array,
    site: Site,
    max_slope_rad: float | None,
    max_rock_m: float | None,
) -> NDArray[np.bool_]:
    """Slope > the limit [rad] or rock height > the limit [m], pointwise; None takes the
    site's landing limits (``site.hazard``)."""
    slope = site.hazard.max_slope_rad if max_slope_rad is None else float(max_slope_rad)
    rock = site.hazard.max_rock_height_m if max_rock_m is None else float(max_rock_m)
    return ((slope_rad > slope) | (rock_height_m > rock))[()]


def _bilinear(
    grid: NDArray[np.floating[Any]],
    row: NDArray[np.intp],
    col: NDArray[np.intp],
    tr: _Array,
    tc: _Array,
) -> _Array:
    """Bilinear interpolation in `grid` at base (row, col) with fractions (tr, tc)."""
    n_cols = grid.shape[1]
    flat = grid.ravel()
    k = row * n_cols + col
    top = np.take(flat, k) * (1.0 - tc) + np.take(flat, k + 1) * tc
    k += n_cols
    bottom = np.take(flat, k) * (1.0 - tc) + np.take(flat, k + 1) * tc
    value: _Array = top * (1.0 - tr) + bottom * tr
    return value


def _normal_from_gradient(ge: _Array, gn: _Array) -> _Array:
    """Unit upward normal (east, north, up) of z(e, n) with gradient (ge, gn)."""
    inv = 1.0 / np.sqrt(1.0 + ge * ge + gn * gn)
    return np.stack([-ge * inv, -gn * inv, inv], axis=-1)


def plane_residual_rms(z: _Array) -> _Array:
    """RMS of each 3 x 3 block about its least-squares plane, on the interior cells.

    For a block with values z at offsets x, y in {-1, 0, 1} [cells], the least-squares
    plane is mean(z) + a x + b y with a = sum(x z) / 6, b = sum(y z) / 6; the answer is
    the RMS of the nine residuals. Input (n + 2, m + 2), output (n, m), same units.
    """
    z = z - float(np.mean(z))
    rows, cols = z.shape[0] - 2, z.shape[1] - 2

    def shifted(grid: _Array, dy: int, dx: int) -> _Array:
        return grid[dy : dy + rows, dx : dx + cols]

    mean = np.zeros((rows, cols))
    a = np.zeros((rows, cols))
    b = np.zeros((rows, cols))
    for dy in range(3):
        for dx in range(3):
            block = shifted(z, dy, dx)
            mean += block
            a += (dx - 1) * block
            b += (dy - 1) * block
    mean /= 9.0
    a /= 6.0
    b /= 6.0
    variance = np.zeros((rows, cols))
    for dy in range(3):
        for dx in range(3):
            residual = shifted(z, dy, dx) - mean - (dx - 1) * a - (dy - 1) * b
            variance += residual * residual
    variance /= 9.0
    return np.sqrt(variance)
