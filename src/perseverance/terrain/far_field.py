"""The far field: the host crater (Jezero) round the local map, on a coarse grid.

`FarField.generate(site)` builds, from the site's ``[far_field]`` table, a height grid
reaching past the crater's rim, in the landing region's frame: east/north [m] in the
tangent plane at the landing site (the gnomonic projection of `mars.frames.LocalFrame`,
the frame of the EDL and of `LandingRegion`; it stretches distances by (d/R)^2/3, 10 cm
at 30 km), heights above the MOLA areoid [m] on the local map's datum (the crater floor at
``site.landing_site.floor_elevation_m``). The grid is flat: `HeightField.of` bends it
onto the curved Mars, as it does the local map.

The surface, above the floor [m], r the distance from the crater's centre, R the rim-crest
radius, W the wall's width, H the rim height, P the plains' height:

- the crater: 0 (the floor) out to R - W; the inner wall H smoothstep((r - R + W) / W)
  (zero slope at its foot and at the crest, steepest 1.5 H / W); the outer flank
  P + (H - P) (R / r)^3, the cube-law fall of an ejecta blanket's thickness
  (McGetchin et al. 1973, EPSL 20:226);
- the inlet valley (Neretva Vallis): in a corridor `inlet_width_m` wide along the inlet
  bearing (soft sides as wide again), the wall and rim are cut down to a valley floor
  that climbs from the fan's top at the rim crest to the plains over `inlet_length_m`;
- the fan (the western delta): the local map's delta, ``site.delta.height_m`` above the
  floor behind the same scarp (mid-slope ``site.delta.distance_m`` from the landing site
  along ``site.delta.bearing_deg``, a smoothstep ``width_m`` wide), within
  `fan_radius_m` of the inlet (a soft edge `fan_edge_m` wide); the crater's profile and
  the fan meet as the higher of the two (the fan buries the wall's foot);
- gentle relief: long-wavelength noise (`landforms.long_wavelength_relief`, RMS
  `roughness_rms_m`, from a fixed seed, so no seed is needed), faded in over
  `seam_blend_m` outside the local map.

The seam. Inside the local map's footprint (the square of half-side
``site.region.half_width_m`` round the origin) the grid is lowered below anything the
local map can hold (its relief's 6 sigma plus its deepest fresh crater, plus a margin),
the full drop reached one cell in from the footprint's edge, so that a renderer taking the
nearer of the two surfaces sees the local map there and the far field beyond. On the
footprint's edge the far field is the local map's deterministic part (the floor and the
straight delta scarp), so the two meet without a step but for the local map's own
random terms (a few metres of relief, craters crossing the edge, and the scarp's lobate
wander where it crosses the edge: up to its height over a few hundred metres).
`FarField.generate(site, region)` removes those: fitted to the `LandingRegion` it is drawn
with, the far field takes the region's heights on the edge (their offset from the model
fading out over `seam_blend_m`) and is lowered only 5 m below the region's lowest ground
round each node (cheaper to render: rays that meet the local map stop soon in the pit).

What it leaves out: the crater's real outline and the rim's ups and downs along its
length (the rim is one height all round but for the inlet), the outlet breach in the
east, the northern inlet (Sava Vallis) and its fan, the fan's channels, lobes and buttes
(the fan's top is flat), rocks (zero in the far field), and the local map's random
terms at the seam when no region is given (above).

Example
-------
>>> from perseverance.terrain.site import load_site
>>> far = FarField.generate(load_site("jezero"))
>>> far.elevation_m.shape == (far.north_m.size, far.east_m.size)
True
"""

from __future__ import annotations

import functools
import math
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import ndimage

from perseverance.errors import ConfigError
from perseverance.mars.constants import DEG, R_MARS
from perseverance.mars.frames import LocalFrame, position_from_spherical
from perseverance.terrain.landforms import long_wavelength_relief, smoothstep
from perseverance.terrain.site import FarRegion, Site

if TYPE_CHECKING:
    from perseverance.terrain.landing_region import LandingRegion

__all__ = ["EJECTA_DECAY_EXPONENT", "FarField", "crater_centre_enu"]

Array = NDArray[np.float64]

#: Exponent of the outer flank's fall with distance, (R / r)^3: the thickness of an
#: ejecta blanket (McGetchin, Settle & Head 1973, EPSL 20:226; A).
EJECTA_DECAY_EXPONENT = 3.0
#: Seed of the far field's gentle relief: a fixed draw, so the far field needs no seed.
ROUGHNESS_SEED = 20_210_218
#: How many RMS of the local map's relief its lowest ground may lie below the floor.
_RELIEF_SIGMAS = 6.0
#: Margin [m] by which the lowered footprint stays below the local map's lowest ground.
_LOWER_MARGIN_M = 50.0
#: Margin [m] below a given local map's lowest ground round each node: above the
#: curvature's difference across a far cell (< 1 m at 11 km) and rounding.
_PIT_MARGIN_M = 5.0
#: Far fields fitted to generated regions, by (site, seed), newest last.
_FITTED: dict[tuple[Site, int], FarField] = {}
_FITTED_KEPT = 4


