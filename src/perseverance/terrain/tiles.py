"""Fine terrain around the rover: metre-scale tiles over the coarse landing region.

The coarse `LandingRegion` (16 km x 16 km at 10 m) is enough for entry, descent and
landing; a rover driving on it needs the ground at its wheels' scale. `FineTerrain` adds
that: square tiles of ``tile_m`` at ``resolution_m`` (1 m), generated on first use, kept
in a bounded in-memory LRU and, optionally, cached on disk. `MultiResolutionTerrain`
answers every query from the fine layer near a focus point (the rover) and from the
coarse map elsewhere, so a whole mission stays far below 2 GB whatever it drives over.

What a tile holds (positions are metres east/north of the landing site, 2-D arrays are
indexed [north, east], as in `LandingRegion`):

- **Elevation** [m above the MOLA areoid]: the coarse map's bilinear elevation plus
  small-scale roughness: lattice ("value") noise in four octaves of 16, 8, 4 and 2 m,
  Catmull-Rom interpolated, its lattice values hashed from (seed, octave, lattice
  index). The noise is thus a pure function of the global position: tiles join with no
  seam, whichever is made first. Its amplitudes (`ROUGHNESS_OCTAVES`) are estimates (E):
  about 6 cm RMS in all, a smooth plain at metre scales (RMS slope about 1.5 deg over
  2 m), rocks apart; HiRISE terrain models (1 m posts) do not resolve this scale, so no
  published figure fixes it.
- **Rocks**: every rock of diameter >= 0.1 m (`rocks.D_MIN_M`) from the Golombek & Rapp
  (1997) model, with the coarse cell's rock abundance k (the rugged unit's inside it).
  The rocks are *conditioned on the coarse map*: each 10 m coarse cell gets its tallest
  rock exactly as the coarse map has it (diameter = coarse rock height /
  `ROCK_HEIGHT_TO_DIAMETER`), at a uniform position in the cell, plus a Poisson number
  of smaller rocks with mean A (N(d_min) - N(D_max)), diameters from N restricted to
  [d_min, D_max). For a Poisson population that is the exact law of the rest given the
  largest, so the rocks are still Golombek & Rapp and the two layers agree: the coarse
  hazard map and the fine one see the same big rocks. Each rock is a disc of its
  diameter; ``rock_height_m`` of a 1 m cell is the height (D/2) of the tallest rock whose
  disc touches the cell, rocks from neighbouring tiles included.
- **Slope** [rad] and **normals** from centred differences of the fine elevation, and
  **roughness** [m]: the RMS of the elevation about the least-squares plane of the 3 x 3
  block around the cell (detrended, so a smooth slope is not counted as rough).

Elevation, slope and normals are bilinear in the fine grid; rock height and roughness
are per cell. A tile depends only on (site, seed, tile index): its random draws come from
``numpy.random.default_rng([seed, i_east + OFFSET, i_north + OFFSET, SALT])``, never
from the order of queries.

What this leaves out: rocks in the elevation (the ground is the soil/bedrock surface and
rocks sit on it, reported by ``rock_height``, as in the coarse map; slopes are therefore
not dominated by rocks); rock shapes other than discs of height D/2, burial and
clustering; sand ripples and bedforms below the coarse map's 10 m cells (the rugged unit's
40 m ripples are in the coarse map); the fine layer outside the coarse map, where every
query answers from the coarse map's flat far field; and any seam between the fine and
the coarse answers at ``fine_radius_m`` (centimetres of noise and the small rocks).

Example
-------
>>> from perseverance.terrain.site import load_site
>>> terrain = MultiResolutionTerrain.generate(load_site("jezero"), seed=7)
>>> terrain.set_focus(120.0, -40.0)
>>> heights = terrain.rock_height([120.0, 121.0], [-40.0, -40.0])
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import os
import re
import tempfile
import zipfile
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike, NDArray

from perseverance.terrain.landing_region import LandingRegion
from perseverance.terrain.rocks import (
    D_MIN_M,
    ROCK_HEIGHT_TO_DIAMETER,
    cumulative_number_density,
    tallest_rock_diameter,
)
from perseverance.terrain.site import Site

__all__ = [
    "CACHE_VERSION",
    "ROUGHNESS_OCTAVES",
    "FineTerrain",
    "FineTile",
    "MultiResolutionTerrain",
    "default_cache_dir",
]

#: Version of the tile generator; part of the cache folder's name, so tiles written by
#: another version are never read. Bump it whenever a tile's contents would change.
CACHE_VERSION = 1

#: Default tile side [m]: 16 coarse cells of 10 m. A tile must hold whole coarse cells,
#: so that each coarse cell's rocks are drawn by exactly one tile.
DEFAULT_TILE_M = 160.0
#: Default fine cell size [m].
DEFAULT_RESOLUTION_M = 1.0
#: Default number of tiles kept in memory (about 0.6 MB each at the defaults).
DEFAULT_MAX_TILES = 64
#: Default radius around the focus (the rover) answered by the fine layer [m].
DEFAULT_FINE_RADIUS_M = 500.0

#: Roughness noise octaves: (lattice spacing [m], RMS of the lattice values [m]).
#: Estimates (E), falling as about spacing^0.3: 6 cm RMS in all, RMS slope about
#: 1.5 deg over a 2 m baseline from the noise alone (rocks add their own).
ROUGHNESS_OCTAVES: tuple[tuple[float, float], ...] = (
    (16.0, 0.050),
    (8.0, 0.040),
    (4.0, 0.032),
    (2.0, 0.025),
)

#: Cells of elevation kept around each tile: bilinear gradients need two.
_HALO = 2
#: Added to tile indices so that the seed entropy is non-negative.
_OFFSET = 1 << 31
#: Salts separating the random streams of rocks and roughness noise.
_SALT_ROCKS = 0x524F434B  # "ROCK"
_SALT_NOISE = 0x4E4F4953  # "NOIS"
#: Sqrt(3): scales a uniform variate on [-1, 1) to unit variance.
_UNIT_UNIFORM = math.sqrt(3.0)

_Array = NDArray[np.float64]


def default_cache_dir() -> Path:
    """Where tiles are cached by default: ``$PERSEVERANCE_CACHE`` if set, else
    ``~/.cache/perseverance/terrain``.

    `FineTerrain` writes into a sub-folder of it named after the site, the seed, the
    generator version and a digest of the coarse map, so tiles of another site, seed or
    generator are never read.
    """
    env = os.environ.get("PERSEVERANCE_CACHE")
    if env:
        return Path(env).expanduser()
    return Path.home() / ".cache" / "perseverance" / "terrain"


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
        Folder for the disk cache (e.g. `default_cache_dir()`), or None to keep tiles in
        memory only. Tiles go in a sub-folder keyed by site, seed, `CACHE_VERSION` and a
        digest of the coarse map. If it cannot be created or written, the terrain keeps
        working from memory: ``cache_dir`` becomes None and ``cache_error`` says why.
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
        coarse_m = coarse.resolution_m
        if abs(float(coarse.north_m[1] - coarse.north_m[0]) - coarse_m) > 1e-9 * coarse_m:
            raise ValueError("the coarse map must have square cells (equal east/north size)")
        per_coarse = _whole(coarse_m / resolution_m, "coarse cell size / resolution_m")
        self.coarse_per_tile = _whole(tile_m / coarse_m, "tile_m / coarse cell size")
        self.coarse = coarse
        self.site: Site = coarse.site
        self.seed = int(seed)
        self.tile_m = float(tile_m)
        self.resolution_m = float(resolution_m)
        self.max_tiles = int(max_tiles)
        #: Fine cells along a tile side.
        self.cells_per_tile = per_coarse * self.coarse_per_tile
        # Tile (0, 0) starts at the west/south edge of the coarse cell holding the site.
        self._c0 = int(np.argmin(np.abs(coarse.east_m)))
        self._r0 = int(np.argmin(np.abs(coarse.north_m)))
        #: South-west corner of tile (0, 0) [m].
        self.origin_east_m = float(coarse.east_m[self._c0]) - 0.5 * coarse_m
        self.origin_north_m = float(coarse.north_m[self._r0]) - 0.5 * coarse_m
        self._noise_keys = np.random.SeedSequence([self.seed, _SALT_NOISE]).generate_state(
            len(ROUGHNESS_OCTAVES), dtype=np.uint64
        )
        self._tiles: OrderedDict[tuple[int, int], FineTile] = OrderedDict()
        self._borders: OrderedDict[tuple[int, int], tuple[_Array, _Array, _Array]] = OrderedDict()
        self.cache_error: str | None = None
        self.cache_dir: Path | None = None
        if cache_dir is not None:
            self.cache_dir = self._open_cache(Path(cache_dir))

    def __repr__(self) -> str:
        where = str(self.cache_dir) if self.cache_dir is not None else "memory only"
        return (
            f"FineTerrain({self.site.name!r}, seed={self.seed}, {self.tile_m:g} m tiles at "
            f"{self.resolution_m:g} m, {len(self._tiles)}/{self.max_tiles} in memory, {where})"
        )

    # ---------------------------------------------------------------- tiles

    def tile_index(
        self, east_m: ArrayLike, north_m: ArrayLike
    ) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """(i_east, i_north) of the tile holding each finite point (east, north) [m]."""
        e, n = np.broadcast_arrays(np.asarray(east_m, float), np.asarray(north_m, float))
        ce, cn = self._cell_index(e, n)
        return (ce // self.cells_per_tile)[()], (cn // self.cells_per_tile)[()]

    def tile(self, i_east: int, i_north: int) -> FineTile:
        """The tile of index (i_east, i_north): from memory, the disk cache, or made now."""
        key = (int(i_east), int(i_north))
        tile = self._tiles.get(key)
        if tile is not None:
            self._tiles.move_to_end(key)
            return tile
        arrays = self._read(key) if self.cache_dir is not None else None
        if arrays is None:
            arrays = self._generate(key)
            if self.cache_dir is not None:
                self._write(key, *arrays)
        tile = self._assemble(key, *arrays)
        self._tiles[key] = tile
        while len(self._tiles) > self.max_tiles:
            self._tiles.popitem(last=False)
        return tile

    def tile_rocks(self, i_east: int, i_north: int) -> tuple[_Array, _Array, _Array]:
        """Every rock centred in tile (i_east, i_north): (east_m, north_m, diameter_m).

        Drawn afresh (not cached): rocks >= `rocks.D_MIN_M` of each coarse cell in the
        tile, the coarse cell's tallest rock first (module notes). Positions [m] are east
        and north of the site, diameters [m].
        """
        return self._rocks(int(i_east), int(i_north))

    def memory_bytes(self) -> int:
        """Bytes held by the tiles in memory (and the few rocks kept from tile borders).

        The coarse map is not counted (see ``coarse``; about 0.1 GB for Jezero).
        """
        borders = sum(sum(a.nbytes for a in b) for b in self._borders.values())
        return sum(t.nbytes for t in self._tiles.values()) + borders

    @property
    def tiles_in_memory(self) -> int:
        """Number of tiles held in memory (at most ``max_tiles``)."""
        return len(self._tiles)

    # ---------------------------------------------------------------- queries

    def elevation(self, east_m: ArrayLike, north_m: ArrayLike) -> _Array:
        """Elevation above the MOLA areoid [m] at (east, north) [m], bilinear at 1 m."""
        return self._query(east_m, north_m, self._elevation_in, self.coarse.elevation, np.float64)

    def slope(self, east_m: ArrayLike, north_m: ArrayLike) -> _Array:
        """Terrain slope [rad] at (east, north) [m], from bilinear fine gradients."""

        def fine(tile: FineTile, e: _Array, n: _Array) -> _Array:
            ge, gn = self._gradient_in(tile, e, n)
            return np.arctan(np.hypot(ge, gn))

        return self._query(east_m, north_m, fine, self.coarse.slope, np.float64)

    def normal(self, east_m: ArrayLike, north_m: ArrayLike) -> _Array:
        """Upward unit normal (east, north, up) of the ground at (east, north) [m].

        Shape ``(..., 3)`` for points of shape ``(...)``. Outside the coarse map the
        ground is the flat far field: (0, 0, 1).
        """

        def fine(tile: FineTile, e: _Array, n: _Array) -> _Array:
            return _normal_from_gradient(*self._gradient_in(tile, e, n))

        def outside(e: _Array, n: _Array) -> _Array:
            return np.broadcast_to(np.array([0.0, 0.0, 1.0]), (*np.shape(e), 3))

        return self._query(east_m, north_m, fine, outside, np.float64, tail=(3,))

    def rock_height(self, east_m: ArrayLike, north_m: ArrayLike) -> _Array:
        """Height [m] of the tallest rock touching the 1 m cell holding (east, north)."""
        return self._query(
            east_m,
            north_m,
            lambda t, e, n: t.rock_height_m[self._local_cell(t, e, n)].astype(float),
            self.coarse.rock_height,
            np.float64,
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
            np.float64,
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
        return _hazard(self, self.site, east_m, north_m, max_slope_rad, max_rock_m)

    # ---------------------------------------------------------------- query plumbing

    def _query(
        self,
        east_m: ArrayLike,
        north_m: ArrayLike,
        fine: Callable[[FineTile, _Array, _Array], NDArray],
        outside: Callable[[_Array, _Array], ArrayLike],
        dtype: type,
        tail: tuple[int, ...] = (),
    ) -> NDArray:
        """Evaluate `fine` tile by tile on points in the coarse map, `outside` elsewhere."""
        e, n = np.broadcast_arrays(np.asarray(east_m, float), np.asarray(north_m, float))
        e, n = e.ravel(), n.ravel()
        out = np.empty((e.size, *tail), dtype=dtype)
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
        fine: Callable[[FineTile, _Array, _Array], NDArray],
        out: NDArray,
    ) -> None:
        """Fill ``out[points]`` with `fine`, one call per tile the points fall in."""
        if points.size == 0:
            return
        ce, cn = self._cell_index(e[points], n[points])
        ti, tj = ce // self.cells_per_tile, cn // self.cells_per_tile
        key = (ti + _OFFSET) * (1 << 32) + (tj + _OFFSET)
        order = np.argsort(key, kind="stable")
        starts = np.flatnonzero(np.r_[True, np.diff(key[order]) != 0])
        ends = np.r_[starts[1:], order.size]
        for start, end in zip(starts, ends, strict=True):
            group = order[start:end]
            tile = self.tile(int(ti[group[0]]), int(tj[group[0]]))
            idx = points[group]
            out[idx] = fine(tile, e[idx], n[idx])

    def _cell_index(self, e: _Array, n: _Array) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """Global fine-cell index (east, north) of each point."""
        r = self.resolution_m
        return (
            np.floor((e - self.origin_east_m) / r).astype(np.int64),
            np.floor((n - self.origin_north_m) / r).astype(np.int64),
        )

    def _local_fraction(
        self, tile: FineTile, e: _Array, n: _Array, halo: int
    ) -> tuple[NDArray[np.intp], NDArray[np.intp], _Array, _Array]:
        """Bilinear base cell (row, col) in a grid with `halo` cells, and weights."""
        nc, r = self.cells_per_tile, self.resolution_m
        fc = (e - self.origin_east_m) / r - 0.5 - tile.i_east * nc
        fr = (n - self.origin_north_m) / r - 0.5 - tile.i_north * nc
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
        ce, cn = self._cell_index(e, n)
        nc = self.cells_per_tile
        col = np.clip(ce - tile.i_east * nc, 0, nc - 1)
        row = np.clip(cn - tile.i_north * nc, 0, nc - 1)
        return row, col

    # ---------------------------------------------------------------- generation

    def _axis(self, i: int, origin_m: float, halo: int) -> _Array:
        """Cell centres [m] of tile index `i` along one axis, with `halo` extra cells."""
        nc, r = self.cells_per_tile, self.resolution_m
        k = np.arange(i * nc - halo, (i + 1) * nc + halo, dtype=np.int64)
        return origin_m + (k + 0.5) * r

    def _generate(self, key: tuple[int, int]) -> tuple[_Array, NDArray[np.float32]]:
        """Elevation (with halo) and rock-height grids of a tile, from scratch."""
        i, j = key
        east = self._axis(i, self.origin_east_m, _HALO)
        north = self._axis(j, self.origin_north_m, _HALO)
        e, n = np.meshgrid(east, north)
        elevation = np.asarray(self.coarse.elevation(e, n), dtype=float)
        elevation += self._roughness_noise(east, north)
        return elevation, self._rasterise_rocks(i, j)

    def _roughness_noise(self, east: _Array, north: _Array) -> _Array:
        """Sum of the noise octaves on the [north, east] grid of the given axes [m]."""
        total = np.zeros((north.size, east.size))
        for (spacing, rms), key in zip(ROUGHNESS_OCTAVES, self._noise_keys, strict=True):
            w_e, lo_e, n_e = _catmull_rom_matrix(east / spacing)
            w_n, lo_n, n_n = _catmull_rom_matrix(north / spacing)
            ix = np.arange(lo_e, lo_e + n_e, dtype=np.int64)
            iy = np.arange(lo_n, lo_n + n_n, dtype=np.int64)
            values = _lattice_uniform(key, ix[None, :], iy[:, None]) * (rms * _UNIT_UNIFORM)
            total += w_n @ values @ w_e.T
        return total

    def _rocks(self, i: int, j: int) -> tuple[_Array, _Array, _Array]:
        """Rocks centred in tile (i, j), conditioned on the coarse map's tallest rocks."""
        m = self.coarse_per_tile
        coarse = self.coarse
        rows = np.arange(self._r0 + j * m, self._r0 + (j + 1) * m)
        cols = np.arange(self._c0 + i * m, self._c0 + (i + 1) * m)
        rows = rows[(rows >= 0) & (rows < coarse.shape[0])]
        cols = cols[(cols >= 0) & (cols < coarse.shape[1])]
        rng = np.random.default_rng([self.seed, i + _OFFSET, j + _OFFSET, _SALT_ROCKS])
        empty = (np.empty(0), np.empty(0), np.empty(0))
        if rows.size == 0 or cols.size == 0:
            return empty
        d_max = coarse.rock_height_m[np.ix_(rows, cols)] / ROCK_HEIGHT_TO_DIAMETER
        centre_e = np.broadcast_to(coarse.east_m[cols][None, :], d_max.shape)
        centre_n = np.broadcast_to(coarse.north_m[rows][:, None], d_max.shape)
        k_cell = np.full(d_max.shape, self.site.rocks.rock_abundance_k)
        unit = self.site.rugged_unit
        if unit is not None:  # the coarse map's rule: cell centres inside the disc
            b = math.radians(unit.bearing_deg)
            ue, un = unit.distance_m * math.sin(b), unit.distance_m * math.cos(b)
            inside = np.hypot(centre_e - ue, centre_n - un) < unit.radius_m
            k_cell[inside] = unit.rock_abundance_k
        size = coarse.resolution_m
        area = size * size
        parts: list[tuple[_Array, _Array, _Array]] = []
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

    def _border_rocks(self, i: int, j: int) -> tuple[_Array, _Array, _Array]:
        """Rocks of tile (i, j) whose discs reach beyond the tile (kept in a small LRU)."""
        key = (i, j)
        border = self._borders.get(key)
        if border is None:
            border = self._crossing(i, j, *self._rocks(i, j))
            self._remember_border(key, border)
        else:
            self._borders.move_to_end(key)
        return border

    def _crossing(
        self, i: int, j: int, e: _Array, n: _Array, d: _Array
    ) -> tuple[_Array, _Array, _Array]:
        """The rocks (e, n, d) of tile (i, j) whose discs cross its edge."""
        west = self.origin_east_m + i * self.tile_m
        south = self.origin_north_m + j * self.tile_m
        radius = 0.5 * d
        crossing = (
            (e - radius < west)
            | (e + radius > west + self.tile_m)
            | (n - radius < south)
            | (n + radius > south + self.tile_m)
        )
        return e[crossing], n[crossing], d[crossing]

    def _remember_border(self, key: tuple[int, int], border: tuple[_Array, _Array, _Array]) -> None:
        self._borders[key] = border
        self._borders.move_to_end(key)
        while len(self._borders) > 4 * self.max_tiles:
            self._borders.popitem(last=False)

    def _rasterise_rocks(self, i: int, j: int) -> NDArray[np.float32]:
        """Tallest rock height [m] touching each cell of tile (i, j), neighbours included."""
        own = self._rocks(i, j)
        self._remember_border((i, j), self._crossing(i, j, *own))
        parts = [own]
        for di in (-1, 0, 1):
            for dj in (-1, 0, 1):
                if di or dj:
                    parts.append(self._border_rocks(i + di, j + dj))
        e, n, d = (np.concatenate(p) for p in zip(*parts, strict=True))
        nc, r = self.cells_per_tile, self.resolution_m
        x = (e - self.origin_east_m) / r - i * nc  # in cells from the tile's west edge
        y = (n - self.origin_north_m) / r - j * nc
        rho = 0.5 * d / r
        x0 = np.floor(x - rho).astype(np.int64)
        y0 = np.floor(y - rho).astype(np.int64)
        span_x = np.floor(x + rho).astype(np.int64) - x0 + 1
        span_y = np.floor(y + rho).astype(np.int64) - y0 + 1
        height = (ROCK_HEIGHT_TO_DIAMETER * d).astype(np.float32)
        grid = np.zeros((nc, nc), dtype=np.float32)
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
                np.maximum.at(grid, (cy[hit], cx[hit]), height[hit])
        return grid

    def _assemble(
        self, key: tuple[int, int], elevation: _Array, rock: NDArray[np.float32]
    ) -> FineTile:
        """A read-only `FineTile` with its derived grids, from the stored arrays."""
        i, j = key
        r = self.resolution_m
        g_north, g_east = np.gradient(elevation, r, r)
        g_east = g_east[1:-1, 1:-1].astype(np.float32)
        g_north = g_north[1:-1, 1:-1].astype(np.float32)
        roughness = _plane_residual_rms(elevation[1:-1, 1:-1]).astype(np.float32)
        arrays = (
            self._axis(i, self.origin_east_m, 0),
            self._axis(j, self.origin_north_m, 0),
            elevation,
            rock,
            g_east,
            g_north,
            roughness,
        )
        for a in arrays:
            a.setflags(write=False)
        return FineTile(i, j, *arrays)

    # ---------------------------------------------------------------- disk cache

    def _open_cache(self, root: Path) -> Path | None:
        """The keyed sub-folder of `root`, created; None (memory only) if that fails."""
        digest = hashlib.sha256()
        digest.update(f"{CACHE_VERSION}|{self.tile_m!r}|{self.resolution_m!r}|".encode())
        digest.update(repr(ROUGHNESS_OCTAVES).encode())
        digest.update(self.site.model_dump_json().encode())
        digest.update(np.ascontiguousarray(self.coarse.elevation_m).tobytes())
        digest.update(np.ascontiguousarray(self.coarse.rock_height_m).tobytes())
        slug = re.sub(r"[^a-z0-9]+", "-", self.site.name.lower()).strip("-")[:40] or "site"
        folder = root / f"{slug}-seed{self.seed}-v{CACHE_VERSION}-{digest.hexdigest()[:16]}"
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            self.cache_error = f"cannot create the tile cache {folder}: {error}"
            return None
        return folder

    def _path(self, key: tuple[int, int]) -> Path:
        assert self.cache_dir is not None
        return self.cache_dir / f"tile_e{key[0]:+05d}_n{key[1]:+05d}.npz"

    def _read(self, key: tuple[int, int]) -> tuple[_Array, NDArray[np.float32]] | None:
        """The tile's arrays from the disk cache; None if absent, corrupt or mismatched."""
        path = self._path(key)
        if not path.is_file():
            return None
        nc = self.cells_per_tile
        try:
            # Our own handle: np.load leaks its own when a damaged archive fails to open.
            with open(path, "rb") as stream, np.load(stream, allow_pickle=False) as data:
                stamp = data["key"]
                elevation = data["elevation_m"]
                rock = data["rock_height_m"]
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
            return None
        expected = [CACHE_VERSION, key[0], key[1], nc, _HALO]
        if (
            stamp.tolist() != expected
            or elevation.shape != (nc + 2 * _HALO, nc + 2 * _HALO)
            or elevation.dtype != np.float64
            or rock.shape != (nc, nc)
            or rock.dtype != np.float32
        ):
            return None
        return elevation, rock

    def _write(self, key: tuple[int, int], elevation: _Array, rock: NDArray[np.float32]) -> None:
        """Write the tile atomically (temporary file, then rename); on failure go memory-only."""
        assert self.cache_dir is not None
        path = self._path(key)
        stamp = np.array([CACHE_VERSION, key[0], key[1], self.cells_per_tile, _HALO])
        tmp: str | None = None
        try:
            fd, tmp = tempfile.mkstemp(dir=self.cache_dir, prefix=path.stem, suffix=".tmp")
            with os.fdopen(fd, "wb") as stream:
                np.savez(stream, key=stamp, elevation_m=elevation, rock_height_m=rock)
            os.replace(tmp, path)
            tmp = None
        except OSError as error:
            self.cache_error = f"cannot write the tile cache {self.cache_dir}: {error}"
            self.cache_dir = None
        finally:
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)


