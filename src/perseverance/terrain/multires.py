"""The multi-resolution terrain: the fine layer near a focus point, the coarse map elsewhere.

`MultiResolutionTerrain` answers every query from the fine layer (`FineTerrain`) near the
focus (the rover) and from the coarse `LandingRegion` elsewhere, so a whole mission
stays far below 2 GB whatever it drives over. Between the two there is a seam at
``fine_radius_m``: centimetres of noise and the small rocks.

Example
-------
>>> from perseverance.terrain.site import load_site
>>> terrain = MultiResolutionTerrain.generate(load_site("jezero"), seed=7)
>>> terrain.set_focus(120.0, -40.0)
>>> heights = terrain.rock_height([120.0, 121.0], [-40.0, -40.0])
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike, NDArray

from perseverance.terrain.landing_region import LandingRegion
from perseverance.terrain.site import Site
from perseverance.terrain.tiles import (
    DEFAULT_MAX_TILES,
    FineTerrain,
    hazard_mask,
    plane_residual_rms,
)

__all__ = ["DEFAULT_FINE_RADIUS_M", "MultiResolutionTerrain"]

#: Default radius around the focus (the rover) answered by the fine layer [m].
DEFAULT_FINE_RADIUS_M = 500.0

_Array = NDArray[np.float64]


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
        return hazard_mask(
            self.slope(east_m, north_m),
            self.rock_height(east_m, north_m),
            self.coarse.site,
            max_slope_rad,
            max_rock_m,
        )

    # ---------------------------------------------------------------- helpers

    def _pick(
        self,
        east_m: ArrayLike,
        north_m: ArrayLike,
        fine: Callable[[_Array, _Array], ArrayLike],
        coarse: Callable[[_Array, _Array], ArrayLike],
        tail: tuple[int, ...] = (),
    ) -> _Array:
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
            grid = plane_residual_rms(padded).astype(np.float32)
            grid.setflags(write=False)
            self._coarse_roughness = grid
        c = self.coarse
        fr = np.nan_to_num((n - c.north_m[0]) / c.resolution_m)
        fc = np.nan_to_num((e - c.east_m[0]) / c.resolution_m)
        row = np.rint(np.clip(fr, 0, c.shape[0] - 1)).astype(np.intp)
        col = np.rint(np.clip(fc, 0, c.shape[1] - 1)).astype(np.intp)
        inside = c.contains(e, n)
        return np.where(inside, self._coarse_roughness[row, col], 0.0)
