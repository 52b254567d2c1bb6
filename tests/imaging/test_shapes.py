"""Ray-shape intersection: hits where a hand computation puts them, normals facing the ray,
misses that miss, hits from inside, mixed batches, and the nearest of several shapes."""

from __future__ import annotations

import math

import numpy as np
import pytest

from perseverance.imaging.shapes import (
    Box,
    Cone,
    Cylinder,
    Disc,
    Group,
    Sphere,
    SphericalCap,
    cylinder_between,
    frame_from_axis,
    nearest,
)

#: Closed-form distances agree to this [m] (float64 rounding of metre-scale geometry).
MICRON = 1e-6


def _rays(
    origins: list[list[float]], directions: list[list[float]]
) -> tuple[np.ndarray, np.ndarray]:
    d = np.array(directions, dtype=float)
    return np.array(origins, dtype=float), d / np.linalg.norm(d, axis=1, keepdims=True)


def _tilted() -> np.ndarray:
    """A rotation: local z along (1, 1, 1)/sqrt 3."""
    return frame_from_axis([1.0, 1.0, 1.0])


def test_sphere_hit_normal_miss_and_inside() -> None:
    ball = Sphere(centre=np.array([0.0, 10.0, 0.0]), radius_m=2.0, albedo=(0.1, 0.2, 0.3))
    o, d = _rays(
        [[0.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 0.0, 2.5], [0.0, 10.0, 0.0], [0.0, 20.0, 0.0]],
        [[0.0, 1.0, 0.0], [0.0, 1.0, 0.0], [0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]],
    )
    hits = ball.intersect(o, d)
    # Straight in: 10 - 2. Offset by 1: 10 - sqrt(4 - 1). Offset by 2.5 > r: a miss.
    assert hits.t[0] == pytest.approx(8.0, abs=MICRON)
    assert hits.t[1] == pytest.approx(10.0 - math.sqrt(3.0), abs=MICRON)
    assert math.isinf(hits.t[2]) and math.isinf(hits.t[4])  # beside it; behind it
    np.testing.assert_allclose(hits.normal[0], [0.0, -1.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(hits.normal[1], [0.0, -math.sqrt(3.0) / 2.0, 0.5], atol=1e-9)
    # From the centre: the inner wall at r, its normal turned back toward the ray.
    assert hits.t[3] == pytest.approx(2.0, abs=MICRON)
    np.testing.assert_allclose(hits.normal[3], [-1.0, 0.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(hits.albedo[0], [0.1, 0.2, 0.3])
    assert np.all(hits.albedo[2] == 0.0)


def test_far_ray_keeps_its_precision() -> None:
    """A ray from 700 km (HiRISE's range) meets a 10 m sphere where the geometry says."""
    ball = Sphere(centre=np.zeros(3), radius_m=10.0)
    o, d = _rays([[0.0, -700_000.0, 0.0]], [[0.0, 1.0, 0.0]])
    assert nearest([ball], o, d).t[0] == pytest.approx(699_990.0, abs=1e-6)


def test_capped_cylinder_side_caps_and_inside() -> None:
    """Axis along (1, 1, 1)/sqrt 3 through the origin, r = 0.5, half-length 2."""
    rot = _tilted()
    axis, across = rot[:, 2], rot[:, 0]
    cyl = Cylinder(np.zeros(3), rot, 0.5, 2.0, (0.7, 0.7, 0.7))
    o = np.array([5.0 * across, 5.0 * axis, 3.0 * axis + 5.0 * across, np.zeros(3)])
    d = np.array([-across, -axis, -across, axis])
    hits = cyl.intersect(o, d)
    assert hits.t[0] == pytest.approx(4.5, abs=MICRON)  # the side, 5 - r
    np.testing.assert_allclose(hits.normal[0], across, atol=1e-9)
    assert hits.t[1] == pytest.approx(3.0, abs=MICRON)  # the top cap, 5 - h
    np.testing.assert_allclose(hits.normal[1], axis, atol=1e-9)
    assert math.isinf(hits.t[2])  # past the end
    assert hits.t[3] == pytest.approx(2.0, abs=MICRON)  # from inside, the cap's inner face
    np.testing.assert_allclose(hits.normal[3], -axis, atol=1e-9)


def test_open_cylinder_is_seen_through_its_ends() -> None:
    band = Cylinder(np.zeros(3), np.eye(3), 1.0, 0.5, capped=False)
    o, d = _rays([[0.0, 0.0, 5.0], [0.9, 0.0, 5.0]], [[0.0, 0.0, -1.0], [0.6, 0.0, -0.8]])
    hits = band.intersect(o, d)
    assert math.isinf(hits.t[0])  # down the middle, through both open ends
    # The second reaches the band's height (z = 0.5, t = 5.625) at x = 4.3, far outside it.
    assert math.isinf(hits.t[1])
    o, d = _rays([[0.0, 0.0, 0.0]], [[1.0, 0.0, 0.0]])
    inner = band.intersect(o, d)
    assert inner.t[0] == pytest.approx(1.0, abs=MICRON)
    np.testing.assert_allclose(inner.normal[0], [-1.0, 0.0, 0.0], atol=1e-12)


def test_oriented_box() -> None:
    """A 2 x 4 x 6 box turned 90 deg about up: its local x is north."""
    rot = np.array([[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    box = Box(np.array([10.0, 0.0, 0.0]), rot, np.array([1.0, 2.0, 3.0]))
    o, d = _rays(
        [[0.0, 0.0, 0.0], [10.0, -10.0, 0.0], [10.0, 0.0, 10.0], [0.0, 0.0, 3.5], [10.0, 0.0, 0.0]],
        [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, -1.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]],
    )
    hits = box.intersect(o, d)
    assert hits.t[0] == pytest.approx(8.0, abs=MICRON)  # east face: local y = 2 along east
    np.testing.assert_allclose(hits.normal[0], [-1.0, 0.0, 0.0], atol=1e-12)
    assert hits.t[1] == pytest.approx(9.0, abs=MICRON)  # south face: local x = 1
    assert hits.t[2] == pytest.approx(7.0, abs=MICRON)  # the top
    np.testing.assert_allclose(hits.normal[2], [0.0, 0.0, 1.0], atol=1e-12)
    assert math.isinf(hits.t[3])  # over the top
    assert hits.t[4] == pytest.approx(1.0, abs=MICRON)  # from inside: the north face
    np.testing.assert_allclose(hits.normal[4], [0.0, -1.0, 0.0], atol=1e-12)


def test_cone_frustum_side_and_caps() -> None:
    """Base r = 2 at z = -1, top r = 1 at z = +1: r(z) = 1.5 - z / 2; the side's normal
    is (2, 0, 1)/sqrt 5 (the slope 1/2)."""
    cone = Cone(np.zeros(3), np.eye(3), 2.0, 1.0, 2.0, top_cap=False)
    o, d = _rays(
        [[10.0, 0.0, 0.0], [0.0, 0.0, -10.0], [0.0, 0.0, 10.0], [10.0, 0.0, 1.2]],
        [[-1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 0.0, -1.0], [-1.0, 0.0, 0.0]],
    )
    hits = cone.intersect(o, d)
    assert hits.t[0] == pytest.approx(10.0 - 1.5, abs=MICRON)
    np.testing.assert_allclose(
        hits.normal[0], np.array([2.0, 0.0, 1.0]) / math.sqrt(5.0), atol=1e-9
    )
    assert hits.t[1] == pytest.approx(9.0, abs=MICRON)  # the base cap
    np.testing.assert_allclose(hits.normal[1], [0.0, 0.0, -1.0], atol=1e-12)
    # Down through the open top: the base cap's inside, normal turned up to the ray.
    assert hits.t[2] == pytest.approx(11.0, abs=MICRON)
    np.testing.assert_allclose(hits.normal[2], [0.0, 0.0, 1.0], atol=1e-12)
    assert math.isinf(hits.t[3])  # above the top


def test_spherical_cap_with_a_hole() -> None:
    """Rim r = 4, depth 2: sphere radius (16 + 4) / 4 = 5, centred 3 below the rim plane;
    a hole of radius 1 round the apex."""
    cap = SphericalCap(np.zeros(3), np.eye(3), 4.0, 2.0, hole_radius_m=1.0)
    assert cap.sphere_radius_m == pytest.approx(5.0)
    o, d = _rays(
        [[3.0, 0.0, 10.0], [0.0, 0.0, 10.0], [0.0, 0.0, -10.0], [6.0, 0.0, -10.0]],
        [[0.0, 0.0, -1.0], [0.0, 0.0, -1.0], [0.0, 0.0, 1.0], [0.0, 0.0, 1.0]],
    )
    hits = cap.intersect(o, d)
    z = math.sqrt(25.0 - 9.0) - 3.0  # the dome's height at x = 3: 1
    assert hits.t[0] == pytest.approx(10.0 - z, abs=MICRON)
    np.testing.assert_allclose(hits.normal[0], [0.6, 0.0, 0.8], atol=1e-9)
    assert math.isinf(hits.t[1])  # through the vent
    assert math.isinf(hits.t[3])  # outside the rim
    # From below, up the axis: through the hole too. Off-axis from below: the inside.
    o, d = _rays([[3.0, 0.0, -10.0]], [[0.0, 0.0, 1.0]])
    inner = cap.intersect(o, d)
    assert inner.t[0] == pytest.approx(10.0 + z, abs=MICRON)
    np.testing.assert_allclose(inner.normal[0], [-0.6, 0.0, -0.8], atol=1e-9)


def test_disc_annulus() -> None:
    disc = Disc(np.array([0.0, 0.0, 1.0]), _tilted(), 2.0, inner_radius_m=0.5)
    n = _tilted()[:, 2]
    across = _tilted()[:, 0]
    centre = np.array([0.0, 0.0, 1.0])
    o = np.array(
        [centre + 3.0 * n + 1.0 * across, centre + 3.0 * n, centre - 3.0 * n + 1.0 * across]
    )
    d = np.array([-n, -n, n])
    hits = disc.intersect(o, d)
    assert hits.t[0] == pytest.approx(3.0, abs=MICRON)
    np.testing.assert_allclose(hits.normal[0], n, atol=1e-9)
    assert math.isinf(hits.t[1])  # the hole
    np.testing.assert_allclose(hits.normal[2], -n, atol=1e-9)  # the back, lit from its side


def test_texture_and_inside_albedo() -> None:
    """A texture sees local points: red where local x > 0; the inside has its own colour."""

    def halves(points: np.ndarray) -> np.ndarray:
        return np.where(points[:, :1] > 0.0, [[1.0, 0.0, 0.0]], [[0.0, 0.0, 1.0]])

    rot = np.array([[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])  # local x = north
    ball = Sphere(np.zeros(3), 1.0, halves, rotation=rot, albedo_inside=(0.0, 1.0, 0.0))
    o, d = _rays(
        [[0.0, 5.0, 0.0], [0.0, -5.0, 0.0], [0.0, 0.0, 0.0]], [[0, -1, 0], [0, 1, 0], [1, 0, 0]]
    )
    hits = ball.intersect(o, d)
    np.testing.assert_allclose(hits.albedo, [[1, 0, 0], [0, 0, 1], [0, 1, 0]])


def test_mixed_batch_and_nearest_picks_the_closest() -> None:
    """Several shapes on the north axis, rays in one batch: each ray's hit is the nearest
    surface a hand computation gives, and a group gives the same as its members."""
    near = Sphere(np.array([0.0, 5.0, 0.0]), 1.0, (1.0, 0.0, 0.0))
    far = Box(np.array([0.0, 20.0, 0.0]), np.eye(3), np.array([3.0, 1.0, 3.0]), (0.0, 1.0, 0.0))
    post = cylinder_between(
        [2.0, 10.0, -1.0], [2.0, 10.0, 1.0], 0.01, (0.0, 0.0, 1.0), min_radius_m=0.1
    )
    shapes = [far, near, post]
    o, d = _rays(
        [[0.0, 0.0, 0.0], [0.0, 0.0, 2.0], [2.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 30.0, 0.0]],
        [[0.0, 1.0, 0.0], [0.0, 1.0, 0.0], [0.0, 1.0, 0.0], [0.0, -1.0, 0.0], [0.0, 1.0, 0.0]],
    )
    hits = nearest(shapes, o, d)
    np.testing.assert_allclose(hits.t[:3], [4.0, 19.0, 9.9], atol=MICRON)  # post: r = 0.1
    assert math.isinf(hits.t[3]) and math.isinf(hits.t[4])
    np.testing.assert_allclose(hits.albedo[:3], [[1, 0, 0], [0, 1, 0], [0, 0, 1]])
    assert hits.hit.tolist() == [True, True, True, False, False]
    grouped = nearest([Group.of(shapes)], o, d)
    np.testing.assert_array_equal(grouped.t, hits.t)
    np.testing.assert_array_equal(grouped.normal, hits.normal)


def test_random_rays_at_a_box_agree_with_sampling() -> None:
    """Thousands of random rays at a box: every hit point lies on the box's surface, and the
    rays that miss pass outside it (checked by sampling along them)."""
    rng = np.random.default_rng(3)
    box = Box(np.array([1.0, 2.0, 3.0]), _tilted(), np.array([0.5, 1.0, 1.5]))
    o = rng.uniform(-6.0, 6.0, (4000, 3)) + box.centre
    d = box.centre + rng.normal(0.0, 1.0, (4000, 3)) - o
    d /= np.linalg.norm(d, axis=1, keepdims=True)
    hits = nearest([box], o, d)
    assert 0.2 < hits.hit.mean() < 0.95
    local = (o + np.where(hits.hit, hits.t, 0.0)[:, None] * d - box.centre) @ box.rotation
    on_face = np.max(np.abs(local) / box.half_extents_m, axis=1)
    np.testing.assert_allclose(on_face[hits.hit], 1.0, atol=1e-9)
    samples = np.linspace(0.0, 30.0, 3001)
    missed = np.flatnonzero(~hits.hit)
    points = o[missed, None, :] + samples[None, :, None] * d[missed, None, :]
    inside = np.all(np.abs((points - box.centre) @ box.rotation) < box.half_extents_m, axis=2)
    assert not inside.any()


def test_camera_rays_from_one_origin_match_each_shape_alone() -> None:
    """A camera's rays (one origin: `nearest`'s shared-origin path, which drops shapes
    outside the field of view) give the hits of each shape's own test, nearest taken."""
    rng = np.random.default_rng(5)
    shapes = [
        Sphere(np.array([0.0, 6.0, 0.5]), 1.0),
        cylinder_between([-1.0, 4.0, -2.0], [1.5, 9.0, 2.0], 0.2),
        Box(np.array([2.0, 8.0, 0.0]), _tilted(), np.array([0.5, 0.7, 0.9])),
        Cone(np.array([-2.0, 7.0, 0.0]), _tilted(), 1.0, 0.3, 1.5),
        SphericalCap(np.array([0.0, 12.0, 0.0]), frame_from_axis([0, -1, 0]), 3.0, 1.0),
        Disc(np.array([0.0, 0.0, 0.0]), np.eye(3), 0.5),  # round the camera
        Sphere(np.array([0.0, -9.0, 0.0]), 1.0),  # behind it
    ]
    d = np.column_stack([rng.uniform(-0.6, 0.6, 5000), np.ones(5000), rng.uniform(-0.5, 0.5, 5000)])
    d /= np.linalg.norm(d, axis=1, keepdims=True)
    o = np.tile([0.0, 0.0, 0.2], (len(d), 1))
    hits = nearest([Group.of(shapes[:3]), *shapes[3:]], o, d)
    alone = np.min([s.intersect(o, d).t for s in shapes], axis=0)
    assert 0.3 < hits.hit.mean() < 1.0
    np.testing.assert_allclose(hits.t, alone, rtol=0, atol=MICRON)
