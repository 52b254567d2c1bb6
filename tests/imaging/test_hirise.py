"""HiRISE's view of the descent against the published geometry (instruments.md §6e).

Independent figures: the published emission angle (72.2 deg), range (≈ 700 km), pixel
scale (69.7 cm), MRO altitude (268.3 km), phase (43.5 deg) and solar incidence (50 deg);
the law of cosines for MRO's altitude; and the parachute's 21.5 m over the pixel scale,
≈ 31 px, measured in a rendered frame.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from perseverance.imaging.camera_model import project
from perseverance.imaging.heightfield import HeightField
from perseverance.imaging.hirise import (
    BACKSHELL_HEIGHT_M,
    HIRISE_IFOV_RAD,
    HiriseView,
    descent_train,
    hirise_frame,
    vent_above_backshell_m,
)
from perseverance.imaging.scene import Scene
from perseverance.mars.constants import R_MARS
from perseverance.mars.sun import sun_at_site
from perseverance.terrain.site import load_site

FLOOR_M = -2600.0
#: The parachute's nominal diameter [m] (docs/reference/edl.md: 21.5 m DGB).
CHUTE_DIAMETER_M = 21.5
#: The picture's time: one minute before the touchdown at 20:43:49 UTC.
PICTURE_UTC = "2021-02-18T20:42:49Z"
TARGET = np.array([-400.0, 1200.0, FLOOR_M + 3000.0])


@pytest.fixture(scope="module")
def view():
    return HiriseView(TARGET)


def test_emission_range_and_scale_are_the_published_ones(view):
    assert view.emission_at(TARGET) == pytest.approx(72.2, abs=0.01)
    assert view.slant_range_m == pytest.approx(700e3, rel=0.01)
    assert view.pixel_scale_m == pytest.approx(0.697, rel=0.005)
    assert np.linalg.norm(view.mro_enu - TARGET) == pytest.approx(view.slant_range_m)
    # MRO's altitude by the law of cosines, and against the published 268.3 km.
    r_t = R_MARS + TARGET[2]
    rho, e = view.slant_range_m, math.radians(72.2)
    altitude = math.sqrt(r_t**2 + rho**2 + 2.0 * r_t * rho * math.cos(e)) - R_MARS
    assert view.altitude_m == pytest.approx(altitude, abs=1.0)
    assert view.altitude_m == pytest.approx(268.3e3, rel=0.03)


def test_phase_and_incidence_with_the_suns_place_at_the_picture(view):
    sun = sun_at_site(load_site("jezero"), PICTURE_UTC)
    assert 90.0 - sun.elevation_deg == pytest.approx(50.0, abs=1.0)
    assert view.phase_deg(sun.enu) == pytest.approx(43.5, abs=1.0)


def test_the_target_is_at_the_centre_and_the_scale_is_one_ifov(view):
    camera = view.camera(512)
    u, v, ahead = project(camera, view.pose, TARGET[None, :])
    assert (u[0], v[0], ahead[0]) == (pytest.approx(256.0, abs=1e-6),
                                      pytest.approx(256.0, abs=1e-6), True)  # fmt: skip
    right = view.pose.rotation[:, 0]
    u2, _, _ = project(camera, view.pose, (TARGET + CHUTE_DIAMETER_M * right)[None, :])
    assert u2[0] - 256.0 == pytest.approx(CHUTE_DIAMETER_M / view.pixel_scale_m, rel=1e-3)
    assert CHUTE_DIAMETER_M / (view.slant_range_m * HIRISE_IFOV_RAD) == pytest.approx(30.8, abs=0.2)
    # Up in the image is toward the sky: a point above the target is higher (smaller v).
    _, v3, _ = project(camera, view.pose, (TARGET + np.array([0.0, 0.0, 50.0]))[None, :])
    assert v3[0] < 256.0


def _ground() -> Scene:
    axis = np.arange(-30_000.0, 30_001.0, 500.0)
    heights = np.full((axis.size, axis.size), FLOOR_M)
    return Scene((HeightField(axis, axis, heights, planet_radius_m=R_MARS),))


def test_the_parachute_spans_its_size_over_the_pixel_scale():
    """The speck is measured in the image: what differs from the bare ground."""
    sun = sun_at_site(load_site("jezero"), PICTURE_UTC)
    size = 160
    image, meta = hirise_frame(_ground(), TARGET, [0.0, 0.0, 1.0], sun.enu, size_px=size)
    assert image.shape == (size, size)
    assert meta["emission_deg"] == pytest.approx(72.2)
    ground = meta["labels"] == 1
    background = float(np.median(image[ground]))
    speck = np.abs(image - background) > 0.2
    # The canopy is the widest part of the speck (the backshell is 4.5 m across).
    widths = [np.ptp(np.nonzero(row)[0]) + 1 for row in speck if row.any()]
    expected = CHUTE_DIAMETER_M / 0.697  # 30.8 px
    assert max(widths) == pytest.approx(expected, rel=0.15)
    # The backshell hangs below the canopy: ~ 55 m down the vertical, 0.95 of it seen.
    rows = np.nonzero(speck.any(axis=1))[0]
    assert rows[-1] - rows[0] + 1 > 40.0 / 0.697
    assert ground.mean() > 0.8


def test_the_train_is_laid_out_along_the_axis():
    axis = np.array([0.3, 0.0, 1.0]) / math.hypot(0.3, 1.0)
    shapes, centre = descent_train(TARGET, axis)
    assert len(shapes) == 2
    along = (centre - TARGET) @ axis
    assert np.linalg.norm(centre - TARGET - along * axis) < 1e-9
    # The canopy's centre: backshell (2 m), riser (10 m), lines (1.7 D = 36.6 m, reaching
    # 35.0 m up the axis), then half the canopy: 45-55 m.
    assert 45.0 < along < 55.0
    # A ray down the axis from above, 1 m off it (the vent is open), meets the canopy
    # before the backshell, and that some 50 m further.
    side = np.cross(axis, [0.0, 1.0, 0.0])
    origin = (TARGET + 200.0 * axis + side / np.linalg.norm(side))[None, :]
    t = [float(shape.intersect(origin, -axis[None, :]).t[0]) for shape in shapes]
    assert t[1] < t[0] < np.inf
    assert t[0] - t[1] == pytest.approx(vent_above_backshell_m() - BACKSHELL_HEIGHT_M, abs=5.0)
