"""The Mars 2020 hardware as simple shapes (`imaging.shapes`) where a camera sees it.

Frames. Each vehicle has the body frame of `imaging.mounts` (x forward, y left, z up
[m]) placed by a `VehiclePose` in the site's ENU frame. The rover's origin is the ground
point under its centre (``VehiclePose.up_m`` is the ground height: the wheels touch
it); the descent stage's and the backshell's origin is their lowest point, as in
``data/instruments/cameras.toml``; the heat shield's is its nose, its rim above it
(it flies nose down). Sizes are in metres.

Figures. Published: the rover's 3 m x 2.7 m x 2.2 m and its six 52.5 cm wheels
(docs/reference/surface.md, Mobility); the 4.5 m, 70 deg sphere-cone aeroshell and its
1.125 m nose radius (docs/reference/edl.md, Vehicle and Models); the 21.5 m disk-gap-band
parachute, its 80 gores and the 7.6 m bridle (edl.md, Vehicle). The mast stands where
the catalogue's ``mast_head`` mount is. Everything else is an engineering estimate (E):
the layout of the body, legs, RTG and arm, the descent stage's body (2.4 m x 2.4 m),
tanks and the cant of its 8 engines, the backshell's cone, the proportions of the
disk-gap-band (Viking heritage: vent 7 %, gap 4.2 %, band 12.1 % of the disk
diameter), the colours.

The canopy. Its red and white gores spell "DARE MIGHTY THINGS" in the three rings of
the disk and JPL's place, "34 11 58 N 118 10 31 W", in the band (the decoding published
by F. Cassayre, gist.github.com/FlorianCassayre/56e753ffc50058212328b0cdb3a7b7b3, 2021-02-22,
from the flown canopy's images, and confirmed in outline by A. Steltzner): each
character is a 10-bit group of gores, red = 1, read clockwise for an observer looking
down on the canopy, from the vent outward; a letter is its place in the alphabet
(A = 1), a number its value, 127 ends a word and the reading goes on in the next ring
outward at the same gore, 1023 (ten red gores) is filler. `gore_pattern` builds the
pattern from those rules; it matches the rows of that source gore for gore (the test).

Drawn size. At full inflation the canopy is drawn with its band 21.5 m across, the
nominal diameter, as the imaging issue's HiRISE scale check asks; the flown canopy's
inflated diameter is nearer 16 m (edl.md, the MSL row: "≈ 16 m inflated"): pass
``diameter_m=16.0`` for that.

Leaves out: the arm's joints (it is drawn stowed), the wheels' grousers, the RSM head's
real shape (a flat drum above the cameras, so no camera sits inside it), the parachute's
riser and its fabric's folds; the suspension lines are optional (80 thin cylinders cost
about as much as the rest of the scene together).

Example
-------
>>> from perseverance.imaging.mounts import VehiclePose
>>> shapes = rover_shapes(VehiclePose(east_m=0.0, north_m=0.0, up_m=0.0))
>>> len(shapes)
1
>>> round(float(gore_pattern().mean()), 2)   # the fraction of red gores
0.42
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import lru_cache

import numpy as np
from numpy.typing import ArrayLike, NDArray

from perseverance.imaging.cameras import load_cameras
from perseverance.imaging.mounts import VehiclePose
from perseverance.imaging.shapes import (
    Albedo,
    Box,
    Cone,
    Cylinder,
    Group,
    Shape,
    Sphere,
    SphericalCap,
    cylinder_between,
    frame_from_axis,
)

__all__ = [
    "AEROSHELL_DIAMETER_M",
    "BRIDLE_LENGTH_M",
    "DESCENT_STAGE_WIDTH_M",
    "GORE_COUNT",
    "HEAT_SHIELD_CONE_HALF_ANGLE_DEG",
    "HEAT_SHIELD_DEPTH_M",
    "HEAT_SHIELD_NOSE_RADIUS_M",
    "PARACHUTE_MESSAGE",
    "PARACHUTE_NOMINAL_DIAMETER_M",
    "ROVER_DECK_HEIGHT_M",
    "ROVER_HEIGHT_M",
    "ROVER_LENGTH_M",
    "ROVER_WIDTH_M",
    "WHEEL_DIAMETER_M",
    "backshell_shapes",
    "bridle_points",
    "bridle_shapes",
    "descent_stage_shapes",
    "gore_pattern",
    "heat_shield_shapes",
    "parachute_shapes",
    "rover_below",
    "rover_shapes",
]

Array = NDArray[np.float64]

# --- published figures ---------------------------------------------------------------
#: The rover's size (B: docs/reference/surface.md, Mobility: "3 m x 2.7 m x 2.2 m").
ROVER_LENGTH_M = 3.0
ROVER_WIDTH_M = 2.7
ROVER_HEIGHT_M = 2.2
#: Wheel diameter (B: surface.md, Mobility: "six 52.5 cm wheels").
WHEEL_DIAMETER_M = 0.525
#: Aeroshell diameter and the heat shield's 70 deg sphere-cone (A/B: docs/reference/edl.md,
#: Vehicle) and its nose radius (edl.md, Models: "nose radius ... ≈ 1.125 m").
AEROSHELL_DIAMETER_M = 4.5
HEAT_SHIELD_CONE_HALF_ANGLE_DEG = 70.0
HEAT_SHIELD_NOSE_RADIUS_M = 1.125
#: Nominal diameter of the disk-gap-band (A: edl.md, Vehicle: 21.5 m; 21.53 m in O'Farrell
#: et al. 2022) and its gore count (80 gores and 80 suspension lines: B, NASA/JPL on MSL's
#: parachute of the same design, planetary.org "Curiosity descends under parachute").
PARACHUTE_NOMINAL_DIAMETER_M = 21.5
GORE_COUNT = 80
#: Bridle length, descent stage to rover (C: edl.md, Vehicle: "≈ 7.6 m (25 ft)").
BRIDLE_LENGTH_M = 7.6
#: The canopy's message: three words in the disk, JPL's place in the band (see above).
PARACHUTE_MESSAGE = ("DARE", "MIGHTY", "THINGS", "34 11 58 N 118 10 31 W")

# --- engineering estimates (E) ---------------------------------------------------------
WHEEL_WIDTH_M = 0.40  # (E)
#: Wheel axles along x, front to rear (E), and across y (D: the outer wheel faces at half
#: the published width).
WHEEL_AXLES_X_M = (1.10, -0.05, -1.10)
WHEEL_TRACK_Y_M = (ROVER_WIDTH_M - WHEEL_WIDTH_M) / 2.0
#: The body (warm box) and its top deck, "about 1 m" up (E); the belly above the down-look
#: cameras of cameras.toml (0.6 m), the deck below the up-look ones (1.1 m).
BODY_X_M = (-1.15, 1.05)
BODY_HALF_WIDTH_M = 0.80
BODY_BOTTOM_M = 0.65
ROVER_DECK_HEIGHT_M = 1.05
LEG_Y_M = 0.90  # the rocker-bogie legs, just inboard of the wheels (E)
LEG_RADIUS_M = 0.035  # (E)
MAST_RADIUS_M = 0.06  # (E)
#: The RSM head: a drum above the mast-head cameras (E): the cameras of cameras.toml sit
#: up to 0.1 m above the pivot and up to 0.21 m from the mast's axis.
MAST_HEAD_RADIUS_M = 0.20
MAST_HEAD_BOTTOM_ABOVE_PIVOT_M = 0.13
#: MMRTG: 0.64 m across the fins, 0.66 m long (E), its axis tilted up at the back.
RTG_RADIUS_M = 0.32
RTG_LENGTH_M = 0.66
RTG_TILT_DEG = 30.0  # above the horizontal, pointing backward (E)
#: Descent stage (E): the body 2.4 m square, 0.5 m deep, 0.1 m above its lowest point.
DESCENT_STAGE_WIDTH_M = 2.4
DESCENT_STAGE_DEPTH_M = 0.5
DESCENT_STAGE_BOTTOM_M = 0.10
ENGINE_CANT_DEG = 25.0  # from the vertical, outward (E)
ENGINE_LENGTH_M = 0.35  # (E)
ENGINE_EXIT_RADIUS_M = 0.12  # (E)
ENGINE_THROAT_RADIUS_M = 0.05  # (E)
ENGINE_PAIR_INSET_M = 0.25  # the pair's centre in from the corner along each edge (E)
ENGINE_PAIR_SPACING_M = 0.45  # (E)
#: Bridle attachments (E): the same three points across the rover's deck and under the
#: descent stage, so a taut bridle is parallel to the vehicles' z axis.
BRIDLE_ATTACH_XY_M = ((0.80, 0.70), (0.80, -0.70), (-0.90, 0.0))
BRIDLE_RADIUS_M = 0.01  # (E: "bridles ~ 1-2 cm")
UMBILICAL_RADIUS_M = 0.02  # (E)
#: Backshell (E): a 40 deg (from the axis) cone from the 4.5 m rim up to a parachute cone.
BACKSHELL_CONE_HALF_ANGLE_DEG = 40.0
BACKSHELL_SHOULDER_RADIUS_M = 1.0
BACKSHELL_TOP_RADIUS_M = 0.65
BACKSHELL_PARACHUTE_CONE_HEIGHT_M = 0.45
#: Disk-gap-band proportions of the disk diameter (E: Viking heritage) and the canopy's
#: dome depth at full inflation, of the disk's radius (E).
DGB_VENT_FRACTION = 0.07
DGB_GAP_FRACTION = 0.042
DGB_BAND_FRACTION = 0.121
CANOPY_DEPTH_FRACTION = 0.35
#: Suspension lines, of the nominal diameter (E: Viking heritage, 1.7 D0).
SUSPENSION_LINE_FRACTION = 1.7
SUSPENSION_LINE_RADIUS_M = 0.01  # (E)

# Colours (E).
WHITE = (0.80, 0.80, 0.78)
GREY = (0.55, 0.55, 0.55)
DARK_GREY = (0.22, 0.22, 0.24)
GOLD = (0.76, 0.60, 0.26)
CANOPY_RED = (0.78, 0.20, 0.10)
CANOPY_WHITE = (0.86, 0.86, 0.84)
PICA = (0.16, 0.12, 0.10)
BLACK = (0.05, 0.05, 0.05)


def _place(pose: VehiclePose, centre_body: ArrayLike, rotation_body: Array) -> tuple[Array, Array]:
    world = pose.rotation()
    centre = pose.position + world @ np.asarray(centre_body, dtype=float)
    return centre, world @ rotation_body


def _to_enu(pose: VehiclePose, points_body: ArrayLike) -> Array:
    result: Array = pose.position + np.asarray(points_body, dtype=float) @ pose.rotation().T
    return result


def _box(pose: VehiclePose, lo: ArrayLike, hi: ArrayLike, albedo: Albedo) -> Box:
    lo_a, hi_a = np.asarray(lo, dtype=float), np.asarray(hi, dtype=float)
    centre, rotation = _place(pose, (lo_a + hi_a) / 2.0, np.eye(3))
    return Box(centre, rotation, (hi_a - lo_a) / 2.0, albedo)


def _strut(
    pose: VehiclePose, a: ArrayLike, b: ArrayLike, radius: float, albedo: Albedo
) -> Cylinder:
    ends = _to_enu(pose, np.array([a, b], dtype=float))
    return cylinder_between(ends[0], ends[1], radius, albedo)


@lru_cache(maxsize=1)
def _mast_foot() -> tuple[float, float, float]:
    """The mast head's pan/tilt pivot in the rover frame, from the camera catalogue."""
    mount = load_cameras().mounts["mast_head"]
    return (mount.forward_m, mount.left_m, mount.up_m)


