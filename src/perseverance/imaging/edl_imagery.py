"""The EDL imagery of a flown run: the descent video and the sky-crane photo.

`EdlImager` renders what each EDL camera saw at an instant (`EdlImager.view`): the
landing region's terrain (and the Jezero far field when `perseverance.terrain.far_field`
offers one) as a `scene.Scene`, the hardware of that instant (`edl_views.hardware_state`)
as the shapes of `imaging.hardware`, the engines' dust plume as a `scene.DustCloud`, lit
by the Sun at the landing time (`sun.sun_position` at the landing site: over the three
minutes on the parachute the Sun moves by under a degree). Each camera is the catalogue's
pinhole model (`camera_model.PinholeCamera.from_catalogue`) on its mount
(`mounts.camera_pose`) on the vehicle that carries it, resampled to a reduced size (the
field of view kept); LCAM's frames are mono. A camera does not see the vehicle it rides
(it looks out through a window of it), nor, while the stack hangs under the parachute,
the backshell, descent stage and rover it is inside; after backshell separation the
backshell and the parachute are not drawn (the descent stage diverts away from them).

The video (`EdlImager.video`): the cameras in sequence (the edit of
`edl_views.default_segments`), every frame letterboxed into one canvas of the video's
width and 4:5 height, with a caption band under it naming the camera, its height above
the ground, the time to touchdown and the segment's speed-up (Pillow's bundled font);
H.264 MP4 at 30 frames/s (the published landing video was shown at 30 fps, B/C:
docs/reference/instruments.md §7b) and an animated WebP preview (`imaging.video`). The
default width, 320 px (frames 320 x 256, plus a 20 px caption band), keeps the ~350
distinct frames of the default edit to about 50 s on 2 cores (measured: `perseverance edl
--video` 77 s wall, of which ~28 s is the flight).

The sky-crane photo (`EdlImager.sky_crane_photo`): the DDC frame with the rover
`edl_views.SKY_CRANE_PHOTO_M` above the ground, at `PHOTO_WIDTH_PX`, saved as a PNG.

Pixel values are the renderer's linear radiances as 8-bit counts (as `render.save_png`).
Left out: motion blur, the cameras' exposure control, the rolling shutter, the real
PUC's failure (one of the three reportedly failed, §7b), compression artefacts.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFont

from perseverance.errors import ConfigError
from perseverance.imaging import edl_views, hardware
from perseverance.imaging.camera_model import CameraPose, PinholeCamera, rays
from perseverance.imaging.cameras import CameraCatalogue, load_cameras
from perseverance.imaging.edl_views import DescentTrack, HardwareState, Segment
from perseverance.imaging.heightfield import HeightGrid
from perseverance.imaging.hirise import hirise_of_descent
from perseverance.imaging.mounts import camera_pose
from perseverance.imaging.render import DEFAULT_TAU, render, save_png, to_counts, to_mono
from perseverance.imaging.scene import DustCloud, Scene, Shape, site_scene
from perseverance.imaging.video import PREVIEW_FPS, VideoWriter
from perseverance.mars.sun import sun_position
from perseverance.terrain.far_field import FarField

if TYPE_CHECKING:
    from perseverance.edl.results import EdlResult
    from perseverance.terrain.site import Site

__all__ = [
    "DEFAULT_WIDTH_PX",
    "PHOTO_WIDTH_PX",
    "VIDEO_FPS",
    "EdlImager",
    "View",
    "make_edl_imagery",
]

Array = NDArray[np.float64]

#: Frame rate of the descent video [frames/s] (B/C: the published video, §7b).
VIDEO_FPS = 30.0
#: Default width of the video's frames [px] (see the module docstring for the time).
DEFAULT_WIDTH_PX = 320
#: Width of the sky-crane photo [px] (the DDC's 4:3: 800 x 600).
PHOTO_WIDTH_PX = 800
#: The video's canvas: height over width (the 1.3 MP EDL cameras' 5:4).
CANVAS_ASPECT = 0.8
#: The caption band's height over the width (at least `MIN_BAND_PX`).
BAND_FRACTION = 1 / 16
MIN_BAND_PX = 14
#: Exposure of the EDL frames (the renderer's radiance scale, E).
EXPOSURE = 2.0
#: Rendering threads (this machine has 2 cores).
WORKERS = 2
#: What the caption calls each camera.
CAMERA_TITLES = {
    "puc_a": "PUC A, backshell, up",
    "puc_b": "PUC B, backshell, up",
    "puc_c": "PUC C, backshell, up",
    "rdc": "RDC, rover, down",
    "lcam": "LCAM, rover, down",
    "ddc": "DDC, descent stage, down",
    "ruc": "RUC, rover, up",
}
#: File names of the products `make_edl_imagery` writes.
VIDEO_NAME, PREVIEW_NAME, PHOTO_NAME = "descent.mp4", "descent_preview.webp", "sky_crane.png"
HIRISE_NAME = "hirise.png"
#: Side of the HiRISE frame [px] (E: a crop round the speck, not HiRISE's 20,000-px swath).
HIRISE_SIZE_PX = 512

Progress = Callable[[int, int], None]


def _hardware() -> Any:
    """`perseverance.imaging.hardware`: the hardware as shapes (a test may stand in)."""
    return hardware


def _even(value: float) -> int:
    return max(2, 2 * round(value / 2))


@dataclass(frozen=True)
class View:
    """One camera frame: ``rgb`` (h, w, 3) linear in [0, 1], ``label`` (h, w) what each
    pixel met (`scene` labels), ``pieces`` the labels of each piece of hardware in it,
    the ``camera`` model and ``pose`` it was rendered with, and the hardware ``state``."""

    camera_name: str
    t_s: float
    rgb: Array
    label: NDArray[np.int64]
    pieces: dict[str, tuple[int, ...]]
    camera: PinholeCamera
    pose: CameraPose
    state: HardwareState

    def mask(self, piece: str) -> NDArray[np.bool_]:
        """True where the frame shows ``piece`` (``rover``, ``descent_stage``, ...)."""
        labels = self.pieces.get(piece, ())
        shown: NDArray[np.bool_] = np.isin(self.label, np.array(labels, dtype=np.int64))
        return shown

    def counts(self) -> NDArray[np.uint8]:
        """The frame as 8-bit RGB counts."""
        counts: NDArray[np.uint8] = to_counts(self.rgb, 8).astype(np.uint8)
        return counts


class EdlImager:
    """Renders the EDL cameras over one flown track.

    ``track``: the run (`edl_views.DescentTrack`); ``scene``: the terrain (a `Scene` of
    height fields, e.g. `scene.site_scene`); ``sun_enu``: toward the Sun (3,).
    """

    def __init__(
        self,
        track: DescentTrack,
        scene: Scene,
        sun_enu: Array,
        *,
        catalogue: CameraCatalogue | None = None,
        width_px: int = DEFAULT_WIDTH_PX,
        tau: float = DEFAULT_TAU,
        workers: int = WORKERS,
    ) -> None:
        if not 16 <= width_px <= 4096:
            raise ValueError(f"width_px = {width_px}: out of range (16..4096)")
        self.track, self.scene = track, scene
        self.sun_enu = np.asarray(sun_enu, dtype=float)
        self.catalogue = catalogue if catalogue is not None else load_cameras()
        self.width_px, self.tau, self.workers = width_px, tau, workers
        self.recordings = edl_views.recordings(track, self.catalogue)

    # ------------------------------------------------------------------ frames
    def frame_size(self, camera_name: str, width_px: int, height_px: int) -> tuple[int, int]:
        """The largest even size of ``camera_name``'s aspect within width x height [px]."""
        cam = self.catalogue.camera(camera_name)
        aspect = cam.height_px / cam.width_px
        w = min(width_px, height_px / aspect)
        return _even(w), _even(w * aspect)

    def shapes(
        self, camera_name: str, state: HardwareState, width_px: int | None = None
    ) -> tuple[list[Shape], dict[str, tuple[int, ...]], list[DustCloud]]:
        """The shapes ``camera_name`` can see at ``state``, the labels of each piece, and
        the dust clouds."""
        parts = _hardware()
        rider = self.catalogue.mount_of(camera_name).vehicle
        stacked = not (state.t_s >= self.track.event("backshell_separation"))
        hidden: set[str] = {str(rider)}
        if stacked and rider in ("backshell", "descent_stage", "rover"):
            hidden |= {"backshell", "descent_stage", "rover"}
        if not stacked:  # the descent stage diverts away from the backshell and parachute
            hidden |= {"backshell", "parachute"}
        groups: list[tuple[str, Sequence[Any]]] = []
        if "rover" not in hidden:
            groups.append(("rover", parts.rover_shapes(state.rover)))
        if "descent_stage" not in hidden:
            groups.append(("descent_stage", parts.descent_stage_shapes(state.descent_stage)))
        if state.bridles is not None:
            top, bottom = state.bridles
            # drawn at least a pixel across at the bridle's length
            fov = math.radians(self.catalogue.camera(camera_name).horizontal_fov_deg or 60.0)
            pixel = 2.0 * math.tan(fov / 2.0) / (width_px or self.width_px)
            thick = 0.5 * pixel * self.track.bridle_length_m
            groups.append(("bridles", parts.bridle_shapes(top, bottom, min_radius_m=thick)))
        if state.backshell is not None and "backshell" not in hidden:
            groups.append(("backshell", parts.backshell_shapes(state.backshell)))
        if (
            state.heat_shield is not None
            and "heat_shield" not in hidden
            and not (state.heat_shield_attached and "backshell" in hidden)
        ):
            groups.append(("heat_shield", parts.heat_shield_shapes(state.heat_shield)))
        if (
            state.parachute is not None
            and state.parachute.inflation > 0.0
            and "parachute" not in hidden
        ):
            chute = state.parachute
            groups.append(
                (
                    "parachute",
                    parts.parachute_shapes(chute.vent_centre_enu, chute.axis_enu, chute.inflation),
                )
            )
        shapes: list[Shape] = []
        pieces: dict[str, tuple[int, ...]] = {}
        for name, group in groups:
            start = len(shapes)
            shapes.extend(group)
            pieces[name] = tuple(range(2 + start, 2 + len(shapes)))
        dust = []
        if state.dust is not None and state.dust.optical_depth > 0.0:
            d = state.dust
            centre = (float(d.centre_enu[0]), float(d.centre_enu[1]), float(d.centre_enu[2]))
            dust.append(DustCloud(centre, d.radius_m, d.height_m, d.optical_depth))
        return shapes, pieces, dust

    def view(
        self, camera_name: str, t_s: float, *, width_px: int | None = None,
        height_px: int | None = None,
    ) -> View:  # fmt: skip
        """What ``camera_name`` saw at ``t_s`` [s from entry], at ``width_px`` (default the
        imager's) by the camera's own aspect (or within ``height_px``)."""
        cam = self.catalogue.camera(camera_name)
        width = width_px or self.width_px
        height = height_px or round(width * cam.height_px / cam.width_px)
        w, h = self.frame_size(camera_name, width, height)
        state = edl_views.hardware_state(self.track, t_s)
        mount = self.catalogue.mount_of(camera_name)
        pose = camera_pose(self.catalogue, camera_name, state.vehicle(mount.vehicle))
        model = PinholeCamera.from_catalogue(cam).resized(w, h)
        origins, directions = rays(model, pose)
        shapes, pieces, dust = self.shapes(camera_name, state, w)
        frame = render(
            self.scene.with_shapes(shapes, dust),
            origins,
            directions,
            self.sun_enu,
            tau=self.tau,
            exposure=EXPOSURE,
            shape=(h, w),
            workers=self.workers,
        )
        rgb = frame.rgb
        if cam.colour == "mono":
            rgb = np.repeat(to_mono(rgb)[..., None], 3, axis=-1)
        return View(camera_name, t_s, rgb, frame.label, pieces, model, pose, state)

    # ------------------------------------------------------------------- video
    def video(
        self,
        path: str | os.PathLike[str],
        preview: str | os.PathLike[str] | None = None,
        *,
        fps: float = VIDEO_FPS,
        segments: Sequence[Segment] | None = None,
        progress: Progress | None = None,
    ) -> dict[str, Any]:
        """Write the descent video (and its preview); returns what it holds."""
        segs = list(segments) if segments is not None else edl_views.default_segments(
            self.track, self.recordings
        )  # fmt: skip
        frames = edl_views.video_frames(segs, self.recordings, fps)
        if not frames:
            raise ValueError("the run gives no EDL camera frames (no parachute, no descent)")
        width = _even(self.width_px)
        canvas_h = _even(width * CANVAS_ASPECT)
        band = _even(max(MIN_BAND_PX, width * BAND_FRACTION))
        font = ImageFont.load_default(size=max(8, round(band * 0.6)))
        distinct = len({(f.camera, f.t_s) for f in frames})
        rendered = 0
        last_key: tuple[str, float] | None = None
        image: NDArray[np.uint8] | None = None
        with VideoWriter(path, width, canvas_h + band, fps=fps, preview=preview) as out:
            for f in frames:
                key = (f.camera, f.t_s)
                if key != last_key or image is None:
                    view = self.view(f.camera, f.t_s, width_px=width, height_px=canvas_h)
                    image = self._compose(view, width, canvas_h, band, f.speed, font)
                    last_key = key
                    rendered += 1
                    if progress is not None:
                        progress(rendered, distinct)
                out.write(image)
        return {
            "frames": len(frames),
            "rendered_frames": rendered,
            "fps": fps,
            "width_px": width,
            "height_px": canvas_h + band,
            "duration_s": round(len(frames) / fps, 3),
            "cameras": sorted({f.camera for f in frames}),
            "segments": [
                {
                    "camera": s.camera,
                    "label": s.label,
                    "start_s": round(s.start_s, 3),
                    "end_s": round(s.end_s, 3),
                    "speed": s.speed,
                }
                for s in segs
            ],
        }

    def _compose(
        self,
        view: View,
        width: int,
        canvas_h: int,
        band: int,
        speed: float,
        font: ImageFont.FreeTypeFont | ImageFont.ImageFont,
    ) -> NDArray[np.uint8]:
        """The frame letterboxed into the canvas with its caption band below."""
        canvas = np.zeros((canvas_h + band, width, 3), np.uint8)
        counts = view.counts()
        h, w = counts.shape[:2]
        top, left = (canvas_h - h) // 2, (width - w) // 2
        canvas[top : top + h, left : left + w] = counts
        picture = Image.fromarray(canvas)
        draw = ImageDraw.Draw(picture)
        state = view.state
        vehicle = self.catalogue.mount_of(view.camera_name).vehicle
        height = max(state.height_of(vehicle), 0.0)
        to_go = state.time_to_touchdown_s
        when = f"touchdown in {to_go:.1f} s" if to_go > 0 else f"touchdown +{-to_go:.1f} s"
        speed_text = "" if speed == 1 else f"  x{speed:g}"
        right_text = f"{height:,.0f} m  {when}{speed_text}"
        left_text = CAMERA_TITLES.get(view.camera_name, view.camera_name)
        room = width - 12 - draw.textlength(right_text, font=font)
        if draw.textlength(left_text, font=font) > room:  # a narrow frame: the short name
            left_text = left_text.split(",")[0]
        y = canvas_h + (band - font.size) // 2 - 1 if hasattr(font, "size") else canvas_h + 2
        draw.text((4, y), left_text, fill=(235, 235, 235), font=font)
        box = draw.textbbox((0, 0), right_text, font=font)
        draw.text((width - 4 - (box[2] - box[0]), y), right_text, fill=(235, 235, 235), font=font)
        return np.asarray(picture, dtype=np.uint8)

    # ------------------------------------------------------------------- photo
    def sky_crane_photo(
        self, path: str | os.PathLike[str] | None = None, *, width_px: int = PHOTO_WIDTH_PX
    ) -> View:
        """The DDC frame with the rover `SKY_CRANE_PHOTO_M` up (saved as PNG at ``path``)."""
        t = edl_views.sky_crane_photo_time(self.track)
        view = self.view("ddc", t, width_px=width_px)
        if path is not None:
            save_png(path, view.rgb)
        return view


