"""RIMFAX: a gated FMCW ground-penetrating radar sounding a layered subsurface.

**The ground.** A `Subsurface` is a stack of planar interfaces under the traverse, each
with its depth at the traverse's middle and its dip along the track (positive: deeper
ahead); where interfaces would cross, the lower one pinches out against the upper
(onlap), and one that reaches the surface is eroded away. Each layer has a relative
permittivity and an attenuation [dB/m] at a reference frequency, proportional to
frequency (constant Q). `random_subsurface` draws one, seeded: a sequence dipping up
to 15° (Hamran et al. 2022) with layer permittivities between 6.5 and 9.

**Permittivity.** Depths use ε = 7.0 on the crater floor: the one measured velocity,
0.113 m/ns at the fan front, gives (c / v)² = 7.0; the ≈ 9 quoted elsewhere is
unconfirmed (docs/reference/instruments.md §5).

**The sounding.** Zero offset, normal incidence, straight rays in the overburden's mean
velocity: the two-way time to interface k under a sounding is::

    tau = 2 h / c + 2 cos(dip) sum_j dz_j sqrt(eps_j) / c

(h the antenna height; for a plane under a uniform overburden this is exactly the
perpendicular distance, so the unmigrated section shows a dip theta with slope
sin(theta), the classic migration relation). Each echo's amplitude, relative to a
perfect reflector 1 m away in air, is the reflection coefficient
``R = (sqrt(eps_a) - sqrt(eps_b)) / (sqrt(eps_a) + sqrt(eps_b))``, the two-way
transmission ``prod(1 - R_j^2)`` through the surface and the interfaces above, the
two-way attenuation at the band centre, and paraxial spherical spreading
``1 / (2 (h + sum_j dz_j / sqrt(eps_j)))`` (the air-equivalent range). After range
compression an FMCW sweep over the band [f_lo, f_hi] with a Hann window gives each echo
the point-spread ``Re[w(B t) exp(2 pi i f_c t)]``, ``w(u) = sinc(u) / (1 - u^2)``, whose
half-power width 1.44 / B sets the range resolution ``1.44 v / (2 B)`` (7.8 cm shallow,
18 cm deep at ε = 7: within the 5-20 cm design figure). The receiver gate opens after
the transmit pulse (a sin² taper). Noise is white Gaussian, band-limited to the sweep,
at the mode's dynamic range below the 1 m reference.

**Products.** `save_radargram` writes the radargram (distance × two-way time, with the
depth axis from the permittivity used) as Parquet, `plot_radargram` a PNG, both
atomically (`perseverance.outputs.write_atomic`).

Units: SI inside (m, s, Hz); dB and degrees only where a name says so. Distance is
along the drive from its start. Sources: ``data/instruments/rimfax.toml``
(docs/reference/instruments.md §5, surface.md "RIMFAX").

Leaves out: refraction at dipping interfaces (rays stay normal to each interface in
the mean overburden), diffractions from rocks and interface roughness, dispersion
within the band (attenuation is taken at the band centre), the antenna pattern and
the surface's topography (the antenna height is constant), multiples.

>>> import numpy as np
>>> from perseverance.rover.rimfax import load_rimfax, sound_drive
>>> ground, radargram = sound_drive(load_rimfax(), np.random.default_rng(0), length_m=2.0)
>>> radargram
Radargram(shallow, 21 soundings over 2.0 m, 1160 samples to 290 ns = 16.3 m at eps 7)
"""

from __future__ import annotations

import io
import json
import math
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Annotated, Literal, Self

import numpy as np
from numpy.typing import NDArray
from pydantic import Field, model_validator

from perseverance.datafiles import DataModel, format_number, load_model
from perseverance.errors import ConfigError, ScenarioError
from perseverance.outputs import write_atomic

__all__ = [
    "C_M_PER_S",
    "HANN_HALF_POWER_WIDTH",
    "SITE_BLOCK_M",
    "LayeredSite",
    "Material",
    "Mode",
    "PathSubsurface",
    "Radargram",
    "RimfaxConfig",
    "Subsurface",
    "attenuation_db_per_m_from_q",
    "echoes",
    "load_radargram",
    "load_rimfax",
    "plot_radargram",
    "random_site",
    "random_subsurface",
    "range_resolution_m",
    "save_radargram",
    "sound",
    "sound_drive",
    "sound_path",
    "sounding_distances_m",
]

PACKAGE = "perseverance.data.instruments"

#: Speed of light in vacuum [m/s] (SI, exact).
C_M_PER_S = 299_792_458.0
#: Half-power width of a Hann-windowed band's point-spread, in units of 1 / bandwidth
#: (D: the envelope sinc(u) / (1 - u^2) falls to 1/sqrt(2) at |u| = 0.720).
HANN_HALF_POWER_WIDTH = 1.44
#: Soundings computed together (bounds the (traces, interfaces, samples) temporaries).
CHUNK_TRACES = 32
#: Nepers to decibels (20 / ln 10).
DB_PER_NEPER = 20.0 / math.log(10.0)

