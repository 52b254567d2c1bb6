"""Per-run inputs of a batch: entry states and the dispersed parameters.

Everything here has the batch (run) axis first. Run inputs are made either
undispersed (`RunInputs.nominal`) or drawn by `perseverance.edl.dispersions`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from perseverance.mars.atmosphere import AtmosphereDispersion


@dataclass
class RunInputs:
    """Inputs of N runs.

    ``entry_state`` is (N, 7): body-fixed position [m], planet-relative
    velocity [m/s] and mass [kg] at entry interface. Scales are dimensionless
    multipliers (1 = nominal); navigation and LVS errors are east/north offsets
    [m] of what the vehicle believes from the truth.
    """

    entry_state: NDArray[np.float64]
    atmosphere: AtmosphereDispersion
    drag_scale: NDArray[np.float64]
    lift_scale: NDArray[np.float64]
    chute_scale: NDArray[np.float64]
    mass_scale: NDArray[np.float64]
    thrust_scale: NDArray[np.float64]
    isp_scale: NDArray[np.float64]
    nav_east_m: NDArray[np.float64]
    nav_north_m: NDArray[np.float64]
    lvs_east_m: NDArray[np.float64]
    lvs_north_m: NDArray[np.float64]

    @property
    def size(self) -> int:
        return self.entry_state.shape[0]

    @classmethod
    def nominal(cls, entry_state: NDArray[np.float64], n: int = 1) -> RunInputs:
        """``n`` copies of one undispersed run starting from ``entry_state`` (7,)."""
        ones, zeros = np.ones(n), np.zeros(n)
        state = np.tile(np.asarray(entry_state, float), (n, 1))
        return cls(
            state,
            AtmosphereDispersion.nominal(n),
            ones,
            ones,
            ones,
            ones,
            ones,
            ones,
            zeros,
            zeros,
            zeros,
            zeros,
        )

    def take(self, index: NDArray[np.intp] | slice) -> RunInputs:
        """The inputs of a subset of runs (an index array or slice)."""
        return RunInputs(
            entry_state=self.entry_state[index],
            atmosphere=self.atmosphere.take(index),
            drag_scale=self.drag_scale[index],
            lift_scale=self.lift_scale[index],
            chute_scale=self.chute_scale[index],
            mass_scale=self.mass_scale[index],
            thrust_scale=self.thrust_scale[index],
            isp_scale=self.isp_scale[index],
            nav_east_m=self.nav_east_m[index],
            nav_north_m=self.nav_north_m[index],
            lvs_east_m=self.lvs_east_m[index],
            lvs_north_m=self.lvs_north_m[index],
        )
