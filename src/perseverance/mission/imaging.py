"""The mission's surface imaging: each sol's shots rendered, written and recorded as products.

After a sol's activities the runner hands `SolImager.shoot` the rover's place and the
sol's events; the imager takes the scenario's shots for that sol
(`mission.imaging_schedule`): frames of the terrain from the rover where the traverse
left it (`mission.views`, as `perseverance image` renders them), the panoramas
stitched into cylindrical mosaics (`imaging.panorama`), and the procedural close-ups
of the sampling and depot operations (`imaging.closeups`). Each image is a PNG under
``runs/<id>/images/sol_NNNN/`` with a thumbnail beside it (`thumbnail_width_px` wide),
both written atomically, and a product row the runner adds in the sol's transaction.

Files and rows stay in step: a sol's folder is emptied before its images are written,
so the files left by an attempt that was rolled back (a crash, a kill) are removed
when the sol is flown again on resume, and the runner removes them at once when the
sol's transaction fails in the same process. Rendering is deterministic, so a resumed
run writes the same files and the same rows as one never interrupted. A shot that
cannot be rendered (any exception in a renderer) is a product of status ``failed``
with its reason and no file, and the mission goes on.

The sky's dust opacity at each shot is the run's weather's (`perseverance.weather`, the
one weather source; `render.DEFAULT_TAU` without one).

Modes (``--imaging``): ``default`` renders each shot at its scenario size; ``full`` at
the camera's own format (every shot a full frame: large and slow); ``off`` renders
nothing. The dust covers of sol 0 are modelled as a translucent diffuser (E): the
frame is blurred by `DUST_COVER_BLUR` of its width, keeps `DUST_COVER_TRANSMISSION`
of its light and gains a uniform veil of `DUST_COVER_VEIL` (light scattered in the
cover).
"""

from __future__ import annotations

import io
import math
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageFilter

from perseverance.edl.results import EdlResult
from perseverance.errors import ConfigError
from perseverance.imaging import closeups
from perseverance.imaging.cameras import CameraCatalogue, load_cameras
from perseverance.imaging.edl_imagery import VIDEO_NAME, make_edl_imagery
from perseverance.imaging.mounts import VehiclePose
from perseverance.imaging.panorama import AXIS_STRIP_PX, PanoramaFrame, labelled_png, stitch
from perseverance.imaging.render import DEFAULT_TAU, to_counts
from perseverance.imaging.scene import Scene
from perseverance.mars.constants import LMST_HOUR_S
from perseverance.mars.sun import sun_at_site
from perseverance.mission.clock import MissionClock, lmst_text
from perseverance.mission.imaging_schedule import PANORAMA_ROW_STEP, ImagingSchedule, Shot
from perseverance.mission.sol_files import IMAGES_DIR, sol_dir
from perseverance.mission.views import render_view, sees_rover, terrain_scene, with_rover
from perseverance.outputs import write_atomic
from perseverance.store.schema import PRODUCT_PATH_LENGTH
from perseverance.terrain.landing_region import LandingRegion
from perseverance.terrain.site import Site
from perseverance.weather.model import Weather

__all__ = [
    "IMAGES_DIR",
    "IMAGING_MODES",
    "ImagingMode",
    "SolEvents",
    "SolImager",
    "check_imaging_mode",
]

Array = NDArray[np.float64]
ImagingMode = Literal["default", "full", "off"]
#: The ``--imaging`` choices.
IMAGING_MODES: tuple[ImagingMode, ...] = ("default", "full", "off")
#: Dust-cover model (E: no published transmission of the Hazcam covers): blur radius as a
#: fraction of the frame width, the light let through, and the scattered veil added.
DUST_COVER_BLUR = 0.012
DUST_COVER_TRANSMISSION = 0.55
DUST_COVER_VEIL = 0.12
#: Sun direction used for the close-ups' shading when the Sun is down [deg] (E: the
#: turret's LED illuminators).
LAMP_ELEVATION_DEG = 45.0


