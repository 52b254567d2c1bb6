"""A flat, hazard-free landing site: for vehicles flown without a terrain model."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray


class FlatTerrain:
    """Level ground at one elevation [m above the areoid]; every point is safe.

    A `perseverance.terrain.protocol.LandingTerrain`, like
    `perseverance.terrain.landing_region.LandingRegion`.
    """

    def __init__(self, elevation_m: float):
        self.floor_elevation_m = float(elevation_m)

    def elevation(self, east_m: ArrayLike, north_m: ArrayLike) -> NDArray[np.float64]:
        return np.zeros(np.broadcast(east_m, north_m).shape) + self.floor_elevation_m

    def slope(self, east_m: ArrayLike, north_m: ArrayLike) -> NDArray[np.float64]:
        return np.zeros(np.broadcast(east_m, north_m).shape)

    def rock_height(self, east_m: ArrayLike, north_m: ArrayLike) -> NDArray[np.float64]:
        return np.zeros(np.broadcast(east_m, north_m).shape)

    def is_hazard(self, east_m: ArrayLike, north_m: ArrayLike) -> NDArray[np.bool_]:
        return np.zeros(np.broadcast(east_m, north_m).shape, dtype=bool)

    def nearest_safe(
        self, east_m: ArrayLike, north_m: ArrayLike, clearance_m: float = 0.0
    ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
        east, north = np.broadcast_arrays(np.asarray(east_m, float), np.asarray(north_m, float))
        return east.copy(), north.copy(), np.zeros(east.shape)
