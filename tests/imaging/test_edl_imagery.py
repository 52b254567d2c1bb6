"""perseverance.imaging.edl_imagery: the sky-crane photo's scale against the bridle and the
DDC's field of view, the descent video decoded back, the products written."""

from __future__ import annotations

import math
import types
from dataclasses import dataclass

import numpy as np
import pytest

from perseverance.imaging import edl_imagery as ei
from perseverance.imaging import edl_views as ev
from perseverance.imaging.camera_model import PinholeCamera
from perseverance.imaging.cameras import load_cameras
from perseverance.imaging.scene import site_scene
from perseverance.imaging.video import read_video_info
from perseverance.mars.frames import LocalFrame, spherical_from_position

FRAME = LocalFrame(math.radians(18.4446), math.radians(77.4509))
FLOOR = -2600.0
SUN = np.array([-0.5, -0.2, 0.84]) / np.linalg.norm([-0.5, -0.2, 0.84])
#: The stand-in rover (a box in its body frame [m]): length, width, and its top and
#: bottom above its ground point.
BOX_LENGTH, BOX_WIDTH, BOX_TOP, BOX_BOTTOM = 3.0, 2.7, 1.1, 0.3
TEN_PERCENT = 0.10


@dataclass
class _Grid:
    east_m: np.ndarray
    north_m: np.ndarray
    elevation_m: np.ndarray
    rock_height_m: np.ndarray


def _flat_scene():
    axis = np.arange(-2000.0, 2001.0, 20.0)
    zeros = np.zeros((axis.size, axis.size))
    return site_scene(_Grid(axis, axis.copy(), zeros + FLOOR, zeros))


def _track():
    return ev.DescentTrack.from_telemetry(*_run(), frame=FRAME)


def _run():
    """A vertical sky-crane descent onto the site at 0.75 m/s from 60 m, on 7.6 m bridles
    (docs/reference/edl.md); parachute and heat shield events before it."""
    t = np.arange(0.0, 90.0, 0.1)
    agl = 60.0 - 0.75 * t
    touch = (60.0 - 7.6) / 0.75
    keep = t < touch
    lat, lon, _ = spherical_from_position(*FRAME.direction(np.zeros(keep.sum()), 0.0))
    tel = {"t_s": t[keep], "latitude_deg": np.degrees(lat), "longitude_deg": np.degrees(lon),
           "altitude_m": agl[keep], "height_above_areoid_m": agl[keep] + FLOOR}  # fmt: skip
    events = {"parachute_deploy": 2.0, "heatshield_separation": 8.0, "lvs_solution": 14.0,
              "backshell_separation": 20.0, "skycrane_start": (60.0 - 20.0) / 0.75,
              "touchdown": touch, "flyaway": touch}  # fmt: skip
    return tel, events


@dataclass
class _Hits:
    t: np.ndarray
    normal: np.ndarray
    albedo: np.ndarray


class _Box:
    """An oriented box (slab method): ``centre`` (3,), ``rotation`` local -> ENU, ``half``."""

    def __init__(self, centre, rotation, half):
        self.centre, self.rotation, self.half = np.asarray(centre), rotation, np.asarray(half)

    def intersect(self, origins, directions):
        o = (origins - self.centre) @ self.rotation
        d = directions @ self.rotation
        with np.errstate(divide="ignore", invalid="ignore"):
            t1, t2 = (-self.half - o) / d, (self.half - o) / d
        near = np.nanmax(np.minimum(t1, t2), axis=1)
        far = np.nanmin(np.maximum(t1, t2), axis=1)
        t = np.where((far >= near) & (near > 0), near, np.inf)
        normal = np.zeros_like(origins)
        normal[:, 2] = 1.0
        return _Hits(t, normal, np.full(origins.shape, 0.8))


def _box_hardware():
    def rover(pose):
        rot = pose.rotation()
        centre = pose.position + rot @ [0.0, 0.0, (BOX_TOP + BOX_BOTTOM) / 2]
        return [_Box(centre, rot, [BOX_LENGTH / 2, BOX_WIDTH / 2, (BOX_TOP - BOX_BOTTOM) / 2])]

    nothing = lambda *args, **kwargs: []  # noqa: E731
    return types.SimpleNamespace(
        rover_shapes=rover, descent_stage_shapes=nothing, bridle_shapes=nothing,
        parachute_shapes=nothing, backshell_shapes=nothing, heat_shield_shapes=nothing,
    )  # fmt: skip


def _spans(mask):
    rows, cols = np.nonzero(mask)
    return cols.max() - cols.min() + 1, rows.max() - rows.min() + 1


def _ddc_focal_px(width_px):
    """The DDC's focal length [px] at ``width_px`` from its catalogue field of view."""
    hfov = load_cameras().camera("ddc").horizontal_fov_deg
    return width_px / 2 / math.tan(math.radians(hfov) / 2)


def test_sky_crane_photo_rover_span_is_its_size_over_the_bridle(monkeypatch):
    monkeypatch.setattr(ei, "_hardware", _box_hardware)
    imager = ei.EdlImager(_track(), _flat_scene(), SUN)
    view = imager.sky_crane_photo(width_px=400)
    assert view.state.rover_height_m == pytest.approx(ev.SKY_CRANE_PHOTO_M, abs=0.01)
    span_u, span_v = _spans(view.mask("rover"))
    # the box's top face, bridle - top below the DDC, seen through a 60 deg lens
    f = _ddc_focal_px(400)
    distance = ev.BRIDLE_LENGTH_M - BOX_TOP
    expected = sorted([f * BOX_LENGTH / distance, f * BOX_WIDTH / distance])
    assert sorted([span_u, span_v]) == pytest.approx(expected, rel=TEN_PERCENT)
    assert sorted([span_u, span_v]) == pytest.approx(expected, abs=2)  # in fact to 2 px