#: The landing's imagery folder inside sol 0's images folder.
EDL_IMAGERY_DIR = "edl"
#: Product names of the landing's imagery, by kind.
_LANDING_NAMES = {
    "descent_video": "the descent video (PUC, RDC, LCAM, DDC, RUC)",
    "descent_preview": "the descent video's animated preview",
    "sky_crane_photo": "the sky-crane photo: the rover 2 m above the ground (DDC)",
    "hirise_frame": "HiRISE's picture of Perseverance on its parachute",
}

#: Sample types whose tubes were not filled by coring an abraded rock.
_NOT_ABRADED = ("witness", "regolith")


def check_imaging_mode(mode: str) -> ImagingMode:
    """``mode`` if it is one of `IMAGING_MODES`; else a one-line `ConfigError`."""
    for known in IMAGING_MODES:
        if mode == known:
            return known
    raise ConfigError(f"--imaging {mode!r}: not a mode (allowed: {', '.join(IMAGING_MODES)})")


def sol_folder(sol: int) -> str:
    """The images folder of ``sol``, relative to the run folder."""
    return sol_dir(IMAGES_DIR, sol)


@dataclass(frozen=True)
class SolEvents:
    """What happened on a sol that a shot may be taken after."""

    drove: bool = False
    sealed: list[dict[str, Any]] = field(default_factory=list)
    """``sample_sealed`` payloads (tube_id, name, sample_type...)."""
    deposited: list[dict[str, Any]] = field(default_factory=list)
    """``tube_deposited`` payloads."""

    @classmethod
    def of(cls, drive_m: float, events: list[dict[str, Any]]) -> SolEvents:
        """From the sol's distance driven [m] and its event rows."""
        sealed = [dict(e.get("payload") or {}) for e in events if e["name"] == "sample_sealed"]
        dropped = [dict(e.get("payload") or {}) for e in events if e["name"] == "tube_deposited"]
        return cls(drive_m > 0.0, sealed, dropped)


@dataclass(frozen=True)
class _Exposure:
    """One image to take: a shot's camera, its pointing and target."""

    shot_index: int
    shot: Shot
    camera: str
    stem: str
    pan_deg: float = 0.0
    """Bearing a mast camera is turned to [deg, clockwise from north] (unused otherwise)."""
    tilt_deg: float = 0.0
    """Elevation a mast camera is tilted to [deg]."""
    target: dict[str, Any] = field(default_factory=dict)
    panorama: tuple[int, str] | None = None
    """The panorama (shot index, camera) this frame belongs to."""


def _lmst(hours: float) -> str:
    seconds = round(hours * 3600) % 86_400
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