def rover_shapes(pose: VehiclePose, *, mast_deployed: bool = True) -> list[Shape]:
    """The rover at ``pose`` (its body frame; ``up_m`` is the ground under it): body and
    deck, six wheels, rocker-bogie legs, the mast (folded on the deck during EDL unless
    ``mast_deployed``), the MMRTG at the back and the stowed arm's turret at the front.
    One `Group`."""
    shapes: list[Shape] = [
        _box(
            pose,
            (BODY_X_M[0], -BODY_HALF_WIDTH_M, BODY_BOTTOM_M),
            (BODY_X_M[1], BODY_HALF_WIDTH_M, ROVER_DECK_HEIGHT_M),
            WHITE,
        )
    ]
    wheel_r = WHEEL_DIAMETER_M / 2.0
    axle_rotation = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])  # z -> y
    for side in (1.0, -1.0):
        running: list[Shape] = []  # one side's wheels and legs, a group of their own
        for x in WHEEL_AXLES_X_M:
            centre, rotation = _place(pose, (x, side * WHEEL_TRACK_Y_M, wheel_r), axle_rotation)
            running.append(Cylinder(centre, rotation, wheel_r, WHEEL_WIDTH_M / 2.0, GREY))
        y = side * LEG_Y_M
        front, mid, rear = WHEEL_AXLES_X_M
        rocker_pivot = (0.25, y, 0.80)
        bogie_pivot = (-0.55, y, 0.55)
        joints = [
            ((front, y, wheel_r), (front, y, 0.70)),
            ((front, y, 0.70), rocker_pivot),
            (rocker_pivot, bogie_pivot),
            (bogie_pivot, (mid, y, 0.45)),
            ((mid, y, 0.45), (mid, y, wheel_r)),
            (bogie_pivot, (rear, y, 0.45)),
            ((rear, y, 0.45), (rear, y, wheel_r)),
            (rocker_pivot, (0.25, side * BODY_HALF_WIDTH_M, 0.80)),
        ]
        running += [_strut(pose, a, b, LEG_RADIUS_M, GREY) for a, b in joints]
        hub_to = side * (WHEEL_TRACK_Y_M - WHEEL_WIDTH_M / 2.0)
        running += [
            _strut(pose, (x, y, wheel_r), (x, hub_to, wheel_r), 1.5 * LEG_RADIUS_M, GREY)
            for x in WHEEL_AXLES_X_M
        ]
        shapes.append(Group.of(running))
    shapes += _mast(pose, mast_deployed)
    # The MMRTG at the back, tilted up; its fins drawn as the cylinder's dark surface.
    tilt = math.radians(RTG_TILT_DEG)
    axis = np.array([-math.cos(tilt), 0.0, math.sin(tilt)])
    half_x = RTG_LENGTH_M / 2.0 * math.cos(tilt) + RTG_RADIUS_M * math.sin(tilt)
    half_z = RTG_LENGTH_M / 2.0 * math.sin(tilt) + RTG_RADIUS_M * math.cos(tilt)
    rtg_centre = (-ROVER_LENGTH_M / 2.0 + half_x, 0.0, 0.91 + half_z)
    centre, rotation = _place(pose, rtg_centre, frame_from_axis(axis, (0.0, 0.0, 1.0)))
    shapes.append(Cylinder(centre, rotation, RTG_RADIUS_M, RTG_LENGTH_M / 2.0, DARK_GREY))
    # The stowed arm across the front and its turret (the front end of the rover).
    shapes.append(_strut(pose, (1.15, 0.6, 1.05), (1.15, -0.6, 1.05), 0.06, WHITE))
    shapes.append(
        _box(
            pose,
            (ROVER_LENGTH_M / 2.0 - 0.30, -0.05, 0.95),
            (ROVER_LENGTH_M / 2.0, 0.35, 1.25),
            GOLD,
        )
    )
    return [Group.of(shapes)]