class MultiResolutionTerrain:
    """The fine layer within ``fine_radius_m`` of a focus point, the coarse map elsewhere.

    Parameters
    ----------
    fine
        The fine layer (its ``coarse`` is the coarse map).
    fine_radius_m
        Points within this distance [m] of the focus are answered by the fine layer.
    focus_m
        Initial focus (east, north) [m]; move it with `set_focus` as the rover drives.

    Queries are those of `FineTerrain`, same shapes, same units. Where the coarse map
    answers, slope and rock height are its own (10 m cells, the tallest rock of the cell),
    the normal is tilted by its slope along its elevation gradient, and roughness is the
    same 3 x 3 plane-residual RMS computed on its 10 m grid.

    Example
    -------
    >>> from perseverance.terrain.site import load_site
    >>> terrain = MultiResolutionTerrain.generate(load_site("jezero"), seed=7)
    >>> terrain.set_focus(250.0, 80.0)
    >>> bool(terrain.uses_fine(250.0, 80.0)), bool(terrain.uses_fine(2000.0, 0.0))
    (True, False)
    """

    def __init__(
        self,
        fine: FineTerrain,
        *,
        fine_radius_m: float = DEFAULT_FINE_RADIUS_M,
        focus_m: tuple[float, float] = (0.0, 0.0),
    ) -> None:
        if not fine_radius_m >= 0.0:
            raise ValueError(f"fine_radius_m must be >= 0 [m], got {fine_radius_m}")
        self.fine = fine
        self.coarse = fine.coarse
        self.fine_radius_m = float(fine_radius_m)
        self.focus_m = (0.0, 0.0)
        self.set_focus(*focus_m)
        self._coarse_roughness: NDArray[np.float32] | None = None

    @classmethod
    def generate(
        cls,
        site: Site,
        seed: int,
        *,
        cache_dir: str | os.PathLike[str] | None = None,
        fine_radius_m: float = DEFAULT_FINE_RADIUS_M,
        max_tiles: int = DEFAULT_MAX_TILES,
    ) -> MultiResolutionTerrain:
        """Build the coarse map of `site` from `seed` and the fine layer over it."""
        coarse = LandingRegion.generate(site, seed)
        fine = FineTerrain(coarse, cache_dir=cache_dir, max_tiles=max_tiles)
        return cls(fine, fine_radius_m=fine_radius_m)

    def __repr__(self) -> str:
        e, n = self.focus_m
        return (
            f"MultiResolutionTerrain({self.coarse.site.name!r}, seed={self.fine.seed}, "
            f"fine within {self.fine_radius_m:g} m of ({e:g}, {n:g}))"
        )

    def set_focus(self, east_m: float, north_m: float) -> None:
        """Move the centre of the fine layer to (east, north) [m], e.g. the rover."""
        e, n = float(east_m), float(north_m)
        if not (math.isfinite(e) and math.isfinite(n)):
            raise ValueError(f"the focus must be a finite position [m], got ({e}, {n})")
        self.focus_m = (e, n)

    def uses_fine(self, east_m: ArrayLike, north_m: ArrayLike) -> NDArray[np.bool_]:
        """True where the fine layer answers: within the radius and inside the coarse map."""
        e, n = np.broadcast_arrays(np.asarray(east_m, float), np.asarray(north_m, float))
        near = np.hypot(e - self.focus_m[0], n - self.focus_m[1]) <= self.fine_radius_m
        return (near & self.coarse.contains(e, n))[()]

    def memory_bytes(self) -> int:
        """Bytes of the fine tiles in memory (plus the coarse roughness grid once made)."""
        extra = 0 if self._coarse_roughness is None else self._coarse_roughness.nbytes
        return self.fine.memory_bytes() + extra

    # ---------------------------------------------------------------- queries

    def elevation(self, east_m: ArrayLike, north_m: ArrayLike) -> _Array:
        """Elevation above the MOLA areoid [m] at (east, north) [m]."""
        return self._pick(east_m, north_m, self.fine.elevation, self.coarse.elevation)

    def slope(self, east_m: ArrayLike, north_m: ArrayLike) -> _Array:
        """Terrain slope [rad] at (east, north) [m]."""
        return self._pick(east_m, north_m, self.fine.slope, self.coarse.slope)

    def normal(self, east_m: ArrayLike, north_m: ArrayLike) -> _Array:
        """Upward unit normal (east, north, up), shape ``(..., 3)``."""
        return self._pick(east_m, north_m, self.fine.normal, self._coarse_normal, tail=(3,))

    def rock_height(self, east_m: ArrayLike, north_m: ArrayLike) -> _Array:
        """Height of the tallest rock [m] in the cell (1 m fine, 10 m coarse)."""
        return self._pick(east_m, north_m, self.fine.rock_height, self.coarse.rock_height)

    def roughness(self, east_m: ArrayLike, north_m: ArrayLike) -> _Array:
        """RMS of the elevation about the 3 x 3 plane of the answering layer's cells [m]."""
        return self._pick(east_m, north_m, self.fine.roughness, self._coarse_roughness_at)

    def is_hazard(
        self,
        east_m: ArrayLike,
        north_m: ArrayLike,
        max_slope_rad: float | None = None,
        max_rock_m: float | None = None,
    ) -> NDArray[np.bool_]:
        """True where slope > `max_slope_rad` [rad] or rock height > `max_rock_m` [m].

        Limits default to the site's (``site.hazard``); a point test, as in `FineTerrain`.
        """
        return _hazard(self, self.coarse.site, east_m, north_m, max_slope_rad, max_rock_m)

    # ---------------------------------------------------------------- helpers

    def _pick(
        self,
        east_m: ArrayLike,
        north_m: ArrayLike,
        fine: Callable[[_Array, _Array], ArrayLike],
        coarse: Callable[[_Array, _Array], ArrayLike],
        tail: tuple[int, ...] = (),
    ) -> NDArray:
        e, n = np.broadcast_arrays(np.asarray(east_m, float), np.asarray(north_m, float))
        shape = e.shape
        e, n = e.ravel(), n.ravel()
        use = np.asarray(self.uses_fine(e, n))
        out = np.empty((e.size, *tail))
        if use.any():
            out[use] = fine(e[use], n[use])
        if not use.all():
            out[~use] = coarse(e[~use], n[~use])
        return out.reshape((*shape, *tail))[()]

    def _coarse_normal(self, e: _Array, n: _Array) -> _Array:
        """Coarse normal: tilted by the coarse slope along the coarse elevation gradient."""
        step = 0.5 * self.coarse.resolution_m
        elevation = self.coarse.elevation
        ge = elevation(e + step, n) - elevation(e - step, n)
        gn = elevation(e, n + step) - elevation(e, n - step)
        norm = np.hypot(ge, gn)
        with np.errstate(invalid="ignore", divide="ignore"):
            ue = np.where(norm > 0.0, ge / norm, 0.0)
            un = np.where(norm > 0.0, gn / norm, 0.0)
        s = np.asarray(self.coarse.slope(e, n), dtype=float)
        return np.stack([-np.sin(s) * ue, -np.sin(s) * un, np.cos(s)], axis=-1)

    def _coarse_roughness_at(self, e: _Array, n: _Array) -> _Array:
        if self._coarse_roughness is None:
            z = self.coarse.elevation_m
            padded = np.pad(z - float(np.mean(z)), 1, mode="edge")
            grid = _plane_residual_rms(padded).astype(np.float32)
            grid.setflags(write=False)
            self._coarse_roughness = grid
        c = self.coarse
        fr = np.nan_to_num((n - c.north_m[0]) / c.resolution_m)
        fc = np.nan_to_num((e - c.east_m[0]) / c.resolution_m)
        row = np.rint(np.clip(fr, 0, c.shape[0] - 1)).astype(np.intp)
        col = np.rint(np.clip(fc, 0, c.shape[1] - 1)).astype(np.intp)
        inside = c.contains(e, n)
        return np.where(inside, self._coarse_roughness[row, col], 0.0)


