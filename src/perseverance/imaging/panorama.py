"""Frames stitched into a cylindrical mosaic with a bearing axis, and its labelled PNG.

The mosaic is a cylinder round the camera: columns are bearings (clockwise from north,
the first column's left edge at ``start_bearing_deg``), rows are elevations (the top
row's upper edge at ``top_elevation_deg``), both at ``deg_per_px`` (angle-linear in
both axes, so a bearing maps to a column by division). For each mosaic pixel its ray
direction in the site's east-north-up frame is

    d = (cos e sin b, cos e cos b, sin e)

and the pixel is taken from the frame that sees it best: the one whose boresight is
nearest the ray (largest d . boresight), falling back to the next nearest where the
ray misses that frame's image (frame corners). The ray is projected into the frame
with its camera model (`camera_model.project`) and the frame sampled bilinearly.
Pixels no frame sees are black (``coverage`` False). All of it is batch NumPy over
blocks of mosaic pixels; only frames and blocks loop.

What it leaves out: parallax between frames (every ray starts at its frame's camera,
and the cameras of a mast panorama are centimetres apart: negligible beyond a few
metres), blending of the seams and exposure matching.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw

from perseverance.imaging.camera_model import CameraPose, PinholeCamera, project

__all__ = ["Mosaic", "PanoramaFrame", "labelled_png", "stitch"]

Array = NDArray[np.float64]

#: Mosaic pixels handled per block (keeps the block x frames score matrix small).
_BLOCK = 65_536
#: How many frames a pixel tries, nearest boresight first.
_TRIES = 3
#: Coverage a mosaic row needs to be kept when trimming.
TRIM_COVERAGE = 0.995
#: Height of the bearing axis strip under a labelled mosaic [px].
AXIS_STRIP_PX = 22
#: Bearing ticks every this many degrees; N, E, S, W labelled by letter.
TICK_STEP_DEG = 30


@dataclass(frozen=True)
class PanoramaFrame:
    """One frame of a panorama: its ``image`` (H, W) or (H, W, C) in [0, 1], the camera
    model at the image's own size and the camera's pose."""

    image: Array
    model: PinholeCamera
    pose: CameraPose


@dataclass(frozen=True)
class Mosaic:
    """A cylindrical mosaic (see the module): ``image`` (H, W, C), ``coverage`` (H, W)."""

    image: Array
    coverage: NDArray[np.bool_]
    start_bearing_deg: float
    top_elevation_deg: float
    deg_per_px: float

    @property
    def width_px(self) -> int:
        return int(self.image.shape[1])

    @property
    def height_px(self) -> int:
        return int(self.image.shape[0])

    def column_of(self, bearing_deg: float) -> float:
        """The (fractional) column whose centre looks at ``bearing_deg``: the pixel is
        ``round(column_of(b))``."""
        offset = (bearing_deg - self.start_bearing_deg) % 360.0
        return offset / self.deg_per_px - 0.5

    def row_of(self, elevation_deg: float) -> float:
        """The (fractional) row whose centre looks at ``elevation_deg``."""
        return (self.top_elevation_deg - elevation_deg) / self.deg_per_px - 0.5

    def bearings_deg(self) -> Array:
        """Bearing of each column's centre [deg, 0..360)."""
        columns = np.arange(self.width_px, dtype=np.float64) + 0.5
        result: Array = np.asarray(
            (self.start_bearing_deg + columns * self.deg_per_px) % 360.0, np.float64
        )
        return result

    def elevations_deg(self) -> Array:
        """Elevation of each row's centre [deg]."""
        rows = np.arange(self.height_px, dtype=np.float64) + 0.5
        result: Array = np.asarray(self.top_elevation_deg - rows * self.deg_per_px, np.float64)
        return result


def _frame_scale_deg(frame: PanoramaFrame) -> float:
    """The angle of one of ``frame``'s centre pixels [deg]."""
    return math.degrees(1.0 / frame.model.focal_x_px)


def _elevation_span(frames: Sequence[PanoramaFrame]) -> tuple[float, float]:
    """Lowest and highest elevation the frames see [deg] (boresight ± half the field)."""
    lows, highs = [], []
    for f in frames:
        b = f.pose.boresight
        el = math.degrees(math.asin(max(-1.0, min(1.0, float(b[2])))))
        half = math.degrees(math.atan(f.model.height_px / 2 / f.model.focal_y_px))
        lows.append(el - half)
        highs.append(el + half)
    return max(-90.0, min(lows)), min(90.0, max(highs))


def _sample(image: Array, u: Array, v: Array) -> Array:
    """Bilinear samples (N, C) of ``image`` (H, W, C) at pixel coordinates u, v (pixel
    centres at i + 0.5), clamped to the image."""
    h, w = image.shape[:2]
    x = np.clip(u - 0.5, 0.0, w - 1.0)
    y = np.clip(v - 0.5, 0.0, h - 1.0)
    x0 = np.minimum(np.floor(x).astype(np.intp), max(w - 2, 0))
    y0 = np.minimum(np.floor(y).astype(np.intp), max(h - 2, 0))
    x1, y1 = np.minimum(x0 + 1, w - 1), np.minimum(y0 + 1, h - 1)
    fx, fy = (x - x0)[:, None], (y - y0)[:, None]
    top = image[y0, x0] * (1 - fx) + image[y0, x1] * fx
    bottom = image[y1, x0] * (1 - fx) + image[y1, x1] * fx
    result: Array = top * (1 - fy) + bottom * fy
    return result