def _mast(pose: VehiclePose, deployed: bool) -> list[Shape]:
    x, y, pivot = _mast_foot()
    if not deployed:  # folded backward along the deck (E)
        lying = ROVER_DECK_HEIGHT_M + MAST_RADIUS_M
        return [
            _strut(pose, (x, y, lying), (x - 0.9, y, lying), MAST_RADIUS_M, WHITE),
            _strut(pose, (x + 0.05, y, lying + 0.1), (x + 0.3, y, lying + 0.1), 0.12, DARK_GREY),
        ]
    top = pivot + MAST_HEAD_BOTTOM_ABOVE_PIVOT_M
    column_top = pivot - 0.07
    head_height = ROVER_HEIGHT_M - top
    centre, rotation = _place(pose, (x, y, top + head_height / 2.0), np.eye(3))
    return [
        _strut(pose, (x, y, ROVER_DECK_HEIGHT_M), (x, y, column_top), MAST_RADIUS_M, WHITE),
        Cylinder(centre, rotation, MAST_HEAD_RADIUS_M, head_height / 2.0, DARK_GREY),
    ]


def descent_stage_shapes(pose: VehiclePose) -> list[Shape]:
    """The descent stage at ``pose`` (origin its lowest point): a 2.4 m square body, three
    propellant tanks on top and 8 engines in pairs at the corners, pointing down and
    outward. One `Group`."""
    half = DESCENT_STAGE_WIDTH_M / 2.0
    top = DESCENT_STAGE_BOTTOM_M + DESCENT_STAGE_DEPTH_M
    shapes: list[Shape] = [
        _box(pose, (-half, -half, DESCENT_STAGE_BOTTOM_M), (half, half, top), GOLD)
    ]
    for angle in (90.0, 210.0, 330.0):
        a = math.radians(angle)
        centre = _to_enu(pose, (0.55 * math.cos(a), 0.55 * math.sin(a), top + 0.3))
        shapes.append(Sphere(centre=centre, radius_m=0.40, albedo=GREY))
    cant = math.radians(ENGINE_CANT_DEG)
    world = pose.rotation()
    inset = half - ENGINE_PAIR_INSET_M
    for sx, sy in ((1.0, 1.0), (-1.0, 1.0), (-1.0, -1.0), (1.0, -1.0)):
        out = np.array([sx, sy, 0.0]) / math.sqrt(2.0)
        along = np.array([-sy, sx, 0.0]) / math.sqrt(2.0)
        down = math.sin(cant) * out - math.cos(cant) * np.array([0.0, 0.0, 1.0])
        for side in (-1.0, 1.0):  # two engines either side of the corner's diagonal
            exit_centre = np.array([sx * inset, sy * inset, 0.0])
            exit_centre += side * ENGINE_PAIR_SPACING_M / 2.0 * along
            exit_centre[2] = ENGINE_EXIT_RADIUS_M * math.sin(cant)  # the rim's lowest point: 0
            middle = exit_centre - down * ENGINE_LENGTH_M / 2.0
            shapes.append(
                Cone(
                    centre=pose.position + world @ middle,
                    rotation=world @ frame_from_axis(-down),  # local z up the nozzle
                    base_radius_m=ENGINE_EXIT_RADIUS_M,
                    top_radius_m=ENGINE_THROAT_RADIUS_M,
                    height_m=ENGINE_LENGTH_M,
                    albedo=DARK_GREY,
                    base_cap=False,
                    albedo_inside=BLACK,
                )
            )
    return [Group.of(shapes)]


