"""A microphone recording: the sources propagated to the microphone, band-limited, sampled,
with the microphone's self-noise.

`record` builds one sample grid at the mode's rate with a lead before time 0 longer
than the longest travel time (the FFT treats the grid as periodic: what wraps round
lands in the lead, which is dropped), makes every source's signal on it, moves the
point sources to the microphone in one batch (FFT, × exp(-ik(f)r)/r, summed), adds the
local pressure (wind), multiplies by the microphone's response, adds its self-noise and
transforms back. The response is a zero-phase 4th-order Butterworth magnitude on the
band (E: the chain's real phase response is not in the sheets); the self-noise is white
at the microphone's noise floor [Pa/√Hz] within the band. Times [s] are from the start
of the recording; pressures [Pa].

`record_during_edl` is the descent: the EDL microphone returned no usable audio
(docs/reference/instruments.md §2a), and the simulation says so with a `NoRecording`
and its reason rather than inventing one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.fft
from numpy.typing import ArrayLike, NDArray

from perseverance.acoustics.microphones import Microphone
from perseverance.acoustics.propagation import Air, sound_speeds, transfer_function
from perseverance.acoustics.sources import Source
from perseverance.datafiles import format_number
from perseverance.errors import ConfigError

__all__ = ["MAX_DURATION_S", "NoRecording", "Recording", "record", "record_during_edl"]

FloatArray = NDArray[np.float64]

#: The longest recording made in one call [s] (the longest SuperCam recordings are
#: minutes long; E).
MAX_DURATION_S = 300.0
#: Order of the Butterworth magnitude of the microphone's band (E).
RESPONSE_ORDER = 4
#: Extra lead after the longest travel time [s], for the ringing of the band edges.
EXTRA_LEAD_S = 0.1


@dataclass(frozen=True)
class Recording:
    """Samples [Pa] of one microphone in one mode, at ``sample_rate_hz``, over
    ``band_hz`` (low, high) [Hz], with the air and the sources' labels."""

    microphone: str
    mode: str
    sample_rate_hz: float
    band_hz: tuple[float, float]
    samples_pa: FloatArray
    air: Air
    sources: tuple[str, ...]

    @property
    def duration_s(self) -> float:
        """Length of the recording [s]."""
        return self.samples_pa.size / self.sample_rate_hz

    def __repr__(self) -> str:
        rms = float(np.sqrt(np.mean(self.samples_pa**2))) if self.samples_pa.size else 0.0
        return (
            f"Recording({self.microphone}/{self.mode}, {self.duration_s:.3f} s at "
            f"{format_number(self.sample_rate_hz)} Hz, RMS {rms:.3g} Pa, "
            f"sources: {', '.join(self.sources) or 'none'})"
        )


@dataclass(frozen=True)
class NoRecording:
    """A recording that produced no usable signal, and why."""

    microphone: str
    phase: str
    reason: str


def _band(
    microphone: Microphone, mode: str, band_hz: tuple[float, float] | None
) -> tuple[float, float]:
    m = microphone.modes.get(mode)
    if m is None:
        raise ConfigError(
            f"mode = {mode!r} is not a mode of the {microphone.name} microphone "
            f"(allowed: {', '.join(microphone.modes)})"
        )
    if band_hz is None:
        return m.band_low_hz, m.band_high_hz
    lo, hi = (float(v) for v in band_hz)
    if not (m.band_low_hz <= lo < hi <= m.band_high_hz):
        raise ConfigError(
            f"band_hz = [{format_number(lo)}, {format_number(hi)}] is outside the "
            f"{microphone.name} microphone's {mode!r} band (allowed: "
            f"{format_number(m.band_low_hz)}..{format_number(m.band_high_hz)} Hz, low below high)"
        )
    return lo, hi


