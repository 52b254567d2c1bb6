"""Guidance pieces: bank-angle limits, geometry, ZEM/ZEV."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from perseverance.edl.guidance import follow_bank, range_and_crossrange, zem_zev_acceleration
from perseverance.mars.constants import R_MARS
from perseverance.mars.frames import position_from_spherical, velocity_from_flight_angles

RATE_MAX = np.deg2rad(20.0)
ACCEL_MAX = np.deg2rad(5.0)
DT = 0.5


@settings(max_examples=80, deadline=None)
@given(bank=st.floats(-3, 3), rate=st.floats(-0.3, 0.3), command=st.floats(-3, 3))
def test_bank_follows_with_rate_and_acceleration_limits(bank, rate, command):
    b, r = np.array([bank]), np.array([rate])
    for _ in range(200):
        nb, nr = follow_bank(
            bank=b,
            rate=r,
            command=np.array([command]),
            dt=DT,
            rate_max=RATE_MAX,
            accel_max=ACCEL_MAX,
        )
        assert abs(nr[0]) <= max(RATE_MAX, abs(r[0])) + 1e-12
        assert abs(nr[0] - r[0]) <= ACCEL_MAX * DT + 1e-12
        b, r = nb, nr
    assert abs(b[0] - command) < 1e-6


def test_range_and_crossrange_geometry():
    lat0, lon0 = 0.0, 0.0
    x, y, z = position_from_spherical(lat0, lon0, R_MARS + 50_000)
    v = velocity_from_flight_angles(
        speed_mps=5000.0,
        flight_path_angle_rad=-0.2,
        heading_rad=np.pi / 2,
        lat_rad=lat0,
        lon_rad=lon0,
    )  # heading east
    ahead = np.array(position_from_spherical(0.0, 0.1, 1.0))
    right = np.array(position_from_spherical(-0.01, 0.1, 1.0))  # south of track: to the right
    rng, cross, herr = range_and_crossrange(position=(x, y, z), velocity=v, target=ahead)
    assert rng == np.float64(R_MARS * 0.1) or abs(rng - R_MARS * 0.1) < 1.0
    assert abs(cross) < 1.0 and abs(herr) < 1e-9
    _, cross, herr = range_and_crossrange(position=(x, y, z), velocity=v, target=right)
    assert cross > 0 and herr > 0


def test_zem_zev_hits_the_target_in_free_space():
    p, v = np.zeros((3, 1)), np.array([[10.0], [0.0], [-50.0]])
    g = np.array([[0.0], [0.0], [-3.7]])
    r_f, v_f = np.array([[100.0], [50.0], [-800.0]]), np.array([[0.0], [0.0], [-20.0]])
    t_go, dt = 20.0, 0.01
    for _ in range(int(t_go / dt)):
        a = zem_zev_acceleration(p=p, v=v, g=g, r_f=r_f, v_f=v_f, t_go=np.array([t_go]))
        v = v + (a + g) * dt
        p = p + v * dt
        t_go -= dt
    assert np.allclose(p, r_f, atol=1.0)
    assert np.allclose(v, v_f, atol=0.5)