class SolImager:
    """Renders a run's shots sol by sol into its run folder (see the module)."""

    def __init__(
        self,
        schedule: ImagingSchedule,
        region: LandingRegion,
        site: Site,
        clock: MissionClock,
        run_folder: Path,
        *,
        seed: int,
        mode: ImagingMode = "default",
        catalogue: CameraCatalogue | None = None,
        weather: Weather | None = None,
    ) -> None:
        self.schedule = schedule
        self.region = region
        self.site = site
        self.clock = clock
        self.run_folder = run_folder
        self.seed = int(seed)
        self.mode = mode
        self.catalogue = catalogue or load_cameras()
        #: The run's weather: the sky's dust opacity at each shot (None: `DEFAULT_TAU`).
        self.weather = weather
        self._terrain: Scene | None = None
        self._with_rover: tuple[VehiclePose, Scene] | None = None
        #: Seconds spent rendering and writing, and images written (for the benchmark).
        self.seconds = 0.0
        self.images = 0

    def scene(self, rover: VehiclePose | None) -> Scene:
        """What the cameras see: the terrain (built once, `views.terrain_scene`), with the
        rover at ``rover`` if given (built once per pose)."""
        if self._terrain is None:
            self._terrain = terrain_scene(self.region)
        if rover is None:
            return self._terrain
        if self._with_rover is None or self._with_rover[0] != rover:
            self._with_rover = (rover, with_rover(self._terrain, rover))
        return self._with_rover[1]

    def discard(self, sol: int) -> None:
        """Remove ``sol``'s images (its transaction did not commit)."""
        shutil.rmtree(self.run_folder / sol_folder(sol), ignore_errors=True)

    # ------------------------------------------------------------------ planning

    def exposures(self, sol: int, events: SolEvents, heading_rad: float) -> list[_Exposure]:
        """The images to take on ``sol``, downlink priority first (then file order)."""
        out: list[_Exposure] = []
        for index, shot in self.schedule.on_sol(sol):
            out += self._expand(index, shot, events, heading_rad)
        return sorted(out, key=lambda x: (x.shot.priority, x.shot_index))

    def _expand(
        self, index: int, shot: Shot, events: SolEvents, heading_rad: float
    ) -> Iterator[_Exposure]:
        if shot.on == "drive_end" and not events.drove:
            return
        targets: list[dict[str, Any]] = [{}]
        if shot.on == "sample_sealed":
            targets = events.sealed
            if shot.pointing == "abrasion_patch":  # only rock cores are abraded first
                targets = [t for t in targets if t.get("sample_type") not in _NOT_ABRADED]
        elif shot.on == "tube_deposited":
            targets = events.deposited
        heading = math.degrees(heading_rad) % 360.0
        for camera in shot.cameras:
            base = f"s{index:02d}_{camera}"
            if shot.pointing == "panorama":
                yield from self._panorama(index, shot, camera, base)
                continue
            for k, target in enumerate(targets):
                stem = base if len(targets) == 1 and not target else f"{base}_{k:02d}"
                if target.get("tube_id"):
                    stem = f"{base}_{target['tube_id']}"
                bearing = shot.az_deg if shot.pointing == "bearing" else heading
                yield _Exposure(index, shot, camera, stem, bearing or 0.0, shot.el_deg, target)

    def _panorama(self, index: int, shot: Shot, camera: str, base: str) -> Iterator[_Exposure]:
        assert shot.frames is not None
        columns = shot.frames // shot.rows
        spec = self.catalogue.cameras[camera]
        vfov = spec.vertical_fov_deg or math.degrees(
            2 * math.atan(spec.height_px * (spec.ifov_urad or 0.0) * 1e-6 / 2)
        )
        start = shot.az_deg or 0.0
        for row in range(shot.rows):
            el = shot.el_deg + (row - (shot.rows - 1) / 2) * PANORAMA_ROW_STEP * vfov
            for col in range(columns):
                az = (start + col * 360.0 / columns) % 360.0
                n = row * columns + col
                yield _Exposure(
                    index, shot, camera, f"{base}_{n:03d}", az, el, panorama=(index, camera)
                )

    # ------------------------------------------------------------------ taking

    def shoot(self, sol: int, rover: VehiclePose, events: SolEvents) -> list[dict[str, Any]]:
        """Take ``sol``'s images from ``rover``; returns their product rows (write order)."""
        t0 = time.perf_counter()
        exposures = self.exposures(sol, events, rover.heading_rad)
        self.discard(sol)
        if not exposures:
            return []
        folder = self.run_folder / sol_folder(sol)
        folder.mkdir(parents=True, exist_ok=True)
        rows: list[dict[str, Any]] = []
        frames: dict[tuple[int, str], list[PanoramaFrame]] = {}
        last_of: dict[tuple[int, str], int] = {}
        for i, x in enumerate(exposures):
            if x.panorama is not None:
                last_of[x.panorama] = i
        for i, x in enumerate(exposures):
            rows.append(self._take(sol, rover, x, frames))
            if x.panorama is not None and last_of[x.panorama] == i:
                rows.append(self._mosaic(sol, x, frames.pop(x.panorama, [])))
        self.seconds += time.perf_counter() - t0
        self.images += sum(1 for r in rows if r["status"] == "ok")
        return rows

    def landing(self, result: EdlResult) -> list[dict[str, Any]]:
        """The landing's imagery (the scenario's ``[imaging.edl]``; none without it) from
        the flown descent ``result``, under ``images/sol_0000/edl/`` (emptied first, and
        removed with sol 0's other images if the sol rolls back): the descent video, its
        animated preview, the sky-crane photo and the HiRISE frame (`make_edl_imagery`),
        each with a thumbnail. A failure is one ``failed`` row and the mission goes on."""
        spec = self.schedule.edl
        if spec is None:
            return []
        t0 = time.perf_counter()
        rel_folder = f"{sol_folder(0)}/{EDL_IMAGERY_DIR}"
        folder = self.run_folder / rel_folder
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        lmst = lmst_text(self.clock.landing_lmst_s)
        base = {"sol": 0, "priority": spec.priority, "instrument": "EDL cameras", "lmst": lmst}
        try:
            made = make_edl_imagery(
                result,
                self.region,
                self.site,
                folder,
                width_px=spec.video_width_px,
                photo_width_px=spec.photo_width_px,
                hirise_size_px=spec.hirise_size_px,
            )
            preview = next(f"{rel_folder}/{p.name}" for k, p, _ in made if k == "descent_preview")
            rows = [self._landing_row(base, rel_folder, preview, *item) for item in made]
        except Exception as exc:  # the mission goes on without the landing's pictures
            shutil.rmtree(folder, ignore_errors=True)
            video = f"{rel_folder}/{VIDEO_NAME}"
            failed = {
                "kind": "descent_video",
                "path": video,
                "name": _LANDING_NAMES["descent_video"],
            }
            return [base | failed | {"status": "failed", "reason": _reason(exc), "bytes": None}]
        self.seconds += time.perf_counter() - t0
        self.images += sum(1 for r in rows if r["status"] == "ok")
        return rows

    def _landing_row(
        self,
        base: dict[str, Any],
        rel_folder: str,
        preview: str,
        kind: str,
        path: Path,
        meta: dict[str, Any],
    ) -> dict[str, Any]:
        """The product row of one of `make_edl_imagery`'s products (its PNG's thumbnail
        written here)."""
        rel = f"{rel_folder}/{path.name}"
        row = base | {"kind": kind, "path": rel, "name": _LANDING_NAMES[kind]}
        row["camera"] = meta.get("camera")
        if kind == "hirise_frame":
            row["instrument"] = "HiRISE (MRO)"
        if meta.get("status") == "failed":
            return row | {
                "status": "failed",
                "reason": str(meta.get("reason"))[:PRODUCT_PATH_LENGTH],
                "bytes": None,
            }
        row |= {"bytes": path.stat().st_size, "status": "ok", "reason": None, "thumbnail": preview}
        if path.suffix == ".mp4":
            return row | {"width_px": meta.get("width_px"), "height_px": meta.get("height_px")}
        data = path.read_bytes()
        with Image.open(io.BytesIO(data)) as picture:
            width, height = picture.width, picture.height
        row |= {"width_px": width, "height_px": height}
        if path.suffix == ".png":
            row |= self._write(rel, data, width, written=True)
        return row

    def _size(self, shot: Shot, camera: str) -> tuple[int, int]:
        width = self.catalogue.cameras[camera].width_px if self.mode == "full" else shot.width_px
        return width, shot.height_px(camera, width)

    def _row(self, sol: int, x: _Exposure, kind: str, path: str) -> dict[str, Any]:
        shot = x.shot
        pointing: dict[str, Any]
        if shot.pointing in ("heading", "bearing", "panorama"):
            pointing = {"az_deg": round(x.pan_deg, 6), "el_deg": round(x.tilt_deg, 6)}
        else:
            pointing = {"named": shot.pointing} | {
                k: v for k, v in x.target.items() if k in ("tube_id", "name")
            }
        return {
            "kind": kind,
            "path": path,
            "sol": sol,
            "priority": shot.priority,
            "name": shot.name,
            "instrument": self.catalogue.cameras[x.camera].group,
            "camera": x.camera,
            "lmst": _lmst(shot.lmst_hours),
            "pointing": pointing,
        }

    def _take(
        self,
        sol: int,
        rover: VehiclePose,
        x: _Exposure,
        frames: dict[tuple[int, str], list[PanoramaFrame]],
    ) -> dict[str, Any]:
        full = x.shot.downlink == "full" or self.mode == "full"
        kind = "image" if full else "image_thumbnail"
        rel = f"{sol_folder(sol)}/{x.stem}.png"
        row = self._row(sol, x, kind, rel)
        try:
            width, height = self._size(x.shot, x.camera)
            image, bits, frame = self._render(sol, rover, x, width, height)
            if frame is not None and x.panorama is not None:
                frames.setdefault(x.panorama, []).append(frame)
            if frame is not None and "named" in row["pointing"]:  # where the mount looked
                row["pointing"] |= _az_el(frame.pose.boresight)
            data = _png(image, bits)
            row |= self._write(rel, data, width) | {"width_px": width, "height_px": height}
        except Exception as exc:  # a renderer's failure is a failed product, not a crash
            return row | {"status": "failed", "reason": _reason(exc), "bytes": None}
        return row | {"status": "ok", "reason": None}

    def _render(
        self, sol: int, rover: VehiclePose, x: _Exposure, width: int, height: int
    ) -> tuple[Array, int, PanoramaFrame | None]:
        shot = x.shot
        when = self.clock.utc(sol, shot.lmst_hours * LMST_HOUR_S)
        sun = sun_at_site(self.site, when)
        seed = [self.seed, sol, x.shot_index, sum(map(ord, x.stem))]
        draw_seed = int(np.random.default_rng(seed).integers(2**31))
        sun_el = float(sun.elevation_deg)
        light_el = sun_el if sun_el > 5.0 else LAMP_ELEVATION_DEG
        if shot.pointing == "abrasion_patch":
            rock = str(x.target.get("sample_type") or "igneous")
            rock = rock if rock in closeups.ROCK_RGB else "igneous"
            image = closeups.abrasion_patch(
                width, height, seed=draw_seed, rock=rock, sun_elevation_deg=light_el
            )
            return image, 8, None
        if shot.pointing == "sealed_tube":
            return closeups.sealed_tube(width, height, seed=draw_seed), 8, None
        if shot.pointing == "dropped_tube":
            image = closeups.dropped_tube(width, height, seed=draw_seed, sun_elevation_deg=light_el)
            return image, 8, None
        mast = shot.pointing in ("heading", "bearing", "panorama")
        pan = math.radians(x.pan_deg) - rover.heading_rad if mast else 0.0
        tilt = math.radians(x.tilt_deg) if mast else 0.0
        view = render_view(
            self.catalogue,
            x.camera,
            self.scene(rover if sees_rover(self.catalogue, x.camera, tilt) else None),
            rover,
            sun.enu,
            width_px=width,
            height_px=height,
            pan_rad=pan,
            tilt_rad=tilt,
            tau=self.dust_tau(when),
        )
        image = _through_dust_cover(view.image) if shot.dust_cover else view.image
        return image, view.bit_depth, PanoramaFrame(image, view.model, view.pose)

    def dust_tau(self, utc: datetime) -> float:
        """The dust optical depth the sky has at ``utc`` (the weather's, or `DEFAULT_TAU`)."""
        if self.weather is None:
            return DEFAULT_TAU
        return self.weather.at(utc)["dust_tau"]

    def _write(
        self, rel: str, data: bytes, width_px: int, *, written: bool = False
    ) -> dict[str, Any]:
        """Write a PNG ``width_px`` wide (unless already ``written``) and its thumbnail;
        the row fields ``bytes`` and ``thumbnail``. The thumbnail is made first, and a
        failure removes what was written, so a failed product leaves no file."""
        path = self.run_folder / rel
        thumb_rel = rel
        thumb = None
        if width_px > self.schedule.thumbnail_width_px:
            thumb_rel = rel[: -len(".png")] + "_thumb.png"
            thumb = _thumbnail(data, self.schedule)
        try:
            if not written:
                write_atomic(path, data)
            if thumb is not None:
                write_atomic(self.run_folder / thumb_rel, thumb)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return {"bytes": len(data), "thumbnail": thumb_rel}

    def _mosaic(self, sol: int, last: _Exposure, frames: list[PanoramaFrame]) -> dict[str, Any]:
        """Stitch a panorama's frames and write its labelled mosaic."""
        rel = f"{sol_folder(sol)}/s{last.shot_index:02d}_{last.camera}_panorama.png"
        row = self._row(sol, last, "panorama", rel)
        row["pointing"] = {"named": "panorama", "el_deg": last.shot.el_deg}
        try:
            if not frames:
                raise ValueError("no frame of the panorama was rendered")
            mosaic = stitch(frames, start_bearing_deg=0.0)
            data = labelled_png(mosaic)
            row |= self._write(rel, data, mosaic.width_px)
            height = mosaic.height_px + AXIS_STRIP_PX  # the PNG has the bearing axis too
            row |= {"width_px": mosaic.width_px, "height_px": height}
        except Exception as exc:
            return row | {"status": "failed", "reason": _reason(exc), "bytes": None}
        return row | {"status": "ok", "reason": None}