def response(freq_hz: ArrayLike, band_hz: tuple[float, float]) -> FloatArray:
    """The microphone chain's magnitude response on ``band_hz`` (zero phase)."""
    lo, hi = band_hz
    f = np.maximum(np.asarray(freq_hz, dtype=float), 1e-9)
    n2 = 2 * RESPONSE_ORDER
    return np.asarray(1.0 / np.sqrt((1 + (lo / f) ** n2) * (1 + (f / hi) ** n2)), dtype=float)


def record(
    microphone: Microphone,
    sources: Sequence[Source],
    air: Air,
    *,
    duration_s: float,
    rng: np.random.Generator,
    mode: str = "standard",
    band_hz: tuple[float, float] | None = None,
    self_noise: bool = True,
) -> Recording:
    """Record ``sources`` in ``air`` for ``duration_s`` [s] with ``microphone``.

    ``band_hz`` narrows the mode's band (it must lie inside it: a request outside is one
    `ConfigError` line); ``self_noise=False`` leaves out the microphone's noise floor (for
    measuring the propagation itself). Randomness (wind, clicks, noise) comes from ``rng``.
    """
    band = _band(microphone, mode, band_hz)
    if not (math.isfinite(duration_s) and 0.0 < duration_s <= MAX_DURATION_S):
        raise ConfigError(
            f"duration_s = {duration_s!r} is out of range (0..{format_number(MAX_DURATION_S)}"
            ", excluding 0)"
        )
    rate = microphone.mode(mode).sample_rate_hz
    n_out = max(1, round(duration_s * rate))
    distances = [s.distance_m for s in sources if s.distance_m is not None]
    longest = max(distances, default=0.0) / min(sound_speeds(air))
    n_lead = math.ceil((longest + EXTRA_LEAD_S) * rate)
    n = scipy.fft.next_fast_len(n_out + n_lead, real=True)
    n_lead = n - n_out
    start = -n_lead / rate
    freqs = np.fft.rfftfreq(n, 1.0 / rate)

    spectrum = np.zeros(freqs.size, dtype=np.complex128)
    point = [s for s in sources if s.distance_m is not None]
    if point:
        strengths = np.stack([s.signal(n, rate, start, air, rng) for s in point])
        r = np.array([s.distance_m for s in point], dtype=float)
        moved = np.fft.rfft(strengths, axis=-1) * transfer_function(freqs, r, air)
        spectrum += np.sum(moved, axis=0)
    for s in sources:
        if s.distance_m is None:
            spectrum += np.fft.rfft(s.signal(n, rate, start, air, rng))
    if self_noise and microphone.noise_floor_pa_per_sqrt_hz > 0:
        # white noise of one-sided density N0: per-bin standard deviation N0 √(n·rate/2)
        sigma = microphone.noise_floor_pa_per_sqrt_hz * math.sqrt(n * rate / 2)
        spectrum += (
            sigma
            * (rng.standard_normal(freqs.size) + 1j * rng.standard_normal(freqs.size))
            / math.sqrt(2)
        )
    samples = np.fft.irfft(spectrum * response(freqs, band), n=n)[n_lead:]
    return Recording(
        microphone=microphone.name,
        mode=mode,
        sample_rate_hz=rate,
        band_hz=band,
        samples_pa=np.ascontiguousarray(samples, dtype=float),
        air=air,
        sources=tuple(s.label for s in sources),
    )


def record_during_edl(microphone: Microphone) -> NoRecording:
    """What ``microphone`` recorded during entry, descent and landing: nothing usable.

    The EDL microphone returned no usable audio during descent (its ``edl_note``); the
    SuperCam microphone was not switched on until sol 1 (docs/reference/instruments.md
    §2a).
    """
    if not microphone.usable_during_edl:
        return NoRecording(microphone.name, "edl", microphone.edl_note)
    return NoRecording(
        microphone.name,
        "edl",
        f"the {microphone.name} microphone was not operated during EDL: it was first switched "
        "on on sol 1 (docs/reference/instruments.md §2a)",
    )