def bridle_points(descent: VehiclePose, rover: VehiclePose) -> tuple[Array, Array]:
    """The three bridles' ends, ENU (3, 3) each: under the descent stage and on the
    rover's deck."""
    xy = np.array(BRIDLE_ATTACH_XY_M)
    top = np.column_stack([xy, np.full(3, DESCENT_STAGE_BOTTOM_M)])
    bottom = np.column_stack([xy, np.full(3, ROVER_DECK_HEIGHT_M)])
    return _to_enu(descent, top), _to_enu(rover, bottom)


def rover_below(descent: VehiclePose, payout_m: float = BRIDLE_LENGTH_M) -> VehiclePose:
    """The rover hanging ``payout_m`` of bridle below the descent stage, the bridles taut
    along the stage's z axis, in the stage's attitude."""
    drop = DESCENT_STAGE_BOTTOM_M - payout_m - ROVER_DECK_HEIGHT_M
    origin = descent.position + descent.rotation()[:, 2] * drop
    return VehiclePose(
        east_m=float(origin[0]),
        north_m=float(origin[1]),
        up_m=float(origin[2]),
        heading_rad=descent.heading_rad,
        pitch_rad=descent.pitch_rad,
        roll_rad=descent.roll_rad,
    )


def bridle_shapes(top: ArrayLike, bottom: ArrayLike, *, min_radius_m: float = 0.0) -> list[Shape]:
    """The three bridles from ``top`` (3, 3) ENU points (under the descent stage) to
    ``bottom`` (3, 3) (on the rover), and the umbilical beside them (from a point a third
    of the way from the centre towards the first bridle, at each end); each drawn no
    thinner than ``min_radius_m``. One `Group`."""
    upper = np.asarray(top, dtype=float).reshape(3, 3)
    lower = np.asarray(bottom, dtype=float).reshape(3, 3)
    shapes: list[Shape] = [
        cylinder_between(a, b, BRIDLE_RADIUS_M, WHITE, min_radius_m=min_radius_m)
        for a, b in zip(upper, lower, strict=True)
    ]
    u_top = upper.mean(axis=0) + (upper[0] - upper.mean(axis=0)) / 3.0
    u_bottom = lower.mean(axis=0) + (lower[0] - lower.mean(axis=0)) / 3.0
    shapes.append(
        cylinder_between(u_top, u_bottom, UMBILICAL_RADIUS_M, DARK_GREY, min_radius_m=min_radius_m)
    )
    return [Group.of(shapes)]


