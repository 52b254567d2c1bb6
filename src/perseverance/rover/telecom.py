"""Data return: the bits each activity makes, the onboard store and the downlink order.

Loaded from ``data/rover/telecom.toml``; SI units (bit, bit/s). What a relay pass
carries is computed from its geometry (`perseverance.relay.passes`); the sol planner
asks for as many of the sol's passes as the data waiting needs, between the
scenario's ``per_sol`` and ``per_sol_max``, and holds back data-heavy science that
would not fit in the onboard store.
"""

from __future__ import annotations

import os
from typing import Annotated

from pydantic import Field, model_validator

from perseverance.datafiles import DataModel, load_model

PACKAGE = "perseverance.data.rover"

Bits = Annotated[float, Field(gt=0, le=1e14)]
Rate = Annotated[float, Field(ge=0, le=1e9)]


class OnboardStoreSpec(DataModel):
    capacity_bits: Bits
    """The rover's store for data awaiting relay [bit]."""
    reserve_bits: Annotated[float, Field(ge=0, le=1e14)]
    """Kept free for the product files a sol makes besides its activities' data [bit]."""
    source: str = ""


Priority = Annotated[int, Field(ge=1, le=100)]


class DirectToEarth(DataModel):
    downlink_bps: Annotated[float, Field(gt=0, le=1e7)]
    """X-band rate through the high-gain antenna to the DSN [bit/s]."""
    min_elevation_deg: Annotated[float, Field(ge=0, lt=90)]
    """Earth's elevation in the site's sky needed for the link [deg]."""
    source: str = ""


class Downlink(DataModel):
    thumbnail_priority: Priority
    default_priority: Priority
    activity_priority: dict[str, Priority] = Field(default_factory=dict)
    """Priority (1 first) of the data each activity kind makes besides its files."""
    source: str = ""


class Telecom(DataModel):
    name: str = ""
    source: str = ""
    onboard_store: OnboardStoreSpec
    dte: DirectToEarth
    downlink: Downlink
    data_rate_bps: dict[str, Rate] = Field(min_length=1)
    """Data made per second of each activity kind [bit/s]."""

    def data_bits(self, kind: str, duration_s: float) -> float:
        """Bits an activity of ``kind`` makes in ``duration_s`` [s] (0 for an unlisted kind)."""
        return self.data_rate_bps.get(kind, 0.0) * duration_s

    def priority(self, kind: str) -> int:
        """Downlink priority (1 first) of the data an activity of ``kind`` makes."""
        return self.downlink.activity_priority.get(kind, self.downlink.default_priority)

    @model_validator(mode="after")
    def _reserve_fits(self) -> Telecom:
        if self.onboard_store.reserve_bits >= self.onboard_store.capacity_bits:
            raise ValueError(
                f"onboard_store.reserve_bits = {self.onboard_store.reserve_bits:g} must be "
                f"below capacity_bits = {self.onboard_store.capacity_bits:g}"
            )
        return self


def load_telecom(name_or_path: str | os.PathLike[str] = "telecom") -> Telecom:
    """Load the shipped telecom file by name (``telecom``) or a TOML by path.

    Raises `perseverance.errors.ConfigError` with a one-line message on any problem.
    """
    return load_model(Telecom, os.fspath(name_or_path), PACKAGE, "telecom")