def crater_centre_enu(site: Site) -> tuple[float, float]:
    """East and north [m] of the crater's centre in the landing region's frame."""
    spec = _spec(site)
    landing = site.landing_site
    frame = LocalFrame(landing.latitude_deg * DEG, landing.longitude_deg * DEG)
    position = position_from_spherical(
        spec.crater_latitude_deg * DEG, spec.crater_longitude_deg * DEG, R_MARS
    )
    east, north = frame.east_north(*position)
    return float(east), float(north)


class FarField:
    """The crater round the local map: a coarse height grid (the `HeightGrid` of render).

    Attributes
    ----------
    site : Site
        The site it was made from.
    east_m, north_m : ndarray (n_east,), (n_north,)
        Ascending node coordinates [m] in the landing region's frame; every multiple of
        the cell size, so the local map's footprint edges fall on nodes.
    elevation_m : ndarray (n_north, n_east)
        Heights above the MOLA areoid [m], the local map's footprint lowered (see the
        module docstring): what a renderer draws.
    surface_m : ndarray (n_north, n_east)
        The same, not lowered: the far field's own picture of the ground everywhere.
    rock_height_m : ndarray (n_north, n_east)
        Zeros: the far field has no rocks.
    crater_centre_m, inlet_m : tuple of float
        East and north [m] of the crater's centre and of the inlet's breach in the rim.
    lowered_by_m : float
        How far the footprint is lowered [m].

    Arrays are read-only. Use `generate` (cached per site).
    """

    def __init__(self, site: Site, region: LandingRegion | None = None) -> None:
        spec = _spec(site)
        self.site = site
        self.crater_centre_m = crater_centre_enu(site)
        ce, cn = self.crater_centre_m
        radius = 0.5 * spec.crater_diameter_m
        b = spec.inlet_bearing_deg * DEG
        self.inlet_m = (ce + radius * math.sin(b), cn + radius * math.cos(b))
        reach = radius + spec.margin_m
        self.east_m = _frozen(_axis(ce - reach, ce + reach, spec.resolution_m))
        self.north_m = _frozen(_axis(cn - reach, cn + reach, spec.resolution_m))
        e = self.east_m[None, :]
        n = self.north_m[:, None]
        half = site.region.half_width_m
        floor = site.landing_site.floor_elevation_m
        surface = floor + self._relief(e, n)
        outside = _distance_outside(e, n, half)
        fade = smoothstep(outside / spec.seam_blend_m) if spec.seam_blend_m > 0 else 1.0
        if spec.roughness_rms_m > 0.0:
            rng = np.random.default_rng(ROUGHNESS_SEED)
            noise = long_wavelength_relief(
                self.north_m.size,
                self.east_m.size,
                spec.resolution_m,
                spec.roughness_rms_m,
                spec.roughness_wavelength_m,
                rng,
            )
            surface = surface + noise * fade
        inside = _distance_inside(e, n, half)
        if region is None:
            craters = site.craters
            self.lowered_by_m = (
                _RELIEF_SIGMAS * site.region.relief_rms_m
                + craters.depth_to_diameter_fresh * craters.max_diameter_m
                + _LOWER_MARGIN_M
            )
            drop = self.lowered_by_m * smoothstep(inside / spec.resolution_m)
            elevation = surface - drop
        else:
            surface, elevation = self._fit_to(region, surface, fade, inside)
            self.lowered_by_m = float(np.max(surface - elevation))
        self.surface_m = _frozen(np.ascontiguousarray(surface))
        self.elevation_m = _frozen(np.ascontiguousarray(elevation))
        self.rock_height_m = _frozen(np.zeros_like(surface))

    def _fit_to(
        self, region: LandingRegion, surface: Array, fade: Array | float, inside: Array
    ) -> tuple[Array, Array]:
        """The surface and the lowered elevation fitted to a given local map (see
        `generate`)."""
        half = self.site.region.half_width_m
        east, north = np.asarray(region.east_m), np.asarray(region.north_m)
        reach_e, reach_n = 0.5 * float(east[1] - east[0]), 0.5 * float(north[1] - north[0])
        if not (
            math.isclose(-float(east[0]), half, abs_tol=reach_e)
            and math.isclose(float(east[-1]), half, abs_tol=reach_e)
            and math.isclose(-float(north[0]), half, abs_tol=reach_n)
            and math.isclose(float(north[-1]), half, abs_tol=reach_n)
        ):
            raise ValueError(
                f"the region spans east {east[0]:g}..{east[-1]:g} m, north {north[0]:g}.."
                f"{north[-1]:g} m; the site's footprint is +-{half:g} m"
            )
        grid = np.asarray(region.elevation_m, dtype=float)
        e = np.broadcast_to(self.east_m[None, :], surface.shape)
        n = np.broadcast_to(self.north_m[:, None], surface.shape)
        # The seam: the region's own heights on the footprint's edge (and within it),
        # their offset from the model fading out over seam_blend_m beyond it.
        edge_e, edge_n = np.clip(e, -half, half), np.clip(n, -half, half)
        model_at_edge = self._model_at(edge_e, edge_n)
        offset = _nearest_sample(grid, east, north, edge_e, edge_n) - model_at_edge
        fitted = surface + offset * (1.0 - fade)
        # The pit: each inner node below the region's lowest ground over the far cells
        # round it, so that the bilinear far cell stays below the local map.
        step = self.resolution_m
        size = (
            2 * math.ceil(step / (2.0 * reach_n)) + 3,
            2 * math.ceil(step / (2.0 * reach_e)) + 3,
        )
        lowest = ndimage.minimum_filter(grid, size=size, mode="nearest")
        pit = _nearest_sample(lowest, east, north, e, n) - _PIT_MARGIN_M
        elevation = np.where(inside > 0.0, np.minimum(fitted, pit), fitted)
        return fitted, elevation

    def _model_at(self, e: Array, n: Array) -> Array:
        """The far field's deterministic ground (floor plus relief, no roughness) [m]."""
        model: Array = self.site.landing_site.floor_elevation_m + self._relief(e, n)
        return model

    @classmethod
    def generate(cls, site: Site, region: LandingRegion | None = None) -> FarField:
        """The far field of `site` (its ``[far_field]`` table), built once per site content.

        With ``region`` (the `LandingRegion` it will be drawn with) the far field is fitted
        to it: on and inside the footprint's edge it takes the region's own heights (their
        offset from the model fading out over ``seam_blend_m``), so the seam matches at
        every far node, and the footprint is lowered only just below the region's lowest
        ground round each node (`_PIT_MARGIN_M`), which keeps rays that meet the local map
        short in the far field. Cached per (site, region's seed) for generated regions.

        Raises `ConfigError` when the site has no ``[far_field]`` table, ValueError when
        the region's extent is not the site's footprint.
        """
        _spec(site)
        if region is None:
            return _generate(site)
        seed = region.seed
        if seed is None or region.site != site:
            return cls(site, region)
        key = (site, seed)
        if key not in _FITTED:
            _FITTED[key] = cls(site, region)
            while len(_FITTED) > _FITTED_KEPT:
                del _FITTED[next(iter(_FITTED))]
        far = _FITTED[key]
        return far

    # ---------------------------------------------------------------- descriptions

    @property
    def resolution_m(self) -> float:
        """Cell size [m]."""
        return float(self.east_m[1] - self.east_m[0])

    @property
    def floor_elevation_m(self) -> float:
        """Elevation of the crater floor [m above the areoid]: the local map's datum."""
        return self.site.landing_site.floor_elevation_m

    def __repr__(self) -> str:
        return (
            f"FarField({self.site.name!r}, {self.north_m.size}x{self.east_m.size} cells at "
            f"{self.resolution_m:g} m, crater centre {self.crater_centre_m[0]:,.0f} m E, "
            f"{self.crater_centre_m[1]:,.0f} m N)"
        )

    # ---------------------------------------------------------------- queries

    def elevation(self, east_m: ArrayLike, north_m: ArrayLike) -> Array:
        """`elevation_m` (the footprint lowered) at (east, north) [m], bilinear, clamped to
        the grid's edge; any array shape (a scalar gives a scalar)."""
        return self._bilinear(self.elevation_m, east_m, north_m)

    def surface(self, east_m: ArrayLike, north_m: ArrayLike) -> Array:
        """`surface_m` (the far field's own ground, not lowered) at (east, north) [m], as
        `elevation`."""
        return self._bilinear(self.surface_m, east_m, north_m)

    def _bilinear(self, grid: Array, east_m: ArrayLike, north_m: ArrayLike) -> Array:
        e, n = np.broadcast_arrays(np.asarray(east_m, float), np.asarray(north_m, float))
        step = self.resolution_m
        fc = np.clip((e - self.east_m[0]) / step, 0.0, self.east_m.size - 1.0)
        fr = np.clip((n - self.north_m[0]) / step, 0.0, self.north_m.size - 1.0)
        c0 = np.minimum(np.floor(fc), self.east_m.size - 2).astype(np.intp)
        r0 = np.minimum(np.floor(fr), self.north_m.size - 2).astype(np.intp)
        tc, tr = fc - c0, fr - r0
        top = grid[r0, c0] * (1.0 - tc) + grid[r0, c0 + 1] * tc
        bottom = grid[r0 + 1, c0] * (1.0 - tc) + grid[r0 + 1, c0 + 1] * tc
        result: Array = (top * (1.0 - tr) + bottom * tr)[()]
        return result

    # ---------------------------------------------------------------- the model

    def _relief(self, e: Array, n: Array) -> Array:
        """Height above the floor [m] of the crater, the inlet valley and the fan."""
        spec = _spec(self.site)
        delta = self.site.delta
        ce, cn = self.crater_centre_m
        radius = 0.5 * spec.crater_diameter_m
        rim = spec.rim_height_m
        r = np.hypot(e - ce, n - cn)
        wall = rim * smoothstep((r - radius + spec.wall_width_m) / spec.wall_width_m)
        flank = (
            spec.plains_height_m
            + (rim - spec.plains_height_m)
            * (radius / np.maximum(r, radius)) ** EJECTA_DECAY_EXPONENT
        )
        crater = np.where(r <= radius, wall, flank)

        # The inlet valley: a corridor along the inlet bearing, outward of the wall's foot.
        b = spec.inlet_bearing_deg * DEG
        along_inlet = (e - ce) * math.sin(b) + (n - cn) * math.cos(b)
        across_inlet = np.abs((e - ce) * math.cos(b) - (n - cn) * math.sin(b))
        half = 0.5 * spec.inlet_width_m
        in_valley = (1.0 - smoothstep((across_inlet - half) / spec.inlet_width_m)) * (
            along_inlet > 0.0
        )
        valley_floor = delta.height_m + (spec.plains_height_m - delta.height_m) * smoothstep(
            (r - radius) / spec.inlet_length_m
        )
        cut = np.minimum(crater, valley_floor)
        crater = crater + in_valley * (cut - crater)

        # The fan: the local map's delta scarp, within reach of the inlet.
        d = delta.bearing_deg * DEG
        along = e * math.sin(d) + n * math.cos(d)
        behind_scarp = smoothstep((along - delta.distance_m) / delta.width_m + 0.5)
        ie, inn = self.inlet_m
        from_inlet = np.hypot(e - ie, n - inn)
        within = 1.0 - smoothstep((from_inlet - spec.fan_radius_m) / spec.fan_edge_m + 0.5)
        fan = delta.height_m * behind_scarp * within
        relief: Array = np.maximum(crater, fan)
        return relief


