"""The scenario's imaging schedule: what each rover camera images on which sol, as data.

The ``[imaging]`` table of a scenario and its ``[[imaging.shots]]``. A shot is taken
on one ``sol``, or after every event of a kind (``on``): ``drive_end`` (a sol whose
drives moved the rover), ``sample_sealed`` (each tube sealed that sol) or
``tube_deposited`` (each tube dropped at the depot), optionally within
``first_sol``..``last_sol``. It names its ``cameras`` (each of
``data/instruments/cameras.toml``, on the rover), its ``pointing`` and its image size,
downlink ``priority`` (1-100, 1 first: thumbnails go first, C: docs/reference/
surface.md, Operations) and whether the full frame comes down or only its thumbnail.

Pointings: ``mount`` (where the camera's mount looks; the body Hazcams), ``heading``
(the mast along the rover's heading, tilted ``el_deg``), ``bearing`` (the mast at
``az_deg`` clockwise from north, ``el_deg`` up), ``panorama`` (``frames`` frames in
``rows`` rows over 360 deg from ``az_deg``, the rows centred on ``el_deg`` and spaced
`PANORAMA_ROW_STEP` of the vertical field), and the close-ups: ``abrasion_patch``
(WATSON over the abraded patch of a core), ``sealed_tube`` (CacheCam into the sealed
tube), ``dropped_tube`` (WATSON over a tube on the ground at the depot).

Units: sizes [px] (the height follows the camera's aspect ratio), angles [deg], LMST
[h]. Every problem is a one-line `ConfigError` naming the field (``imaging.shots.3
.width_px`` and so on), raised when the scenario loads.
"""

from __future__ import annotations

import typing
from functools import cache
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from perseverance.datafiles import DataModel, FileTuple
from perseverance.imaging.cameras import CameraCatalogue, load_cameras
from perseverance.store.schema import PRODUCT_NAME_LENGTH

__all__ = [
    "CLOSE_UPS",
    "MAX_FRAME_PX",
    "PANORAMA_ROW_STEP",
    "EdlImagery",
    "ImagingSchedule",
    "Shot",
]

#: Sol of a shot (the scenario checks it against its last sol).
_Sol = Annotated[int, Field(ge=0, le=2000)]
#: The largest frame side a shot may ask for [px] (a full 5120 x 3840 Navcam frame fits).
MAX_FRAME_PX = 8192
#: The smallest frame width [px].
MIN_FRAME_PX = 16
#: Row spacing of a panorama as a fraction of the vertical field of view (E: ~15%
#: overlap, the overlap that stitching needs).
PANORAMA_ROW_STEP = 0.85
#: The close-up pointings and the event each belongs to.
CLOSE_UPS = {
    "abrasion_patch": "sample_sealed",
    "sealed_tube": "sample_sealed",
    "dropped_tube": "tube_deposited",
}

Trigger = Literal["sol", "drive_end", "sample_sealed", "tube_deposited"]
Pointing = Literal[
    "mount", "heading", "bearing", "panorama", "abrasion_patch", "sealed_tube", "dropped_tube"
]
_MAST = ("heading", "bearing", "panorama")


@cache
def _catalogue() -> CameraCatalogue:
    return load_cameras()


