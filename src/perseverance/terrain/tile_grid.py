"""The fine layer's tiling of the coarse map: tile and cell indices, cell centres."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from perseverance.terrain.landing_region import LandingRegion

__all__ = ["INDEX_OFFSET", "TileGrid"]

#: Added to tile indices so that seed entropy and sort keys are non-negative.
INDEX_OFFSET = 1 << 31

_Array = NDArray[np.float64]


@dataclass(frozen=True)
class TileGrid:
    """Square tiles of ``tile_m`` made of fine cells of ``resolution_m`` over a coarse map.

    Tile (0, 0) starts at the west/south edge of the coarse cell holding the site; a tile
    holds whole coarse cells, so that each coarse cell belongs to exactly one tile.

    Attributes
    ----------
    tile_m, resolution_m : float
        Tile side and fine cell size [m].
    coarse_per_tile, cells_per_tile : int
        Coarse cells and fine cells along a tile side.
    col0, row0 : int
        Coarse column and row of the south-west coarse cell of tile (0, 0).
    origin_east_m, origin_north_m : float
        South-west corner of tile (0, 0) [m].
    """

    tile_m: float
    resolution_m: float
    coarse_per_tile: int
    cells_per_tile: int
    col0: int
    row0: int
    origin_east_m: float
    origin_north_m: float

    @classmethod
    def over(cls, coarse: LandingRegion, tile_m: float, resolution_m: float) -> TileGrid:
        """The tiling of `coarse`; ValueError unless the sizes divide as they must."""
        coarse_m = coarse.resolution_m
        if abs(float(coarse.north_m[1] - coarse.north_m[0]) - coarse_m) > 1e-9 * coarse_m:
            raise ValueError("the coarse map must have square cells (equal east/north size)")
        per_coarse = _whole(coarse_m / resolution_m, "coarse cell size / resolution_m")
        coarse_per_tile = _whole(tile_m / coarse_m, "tile_m / coarse cell size")
        col0 = int(np.argmin(np.abs(coarse.east_m)))
        row0 = int(np.argmin(np.abs(coarse.north_m)))
        return cls(
            tile_m=float(tile_m),
            resolution_m=float(resolution_m),
            coarse_per_tile=coarse_per_tile,
            cells_per_tile=per_coarse * coarse_per_tile,
            col0=col0,
            row0=row0,
            origin_east_m=float(coarse.east_m[col0]) - 0.5 * coarse_m,
            origin_north_m=float(coarse.north_m[row0]) - 0.5 * coarse_m,
        )

    def cell_index(self, e: _Array, n: _Array) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """Global fine-cell index (east, north) of each point (e, n) [m]."""
        r = self.resolution_m
        return (
            np.floor((e - self.origin_east_m) / r).astype(np.int64),
            np.floor((n - self.origin_north_m) / r).astype(np.int64),
        )

    def east_axis(self, i: int, halo: int) -> _Array:
        """Cell-centre east coordinates [m] of tile column `i`, with `halo` extra cells."""
        return self._axis(i, self.origin_east_m, halo)

    def north_axis(self, j: int, halo: int) -> _Array:
        """Cell-centre north coordinates [m] of tile row `j`, with `halo` extra cells."""
        return self._axis(j, self.origin_north_m, halo)

    def _axis(self, i: int, origin_m: float, halo: int) -> _Array:
        nc, r = self.cells_per_tile, self.resolution_m
        k = np.arange(i * nc - halo, (i + 1) * nc + halo, dtype=np.int64)
        return np.asarray(origin_m + (k + 0.5) * r, dtype=np.float64)


def _whole(ratio: float, what: str) -> int:
    """`ratio` as a positive integer, or a ValueError naming `what`."""
    whole = round(ratio)
    if whole < 1 or abs(ratio - whole) > 1e-9 * max(1.0, ratio):
        raise ValueError(f"{what} must be a whole number >= 1, got {ratio:g}")
    return int(whole)
