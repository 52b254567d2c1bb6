"""Lattice ("value") noise of the fine terrain's small-scale roughness.

Four octaves of 16, 8, 4 and 2 m (`ROUGHNESS_OCTAVES`), Catmull-Rom interpolated; each
lattice value is hashed from (seed, octave, lattice index), so the noise is a pure
function of the global position: tiles made from it join with no seam, whichever is made
first. The amplitudes are estimates (E): about 6 cm RMS in all, a smooth plain at metre
scales (RMS slope about 1.5 deg over 2 m), rocks apart; HiRISE terrain models (1 m posts)
do not resolve this scale, so no published figure fixes it.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

__all__ = ["ROUGHNESS_OCTAVES", "octave_keys", "roughness_noise"]

#: Roughness noise octaves: (lattice spacing [m], RMS of the lattice values [m]).
#: Estimates (E), falling as about spacing^0.3: 6 cm RMS in all, RMS slope about
#: 1.5 deg over a 2 m baseline from the noise alone (rocks add their own).
ROUGHNESS_OCTAVES: tuple[tuple[float, float], ...] = (
    (16.0, 0.050),
    (8.0, 0.040),
    (4.0, 0.032),
    (2.0, 0.025),
)

#: Salt separating the noise's random stream from the rocks'.
_SALT_NOISE = 0x4E4F4953  # "NOIS"
#: Sqrt(3): scales a uniform variate on [-1, 1) to unit variance.
_UNIT_UNIFORM = math.sqrt(3.0)

_Array = NDArray[np.float64]


def octave_keys(seed: int) -> NDArray[np.uint64]:
    """The hash key of each octave of `ROUGHNESS_OCTAVES` for the fine-detail `seed`."""
    state = np.random.SeedSequence([seed, _SALT_NOISE]).generate_state(
        len(ROUGHNESS_OCTAVES), dtype=np.uint64
    )
    return state.astype(np.uint64, copy=False)


def roughness_noise(keys: NDArray[np.uint64], east: _Array, north: _Array) -> _Array:
    """Sum of the noise octaves [m] on the [north, east] grid of the given axes [m]."""
    total = np.zeros((north.size, east.size))
    for (spacing, rms), key in zip(ROUGHNESS_OCTAVES, keys, strict=True):
        w_e, lo_e, n_e = _catmull_rom_matrix(east / spacing)
        w_n, lo_n, n_n = _catmull_rom_matrix(north / spacing)
        ix = np.arange(lo_e, lo_e + n_e, dtype=np.int64)
        iy = np.arange(lo_n, lo_n + n_n, dtype=np.int64)
        values = _lattice_uniform(key, ix[None, :], iy[:, None]) * (rms * _UNIT_UNIFORM)
        total += w_n @ values @ w_e.T
    return total


def _catmull_rom_matrix(x: _Array) -> tuple[_Array, int, int]:
    """Catmull-Rom weights of the lattice nodes for positions `x` [lattice units].

    Returns (W, first node, node count): the interpolant at x_i is sum_j W[i, j] v_j over
    nodes first .. first + count - 1. C1, exact at the nodes.
    """
    base = np.floor(x).astype(np.int64)
    t = x - base
    t2, t3 = t * t, t * t * t
    weights = 0.5 * np.stack(
        [
            -t3 + 2.0 * t2 - t,
            3.0 * t3 - 5.0 * t2 + 2.0,
            -3.0 * t3 + 4.0 * t2 + t,
            t3 - t2,
        ],
        axis=-1,
    )
    first = int(base.min()) - 1
    count = int(base.max()) + 3 - first
    matrix = np.zeros((x.size, count))
    rows = np.arange(x.size)[:, None]
    matrix[rows, (base - 1 - first)[:, None] + np.arange(4)] = weights
    return matrix, first, count


def _mix64(z: NDArray[np.uint64]) -> NDArray[np.uint64]:
    """The SplitMix64 finaliser: a bijective avalanche of 64-bit integers."""
    z = z + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def _lattice_uniform(key: np.uint64, ix: NDArray[np.int64], iy: NDArray[np.int64]) -> _Array:
    """Uniform values on [-1, 1) hashed from (key, ix, iy): the same wherever asked."""
    ux = np.asarray(ix, dtype=np.int64).view(np.uint64)
    uy = np.asarray(iy, dtype=np.int64).view(np.uint64)
    h = _mix64(_mix64(np.uint64(key) ^ ux) ^ uy)
    return (h >> np.uint64(11)).astype(np.float64) * (2.0 / 2.0**53) - 1.0
