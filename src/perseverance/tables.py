"""Fast lookups in 1-D tables resampled onto a uniform grid.

The EDL kernel looks up the atmosphere (vs height) and the aerodynamic
coefficients (vs Mach) millions of times; a uniform grid turns each lookup into
index arithmetic (no search), which is cheap in NumPy and identical on a GPU
array library.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class UniformTable:
    """Values of a piecewise-linear function sampled on a uniform grid.

    ``values`` has shape ``(n,)`` or ``(k, n)`` (k functions on the same grid).
    Queries outside ``[x0, x0 + (n-1) dx]`` clamp to the end values.
    """

    x0: float
    dx: float
    values: np.ndarray

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

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """Interpolate at ``x`` (any shape); returns shape ``x.shape`` or ``(k,) + x.shape``."""
        n = self.values.shape[-1]
        u = np.clip((np.asarray(x, dtype=float) - self.x0) / self.dx, 0.0, n - 1.000001)
        i = u.astype(np.intp)
        frac = u - i
        lo = self.values[..., i]
        hi = self.values[..., i + 1]
        return lo + (hi - lo) * frac
