"""The procedural landing region: determinism, the reference landforms, rocks, queries."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from perseverance.terrain.landing_region import LandingRegion
from perseverance.terrain.rocks import ROCK_HEIGHT_TO_DIAMETER, cumulative_fractional_area
from perseverance.terrain.site import Site, load_site

#: The floor near the landing site must sit this close to the site's floor elevation [m].
FLOOR_TOLERANCE_M = 20.0
#: Allowed relative error of the grid's cumulative rock area against Golombek & Rapp.
ROCK_AREA_TOLERANCE = 0.15

JEZERO = load_site("jezero")


def _small(site: Site, half_width_m: float = 1500.0) -> Site:
    region = site.region.model_copy(update={"half_width_m": half_width_m})
    return site.model_copy(update={"region": region})


@pytest.fixture(scope="module", params=[0, 1, 2], ids=lambda seed: f"seed{seed}")
def seeded(request) -> LandingRegion:
    """The full Jezero map for a few seeds (each built once per module)."""
    return LandingRegion.generate(JEZERO, seed=request.param)


@pytest.fixture(scope="module")
def region() -> LandingRegion:
    return LandingRegion.generate(JEZERO, seed=0)


@pytest.fixture(scope="module")
def small() -> LandingRegion:
    return LandingRegion.generate(_small(JEZERO), seed=5)


def _along(bearing_deg: float, distance_m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    b = math.radians(bearing_deg)
    return distance_m * math.sin(b), distance_m * math.cos(b)


# ------------------------------------------------------------------ the grid


def test_grid_layout(region):
    n = 2 * 800 + 1
    assert region.shape == (n, n)
    assert region.east_m[0] == -8000.0 and region.east_m[-1] == 8000.0
    assert region.east_m[800] == 0.0 and region.north_m[800] == 0.0
    assert region.resolution_m == 10.0
    for grid in (region.elevation_m, region.slope_rad, region.rock_height_m, region.hazard):
        assert grid.shape == region.shape
        assert not grid.flags.writeable
    np.testing.assert_array_equal(region.safe, ~region.hazard)
    assert np.all(np.isfinite(region.elevation_m))
    assert repr(region).startswith("LandingRegion('Jezero crater")


def test_same_seed_same_grid_other_seed_other_grid():
    site = _small(JEZERO, 1000.0)
    a = LandingRegion.generate(site, seed=11)
    b = LandingRegion.generate(site, seed=11)
    c = LandingRegion.generate(site, seed=12)
    for name in ("elevation_m", "rock_height_m", "hazard"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert not np.array_equal(a.elevation_m, c.elevation_m)
    assert not np.array_equal(a.rock_height_m, c.rock_height_m)


# ------------------------------------------------------------------ landforms


def test_floor_near_the_site(seeded):
    r = seeded
    e, n = np.meshgrid(np.linspace(-300, 300, 31), np.linspace(-300, 300, 31))
    floor = JEZERO.landing_site.floor_elevation_m
    assert np.median(r.elevation(e, n)) == pytest.approx(floor, abs=FLOOR_TOLERANCE_M)


def test_delta_scarp_west_north_west(seeded):
    r = seeded
    delta = JEZERO.delta
    site_level = np.median(r.elevation(*np.meshgrid(np.arange(-200, 201, 20.0), [0.0])))
    # Beyond the scarp: 2.25 km plus the slope and three times the front's wander.
    beyond = delta.distance_m + delta.width_m + 3.0 * delta.front_wander_m + 200.0
    for bearing in (delta.bearing_deg - 10.0, delta.bearing_deg, delta.bearing_deg + 10.0):
        top = np.median(r.elevation(*_along(bearing, np.linspace(beyond, beyond + 500, 26))))
        assert top - site_level >= delta.height_m / 2.0
    # ... and the site side of the scarp is still floor.
    short = delta.distance_m - 3.0 * delta.front_wander_m - delta.width_m
    low = np.median(r.elevation(*_along(delta.bearing_deg, np.linspace(300, short, 30))))
    assert low - site_level < delta.height_m / 4.0


def test_rugged_unit_is_rougher_and_rockier(region):
    unit = JEZERO.rugged_unit
    ce, cn = _along(unit.bearing_deg, np.array(unit.distance_m))
    e, n = np.meshgrid(region.east_m, region.north_m, sparse=True)
    r = np.hypot(e - ce, n - cn)
    inside = r < 0.8 * unit.radius_m
    floor = (r > 1.3 * unit.radius_m) & (np.hypot(e, n) < 1500.0)
    assert np.mean(region.slope_rad[inside]) > 2.0 * np.mean(region.slope_rad[floor])
    assert np.mean(region.rock_height_m[inside]) > np.mean(region.rock_height_m[floor])
    assert np.mean(region.hazard[inside]) > np.mean(region.hazard[floor])


def test_craters_make_some_steep_cells(region):
    steep = region.slope_rad > JEZERO.hazard.max_slope_rad
    assert 0.005 < np.mean(steep) < 0.2


# ------------------------------------------------------------------ rocks


def _floor_cells(region: LandingRegion) -> np.ndarray:
    unit = JEZERO.rugged_unit
    ce, cn = _along(unit.bearing_deg, np.array(unit.distance_m))
    e, n = np.meshgrid(region.east_m, region.north_m, sparse=True)
    return np.hypot(e - ce, n - cn) > 1.2 * unit.radius_m


@pytest.mark.parametrize("diameter_m", [1.0, 1.5])
def test_grid_rock_area_matches_golombek_rapp(region, diameter_m):
    """Cumulative area of the rocks >= D over the floor cells against k exp(-q D).

    The grid keeps only the tallest rock per cell, so this holds where two rocks >= D
    in one cell are rare: A N(D) is 0.04 at 1.0 m and 0.002 at 1.5 m (k = 0.05), a bias
    of about half that, well inside the tolerance.
    """
    k = JEZERO.rocks.rock_abundance_k
    diameter = region.rock_height_m[_floor_cells(region)] / ROCK_HEIGHT_TO_DIAMETER
    area = diameter.size * region.resolution_m**2
    sampled = np.sum(np.pi / 4.0 * diameter[diameter >= diameter_m] ** 2) / area
    assert sampled == pytest.approx(
        cumulative_fractional_area(diameter_m, k), rel=ROCK_AREA_TOLERANCE
    )


def test_rock_heights_are_half_diameters(region):
    assert np.all(region.rock_height_m >= 0.0)
    assert region.rock_height_m.max() < 10.0
    assert np.any(region.rock_height_m > JEZERO.hazard.max_rock_height_m)


# ------------------------------------------------------------------ hazards


def test_hazard_is_dilated_core(small):
    limits = small.site.hazard
    core = (small.slope_rad > limits.max_slope_rad) | (
        small.rock_height_m > limits.max_rock_height_m
    )
    assert np.all(small.hazard[core])
    assert small.hazard.sum() > core.sum()  # the footprint grows every hazard
    # 2.5 m at 10 m cells dilates by one cell, four-connected.
    below_is_clear = np.zeros_like(core)
    below_is_clear[1:] = core[1:] & ~core[:-1]
    r, c = np.argwhere(below_is_clear)[0]
    assert small.hazard[r - 1, c]


def test_safe_fraction_is_plausible(region):
    assert 0.6 < region.safe_fraction < 0.97


# ------------------------------------------------------------------ queries


QUERIES = ["elevation", "slope", "rock_height", "is_hazard", "contains"]


@pytest.mark.parametrize("method", QUERIES)
@pytest.mark.parametrize("shape", [(), (7,), (3, 4)])
def test_query_shapes(small, method, shape):
    rng = np.random.default_rng(1)
    e = rng.uniform(-2000, 2000, shape)
    n = rng.uniform(-2000, 2000, shape)
    out = getattr(small, method)(e if shape else float(e), n if shape else float(n))
    assert np.shape(out) == shape
    if not shape:
        assert np.ndim(out) == 0 and not isinstance(out, np.ndarray)


@pytest.mark.parametrize("shape", [(), (7,), (3, 4)])
def test_nearest_safe_shapes(small, shape):
    rng = np.random.default_rng(2)
    e = rng.uniform(-2000, 2000, shape)
    n = rng.uniform(-2000, 2000, shape)
    for out in small.nearest_safe(e, n):
        assert np.shape(out) == shape


def test_queries_hit_the_grid_at_cell_centres(small):
    i, j = 40, 77
    e, n = small.east_m[j], small.north_m[i]
    assert small.elevation(e, n) == pytest.approx(small.elevation_m[i, j])
    assert small.slope(e, n) == pytest.approx(small.slope_rad[i, j])
    assert small.rock_height(e + 4.0, n - 4.0) == small.rock_height_m[i, j]
    assert small.is_hazard(e - 4.0, n + 4.0) == small.hazard[i, j]


def test_bilinear_between_cells(small):
    i, j = 10, 20
    e = small.east_m[j] + 0.25 * small.resolution_m
    z = small.elevation_m
    expected = 0.75 * z[i, j] + 0.25 * z[i, j + 1]
    assert small.elevation(e, small.north_m[i]) == pytest.approx(expected)


def test_outside_the_map(small):
    floor = small.site.landing_site.floor_elevation_m
    far = np.array([1e5, -1e6, np.inf])
    np.testing.assert_allclose(small.elevation(far, 0.0), floor)
    edge_e = small.east_m[-1] + 0.5 * small.resolution_m
    inside = small.elevation(edge_e - 1e-6, 100.0)
    assert small.elevation(edge_e + 1e-3, 100.0) == pytest.approx(inside, abs=1e-3)
    assert not np.any(np.isnan(small.elevation(np.linspace(-1e4, 1e4, 999), 3e3)))
    assert small.slope(1e5, 0.0) == 0.0
    assert small.rock_height(1e5, 0.0) == 0.0
    assert not small.is_hazard(1e5, 0.0)  # the far field is flat floor ...
    assert small.is_hazard(1e5, 0.0, outside=True)  # ... or, on request, not certified safe
    assert not small.contains(1e5, 0.0) and small.contains(0.0, 0.0)


def test_hillshade_range(small):
    shade = small.hillshade()
    assert shade.shape == small.shape
    assert shade.min() >= 0.0 and shade.max() <= 1.0


# ------------------------------------------------------------------ nearest safe


half = 1500.0
inside = st.floats(-half, half, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(east=inside, north=inside)
def test_nearest_safe_lands_on_a_safe_cell(small, east, north):
    se, sn, dist = small.nearest_safe(east, north)
    assert not small.is_hazard(se, sn)
    assert dist == pytest.approx(math.hypot(se - east, sn - north))
    if not small.is_hazard(east, north):  # identity on safe cells
        assert (se, sn, dist) == (east, north, 0.0)


@settings(max_examples=50, deadline=None)
@given(east=inside, north=inside)
def test_nearest_safe_is_nearest(small, east, north):
    """Against brute force over every safe cell, from the query's cell centre."""
    j = int(np.argmin(np.abs(small.east_m - east)))
    i = int(np.argmin(np.abs(small.north_m - north)))
    ce, cn = small.east_m[j], small.north_m[i]
    se, sn, _ = small.nearest_safe(ce, cn)
    rows, cols = np.nonzero(small.safe)
    best = np.min(np.hypot(small.east_m[cols] - ce, small.north_m[rows] - cn))
    assert math.hypot(se - ce, sn - cn) == pytest.approx(best)


def test_nearest_safe_outside_the_map(small):
    se, sn, dist = small.nearest_safe(5000.0, 0.0)
    assert small.contains(se, sn) and not small.is_hazard(se, sn)
    assert dist >= 5000.0 - half - small.resolution_m


def test_nearest_safe_with_no_safe_cell():
    hostile = JEZERO.hazard.model_copy(update={"max_rock_height_m": 1e-6})
    site = _small(JEZERO, 300.0).model_copy(update={"hazard": hostile})
    r = LandingRegion.generate(site, seed=0)
    assert r.safe_fraction == 0.0
    se, sn, dist = r.nearest_safe([0.0, 10.0], [0.0, 0.0])
    assert np.all(np.isnan(se)) and np.all(np.isnan(sn)) and np.all(np.isinf(dist))
