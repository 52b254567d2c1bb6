"""Data return: the bits each activity makes and what a UHF relay pass carries.

Loaded from ``data/rover/telecom.toml``; SI units (bit, bit/s). The sol planner
asks for as many relay passes as the data waiting needs, between the scenario's
``per_sol`` and ``per_sol_max``, and holds back data-heavy science while the
onboard store is full.
"""

from __future__ import annotations

import os
from typing import Annotated

from pydantic import Field

from perseverance.datafiles import DataModel, load_model

PACKAGE = "perseverance.data.rover"

Bits = Annotated[float, Field(gt=0, le=1e14)]
Rate = Annotated[float, Field(ge=0, le=1e9)]


class Relay(DataModel):
    bits_per_pass: Bits
    """What one UHF relay pass returns [bit]."""
    buffer_bits: Bits
    """Onboard store for data awaiting relay [bit]."""
    source: str = ""


class Telecom(DataModel):
    name: str = ""
    source: str = ""
    relay: Relay
    data_rate_bps: dict[str, Rate] = Field(min_length=1)
    """Data made per second of each activity kind [bit/s]."""

    def data_bits(self, kind: str, duration_s: float) -> float:
        """Bits an activity of ``kind`` makes in ``duration_s`` [s] (0 for an unlisted kind)."""
        return self.data_rate_bps.get(kind, 0.0) * duration_s


def load_telecom(name_or_path: str | os.PathLike[str] = "telecom") -> Telecom:
    """Load the shipped telecom file by name (``telecom``) or a TOML by path.

    Raises `perseverance.errors.ConfigError` with a one-line message on any problem.
    """
    return load_model(Telecom, os.fspath(name_or_path), PACKAGE, "telecom")