def backshell_shapes(pose: VehiclePose) -> list[Shape]:
    """The backshell at ``pose`` (origin the centre of its 4.5 m rim, its lowest point):
    a cone from the rim to the parachute cone, open below (the heat shield's place), and
    the parachute cone closed on top. One `Group`."""
    rim = AEROSHELL_DIAMETER_M / 2.0
    cone_height = (rim - BACKSHELL_SHOULDER_RADIUS_M) / math.tan(
        math.radians(BACKSHELL_CONE_HALF_ANGLE_DEG)
    )
    c1, r1 = _place(pose, (0.0, 0.0, cone_height / 2.0), np.eye(3))
    h2 = BACKSHELL_PARACHUTE_CONE_HEIGHT_M
    c2, r2 = _place(pose, (0.0, 0.0, cone_height + h2 / 2.0), np.eye(3))
    shapes: list[Shape] = [
        Cone(c1, r1, rim, BACKSHELL_SHOULDER_RADIUS_M, cone_height, WHITE, False, False, GREY),
        Cone(c2, r2, BACKSHELL_SHOULDER_RADIUS_M, BACKSHELL_TOP_RADIUS_M, h2, WHITE, False, True),
    ]
    return [Group.of(shapes)]


def _heat_shield_geometry() -> tuple[float, float, float]:
    """(tangency radius, tangency height above the nose, total depth) [m]."""
    cone = math.radians(HEAT_SHIELD_CONE_HALF_ANGLE_DEG)
    rn = HEAT_SHIELD_NOSE_RADIUS_M
    rho_t = rn * math.cos(cone)
    z_t = rn * (1.0 - math.sin(cone))
    depth = z_t + (AEROSHELL_DIAMETER_M / 2.0 - rho_t) / math.tan(cone)
    return rho_t, z_t, depth


