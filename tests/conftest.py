"""Shared, expensive fixtures: the assembled EDL systems (built once per session)."""

from __future__ import annotations

import pytest

from perseverance.edl.api import fly_edl, prepare_edl


@pytest.fixture(scope="session")
def m2020():
    """The Mars 2020 system over the Jezero terrain of seed 0, targeted and referenced."""
    return prepare_edl("m2020", terrain_seed=0)


@pytest.fixture(scope="session")
def msl():
    return prepare_edl("msl")


@pytest.fixture(scope="session")
def m2020_nominal(m2020):
    """The nominal Mars 2020 trajectory with 10 Hz telemetry."""
    return fly_edl(system=m2020)