ModeName = Literal["shallow", "deep"]


class Mode(DataModel):
    """One sounding mode: the sweep, the time window and the noise floor."""

    low_hz: Annotated[float, Field(gt=1e6, le=1e10)]
    high_hz: Annotated[float, Field(gt=1e6, le=1e10)]
    window_s: Annotated[float, Field(gt=1e-9, le=1e-5)]
    sample_interval_s: Annotated[float, Field(gt=1e-12, le=1e-7)]
    dynamic_range_db: Annotated[float, Field(gt=0.0, le=200.0)]
    gate_open_s: Annotated[float, Field(ge=0.0, le=1e-6)]

    @model_validator(mode="after")
    def _band(self) -> Self:
        if self.high_hz <= self.low_hz:
            raise ValueError(
                f"high_hz = {format_number(self.high_hz)} must be above "
                f"low_hz = {format_number(self.low_hz)}"
            )
        nyquist = 0.5 / self.sample_interval_s
        if self.high_hz > nyquist:
            raise ValueError(
                f"high_hz = {format_number(self.high_hz)} is above the Nyquist frequency "
                f"{nyquist:.4g} Hz of sample_interval_s = {format_number(self.sample_interval_s)}"
            )
        if self.window_s / self.sample_interval_s > 100_000:
            raise ValueError("window_s / sample_interval_s is over 100,000 samples")
        return self

    @property
    def centre_hz(self) -> float:
        return 0.5 * (self.low_hz + self.high_hz)

    @property
    def bandwidth_hz(self) -> float:
        return self.high_hz - self.low_hz

    @property
    def noise_rms(self) -> float:
        """The noise floor's RMS amplitude, relative to a perfect reflector 1 m away."""
        return float(10.0 ** (-self.dynamic_range_db / 20.0))


class Material(DataModel):
    """A ground unit: permittivity, attenuation, and how its layers are drawn."""

    permittivity: Annotated[float, Field(ge=1.0, le=100.0)]
    attenuation_db_per_m: Annotated[float, Field(ge=0.0, le=100.0)]
    reference_hz: Annotated[float, Field(gt=1e6, le=1e10)]
    layer_permittivity_low: Annotated[float, Field(ge=1.0, le=100.0)]
    layer_permittivity_high: Annotated[float, Field(ge=1.0, le=100.0)]
    mean_layer_spacing_m: Annotated[float, Field(gt=0.01, le=100.0)]
    max_dip_deg: Annotated[float, Field(ge=0.0, le=60.0)]
    dip_spread_deg: Annotated[float, Field(ge=0.0, le=30.0)]

    @model_validator(mode="after")
    def _range(self) -> Self:
        if self.layer_permittivity_high < self.layer_permittivity_low:
            raise ValueError(
                f"layer_permittivity_high = {format_number(self.layer_permittivity_high)} "
                f"is below layer_permittivity_low = {format_number(self.layer_permittivity_low)}"
            )
        return self

    def attenuation_at(self, frequency_hz: float) -> float:
        """Attenuation [dB/m] at ``frequency_hz`` (constant Q: proportional to frequency)."""
        return self.attenuation_db_per_m * frequency_hz / self.reference_hz


class RimfaxConfig(DataModel):
    """RIMFAX as loaded from ``data/instruments/rimfax.toml``."""

    name: str = Field(min_length=1, max_length=64)
    antenna_height_m: Annotated[float, Field(ge=0.0, le=5.0)]
    sounding_interval_m: Annotated[float, Field(ge=0.01, le=1.0)]
    modes: dict[ModeName, Mode] = Field(min_length=1)
    materials: dict[str, Material] = Field(min_length=1)

    def mode(self, name: str) -> Mode:
        found: Mode | None = dict(self.modes.items()).get(name)  # type: ignore[call-overload]
        if found is None:
            raise ScenarioError(
                f"unknown RIMFAX mode {name!r}: known modes are {_names(self.modes)}"
            )
        return found

    def material(self, name: str) -> Material:
        found = self.materials.get(name)
        if found is None:
            raise ScenarioError(
                f"unknown ground material {name!r}: known materials are {_names(self.materials)}"
            )
        return found


def _names(table: Iterable[str]) -> str:
    return ", ".join(sorted(table))


def load_rimfax(name_or_path: str | os.PathLike[str] = "rimfax") -> RimfaxConfig:
    """Load RIMFAX's data file by packaged name (``"rimfax"``) or path.

    Raises `perseverance.errors.ConfigError` with one line naming the field on any problem.
    """
    if name_or_path == "rimfax":
        return _packaged()
    return load_model(RimfaxConfig, os.fspath(name_or_path), PACKAGE, "instrument")