#: Depth of the heat shield, nose to rim [m] (D: from the 70 deg cone, the 1.125 m nose
#: radius and the 4.5 m diameter; the shoulder's rounding left out): 0.747 m.
HEAT_SHIELD_DEPTH_M = _heat_shield_geometry()[2]


def heat_shield_shapes(pose: VehiclePose) -> list[Shape]:
    """The heat shield at ``pose`` (origin its nose, the rim `HEAT_SHIELD_DEPTH_M` above
    along z): the spherical nose and the 70 deg cone to the 4.5 m rim, a shell whose
    outer (PICA) face is dark and whose inner face is light. One `Group`."""
    rho_t, z_t, depth = _heat_shield_geometry()
    down = np.diag([1.0, -1.0, -1.0])  # local z toward the nose
    c_nose, r_nose = _place(pose, (0.0, 0.0, z_t), down)
    c_cone, r_cone = _place(pose, (0.0, 0.0, (z_t + depth) / 2.0), np.eye(3))
    rim = AEROSHELL_DIAMETER_M / 2.0
    shapes: list[Shape] = [
        SphericalCap(c_nose, r_nose, rho_t, z_t, PICA, albedo_inside=GREY),
        Cone(c_cone, r_cone, rho_t, rim, depth - z_t, PICA, False, False, GREY),
    ]
    return [Group.of(shapes)]


def _bits(value: int) -> list[bool]:
    return [bool(value >> (9 - i) & 1) for i in range(10)]


def _codes(text: str) -> list[int]:
    """A ring's 10-bit codes: letters by their place in the alphabet, numbers as numbers."""
    return [int(word) if word.isdigit() else ord(word) - 64 for word in text.split()]


#: Where the reading starts in the innermost ring (the gore index of the source's rows).
_FIRST_GORE = 1


@lru_cache(maxsize=1)
def _pattern() -> NDArray[np.bool_]:
    rings = np.ones((len(PARACHUTE_MESSAGE), GORE_COUNT), dtype=bool)  # 1023: filler
    start = _FIRST_GORE
    for ring, text in enumerate(PARACHUTE_MESSAGE):
        if ring < 3:
            groups = [_bits(ord(c) - 64) for c in text] + [_bits(127)]
        else:
            groups = [_bits(code) for code in _codes(text)]
        bits = [b for group in groups for b in group]
        gores = (start + np.arange(len(bits))) % GORE_COUNT
        rings[ring, gores] = bits
        start = (start + len(bits) - 10) % GORE_COUNT  # the next ring starts at the 127
    rings.setflags(write=False)
    return rings


