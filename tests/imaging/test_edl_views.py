"""perseverance.imaging.edl_views: the EDL cameras' timeline and the hardware's kinematics,
against hand computations on synthetic descents."""

from __future__ import annotations

import math

import numpy as np
import pytest

from perseverance.imaging import edl_views as ev
from perseverance.imaging import hardware
from perseverance.mars.constants import R_MARS
from perseverance.mars.frames import LocalFrame, spherical_from_position

SITE_LAT, SITE_LON = 18.4446, 77.4509
FRAME = LocalFrame(math.radians(SITE_LAT), math.radians(SITE_LON))
FLOOR = -2600.0  # the ground's height above the areoid [m]
#: The nominal figures the synthetic sky crane flies (docs/reference/edl.md: from 20 m at
#: 0.75 m/s on a 7.6 m bridle).
SKYCRANE_M, SKYCRANE_MPS, BRIDLE_M = 20.0, 0.75, 7.6
ONE_CM = 0.01


def _telemetry(t, east, north, agl, density=None):
    """Telemetry columns of a path given in the site frame (the inverse of the gnomonic
    east/north: the direction through the offset)."""
    lat, lon, _ = spherical_from_position(*FRAME.direction(east, north))
    up_sphere = agl + FLOOR
    columns = {
        "t_s": t,
        "latitude_deg": np.degrees(lat),
        "longitude_deg": np.degrees(lon),
        "altitude_m": agl,
        "height_above_areoid_m": up_sphere,
    }
    if density is not None:
        speed = np.linalg.norm(np.gradient(np.column_stack([east, north, agl]), t, axis=0), axis=1)
        columns["velocity_mps"] = speed
        columns["dynamic_pressure_pa"] = 0.5 * density * speed**2
    return columns


def _sky_crane_track():
    """A vertical descent at 0.75 m/s from 40 m onto the site: sky crane from 20 m."""
    t = np.arange(0.0, 50.0, 0.1)
    agl = 40.0 - SKYCRANE_MPS * t
    t_sky = (40.0 - SKYCRANE_M) / SKYCRANE_MPS
    t_touch = (40.0 - BRIDLE_M) / SKYCRANE_MPS
    keep = t < t_touch
    events = {"parachute_deploy": -100.0, "backshell_separation": -10.0,
              "skycrane_start": t_sky, "touchdown": t_touch, "flyaway": t_touch}  # fmt: skip
    tel = _telemetry(t[keep], np.zeros(keep.sum()), np.zeros(keep.sum()), agl[keep])
    return ev.DescentTrack.from_telemetry(tel, events, frame=FRAME), t_sky, t_touch


def test_latitude_and_longitude_become_site_offsets():
    # 0.01 deg of latitude north of the site is R tan(0.01 deg) north (gnomonic), hand figure
    d = math.radians(0.01)
    tel = {
        "t_s": np.array([0.0, 1.0]),
        "latitude_deg": np.array([SITE_LAT, SITE_LAT + 0.01]),
        "longitude_deg": np.array([SITE_LON, SITE_LON]),
        "altitude_m": np.array([100.0, 100.0]),
        "height_above_areoid_m": np.array([FLOOR + 100.0, FLOOR + 100.0]),
    }
    track = ev.DescentTrack.from_telemetry(
        tel, {"parachute_deploy": 0.0, "touchdown": 1.0}, site_latitude_deg=SITE_LAT,
        site_longitude_deg=SITE_LON,
    )  # fmt: skip
    north = R_MARS * math.tan(d)
    np.testing.assert_allclose(track.position_enu[0], [0.0, 0.0, FLOOR + 100.0], atol=ONE_CM)
    np.testing.assert_allclose(track.position_enu[1, :2], [0.0, north], atol=ONE_CM)
    # up is the height less the drop of the curve, n^2 / 2R (~0.44 m here)
    assert track.position_enu[1, 2] == pytest.approx(FLOOR + 100.0 - north**2 / (2 * R_MARS))