@functools.lru_cache(maxsize=4)
def _generate(site: Site) -> FarField:
    """`FarField(site)`, cached: a `Site` is frozen and hashes by its content."""
    return FarField(site)


def _spec(site: Site) -> FarRegion:
    if site.far_field is None:
        raise ConfigError(
            f"site {site.name!r} has no [far_field] table: add one (see data/sites/"
            "jezero.toml) to draw the crater round the local map"
        )
    return site.far_field


def _axis(lo: float, hi: float, step: float) -> Array:
    """Multiples of ``step`` covering [lo, hi]."""
    first = math.floor(lo / step)
    last = math.ceil(hi / step)
    axis: Array = step * np.arange(first, last + 1, dtype=float)
    return axis


def _distance_outside(e: Array, n: Array, half_width_m: float) -> Array:
    """Distance [m] from each point to the square |e|, |n| <= half_width_m; 0 inside."""
    out_e = np.maximum(np.abs(e) - half_width_m, 0.0)
    out_n = np.maximum(np.abs(n) - half_width_m, 0.0)
    distance: Array = np.hypot(out_e, out_n)
    return distance


def _distance_inside(e: Array, n: Array, half_width_m: float) -> Array:
    """Distance [m] from each point inside the square to its edge; 0 outside."""
    inside: Array = np.maximum(np.minimum(half_width_m - np.abs(e), half_width_m - np.abs(n)), 0.0)
    return inside


def _nearest_sample(grid: Array, east: Array, north: Array, e: ArrayLike, n: ArrayLike) -> Array:
    """The grid's value at the node nearest each point (clamped to the grid)."""
    col = np.rint((np.asarray(e) - east[0]) / (east[1] - east[0]))
    row = np.rint((np.asarray(n) - north[0]) / (north[1] - north[0]))
    c = np.clip(col, 0, east.size - 1).astype(np.intp)
    r = np.clip(row, 0, north.size - 1).astype(np.intp)
    sample: Array = grid[r, c]
    return sample


def _frozen(array: Array) -> Array:
    array.setflags(write=False)
    return array