def stitch(
    frames: Sequence[PanoramaFrame],
    *,
    deg_per_px: float | None = None,
    start_bearing_deg: float = 0.0,
    span_deg: float = 360.0,
    elevation_range_deg: tuple[float, float] | None = None,
    trim: bool = True,
) -> Mosaic:
    """Stitch ``frames`` into a cylindrical mosaic (see the module).

    ``deg_per_px``: the mosaic's angular pixel (default: the frames' finest centre
    pixel); ``span_deg`` of bearing from ``start_bearing_deg``; ``elevation_range_deg``
    (low, high) (default: what the frames see); ``trim`` drops the top and bottom rows
    that the frames cover less than `TRIM_COVERAGE` of (the frames' curved edges).
    """
    if not frames:
        raise ValueError("a panorama needs at least one frame")
    step = deg_per_px if deg_per_px is not None else min(_frame_scale_deg(f) for f in frames)
    if not (math.isfinite(step) and step > 0):
        raise ValueError(f"deg_per_px = {step}: must be positive")
    low, high = elevation_range_deg if elevation_range_deg is not None else _elevation_span(frames)
    if not low < high:
        raise ValueError(f"elevation_range_deg = ({low}, {high}): low must be below high")
    width = max(1, round(span_deg / step))
    height = max(1, round((high - low) / step))
    images = [f.image[..., None] if f.image.ndim == 2 else f.image for f in frames]
    channels = images[0].shape[2]
    if any(im.shape[2] != channels for im in images):
        raise ValueError("the frames mix mono and colour images")
    boresights = np.stack([f.pose.boresight for f in frames])  # (K, 3)

    b = np.radians(start_bearing_deg + (np.arange(width) + 0.5) * step)
    e = np.radians(high - (np.arange(height) + 0.5) * step)
    bb, ee = np.meshgrid(b, e)
    rays_enu = np.stack(
        [np.cos(ee) * np.sin(bb), np.cos(ee) * np.cos(bb), np.sin(ee)], axis=-1
    ).reshape(-1, 3)
    out = np.zeros((rays_enu.shape[0], channels))
    covered = np.zeros(rays_enu.shape[0], dtype=bool)
    tries = min(_TRIES, len(frames))
    for start in range(0, rays_enu.shape[0], _BLOCK):
        block = slice(start, start + _BLOCK)
        d = rays_enu[block]
        order = np.argsort(-(d @ boresights.T), axis=1)[:, :tries]  # nearest first
        filled = np.zeros(d.shape[0], dtype=bool)
        for rank in range(tries):
            for k in np.unique(order[~filled, rank]):
                pick = np.nonzero(~filled & (order[:, rank] == k))[0]
                f = frames[k]
                u, v, front = project(f.model, f.pose, f.pose.position + d[pick])
                h, w = images[k].shape[:2]
                inside = front & (u >= 0) & (u <= w) & (v >= 0) & (v <= h)
                got = pick[inside]
                out[start + got] = _sample(images[k], u[inside], v[inside])
                filled[got] = True
        covered[block] = filled
    image = out.reshape(height, width, channels)
    coverage = covered.reshape(height, width)
    top = 0
    if trim:
        full = np.nonzero(coverage.mean(axis=1) >= TRIM_COVERAGE)[0]
        if full.size:
            top, bottom = int(full[0]), int(full[-1]) + 1
            image, coverage = image[top:bottom], coverage[top:bottom]
    return Mosaic(
        image=image,
        coverage=coverage,
        start_bearing_deg=float(start_bearing_deg),
        top_elevation_deg=float(high - top * step),
        deg_per_px=float(step),
    )


def _tick_label(bearing: int) -> str:
    return {0: "N", 90: "E", 180: "S", 270: "W"}.get(bearing % 360, f"{bearing % 360}°")


def labelled_png(mosaic: Mosaic, *, max_width_px: int | None = None) -> bytes:
    """The mosaic as an 8-bit PNG with a bearing axis along the bottom: a tick every
    `TICK_STEP_DEG` degrees at its column, N, E, S and W by letter, the others in degrees.
    ``max_width_px`` shrinks a wider mosaic (the axis is drawn at the shrunk scale)."""
    rgb = mosaic.image if mosaic.image.shape[2] == 3 else np.repeat(mosaic.image, 3, axis=2)
    counts = np.rint(np.clip(rgb, 0.0, 1.0) * 255).astype(np.uint8)
    picture = Image.fromarray(counts)
    scale = 1.0
    if max_width_px is not None and picture.width > max_width_px:
        scale = max_width_px / picture.width
        size = (max_width_px, max(1, round(picture.height * scale)))
        picture = picture.resize(size, Image.Resampling.LANCZOS)
    canvas = Image.new("RGB", (picture.width, picture.height + AXIS_STRIP_PX), (20, 16, 14))
    canvas.paste(picture, (0, 0))
    draw = ImageDraw.Draw(canvas)
    y0 = picture.height
    first = math.ceil(mosaic.start_bearing_deg / TICK_STEP_DEG) * TICK_STEP_DEG
    span = mosaic.width_px * mosaic.deg_per_px
    for bearing in range(first, math.floor(mosaic.start_bearing_deg + span) + 1, TICK_STEP_DEG):
        x = (mosaic.column_of(bearing) + 0.5) * scale
        if not 0 <= x <= canvas.width - 1:
            continue
        cardinal = bearing % 90 == 0
        draw.line([(x, y0), (x, y0 + (8 if cardinal else 5))], fill=(240, 230, 210), width=1)
        label = _tick_label(bearing)
        left = draw.textlength(label)
        draw.text((x - left / 2, y0 + 9), label, fill=(240, 230, 210))
    out = io.BytesIO()
    canvas.save(out, format="PNG")
    return out.getvalue()