@cache
def _packaged() -> RimfaxConfig:
    return load_model(RimfaxConfig, "rimfax", PACKAGE, "instrument")


def attenuation_db_per_m_from_q(q: float, permittivity: float, frequency_hz: float) -> float:
    """Attenuation [dB/m] of a constant-Q medium: ``alpha = pi f / (Q v)`` nepers per metre,
    ``v = c / sqrt(eps)``."""
    velocity = C_M_PER_S / math.sqrt(permittivity)
    return DB_PER_NEPER * math.pi * frequency_hz / (q * velocity)


def range_resolution_m(mode: Mode, permittivity: float) -> float:
    """Depth resolution [m]: the half-power width of the point-spread, ``1.44 v / (2 B)``."""
    velocity = C_M_PER_S / math.sqrt(permittivity)
    return HANN_HALF_POWER_WIDTH * velocity / (2.0 * mode.bandwidth_hz)


def sounding_distances_m(length_m: float, interval_m: float) -> NDArray[np.float64]:
    """Where the soundings of a drive of ``length_m`` fall [m from its start]."""
    if not (math.isfinite(length_m) and 0.0 < length_m <= 100_000.0):
        raise ScenarioError(f"length_m = {format_number(length_m)} is out of range (0..100000)")
    if not (math.isfinite(interval_m) and 0.01 <= interval_m <= 1.0):
        raise ScenarioError(f"interval_m = {format_number(interval_m)} is out of range (0.01..1)")
    return np.arange(0.0, length_m + 1e-9, interval_m)


@dataclass(frozen=True)
class Subsurface:
    """Planar interfaces under a traverse, shallowest first, (K,) each; layers (K+1,).

    ``depth_m``: depth of each interface below the surface at ``reference_m`` along the
    drive; ``dip_rad``: its dip along the track (positive: deeper ahead);
    ``permittivity`` and ``attenuation_db_per_m`` (at ``reference_hz``) of each layer,
    the top layer first.
    """

    depth_m: NDArray[np.float64]
    dip_rad: NDArray[np.float64]
    permittivity: NDArray[np.float64]
    attenuation_db_per_m: NDArray[np.float64]
    reference_hz: float
    reference_m: float = 0.0

    def __post_init__(self) -> None:
        k = self.depth_m.shape[0]
        if self.dip_rad.shape != (k,) or self.permittivity.shape != (k + 1,):
            raise ScenarioError("subsurface: depth_m, dip_rad need K values, permittivity K+1")
        if self.attenuation_db_per_m.shape != (k + 1,):
            raise ScenarioError("subsurface: attenuation_db_per_m needs K+1 values")
        if np.any(self.permittivity < 1.0) or not np.all(np.isfinite(self.permittivity)):
            raise ScenarioError("subsurface: permittivity must be finite and at least 1")
        if np.any(np.abs(self.dip_rad) >= math.pi / 2):
            raise ScenarioError("subsurface: dips must be under 90°")

    def interface_depths_m(self, distance_m: NDArray[np.float64]) -> NDArray[np.float64]:
        """Depth of each interface under each sounding, (M, K) [m]: planes, the lower one
        pinching out against the upper, none above the surface (0 where eroded)."""
        x = np.asarray(distance_m, dtype=np.float64)[:, None] - self.reference_m
        planes = self.depth_m[None, :] + x * np.tan(self.dip_rad)[None, :]
        return np.maximum.accumulate(np.maximum(planes, 0.0), axis=1)


def random_subsurface(
    material: Material,
    rng: np.random.Generator,
    *,
    length_m: float,
    max_depth_m: float = 40.0,
) -> Subsurface:
    """A seeded layered ground of ``material`` under a drive of ``length_m``.

    Interfaces are spaced exponentially (mean ``mean_layer_spacing_m``, at least 5 cm)
    down to ``max_depth_m``; the sequence dips by a uniform draw in ±``max_dip_deg``, each
    layer scattered about it by ``dip_spread_deg`` and clipped to ±``max_dip_deg``; layer
    permittivities are uniform in the material's range.
    """
    n_max = int(max_depth_m / max(material.mean_layer_spacing_m, 0.05) * 3) + 4
    spacing = np.maximum(rng.exponential(material.mean_layer_spacing_m, n_max), 0.05)
    depth = np.cumsum(spacing)
    depth = depth[depth < max_depth_m]
    k = depth.size
    max_dip = math.radians(material.max_dip_deg)
    dip0 = rng.uniform(-max_dip, max_dip)
    dips = np.clip(
        dip0 + rng.normal(0.0, math.radians(material.dip_spread_deg), k), -max_dip, max_dip
    )
    eps = rng.uniform(material.layer_permittivity_low, material.layer_permittivity_high, k + 1)
    return Subsurface(
        depth_m=depth,
        dip_rad=dips,
        permittivity=eps,
        attenuation_db_per_m=np.full(k + 1, material.attenuation_db_per_m),
        reference_hz=material.reference_hz,
        reference_m=0.5 * length_m,
    )


