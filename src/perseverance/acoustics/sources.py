"""The sounds the microphones hear: wind, the SuperCam laser spark, the rover, MOXIE, Ingenuity.

Each source makes, on a sample grid (n samples at a rate [samples/s], the first at
``start_s`` [s], time 0 being the start of the recording), either the strength s(t)
[Pa·m] of a point source at ``distance_m`` from the microphone (`propagation.propagate`
turns it into pressure: p(r, ω) = S(ω) exp(-ikr)/r), or, when ``distance_m`` is None, the
pressure [Pa] at the microphone itself (wind noise is the flow at the microphone, not a
sound that travels). A point source's level is set by its acoustic power W [W] (or energy
per event [J]): its RMS strength is √(Wρc/4π), so the same source is ≈ 20 dB quieter in
thin CO2 than on Earth (docs/reference/instruments.md §2a).

- `WindNoise`: RMS pressure in 100-500 Hz = `WIND_NOISE_PER_DYNAMIC_PRESSURE` · ½ρv²
  (the wind-tunnel proportionality of §2d; the constant is an estimate (E), the absolute
  level being unpublished in the sheets), Gaussian, with a power spectrum falling as
  f^-2 and faster above a knee that rises with the wind (§2d: "to a few hundred Hz
  depending on wind activity").
- `LaserSpark`: an N-wave (compression then rarefaction, ±A over 2T) per shot, emitted
  at the target 2-5 m away (§2b), in a burst at `LIBS_CADENCE_HZ` (≈ 3 Hz: 30 shots in
  ≈ 10 s on sol 12, §2e), energy falling shot to shot (§2b). Made from its analytic
  spectrum, so nothing aliases.
- `RoverDrive`: wheels on rock (Poisson clicks, exponentially decaying broadband bursts)
  and the actuators (a tone and its harmonics).
- `moxie_compressor`: the scroll compressor's tone while it runs (§2d: a monotonic tone).
- `Ingenuity`: the 84 Hz blade-passing tone and its 168 Hz harmonic from 80 m (§2d), with
  the 15-20 s "lighthouse" nulls.

Every level, tone frequency and rate not in the sheets is an estimate (E), named here.
Leaves out: directivity, the mast echoes in the spark spectrum, the EMI screech, Doppler.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from numpy.typing import ArrayLike, NDArray

from perseverance.acoustics.propagation import Air, impedance
from perseverance.errors import ConfigError

__all__ = [
    "INGENUITY_BLADE_HZ",
    "LIBS_CADENCE_HZ",
    "WIND_NOISE_PER_DYNAMIC_PRESSURE",
    "Ingenuity",
    "LaserSpark",
    "RoverDrive",
    "Source",
    "Tone",
    "WindNoise",
    "moxie_compressor",
    "n_wave_spectrum",
    "strength_rms",
]

FloatArray = NDArray[np.float64]

#: RMS pressure over 100-500 Hz per unit dynamic pressure (dimensionless) (E: the
#: proportionality is published, docs/reference/instruments.md §2d; the constant is not.
#: 0.2 puts the first sol's gentle breeze, ≈ 1.4 m/s (§2d), a few times above the
#: SuperCam microphone's estimated noise floor over that band).
WIND_NOISE_PER_DYNAMIC_PRESSURE = 0.2
#: The band in which the wind noise follows the dynamic pressure [Hz] (§2d).
WIND_BAND_HZ = (100.0, 500.0)
#: The wind-noise spectrum's knee per m/s of wind [Hz s/m] (E: 60 Hz per m/s puts it at a
#: few hundred Hz in a 5 m/s wind, §2d); below 5 Hz the spectrum is flat (E).
WIND_KNEE_HZ_PER_MPS = 60.0
WIND_FLAT_BELOW_HZ = 5.0

#: SuperCam's LIBS shot cadence [Hz] (D: 30 shots in a ≈ 10 s burst on sol 12,
#: docs/reference/instruments.md §2e).
LIBS_CADENCE_HZ = 3.0
#: Acoustic energy of one laser spark [J] (E: the spark's absolute level is UNCONFIRMED,
#: §2b; this gives ≈ 0.2 Pa peak at 2 m on Mars, and ≈ 120 dB peak at 1 m for the same
#: spark on Earth, the loudness of a LIBS spark in air).
SPARK_ENERGY_J = 3.0e-4
#: Half-duration T of the emitted N-wave [s] (E: puts its energy at 2-10 kHz, §2b).
SPARK_HALF_DURATION_S = 1.0e-4
#: Fractional drop of the spark's energy from one shot to the next (E: it falls shot to
#: shot, §2b). Above 0, which keeps the closed-form sum of the shots regular.
SPARK_ENERGY_DROP_PER_SHOT = 0.01

#: Ingenuity's blade-passing frequency [Hz]: 2 blades x 2,537 rpm / 60 (A/D: §2d).
INGENUITY_BLADE_HZ = 2 * 2537.0 / 60.0
#: Period of the "lighthouse" nulls [s] (A: 15-20 s, §2d; we take the middle).
INGENUITY_NULL_PERIOD_S = 17.5
#: Acoustic power of Ingenuity's rotor tone [W] (E).
INGENUITY_POWER_W = 0.05

#: MOXIE's compressor tone [Hz] and acoustic power [W] (E: a monotonic tone, §2d; its
#: frequency and level are not in the sheets).
MOXIE_TONE_HZ = 1_200.0
MOXIE_POWER_W = 1.0e-5
#: Rover driving: actuator tone [Hz], its power [W], wheel-click rate per (m/s) [1/m],
#: click energy [J] and decay time [s] (all E).
ACTUATOR_TONE_HZ = 350.0
ACTUATOR_POWER_W = 5.0e-6
CLICKS_PER_M = 100.0
CLICK_ENERGY_J = 2.0e-6
CLICK_DECAY_S = 3.0e-3


class Source(Protocol):
    """A sound source: `distance_m` from the microphone (None: pressure at it)."""

    @property
    def distance_m(self) -> float | None: ...

    @property
    def label(self) -> str: ...

    def signal(
        self,
        n: int,
        sample_rate_hz: float,
        start_s: float,
        air: Air,
        rng: np.random.Generator,
    ) -> FloatArray:
        """(n,) strength [Pa·m] (or pressure [Pa] when `distance_m` is None)."""
        ...


def strength_rms(power_w: float, air: Air) -> float:
    """RMS strength √(Wρc/4π) [Pa·m] of a point source of acoustic power W [W]."""
    return math.sqrt(power_w * impedance(air) / (4 * math.pi))


def _check(field: str, value: float, lo: float, hi: float) -> None:
    if not (math.isfinite(value) and lo <= value <= hi):
        raise ConfigError(f"{field} = {value!r} is out of range ({lo:g}..{hi:g})")


def _times(n: int, sample_rate_hz: float, start_s: float) -> FloatArray:
    return start_s + np.arange(n) / sample_rate_hz


@dataclass(frozen=True)
class Tone:
    """A steady point source of tones (frequencies [Hz], relative amplitudes) with total
    acoustic power ``power_w`` [W], at ``distance_m``, on from ``on_s`` to ``off_s``."""

    frequencies_hz: tuple[float, ...]
    power_w: float
    distance_m: float | None
    amplitudes: tuple[float, ...] = (1.0,)
    on_s: float = -math.inf
    off_s: float = math.inf
    label: str = "tone"

    def __post_init__(self) -> None:
        if len(self.amplitudes) != len(self.frequencies_hz):
            raise ConfigError("amplitudes and frequencies_hz differ in length")
        for f in self.frequencies_hz:
            _check("frequencies_hz", f, 1.0, 50_000.0)
        _check("power_w", self.power_w, 0.0, 1.0e3)
        if self.distance_m is not None:
            _check("distance_m", self.distance_m, 0.1, 10_000.0)

    def signal(
        self,
        n: int,
        sample_rate_hz: float,
        start_s: float,
        air: Air,
        rng: np.random.Generator,
    ) -> FloatArray:
        t = _times(n, sample_rate_hz, start_s)
        f = np.asarray(self.frequencies_hz)[:, None]
        a = np.asarray(self.amplitudes, dtype=float)
        a = a / math.sqrt(float(np.sum(a**2)) / 2)  # unit total RMS
        phase = rng.uniform(0, 2 * np.pi, size=(len(a), 1))
        wave = np.sum(a[:, None] * np.sin(2 * np.pi * f * t + phase), axis=0)
        gate = (t >= self.on_s) & (t < self.off_s)
        return np.asarray(strength_rms(self.power_w, air) * wave * gate, dtype=float)


@dataclass(frozen=True)
class WindNoise:
    """Wind noise at the microphone, following the wind speed of the `Air` given."""

    label: str = "wind"

    @property
    def distance_m(self) -> None:
        return None

    def band_rms_pa(self, air: Air) -> float:
        """Expected RMS pressure over 100-500 Hz [Pa]: K · ½ρv²."""
        return WIND_NOISE_PER_DYNAMIC_PRESSURE * air.dynamic_pressure_pa

    def signal(
        self,
        n: int,
        sample_rate_hz: float,
        start_s: float,
        air: Air,
        rng: np.random.Generator,
    ) -> FloatArray:
        freqs = np.fft.rfftfreq(n, 1.0 / sample_rate_hz)
        knee = max(WIND_KNEE_HZ_PER_MPS * air.wind_speed_mps, WIND_BAND_HZ[0])
        f = np.maximum(freqs, WIND_FLAT_BELOW_HZ)
        shape = (f / WIND_BAND_HZ[0]) ** -1.0 / np.sqrt(1 + (f / knee) ** 4)
        shape[0] = 0.0
        band = (freqs >= WIND_BAND_HZ[0]) & (freqs <= WIND_BAND_HZ[1])
        expected_ms = 2 * float(np.sum(shape[band] ** 2)) / n**2  # Parseval
        if expected_ms == 0.0:
            raise ConfigError("the recording is too short to hold the 100-500 Hz band")
        scale = self.band_rms_pa(air) / math.sqrt(expected_ms)
        g = (rng.standard_normal(freqs.size) + 1j * rng.standard_normal(freqs.size)) / math.sqrt(2)
        return np.asarray(np.fft.irfft(scale * shape * g, n=n), dtype=float)


def n_wave_spectrum(
    freq_hz: ArrayLike, amplitude: float, half_duration_s: float
) -> NDArray[np.complex128]:
    """Fourier transform of the N-wave p(t) = -A t/T for |t| < T (0 outside) [Pa·s]:
    2iA/T · (sin ωT/ω² - T cos ωT/ω), → 2iAωT²/3 as ω → 0."""
    w = 2 * np.pi * np.asarray(freq_hz, dtype=float)
    t = half_duration_s
    x = w * t
    small = x < 1e-3
    safe = np.where(small, 1.0, w)
    exact = 2j * amplitude / t * (np.sin(x) / safe**2 - t * np.cos(x) / safe)
    series = 2j * amplitude * w * t**2 / 3 * (1 - x**2 / 10)
    return np.asarray(np.where(small, series, exact), dtype=np.complex128)


@dataclass(frozen=True)
class LaserSpark:
    """A burst of SuperCam laser sparks on a target ``distance_m`` away (2-5 m in the
    paper's data, up to 7 m allowed), ``shots`` shots at ``cadence_hz`` from ``first_s``."""

    distance_m: float
    shots: int = 30
    cadence_hz: float = LIBS_CADENCE_HZ
    first_s: float = 0.05
    energy_j: float = SPARK_ENERGY_J
    half_duration_s: float = SPARK_HALF_DURATION_S
    label: str = "laser spark"

    def __post_init__(self) -> None:
        _check("distance_m", self.distance_m, 1.0, 7.0)
        _check("shots", self.shots, 1, 1000)
        _check("cadence_hz", self.cadence_hz, 0.1, 10.0)
        _check("energy_j", self.energy_j, 0.0, 1.0)
        _check("half_duration_s", self.half_duration_s, 1e-6, 1e-2)

    def shot_times_s(self) -> FloatArray:
        """Emission times of the shots [s]."""
        return self.first_s + np.arange(self.shots) / self.cadence_hz

    def amplitude_pa_m(self, air: Air) -> float:
        """Peak strength A [Pa·m] of the first shot: energy 4π∫s²dt/(ρc) = E, with
        ∫s²dt = 2A²T/3 for the N-wave."""
        return math.sqrt(3 * self.energy_j * impedance(air) / (8 * math.pi * self.half_duration_s))

    def signal(
        self,
        n: int,
        sample_rate_hz: float,
        start_s: float,
        air: Air,
        rng: np.random.Generator,
    ) -> FloatArray:
        freqs = np.fft.rfftfreq(n, 1.0 / sample_rate_hz)
        # the shots' comb Σ ρ^m e^{-iω(t0 + m/cadence)}, summed in closed form (a geometric
        # series: memory of one spectrum whatever the number of shots); ρ < 1 (amplitude)
        rho = math.sqrt(1 - SPARK_ENERGY_DROP_PER_SHOT)
        z = rho * np.exp(-2j * np.pi * freqs / self.cadence_hz)
        first = np.exp(-2j * np.pi * freqs * (self.first_s - start_s))
        comb = first * (1 - z**self.shots) / (1 - z)
        spectrum = n_wave_spectrum(freqs, self.amplitude_pa_m(air), self.half_duration_s)
        # a continuous transform sampled: multiply by the rate for the DFT's scale
        return np.asarray(np.fft.irfft(spectrum * comb * sample_rate_hz, n=n), dtype=float)


@dataclass(frozen=True)
class RoverDrive:
    """The rover driving at ``speed_mps``: wheel clicks on rock and the actuator tone,
    heard from ``distance_m`` (E: the wheels are ≈ 2.5 m from the mast head)."""

    speed_mps: float = 0.04
    distance_m: float = 2.5
    label: str = "rover driving"

    def __post_init__(self) -> None:
        _check("speed_mps", self.speed_mps, 0.0, 0.2)
        _check("distance_m", self.distance_m, 0.1, 100.0)

    def signal(
        self,
        n: int,
        sample_rate_hz: float,
        start_s: float,
        air: Air,
        rng: np.random.Generator,
    ) -> FloatArray:
        actuators = Tone(
            (ACTUATOR_TONE_HZ, 2 * ACTUATOR_TONE_HZ, 3 * ACTUATOR_TONE_HZ),
            ACTUATOR_POWER_W,
            self.distance_m,
            amplitudes=(1.0, 0.5, 0.25),
        ).signal(n, sample_rate_hz, start_s, air, rng)
        duration = n / sample_rate_hz
        count = rng.poisson(CLICKS_PER_M * self.speed_mps * duration)
        starts = rng.integers(0, n, size=count)
        length = min(n, int(8 * CLICK_DECAY_S * sample_rate_hz))
        t = np.arange(length) / sample_rate_hz
        bursts = rng.standard_normal((count, length)) * np.exp(-t / CLICK_DECAY_S)
        # unit energy per burst: ∫b²dt = 1, then scaled to the click energy
        bursts /= np.sqrt(np.sum(bursts**2, axis=1, keepdims=True) / sample_rate_hz) + 1e-30
        bursts *= math.sqrt(CLICK_ENERGY_J * impedance(air) / (4 * math.pi))
        clicks = np.zeros(n + length)
        idx = (starts[:, None] + np.arange(length)[None, :]).ravel()
        np.add.at(clicks, idx, bursts.ravel())
        return np.asarray(actuators + clicks[:n], dtype=float)


def moxie_compressor(
    on_s: float = -math.inf,
    off_s: float = math.inf,
    distance_m: float = 1.5,
) -> Tone:
    """MOXIE's scroll compressor while it runs (E: tone, level; 1.5 m from the mast head)."""
    return Tone(
        (MOXIE_TONE_HZ, 2 * MOXIE_TONE_HZ),
        MOXIE_POWER_W,
        distance_m,
        amplitudes=(1.0, 0.3),
        on_s=on_s,
        off_s=off_s,
        label="MOXIE compressor",
    )


@dataclass(frozen=True)
class Ingenuity:
    """Ingenuity hovering ``distance_m`` away (80 m on flight 4, §2d): the 84 Hz blade
    tone and its 168 Hz harmonic, with the lighthouse nulls every 17.5 s."""

    distance_m: float = 80.0
    power_w: float = INGENUITY_POWER_W
    label: str = "Ingenuity"

    def __post_init__(self) -> None:
        _check("distance_m", self.distance_m, 1.0, 2_000.0)
        _check("power_w", self.power_w, 0.0, 100.0)

    def signal(
        self,
        n: int,
        sample_rate_hz: float,
        start_s: float,
        air: Air,
        rng: np.random.Generator,
    ) -> FloatArray:
        tone = Tone(
            (INGENUITY_BLADE_HZ, 2 * INGENUITY_BLADE_HZ),
            self.power_w,
            self.distance_m,
            amplitudes=(1.0, 0.5),
        )
        t = _times(n, sample_rate_hz, start_s)
        lighthouse = np.sqrt(2) * np.abs(np.cos(np.pi * t / INGENUITY_NULL_PERIOD_S))
        return np.asarray(tone.signal(n, sample_rate_hz, start_s, air, rng) * lighthouse)
