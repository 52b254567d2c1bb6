"""The microphone catalogue (``data/instruments/microphones.toml``): models and loader.

`load_microphones()` reads the SuperCam microphone (on the mast at 2.1 m; 20 Hz-12.5 kHz
at 25 kHz sampling or 20 Hz-50 kHz at 100 kHz) and the EDL microphone (body, 20 Hz-20
kHz), each with its recording modes, self-noise and 16-bit full scale
(docs/reference/instruments.md §2a). Units: Hz, samples/s, Pa, Pa/√Hz, m. Every mode's
band must lie at or below its Nyquist frequency (half the sampling rate); a file that
breaks this, or holds a negative rate, is one `ConfigError` line naming the field.
"""

from __future__ import annotations

import os
from functools import cache
from typing import Annotated, Any, Literal, Self

from pydantic import Field, model_validator

from perseverance.datafiles import DataModel, FileTuple, format_number, load_model

__all__ = ["Microphone", "MicrophoneCatalogue", "Mode", "load_microphones"]

PACKAGE = "perseverance.data.instruments"

Hertz = Annotated[float, Field(gt=0.0, le=1.0e6)]


class Mode(DataModel):
    """One recording mode: sampling rate [samples/s] and pass band [Hz]."""

    sample_rate_hz: Annotated[float, Field(gt=0.0, le=1.0e6)]
    band_low_hz: Hertz
    band_high_hz: Hertz

    @model_validator(mode="after")
    def _within_nyquist(self) -> Self:
        nyquist = self.sample_rate_hz / 2.0
        if self.band_high_hz > nyquist:
            raise ValueError(
                f"band_high_hz = {format_number(self.band_high_hz)} is above the Nyquist "
                f"frequency {format_number(nyquist)} Hz of sample_rate_hz = "
                f"{format_number(self.sample_rate_hz)} (allowed: "
                f"{format_number(self.band_low_hz)}..{format_number(nyquist)})"
            )
        if not self.band_low_hz < self.band_high_hz:
            raise ValueError(
                f"band_low_hz = {format_number(self.band_low_hz)} is not below band_high_hz "
                f"= {format_number(self.band_high_hz)}"
            )
        return self


class Microphone(DataModel):
    """A microphone: where it sits, its modes, self-noise and WAV full scale."""

    name: str = Field(min_length=1, max_length=64)
    location: Literal["mast", "body"]
    height_m: Annotated[float, Field(ge=0.0, le=10.0)]
    """Height above the ground under the rover [m]."""
    noise_floor_pa_per_sqrt_hz: Annotated[float, Field(ge=0.0, le=1.0)]
    """Self-noise spectral density, flat over the band [Pa/√Hz]."""
    full_scale_pa: Annotated[float, Field(gt=0.0, le=1.0e5)]
    """The pressure of the largest 16-bit PCM sample in a WAV product [Pa]."""
    modes: dict[str, Mode] = Field(min_length=1)
    usable_during_edl: bool
    edl_note: str = Field(default="", max_length=400)
    """Why the microphone gave no usable signal during EDL (when it did not)."""
    estimated: Annotated[tuple[str, ...], FileTuple] = ()
    """The fields whose values are engineering estimates (E)."""

    @model_validator(mode="after")
    def _known_estimates(self) -> Self:
        unknown = [f for f in self.estimated if f not in type(self).model_fields]
        if unknown:
            raise ValueError(f"estimated names unknown fields: {', '.join(unknown)}")
        if not self.usable_during_edl and not self.edl_note:
            raise ValueError("edl_note is missing: say why it gave no signal during EDL")
        return self

    def mode(self, name: str) -> Mode:
        """The mode called ``name``; `KeyError` naming the known ones if none is."""
        if name not in self.modes:
            raise KeyError(
                f"the {self.name} microphone has no mode {name!r}: known are "
                f"{', '.join(self.modes)}"
            )
        return self.modes[name]


class MicrophoneCatalogue(DataModel):
    """The microphones of a microphone data file, loaded with `load_microphones`."""

    name: str = Field(min_length=1, max_length=200)
    source: str = Field(default="", max_length=400)
    microphones: dict[str, Microphone] = Field(min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _named(cls, data: Any) -> Any:
        """Each microphone takes its table's name (``[microphones.supercam]``)."""
        if isinstance(data, dict) and isinstance(data.get("microphones"), dict):
            named = {
                key: {"name": key, **value} if isinstance(value, dict) else value
                for key, value in data["microphones"].items()
            }
            data = {**data, "microphones": named}
        return data

    def microphone(self, name: str) -> Microphone:
        """The microphone called ``name``; `KeyError` naming the known ones if none is."""
        if name not in self.microphones:
            raise KeyError(f"unknown microphone {name!r}: known are {', '.join(self.microphones)}")
        return self.microphones[name]


def load_microphones(name_or_path: str | os.PathLike[str] = "microphones") -> MicrophoneCatalogue:
    """Load a microphone data file by packaged name (``"microphones"``) or path.

    Raises `perseverance.errors.ConfigError` with one line naming the file, the field,
    the value and the allowed range on any problem.
    """
    if name_or_path == "microphones":
        return _packaged()
    return load_model(MicrophoneCatalogue, os.fspath(name_or_path), PACKAGE, "microphone")


@cache
def _packaged() -> MicrophoneCatalogue:
    return load_model(MicrophoneCatalogue, "microphones", PACKAGE, "microphone")
