"""Invariants of the batched dynamics kernel (property tests)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from perseverance.edl.dynamics import Controls, Planet, derivatives, environment
from perseverance.mars.atmosphere import AtmosphereDispersion
from perseverance.mars.constants import GM_MARS, OMEGA_MARS, R_MARS
from perseverance.mars.frames import position_from_spherical, velocity_from_flight_angles
from perseverance.mars.gravity import gravity_j2

angles = st.floats(-1.4, 1.4)
longitudes = st.floats(-3.1, 3.1)


def _controls(n, cos_bank, sin_bank, chute=0.0):
    z = np.zeros(n)
    return Controls(
        capsule_cd_area=np.full(n, 15.9),
        lift_scale=np.ones(n),
        cos_bank=cos_bank,
        sin_bank=sin_bank,
        chute_cd_area=np.full(n, chute),
        chute_deploy_t=np.full(n, -10.0),
        drag_area=z,
        thrust=(z, z, z),
        mass_flow=z,
    )


@settings(max_examples=60, deadline=None)
@given(
    lat=angles,
    lon=longitudes,
    h=st.floats(0, 120_000),
    speed=st.floats(100, 6000),
    fpa=st.floats(-0.5, 0.2),
    heading=st.floats(0, 6.28),
    bank=st.floats(-3.14, 3.14),
    chute=st.sampled_from([0.0, 363.0]),
)
def test_aerodynamic_forces_never_add_energy(m2020, lat, lon, h, speed, fpa, heading, bank, chute):
    """Without wind, drag removes energy and lift does no work: the rate of change of the
    rotating-frame (Jacobi) energy is never positive."""
    x, y, z = position_from_spherical(lat, lon, R_MARS + h)
    v = velocity_from_flight_angles(
        speed_mps=speed, flight_path_angle_rad=fpa, heading_rad=heading, lat_rad=lat, lon_rad=lon
    )
    state = np.array([[x], [y], [z], [v[0]], [v[1]], [v[2]], [3000.0]])
    planet = Planet(m2020.atmosphere, AtmosphereDispersion.nominal(1), m2020.aero)
    env = environment(state, planet)
    d = derivatives(
        state, np.zeros(1), env, _controls(1, np.cos([bank]), np.sin([bank]), chute), planet
    )
    g = gravity_j2(x, y, z)
    non_conservative = d[3:6, 0] - np.array(g) - OMEGA_MARS**2 * np.array([x, y, 0.0])
    power = float(np.dot(non_conservative, state[3:6, 0]))
    assert power <= 1e-9 * speed**2


@settings(max_examples=60, deadline=None)
@given(lat=angles, lon=longitudes, h=st.floats(0, 200_000))
def test_gravity_points_down_with_point_mass_magnitude(lat, lon, h):
    x, y, z = position_from_spherical(lat, lon, R_MARS + h)
    g = np.array(gravity_j2(x, y, z))
    r = np.array([x, y, z])
    point_mass = GM_MARS / (R_MARS + h) ** 2
    assert abs(np.linalg.norm(g) / point_mass - 1) < 0.01  # J2 ~ 2e-3
    assert np.dot(g, r) / (np.linalg.norm(g) * np.linalg.norm(r)) < -0.999


def test_batch_shapes(m2020):
    n = 5
    lat = np.linspace(-0.5, 0.5, n)
    x, y, z = position_from_spherical(lat, 0.3, R_MARS + 40_000)
    v = velocity_from_flight_angles(
        speed_mps=4000.0, flight_path_angle_rad=-0.1, heading_rad=1.0, lat_rad=lat, lon_rad=0.3
    )
    state = np.stack([x, y, z, *v, np.full(n, 3000.0)])
    planet = Planet(m2020.atmosphere, AtmosphereDispersion.nominal(n), m2020.aero)
    env = environment(state, planet)
    d = derivatives(state, np.zeros(n), env, _controls(n, np.ones(n), np.zeros(n)), planet)
    assert d.shape == (7, n)
    assert env.mach.shape == (n,)