def gore_pattern() -> NDArray[np.bool_]:
    """The canopy's colours, (rings, gores) = (4, 80), True = red: rings from the vent
    outward (three in the disk, the band last), gores in reading order (clockwise for an
    observer looking down on the canopy), gore 0 at the canopy frame's local x axis."""
    return _pattern().copy()


def _canopy_texture(ring_edges: Array, band: bool) -> Callable[[Array], Array]:
    pattern = _pattern()

    def texture(points: Array) -> Array:
        azimuth = np.arctan2(points[:, 1], points[:, 0])
        gore = np.floor((-azimuth % (2.0 * math.pi)) / (2.0 * math.pi / GORE_COUNT))
        gore = np.clip(gore.astype(np.intp), 0, GORE_COUNT - 1)
        if band:
            ring = np.full(len(points), 3)
        else:
            rho = np.hypot(points[:, 0], points[:, 1])
            ring = np.clip(np.searchsorted(ring_edges, rho) - 1, 0, 2)
        red = pattern[ring, gore]
        return np.where(red[:, None], np.array(CANOPY_RED), np.array(CANOPY_WHITE))

    return texture


def parachute_shapes(
    vent_centre_enu: ArrayLike,
    axis_enu: ArrayLike,
    inflation: float,
    *,
    diameter_m: float = PARACHUTE_NOMINAL_DIAMETER_M,
    suspension_lines: int = 0,
    line_min_radius_m: float = 0.0,
) -> list[Shape]:
    """The disk-gap-band canopy: the disk a dome from the vent (at ``vent_centre_enu``) to
    its rim, a gap, the band a cylinder below; ``axis_enu`` (unit) points from the payload
    toward the canopy. ``inflation`` 0..1 scales the mouth from 5 % to 100 % of
    ``diameter_m`` (the band's diameter), the fabric's lengths along the axis kept.
    ``suspension_lines`` > 0 draws that many lines (of 80) from the band's skirt to the
    confluence, 1.7 diameters from the skirt, no thinner than ``line_min_radius_m``.
    One `Group`; gore 0 of `gore_pattern` lies along the frame `frame_from_axis` gives."""
    if not 0.0 <= inflation <= 1.0:
        raise ValueError(f"inflation {inflation} is outside 0..1")
    vent = np.asarray(vent_centre_enu, dtype=float)
    rotation = frame_from_axis(axis_enu)
    axis = rotation[:, 2]
    disk_d = diameter_m / (1.0 + 4.0 * DGB_GAP_FRACTION + 4.0 * DGB_BAND_FRACTION) ** 0.5
    scale = 0.05 + 0.95 * inflation
    rim = scale * diameter_m / 2.0
    depth = min(CANOPY_DEPTH_FRACTION * diameter_m / 2.0 * (1.0 + 2.0 * (1.0 - inflation)), rim)
    vent_r = scale * DGB_VENT_FRACTION * disk_d / 2.0
    gap = DGB_GAP_FRACTION * disk_d
    band = DGB_BAND_FRACTION * disk_d
    edges = vent_r + (rim - vent_r) * np.array([0.0, 1.0 / 3.0, 2.0 / 3.0, 1.0])
    disk = SphericalCap(
        vent - axis * depth,
        rotation,
        rim,
        depth,
        _canopy_texture(edges, band=False),
        hole_radius_m=vent_r,
    )
    band_centre = vent - axis * (depth + gap + band / 2.0)
    band_shape = Cylinder(
        band_centre, rotation, rim, band / 2.0, _canopy_texture(edges, band=True), capped=False
    )
    shapes: list[Shape] = [disk, band_shape]
    if suspension_lines > 0:
        skirt = vent - axis * (depth + gap + band)
        length = SUSPENSION_LINE_FRACTION * diameter_m
        confluence = skirt - axis * math.sqrt(max(length**2 - rim**2, 0.0))
        for k in np.linspace(0.0, GORE_COUNT, suspension_lines, endpoint=False):
            phi = -2.0 * math.pi * k / GORE_COUNT
            edge = skirt + rim * (math.cos(phi) * rotation[:, 0] + math.sin(phi) * rotation[:, 1])
            shapes.append(
                cylinder_between(
                    edge,
                    confluence,
                    SUSPENSION_LINE_RADIUS_M,
                    WHITE,
                    min_radius_m=line_min_radius_m,
                )
            )
    return [Group.of(shapes)]
