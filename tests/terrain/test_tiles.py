"""The fine terrain tiles: determinism, seams, rocks, memory, shapes."""

from __future__ import annotations

import math

import numpy as np
import pytest

from perseverance.terrain.landing_region import LandingRegion
from perseverance.terrain.multires import MultiResolutionTerrain
from perseverance.terrain.rocks import ROCK_HEIGHT_TO_DIAMETER, cumulative_fractional_area
from perseverance.terrain.site import load_site
from perseverance.terrain.tiles import FineTerrain, plane_residual_rms

#: Heights either side of a tile edge must agree this closely [m].
SEAM_M = 0.01
#: Mean of (fine - coarse) elevation over several tiles: the noise has zero mean [m].
MEAN_OFFSET_M = 0.03
#: RMS of (fine - coarse) elevation [m].
RMS_OFFSET_M = 0.5
#: Allowed relative error of the cumulative rock area against Golombek & Rapp (seeds 0-3
#: give 1-2% at 0.3 and 0.5 m over these 0.51 km^2).
ROCK_AREA_TOLERANCE = 0.10
#: The mission's memory budget [bytes].
TWO_GB = 2 * 1024**3

JEZERO = load_site("jezero")
#: Tiles on the plain east of the site, well away from the rugged unit (SW) and the
#: delta (WNW): 20 tiles of 160 m, 0.51 km^2.
FLOOR_TILES = [(i, j) for i in range(2, 7) for j in range(0, 4)]


@pytest.fixture(scope="module")
def coarse() -> LandingRegion:
    return LandingRegion.generate(JEZERO, seed=0)


@pytest.fixture(scope="module")
def fine(coarse) -> FineTerrain:
    return FineTerrain(coarse)


def _tile_arrays(tile):
    return (tile.elevation_halo_m, tile.rock_height_m, tile.roughness_m, tile.gradient_east)


# ------------------------------------------------------------------ determinism


def test_same_seed_same_tile_other_seed_other_tile(coarse, fine):
    again = FineTerrain(coarse, seed=0)
    other = FineTerrain(coarse, seed=1)
    for a, b in zip(_tile_arrays(fine.tile(3, -2)), _tile_arrays(again.tile(3, -2)), strict=True):
        np.testing.assert_array_equal(a, b)
    c = other.tile(3, -2)
    assert not np.array_equal(fine.tile(3, -2).elevation_m, c.elevation_m)
    assert not np.array_equal(fine.tile(3, -2).rock_height_m, c.rock_height_m)


def test_query_order_does_not_matter(coarse, fine):
    """Tiles made in another order, evicted and remade, answer the same, bit for bit."""
    keys = [(-1, -1), (0, -1), (-1, 0), (0, 0)]
    rng = np.random.default_rng(4)
    e = rng.uniform(-150.0, 150.0, 400)
    n = rng.uniform(-150.0, 150.0, 400)
    reference = [fine.tile(*key) for key in keys]
    expected = fine.elevation(e, n), fine.rock_height(e, n), fine.roughness(e, n)
    small = FineTerrain(coarse, max_tiles=1)  # every new tile evicts the last
    for key, tile in zip(keys[::-1], reference[::-1], strict=True):
        for a, b in zip(_tile_arrays(small.tile(*key)), _tile_arrays(tile), strict=True):
            np.testing.assert_array_equal(a, b)
    for method, values in zip(("elevation", "rock_height", "roughness"), expected, strict=True):
        np.testing.assert_array_equal(getattr(small, method)(e[::-1], n[::-1])[::-1], values)
    assert small.tiles_in_memory == 1


# ------------------------------------------------------------------ seams and levels


def test_heights_continuous_across_tile_edges(fine):
    east_edge = fine.grid.origin_east_m + fine.grid.tile_m  # between tiles (0, j) and (1, j)
    north_edge = fine.grid.origin_north_m + fine.grid.tile_m  # between tiles (i, 0) and (i, 1)
    grid = fine.grid
    along = np.linspace(grid.origin_north_m + 0.1, grid.origin_north_m + 2 * grid.tile_m, 500)
    tiny = 1e-6
    for e_lo, e_hi, n_lo, n_hi in [
        (east_edge - tiny, east_edge + tiny, along, along),
        (along - 200.0, along - 200.0, north_edge - tiny, north_edge + tiny),
    ]:
        step = fine.elevation(e_hi, n_hi) - fine.elevation(e_lo, n_lo)
        assert np.max(np.abs(step)) < SEAM_M
        normal_step = fine.normal(e_hi, n_hi) - fine.normal(e_lo, n_lo)
        assert np.max(np.abs(normal_step)) < 1e-3
    # The halos hold the neighbours' cells exactly.
    west, east = fine.tile(0, 0), fine.tile(1, 0)
    np.testing.assert_allclose(
        west.elevation_halo_m[:, -4:], east.elevation_halo_m[:, :4], atol=1e-9
    )


