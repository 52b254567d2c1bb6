"""perseverance.imaging.render: hit distances, shadows, sky, night and haze against geometry."""

from __future__ import annotations

import math

import numpy as np
import pytest
from PIL import Image

from perseverance.imaging import render as render_module
from perseverance.imaging.heightfield import HeightField
from perseverance.imaging.render import render, save_png, to_counts, to_mono


def _direction(azimuth_deg: np.ndarray, elevation_deg: np.ndarray) -> np.ndarray:
    """Unit ENU vectors from azimuth (clockwise from north) and elevation [deg]."""
    az, el = np.radians(azimuth_deg), np.radians(elevation_deg)
    return np.stack([np.cos(el) * np.sin(az), np.cos(el) * np.cos(az), np.sin(el)], axis=-1)


def _flat(half_width_m: float, cell_m: float) -> HeightField:
    axis = np.arange(-half_width_m, half_width_m + cell_m / 2, cell_m)
    return HeightField(axis, axis, np.zeros((axis.size, axis.size)))


SUN_HIGH = _direction(np.array(62.0), np.array(30.0))


def test_flat_plane_hit_distance_is_height_over_sine_of_depression():
    field = _flat(1000.0, 10.0)
    rng = np.random.default_rng(1)
    n = 500
    depression = rng.uniform(1.0, 89.0, n)
    directions = _direction(rng.uniform(0.0, 360.0, n), -depression)
    height = 2.0
    origins = np.column_stack([rng.uniform(-50.0, 50.0, (n, 2)), np.full(n, height)])
    frame = render(field, origins, directions, SUN_HIGH)
    expected = height / np.sin(np.radians(depression))
    assert frame.hit.all()
    np.testing.assert_allclose(frame.depth_m, expected, rtol=0.005)


def test_on_a_curved_plain_the_ground_is_met_as_on_a_sphere_and_the_horizon_dips():
    radius = 3_396_190.0
    axis = np.arange(-8000.0, 8001.0, 10.0)
    field = HeightField(axis, axis, np.zeros((axis.size, axis.size)), planet_radius_m=radius)
    height = 2.0
    dip = math.acos(radius / (radius + height))  # the horizon's depression, exact
    depression = dip * np.array([1.1, 1.5, 3.0, 10.0])
    directions = _direction(np.full(4, 30.0), -np.degrees(depression))
    origins = np.tile([0.0, 0.0, height], (4, 1))
    frame = render(field, origins, directions, SUN_HIGH)
    # Where a ray from radius R + h, depressed by delta, meets the sphere of radius R.
    r0 = radius + height
    expected = r0 * np.sin(depression) - np.sqrt(radius**2 - (r0 * np.cos(depression)) ** 2)
    np.testing.assert_allclose(frame.depth_m, expected, rtol=0.005)
    level_and_above_the_dip = _direction(np.array([30.0, 30.0]), -np.degrees([0.0, 0.9 * dip]))
    assert not render(field, origins[:2], level_and_above_the_dip, SUN_HIGH).hit.any()


def test_nadir_rays_on_cell_faces_with_rounding_size_components_hit():
    field = _flat(100.0, 10.0)
    faces = np.arange(-100.0, 101.0, 10.0)
    east, north = np.meshgrid(faces, faces)
    origins = np.column_stack([east.ravel(), north.ravel(), np.full(east.size, 3.0)])
    down = np.tile([-1e-17, -3e-9, -1.0], (east.size, 1))
    frame = render(field, origins, down, SUN_HIGH)
    np.testing.assert_allclose(frame.depth_m, 3.0, rtol=1e-9)