def test_sky_crane_photo_with_the_project_hardware():
    hardware = pytest.importorskip("perseverance.imaging.hardware")
    imager = ei.EdlImager(_track(), _flat_scene(), SUN)
    view = imager.sky_crane_photo(width_px=400)
    rover = view.mask("rover")
    assert rover.any()
    # the rover's outline and height measured by straight-down parallel rays on its shapes
    shapes = hardware.rover_shapes(view.state.rover)
    e0, n0, up0 = view.state.rover.position
    grid = np.arange(-3.0, 3.0, 0.01)
    ee, nn = np.meshgrid(e0 + grid, n0 + grid)
    origins = np.column_stack([ee.ravel(), nn.ravel(), np.full(ee.size, up0 + 5.0)])
    down = np.tile([0.0, 0.0, -1.0], (ee.size, 1))
    t = np.min([s.intersect(origins, down).t for s in shapes], axis=0)
    hit = np.isfinite(t)
    tops = up0 + 5.0 - t[hit]
    east, north = origins[hit, 0], origins[hit, 1]
    camera_up = view.state.descent_stage.up_m
    f = _ddc_focal_px(400)
    expected = []
    for along in (east, north):
        lo, hi = np.argmin(along), np.argmax(along)
        # each extreme point at its own depth below the camera
        span = f * (along[hi] - e0 if along is east else along[hi] - n0) / (camera_up - tops[hi])
        span -= f * (along[lo] - e0 if along is east else along[lo] - n0) / (camera_up - tops[lo])
        expected.append(span)
    assert sorted(_spans(rover)) == pytest.approx(sorted(expected), rel=TEN_PERCENT)


def test_the_video_decodes_to_its_frame_count_size_and_rate(tmp_path):
    imager = ei.EdlImager(_track(), _flat_scene(), SUN, width_px=64)
    t_sky = imager.track.event("skycrane_start")
    segments = [ev.Segment("ddc", t_sky, t_sky + 2.0, 4.0), ev.Segment("lcam", 8.0, 12.0, 8.0)]
    info = imager.video(tmp_path / "d.mp4", tmp_path / "d.webp", segments=segments)
    # 2 s at 4x and 4 s at 8x at 30 fps: 15 + 15 frames; the LCAM's 15 span 8.0..11.73 s,
    # at its 1 Hz four distinct frames (8, 9, 10, 11 s)
    assert info["frames"] == 30 and info["rendered_frames"] == 15 + 4
    band = max(ei.MIN_BAND_PX, 64 / 16)
    assert (info["width_px"], info["height_px"]) == (64, 52 + band)
    assert read_video_info(tmp_path / "d.mp4") == (30, 64, 52 + band, 30.0)
    assert (tmp_path / "d.webp").stat().st_size > 0


def test_frames_fit_the_canvas_at_their_cameras_aspect():
    imager = ei.EdlImager(_track(), _flat_scene(), SUN)
    assert imager.frame_size("ddc", 320, 256) == (320, 240)  # 4:3
    assert imager.frame_size("lcam", 320, 256) == (256, 256)  # square
    assert imager.frame_size("rdc", 320, 256) == (320, 256)  # 5:4
    view = imager.view("lcam", 10.0, width_px=64)
    assert view.rgb.shape == (64, 64, 3)
    np.testing.assert_array_equal(view.rgb[..., 0], view.rgb[..., 2])  # mono
    model = PinholeCamera.from_catalogue(load_cameras().camera("lcam")).resized(64, 64)
    assert view.camera == model


def test_make_edl_imagery_writes_three_products_and_refuses_to_overwrite(tmp_path, monkeypatch):
    # a stand-in site has no far field
    monkeypatch.setattr(ei, "_far_field", lambda site, region=None: None)
    track = _track()
    region = types.SimpleNamespace(floor_elevation_m=FLOOR)  # no map: drawn level
    # no epoch: the Sun of the site's landing time
    site = types.SimpleNamespace(landing_site=types.SimpleNamespace(
        landing_utc=__import__("datetime").datetime(2021, 2, 18, 20, 43, 49),
        latitude_deg=18.4446, longitude_deg=77.4509))  # fmt: skip
    products = ei.make_edl_imagery(track, region, site, tmp_path, width_px=32, photo_width_px=64)
    kinds = [kind for kind, _, _ in products]
    assert kinds == ["descent_video", "descent_preview", "sky_crane_photo"]
    assert {p.name for _, p, _ in products} == {p.name for p in tmp_path.iterdir()}
    video = products[0][2]
    assert read_video_info(products[0][1]) == (
        video["frames"],
        video["width_px"],
        video["height_px"],
        30.0,
    )
    before = {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir()}
    with pytest.raises(FileExistsError):
        ei.make_edl_imagery(track, region, site, tmp_path, width_px=32)
    assert before == {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir()}


def test_make_edl_imagery_from_a_runs_telemetry_and_events(tmp_path, monkeypatch):
    monkeypatch.setattr(ei, "_far_field", lambda site, region=None: None)
    site = types.SimpleNamespace(landing_site=types.SimpleNamespace(
        landing_utc=__import__("datetime").datetime(2021, 2, 18, 20, 43, 49),
        latitude_deg=18.4446, longitude_deg=77.4509))  # fmt: skip
    region = types.SimpleNamespace(floor_elevation_m=FLOOR)
    products = ei.make_edl_imagery(_run(), region, site, tmp_path, width_px=32, photo_width_px=64)
    photo = products[2][2]
    assert photo["rover_height_m"] == pytest.approx(ev.SKY_CRANE_PHOTO_M, abs=0.01)