def test_rocks_overhanging_a_tile_edge_appear_in_the_neighbour(fine):
    """A rock centred in tile (0, 0) whose disc crosses into (1, 0) is drawn there too."""
    e, n, d = fine.tile_rocks(0, 0)
    edge = fine.grid.origin_east_m + fine.grid.tile_m
    south = fine.grid.origin_north_m
    crossing = (e + d / 2 > edge + 0.01) & (n - d / 2 > south + 0.01) & (n + d / 2 < edge - 5)
    assert crossing.sum() > 10
    heights = fine.rock_height(np.full(crossing.sum(), edge + 0.005), n[crossing])
    assert np.all(heights >= np.float32(ROCK_HEIGHT_TO_DIAMETER * d[crossing]) - 1e-6)


def test_fine_elevation_follows_the_coarse_map(coarse, fine):
    diffs = []
    for i, j in FLOOR_TILES[:6]:
        tile = fine.tile(i, j)
        base = coarse.elevation(tile.east_m[None, :], tile.north_m[:, None])
        diffs.append(tile.elevation_m - base)
    diff = np.concatenate([d.ravel() for d in diffs])
    assert abs(np.mean(diff)) < MEAN_OFFSET_M
    rms = float(np.sqrt(np.mean(diff * diff)))
    assert 0.02 < rms < RMS_OFFSET_M, f"fine - coarse RMS {rms:.3f} m"


# ------------------------------------------------------------------ rocks


def test_rock_area_matches_golombek_rapp(fine):
    """Cumulative area of the rocks >= D over 0.51 km^2 of floor, against k exp(-q D)."""
    k = JEZERO.rocks.rock_abundance_k
    diameters = np.concatenate([fine.tile_rocks(i, j)[2] for i, j in FLOOR_TILES])
    area = len(FLOOR_TILES) * fine.grid.tile_m**2
    for d in (0.3, 0.5):
        measured = np.sum(np.pi / 4 * diameters[diameters >= d] ** 2) / area
        expected = float(cumulative_fractional_area(d, k))
        assert measured == pytest.approx(expected, rel=ROCK_AREA_TOLERANCE), (
            f"F({d} m): {measured:.5f} generated, {expected:.5f} Golombek & Rapp"
        )


def test_tallest_rock_of_each_coarse_cell_is_the_coarse_map_s(coarse, fine):
    e, n, d = fine.tile_rocks(2, 1)
    row = np.rint((n - coarse.north_m[0]) / coarse.resolution_m).astype(int)
    col = np.rint((e - coarse.east_m[0]) / coarse.resolution_m).astype(int)
    cell = row * coarse.shape[1] + col
    tallest = np.zeros(coarse.shape).ravel()
    np.maximum.at(tallest, cell, d)
    cells = np.unique(cell)
    expected = coarse.rock_height_m.ravel()[cells] / ROCK_HEIGHT_TO_DIAMETER
    np.testing.assert_allclose(tallest[cells], expected, rtol=1e-12)


def test_rock_raster_holds_every_rock(fine):
    tile = fine.tile(2, 1)
    e, n, d = fine.tile_rocks(2, 1)
    heights = fine.rock_height(e, n)
    assert np.all(heights >= np.float32(ROCK_HEIGHT_TO_DIAMETER * d) - 1e-6)
    assert tile.rock_height_m.max() <= ROCK_HEIGHT_TO_DIAMETER * d.max() + 1e-6
    assert 0.2 < np.mean(tile.rock_height_m > 0) < 1.0


# ------------------------------------------------------------------ memory


def test_memory_bounded_over_a_3_km_drive(coarse):
    """A 3 km drive touching ~40 tiles keeps at most `max_tiles` of them in memory."""
    max_tiles = 8
    terrain = MultiResolutionTerrain(FineTerrain(coarse, max_tiles=max_tiles))
    bearing = math.radians(70.0)
    patch = np.linspace(-40.0, 40.0, 9)
    peak = 0
    touched = set()
    for s in np.arange(0.0, 3000.0, 25.0):
        e, n = s * math.sin(bearing), 200.0 * math.sin(s / 300.0) + s * math.cos(bearing)
        terrain.set_focus(e, n)
        i, j = terrain.fine.tile_index(e + patch[[0, -1, 0, -1]], n + patch[[0, 0, -1, -1]])
        touched.update(zip(i.tolist(), j.tolist(), strict=True))
        terrain.elevation(e + patch[:, None], n + patch[None, :])
        terrain.is_hazard(e + patch, n)
        peak = max(peak, terrain.memory_bytes())
        assert terrain.fine.tiles_in_memory <= max_tiles
    per_tile = terrain.fine.tile(0, 0).nbytes
    full_lru = 64 * per_tile / 1e6
    message = (
        f"{len(touched)} tiles touched; peak {peak / 1e6:.1f} MB of tiles "
        f"for max_tiles={max_tiles} "
        f"({per_tile / 1e6:.2f} MB a tile; the default 64 tiles: {full_lru:.0f} MB)"
    )
    assert len(touched) > 3 * max_tiles, message
    assert peak <= max_tiles * per_tile * 1.2, message
    assert 64 * per_tile < TWO_GB / 20, message


