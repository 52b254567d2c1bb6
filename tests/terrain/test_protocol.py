"""Every terrain class is a `Terrain`; the EDL's and the rover's are their richer kinds."""

from __future__ import annotations

import numpy as np
import pytest

from perseverance.terrain.flat import FlatTerrain
from perseverance.terrain.landing_region import LandingRegion
from perseverance.terrain.multires import MultiResolutionTerrain
from perseverance.terrain.protocol import LandingTerrain, RoverTerrain, Terrain
from perseverance.terrain.site import load_site
from perseverance.terrain.tiles import FineTerrain


@pytest.fixture(scope="module")
def terrains() -> dict[str, Terrain]:
    coarse = LandingRegion.generate(load_site("jezero"), seed=0)
    fine = FineTerrain(coarse)
    return {
        "flat": FlatTerrain(-2569.0),
        "landing_region": coarse,
        "fine": fine,
        "multires": MultiResolutionTerrain(fine, fine_radius_m=300.0),
    }


#: Which protocols each terrain satisfies, beyond `Terrain`.
KINDS = {
    "flat": (LandingTerrain,),
    "landing_region": (LandingTerrain,),
    "fine": (),
    "multires": (RoverTerrain,),
}


@pytest.mark.parametrize("name", list(KINDS))
def test_each_terrain_satisfies_its_protocols(terrains, name):
    terrain = terrains[name]
    assert isinstance(terrain, Terrain)
    for kind in (LandingTerrain, RoverTerrain):
        assert isinstance(terrain, kind) == (kind in KINDS[name]), kind.__name__


@pytest.mark.parametrize("name", list(KINDS))
def test_terrain_queries_answer_in_the_points_shape(terrains, name):
    terrain: Terrain = terrains[name]
    rng = np.random.default_rng(5)
    e, n = rng.uniform(-500.0, 500.0, (2, 3, 4))
    for query in (terrain.elevation, terrain.slope, terrain.rock_height):
        values = np.asarray(query(e, n))
        assert values.shape == (3, 4) and values.dtype == np.float64
        assert np.all(np.isfinite(values))
    assert np.all(np.asarray(terrain.slope(e, n)) >= 0.0)
    assert np.all(np.asarray(terrain.rock_height(e, n)) >= 0.0)
    hazard = np.asarray(terrain.is_hazard(e, n))
    assert hazard.shape == (3, 4) and hazard.dtype == bool


@pytest.mark.parametrize("name", ["flat", "landing_region"])
def test_landing_terrain_finds_safe_spots_near_its_floor(terrains, name):
    terrain: LandingTerrain = terrains[name]
    rng = np.random.default_rng(6)
    e, n = rng.uniform(-2000.0, 2000.0, (2, 50))
    se, sn, distance = terrain.nearest_safe(e, n)
    assert not np.any(terrain.is_hazard(se, sn))
    np.testing.assert_allclose(distance, np.hypot(se - e, sn - n))
    floor = terrain.floor_elevation_m
    assert isinstance(floor, float)
    assert np.all(np.abs(terrain.elevation(e, n) - floor) < 500.0)


def test_rover_terrain_takes_the_callers_limits_and_follows_the_focus(terrains):
    terrain: RoverTerrain = terrains["multires"]
    terrain.set_focus(100.0, 50.0)
    e, n = np.meshgrid(np.linspace(80.0, 120.0, 41), np.linspace(30.0, 70.0, 41))
    strict = terrain.is_hazard(e, n, 0.0, 0.0)
    lax = terrain.is_hazard(e, n, np.pi / 2, 100.0)
    assert strict.all() and not lax.any()
