"""Shared, expensive fixtures: the assembled EDL systems (built once per session).

The EDL setup cache of the whole session (this process and the commands it starts) is a
temporary folder, never the user's: `pytest_configure` points `CACHE_ENV` at it.
"""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest

from perseverance.edl.api import fly_edl, prepare_edl
from perseverance.user_cache import CACHE_ENV

_SESSION_CACHE: list[str] = []


def pytest_configure(config: pytest.Config) -> None:
    _SESSION_CACHE.append(tempfile.mkdtemp(prefix="perseverance-test-cache-"))
    os.environ[CACHE_ENV] = _SESSION_CACHE[0]


def pytest_unconfigure(config: pytest.Config) -> None:
    for folder in _SESSION_CACHE:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def m2020():
    """The Mars 2020 system over the Jezero terrain of seed 0, targeted and referenced
    (computed, not read from the setup cache)."""
    return prepare_edl("m2020", terrain_seed=0, use_cache=False)


@pytest.fixture(scope="session")
def msl():
    return prepare_edl("msl")


@pytest.fixture(scope="session")
def m2020_nominal(m2020):
    """The nominal Mars 2020 trajectory with 10 Hz telemetry."""
    return fly_edl(system=m2020)
