"""perseverance.imaging.scene: nearest surfaces over fields and shapes, shadows, dust clouds."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pytest

from perseverance.imaging.camera_model import PinholeCamera, rays
from perseverance.imaging.cameras import load_cameras
from perseverance.imaging.heightfield import HeightField
from perseverance.imaging.mounts import VehiclePose, camera_pose
from perseverance.imaging.render import render
from perseverance.imaging.scene import GROUND, SKY, DustCloud, Scene, site_scene


@dataclass(frozen=True)
class _Hits:
    t: np.ndarray
    normal: np.ndarray
    albedo: np.ndarray


@dataclass(frozen=True)
class _Ball:
    """A white sphere, written here from the textbook formula (independent of shapes.py)."""

    centre: tuple[float, float, float]
    radius: float

    def intersect(self, origins: np.ndarray, directions: np.ndarray) -> _Hits:
        oc = origins - np.asarray(self.centre)
        b = np.einsum("ij,ij->i", oc, directions)
        c = np.einsum("ij,ij->i", oc, oc) - self.radius**2
        disc = b * b - c
        t = np.where(disc >= 0.0, -b - np.sqrt(np.maximum(disc, 0.0)), np.inf)
        t = np.where(t > 0.0, t, np.inf)
        points = origins + np.where(np.isfinite(t), t, 0.0)[:, None] * directions
        normal = (points - np.asarray(self.centre)) / self.radius
        return _Hits(t, normal, np.full(origins.shape, 0.9))


def _plane(height_m: float, half_width_m: float = 100.0, cell_m: float = 1.0) -> HeightField:
    axis = np.arange(-half_width_m, half_width_m + cell_m / 2, cell_m)
    return HeightField(axis, axis, np.full((axis.size, axis.size), height_m))


DOWN = np.array([[0.0, 0.0, -1.0]])


def test_the_nearest_of_two_fields_and_a_shape_is_taken_and_labelled():
    low, high = _plane(0.0), _plane(5.0, half_width_m=10.0)
    ball = _Ball((30.0, 0.0, 8.0), 2.0)
    scene = Scene((low, high), (ball,))
    origins = np.array([[0.0, 0.0, 20.0], [50.0, 0.0, 20.0], [30.0, 0.0, 20.0]])
    hits = scene.intersect(origins, np.repeat(DOWN, 3, axis=0))
    np.testing.assert_allclose(hits.depth, [15.0, 20.0, 10.0], atol=1e-9)
    assert hits.label.tolist() == [GROUND, GROUND, 2]
    np.testing.assert_allclose(hits.normal[2], [0.0, 0.0, 1.0], atol=1e-9)
    up = scene.intersect(origins[:1], -DOWN)
    assert up.label.tolist() == [SKY] and math.isinf(up.depth[0])


def test_a_shape_casts_its_shadow_where_the_sun_ray_passes_it():
    ball = _Ball((0.0, 0.0, 10.0), 1.0)
    scene = Scene((_plane(0.0),), (ball,))
    sun = np.array([math.sin(math.radians(30.0)), 0.0, math.cos(math.radians(30.0))])
    # The ball's shadow centre on the ground: from (0, 0, 10) away from the Sun down to z=0.
    shadow_east = -10.0 * math.tan(math.radians(30.0))
    points = np.array([[shadow_east, 0.0, 1e-3], [shadow_east + 5.0, 0.0, 1e-3]])
    assert scene.blocked(points, sun).tolist() == [True, False]
    frame = render(scene, points + np.array([0.0, 0.0, 5.0]), np.repeat(DOWN, 2, axis=0), sun)
    assert frame.rgb[0].sum() < 0.5 * frame.rgb[1].sum()


def test_a_dust_cloud_passes_exp_minus_its_optical_depth_through_its_centre():
    cloud = DustCloud((0.0, 0.0, 0.0), radius_m=10.0, height_m=4.0, optical_depth=1.5)
    origins = np.array([[-50.0, 0.0, 0.0], [-50.0, 0.0, 2.0], [-50.0, 0.0, 5.0]])
    east = np.repeat([[1.0, 0.0, 0.0]], 3, axis=0)
    lengths = cloud.path_length(origins, east, np.full(3, np.inf))
    # Chords of the ellipse x^2/100 + z^2/16 = 1 at z = 0, 2 and 5 (outside).
    np.testing.assert_allclose(lengths, [20.0, 20.0 * math.sqrt(1 - 0.25), 0.0], atol=1e-9)
    kept = cloud.transmittance(origins[:1], east[:1], np.array([np.inf]))
    assert kept[0] == pytest.approx(math.exp(-1.5))
    # A surface inside the cloud only has the dust in front of it.
    half = cloud.path_length(origins[:1], east[:1], np.array([50.0]))
    assert half[0] == pytest.approx(10.0)


def test_a_dust_cloud_hides_the_ground_behind_it_in_its_own_colour():
    scene = Scene((_plane(0.0),))
    sun = np.array([0.0, 0.0, 1.0])
    origin = np.array([[0.0, -30.0, 1.0]])
    look = np.array([[0.0, 30.0, -1.0]]) / math.hypot(30.0, 1.0)
    clear = render(scene, origin, look, sun).rgb[0]
    plume = DustCloud((0.0, -15.0, 0.0), radius_m=5.0, height_m=5.0, optical_depth=20.0)
    dusty = render(scene.with_shapes((), (plume,)), origin, look, sun).rgb[0]
    assert not np.allclose(clear, dusty)
    ratios = dusty / dusty.sum()
    assert ratios[0] > ratios[1] > ratios[2]  # red-brown


def test_a_scene_needs_something_and_clouds_need_sizes():
    with pytest.raises(ValueError, match="at least one"):
        Scene()
    with pytest.raises(ValueError, match="positive"):
        DustCloud((0.0, 0.0, 0.0), radius_m=0.0, height_m=1.0, optical_depth=1.0)
    with pytest.raises(ValueError, match="optical_depth"):
        DustCloud((0.0, 0.0, 0.0), radius_m=1.0, height_m=1.0, optical_depth=-1.0)


@dataclass(frozen=True)
class _FlatGrid:
    """A flat 400 m square at 1 m: the HeightGrid protocol `site_scene` reads."""

    east_m: np.ndarray = field(default_factory=lambda: np.arange(-200.0, 200.5, 1.0))
    north_m: np.ndarray = field(default_factory=lambda: np.arange(-200.0, 200.5, 1.0))
    elevation_m: np.ndarray = field(default_factory=lambda: np.zeros((401, 401)))
    rock_height_m: np.ndarray = field(default_factory=lambda: np.zeros((401, 401)))


def test_the_front_hazcam_sees_the_rover_s_front_wheels_low_in_both_corners():
    pose = VehiclePose(0.0, 0.0, 0.0, heading_rad=0.0)
    scene = site_scene(_FlatGrid(), rover=pose)
    catalogue = load_cameras()
    name = "hazcam_front_left_a"
    camera = PinholeCamera.from_catalogue(catalogue.cameras[name]).resized(160, 120)
    origins, directions = rays(camera, camera_pose(catalogue, name, pose), 160, 120)
    frame = render(scene, origins, directions, np.array([0.3, -0.4, 0.8]), shape=(120, 160))
    rover = frame.label == 2  # the rover is the scene's first shape
    assert not rover[:40].any()  # nothing of the rover in the top third (ground and sky)
    assert rover[60:, :40].any() and rover[60:, 120:].any()  # the two front wheels
