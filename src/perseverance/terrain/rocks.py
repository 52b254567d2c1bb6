"""Rock populations from the Golombek & Rapp (1997) model, and their sampling.

Golombek & Rapp (1997, JGR 102(E2):4117) fit the rocks seen at the Viking and Pathfinder
sites with a cumulative fractional area

    F(D) = k exp(-q(k) D),        q(k) = 1.79 + 0.152 / k        [D in m]

the fraction of the ground covered by rocks of diameter >= D; k is the total rock
abundance (F(0)). Rock height is about half the diameter.

From area to numbers (our derivation). Rocks with diameters in [D, D + dD] cover the
fraction -F'(D) dD = k q exp(-q D) dD of the ground; each covers pi D^2 / 4 (a disc of
diameter D), so their number per unit area is

    n(D) dD = 4 k q exp(-q D) / (pi D^2) dD,

and the cumulative number per unit area of rocks with diameter >= D is

    N(D) = int_D^inf n(x) dx = (4 k q / pi) [exp(-q D) / D - q E1(q D)],

integrating exp(-q x) / x^2 by parts (E1 is the exponential integral). N diverges as
D -> 0, so populations are drawn above a smallest diameter ``d_min_m``.

The tallest rock in a cell. With rocks placed independently (a Poisson process), the
number of rocks >= D in a cell of area A is Poisson with mean lambda(D) = A N(D), so the
largest diameter D_max in the cell has P(D_max < D) = exp(-lambda(D)). Drawing E from a
unit exponential and solving lambda(D_max) = E samples it exactly; when E > lambda(d_min)
the cell holds no rock >= d_min and we report 0.

What this leaves out: spatial clustering of rocks (ejecta blocks around fresh craters,
talus at scarps), rock shapes (height is taken as D/2 for every rock), and partially
buried rocks.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import exp1

__all__ = [
    "ROCK_HEIGHT_TO_DIAMETER",
    "cumulative_fractional_area",
    "cumulative_number_density",
    "q_of_k",
    "sample_rock_diameters",
    "sample_tallest_rock",
    "tallest_rock_diameter",
]

#: Rock height / diameter (Golombek & Rapp 1997: rocks are about half as tall as wide).
ROCK_HEIGHT_TO_DIAMETER = 0.5

#: Smallest rock diameter drawn by default [m]; far below any hazard threshold.
D_MIN_M = 0.1

#: Points of the inversion table; the relative error of the inverse is below 1e-4.
_TABLE_SIZE = 2048


def q_of_k(k: ArrayLike) -> NDArray[np.float64]:
    """Golombek & Rapp exponent q(k) = 1.79 + 0.152 / k [1/m]; k is the rock abundance."""
    return 1.79 + 0.152 / np.asarray(k, dtype=float)


def cumulative_fractional_area(diameter_m: ArrayLike, k: float) -> NDArray[np.float64]:
    """Fraction of the ground covered by rocks of diameter >= `diameter_m` [m].

    F(D) = k exp(-q(k) D) (Golombek & Rapp 1997, eq. 1 and their fit for q).
    """
    area: NDArray[np.float64] = k * np.exp(-q_of_k(k) * np.asarray(diameter_m, dtype=float))
    return area


def cumulative_number_density(diameter_m: ArrayLike, k: float) -> NDArray[np.float64]:
    """Number of rocks of diameter >= `diameter_m` per square metre [1/m^2].

    N(D) = (4 k q / pi) [exp(-q D) / D - q E1(q D)], for D > 0 (see the module notes).
    """
    d = np.asarray(diameter_m, dtype=float)
    q = float(q_of_k(k))
    e1: NDArray[np.float64] = exp1(q * d)  # SciPy's ufuncs are untyped
    density: NDArray[np.float64] = (4.0 * k * q / np.pi) * (np.exp(-q * d) / d - q * e1)
    return density


def _diameter_table(k: float, d_min_m: float) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(-log N(D), D) on a grid from d_min to where N is negligible, increasing in both."""
    q = float(q_of_k(k))
    d_max = max(60.0 / q, 2.0 * d_min_m)  # exp(-60): no rock this big in any map
    d = np.geomspace(d_min_m, d_max, _TABLE_SIZE)
    return -np.log(cumulative_number_density(d, k)), d


def _invert(k: float, number_per_m2: NDArray[np.float64], d_min_m: float) -> NDArray[np.float64]:
    """Diameter D with N(D) = number_per_m2; 0 where that exceeds N(d_min)."""
    neg_log_n, d = _diameter_table(k, d_min_m)
    with np.errstate(divide="ignore"):
        x = -np.log(number_per_m2)
    out = np.interp(x, neg_log_n, d)
    out[x < neg_log_n[0]] = 0.0
    return out


def tallest_rock_diameter(
    k: float, cell_area_m2: float, exponential: ArrayLike, *, d_min_m: float = D_MIN_M
) -> NDArray[np.float64]:
    """Diameter of the tallest rock in each cell, from unit-exponential variates [m].

    Parameters
    ----------
    k
        Golombek & Rapp rock abundance (fraction of area).
    cell_area_m2
        Area of one cell [m^2].
    exponential
        One draw of a unit exponential per cell (e.g. ``rng.standard_exponential``);
        passing the draws keeps this a pure function.
    d_min_m
        Smallest rock counted [m]; a cell with no rock this big gets 0.

    Returns
    -------
    Diameters [m], the shape of `exponential`: D solving A N(D) = E (module notes).
    """
    e = np.asarray(exponential, dtype=float)
    return _invert(k, e / cell_area_m2, d_min_m)


def sample_tallest_rock(
    k: float,
    cell_area_m2: float,
    shape: tuple[int, ...],
    rng: np.random.Generator,
    *,
    d_min_m: float = D_MIN_M,
) -> NDArray[np.float64]:
    """Draw the tallest-rock diameter [m] of each cell of a grid of `shape`."""
    return tallest_rock_diameter(k, cell_area_m2, rng.standard_exponential(shape), d_min_m=d_min_m)


def sample_rock_diameters(
    k: float, area_m2: float, rng: np.random.Generator, *, d_min_m: float = D_MIN_M
) -> NDArray[np.float64]:
    """Draw every rock of diameter >= `d_min_m` on `area_m2` of ground [m].

    The count is Poisson with mean A N(d_min); each diameter solves N(D) = u N(d_min)
    with u uniform on (0, 1]. Summing pi D^2 / 4 over the rocks >= D and dividing by the
    area recovers F(D) (the test suite checks this).
    """
    n_min = float(cumulative_number_density(d_min_m, k))
    count = rng.poisson(area_m2 * n_min)
    u = 1.0 - rng.random(count)  # (0, 1]
    return _invert(k, u * n_min, d_min_m)