@dataclass(frozen=True, repr=False)
class Radargram:
    """Soundings along a drive: ``amplitude`` (M, T) against ``distance_m`` (M,) [m from
    the drive's start] and two-way ``time_s`` (T,) [s from the transmit]; amplitudes
    relative to a perfect reflector 1 m away. ``permittivity`` is what the depth axis
    uses."""

    distance_m: NDArray[np.float64]
    time_s: NDArray[np.float64]
    amplitude: NDArray[np.float64]
    mode: str
    permittivity: float
    antenna_height_m: float
    noise_rms: float
    band_hz: tuple[float, float]

    @property
    def surface_time_s(self) -> float:
        """Two-way time of the ground surface [s]."""
        return 2.0 * self.antenna_height_m / C_M_PER_S

    @property
    def velocity_m_per_s(self) -> float:
        return C_M_PER_S / math.sqrt(self.permittivity)

    @property
    def depth_m(self) -> NDArray[np.float64]:
        """Depth below the surface of each time sample [m] (negative above the ground)."""
        return (self.time_s - self.surface_time_s) * self.velocity_m_per_s / 2.0

    def envelope(self) -> NDArray[np.float64]:
        """The amplitude envelope, (M, T): the magnitude of the analytic signal, filtered
        to the band with a Hann taper (so that a strong surface echo does not ring), with
        the traces zero-padded to twice their length (no wrap-around)."""
        n = self.amplitude.shape[1]
        spectrum = np.fft.fft(self.amplitude, n=2 * n, axis=1)
        f = np.fft.fftfreq(2 * n, float(self.time_s[1] - self.time_s[0]))
        lo, hi = self.band_hz
        u = np.clip((f - lo) / (hi - lo), 0.0, 1.0)
        h = np.where((f > lo) & (f < hi), 2.0 * np.sin(np.pi * u) ** 2, 0.0)
        return np.abs(np.fft.ifft(spectrum * h, axis=1)[:, :n])

    def __repr__(self) -> str:
        m, t = self.amplitude.shape
        return (
            f"Radargram({self.mode}, {m} soundings over {np.ptp(self.distance_m):.1f} m, "
            f"{t} samples to {self.time_s[-1] * 1e9:.0f} ns = {self.depth_m[-1]:.1f} m "
            f"at eps {self.permittivity:g})"
        )


def _point_spread(t: NDArray[np.float64], mode: Mode) -> NDArray[np.float64]:
    """The range-compressed echo of a Hann-windowed sweep, peak 1 at t = 0."""
    u = mode.bandwidth_hz * t
    with np.errstate(divide="ignore", invalid="ignore"):
        w = np.sinc(u) / (1.0 - u * u)
    w = np.where(np.abs(np.abs(u) - 1.0) < 1e-9, 0.5, w)
    return w * np.cos(2.0 * math.pi * mode.centre_hz * t)


