"""The atmosphere of Mars for entry: a hydrostatic profile and its dispersions.

The nominal profile integrates hydrostatic balance, dp/dh = -p g(h) / (R T(h)),
up and down from a measured surface pressure, for a piecewise-linear
temperature profile (the NASA Glenn educational model's two lapse rates,
floored at a mesospheric temperature). Gravity falls off as 1/r^2.

Dispersions multiply the density by exp(delta(h)), with delta blending a
lower-atmosphere offset (the flight reconstruction found the pre-flight
density within 12% below 40 km) into an upper-atmosphere offset (up to +150%
high up) with a gravity-wave term on top; winds are a horizontal profile that
blends a near-surface wind into a wind aloft.

Leaves out: diurnal and seasonal structure beyond the surface anchor, the
thermosphere's warming above ~110 km, latitude dependence, vertical winds.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from perseverance.mars.constants import GAMMA_MARS, GM_MARS, R_GAS_MARS, R_MARS
from perseverance.tables import UniformTable

#: Heights (above the areoid) covered by the tables [m]; entry interface is 125 km.
TABLE_BOTTOM_M = -10_000.0
TABLE_TOP_M = 160_000.0
TABLE_STEP_M = 100.0

#: Height band [m above the surface] over which density dispersions blend from
#: their lower-atmosphere to their upper-atmosphere value (Karlgaard et al. 2022
#: found the two regimes either side of ~40 km).
BLEND_BOTTOM_M = 40_000.0
BLEND_TOP_M = 70_000.0
#: Vertical wavelength of the gravity-wave density term [m] (estimate).
WAVE_LENGTH_M = 12_000.0
#: Height above the surface [m] at which the wind reaches its value aloft (estimate).
WIND_BLEND_TOP_M = 30_000.0


@dataclass(frozen=True)
class TemperatureProfile:
    """Piecewise-linear temperature [K] against height above the surface [m]."""

    surface_k: float
    lower_lapse_k_per_m: float
    break_height_m: float
    upper_lapse_k_per_m: float
    floor_k: float

    def __call__(self, height_above_surface_m: np.ndarray) -> np.ndarray:
        h = np.asarray(height_above_surface_m, dtype=float)
        lower = self.surface_k - self.lower_lapse_k_per_m * h
        at_break = self.surface_k - self.lower_lapse_k_per_m * self.break_height_m
        upper = at_break - self.upper_lapse_k_per_m * (h - self.break_height_m)
        return np.maximum(np.where(h < self.break_height_m, lower, upper), self.floor_k)


@dataclass(frozen=True)
class Atmosphere:
    """Nominal profile, tabulated against height above the areoid [m].

    ``table`` rows: ln(density [kg/m^3]), speed of sound [m/s], pressure [Pa],
    temperature [K].
    """

    table: UniformTable
    surface_height_m: float
    hot: UniformTable  # rows ln(density), speed of sound only: the kernel's lookup

    @classmethod
    def hydrostatic(
        cls,
        *,
        surface_pressure_pa: float,
        surface_height_above_areoid_m: float,
        temperature: TemperatureProfile,
    ) -> Atmosphere:
        """Integrate hydrostatic balance from the surface anchor (trapezoidal in ln p)."""
        h = np.arange(TABLE_BOTTOM_M, TABLE_TOP_M + TABLE_STEP_M / 2, TABLE_STEP_M)
        t = temperature(h - surface_height_above_areoid_m)
        g = GM_MARS / (R_MARS + h) ** 2
        dlnp = -g / (R_GAS_MARS * t)
        ln_p = np.concatenate([[0.0], np.cumsum(0.5 * (dlnp[1:] + dlnp[:-1]) * TABLE_STEP_M)])
        ln_p_surface = np.interp(surface_height_above_areoid_m, h, ln_p)
        ln_p += np.log(surface_pressure_pa) - ln_p_surface
        p = np.exp(ln_p)
        ln_rho = ln_p - np.log(R_GAS_MARS * t)
        sound = np.sqrt(GAMMA_MARS * R_GAS_MARS * t)
        table = UniformTable(float(h[0]), TABLE_STEP_M, np.stack([ln_rho, sound, p, t]))
        hot = UniformTable(float(h[0]), TABLE_STEP_M, np.stack([ln_rho, sound]))
        return cls(table, float(surface_height_above_areoid_m), hot)

    def density_sound(self, height_above_areoid_m):
        """Nominal density [kg/m^3] and speed of sound [m/s] at the given heights."""
        ln_rho, sound = self.hot(height_above_areoid_m)
        return np.exp(ln_rho), sound

    def pressure_temperature(self, height_above_areoid_m):
        """Nominal pressure [Pa] and temperature [K] at the given heights."""
        _, _, p, t = self.table(height_above_areoid_m)
        return p, t


@dataclass(frozen=True)
class AtmosphereDispersion:
    """Per-run dispersion parameters, each an array of shape (N,).

    ln-density offsets are dimensionless; winds are in m/s (east, north).
    """

    ln_density_low: np.ndarray
    ln_density_high: np.ndarray
    wave_amplitude: np.ndarray
    wave_phase_rad: np.ndarray
    wind_low_east_mps: np.ndarray
    wind_low_north_mps: np.ndarray
    wind_high_east_mps: np.ndarray
    wind_high_north_mps: np.ndarray

    @classmethod
    def nominal(cls, n: int) -> AtmosphereDispersion:
        """No dispersion for ``n`` runs."""
        z = np.zeros(n)
        return cls(z, z, z, z, z, z, z, z)

    def __post_init__(self):
        object.__setattr__(self, "_low_factor", np.exp(self.ln_density_low))

    def density_factor(self, height_above_surface_m):
        """Multiplier on the nominal density at each run's height."""
        high = height_above_surface_m > BLEND_BOTTOM_M
        if not high.any():  # the whole batch is below the blend: the lower offset alone
            return self._low_factor
        s = np.clip(
            (height_above_surface_m - BLEND_BOTTOM_M) / (BLEND_TOP_M - BLEND_BOTTOM_M), 0, 1
        )
        wave = np.sin(height_above_surface_m * (2 * np.pi / WAVE_LENGTH_M) + self.wave_phase_rad)
        delta = self.ln_density_low + s * (
            self.ln_density_high - self.ln_density_low + self.wave_amplitude * wave
        )
        return np.exp(delta)

    def wind(self, height_above_surface_m):
        """East and north wind [m/s] at each run's height."""
        s = np.clip(height_above_surface_m / WIND_BLEND_TOP_M, 0.0, 1.0)
        east = self.wind_low_east_mps + s * (self.wind_high_east_mps - self.wind_low_east_mps)
        north = self.wind_low_north_mps + s * (self.wind_high_north_mps - self.wind_low_north_mps)
        return east, north

    def take(self, index) -> AtmosphereDispersion:
        """The dispersions of a subset of runs."""
        return AtmosphereDispersion(
            *(np.asarray(getattr(self, f.name))[index] for f in fields(self))
        )