def test_recordings_follow_the_events_and_the_catalogue_rates():
    t = np.arange(0.0, 200.0, 0.5)
    tel = _telemetry(t, np.zeros_like(t), np.zeros_like(t), 10_000.0 - 50.0 * t)
    events = {"parachute_deploy": 20.0, "heatshield_separation": 40.0,
              "backshell_separation": 150.0, "skycrane_start": 180.0, "touchdown": 195.0,
              "flyaway": 195.0}  # fmt: skip
    recs = ev.recordings(ev.DescentTrack.from_telemetry(tel, events, frame=FRAME))
    assert set(recs) == set(ev.EDL_CAMERAS)
    assert recs["puc_a"].start_s == 20.0 - ev.PUC_LEAD_S  # just before deploy
    assert (recs["rdc"].start_s, recs["rdc"].end_s) == (40.0, 195.0)
    assert (recs["lcam"].start_s, recs["lcam"].end_s) == (40.0, 150.0)
    assert recs["ddc"].start_s == recs["ruc"].start_s == 180.0
    assert recs["ruc"].end_s > 195.0  # the flyaway
    assert recs["lcam"].rate_hz == 1.0 and recs["rdc"].rate_hz == 30.0  # catalogue (E)
    assert recs["lcam"].times().size == 111  # 40..150 s at 1 Hz


def test_video_frames_play_each_segment_at_its_speed_and_hold_slow_cameras():
    recs = {
        "lcam": ev.Recording("lcam", 0.0, 20.0, 1.0),
        "rdc": ev.Recording("rdc", 0.0, 20.0, 30.0),
    }
    segs = [ev.Segment("lcam", 2.0, 10.0, 4.0), ev.Segment("rdc", 10.0, 13.0, 1.0)]
    frames = ev.video_frames(segs, recs, fps=30.0)
    # 8 s at 4x is 2 s of video (60 frames), then 3 s at 1x (90 frames)
    assert len(frames) == 150
    assert [f.index for f in frames] == list(range(150))
    lcam = [f.t_s for f in frames if f.camera == "lcam"]
    assert sorted(set(lcam)) == [2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]  # 1 Hz frames held
    rdc = np.array([f.t_s for f in frames if f.camera == "rdc"])
    np.testing.assert_allclose(np.diff(rdc), 1 / 30.0, atol=1e-9)


def test_sky_crane_photo_is_when_the_rover_hangs_two_metres_up():
    track, t_sky, t_touch = _sky_crane_track()
    t = ev.sky_crane_photo_time(track)
    # bridle paid out (5 s) well before: stage at 2 + 7.6 m, reached at 0.75 m/s from 40 m
    expected = (40.0 - (ev.SKY_CRANE_PHOTO_M + BRIDLE_M)) / SKYCRANE_MPS
    assert t == pytest.approx(expected, abs=0.01)
    state = ev.hardware_state(track, t)
    assert state.rover_height_m == pytest.approx(2.0, abs=ONE_CM)
    assert state.descent_stage.up_m - state.rover.up_m == pytest.approx(BRIDLE_M)
    top, bottom = state.bridles
    # from under the stage (0.10 m up) to the deck (1.05 m above the wheels)
    drawn = BRIDLE_M + hardware.DESCENT_STAGE_BOTTOM_M - hardware.ROVER_DECK_HEIGHT_M
    np.testing.assert_allclose(top[:, 2] - bottom[:, 2], drawn)
    assert t_sky < t < t_touch


def test_the_rover_is_stowed_until_the_sky_crane_then_lowered_and_set_down():
    track, t_sky, t_touch = _sky_crane_track()
    before = ev.hardware_state(track, t_sky - 1.0)
    assert before.bridles is None
    assert before.descent_stage.up_m - before.rover.up_m == pytest.approx(ev.ROVER_STOWED_BELOW_M)
    half = ev.hardware_state(track, t_sky + track.bridle_deploy_s / 2)
    expected = (ev.ROVER_STOWED_BELOW_M + BRIDLE_M) / 2
    assert half.descent_stage.up_m - half.rover.up_m == pytest.approx(expected)
    after = ev.hardware_state(track, t_touch + 1.0)
    assert after.rover.up_m == pytest.approx(FLOOR, abs=ONE_CM)  # on the ground
    assert after.rover_height_m == 0.0


