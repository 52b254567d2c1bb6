"""A recording's data products: a 16-bit PCM WAV and a spectrogram PNG, written atomically.

The WAV is mono at the microphone's sampling rate; sample s maps to the pressure
s / 32767 · full_scale_pa [Pa] (the microphone's 16-bit full scale), pressures beyond
full scale are clipped (and counted). `read_wav` decodes it back to pascals. The
spectrogram is the power spectral density (scipy.signal.spectrogram, Hann windows) in dB
re 1 Pa²/Hz against time [s] and frequency [kHz], drawn with matplotlib's Figure API.
Both files go through `perseverance.outputs.write_atomic`: nothing half-written.
"""

from __future__ import annotations

import io
import os
import wave
from pathlib import Path

import numpy as np
import scipy.signal
from matplotlib.figure import Figure
from numpy.typing import NDArray

from perseverance.acoustics.recording import Recording
from perseverance.errors import ConfigError
from perseverance.outputs import write_atomic

__all__ = ["PCM_MAX", "read_wav", "spectrogram_png", "wav_bytes", "write_spectrogram", "write_wav"]

#: The largest 16-bit PCM sample.
PCM_MAX = 32767
#: Resolution of the spectrogram PNG [dots per inch].
DPI = 100


def _pcm(recording: Recording, full_scale_pa: float) -> tuple[NDArray[np.int16], int]:
    if not full_scale_pa > 0:
        raise ConfigError(f"full_scale_pa = {full_scale_pa!r} is out of range (above 0)")
    scaled = np.rint(recording.samples_pa / full_scale_pa * PCM_MAX)
    clipped = int(np.count_nonzero(np.abs(scaled) > PCM_MAX))
    return np.clip(scaled, -PCM_MAX, PCM_MAX).astype("<i2"), clipped


def wav_bytes(recording: Recording, full_scale_pa: float) -> tuple[bytes, int]:
    """The WAV file's bytes and the number of samples clipped at full scale."""
    pcm, clipped = _pcm(recording, full_scale_pa)
    rate = round(recording.sample_rate_hz)
    if rate != recording.sample_rate_hz:
        raise ConfigError(
            f"sample_rate_hz = {recording.sample_rate_hz!r} is not whole: a WAV "
            "file needs a whole number of samples per second"
        )
    buf = io.BytesIO()
    with wave.open(buf, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm.tobytes())
    return buf.getvalue(), clipped


def write_wav(path: str | os.PathLike[str], recording: Recording, full_scale_pa: float) -> int:
    """Write ``recording`` as a 16-bit PCM WAV at its sampling rate; return the number of
    samples clipped at ``full_scale_pa`` [Pa]."""
    data, clipped = wav_bytes(recording, full_scale_pa)
    write_atomic(Path(path), data)
    return clipped


def read_wav(path: str | os.PathLike[str], full_scale_pa: float) -> tuple[NDArray[np.float64], int]:
    """(samples [Pa], sampling rate [samples/s]) of a mono 16-bit WAV written by `write_wav`."""
    with wave.open(os.fspath(path), "rb") as wav:
        if wav.getnchannels() != 1 or wav.getsampwidth() != 2:
            raise ConfigError(f"{path}: not a mono 16-bit PCM WAV")
        rate = wav.getframerate()
        raw = wav.readframes(wav.getnframes())
    pcm = np.frombuffer(raw, dtype="<i2").astype(float)
    return pcm / PCM_MAX * full_scale_pa, rate


def spectrogram_png(recording: Recording, *, title: str | None = None) -> bytes:
    """The recording's spectrogram as PNG bytes."""
    x = recording.samples_pa
    rate = recording.sample_rate_hz
    nperseg = int(min(x.size, 2 ** round(np.log2(max(rate * 0.01, 16)))))
    f, t, psd = scipy.signal.spectrogram(
        x, fs=rate, window="hann", nperseg=nperseg, noverlap=nperseg // 2, scaling="density"
    )
    db = 10 * np.log10(np.maximum(psd, 1e-30))
    top = float(np.max(db)) if db.size else 0.0
    fig = Figure(figsize=(8, 4))
    ax = fig.add_subplot()
    mesh = ax.pcolormesh(t, f / 1e3, db, shading="auto", vmin=top - 80, vmax=top, cmap="magma")
    fig.colorbar(mesh, ax=ax, label="PSD [dB re 1 Pa²/Hz]")
    ax.set_xlabel("time [s]")
    ax.set_ylabel("frequency [kHz]")
    ax.set_ylim(0, recording.band_hz[1] / 1e3)
    ax.set_title(title or f"{recording.microphone} microphone: {', '.join(recording.sources)}")
    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png", dpi=DPI)
    return buf.getvalue()


def write_spectrogram(
    path: str | os.PathLike[str], recording: Recording, *, title: str | None = None
) -> None:
    """Write the recording's spectrogram PNG to ``path`` atomically."""
    write_atomic(Path(path), spectrogram_png(recording, title=title))