# -------------------------------------------------------------------- kernels


def _whole(ratio: float, what: str) -> int:
    """`ratio` as a positive integer, or a ValueError naming `what`."""
    whole = round(ratio)
    if whole < 1 or abs(ratio - whole) > 1e-9 * max(1.0, ratio):
        raise ValueError(f"{what} must be a whole number >= 1, got {ratio:g}")
    return int(whole)


def _hazard(
    terrain: FineTerrain | MultiResolutionTerrain,
    site: Site,
    east_m: ArrayLike,
    north_m: ArrayLike,
    max_slope_rad: float | None,
    max_rock_m: float | None,
) -> NDArray[np.bool_]:
    """``terrain``'s slope > the limit [rad] or rock height > the limit [m], pointwise;
    None takes the site's landing limits (``site.hazard``)."""
    slope = site.hazard.max_slope_rad if max_slope_rad is None else float(max_slope_rad)
    rock = site.hazard.max_rock_height_m if max_rock_m is None else float(max_rock_m)
    return (
        (terrain.slope(east_m, north_m) > slope) | (terrain.rock_height(east_m, north_m) > rock)
    )[()]


def _bilinear(
    grid: _Array, row: NDArray[np.intp], col: NDArray[np.intp], tr: _Array, tc: _Array
) -> _Array:
    """Bilinear interpolation in `grid` at base (row, col) with fractions (tr, tc)."""
    n_cols = grid.shape[1]
    flat = grid.ravel()
    k = row * n_cols + col
    top = np.take(flat, k) * (1.0 - tc) + np.take(flat, k + 1) * tc
    k += n_cols
    bottom = np.take(flat, k) * (1.0 - tc) + np.take(flat, k + 1) * tc
    return top * (1.0 - tr) + bottom * tr