def test_pillar_shadow_falls_away_from_the_sun():
    cell = 1.0
    axis = np.arange(-100.0, 100.5, cell)
    height = np.zeros((axis.size, axis.size))
    pillar = 20.0
    near = np.abs(axis) <= 1.0
    height[np.ix_(near, near)] = pillar
    field = HeightField(axis, axis, height)
    sun_az, sun_el = 62.0, 30.0
    centres = axis[:-1] + cell / 2
    east, north = np.meshgrid(centres, centres)
    origins = np.column_stack([east.ravel(), north.ravel(), np.full(east.size, 100.0)])
    down = np.tile([0.0, 0.0, -1.0], (east.size, 1))
    frame = render(field, origins, down, _direction(np.array(sun_az), np.array(sun_el)))
    mono = to_mono(frame.rgb)
    distance = np.hypot(origins[:, 0], origins[:, 1])
    ground = frame.hit & (distance > 3.0)
    lit_level = np.median(mono[ground])
    shadow = ground & (mono < 0.5 * lit_level)
    assert shadow.sum() > 20
    bearing = math.degrees(math.atan2(origins[shadow, 0].mean(), origins[shadow, 1].mean()))
    assert bearing % 360.0 == pytest.approx((sun_az + 180.0) % 360.0, abs=2.0)
    # The tip lies a pillar height over tan(elevation) beyond the pillar (its 1-2 m flank).
    length = pillar / math.tan(math.radians(sun_el))
    assert length < distance[shadow].max() < length + 3.0


def test_rays_looking_up_see_only_sky():
    field = _flat(500.0, 10.0)
    n = 200
    rng = np.random.default_rng(2)
    up = _direction(rng.uniform(0.0, 360.0, n), rng.uniform(0.5, 90.0, n))
    origins = np.tile([0.0, 0.0, 2.0], (n, 1))
    frame = render(field, origins, up, SUN_HIGH)
    assert not frame.hit.any()
    assert np.isinf(frame.depth_m).all()
    # The sky depends only on the direction: the same rays from far outside the map agree.
    outside = render(field, origins + np.array([0.0, 0.0, 1e5]), up, SUN_HIGH)
    np.testing.assert_array_equal(frame.rgb, outside.rgb)
    assert (to_mono(frame.rgb) > 0.0).all()


def test_sky_is_brightest_toward_the_sun():
    field = _flat(500.0, 10.0)
    az, el = np.meshgrid(np.arange(0.0, 360.0, 2.0), np.arange(1.0, 90.0, 2.0))
    directions = _direction(az.ravel(), el.ravel())
    sun = _direction(np.array(151.0), np.array(41.0))
    origins = np.tile([0.0, 0.0, 2.0], (directions.shape[0], 1))
    frame = render(field, origins, directions, sun, exposure=0.3)
    brightness = to_mono(frame.rgb)
    assert brightness.max() < 1.0  # nothing clipped
    brightest = directions[np.argmax(brightness)]
    assert math.degrees(math.acos(brightest @ sun)) < 2.0
    angle = np.arccos(np.clip(directions @ sun, -1.0, 1.0))
    order = np.argsort(angle)
    assert (np.diff(brightness[order]) <= 1e-12).all()


def test_night_frame_is_dark():
    axis = np.arange(-500.0, 501.0, 10.0)
    east, north = np.meshgrid(axis, axis)
    field = HeightField(axis, axis, 5.0 * np.sin(east / 90.0) * np.cos(north / 70.0))
    az, el = np.meshgrid(np.linspace(0.0, 90.0, 40), np.linspace(-40.0, 30.0, 30))
    directions = _direction(az.ravel(), el.ravel())
    origins = np.tile([0.0, 0.0, 8.0], (directions.shape[0], 1))
    below = _direction(np.array(250.0), np.array(-12.0))
    frame = render(field, origins, directions, below)
    assert frame.hit.any() and not frame.hit.all()
    assert frame.rgb.max() == 0.0