# ----------------------------------------------------------------- the products
@dataclass(frozen=True)
class _FlatGrid:
    """Level ground round the site when the run has no terrain map (a flat target)."""

    east_m: NDArray[np.float64]
    north_m: NDArray[np.float64]
    elevation_m: NDArray[np.float64]
    rock_height_m: NDArray[np.float64]


#: Half-width [m] and cell [m] of the level ground drawn for a run without a terrain map.
FLAT_HALF_WIDTH_M, FLAT_CELL_M = 30_000.0, 200.0


def _terrain_grid(region: Any) -> HeightGrid:
    if all(hasattr(region, a) for a in ("east_m", "north_m", "elevation_m", "rock_height_m")):
        grid: HeightGrid = region
        return grid
    floor = float(getattr(region, "floor_elevation_m", 0.0))
    axis = np.arange(-FLAT_HALF_WIDTH_M, FLAT_HALF_WIDTH_M + 1.0, FLAT_CELL_M)
    zeros = np.zeros((axis.size, axis.size))
    return _FlatGrid(axis, axis.copy(), zeros + floor, zeros)


def _far_field(site: Site | None, region: Any = None) -> HeightGrid | None:
    """The crater's far field of ``site``, fitted to ``region`` when it is the site's
    generated map (None when the site has none)."""
    if site is None:
        return None
    fitted = region if getattr(region, "site", None) == site else None
    try:
        far: HeightGrid = FarField.generate(site, fitted)
    except ConfigError:  # the site has no [far_field] table
        return None
    return far


