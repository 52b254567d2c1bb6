"""mission.views: the rover's heading from its traverse, and which frames see the rover."""

from __future__ import annotations

import math

import pytest

from perseverance.imaging.cameras import load_cameras
from perseverance.mission.views import ROVER_IN_VIEW_BELOW_DEG, heading_of, sees_rover


def test_the_heading_points_from_the_last_point_over_a_centimetre_back():
    assert heading_of([]) == 0.0  # north before any drive
    assert heading_of([(0.0, 0.0), (1.0, 1.0)]) == pytest.approx(math.radians(45.0))
    # the point 5 mm back is skipped: the heading is from (0, 0) to the last point, by
    # hand atan2(-2, 0.005) = 270.14 deg (a turn in place keeps the drive's heading)
    points = [(0.0, 0.0), (-2.0, 0.0), (-2.0, 0.005)]
    assert math.degrees(heading_of(points)) == pytest.approx(270.1432, abs=1e-3)


def test_mast_frames_see_the_rover_only_when_they_look_low_enough():
    catalogue = load_cameras()
    assert sees_rover(catalogue, "hazcam_front_left_a", 0.0)  # body cameras always
    # Mastcam-Z's 19.2 deg field: level, its lowest ray is 9.6 deg down (misses the deck)
    assert not sees_rover(catalogue, "mastcam_z_left", 0.0)
    tilt = math.radians(ROVER_IN_VIEW_BELOW_DEG - 1.0 + 19.2 / 2)
    assert sees_rover(catalogue, "mastcam_z_left", tilt)
