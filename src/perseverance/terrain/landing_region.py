"""The landing region: a procedural elevation, slope, rock and hazard map of the site.

`LandingRegion.generate(site, seed)` builds the map; its query methods take east/north
positions [m] in the local tangent plane of the landing site and answer for any array
shape (a scalar in gives a scalar out).
"""

from __future__ import annotations

import math
from typing import TypeVar

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import ndimage

from perseverance.terrain.craters import add_craters, sample_craters
from perseverance.terrain.landforms import (
    add_rugged_unit,
    delta_heights,
    long_wavelength_relief,
)
from perseverance.terrain.rocks import ROCK_HEIGHT_TO_DIAMETER, tallest_rock_diameter
from perseverance.terrain.site import Site

__all__ = ["LandingRegion"]

_Scalar = TypeVar("_Scalar", bound=np.generic)

#: e-folding distance [m] over which elevation outside the map returns to the floor.
OUTSIDE_BLEND_M = 1000.0


class LandingRegion:
    """Elevation, slope, rocks and hazards on a square grid around the landing site.

    The grid lives in the local tangent plane of the landing site: `east_m` and `north_m`
    are the ascending cell-centre axes [m] (the site is at 0, 0 and at the centre cell);
    2-D arrays are indexed [north, east]. Arrays are read-only.

    Attributes
    ----------
    site : Site
        The site description the map was made from.
    seed : int or None
        The seed of `generate` (None for a map built from given arrays).
    east_m, north_m : ndarray (n_east,), (n_north,)
        Cell-centre coordinates [m].
    elevation_m : ndarray (n_north, n_east)
        Height above the MOLA areoid [m]; the floor sits near
        ``site.landing_site.floor_elevation_m``.
    slope_rad : ndarray
        Terrain slope [rad], from centred differences over two cells (one at the edges).
    rock_height_m : ndarray
        Height of the tallest rock in each cell [m] (0 where no rock >= 0.1 m).
    hazard, safe : ndarray of bool
        ``hazard`` is (slope > max slope) | (rock > max rock height), dilated by the
        lander footprint; ``safe = ~hazard``.

    The hazard dilation rounds the footprint radius up to whole cells (2.5 m at 10 m cells
    dilates by one cell, a plus-shaped stencil): the tallest rock may lie anywhere in its
    cell and the lander anywhere in its target cell, so we err on the side of hazard.

    What the model leaves out: slopes at the 2-5 m baselines of the landing requirement
    (a 10 m grid sees only 20 m slopes, so short steep faces are underestimated); the
    real delta's channels, buttes and layering; the crater rim and walls; ejecta-block
    clustering of rocks; and any map error of the onboard (LVS) map against the truth:
    here the map is the truth.

    Example
    -------
    >>> from perseverance.terrain.site import load_site
    >>> region = LandingRegion.generate(load_site("jezero"), seed=7)
    >>> east, north, distance = region.nearest_safe(120.0, -40.0)
    """

    def __init__(
        self,
        *,
        site: Site,
        east_m: ArrayLike,
        north_m: ArrayLike,
        elevation_m: ArrayLike,
        rock_height_m: ArrayLike,
        seed: int | None = None,
    ) -> None:
        """Build the derived maps (slope, hazard, nearest-safe index) from given grids.

        `east_m`, `north_m` must be ascending and evenly spaced [m]; `elevation_m` and
        `rock_height_m` are [north, east] arrays [m]. Use `generate` for a procedural map.
        """
        self.site = site
        self.seed = seed
        self.east_m = _axis(east_m, "east_m")
        self.north_m = _axis(north_m, "north_m")
        shape = (self.north_m.size, self.east_m.size)
        self.elevation_m = _grid(elevation_m, shape, "elevation_m")
        self.rock_height_m = _grid(rock_height_m, shape, "rock_height_m")
        self._d_east = float(self.east_m[1] - self.east_m[0])
        self._d_north = float(self.north_m[1] - self.north_m[0])

        d_north, d_east = np.gradient(self.elevation_m, self._d_north, self._d_east)
        self.slope_rad = _frozen(np.arctan(np.hypot(d_east, d_north)))
        del d_north, d_east
        limits = site.hazard
        core = (self.slope_rad > limits.max_slope_rad) | (
            self.rock_height_m > limits.max_rock_height_m
        )
        stencil = self._footprint_stencil(limits.lander_footprint_radius_m)
        hazard = ndimage.binary_dilation(core, structure=stencil) if stencil.size > 1 else core
        self.hazard = _frozen(hazard)
        self.safe = _frozen(~hazard)
        self._nearest: NDArray[np.int32] | None = None
        self._clear: dict[float, tuple[NDArray[np.bool_], NDArray[np.int32] | None]] = {}
        if self.safe.any():
            index = ndimage.distance_transform_edt(
                hazard,
                sampling=(self._d_north, self._d_east),
                return_distances=False,
                return_indices=True,
            )
            self._nearest = _frozen(index.astype(np.int32, copy=False))

    @classmethod
    def generate(cls, site: Site, seed: int) -> LandingRegion:
        """Make the procedural map of `site`, deterministically from `seed`.

        Layers, in order of the random draws (all from ``numpy.random.default_rng(seed)``):
        long-wavelength relief (FFT-filtered noise), the delta deposit behind its scarp,
        the rugged unit (ridges and ripples), craters from the size-frequency law, and the
        tallest rock per cell from the Golombek & Rapp model (``rocks`` module), with the
        rugged unit's own rock abundance inside it. Heights are above the MOLA areoid [m].
        """
        rng = np.random.default_rng(seed)
        region = site.region
        half = round(region.half_width_m / region.resolution_m)
        axis = region.resolution_m * np.arange(-half, half + 1, dtype=float)
        n = axis.size

        elevation = long_wavelength_relief(
            n, n, region.resolution_m, region.relief_rms_m, region.relief_wavelength_m, rng
        )
        elevation += site.landing_site.floor_elevation_m
        elevation += delta_heights(site.delta, axis, axis, rng)
        rugged = np.zeros((n, n), dtype=bool)
        if site.rugged_unit is not None:
            rugged = add_rugged_unit(elevation, site.rugged_unit, axis, axis, rng)
        pad = site.craters.max_diameter_m
        extent = (float(axis[0]) - pad, float(axis[-1]) + pad)
        add_craters(elevation, axis, axis, sample_craters(site.craters, extent, extent, rng))

        cell_area = region.resolution_m**2
        draws = rng.standard_exponential((n, n))
        diameter = tallest_rock_diameter(site.rocks.rock_abundance_k, cell_area, draws)
        if site.rugged_unit is not None and rugged.any():
            k_rugged = site.rugged_unit.rock_abundance_k
            diameter[rugged] = tallest_rock_diameter(k_rugged, cell_area, draws[rugged])
        del draws
        diameter *= ROCK_HEIGHT_TO_DIAMETER
        return cls(
            site=site,
            east_m=axis,
            north_m=axis.copy(),
            elevation_m=elevation,
            rock_height_m=diameter,
            seed=seed,
        )

    # ---------------------------------------------------------------- descriptions

    @property
    def shape(self) -> tuple[int, int]:
        """Grid shape (n_north, n_east)."""
        return (self.north_m.size, self.east_m.size)

    @property
    def floor_elevation_m(self) -> float:
        """Elevation of the surrounding floor [m above the areoid]: the far-field ground."""
        return self.site.landing_site.floor_elevation_m

    @property
    def resolution_m(self) -> float:
        """Cell size along east [m] (equal to the north cell size for generated maps)."""
        return self._d_east

    @property
    def safe_fraction(self) -> float:
        """Fraction of cells that are safe to land on."""
        return float(np.mean(self.safe))

    def __repr__(self) -> str:
        return (
            f"LandingRegion({self.site.name!r}, seed={self.seed}, "
            f"{self.shape[0]}x{self.shape[1]} cells at {self.resolution_m:g} m, "
            f"{100.0 * self.safe_fraction:.1f}% safe)"
        )

    # ---------------------------------------------------------------- queries

    def contains(self, east_m: ArrayLike, north_m: ArrayLike) -> NDArray[np.bool_]:
        """True where (east, north) [m] falls in a cell of the map."""
        e, n = np.broadcast_arrays(np.asarray(east_m, float), np.asarray(north_m, float))
        return self._inside(e, n)[()]

    def elevation(self, east_m: ArrayLike, north_m: ArrayLike) -> NDArray[np.float64]:
        """Elevation above the MOLA areoid [m] at (east, north) [m], bilinear.

        Outside the map the edge value relaxes to the floor elevation as
        exp(-(d / 1 km)^2), d the distance outside the map [m]: continuous, never NaN
        (NaN only for NaN positions).
        """
        e, n = np.broadcast_arrays(np.asarray(east_m, float), np.asarray(north_m, float))
        z = self._bilinear(self.elevation_m, e, n)
        d = self._distance_outside(e, n)
        floor = self.site.landing_site.floor_elevation_m
        return (floor + (z - floor) * np.exp(-((d / OUTSIDE_BLEND_M) ** 2)))[()]

    def slope(self, east_m: ArrayLike, north_m: ArrayLike) -> NDArray[np.float64]:
        """Terrain slope [rad] at (east, north) [m], bilinear; 0 outside the map."""
        e, n = np.broadcast_arrays(np.asarray(east_m, float), np.asarray(north_m, float))
        return np.where(self._inside(e, n), self._bilinear(self.slope_rad, e, n), 0.0)[()]

    def rock_height(self, east_m: ArrayLike, north_m: ArrayLike) -> NDArray[np.float64]:
        """Height of the tallest rock [m] in the cell holding (east, north); 0 outside."""
        e, n = np.broadcast_arrays(np.asarray(east_m, float), np.asarray(north_m, float))
        row, col, inside = self._cell(e, n)
        return np.where(inside, self.rock_height_m[row, col], 0.0)[()]

    def is_hazard(
        self, east_m: ArrayLike, north_m: ArrayLike, *, outside: bool = False
    ) -> NDArray[np.bool_]:
        """True where the cell holding (east, north) [m] is a landing hazard.

        Outside the map the terrain is unknown. The model's far field is the flat floor
        (`elevation` relaxes to it, `slope` and `rock_height` are 0 there), so by default
        the answer there is False, consistent with those queries; pass ``outside=True``
        to treat unmapped ground as not certified safe, as an onboard hazard map would
        (`contains` says which points the map covers).
        """
        e, n = np.broadcast_arrays(np.asarray(east_m, float), np.asarray(north_m, float))
        row, col, inside = self._cell(e, n)
        return np.where(inside, self.hazard[row, col], outside)[()]

    def nearest_safe(
        self, east_m: ArrayLike, north_m: ArrayLike, clearance_m: float = 0.0
    ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
        """The nearest safe spot to (east, north) [m]: LVS-style safe-target selection.

        Returns (east_safe_m, north_safe_m, distance_m). A point in a safe cell is its own
        answer (distance 0); otherwise the answer is the centre of the safe cell nearest
        to the centre of the point's cell (exact Euclidean distance transform, computed
        once, so each query is O(1)); the distance is from the query point [m]. Points
        outside the map are taken to the nearest edge cell first. A map with no safe cell
        gives NaN positions and an infinite distance.

        With ``clearance_m`` > 0 only cells at least that far [m] from every hazard
        cell count as safe: the margin the Lander Vision System keeps for its own
        position error.
        """
        e, n = np.broadcast_arrays(np.asarray(east_m, float), np.asarray(north_m, float))
        if clearance_m > 0:
            return self._nearest_clear(e, n, float(clearance_m))
        if self._nearest is None:
            nan = np.full(e.shape, np.nan)
            return nan[()], nan.copy()[()], np.full(e.shape, np.inf)[()]
        row, col, inside = self._cell(e, n)
        safe_row = self._nearest[0, row, col]
        safe_col = self._nearest[1, row, col]
        keep = inside & self.safe[row, col]
        east_safe = np.where(keep, e, self.east_m[safe_col])
        north_safe = np.where(keep, n, self.north_m[safe_row])
        distance = np.hypot(east_safe - e, north_safe - n)
        return east_safe[()], north_safe[()], distance[()]

    def _nearest_clear(
        self, e: NDArray[np.float64], n: NDArray[np.float64], clearance_m: float
    ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
        """`nearest_safe` over the cells at least ``clearance_m`` from any hazard."""
        if clearance_m not in self._clear:
            to_hazard = ndimage.distance_transform_edt(
                self.safe, sampling=(self._d_north, self._d_east)
            )
            clear = to_hazard >= clearance_m
            index = None
            if clear.any():
                index = ndimage.distance_transform_edt(
                    ~clear,
                    sampling=(self._d_north, self._d_east),
                    return_distances=False,
                    return_indices=True,
                ).astype(np.int32, copy=False)
            self._clear[clearance_m] = (_frozen(clear), index)
        clear, index = self._clear[clearance_m]
        if index is None:
            nan = np.full(e.shape, np.nan)
            return nan[()], nan.copy()[()], np.full(e.shape, np.inf)[()]
        row, col, inside = self._cell(e, n)
        keep = inside & clear[row, col]
        east_safe = np.where(keep, e, self.east_m[index[1, row, col]])
        north_safe = np.where(keep, n, self.north_m[index[0, row, col]])
        return east_safe[()], north_safe[()], np.hypot(east_safe - e, north_safe - n)[()]

    def hillshade(
        self, azimuth_deg: float = 315.0, altitude_deg: float = 45.0, exaggeration: float = 1.0
    ) -> NDArray[np.float64]:
        """Lambertian shading in [0, 1] of the [north, east] grid, for plotting.

        The Sun is at `azimuth_deg` (clockwise from north) and `altitude_deg` above the
        horizon; `exaggeration` multiplies heights first (relief here is gentle).
        """
        d_north, d_east = np.gradient(exaggeration * self.elevation_m, self._d_north, self._d_east)
        az, alt = math.radians(azimuth_deg), math.radians(altitude_deg)
        sun = (math.sin(az) * math.cos(alt), math.cos(az) * math.cos(alt), math.sin(alt))
        shade = (-d_east * sun[0] - d_north * sun[1] + sun[2]) / np.sqrt(
            1.0 + d_east * d_east + d_north * d_north
        )
        clipped: NDArray[np.float64] = np.clip(shade, 0.0, 1.0)
        return clipped

    # ---------------------------------------------------------------- helpers

    def _footprint_stencil(self, radius_m: float) -> NDArray[np.bool_]:
        """Cells within the footprint radius rounded up to whole cells (a disc)."""
        cells_e = math.ceil(radius_m / self._d_east - 1e-9) if radius_m > 0 else 0
        cells_n = math.ceil(radius_m / self._d_north - 1e-9) if radius_m > 0 else 0
        reach = max(cells_e * self._d_east, cells_n * self._d_north)
        i = np.arange(-cells_n, cells_n + 1)[:, None] * self._d_north
        j = np.arange(-cells_e, cells_e + 1)[None, :] * self._d_east
        stencil: NDArray[np.bool_] = np.hypot(i, j) <= reach + 1e-9
        return stencil

    def _fractional_index(
        self, e: NDArray[np.float64], n: NDArray[np.float64]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """(row, column) as fractional indices of the cell centres."""
        return (n - self.north_m[0]) / self._d_north, (e - self.east_m[0]) / self._d_east

    def _cell(
        self, e: NDArray[np.float64], n: NDArray[np.float64]
    ) -> tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.bool_]]:
        """Index of the cell holding each point (clamped to the map), and inside flags."""
        fr, fc = self._fractional_index(e, n)
        n_rows, n_cols = self.shape
        row = np.rint(np.clip(np.nan_to_num(fr), 0, n_rows - 1)).astype(np.intp)
        col = np.rint(np.clip(np.nan_to_num(fc), 0, n_cols - 1)).astype(np.intp)
        return row, col, self._inside(e, n)

    def _inside(self, e: NDArray[np.float64], n: NDArray[np.float64]) -> NDArray[np.bool_]:
        fr, fc = self._fractional_index(e, n)
        n_rows, n_cols = self.shape
        inside: NDArray[np.bool_] = (
            (fr >= -0.5) & (fr <= n_rows - 0.5) & (fc >= -0.5) & (fc <= n_cols - 0.5)
        )
        return inside

    def _distance_outside(
        self, e: NDArray[np.float64], n: NDArray[np.float64]
    ) -> NDArray[np.float64]:
        """Distance [m] from each point to the map's outer edge; 0 inside."""
        half_e, half_n = 0.5 * self._d_east, 0.5 * self._d_north
        out_e = np.maximum(self.east_m[0] - half_e - e, 0.0) + np.maximum(
            e - self.east_m[-1] - half_e, 0.0
        )
        out_n = np.maximum(self.north_m[0] - half_n - n, 0.0) + np.maximum(
            n - self.north_m[-1] - half_n, 0.0
        )
        distance: NDArray[np.float64] = np.hypot(out_e, out_n)
        return distance

    def _bilinear(
        self, grid: NDArray[np.float64], e: NDArray[np.float64], n: NDArray[np.float64]
    ) -> NDArray[np.float64]:
        """Bilinear interpolation of a [north, east] grid, clamped to the edge cells."""
        fr, fc = self._fractional_index(e, n)
        n_rows, n_cols = self.shape
        fr = np.clip(fr, 0.0, n_rows - 1.0)
        fc = np.clip(fc, 0.0, n_cols - 1.0)
        r0 = np.minimum(np.floor(np.nan_to_num(fr)), n_rows - 2).astype(np.intp)
        c0 = np.minimum(np.floor(np.nan_to_num(fc)), n_cols - 2).astype(np.intp)
        tr, tc = fr - r0, fc - c0
        flat = grid.ravel()  # np.take on the flat grid gathers far faster than 2-D indexing
        k = r0 * n_cols + c0
        top = np.take(flat, k) * (1.0 - tc) + np.take(flat, k + 1) * tc
        k += n_cols
        bottom = np.take(flat, k) * (1.0 - tc) + np.take(flat, k + 1) * tc
        return top * (1.0 - tr) + bottom * tr


def _axis(values: ArrayLike, name: str) -> NDArray[np.float64]:
    """A read-only, ascending, evenly spaced axis of at least two points."""
    axis = np.array(values, dtype=float)
    if axis.ndim != 1 or axis.size < 2:
        raise ValueError(f"{name} must be a 1-D axis of at least 2 points, got shape {axis.shape}")
    step = np.diff(axis)
    if not (np.all(step > 0) and np.allclose(step, step[0], rtol=1e-9, atol=0.0)):
        raise ValueError(f"{name} must be ascending and evenly spaced")
    return _frozen(axis)


def _grid(values: ArrayLike, shape: tuple[int, int], name: str) -> NDArray[np.float64]:
    grid = np.array(values, dtype=float)  # a private copy: the derived maps depend on it
    if grid.shape != shape:
        raise ValueError(f"{name} must have shape {shape} [north, east], got {grid.shape}")
    return _frozen(grid)


def _frozen(array: NDArray[_Scalar]) -> NDArray[_Scalar]:
    """`array`, made read-only."""
    array.setflags(write=False)
    return array