def test_haze_draws_far_ground_toward_the_sky_colour():
    field = _flat(8000.0, 100.0)
    height = 2.0
    near_far = np.array([0.5 * height, 5000.0])  # ground distances [m]
    depression = np.degrees(np.arctan2(height, near_far))
    directions = _direction(np.array([90.0, 90.0]), -depression)
    origins = np.tile([0.0, 0.0, height], (2, 1))
    frame = render(field, origins, directions, SUN_HIGH, tau=0.8)
    # The sky colour of the same two directions: rays that start east of the map, leaving it.
    sky = render(field, origins + np.array([20_000.0, 0.0, 0.0]), directions, SUN_HIGH, tau=0.8)
    assert frame.hit.all() and not sky.hit.any()
    gap = np.linalg.norm(frame.rgb - sky.rgb, axis=1)
    assert gap[1] < 0.8 * gap[0]
    # Without dust, no haze: the flat, evenly lit ground looks the same near and far.
    clear = render(field, origins, directions, SUN_HIGH, tau=0.0)
    np.testing.assert_allclose(clear.rgb[0], clear.rgb[1], rtol=1e-9)


def test_blocks_and_threads_give_the_same_frame(monkeypatch):
    axis = np.arange(-300.0, 301.0, 5.0)
    east, north = np.meshgrid(axis, axis)
    field = HeightField(axis, axis, 3.0 * np.sin(east / 40.0) * np.cos(north / 25.0))
    az, el = np.meshgrid(np.linspace(0.0, 120.0, 50), np.linspace(-30.0, 10.0, 40))
    directions = _direction(az, el)
    origins = np.broadcast_to([1.0, -2.0, 5.0], directions.shape)
    whole = render(field, origins, directions, SUN_HIGH)
    monkeypatch.setattr(render_module, "_CHUNK", 97)
    blocks = render(field, origins, directions, SUN_HIGH, workers=2)
    assert whole.rgb.shape == (40, 50, 3) and whole.depth_m.shape == (40, 50)
    assert 0.0 < whole.hit.mean() < 1.0
    np.testing.assert_array_equal(whole.rgb, blocks.rgb)
    np.testing.assert_array_equal(whole.depth_m, blocks.depth_m)


def test_counts_and_png(tmp_path):
    image = np.linspace(0.0, 1.0, 4096).reshape(64, 64)
    counts = to_counts(image, 12)
    assert counts.dtype == np.uint16 and counts.max() == 4095 and counts.min() == 0
    assert to_counts(image, 8).dtype == np.uint8
    save_png(tmp_path / "mono12.png", image, bits=12)
    back = np.asarray(Image.open(tmp_path / "mono12.png"))
    np.testing.assert_array_equal(back >> 4, counts)
    rgb = np.stack([image, 1.0 - image, 0.5 * image], axis=-1)
    save_png(tmp_path / "rgb.png", rgb)
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "rgb.png")), to_counts(rgb))
    with pytest.raises(ValueError, match="8 bits"):
        save_png(tmp_path / "rgb12.png", rgb, bits=12)


def test_the_bayer_mosaic_samples_one_colour_per_pixel_and_demosaics_back():
    from perseverance.imaging.render import demosaic, to_bayer

    rng = np.random.default_rng(3)
    rgb = rng.uniform(0.0, 1.0, (6, 8, 3))
    mosaic = to_bayer(rgb)
    assert mosaic[0, 0] == rgb[0, 0, 0] and mosaic[1, 1] == rgb[1, 1, 2]
    assert mosaic[0, 1] == rgb[0, 1, 1] and mosaic[1, 0] == rgb[1, 0, 1]
    flat = np.broadcast_to([0.7, 0.4, 0.2], (6, 8, 3))
    np.testing.assert_allclose(demosaic(to_bayer(flat)), flat, atol=1e-12)
    # A smooth ramp comes back within a fraction of its step.
    ramp = np.broadcast_to(np.linspace(0.0, 1.0, 8)[None, :, None], (6, 8, 3))
    np.testing.assert_allclose(demosaic(to_bayer(ramp))[:, 1:-1], ramp[:, 1:-1], atol=1e-9)
    with pytest.raises(ValueError, match="H, W, 3"):
        to_bayer(rgb[..., 0])
