"""Landforms of the local map: long-wavelength relief, the delta scarp, a rugged unit.

Each function returns (or adds) heights [m] on a grid given by ascending cell-centre
axes ``east_m`` and ``north_m`` (arrays index [north, east]). Bearings and strikes are
clockwise from north, so the unit vector of bearing b is (east, north) = (sin b, cos b).
All randomness comes from the `numpy.random.Generator` passed in.

What this leaves out: the delta's internal structure (channels, buttes such as Kodiak,
layering), the crater rim and wall (outside a 16 km map), aeolian features other than the
ripple field, and small-scale roughness below the cell size.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.fft
from numpy.typing import NDArray

from perseverance.terrain.site import Delta, RuggedUnit

__all__ = ["add_rugged_unit", "delta_heights", "long_wavelength_relief", "smoothstep"]

#: The relief spectrum is kept out to this many cut-off wavenumbers (exp(-4.5**2 / 2)
#: ~ 4e-5 of the peak amplitude beyond it).
_SPECTRUM_REACH = 4.5


def smoothstep(x: NDArray[np.float64]) -> NDArray[np.float64]:
    """0 below 0, 1 above 1, and 3x^2 - 2x^3 between: a C1 step."""
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


def long_wavelength_relief(
    n_north: int,
    n_east: int,
    resolution_m: float,
    rms_m: float,
    wavelength_m: float,
    rng: np.random.Generator,
) -> NDArray[np.float64]:
    """Gentle relief [m]: Gaussian noise low-pass filtered in the Fourier domain.

    The amplitude spectrum is exp(-(k * wavelength_m)^2 / 2), k in cycles per metre, with
    random complex Gaussian coefficients; only the modes where the filter is not
    negligible are drawn (a few dozen per axis), then one inverse real FFT makes the map.
    The result has zero mean and RMS `rms_m` (it is periodic over the map, harmless at
    these wavelengths).
    """
    if rms_m == 0.0:
        return np.zeros((n_north, n_east))
    k_north = scipy.fft.fftfreq(n_north, d=resolution_m)
    k_east = scipy.fft.rfftfreq(n_east, d=resolution_m)
    reach = _SPECTRUM_REACH / wavelength_m
    rows = np.flatnonzero(np.abs(k_north) <= reach)
    cols = np.flatnonzero(k_east <= reach)
    kk = np.hypot(k_north[rows, None], k_east[None, cols])
    amplitude = np.exp(-0.5 * (kk * wavelength_m) ** 2)
    shape = (rows.size, cols.size)
    coeff = amplitude * (rng.standard_normal(shape) + 1j * rng.standard_normal(shape))
    if rows[0] == 0 and cols[0] == 0:
        coeff[0, 0] = 0.0  # zero mean
    spectrum = np.zeros((n_north, k_east.size), dtype=complex)
    spectrum[np.ix_(rows, cols)] = coeff
    relief: NDArray[np.float64] = scipy.fft.irfft2(spectrum, s=(n_north, n_east), workers=-1)
    rms = float(np.sqrt(np.mean(relief * relief)))
    if rms > 0.0:
        relief *= rms_m / rms
    return relief


def delta_heights(
    delta: Delta,
    east_m: NDArray[np.float64],
    north_m: NDArray[np.float64],
    rng: np.random.Generator,
) -> NDArray[np.float64]:
    """Height of the delta deposit above the floor [m], on the [north, east] grid.

    The scarp runs perpendicular to the bearing, its mid-slope at `distance_m` along the
    bearing, shifted by a smooth random wander (RMS `front_wander_m`, correlation length
    about 1 km) along its length. The deposit rises by `height_m` across `width_m` with a
    C1 smoothstep, so the steepest slope is 1.5 height/width.
    """
    b = math.radians(delta.bearing_deg)
    sin_b, cos_b = math.sin(b), math.cos(b)
    along = east_m[None, :] * sin_b + north_m[:, None] * cos_b  # towards the delta [m]
    across = east_m[None, :] * cos_b - north_m[:, None] * sin_b  # along the front [m]
    front = delta.distance_m + _wander(across, delta.front_wander_m, 1000.0, rng)
    return delta.height_m * smoothstep((along - front) / delta.width_m + 0.5)


def _wander(
    s: NDArray[np.float64], rms_m: float, correlation_m: float, rng: np.random.Generator
) -> NDArray[np.float64] | float:
    """A smooth random function of one coordinate [m]: Gaussian-filtered 1-D noise."""
    if rms_m == 0.0:
        return 0.0
    lo, hi = float(np.min(s)), float(np.max(s))
    step = correlation_m / 8.0
    n = math.ceil((hi - lo) / step) + 1
    pad = 32
    noise = rng.standard_normal(n + 2 * pad)
    kernel_x = np.arange(-pad, pad + 1) * step
    kernel = np.exp(-0.5 * (kernel_x / (0.5 * correlation_m)) ** 2)
    smooth = np.convolve(noise, kernel, mode="valid")
    smooth *= rms_m / float(np.std(smooth))
    return np.interp(s, lo + step * np.arange(n), smooth)


def add_rugged_unit(
    elevation_m: NDArray[np.float64],
    unit: RuggedUnit,
    east_m: NDArray[np.float64],
    north_m: NDArray[np.float64],
    rng: np.random.Generator,
) -> NDArray[np.bool_]:
    """Add a Seitah-like ridged, rippled unit to `elevation_m` in place; return its mask.

    The unit is a disc of `radius_m` centred `distance_m` along `bearing_deg` from the
    site, with a soft edge 15% of the radius wide. Inside it:

    - bedrock ridges: height H (1 - |sin(pi u / S)|)^2, u the distance across the strike
      (with a random offset and a gentle wobble), S the spacing: sharp crests, broad
      troughs;
    - sand ripples in the troughs: (h/2) sin(2 pi w / L + phase), w the distance across
      the ripple crests, fading out towards the ridge crests.

    Returns the cells more than half inside the unit, for its own rock abundance.
    """
    b = math.radians(unit.bearing_deg)
    centre_e, centre_n = unit.distance_m * math.sin(b), unit.distance_m * math.cos(b)
    edge = 0.15 * unit.radius_m
    reach = unit.radius_m + edge
    cols = np.flatnonzero(np.abs(east_m - centre_e) <= reach)
    rows = np.flatnonzero(np.abs(north_m - centre_n) <= reach)
    mask = np.zeros(elevation_m.shape, dtype=bool)
    phases = rng.uniform(0.0, 2.0 * math.pi, 3)
    if cols.size == 0 or rows.size == 0:
        return mask
    win = np.s_[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    e = east_m[cols][None, :]
    n = north_m[rows][:, None]
    r = np.hypot(e - centre_e, n - centre_n)
    weight = 1.0 - smoothstep((r - unit.radius_m) / edge + 0.5)

    strike = math.radians(unit.ridge_strike_deg)
    along = e * math.sin(strike) + n * math.cos(strike)
    u = e * math.cos(strike) - n * math.sin(strike)
    spacing = unit.ridge_spacing_m
    u = u + 0.3 * spacing * np.sin(2.0 * math.pi * along / (5.0 * spacing) + phases[0])
    ridge = (1.0 - np.abs(np.sin(math.pi * u / spacing + phases[1]))) ** 2

    crest = math.radians(unit.ripple_crest_deg)
    w = e * math.cos(crest) - n * math.sin(crest)
    ripples = (
        0.5
        * unit.ripple_height_m
        * np.sin(2.0 * math.pi * w / unit.ripple_wavelength_m + phases[2])
    )
    elevation_m[win] += weight * (unit.ridge_height_m * ridge + (1.0 - ridge) * ripples)
    mask[win] = weight > 0.5
    return mask
