"""The hardware shapes against published sizes: the rover's extent, its wheels on the ground,
the bridle length, the parachute's diameter and the message in its gores."""

from __future__ import annotations

import math

import numpy as np
import pytest

from perseverance.imaging import hardware as hw
from perseverance.imaging.cameras import load_cameras
from perseverance.imaging.mounts import VehiclePose, camera_pose
from perseverance.imaging.shapes import Shape, frame_from_axis, nearest

#: Published size tolerance (the brief: ±5 %).
FIVE_PERCENT = 0.05
#: Wheels on the ground to within a centimetre.
ONE_CM = 0.01
#: Ray spacing of the silhouette scans [m].
STEP_M = 0.01

#: The canopy's rows as read off the flown parachute's images (F. Cassayre,
#: gist.github.com/FlorianCassayre/56e753ffc50058212328b0cdb3a7b7b3; '#' red), from the
#: band (first) to the innermost ring, in reading order: an independent record of the pattern.
CANOPY_ROWS = (
    "#....#...#.......#.##....###.#.......###....###.##.......#.#......#####.....#.##",
    "#...#################.....#.#........#.........#..#......###........###.....#..#",
    "......#.#.......##..#...#################......##.#......#..#.......###......#..",
    "#.......#...........#.....#..#........#.#...####################################",
)


def _extent(shapes: list[Shape], axis: int, sign: float, centre: np.ndarray, span: float) -> float:
    """The farthest point of ``shapes`` along ``sign`` * ENU ``axis``, from a grid of
    parallel rays coming from there (spacing `STEP_M` over ``span`` round ``centre``)."""
    others = [i for i in range(3) if i != axis]
    a, b = np.meshgrid(
        np.arange(-span, span, STEP_M) + centre[others[0]],
        np.arange(-span, span, STEP_M) + centre[others[1]],
    )
    o = np.zeros((a.size, 3))
    o[:, others[0]], o[:, others[1]] = a.ravel(), b.ravel()
    o[:, axis] = centre[axis] + sign * 50.0
    d = np.zeros_like(o)
    d[:, axis] = -sign
    hits = nearest(shapes, o, d)
    assert hits.hit.any()
    return float(centre[axis] + sign * (50.0 - hits.t.min()))


@pytest.fixture(scope="module")
def rover() -> tuple[VehiclePose, list[Shape]]:
    pose = VehiclePose(east_m=100.0, north_m=-20.0, up_m=-3.0, heading_rad=0.0)
    return pose, hw.rover_shapes(pose)


def test_rover_extent_matches_its_published_size(rover: tuple[VehiclePose, list[Shape]]) -> None:
    """Heading north: forward is north, left is west. 3.0 m x 2.7 m x 2.2 m
    (docs/reference/surface.md, Mobility)."""
    pose, shapes = rover
    c = pose.position + np.array([0.0, 0.0, 1.1])
    length = _extent(shapes, 1, 1.0, c, 2.0) - _extent(shapes, 1, -1.0, c, 2.0)
    width = _extent(shapes, 0, 1.0, c, 2.0) - _extent(shapes, 0, -1.0, c, 2.0)
    top = _extent(shapes, 2, 1.0, c, 2.0)
    assert length == pytest.approx(3.0, rel=FIVE_PERCENT)
    assert width == pytest.approx(2.7, rel=FIVE_PERCENT)
    assert top - pose.up_m == pytest.approx(2.2, rel=FIVE_PERCENT)


def test_wheels_touch_the_ground(rover: tuple[VehiclePose, list[Shape]]) -> None:
    pose, shapes = rover
    bottom = _extent(shapes, 2, -1.0, pose.position + np.array([0.0, 0.0, 1.0]), 2.0)
    assert bottom == pytest.approx(pose.up_m, abs=ONE_CM)


def test_wheels_touch_tilted_ground() -> None:
    """Pitched 10 deg nose up on flat ground through the origin: the lowest wheel point
    still lies on the rover's ground plane (the plane through the origin, normal to its z)."""
    pose = VehiclePose(east_m=0.0, north_m=0.0, up_m=0.0, pitch_rad=math.radians(10.0))
    shapes = hw.rover_shapes(pose)
    up = pose.rotation()[:, 2]
    # Rays straight up the rover's z from below its ground plane, across its footprint.
    fwd, left = pose.rotation()[:, 0], pose.rotation()[:, 1]
    u, v = np.meshgrid(np.arange(-1.6, 1.6, STEP_M), np.arange(-1.5, 1.5, STEP_M))
    o = u.ravel()[:, None] * fwd + v.ravel()[:, None] * left - 5.0 * up
    hits = nearest(shapes, o, np.broadcast_to(up, o.shape))
    assert hits.t.min() - 5.0 == pytest.approx(0.0, abs=ONE_CM)