def echoes(
    ground: Subsurface, distance_m: NDArray[np.float64], mode: Mode, height_m: float
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Two-way times [s] and amplitudes of the surface and each interface, (M, K+1)."""
    z = ground.interface_depths_m(distance_m)  # (M, K)
    m = z.shape[0]
    thick = np.diff(np.concatenate([np.zeros((m, 1)), z], axis=1), axis=1)  # layer above each
    n = np.sqrt(ground.permittivity)  # refractive index of each layer, (K+1,)
    cos_dip = np.cos(ground.dip_rad)[None, :]
    one_way = np.cumsum(thick * n[None, :-1], axis=1) / C_M_PER_S  # vertical, (M, K)
    t0 = 2.0 * height_m / C_M_PER_S
    tau = np.concatenate([np.full((m, 1), t0), t0 + 2.0 * cos_dip * one_way], axis=1)
    alpha = ground.attenuation_db_per_m * mode.centre_hz / ground.reference_hz
    loss_db = 2.0 * np.cumsum(thick * alpha[None, :-1], axis=1) * cos_dip
    air_range = height_m + np.cumsum(thick / n[None, :-1], axis=1) * cos_dip
    r_surface = (1.0 - n[0]) / (1.0 + n[0])
    r = (n[:-1] - n[1:]) / (n[:-1] + n[1:])  # (K,)
    transmission = (1.0 - r_surface**2) * np.concatenate([[1.0], np.cumprod(1.0 - r[:-1] ** 2)])
    amp = r[None, :] * transmission[None, :] * 10.0 ** (-loss_db / 20.0) / (2.0 * air_range)
    amp = np.where(thick > 0.0, amp, 0.0)  # pinched out or eroded: no echo
    amp = np.where(z > 0.0, amp, 0.0)
    surface = np.full((m, 1), r_surface / (2.0 * max(height_m, 0.05)))
    return tau, np.concatenate([surface, amp], axis=1)


def sound(
    config: RimfaxConfig,
    ground: Subsurface,
    distance_m: NDArray[np.float64],
    *,
    mode: str = "shallow",
    permittivity: float | None = None,
    rng: np.random.Generator | None = None,
) -> Radargram:
    """Synthesize the radargram of soundings at ``distance_m`` [m along the drive] over
    ``ground`` in ``mode``; ``permittivity`` for the depth axis (default: the mean of the
    layers); noise from ``rng`` (None: no noise)."""
    spec = config.mode(mode)
    distance = np.asarray(distance_m, dtype=np.float64)
    if distance.ndim != 1 or distance.size == 0 or not np.all(np.isfinite(distance)):
        raise ScenarioError("distance_m must be a non-empty 1-D array of finite distances")
    time_s = np.arange(0.0, spec.window_s, spec.sample_interval_s)
    tau, amp = echoes(ground, distance, spec, config.antenna_height_m)
    out = np.empty((distance.size, time_s.size))
    # The surface echo over the whole window; the interfaces' (amplitudes < 0.1 of it)
    # within +-16 / B, beyond which their point-spread is below 1e-4.
    out[:] = amp[:, :1] * _point_spread(time_s[None, :] - tau[:, :1], spec)
    half_width = 16.0 / spec.bandwidth_hz
    # Each echo only on the samples within its reach: W from the first one after tau - hw.
    n_t = time_s.size
    reach = np.arange(math.ceil(2.0 * half_width / spec.sample_interval_s) + 1)
    for lo in range(0, distance.size, CHUNK_TRACES):  # chunks of traces, not one by one
        sl = slice(lo, lo + CHUNK_TRACES)
        first = np.ceil((tau[sl, 1:] - half_width) / spec.sample_interval_s).astype(np.int64)
        j = first[:, :, None] + reach[None, None, :]  # (m, K, W) sample indices
        inside = (j >= 0) & (j < n_t)
        jc = np.clip(j, 0, n_t - 1)
        dt = time_s[jc] - tau[sl, 1:, None]
        near = inside & (np.abs(dt) < half_width)
        psf = np.where(near, _point_spread(np.where(near, dt, 0.0), spec), 0.0)
        rows = np.arange(out[sl].shape[0])[:, None, None]
        flat = (rows * n_t + jc).ravel()
        weights = (amp[sl, 1:, None] * psf).ravel()
        out[sl] += np.bincount(flat, weights, minlength=out[sl].size).reshape(out[sl].shape)
    gate = (
        np.sin(0.5 * math.pi * np.clip(time_s / spec.gate_open_s, 0.0, 1.0)) ** 2
        if (spec.gate_open_s > 0)
        else np.ones_like(time_s)
    )
    out *= gate[None, :]
    if rng is not None:
        out += _band_limited_noise(rng, out.shape, spec)
    eps = float(np.mean(ground.permittivity)) if permittivity is None else float(permittivity)
    if not (math.isfinite(eps) and 1.0 <= eps <= 100.0):
        raise ScenarioError(f"permittivity = {format_number(eps)} is out of range (1..100)")
    band = (spec.low_hz, spec.high_hz)
    return Radargram(
        distance, time_s, out, mode, eps, config.antenna_height_m, spec.noise_rms, band
    )


def sound_drive(
    config: RimfaxConfig,
    rng: np.random.Generator,
    *,
    length_m: float,
    material: str = "crater_floor",
    mode: str = "shallow",
) -> tuple[Subsurface, Radargram]:
    """Sound a drive of ``length_m`` at the instrument's interval over a seeded ground of
    ``material``: the ground drawn and the radargram (depths at the material's
    permittivity)."""
    ground_material = config.material(material)
    distance = sounding_distances_m(length_m, config.sounding_interval_m)
    ground = random_subsurface(ground_material, rng, length_m=length_m)
    radargram = sound(
        config, ground, distance, mode=mode, permittivity=ground_material.permittivity, rng=rng
    )
    return ground, radargram


def _band_limited_noise(
    rng: np.random.Generator, shape: tuple[int, int], mode: Mode
) -> NDArray[np.float64]:
    """White Gaussian noise kept to the sweep's band, RMS ``mode.noise_rms``."""
    white = rng.standard_normal(shape)
    spectrum = np.fft.rfft(white, axis=1)
    f = np.fft.rfftfreq(shape[1], mode.sample_interval_s)
    spectrum *= (f >= mode.low_hz) & (f <= mode.high_hz)
    noise = np.fft.irfft(spectrum, n=shape[1], axis=1)
    rms = float(np.sqrt(np.mean(noise**2)))
    return noise * (mode.noise_rms / rms if rms > 0 else 0.0)


def save_radargram(
    radargram: Radargram,
    path: str | os.PathLike[str],
    *,
    precision: Literal["float32", "float16"] = "float32",
) -> Path:
    """Write ``radargram`` as Parquet: one row per sounding (``distance_m``, ``amplitude``
    as a list over time), the time and depth axes and the metadata in the schema's
    metadata. ``float16`` halves the file: the amplitudes are stored in units of the noise
    RMS (``amplitude_scale`` in the metadata; 11-bit mantissa, so a relative error under
    5e-4 above the noise floor). Atomic: nothing half-written."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    t = radargram.amplitude.shape[1]
    scale = radargram.noise_rms if precision == "float16" and radargram.noise_rms > 0 else 1.0
    stored = (radargram.amplitude / scale).astype(
        np.float16 if precision == "float16" else np.float32
    )
    flat = pa.array(stored.ravel())
    table = pa.table(
        {
            "distance_m": pa.array(radargram.distance_m),
            "amplitude": pa.FixedSizeListArray.from_arrays(flat, t),
        }
    )
    meta = {
        "instrument": "RIMFAX",
        "mode": radargram.mode,
        "permittivity": radargram.permittivity,
        "antenna_height_m": radargram.antenna_height_m,
        "noise_rms": radargram.noise_rms,
        "amplitude_scale": scale,
        "band_hz": list(radargram.band_hz),
        "units": "amplitude relative to a perfect reflector 1 m away; time two-way [s]",
    }
    if precision == "float16":  # the axes as first sample and step: ~40 kB less a file
        t = radargram.time_s
        meta |= {"time_start_s": float(t[0]), "sample_interval_s": float(t[1] - t[0])}
        meta |= {"samples": int(t.size), "depth_of_time": "(t - 2 h / c) c / (2 sqrt(eps))"}
    else:
        meta |= {"time_s": radargram.time_s.tolist(), "depth_m": radargram.depth_m.tolist()}
    table = table.replace_schema_metadata({"rimfax": json.dumps(meta)})
    buffer = io.BytesIO()
    if precision == "float16":  # noise does not repeat: no dictionary; zstd
        pq.write_table(table, buffer, use_dictionary=False, compression="zstd")
    else:
        pq.write_table(table, buffer)
    out = Path(path)
    write_atomic(out, buffer.getvalue())
    return out


def load_radargram(path: str | os.PathLike[str]) -> Radargram:
    """Read a radargram written by `save_radargram`."""
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(os.fspath(path))
        meta = json.loads(table.schema.metadata[b"rimfax"])
        if "time_s" in meta:
            time_s = np.asarray(meta["time_s"], dtype=np.float64)
        else:  # the compact form: as np.arange(start, stop, step) gives it
            step = float(meta["sample_interval_s"])
            time_s = float(meta["time_start_s"]) + step * np.arange(
                int(meta["samples"]), dtype=np.float64
            )
        column = table.column("amplitude").combine_chunks()
        amplitude = column.flatten().to_numpy().astype(np.float64).reshape(-1, time_s.size)
        amplitude *= float(meta.get("amplitude_scale", 1.0))
        return Radargram(
            distance_m=table.column("distance_m").to_numpy(),
            time_s=time_s,
            amplitude=amplitude,
            mode=str(meta["mode"]),
            permittivity=float(meta["permittivity"]),
            antenna_height_m=float(meta["antenna_height_m"]),
            noise_rms=float(meta["noise_rms"]),
            band_hz=(float(meta["band_hz"][0]), float(meta["band_hz"][1])),
        )
    except (OSError, KeyError, ValueError, TypeError, IndexError) as exc:
        raise ConfigError(f"{path}: not a RIMFAX radargram ({exc})") from None


def plot_radargram(radargram: Radargram, path: str | os.PathLike[str], *, dpi: int = 100) -> Path:
    """Draw the radargram (distance across, depth down, with the two-way time on the right
    axis) as a PNG, amplitudes gained by the mean envelope at each depth; atomic."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    env = radargram.envelope()
    gain = 1.0 / np.maximum(env.mean(axis=0), radargram.noise_rms)
    shown = radargram.amplitude * gain[None, :]
    fig = Figure(figsize=(8.0, 4.0))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    depth = radargram.depth_m
    d = radargram.distance_m
    ax.imshow(
        shown.T,
        aspect="auto",
        cmap="gray",
        vmin=-3.0,
        vmax=3.0,
        extent=(float(d[0]), float(d[-1]), float(depth[-1]), float(depth[0])),
        interpolation="nearest",
    )
    ax.set_xlabel("distance along the drive [m]")
    ax.set_ylabel(f"depth [m] (ε = {radargram.permittivity:g})")
    ax.set_title(f"RIMFAX {radargram.mode} mode")
    right = ax.twinx()
    right.set_ylim(radargram.time_s[-1] * 1e9, radargram.time_s[0] * 1e9)
    right.set_ylabel("two-way time [ns]")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    out = Path(path)
    write_atomic(out, buffer.getvalue())
    return out


#: Thickness of the stratigraphic blocks a `LayeredSite` draws its interfaces in [m]:
#: each block from its own seed, so any depth range is drawn without the ones above it.
SITE_BLOCK_M = 20.0
#: Offset added to a block's index in its seed (seeds must not be negative).
_BLOCK_SEED_OFFSET = 2**40


@dataclass(frozen=True)
class PathSubsurface(Subsurface):
    """A `Subsurface` under a path that turns: each interface's depth at the path's
    vertices, ``vertex_depth_m`` (V, K) at ``vertex_distance_m`` (V,) [m along the path],
    linear in between (planes under straight segments); ``dip_rad`` is each plane's true
    dip (the normal-incidence times use it)."""

    vertex_distance_m: NDArray[np.float64] = field(default_factory=lambda: np.zeros(1))
    vertex_depth_m: NDArray[np.float64] = field(default_factory=lambda: np.zeros((1, 0)))

    def __post_init__(self) -> None:
        super().__post_init__()
        v, k = self.vertex_distance_m.shape[0], self.depth_m.shape[0]
        if self.vertex_depth_m.shape != (v, k) or v < 1:
            raise ScenarioError("path subsurface: vertex_depth_m needs (V, K) values")

    def interface_depths_m(self, distance_m: NDArray[np.float64]) -> NDArray[np.float64]:
        d = np.asarray(distance_m, dtype=np.float64)
        vd = self.vertex_distance_m
        if vd.size == 1:
            z = np.repeat(self.vertex_depth_m, d.size, axis=0)
        else:
            i = np.clip(np.searchsorted(vd, d, side="right") - 1, 0, vd.size - 2)
            w = ((d - vd[i]) / (vd[i + 1] - vd[i]))[:, None]
            z = (1.0 - w) * self.vertex_depth_m[i] + w * self.vertex_depth_m[i + 1]
        return np.maximum.accumulate(np.maximum(z, 0.0), axis=1)


@dataclass(frozen=True)
class LayeredSite:
    """One layered ground under the whole site: parallel planar interfaces dipping
    ``dip_rad`` towards ``dip_azimuth_rad`` (clockwise from north), the depth of each
    ``u + g . (east, north)`` with ``g`` the dip's gradient and ``u`` its stratigraphic
    position (its depth at the site's origin). Interfaces are drawn as in
    `random_subsurface` (exponential spacing, permittivities uniform in the material's
    range) block by block of `SITE_BLOCK_M` from ``entropy``, so a drive anywhere sees
    the same layers as the drives before and after it. An interface above the ground is
    eroded. Parallel planes never cross: no pinch-outs (the per-layer dip scatter of
    `random_subsurface` would cross neighbours within a few hundred metres)."""

    material: Material
    dip_rad: float
    dip_azimuth_rad: float
    entropy: tuple[int, ...]

    @property
    def gradient(self) -> tuple[float, float]:
        """d depth / d east, d depth / d north [m/m]."""
        t = math.tan(self.dip_rad)
        return t * math.sin(self.dip_azimuth_rad), t * math.cos(self.dip_azimuth_rad)

    def _block(self, b: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        rng = np.random.default_rng([*self.entropy, b + _BLOCK_SEED_OFFSET])
        m = self.material
        n_max = int(SITE_BLOCK_M / max(m.mean_layer_spacing_m, 0.05) * 3) + 4
        u = b * SITE_BLOCK_M + np.cumsum(
            np.maximum(rng.exponential(m.mean_layer_spacing_m, n_max), 0.05)
        )
        eps = rng.uniform(m.layer_permittivity_low, m.layer_permittivity_high, n_max)
        keep = u < (b + 1) * SITE_BLOCK_M
        return u[keep], eps[keep]

    def layers(
        self, low_m: float, high_m: float
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """The interfaces with stratigraphic positions in [low_m, high_m), (K,), and the
        permittivities of the layers from the one above the first to the one below the
        last, (K+1,)."""
        lo, hi = math.floor(low_m / SITE_BLOCK_M) - 1, math.floor(high_m / SITE_BLOCK_M)
        blocks = [self._block(b) for b in range(lo, hi + 1)]
        u = np.concatenate([x[0] for x in blocks])
        eps = np.concatenate([x[1] for x in blocks])  # of the layer below each interface
        inside = np.flatnonzero((u >= low_m) & (u < high_m))
        first = int(inside[0]) if inside.size else int(np.searchsorted(u, low_m))
        above = eps[first - 1] if first > 0 else eps[0]
        return u[inside], np.concatenate([[above], eps[inside]])

    def under(
        self, east_m: NDArray[np.float64], north_m: NDArray[np.float64], max_depth_m: float
    ) -> PathSubsurface:
        """The ground under the path through (``east_m``, ``north_m``) [m] (V,): the
        interfaces between the surface and ``max_depth_m`` somewhere along it."""
        ge, gn = self.gradient
        east, north = np.asarray(east_m, np.float64), np.asarray(north_m, np.float64)
        shift = ge * east + gn * north  # depth = u + shift
        u, eps = self.layers(-float(shift.max()), max_depth_m - float(shift.min()))
        vertex_distance = np.concatenate(
            [[0.0], np.cumsum(np.hypot(np.diff(east), np.diff(north)))]
        )
        k = u.size
        m = self.material
        return PathSubsurface(
            depth_m=u + shift[0],
            dip_rad=np.full(k, self.dip_rad),
            permittivity=eps,
            attenuation_db_per_m=np.full(k + 1, m.attenuation_db_per_m),
            reference_hz=m.reference_hz,
            vertex_distance_m=vertex_distance,
            vertex_depth_m=u[None, :] + shift[:, None],
        )


def random_site(material: Material, entropy: Iterable[int]) -> LayeredSite:
    """A seeded `LayeredSite` of ``material``: the dip uniform in 0..``max_dip_deg``,
    its azimuth uniform."""
    seed = tuple(int(x) for x in entropy)
    rng = np.random.default_rng(list(seed))
    dip = rng.uniform(0.0, math.radians(material.max_dip_deg))
    azimuth = rng.uniform(0.0, 2.0 * math.pi)
    return LayeredSite(material, dip, azimuth, seed)


def sound_path(
    config: RimfaxConfig,
    site: LayeredSite,
    east_m: NDArray[np.float64],
    north_m: NDArray[np.float64],
    *,
    every: int = 1,
    mode: str = "shallow",
    rng: np.random.Generator | None = None,
) -> Radargram:
    """Sound a drive along the path through (``east_m``, ``north_m``) [m] (V >= 2) over
    ``site``: the instrument's soundings every ``sounding_interval_m`` along the path,
    of which every ``every``-th is synthesised and kept (the others would be discarded:
    they are not computed); depths at the material's permittivity. Sounded
    `CHUNK_TRACES` at a time, each over the interfaces within its own reach."""
    east, north = np.asarray(east_m, np.float64), np.asarray(north_m, np.float64)
    if east.shape != north.shape or east.ndim != 1 or east.size < 2:
        raise ScenarioError("a path needs at least two (east, north) points")
    if not (np.all(np.isfinite(east)) and np.all(np.isfinite(north))):
        raise ScenarioError("a path's points must be finite")
    if not 1 <= every <= 10_000:
        raise ScenarioError(f"every = {every} is out of range (1..10000)")
    step = np.hypot(np.diff(east), np.diff(north))
    moved = np.concatenate([[True], step > 1e-9])
    east, north = east[moved], north[moved]
    along = np.concatenate([[0.0], np.cumsum(step[step > 1e-9])])
    distance = sounding_distances_m(float(along[-1]), config.sounding_interval_m)[::every]
    spec = config.mode(mode)
    eps_low = site.material.layer_permittivity_low
    reach = (spec.window_s + 16.0 / spec.bandwidth_hz) * C_M_PER_S / (2.0 * math.sqrt(eps_low))
    reach /= math.cos(site.dip_rad)
    parts: list[NDArray[np.float64]] = []
    time_s: NDArray[np.float64] = np.zeros(0)
    for lo in range(0, distance.size, CHUNK_TRACES):
        d = distance[lo : lo + CHUNK_TRACES]
        inner = (along > d[0]) & (along < d[-1])
        at = np.concatenate([[d[0]], along[inner], [d[-1]]]) if d[-1] > d[0] else d[:1]
        e, n = np.interp(at, along, east), np.interp(at, along, north)
        ground = site.under(e, n, reach)
        r = sound(config, ground, d - d[0], mode=mode, permittivity=1.0, rng=rng)
        parts.append(r.amplitude)
        time_s = r.time_s
    return Radargram(
        distance,
        time_s,
        np.concatenate(parts),
        mode,
        site.material.permittivity,
        config.antenna_height_m,
        spec.noise_rms,
        (spec.low_hz, spec.high_hz),
    )
