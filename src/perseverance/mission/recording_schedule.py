"""The scenario's microphone recordings: what is recorded, with which microphone, when.

The ``[acoustics]`` table of a scenario and its ``[[acoustics.recordings]]``. A
recording is made on one ``sol`` at ``lmst_hours``, or during an activity that ran
(``on``: ``supercam`` (a SuperCam activity: the microphone is SuperCam's), ``drive``,
``moxie``) within ``first_sol``..``last_sol``, starting with the activity. It names its
``microphone`` and ``mode`` (``data/instruments/microphones.toml``), its ``sources``
(``wind``, ``spark`` (a SuperCam laser burst at `SPARK_DISTANCE_M`), ``drive``,
``moxie``, ``ingenuity``), its length and, optionally, a narrower ``band_hz`` that must
lie inside the mode's band. Every problem is a one-line `ConfigError` naming the field,
raised when the scenario loads.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Self

from pydantic import Field, model_validator

from perseverance.acoustics.microphones import load_microphones
from perseverance.datafiles import DataModel, FileTuple, format_number
from perseverance.store.schema import PRODUCT_NAME_LENGTH

__all__ = ["SOURCES", "TRIGGERS", "RecordingRequest", "RecordingSchedule"]

#: What a recording may hear.
SOURCES = ("wind", "spark", "drive", "moxie", "ingenuity")
#: The activities a recording may be made during.
TRIGGERS = ("supercam", "drive", "moxie")
#: The longest recording [s] (E: SuperCam's recordings are seconds to minutes long).
MAX_RECORDING_S = 120.0

_Sol = Annotated[int, Field(ge=0, le=2000)]


class RecordingRequest(DataModel):
    """One scheduled recording (see the module)."""

    name: str = Field(min_length=1, max_length=PRODUCT_NAME_LENGTH - 8)
    microphone: str = "supercam"
    mode: str = "standard"
    sol: _Sol | None = None
    lmst_hours: Annotated[float, Field(ge=0.0, lt=24.0)] = 12.0
    on: Literal["supercam", "drive", "moxie"] | None = None
    first_sol: _Sol = 0
    last_sol: _Sol = 2000
    sources: Annotated[
        tuple[Literal["wind", "spark", "drive", "moxie", "ingenuity"], ...], FileTuple
    ] = Field(min_length=1)
    duration_s: Annotated[float, Field(gt=0.0, le=MAX_RECORDING_S)]
    band_hz: Annotated[tuple[Annotated[float, Field(gt=0.0, le=1e6)], ...], FileTuple] | None = None
    priority: Annotated[int, Field(ge=1, le=100)] = 50

    @model_validator(mode="after")
    def _check(self) -> Self:
        if (self.sol is None) == (self.on is None):
            raise ValueError("give exactly one of sol (a fixed sol) or on (during an activity)")
        if self.first_sol > self.last_sol:
            raise ValueError(f"first_sol = {self.first_sol} is after last_sol = {self.last_sol}")
        catalogue = load_microphones()
        if self.microphone not in catalogue.microphones:
            names = ", ".join(sorted(catalogue.microphones))
            raise ValueError(f"microphone = {self.microphone!r} is not a microphone ({names})")
        mic = catalogue.microphone(self.microphone)
        if self.mode not in mic.modes:
            modes = ", ".join(sorted(mic.modes))
            raise ValueError(f"mode = {self.mode!r} is not a mode of {self.microphone} ({modes})")
        m = mic.mode(self.mode)
        if self.band_hz is not None:
            lo_hi = tuple(self.band_hz)
            if len(lo_hi) != 2 or not (m.band_low_hz <= lo_hi[0] < lo_hi[1] <= m.band_high_hz):
                raise ValueError(
                    f"band_hz = {list(lo_hi)} is outside the {self.microphone} {self.mode} band "
                    f"(allowed: low < high within {format_number(m.band_low_hz)}.."
                    f"{format_number(m.band_high_hz)} Hz)"
                )
        return self

    def runs_on(self, sol: int) -> bool:
        """Whether the recording may be made on ``sol``."""
        if self.sol is not None:
            return sol == self.sol
        return self.first_sol <= sol <= self.last_sol


class RecordingSchedule(DataModel):
    """The ``[acoustics]`` table: the scheduled recordings (none by default)."""

    recordings: Annotated[tuple[RecordingRequest, ...], FileTuple] = ()
    source: str = ""

    def cut_at(self, data: dict[str, Any], last_sol: int) -> dict[str, Any]:
        """The schedule's data (``model_dump``) without the recordings fixed after
        ``last_sol`` (``--sols N``)."""
        kept = [
            d
            for d, r in zip(data.get("recordings", ()), self.recordings, strict=True)
            if r.sol is None or r.sol <= last_sol
        ]
        return {**data, "recordings": kept}

    def last_sol_problems(self, last_sol: int) -> list[str]:
        """Recordings fixed to a sol after the mission's last."""
        return [
            f"acoustics.recordings.{i}.sol = {r.sol} is after last_sol = {last_sol}"
            for i, r in enumerate(self.recordings)
            if r.sol is not None and r.sol > last_sol
        ]