def test_mast_cameras_are_outside_the_rover() -> None:
    """No mast-head or body camera sits inside a rover shape: a ray from each camera
    along its boresight does not meet the rover at once (within 2 cm)."""
    catalogue = load_cameras()
    pose = VehiclePose(east_m=0.0, north_m=0.0, up_m=0.0)
    shapes = hw.rover_shapes(pose)
    for name in (
        "navcam_left",
        "navcam_right",
        "mastcam_z_left",
        "mastcam_z_right",
        "supercam_rmi",
        "hazcam_front_left_a",
        "hazcam_rear_right",
        "ruc",
        "lcam",
    ):
        cam = camera_pose(catalogue, name, pose)
        hits = nearest(shapes, cam.position[None, :], cam.boresight[None, :])
        assert not hits.t[0] < 0.02, name


def test_bridle_length() -> None:
    """The rover hung on the full bridle: each bridle 7.6 m (docs/reference/edl.md)."""
    descent = VehiclePose(east_m=5.0, north_m=3.0, up_m=21.0, heading_rad=1.0, pitch_rad=0.1)
    rover = hw.rover_below(descent)
    top, bottom = hw.bridle_points(descent, rover)
    np.testing.assert_allclose(np.linalg.norm(top - bottom, axis=1), hw.BRIDLE_LENGTH_M, atol=1e-9)
    (group,) = hw.bridle_shapes(top, bottom, min_radius_m=0.03)
    lengths = [2.0 * s.half_length_m for s in group.shapes[:3]]  # type: ignore[attr-defined]
    np.testing.assert_allclose(lengths, 7.6, atol=1e-9)
    assert all(s.section_radius_m >= 0.03 for s in group.shapes)  # type: ignore[attr-defined]
    # A ray along the rover's z from above the stage meets the stage, then not the rover.
    ray = nearest(
        hw.descent_stage_shapes(descent) + hw.rover_shapes(rover),
        (descent.position + 5.0 * descent.rotation()[:, 2])[None, :],
        -descent.rotation()[:, 2][None, :],
    )
    # Between the tanks (0.4 m in radius, 0.55 m off the axis) to the top of the stage's
    # body, 0.1 + 0.5 m above its origin.
    assert ray.t[0] == pytest.approx(5.0 - 0.6, abs=1e-9)


@pytest.mark.parametrize("inflation", [1.0, 0.5, 0.1])
def test_parachute_diameter(inflation: float) -> None:
    """21.5 m across at full inflation (edl.md), smaller when less: measured by a scan of
    horizontal rays across the canopy's mouth."""
    vent = np.array([0.0, 0.0, 100.0])
    shapes = hw.parachute_shapes(vent, [0.0, 0.0, 1.0], inflation)
    (group,) = shapes
    band = group.shapes[1]
    z = float(band.centre[2])
    x = np.arange(-12.0, 12.0, STEP_M)
    o = np.column_stack([x, np.full_like(x, -50.0), np.full_like(x, z)])
    hits = nearest(shapes, o, np.broadcast_to([0.0, 1.0, 0.0], o.shape))
    across = x[hits.hit].max() - x[hits.hit].min()
    expected = hw.PARACHUTE_NOMINAL_DIAMETER_M * (0.05 + 0.95 * inflation)
    assert across == pytest.approx(expected, abs=2 * STEP_M)
    if inflation == 1.0:
        assert across == pytest.approx(21.5, abs=2 * STEP_M)


def test_parachute_inflation_is_checked() -> None:
    with pytest.raises(ValueError, match="inflation"):
        hw.parachute_shapes(np.zeros(3), [0.0, 0.0, 1.0], 1.5)


