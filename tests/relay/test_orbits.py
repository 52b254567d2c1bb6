"""Relay orbits against outside figures: periods, sun-synchronism, Mars' rotation, bad files."""

from __future__ import annotations

import math

import numpy as np
import pytest

from perseverance.errors import ConfigError
from perseverance.mars.time import local_mean_solar_time_hours, mars_solar_date
from perseverance.relay.orbits import (
    IAU_W_RATE_DEG_PER_DAY,
    load_orbiters,
    mars_rotation_rad,
    seconds_since,
)

#: Published periods within 1 %; TGO's "two-hour orbit" (ESA) is a round figure, and
#: MAVEN's is quoted as 3.5-3.7 h: their tolerances are that rounding.
PERIOD_TOLERANCE = {"mro": 0.01, "odyssey": 0.01, "mex": 0.01, "tgo": 0.02, "maven": 0.03}
#: The Sun's mean motion seen from Mars [deg/day] (Mars24 B-2, 0.524038 deg/day).
SUN_MEAN_MOTION_DEG_PER_DAY = 0.5240385
DAY_S = 86_400.0


@pytest.fixture(scope="module")
def fleet():
    return load_orbiters()


@pytest.mark.parametrize("key", sorted(PERIOD_TOLERANCE))
def test_periods_match_the_published_ones(fleet, key):
    orb = fleet.orbiter(key)
    published = orb.elements.published_period_s
    assert abs(orb.period_s / published - 1.0) <= PERIOD_TOLERANCE[key]


@pytest.mark.parametrize("key", ["mro", "odyssey"])
def test_the_j2_node_rate_of_a_sun_synchronous_orbit_is_the_suns_mean_motion(fleet, key):
    orb = fleet.orbiter(key)
    rate = math.degrees(orb.j2_node_rate_rad_s) * DAY_S
    assert rate == pytest.approx(SUN_MEAN_MOTION_DEG_PER_DAY, rel=0.06)
    # The inclination that makes it exact lies within 0.2 deg of the published one.
    cos_i = math.cos(math.radians(orb.elements.inclination_deg))
    exact = math.degrees(math.acos(cos_i * SUN_MEAN_MOTION_DEG_PER_DAY / rate))
    assert abs(exact - orb.elements.inclination_deg) < 0.2


def test_non_sun_synchronous_orbits_drift_in_local_time(fleet):
    rate = math.degrees(fleet.orbiter("tgo").j2_node_rate_rad_s) * DAY_S
    assert abs(rate - SUN_MEAN_MOTION_DEG_PER_DAY) > 1.0


def test_mars_rotation_follows_the_iau_rate_and_the_mean_sun_mars24(fleet):
    t = np.linspace(0.0, 700 * 88_775.0, 500)
    w, sun = mars_rotation_rad(t, fleet.epoch)
    w_rate = np.polyfit(t / DAY_S, np.degrees(w), 1)[0]
    sun_rate = np.polyfit(t / DAY_S, np.degrees(sun), 1)[0]
    assert w_rate == pytest.approx(IAU_W_RATE_DEG_PER_DAY, rel=1e-6)
    assert sun_rate == pytest.approx(SUN_MEAN_MOTION_DEG_PER_DAY, rel=1e-4)


def test_mro_crosses_the_equator_northward_at_3_pm_local_mean_time(fleet):
    mro = fleet.orbiter("mro")
    t = np.arange(0.0, 50 * DAY_S, 5.0)
    pos = mro.position_body_fixed_m(t)
    up = np.flatnonzero((pos[:-1, 2] < 0.0) & (pos[1:, 2] >= 0.0))
    lon = np.degrees(np.arctan2(pos[up, 1], pos[up, 0]))
    utc = fleet.epoch + np.round(t[up] * 1e6).astype("timedelta64[us]")
    lmst = np.asarray(local_mean_solar_time_hours(mars_solar_date(utc), lon))
    assert up.size > 500
    assert np.all(np.abs(lmst - 15.0) < 0.02)  # 15:00 +- 1 min


def test_positions_keep_the_shape_and_the_radius(fleet):
    for orb in fleet.orbiters:
        t = np.linspace(0.0, 3.0 * orb.period_s, 303).reshape(3, 101)
        pos = orb.position_body_fixed_m(t)
        assert pos.shape == (3, 101, 3)
        r = np.linalg.norm(pos, axis=-1)
        a, e = orb.elements.semi_major_axis_m, orb.elements.eccentricity
        assert r.min() >= a * (1 - e) * (1 - 1e-9) and r.max() <= a * (1 + e) * (1 + 1e-9)
    assert seconds_since("2021-02-18T20:44:49Z", fleet.epoch) == pytest.approx(60.0)


def _write(tmp_path, replace: tuple[str, str]):
    from importlib import resources

    text = resources.files("perseverance.data.orbiters").joinpath("orbiters.toml").read_text()
    assert replace[0] in text
    path = tmp_path / "bad.toml"
    path.write_text(text.replace(replace[0], replace[1], 1))
    return path


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        (
            "eccentricity = 0.008986",
            "eccentricity = 1.2",
            ["mro.eccentricity", "1.2", "0..1, excluding 1"],
        ),
        ("semi_major_axis_m = 3672500.0", "semi_major_axis_m = 3400000.0", ["periapsis", "below"]),
        (
            "max_rate_bps = 2.56e5",
            "max_rate_bps = -5.0",
            ["odyssey.max_rate_bps", "-5", "excluding 0"],
        ),
        ("store_forward_delay_s = 7200.0", "store_forward_delay_s = -1.0", ["store_forward"]),
    ],
)
def test_impossible_elements_are_one_line(tmp_path, old, new, words):
    with pytest.raises(ConfigError) as info:
        load_orbiters(_write(tmp_path, (old, new)))
    message = str(info.value)
    assert "\n" not in message
    assert all(w in message for w in words), message


def test_an_unknown_orbiter_is_one_line(fleet):
    with pytest.raises(ConfigError, match=r"unknown orbiter 'viking'.*mro, odyssey"):
        fleet.orbiter("viking")