# ------------------------------------------------------------------ queries


QUERIES = ["elevation", "slope", "rock_height", "roughness", "is_hazard"]


@pytest.mark.parametrize("method", [*QUERIES, "normal"])
@pytest.mark.parametrize("shape", [(), (7,), (3, 4)])
@pytest.mark.parametrize("layer", ["fine", "multi"])
def test_query_shapes(coarse, fine, method, shape, layer):
    terrain = fine if layer == "fine" else MultiResolutionTerrain(fine, fine_radius_m=300.0)
    rng = np.random.default_rng(1)
    e = rng.uniform(-600.0, 600.0, shape)  # some beyond the fine radius
    n = rng.uniform(-600.0, 600.0, shape)
    out = getattr(terrain, method)(e, n)
    assert np.shape(out) == ((*shape, 3) if method == "normal" else shape)
    assert np.all(np.isfinite(out))
    if method == "is_hazard":
        assert np.asarray(out).dtype == bool


def test_normals_are_unit_and_match_the_slope(fine):
    e, n = np.meshgrid(np.linspace(-50.0, 250.0, 40), np.linspace(-60.0, 90.0, 30))
    normal = fine.normal(e, n)
    np.testing.assert_allclose(np.linalg.norm(normal, axis=-1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(np.arccos(normal[..., 2]), fine.slope(e, n), atol=1e-9)
    assert np.all(normal[..., 2] > 0.0)


def test_is_hazard_is_slope_or_rock(fine):
    e, n = np.meshgrid(np.linspace(0.0, 150.0, 151), np.linspace(0.0, 30.0, 31))
    hazard = fine.is_hazard(e, n, max_slope_rad=0.05, max_rock_m=0.2)
    expected = (fine.slope(e, n) > 0.05) | (fine.rock_height(e, n) > 0.2)
    np.testing.assert_array_equal(hazard, expected)
    assert 0.0 < hazard.mean() < 1.0
    limits = JEZERO.hazard
    np.testing.assert_array_equal(
        fine.is_hazard(e, n), fine.is_hazard(e, n, limits.max_slope_rad, limits.max_rock_height_m)
    )


def test_roughness_ignores_a_plane():
    e, n = np.meshgrid(np.arange(12.0), np.arange(9.0))
    np.testing.assert_allclose(plane_residual_rms(0.3 * e - 0.2 * n + 5.0), 0.0, atol=1e-12)
    bumpy = np.zeros((5, 5))
    bumpy[2, 2] = 0.9
    # About the plane through the mean: residuals 0.8 and eight of -0.1.
    assert plane_residual_rms(bumpy)[1, 1] == pytest.approx(math.sqrt(0.72 / 9))


def test_fine_roughness_is_centimetres(fine):
    tile = fine.tile(3, 2)
    assert 0.002 < float(np.mean(tile.roughness_m)) < 0.05


def test_outside_the_coarse_map_answers_from_it(coarse, fine):
    e, n = np.array([8200.0, -9000.0, 0.0]), np.array([0.0, 100.0, 12_000.0])
    np.testing.assert_array_equal(fine.elevation(e, n), coarse.elevation(e, n))
    np.testing.assert_array_equal(fine.normal(e, n), np.tile([0.0, 0.0, 1.0], (3, 1)))
    for method in ("slope", "rock_height", "roughness"):
        np.testing.assert_array_equal(getattr(fine, method)(e, n), 0.0)
    assert not np.any(fine.is_hazard(e, n))
    assert np.isnan(fine.elevation(np.nan, 0.0))


def test_bad_tiling_is_refused(coarse):
    with pytest.raises(ValueError, match="tile_m / coarse cell size must be a whole number"):
        FineTerrain(coarse, tile_m=128.0)
    with pytest.raises(ValueError, match="coarse cell size / resolution_m"):
        FineTerrain(coarse, resolution_m=3.0)
