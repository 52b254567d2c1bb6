"""A planned route: the polyline the planner returns and a drive follows."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True, eq=False)
class Route:
    """A planned route: a polyline of vertices [m] east/north of the landing site.

    ``east_m``, ``north_m`` have one entry per vertex (start, cell centres, goal);
    ``slope_rad`` [rad] and ``sand`` (sandy share, 0..1) one per segment; ``cost`` is
    the planning cost (metres of expected odometry, times the sand factor on sand).
    """

    east_m: NDArray[np.float64]
    north_m: NDArray[np.float64]
    slope_rad: NDArray[np.float64]
    sand: NDArray[np.float64]
    cost: float

    @property
    def segment_length_m(self) -> NDArray[np.float64]:
        """Length of each segment [m]."""
        return np.hypot(np.diff(self.east_m), np.diff(self.north_m))

    @property
    def length_m(self) -> float:
        """Length of the polyline [m]."""
        return float(np.sum(self.segment_length_m))

    @property
    def start_en(self) -> tuple[float, float]:
        return float(self.east_m[0]), float(self.north_m[0])

    @property
    def goal_en(self) -> tuple[float, float]:
        return float(self.east_m[-1]), float(self.north_m[-1])

    def after(self, segment: int, fraction: float) -> Route:
        """The rest of the path from `fraction` of the way along segment `segment`."""
        e, n = self.east_m, self.north_m
        share = 1.0 - fraction
        cut_e = e[segment] + fraction * (e[segment + 1] - e[segment])
        cut_n = n[segment] + fraction * (n[segment + 1] - n[segment])
        total = self.length_m
        rest = float(np.sum(self.segment_length_m[segment + 1 :])) + share * float(
            self.segment_length_m[segment]
        )
        return Route(
            east_m=np.concatenate([[cut_e], e[segment + 1 :]]),
            north_m=np.concatenate([[cut_n], n[segment + 1 :]]),
            slope_rad=self.slope_rad[segment:].copy(),
            sand=self.sand[segment:].copy(),
            cost=self.cost * rest / total if total > 0 else 0.0,
        )

    def __len__(self) -> int:
        """Number of segments."""
        return int(self.slope_rad.size)

    def __repr__(self) -> str:
        (e0, n0), (e1, n1) = self.start_en, self.goal_en
        return (
            f"Route({self.length_m:.1f} m, {len(self)} segments, "
            f"({e0:.1f}, {n0:.1f}) -> ({e1:.1f}, {n1:.1f}) m E/N)"
        )
