"""The multi-resolution terrain: the fine layer near the focus, the coarse map elsewhere."""

from __future__ import annotations

import numpy as np
import pytest

from perseverance.terrain.landing_region import LandingRegion
from perseverance.terrain.multires import MultiResolutionTerrain
from perseverance.terrain.site import load_site
from perseverance.terrain.tiles import FineTerrain

QUERIES = ["elevation", "slope", "rock_height", "roughness", "is_hazard"]


@pytest.fixture(scope="module")
def coarse() -> LandingRegion:
    return LandingRegion.generate(load_site("jezero"), seed=0)


@pytest.fixture(scope="module")
def fine(coarse) -> FineTerrain:
    return FineTerrain(coarse)


def test_multi_resolution_picks_the_layer(coarse, fine):
    terrain = MultiResolutionTerrain(fine, fine_radius_m=500.0)
    terrain.set_focus(1000.0, 200.0)
    near = np.array([1000.0, 1300.0]), np.array([200.0, 500.0])
    far = np.array([0.0, 1000.0]), np.array([0.0, 800.0])
    assert terrain.uses_fine(*near).all() and not terrain.uses_fine(*far).any()
    for method in QUERIES:
        np.testing.assert_array_equal(getattr(terrain, method)(*near), getattr(fine, method)(*near))
    for method in ("elevation", "slope", "rock_height"):
        np.testing.assert_array_equal(getattr(terrain, method)(*far), getattr(coarse, method)(*far))
    normal = terrain.normal(*far)
    np.testing.assert_allclose(np.arccos(normal[..., 2]), coarse.slope(*far), atol=1e-12)
    assert np.all(terrain.roughness(*far) >= 0.0)
    assert terrain.coarse is coarse and terrain.fine is fine