def _normal_from_gradient(ge: _Array, gn: _Array) -> _Array:
    """Unit upward normal (east, north, up) of z(e, n) with gradient (ge, gn)."""
    inv = 1.0 / np.sqrt(1.0 + ge * ge + gn * gn)
    return np.stack([-ge * inv, -gn * inv, inv], axis=-1)


def _plane_residual_rms(z: _Array) -> _Array:
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


def _catmull_rom_matrix(x: _Array) -> tuple[_Array, int, int]:
    """Catmull-Rom weights of the lattice nodes for positions `x` [lattice units].

    Returns (W, first node, node count): the interpolant at x_i is sum_j W[i, j] v_j over
    nodes first .. first + count - 1. C1, exact at the nodes.
    """
    base = np.floor(x).astype(np.int64)
    t = x - base
    t2, t3 = t * t, t * t * t
    weights = 0.5 * np.stack(
        [
            -t3 + 2.0 * t2 - t,
            3.0 * t3 - 5.0 * t2 + 2.0,
            -3.0 * t3 + 4.0 * t2 + t,
            t3 - t2,
        ],
        axis=-1,
    )
    first = int(base.min()) - 1
    count = int(base.max()) + 3 - first
    matrix = np.zeros((x.size, count))
    rows = np.arange(x.size)[:, None]
    matrix[rows, (base - 1 - first)[:, None] + np.arange(4)] = weights
    return matrix, first, count


def _mix64(z: NDArray[np.uint64]) -> NDArray[np.uint64]:
    """The SplitMix64 finaliser: a bijective avalanche of 64-bit integers."""
    z = z + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def _lattice_uniform(key: np.uint64, ix: NDArray[np.int64], iy: NDArray[np.int64]) -> _Array:
    """Uniform values on [-1, 1) hashed from (key, ix, iy): the same wherever asked."""
    ux = np.asarray(ix, dtype=np.int64).view(np.uint64)
    uy = np.asarray(iy, dtype=np.int64).view(np.uint64)
    h = _mix64(_mix64(np.uint64(key) ^ ux) ^ uy)
    return (h >> np.uint64(11)).astype(np.float64) * (2.0 / 2.0**53) - 1.0