def _az_el(direction: Array) -> dict[str, float]:
    """Bearing (clockwise from north) and elevation [deg] of an ENU unit vector."""
    east, north, up = (float(c) for c in direction)
    return {
        "az_deg": round(math.degrees(math.atan2(east, north)) % 360.0, 6),
        "el_deg": round(math.degrees(math.asin(max(-1.0, min(1.0, up)))), 6),
    }


def _reason(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}".replace("\n", " ")
    return text[:PRODUCT_PATH_LENGTH]


def _through_dust_cover(image: Array) -> Array:
    """A frame seen through a translucent dust cover (see the module; E)."""
    data = image if image.ndim == 3 else image[..., None]
    counts = np.rint(np.clip(data, 0, 1) * 255).astype(np.uint8)
    picture = Image.fromarray(counts if counts.shape[2] == 3 else counts[..., 0])
    radius = max(1.0, DUST_COVER_BLUR * image.shape[1])
    blurred = np.asarray(picture.filter(ImageFilter.GaussianBlur(radius)), np.float64) / 255.0
    out = DUST_COVER_TRANSMISSION * blurred + DUST_COVER_VEIL
    result: Array = np.clip(out, 0.0, 1.0)
    return result


def _png(image: Array, bits: int) -> bytes:
    """The PNG of a linear [0, 1] frame (colour at 8 bits; mono at ``bits``, shifted to
    the top of its container as `render.save_png` does)."""
    if image.ndim == 3:
        bits = 8
    container = 8 if bits <= 8 else 16
    counts = to_counts(image, bits) << (container - bits)
    out = io.BytesIO()
    Image.fromarray(counts).save(out, format="PNG")
    return out.getvalue()


def _thumbnail(data: bytes, schedule: ImagingSchedule) -> bytes:
    """A PNG shrunk to the schedule's thumbnail width (8-bit)."""
    with Image.open(io.BytesIO(data)) as opened:
        opened.load()
        picture: Image.Image = opened
        if picture.mode not in ("RGB", "L"):  # a 16-bit mono frame: its top 8 bits
            picture = picture.point(lambda v: v / 256).convert("L")
        width = schedule.thumbnail_width_px
        height = max(1, round(picture.height * width / picture.width))
        small = picture.resize((width, height), Image.Resampling.LANCZOS)
        out = io.BytesIO()
        small.save(out, format="PNG")
        return out.getvalue()
