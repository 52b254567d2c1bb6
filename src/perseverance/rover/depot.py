"""Depot geometry: where to drop tubes so that they lie apart, in a zigzag, off the paths.

The Three Forks depot (sols 653-690) holds 10 tubes dropped 5-15 m apart in a zigzag on
flat ground near the base of the delta, none in a wheel path (surface.md; PDS Analyst's
Notebook, PIA25682). Here the depot runs along a straight line from a start point at a
heading (azimuth, clockwise from north [rad]); drops sit alternately right and left of
the line, ``lateral_offset`` [m] off it, each ``spacing`` [m] (a uniform draw) from the
one before. Candidates that the caller's ``is_free(east_m, north_m)`` rejects (wheel
paths, hazards, slopes: the caller knows the terrain) or that come closer than
``spacing_min_m`` to any earlier drop are drawn again.

What this leaves out: the terrain itself (flatness is the caller's predicate), a tube
rolling or standing on end after the drop, and the rover's own path between drops.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from perseverance.errors import ScenarioError


class DepotLayoutError(ScenarioError):
    """No depot layout was found that meets the rules."""


def depot_layout(
    n: int,
    start_east_m: float,
    start_north_m: float,
    heading_rad: float,
    rng: np.random.Generator,
    is_free: Callable[[float, float], bool],
    *,
    spacing_min_m: float = 5.0,
    spacing_max_m: float = 15.0,
    lateral_offset_min_m: float = 1.0,
    lateral_offset_max_m: float = 2.0,
    tries: int = 200,
    restarts: int = 20,
) -> NDArray[np.float64]:
    """Drop sites for ``n`` tubes as an (n, 2) array of east, north [m].

    Drop ``i`` lies ``(-1)**i`` x a uniform lateral offset in [lateral_offset_min_m,
    lateral_offset_max_m] to the right of the depot line (right of the heading), and a
    uniform distance in [spacing_min_m, spacing_max_m] from drop ``i - 1``, further along
    the line. The first drop lies within ``spacing_min_m`` along the line from the
    start. Each drop gets ``tries`` candidates; a dead end starts the layout again, up to
    ``restarts`` times; then `DepotLayoutError`. Randomness comes only from ``rng``.

    >>> import numpy as np
    >>> sites = depot_layout(10, 0.0, 0.0, 0.0, np.random.default_rng(0), lambda e, n: True)
    >>> sites.shape
    (10, 2)
    """
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise DepotLayoutError(f"a depot needs a whole number of tubes >= 1, not {n!r}")
    if not 0 < lateral_offset_min_m <= lateral_offset_max_m:
        raise DepotLayoutError("need 0 < lateral_offset_min_m <= lateral_offset_max_m")
    if not 2 * lateral_offset_max_m < spacing_min_m <= spacing_max_m:
        raise DepotLayoutError("need 2 x lateral_offset_max_m < spacing_min_m <= spacing_max_m")
    along = np.array([math.sin(heading_rad), math.cos(heading_rad)])
    right = np.array([math.cos(heading_rad), -math.sin(heading_rad)])
    start = np.array([float(start_east_m), float(start_north_m)])
    for _ in range(restarts):
        sites = _attempt(
            int(n), start, along, right, rng, is_free, spacing_min_m, spacing_max_m,
            lateral_offset_min_m, lateral_offset_max_m, tries,
        )  # fmt: skip
        if sites is not None:
            return sites
    raise DepotLayoutError(
        f"no depot layout for {n} tubes from ({start_east_m:.1f}, {start_north_m:.1f}) m at "
        f"heading {math.degrees(heading_rad):.0f} deg: is_free rejected too many drop sites; "
        "choose a start or heading over flatter, clearer ground"
    )


def _attempt(n, start, along, right, rng, is_free, s_min, s_max, a_min, a_max, tries):
    """One greedy pass; the sites, or None at a dead end."""
    sites = np.empty((n, 2))
    s_prev = a_prev = 0.0
    for i in range(n):
        side = 1.0 if i % 2 == 0 else -1.0
        for _ in range(tries):
            a = side * rng.uniform(a_min, a_max)
            if i == 0:
                s = rng.uniform(0.0, s_min)
            else:
                d = rng.uniform(s_min, s_max)
                s = s_prev + math.sqrt(d * d - (a - a_prev) ** 2)
            p = start + s * along + a * right
            if i and np.min(np.hypot(*(sites[:i] - p).T)) < s_min:
                continue
            if is_free(float(p[0]), float(p[1])):
                break
        else:
            return None
        sites[i], s_prev, a_prev = p, s, a
    return sites
