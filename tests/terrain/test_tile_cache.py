"""The fine tiles' disk cache: round trip, damaged files, an unwritable folder."""

from __future__ import annotations

import numpy as np
import pytest

from perseverance.terrain.landing_region import LandingRegion
from perseverance.terrain.site import load_site
from perseverance.terrain.tile_cache import CACHE_VERSION, default_cache_dir
from perseverance.terrain.tiles import FineTerrain


@pytest.fixture(scope="module")
def coarse() -> LandingRegion:
    return LandingRegion.generate(load_site("jezero"), seed=0)


def _tile_arrays(tile):
    return (tile.elevation_halo_m, tile.rock_height_m, tile.roughness_m, tile.gradient_east)


def test_cache_round_trip(coarse, tmp_path, monkeypatch):
    first = FineTerrain(coarse, cache_dir=tmp_path)
    made = first.tile(2, 1)
    assert first.cache_dir is not None and first.cache_dir.parent == tmp_path
    assert f"seed0-v{CACHE_VERSION}" in first.cache_dir.name
    files = sorted(first.cache_dir.iterdir())
    assert [f.suffix for f in files] == [".npz"]  # no temporary file left behind

    second = FineTerrain(coarse, cache_dir=tmp_path)
    assert second.cache_dir == first.cache_dir

    def no_generation(key):
        raise AssertionError(f"tile {key} regenerated instead of read from the cache")

    monkeypatch.setattr(second, "_generate", no_generation)
    for a, b in zip(_tile_arrays(made), _tile_arrays(second.tile(2, 1)), strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("damage", ["truncate", "garbage", "empty"])
def test_corrupt_cache_file_is_regenerated(coarse, tmp_path, damage):
    first = FineTerrain(coarse, cache_dir=tmp_path)
    made = first.tile(1, 1)
    path = first.cache.path((1, 1))
    data = path.read_bytes()
    path.write_bytes(
        {"truncate": data[: len(data) // 2], "garbage": b"not a tile" * 100, "empty": b""}[damage]
    )
    second = FineTerrain(coarse, cache_dir=tmp_path)
    for a, b in zip(_tile_arrays(made), _tile_arrays(second.tile(1, 1)), strict=True):
        np.testing.assert_array_equal(a, b)
    assert path.read_bytes() == data  # overwritten with a good copy


def test_unwritable_cache_falls_back_to_memory(coarse, tmp_path):
    fine = FineTerrain(coarse)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    terrain = FineTerrain(coarse, cache_dir=blocker / "cache")  # cannot be created
    assert terrain.cache_dir is None and "cannot create" in terrain.cache_error
    assert terrain.elevation(10.0, 20.0) == fine.elevation(10.0, 20.0)

    terrain = FineTerrain(coarse, cache_dir=tmp_path / "cache")
    terrain.cache.path((0, 0)).mkdir()  # the tile's file name is taken: the write fails
    assert terrain.elevation(10.0, 20.0) == fine.elevation(10.0, 20.0)
    assert terrain.cache_dir is None and "cannot write" in terrain.cache_error


def test_default_cache_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("PERSEVERANCE_CACHE", str(tmp_path))
    assert default_cache_dir() == tmp_path / "terrain"
    monkeypatch.setenv("PERSEVERANCE_CACHE", "off")
    assert default_cache_dir() is None
    monkeypatch.delenv("PERSEVERANCE_CACHE")
    assert default_cache_dir().parts[-3:] == (".cache", "perseverance", "terrain")