def test_flyaway_climbs_as_the_burn_gives():
    track, _, t_touch = _sky_crane_track()
    a, el, burn = track.flyaway_accel_mps2, track.flyaway_elevation_rad, track.flyaway_burn_s
    state = ev.hardware_state(track, t_touch + burn)
    rise = 0.5 * (a * math.sin(el) - ev.G_SURFACE) * burn**2
    assert state.altitude_m == pytest.approx(BRIDLE_M + rise, rel=1e-3)
    moved = math.hypot(state.descent_stage.east_m, state.descent_stage.north_m)
    assert moved == pytest.approx(0.5 * a * math.cos(el) * burn**2, rel=1e-3)


def test_dust_rises_below_twenty_metres_and_grows():
    track, t_sky, t_touch = _sky_crane_track()
    assert ev.hardware_state(track, t_sky - 2.0).dust is None
    early = ev.hardware_state(track, t_sky + 2.0).dust
    late = ev.hardware_state(track, t_touch - 0.5).dust
    assert early is not None and late is not None
    assert late.radius_m > early.radius_m and late.optical_depth > early.optical_depth
    assert late.centre_enu[2] == pytest.approx(FLOOR, abs=ONE_CM)


def _chute_track(density):
    """A steady 80 m/s descent, 60 m/s eastward, on the parachute from 10 km."""
    t = np.arange(0.0, 120.0, 0.1)
    east, agl = 60.0 * t, 10_000.0 - 80.0 * t
    tel = _telemetry(t, east, np.zeros_like(t), agl, density=np.full(t.size, density))
    events = {"parachute_deploy": 5.0, "heatshield_separation": 25.0, "touchdown": 119.0}
    return ev.DescentTrack.from_telemetry(tel, events, frame=FRAME)


def test_the_parachute_trails_against_the_wind_and_inflates_over_its_time():
    track = _chute_track(0.01)
    wind = -np.array([60.0, 0.0, -80.0]) / 100.0  # against the velocity
    assert ev.hardware_state(track, 4.9).parachute is None
    half = ev.hardware_state(track, 5.0 + track.inflation_s / 2)
    assert half.parachute is not None
    assert half.parachute.inflation == pytest.approx(0.5)
    np.testing.assert_allclose(half.parachute.axis_enu, wind, atol=1e-4)  # Mars' curve: 3e-5
    # the backshell's body z (VehiclePose attitude) is the same axis
    np.testing.assert_allclose(half.backshell.rotation()[:, 2], half.parachute.axis_enu, atol=1e-9)
    full = ev.hardware_state(track, 20.0).parachute
    gap = full.vent_centre_enu - ev.hardware_state(track, 20.0).backshell.position
    assert np.linalg.norm(gap) == pytest.approx(ev.BACKSHELL_HEIGHT_M + ev.PARACHUTE_TRAIL_M)


def test_the_heat_shield_falls_away_to_its_own_terminal_speed():
    rho = 0.05  # terminal ~ 55 m/s: reached well within the 60 s of the fall
    track = _chute_track(rho)
    assert ev.hardware_state(track, 24.0).heat_shield_attached
    assert not ev.hardware_state(track, 26.0).heat_shield_attached
    # terminal speed sqrt(2 m g / (rho Cd A)), hand computed from the (E) figures
    area = math.pi * ev.HEATSHIELD_DIAMETER_M**2 / 4
    terminal = math.sqrt(2 * ev.HEATSHIELD_KG * ev.G_SURFACE / (rho * ev.HEATSHIELD_CD * area))
    p1 = ev.hardware_state(track, 70.0).heat_shield.position
    p2 = ev.hardware_state(track, 71.0).heat_shield.position
    assert np.linalg.norm(p2 - p1) == pytest.approx(terminal, rel=0.02)


def test_in_thin_air_the_heat_shield_falls_away_below_the_stack():
    track = _chute_track(0.01)  # its terminal speed ~ 122 m/s; the stack falls at 100 m/s
    gaps = []
    for t in (26.0, 40.0, 60.0):
        state = ev.hardware_state(track, t)
        gaps.append(state.backshell.up_m - state.heat_shield.up_m)
    assert 0.0 < gaps[0] < gaps[1] < gaps[2]
