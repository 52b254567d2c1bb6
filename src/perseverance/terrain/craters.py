"""Small bowl-shaped impact craters: drawing a population and stamping it on a grid.

Sizes follow a truncated power law in the cumulative number, N(>= D) proportional to
D**-b between ``min_diameter_m`` and ``max_diameter_m`` (the form of Hartmann 2005,
Icarus 174:294). Positions are uniform. Each crater is a paraboloid bowl of depth
d = (d/D) D, with d/D drawn uniformly between a degraded and a fresh value (fresh simple
craters: d/D about 0.2, Pike 1980), and a raised rim of height h = rim_to_depth * d
falling off as (r/R)**-3 outside, cut to zero at r = 2R:

    z(x) = -d + (d + h) x^2                      x = r/R <= 1
    z(x) = h (x**-3 - 1/8) / (1 - 1/8)           1 < x < 2
    z(x) = 0                                     x >= 2

What this leaves out: central peaks and flat floors of larger craters, ejecta blocks
(rocks are drawn separately, uniformly), secondary-crater clusters and rays, and any
infilling by sand beyond the shallower depth of degraded craters.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from perseverance.terrain.site import Craters

__all__ = ["CraterPopulation", "add_craters", "crater_profile", "sample_craters"]

#: Stencil half-widths [cells]: craters are stamped in groups of equal stencil size.
_STENCIL_HALF_WIDTHS = np.array([1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256])


@dataclass(frozen=True)
class CraterPopulation:
    """Craters as parallel arrays (one entry per crater), all in metres."""

    east_m: NDArray[np.float64]
    north_m: NDArray[np.float64]
    diameter_m: NDArray[np.float64]
    depth_m: NDArray[np.float64]
    rim_height_m: NDArray[np.float64]

    def __len__(self) -> int:
        return int(self.diameter_m.size)


def sample_craters(
    craters: Craters,
    east_range_m: tuple[float, float],
    north_range_m: tuple[float, float],
    rng: np.random.Generator,
) -> CraterPopulation:
    """Draw a crater population over a rectangle (centres uniform inside it).

    Parameters
    ----------
    craters
        The site's crater table (density per km^2 above the smallest diameter, slope,
        diameter range, depth/diameter range, rim/depth).
    east_range_m, north_range_m
        The rectangle [m]; pad it by the largest radius so edge craters are not missed.
    rng
        The generator every draw comes from.
    """
    (e0, e1), (n0, n1) = east_range_m, north_range_m
    area_km2 = (e1 - e0) * (n1 - n0) / 1e6
    count = rng.poisson(craters.density_per_km2 * area_km2)
    east = rng.uniform(e0, e1, count)
    north = rng.uniform(n0, n1, count)
    # Inverse CDF of the truncated power law: N(>= D) / N(>= Dmin) = (D / Dmin)**-b.
    b = craters.cumulative_slope
    d_lo, d_hi = craters.min_diameter_m, craters.max_diameter_m
    tail = (d_lo / d_hi) ** b
    u = rng.random(count)
    diameter = d_lo * (1.0 - u * (1.0 - tail)) ** (-1.0 / b)
    ratio = rng.uniform(craters.depth_to_diameter_degraded, craters.depth_to_diameter_fresh, count)
    depth = ratio * diameter
    return CraterPopulation(east, north, diameter, depth, craters.rim_to_depth * depth)


def crater_profile(
    x: NDArray[np.float64], depth_m: NDArray[np.float64], rim_height_m: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Height change [m] at normalised radius x = r / R (see the module notes)."""
    inside = -depth_m + (depth_m + rim_height_m) * x * x
    with np.errstate(divide="ignore"):
        outside = rim_height_m * (np.minimum(x, 2.0) ** -3 - 0.125) / 0.875
    return np.where(x <= 1.0, inside, outside)


def add_craters(
    elevation_m: NDArray[np.float64],
    east_m: NDArray[np.float64],
    north_m: NDArray[np.float64],
    population: CraterPopulation,
) -> None:
    """Add the craters to `elevation_m` [north, east] in place.

    `east_m` and `north_m` are the ascending, evenly spaced cell-centre axes [m]. Each
    crater is evaluated on a square stencil of half-width >= 2R around its centre cell;
    craters sharing a stencil size are done together and summed with one bincount, so the
    cost is about (number of craters) x (stencil area), with no Python loop per crater.
    """
    if len(population) == 0:
        return
    n_rows, n_cols = elevation_m.shape
    de = float(east_m[1] - east_m[0])
    dn = float(north_m[1] - north_m[0])
    col = np.rint((population.east_m - east_m[0]) / de).astype(np.intp)
    row = np.rint((population.north_m - north_m[0]) / dn).astype(np.intp)
    radius = 0.5 * population.diameter_m
    need = np.ceil(2.0 * radius / min(de, dn)).astype(np.intp)
    idx = np.minimum(np.searchsorted(_STENCIL_HALF_WIDTHS, need), _STENCIL_HALF_WIDTHS.size - 1)
    half_width = np.where(need <= _STENCIL_HALF_WIDTHS[-1], _STENCIL_HALF_WIDTHS[idx], need)
    flats: list[NDArray[np.intp]] = []
    heights: list[NDArray[np.float64]] = []
    for half in np.unique(half_width):
        sel = np.flatnonzero(half_width == half)
        offsets = np.arange(-half, half + 1)
        rows = row[sel, None, None] + offsets[None, :, None]
        cols = col[sel, None, None] + offsets[None, None, :]
        valid = (rows >= 0) & (rows < n_rows) & (cols >= 0) & (cols < n_cols)
        d_east = east_m[0] + cols * de - population.east_m[sel, None, None]
        d_north = north_m[0] + rows * dn - population.north_m[sel, None, None]
        x = np.hypot(d_east, d_north) / radius[sel, None, None]
        valid &= x < 2.0
        z = crater_profile(
            x,
            population.depth_m[sel, None, None],
            population.rim_height_m[sel, None, None],
        )
        flats.append((rows * n_cols + cols)[valid])
        heights.append(z[valid])
    total = np.bincount(np.concatenate(flats), np.concatenate(heights), n_rows * n_cols)
    elevation_m += total.reshape(n_rows, n_cols)