def _track_of(result_or_track: Any, site: Site | None) -> DescentTrack:
    if isinstance(result_or_track, DescentTrack):
        return result_or_track
    if hasattr(result_or_track, "flight") and hasattr(result_or_track, "system"):
        return DescentTrack.from_result(result_or_track)
    if isinstance(result_or_track, tuple) and len(result_or_track) == 2 and site is not None:
        telemetry, events = result_or_track  # one run's columns and its events
        point = site.landing_site
        return DescentTrack.from_telemetry(
            telemetry,
            events,
            site_latitude_deg=point.latitude_deg,
            site_longitude_deg=point.longitude_deg,
        )
    raise TypeError(
        f"make_edl_imagery takes an EdlResult or a DescentTrack, not {result_or_track!r}"
    )


def make_edl_imagery(
    result_or_track: EdlResult | DescentTrack | tuple[Any, Any],
    region: Any,
    site: Site | None,
    out_dir: str | os.PathLike[str],
    *,
    width_px: int = DEFAULT_WIDTH_PX,
    photo_width_px: int = PHOTO_WIDTH_PX,
    hirise_size_px: int = HIRISE_SIZE_PX,
    far_field: HeightGrid | None = None,
    progress: Progress | None = None,
) -> list[tuple[str, Path, dict[str, Any]]]:
    """Render the EDL imagery of a run into ``out_dir`` (an existing folder): the descent
    video ``descent.mp4``, its preview ``descent_preview.webp``, the sky-crane photo
    ``sky_crane.png`` and HiRISE's picture of the parachute ``hirise.png``. Returns
    ``(kind, path, metadata)`` per product, kinds ``descent_video``, ``descent_preview``,
    ``sky_crane_photo``, ``hirise_frame``. A HiRISE frame that cannot be made (the
    parachute is not out a minute before touchdown) is not written: its metadata says
    ``status = "failed"`` and why.

    ``result_or_track``: a flown `EdlResult`, a `DescentTrack`, or ``(telemetry, events)``
    of one run (the columns of `edl.sequence.TELEMETRY_COLUMNS`, the event rows) with
    ``site``: its frame is the site's, its Sun that of the site's landing time.
    ``region``: the run's terrain (a `LandingRegion`, or any terrain: one without a map
    is drawn level at its floor); ``site``: the landing site (its far field and, with a
    track that has no epoch, its landing time); ``far_field`` overrides the far field.
    A product file that exists already is refused (`FileExistsError`), before any work.
    """
    track = _track_of(result_or_track, site)
    folder = Path(out_dir)
    paths = {kind: folder / name for kind, name in (
        ("descent_video", VIDEO_NAME), ("descent_preview", PREVIEW_NAME),
        ("sky_crane_photo", PHOTO_NAME), ("hirise_frame", HIRISE_NAME))}  # fmt: skip
    for path in paths.values():
        if path.exists():
            raise FileExistsError(f"{path}: exists; EDL imagery goes to fresh files")
    if track.epoch_utc is not None:
        utc = track.epoch_utc + timedelta(seconds=track.touchdown_s)
    elif site is not None:
        utc = site.landing_site.landing_utc
    else:
        raise ValueError("the track has no epoch and no site gives the landing time")
    lat, lon = track.site_latitude_deg, track.site_longitude_deg
    if not (math.isfinite(lat) and math.isfinite(lon)) and site is not None:
        lat, lon = site.landing_site.latitude_deg, site.landing_site.longitude_deg
    sun = sun_position(utc, lat, lon)
    far = far_field if far_field is not None else _far_field(site, region)
    scene = site_scene(_terrain_grid(region), far)
    imager = EdlImager(track, scene, np.asarray(sun.enu, dtype=float), width_px=width_px)
    written: list[Path] = []
    try:
        info = imager.video(paths["descent_video"], paths["descent_preview"], progress=progress)
        written += [paths["descent_video"], paths["descent_preview"]]
        photo = imager.sky_crane_photo(paths["sky_crane_photo"], width_px=photo_width_px)
        written.append(paths["sky_crane_photo"])
        try:
            hirise_image, hirise_meta = hirise_of_descent(
                track, scene, np.asarray(sun.enu, dtype=float), size_px=hirise_size_px
            )
        except ValueError as exc:  # e.g. a vehicle whose parachute is not out by then
            hirise_meta = {"status": "failed", "reason": str(exc)}
        else:
            save_png(paths["hirise_frame"], hirise_image)
            written.append(paths["hirise_frame"])
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    common = {
        "utc": utc.isoformat(),
        "sun_elevation_deg": round(float(sun.elevation_deg), 2),
        "sun_azimuth_deg": round(float(sun.azimuth_deg), 2),
    }
    h, w = photo.rgb.shape[:2]
    return [
        ("descent_video", paths["descent_video"], {**common, **info}),
        (
            "descent_preview",
            paths["descent_preview"],
            {**common, "of": VIDEO_NAME, "fps": PREVIEW_FPS},
        ),
        (
            "sky_crane_photo",
            paths["sky_crane_photo"],
            {
                **common,
                "camera": "ddc",
                "t_s": round(photo.t_s, 3),
                "rover_height_m": round(photo.state.rover_height_m, 3),
                "width_px": w,
                "height_px": h,
                "time_to_touchdown_s": round(photo.state.time_to_touchdown_s, 3),
            },
        ),
        ("hirise_frame", paths["hirise_frame"], {**common, "camera": "hirise", **hirise_meta}),
    ]