class Shot(DataModel):
    """One imaging request: cameras, when, pointing, size, priority and downlink."""

    name: str = Field(min_length=1, max_length=PRODUCT_NAME_LENGTH - 16)
    on: Trigger = "sol"
    sol: _Sol | None = None
    first_sol: _Sol | None = None
    last_sol: _Sol | None = None
    cameras: Annotated[tuple[str, ...], FileTuple] = Field(min_length=1, max_length=32)
    pointing: Pointing = "mount"
    az_deg: Annotated[float, Field(ge=0.0, le=360.0)] | None = None
    el_deg: Annotated[float, Field(ge=-90.0, le=90.0)] = 0.0
    frames: Annotated[int, Field(ge=2, le=500)] | None = None
    rows: Annotated[int, Field(ge=1, le=10)] = 1
    width_px: Annotated[int, Field(ge=MIN_FRAME_PX, le=MAX_FRAME_PX)]
    priority: Annotated[int, Field(ge=1, le=100)]
    downlink: Literal["full", "thumbnail"] = "full"
    """``thumbnail``: only the thumbnail comes down (the product is the thumbnail)."""
    dust_cover: bool = False
    """Taken through the camera's translucent dust cover (the Hazcams before sol 1)."""
    lmst_hours: Annotated[float, Field(ge=0.0, lt=24.0)] = 14.0
    source: str = ""

    @field_validator("cameras")
    @classmethod
    def _known(cls, cameras: tuple[str, ...]) -> tuple[str, ...]:
        catalogue = _catalogue()
        for name in cameras:
            if name not in catalogue.cameras:
                rover = [c for c in catalogue.cameras if catalogue.mount_of(c).vehicle == "rover"]
                raise ValueError(f"unknown camera {name!r} (rover cameras: {', '.join(rover)})")
            vehicle = catalogue.mount_of(name).vehicle
            if vehicle != "rover":
                raise ValueError(f"camera {name!r} is on the {vehicle}, not the rover")
        if len(set(cameras)) != len(cameras):
            raise ValueError("a camera is named twice")
        return cameras

    @model_validator(mode="after")
    def _check(self) -> Shot:
        for problem in self._problems():
            raise ValueError(problem)
        return self

    def _problems(self) -> typing.Iterator[str]:
        catalogue = _catalogue()
        if self.on == "sol":
            if self.sol is None:
                yield "a shot on = 'sol' needs a sol"
            if self.first_sol is not None or self.last_sol is not None:
                yield "first_sol/last_sol are for shots taken on events; give sol"
        elif self.sol is not None:
            yield f"a shot on = {self.on!r} is taken after each event: give first_sol/last_sol"
        first, last = self.first_sol, self.last_sol
        if first is not None and last is not None and first > last:
            yield f"first_sol = {first} is after last_sol = {last}"
        mounts = {catalogue.mount_of(c).kind for c in self.cameras}
        if self.pointing in _MAST and mounts != {"pan_tilt"}:
            yield f"pointing = {self.pointing!r} turns the mast: every camera must be on it"
        if self.pointing not in ("bearing", "panorama") and self.az_deg is not None:
            yield f"az_deg is for pointing 'bearing' or 'panorama', not {self.pointing!r}"
        if self.pointing == "bearing" and self.az_deg is None:
            yield "pointing = 'bearing' needs az_deg (clockwise from north)"
        if self.pointing == "panorama":
            if self.frames is None:
                yield "a panorama needs frames (the number of frames in all)"
            elif self.frames % self.rows:
                yield f"frames = {self.frames} is not a whole number of rows = {self.rows}"
        elif self.frames is not None or self.rows != 1:
            yield "frames and rows are for panoramas only"
        event = CLOSE_UPS.get(self.pointing)
        if event is not None and self.on != event:
            yield f"pointing = {self.pointing!r} is taken on = {event!r}, not {self.on!r}"
        if self.pointing in ("abrasion_patch", "dropped_tube") and mounts != {"arm"}:
            yield f"pointing = {self.pointing!r} is a close-up by an arm camera (watson, aci)"
        if self.pointing == "sealed_tube" and self.cameras != ("cachecam",):
            yield "pointing = 'sealed_tube' is CacheCam's: cameras = ['cachecam']"
        for name in self.cameras:
            width = catalogue.cameras[name].width_px
            if self.width_px > width:
                yield (
                    f"width_px = {self.width_px} is beyond {name}'s {width} px "
                    f"(allowed: {MIN_FRAME_PX}..{width})"
                )

    def covers(self, sol: int) -> bool:
        """True when the shot may be taken on ``sol`` (an event shot: if its event happens)."""
        if self.on == "sol":
            return self.sol == sol
        first = self.first_sol if self.first_sol is not None else 0
        last = self.last_sol if self.last_sol is not None else sol
        return first <= sol <= last

    def height_px(self, camera: str, width_px: int | None = None) -> int:
        """The frame height [px] of ``camera`` at ``width_px`` (default the shot's)."""
        spec = _catalogue().cameras[camera]
        width = self.width_px if width_px is None else width_px
        return max(1, round(width * spec.height_px / spec.width_px))


class EdlImagery(DataModel):
    """The ``[imaging.edl]`` table: the landing's imagery made on sol 0 from the flown
    descent (`imaging.edl_imagery`): the descent video's frame width, the sky-crane
    photo's width and the HiRISE frame's side [px], and their downlink priority."""

    video_width_px: Annotated[int, Field(ge=16, le=1920)] = 320
    photo_width_px: Annotated[int, Field(ge=16, le=4096)] = 800
    hirise_size_px: Annotated[int, Field(ge=16, le=2048)] = 512
    priority: Annotated[int, Field(ge=1, le=100)] = 5


class ImagingSchedule(DataModel):
    """The scenario's ``[imaging]`` table: thumbnails' width, the shots, and the
    landing's imagery (``edl``; none when the table is absent)."""

    thumbnail_width_px: Annotated[int, Field(ge=32, le=640)] = 160
    edl: EdlImagery | None = None
    source: str = ""
    shots: Annotated[tuple[Shot, ...], FileTuple] = ()

    def on_sol(self, sol: int) -> list[tuple[int, Shot]]:
        """(index, shot) of the shots that may be taken on ``sol``, in file order."""
        return [(i, s) for i, s in enumerate(self.shots) if s.covers(sol)]

    def last_sol_problems(self, last_sol: int) -> typing.Iterator[str]:
        """What refers to sols past the scenario's ``last_sol``."""
        for i, shot in enumerate(self.shots):
            for field in ("sol", "first_sol"):
                value = getattr(shot, field)
                if value is not None and value > last_sol:
                    yield (
                        f"imaging.shots.{i}.{field} = {value} is beyond the scenario's "
                        f"last_sol = {last_sol}"
                    )

    def cut_at(self, data: dict[str, typing.Any], last_sol: int) -> dict[str, typing.Any]:
        """The schedule's data (``model_dump``) without the shots that start after
        ``last_sol`` (``--sols N``)."""
        shots = [
            s
            for s, shot in zip(data.get("shots", ()), self.shots, strict=True)
            if (shot.sol if shot.sol is not None else shot.first_sol or 0) <= last_sol
        ]
        for s in shots:
            if s.get("last_sol") is not None and s["last_sol"] > last_sol:
                s["last_sol"] = last_sol
        return {**data, "shots": shots}
