"""Depot geometry: where to drop tubes so that they lie apart, in a zigzag, off the paths.

The Three Forks depot (sols 653-690) holds 10 tubes dropped 5-15 m apart in a zigzag on
flat ground near the base of the delta, none in a wheel path (docs/reference/surface.md;
PDS Analyst's Notebook, PIA25682). Here the depot runs along a straight line from a start point at a
heading (azimuth, clockwise from north [rad]); drops sit alternately right and left of
the line, ``lateral_offset`` [m] off it, each ``spacing`` [m] (a uniform draw) from the
one before. Candidates that the caller's ``is_free(east_m, north_m)`` rejects (old
tracks, hazards, slopes: the caller knows the terrain) or that come closer than
``spacing_min_m`` to any earlier drop are drawn again.

The rover drives along the depot line and stops abreast of each drop spot; the tube is
released from 0.89 m above the ground beside it. The lateral offsets in
``caching.toml`` (2.0-2.4 m) keep every drop outside the rover's own wheel band (wheel
centres about 1.1 m either side of the line, wheels about 0.4 m wide, both estimates),
so the rover never runs over a tube while laying the depot. `wheel_path_clearance_m`
measures how far drops lie from any path (a polyline), for callers and tests.

What this leaves out: the terrain itself (flatness is the caller's predicate), a tube
rolling or standing on end after the drop, and the rover's turns between drops.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike, NDArray

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
    lateral_offset_min_m: float = 2.0,
    lateral_offset_max_m: float = 2.4,
    tries: int = 200,
    restarts: int = 20,
) -> NDArray[np.float64]:
    """Drop sites for ``n`` tubes as an (n, 2) array of east, north [m].

    Drop ``i`` lies ``(-1)**i`` x a uniform lateral offset in [lateral_offset_min_m,
    lateral_offset_max_m] to the right of the depot line (right of the heading), and a
    uniform distance in [spacing_min_m, spacing_max_m] from drop ``i - 1``, further along
    the line. The first drop lies within ``spacing_min_m`` along the line from the
    start. The default offsets are those of ``caching.toml``: clear of the wheel band
    of a rover driving along the line. Each drop gets ``tries`` candidates; a dead end
    starts the layout again, up to ``restarts`` times; then `DepotLayoutError`.
    Randomness comes only from ``rng``.

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


def wheel_path_clearance_m(
    drops: ArrayLike,
    path_east: ArrayLike,
    path_north: ArrayLike,
    *,
    half_width_m: float = 0.0,
) -> NDArray[np.float64]:
    """Distance [m] from each drop to a path, less ``half_width_m``: shape (n,).

    ``drops`` is (n, 2) east, north [m]; the path is the polyline through
    (``path_east[k]``, ``path_north[k]``) [m], one point or more (with one point, the
    distance is to that point). With ``half_width_m`` [m] the path is a band that wide
    either side of the line (say a wheel track's centreline and half a wheel's width, or
    the rover's centreline and ``track_half_width_m + wheel_half_width_m``), and a
    negative clearance means the drop lies inside it. Vectorised over drops and segments;
    `ScenarioError` (one line) on bad shapes or non-finite numbers.

    >>> import numpy as np
    >>> wheel_path_clearance_m([[0.0, 2.0], [5.0, -1.0]], [0.0, 10.0], [0.0, 0.0])
    array([2., 1.])
    """
    p = np.asarray(drops, dtype=float)
    e, n = np.asarray(path_east, dtype=float), np.asarray(path_north, dtype=float)
    if p.ndim != 2 or p.shape[1] != 2:
        raise ScenarioError(f"drops must have shape (n, 2) east, north [m], not {p.shape}")
    if e.ndim != 1 or e.shape != n.shape or e.size < 1:
        raise ScenarioError(
            f"path_east and path_north must be 1-D, of one length >= 1, not {e.shape} and {n.shape}"
        )
    if not (np.all(np.isfinite(p)) and np.all(np.isfinite(e)) and np.all(np.isfinite(n))):
        raise ScenarioError("drops and path must be finite numbers [m]")
    if not math.isfinite(half_width_m) or half_width_m < 0:
        raise ScenarioError(f"half_width_m must be a finite number >= 0, not {half_width_m!r}")
    path = np.column_stack([e, n])
    if len(path) == 1:
        path = np.vstack([path, path])
    a, ab = path[:-1], np.diff(path, axis=0)  # (m, 2) segment starts and vectors
    length2 = np.einsum("ij,ij->i", ab, ab)
    ap = p[:, None, :] - a[None, :, :]  # (n, m, 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.einsum("nmk,mk->nm", ap, ab) / length2
    t = np.clip(np.where(length2 > 0, t, 0.0), 0.0, 1.0)
    gap = ap - t[..., None] * ab[None, :, :]
    return np.min(np.hypot(gap[..., 0], gap[..., 1]), axis=1) - half_width_m