def _decode(pattern: np.ndarray) -> list[list[int]]:
    """The published reading (see hardware's docstring): start in the innermost ring just
    after its filler, 10 gores a character; 127 ends the ring and the reading goes on in
    the next ring at the gore where that 127 began; the band is read from there too."""
    rings, gores = pattern.shape
    bits = pattern.astype(int)
    inner = bits[0]
    # The message starts where the filler ends: a white gore after ten red ones.
    (start,) = [
        k for k in range(gores) if inner[(k - 10 + np.arange(10)) % gores].all() and not inner[k]
    ]
    words = []
    for ring in range(rings):
        codes = []
        for g in range(gores // 10):
            at = (start + 10 * g + np.arange(10)) % gores
            code = int("".join(str(b) for b in bits[ring, at]), 2)
            if code == 127:
                start = (start + 10 * g) % gores
                break
            codes.append(code)
        words.append(codes)
    return words


def test_gore_pattern_decodes_to_the_message() -> None:
    words = _decode(hw.gore_pattern())
    text = ["".join(chr(64 + c) for c in codes) for codes in words[:3]]
    assert text == ["DARE", "MIGHTY", "THINGS"]
    # The band: 34 11 58 N 118 10 31 W (JPL), letters as their place in the alphabet.
    assert words[3] == [34, 11, 58, ord("N") - 64, 118, 10, 31, ord("W") - 64]


def test_gore_pattern_matches_the_flown_canopy() -> None:
    pattern = hw.gore_pattern()
    assert pattern.shape == (4, hw.GORE_COUNT)
    drawn = ["".join("#" if red else "." for red in ring) for ring in pattern[::-1]]
    assert tuple(drawn) == CANOPY_ROWS


def test_canopy_gores_are_drawn_red_and_white() -> None:
    """Rays straight down onto the disk's middle ring: the colours follow the pattern's
    ring 1, gore by gore (gore k at azimuth -(k + 1/2) 4.5 deg from the frame's x)."""
    vent = np.array([0.0, 0.0, 100.0])
    shapes = hw.parachute_shapes(vent, [0.0, 0.0, 1.0], 1.0)
    rot = frame_from_axis([0.0, 0.0, 1.0])
    k = np.arange(hw.GORE_COUNT)
    phi = -(k + 0.5) * 2.0 * math.pi / hw.GORE_COUNT
    radius = 5.0  # inside ring 1: the rings split 0.59..10.75 m in thirds
    o = vent + radius * (np.cos(phi)[:, None] * rot[:, 0] + np.sin(phi)[:, None] * rot[:, 1])
    o = o + np.array([0.0, 0.0, 20.0])
    hits = nearest(shapes, o, np.broadcast_to([0.0, 0.0, -1.0], o.shape))
    assert hits.hit.all()
    red = hits.albedo[:, 0] - hits.albedo[:, 1] > 0.3
    np.testing.assert_array_equal(red, hw.gore_pattern()[1])


def test_heat_shield_figures() -> None:
    """4.5 m across, 70 deg sphere-cone with a 1.125 m nose (edl.md): depth 0.747 m by hand
    (nose 1.125 (1 - sin 70) = 0.0678 m, cone (2.25 - 1.125 cos 70) / tan 70 = 0.679 m)."""
    depth = hw.HEAT_SHIELD_DEPTH_M
    assert depth == pytest.approx(0.0678 + 0.6789, abs=1e-3)
    pose = VehiclePose(east_m=0.0, north_m=0.0, up_m=10.0)
    shapes = hw.heat_shield_shapes(pose)
    c = pose.position + np.array([0.0, 0.0, 0.4])
    width = _extent(shapes, 0, 1.0, c, 2.5) - _extent(shapes, 0, -1.0, c, 2.5)
    # The rim is a thin edge: the scan's rows (1 cm apart) meet the cone up to 1 cm below
    # it, where it is 2 x 0.01 tan 70 = 5.5 cm narrower.
    assert width == pytest.approx(4.5, abs=0.06)
    assert _extent(shapes, 2, -1.0, c, 2.5) == pytest.approx(10.0, abs=ONE_CM)  # the nose


def test_backshell_and_descent_stage_sizes() -> None:
    pose = VehiclePose(east_m=0.0, north_m=0.0, up_m=0.0)
    shell = hw.backshell_shapes(pose)
    c = np.array([0.0, 0.0, 0.5])
    assert _extent(shell, 0, 1.0, c, 2.5) == pytest.approx(2.25, abs=2 * STEP_M)
    stage = hw.descent_stage_shapes(pose)
    assert _extent(stage, 0, 1.0, c, 2.0) == pytest.approx(1.2, abs=0.1)
    assert _extent(stage, 2, -1.0, c, 2.0) == pytest.approx(0.0, abs=ONE_CM)  # lowest point
