"""Fast lookups in 1-D tables resampled onto a uniform grid.

The EDL kernel looks up the atmosphere (vs height) and the aerodynamic
coefficients (vs Mach) millions of times; a uniform grid turns each lookup into
index arithmetic (no search), which is cheap in NumPy and identical on a GPU
array library.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class UniformTable:
    """Values of a piecewise-linear function sampled on a uniform grid.

    ``values`` has shape ``(n,)`` or ``(k, n)`` (k functions on the same grid).
    Queries outside ``[x0, x0 + (n-1) dx]`` clamp to the end values. A lookup is
    one index computation and, per row, two gathers (value and slope).
    """

    x0: float
    dx: float
    values: np.ndarray
    slopes: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        values = np.atleast_2d(np.asarray(self.values, dtype=float))
        step = np.diff(values, axis=1)
        object.__setattr__(
            self, "slopes", np.concatenate([step, np.zeros((values.shape[0], 1))], axis=1)
        )

    @classmethod
    def resample(cls, x: np.ndarray, y: np.ndarray, dx: float) -> UniformTable:
        """Resample the piecewise-linear table ``(x, y)`` onto a grid of step ``dx``."""
        x = np.asarray(x, dtype=float)
        y = np.asarray(y, dtype=float)
        if x.ndim != 1 or x.size < 2 or np.any(np.diff(x) <= 0):
            raise ValueError("table abscissae must be strictly increasing, at least 2")
        n = int(np.ceil((x[-1] - x[0]) / dx)) + 1
        grid = x[0] + dx * np.arange(n)
        if y.ndim == 1:
            values = np.interp(grid, x, y)
        else:
            values = np.stack([np.interp(grid, x, row) for row in y])
        return cls(float(x[0]), float(dx), values)

    def __call__(self, x):
        """Interpolate at ``x`` (any shape): one array for a 1-row table, else a tuple of k."""
        n = self.values.shape[-1]
        u = np.clip((np.asarray(x, dtype=float) - self.x0) / self.dx, 0.0, n - 1.0)
        # A NaN query (a run gone non-finite) casts to an arbitrary index, clipped below, and
        # keeps a NaN fraction: its value is NaN and the step's finiteness check ends the run.
        # errstate silences the cast's warning without a pass over the array (a hot path).
        with np.errstate(invalid="ignore"):
            i = u.astype(np.intp)
        frac = u - i
        rows = np.atleast_2d(self.values)
        out = tuple(
            np.take(v, i, mode="clip") + np.take(s, i, mode="clip") * frac
            for v, s in zip(rows, self.slopes, strict=True)
        )
        return out[0] if self.values.ndim == 1 else out
