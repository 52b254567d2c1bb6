"""The sol grid the weather is built on: sols, nodes, seeds and smooth noise.

Time
----
A sample's sol is the site's local sol number ``floor(MSD + longitude/360)`` (Mars24
C-2, C-3): it changes at LMST midnight. Within its sol a sample sits at ``phase`` in
[0, 1) (LMST / 24 h). Everything slow (the Sun, Ls, the tide, the lags of temperature)
is evaluated on `NODES_PER_SOL` + 1 nodes per sol, evenly spaced in LMST (every 15 LMST
minutes), and interpolated linearly to the samples: the Sun moves ~3.7 deg between
nodes, well inside a linear fit; the sixth tidal harmonic has 16 nodes a period.

Randomness
----------
Every random draw of a sol comes from ``numpy.random.default_rng(SeedSequence(seed,
spawn_key=(sol, stream)))``: the weather of a sol depends on the seed, the sol number and
nothing else, so a sol computed alone equals that sol computed in a batch. Fast noise
(turbulence, gusts) is a lattice of standard normals per sol, one every ``step_s``,
interpolated linearly and rescaled to unit variance between lattice points: a pure
function of time.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Any

import numpy as np
from numpy.typing import NDArray

from perseverance.mars.constants import SOL_S
from perseverance.mars.sun import sun_position
from perseverance.mars.time import (
    areocentric_solar_longitude_deg,
    equation_of_time_deg,
    mars_solar_date,
)

__all__ = [
    "NODES_PER_SOL",
    "Locator",
    "SolGrid",
    "Stream",
    "lattice_noise",
    "local_sol",
    "sol_rng",
    "utc_from_msd",
]

#: Nodes per sol at which the slow quantities are evaluated (every 15 LMST minutes).
NODES_PER_SOL = 96

_US = np.timedelta64(1, "us")
_J2000 = np.datetime64("2000-01-01T12:00:00", "us")
_MSD_J2000 = float(mars_solar_date(_J2000))

FloatArray = NDArray[np.float64]


class Stream(IntEnum):
    """The independent random streams of a sol (the second spawn key)."""

    DAILY = 0  # slow per-sol offsets (temperature, wind, dust)
    TEMPERATURE = 1
    WIND_SPEED = 2
    WIND_DIRECTION = 3
    VORTICES = 4
    WAVES = 5  # not per sol: the baroclinic modes of a whole run


def sol_rng(seed: int, sol: int, stream: Stream) -> np.random.Generator:
    """The generator of one stream of one sol (``sol`` a non-negative local sol number)."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(int(sol), int(stream))))


def utc_from_msd(msd: Any) -> NDArray[np.datetime64]:
    """UTC (``datetime64[us]``) of Mars Solar Dates: Mars24 C-2 inverted by two Newton steps."""
    msd = np.asarray(msd, dtype=float)
    utc = _J2000 + ((msd - _MSD_J2000) * SOL_S * 1e6).astype(np.int64) * _US
    for _ in range(2):
        error_s = (msd - np.asarray(mars_solar_date(utc))) * SOL_S
        utc = utc + np.round(error_s * 1e6).astype(np.int64) * _US
    return np.asarray(utc, dtype="datetime64[us]")


def local_sol(
    utc: Any, longitude_east_deg: float
) -> tuple[NDArray[np.int64], FloatArray, FloatArray]:
    """The local sol number, the phase in it [0, 1) and the MSD of each instant."""
    msd = np.atleast_1d(np.asarray(mars_solar_date(utc), dtype=float))
    local = msd + longitude_east_deg / 360.0
    sol = np.floor(local).astype(np.int64)
    return sol, np.clip(local - sol, 0.0, np.nextafter(1.0, 0.0)), msd


@dataclass(frozen=True)
class SolGrid:
    """Astronomy on the nodes of a run of sols: arrays of shape (n_sols, NODES_PER_SOL + 1).

    Node ``k`` of row ``i`` is at LMST ``24 k / NODES_PER_SOL`` h of local sol ``sols[i]``;
    node ``NODES_PER_SOL`` is the next sol's midnight.
    """

    sols: NDArray[np.int64]
    msd: FloatArray
    sin_elevation: FloatArray
    ls_deg: FloatArray  # unwrapped along each row (may exceed 360 near the new year)
    ltst_h: FloatArray  # local true solar time at the node, in [0, 24)

    @classmethod
    def build(cls, sols: NDArray[np.int64], latitude_deg: float, longitude_deg: float) -> SolGrid:
        """Evaluate the Sun (`mars.sun.sun_position`), Ls and the EOT on the nodes."""
        frac = np.arange(NODES_PER_SOL + 1) / NODES_PER_SOL
        msd = sols[:, None] + frac[None, :] - longitude_deg / 360.0
        utc = utc_from_msd(msd)
        sun = sun_position(utc, latitude_deg, longitude_deg)
        ls = np.radians(np.asarray(areocentric_solar_longitude_deg(utc), dtype=float))
        ls_deg = np.degrees(np.unwrap(ls, axis=1))
        eot_h = np.asarray(equation_of_time_deg(utc), dtype=float) / 15.0
        ltst = np.mod(24.0 * frac[None, :] + eot_h, 24.0)
        return cls(
            sols=sols,
            msd=msd,
            sin_elevation=np.sin(np.radians(np.asarray(sun.elevation_deg, dtype=float))),
            ls_deg=ls_deg,
            ltst_h=ltst,
        )

    @property
    def daily(self) -> FloatArray:
        """The nodes of a sol without its closing node: shape (n_sols, NODES_PER_SOL)."""
        return self.sin_elevation[:, :NODES_PER_SOL]


@dataclass(frozen=True)
class Locator:
    """Where each sample falls on the grid: its row, node and weight to the next node."""

    row: NDArray[np.intp]
    node: NDArray[np.intp]
    weight: FloatArray

    @classmethod
    def of(cls, row: NDArray[np.intp], phase: FloatArray) -> Locator:
        position = phase * NODES_PER_SOL
        node = np.minimum(np.floor(position).astype(np.intp), NODES_PER_SOL - 1)
        return cls(row, node, position - node)

    def __call__(self, nodes: FloatArray) -> FloatArray:
        """Interpolate an (n_sols, NODES_PER_SOL + 1) field to the samples."""
        left = nodes[self.row, self.node]
        right = nodes[self.row, self.node + 1]
        return left + (right - left) * self.weight


def lattice_noise(
    seed: int,
    sols: NDArray[np.int64],
    stream: Stream,
    step_s: float,
    row: NDArray[np.intp],
    phase: FloatArray,
) -> FloatArray:
    """Unit-variance Gaussian noise at the samples, correlated over ``step_s``.

    Each sol has its own lattice of normals (from `sol_rng`), one every ``step_s`` from
    its LMST midnight; between lattice points the noise is interpolated linearly and
    divided by sqrt((1-w)^2 + w^2) so that its variance stays one.
    """
    count = int(np.ceil(SOL_S / step_s)) + 1
    lattice = np.stack([sol_rng(seed, int(s), stream).standard_normal(count) for s in sols])
    position = phase * (SOL_S / step_s)
    index = np.minimum(np.floor(position).astype(np.intp), count - 2)
    w = position - index
    flat = lattice.ravel()
    base = row * count + index
    return (flat[base] * (1.0 - w) + flat[base + 1] * w) / np.sqrt((1.0 - w) ** 2 + w**2)
