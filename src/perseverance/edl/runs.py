"""Per-run inputs of a batch: entry states and the dispersed parameters.

Everything here has the batch (run) axis first. Run inputs are made either
undispersed (`RunInputs.nominal`) or drawn by `perseverance.edl.dispersions`.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from perseverance.mars.atmosphere import AtmosphereDispersion


@dataclass
class RunInputs:
    """Inputs of N runs.

    ``entry_state`` is (N, 7): body-fixed position [m], planet-relative
    velocity [m/s] and mass [kg] at entry interface. Scales are dimensionless
    multipliers (1 = nominal); navigation and LVS errors are east/north offsets
    [m] of what the vehicle believes from the truth.
    """

    entry_state: np.ndarray
    atmosphere: AtmosphereDispersion
    drag_scale: np.ndarray
    lift_scale: np.ndarray
    chute_scale: np.ndarray
    mass_scale: np.ndarray
    thrust_scale: np.ndarray
    isp_scale: np.ndarray
    nav_east_m: np.ndarray
    nav_north_m: np.ndarray
    lvs_east_m: np.ndarray
    lvs_north_m: np.ndarray

    @property
    def size(self) -> int:
        return self.entry_state.shape[0]

    @classmethod
    def nominal(cls, entry_state: np.ndarray, n: int = 1) -> RunInputs:
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

    def take(self, index) -> RunInputs:
        """The inputs of a subset of runs (an index array or slice)."""
        values = {}
        for f in fields(self):
            v = getattr(self, f.name)
            values[f.name] = v.take(index) if isinstance(v, AtmosphereDispersion) else v[index]
        return RunInputs(**values)
