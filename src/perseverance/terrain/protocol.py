"""What a terrain offers its users: the `Terrain` protocol and the EDL's and rover's extras.

Every terrain (`LandingRegion`, `FlatTerrain`, `FineTerrain`, `MultiResolutionTerrain`)
is a `Terrain`: elevation, slope, rock height and a hazard test at east/north positions
[m] of any broadcastable shape, answered in that shape. The EDL flies over a
`LandingTerrain` (`LandingRegion`, `FlatTerrain`), which also knows its floor and picks
safe spots; the rover drives over a `RoverTerrain` (`MultiResolutionTerrain`), which
takes the caller's hazard limits and follows the rover with its fine layer.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["LandingTerrain", "RoverTerrain", "Terrain"]


@runtime_checkable
class Terrain(Protocol):
    """The ground at east/north positions [m] of the landing site's local frame."""

    def elevation(self, east_m: ArrayLike, north_m: ArrayLike) -> NDArray[np.float64]:
        """Elevation above the MOLA areoid [m]."""
        ...

    def slope(self, east_m: ArrayLike, north_m: ArrayLike) -> NDArray[np.float64]:
        """Terrain slope [rad]."""
        ...

    def rock_height(self, east_m: ArrayLike, north_m: ArrayLike) -> NDArray[np.float64]:
        """Height of the tallest rock [m] in the cell holding each point."""
        ...

    def is_hazard(self, east_m: ArrayLike, north_m: ArrayLike) -> NDArray[np.bool_]:
        """True where the ground is a hazard by the site's landing limits."""
        ...


@runtime_checkable
class LandingTerrain(Terrain, Protocol):
    """A terrain the EDL lands on: its floor and the nearest safe spots."""

    @property
    def floor_elevation_m(self) -> float:
        """Elevation of the site's floor [m above the areoid]: the far-field ground."""
        ...

    def nearest_safe(
        self, east_m: ArrayLike, north_m: ArrayLike, clearance_m: float = 0.0
    ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
        """(east_safe_m, north_safe_m, distance_m) of the nearest safe spot, at least
        ``clearance_m`` [m] from any hazard."""
        ...


@runtime_checkable
class RoverTerrain(Terrain, Protocol):
    """A terrain the rover drives on: hazards by given limits, detail around a focus."""

    def is_hazard(
        self,
        east_m: ArrayLike,
        north_m: ArrayLike,
        max_slope_rad: float | None = None,
        max_rock_m: float | None = None,
    ) -> NDArray[np.bool_]:
        """True where slope > `max_slope_rad` [rad] or rock height > `max_rock_m` [m]
        (None: the site's landing limits)."""
        ...

    def set_focus(self, east_m: float, north_m: float) -> None:
        """Answer in full detail around (east, north) [m], e.g. the rover."""
        ...
