"""The Sample Caching System's data file (``data/instruments/caching.toml``) and its loader.

The system holds 43 tubes, 38 for samples and 5 witness tubes, and lays out every
procedure as steps, each a duration [s] at a power [W]: coring, regolith, witness
exposure, the handling inside the caching assembly, and the depot drops. `Failures`
gives the per-core chances of a crumbled core and of a pebble jam.
"""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import Field, model_validator

from perseverance.datafiles import DataModel, load_model

PACKAGE = "perseverance.data.instruments"

Fraction = Annotated[float, Field(ge=0, le=1)]
Length = Annotated[float, Field(gt=0, le=100)]


class Step(DataModel):
    """One step of a procedure: ``repeats`` x ``duration_s`` [s] at ``power_w`` [W]."""

    duration_s: Annotated[float, Field(gt=0, le=86_400)]
    power_w: Annotated[float, Field(ge=0, le=2_000)]
    repeats: Annotated[int, Field(ge=1, le=100)] = 1

    @property
    def total_s(self) -> float:
        return self.duration_s * self.repeats


class Tubes(DataModel):
    total: Annotated[int, Field(ge=1, le=99)]
    sample: Annotated[int, Field(ge=0, le=99)]
    witness: Annotated[int, Field(ge=0, le=99)]
    bits: Annotated[int, Field(ge=1, le=20)]
    core_diameter_m: Annotated[float, Field(gt=0, le=0.1)]
    core_length_m: Annotated[float, Field(gt=0, le=0.5)]

    @model_validator(mode="after")
    def _sum(self) -> Self:
        if self.total != self.sample + self.witness:
            raise ValueError(
                f"total ({self.total}) must equal sample + witness ({self.sample} + {self.witness})"
            )
        return self


class Coring(DataModel):
    """Rock coring, in order; ``discard`` runs only after a jam."""

    abrasion: Step | None = None
    proximity_science: Step | None = None
    coring: Step
    percuss_to_ingest: Step | None = None
    discard: Step


class Regolith(DataModel):
    proximity_science: Step | None = None
    acquisition: Step


class Witness(DataModel):
    exposure: Step


class Handling(DataModel):
    """Inside the caching assembly, for every tube, in order."""

    volume_assessment: Step
    cachecam_image: Step
    seal: Step
    store: Step


class Failures(DataModel):
    """Per rock-core attempt; at most one failure per attempt."""

    crumble_probability: Fraction
    jam_probability: Fraction
    keep_crumbled_as_atmospheric: bool

    @model_validator(mode="after")
    def _sum(self) -> Self:
        if self.crumble_probability + self.jam_probability > 1:
            raise ValueError("crumble_probability + jam_probability must not exceed 1")
        return self


class Depot(DataModel):
    """The depot: how many tubes, the drop, and where drops lie [m] (see `rover.depot`).

    The rover drives along the depot line and stops abreast of each drop spot; the tube
    is released from ``drop_height_m`` above the ground beside the rover, a lateral
    offset in [``lateral_offset_min_m``, ``lateral_offset_max_m``] off the line, so that
    it lies outside the wheel band: the wheels run ``track_half_width_m`` either side of
    the line and are ``2 x wheel_half_width_m`` wide.
    """

    tubes: Annotated[int, Field(ge=1, le=99)]
    drop_height_m: Annotated[float, Field(gt=0, le=3)]
    spacing_min_m: Length
    spacing_max_m: Length
    lateral_offset_min_m: Length
    lateral_offset_max_m: Length
    track_half_width_m: Annotated[float, Field(gt=0, le=10)]
    wheel_half_width_m: Annotated[float, Field(gt=0, le=1)]
    drop: Step
    watson_image: Step

    @property
    def min_clearance_m(self) -> float:
        """Least gap [m] between a drop and the outer edge of the wheel band."""
        return self.lateral_offset_min_m - self.track_half_width_m - self.wheel_half_width_m

    @model_validator(mode="after")
    def _geometry(self) -> Self:
        if self.spacing_min_m > self.spacing_max_m:
            raise ValueError("spacing_min_m must not exceed spacing_max_m")
        if self.lateral_offset_min_m > self.lateral_offset_max_m:
            raise ValueError("lateral_offset_min_m must not exceed lateral_offset_max_m")
        if 2 * self.lateral_offset_max_m >= self.spacing_min_m:
            raise ValueError("2 x lateral_offset_max_m must be below spacing_min_m (for a zigzag)")
        if self.min_clearance_m <= 0:
            raise ValueError(
                f"lateral_offset_min_m ({self.lateral_offset_min_m:g}) must exceed "
                f"track_half_width_m + wheel_half_width_m ({self.track_half_width_m:g} + "
                f"{self.wheel_half_width_m:g}): a drop would lie in a wheel path"
            )
        return self


class CachingSystem(DataModel):
    """The Sample Caching System as loaded from a data file."""

    name: str
    tubes: Tubes
    coring: Coring
    regolith: Regolith
    witness: Witness
    handling: Handling
    failures: Failures
    depot: Depot


def load_caching(name: str = "caching") -> CachingSystem:
    """Load the shipped caching system by name, or a caching TOML by path.

    Raises `perseverance.errors.ConfigError` with a one-line message on any problem.
    """
    return load_model(CachingSystem, name, PACKAGE, "caching system")
