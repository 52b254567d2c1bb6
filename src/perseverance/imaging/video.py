"""Videos: frames (uint8 RGB, (height, width, 3)) to an H.264 MP4 and an animated preview.

`VideoWriter` streams frames to the ffmpeg binary that the ``imageio-ffmpeg`` package
ships (nothing is downloaded at run time), encoding H.264 (libx264, constant rate factor
`CRF`, preset `PRESET`) in the yuv420p pixel format that every player reads; yuv420p
subsamples the chroma by two in both directions, so the frame's width and height must be
even. It writes into a temporary file beside the destination and renames it into place
only when the last frame is in: the destination never holds half a video, and a path
that already exists is refused (callers pass a fresh path; nothing of anyone's is
overwritten). Frames are not held in memory, except the few kept for the preview.

The preview (`write_preview`, or ``preview=`` of `VideoWriter`) is an animated WebP or
GIF (by the file's suffix) written with Pillow at a reduced size and frame rate: every
k-th frame, k = round(fps / preview fps), each shown for k / fps seconds.

`read_video_info` decodes a file with the same library and gives back its frame count
(every frame decoded: ffmpeg's null muxer after a null filter), size and frame rate.
"""

from __future__ import annotations

import contextlib
import io
import math
import os
import secrets
from collections.abc import Generator, Iterable
from pathlib import Path
from types import TracebackType
from typing import Any, NamedTuple

import imageio_ffmpeg
import numpy as np
from numpy.typing import NDArray
from PIL import Image

from perseverance.outputs import write_atomic

__all__ = [
    "CRF",
    "PRESET",
    "PREVIEW_FPS",
    "PREVIEW_WIDTH_PX",
    "VideoInfo",
    "VideoWriter",
    "read_video_info",
    "write_preview",
    "write_video",
]

#: x264 constant rate factor: 23 is x264's own default, visually good for camera frames.
CRF = 23
#: x264 preset: "veryfast" keeps the encoder a small part of the time on 2 cores.
PRESET = "veryfast"
#: Frame rate of the animated preview [frames/s].
PREVIEW_FPS = 10.0
#: Width of the animated preview [px] (height to keep the aspect).
PREVIEW_WIDTH_PX = 240
#: Quality of the animated WebP preview (Pillow's 0-100 scale).
WEBP_QUALITY = 70
#: The largest frame accepted [px] a side (H.264 level 6.2 tops out at 8192).
MAX_SIDE_PX = 8192
#: The frame rates accepted [frames/s].
FPS_RANGE = (0.1, 240.0)

Frame = NDArray[np.uint8]


class VideoInfo(NamedTuple):
    """What `read_video_info` finds in a video file."""

    frame_count: int
    width_px: int
    height_px: int
    fps: float


def _check_size(width_px: int, height_px: int) -> None:
    for name, value in (("width_px", width_px), ("height_px", height_px)):
        if not (2 <= value <= MAX_SIDE_PX and value % 2 == 0):
            raise ValueError(
                f"{name} = {value}: an H.264 yuv420p frame side must be even, 2..{MAX_SIDE_PX}"
            )


def _check_fps(fps: float, name: str = "fps") -> None:
    lo, hi = FPS_RANGE
    if not (math.isfinite(fps) and lo <= fps <= hi):
        raise ValueError(f"{name} = {fps}: out of range ({lo:g}..{hi:g} frames/s)")


def _check_fresh(path: Path) -> None:
    if path.exists() or path.is_symlink():
        raise FileExistsError(f"{path}: exists; a video is written only to a fresh path")
    if not path.parent.is_dir():
        raise FileNotFoundError(f"{path.parent}: no such folder")


class _Preview:
    """The frames kept for the animated preview: every ``step``-th, shrunk."""

    def __init__(self, path: Path, fps: float, preview_fps: float, width_px: int) -> None:
        _check_fresh(path)
        if path.suffix.lower() not in (".webp", ".gif"):
            raise ValueError(f"{path}: a preview is a .webp or a .gif")
        _check_fps(preview_fps, "preview_fps")
        if width_px < 2:
            raise ValueError(f"preview width_px = {width_px}: at least 2")
        self.path = path
        self.step = max(1, round(fps / preview_fps))
        self.duration_ms = 1000.0 * self.step / fps
        self.width_px = width_px
        self.frames: list[Image.Image] = []
        self.seen = 0

    def add(self, frame: Frame) -> None:
        if self.seen % self.step == 0:
            image = Image.fromarray(frame)
            if image.width > self.width_px:
                height = max(2, round(image.height * self.width_px / image.width))
                image = image.resize((self.width_px, height), Image.Resampling.BILINEAR)
            self.frames.append(image)
        self.seen += 1

    def save(self) -> None:
        if not self.frames:
            raise ValueError(f"{self.path}: no frames for the preview")
        _save_animation(self.path, self.frames, self.duration_ms)


def _save_animation(path: Path, frames: list[Image.Image], duration_ms: float) -> None:
    """An animated WebP or GIF of ``frames``, each shown ``duration_ms``, written atomically."""
    encoded = io.BytesIO()
    first, rest = frames[0], frames[1:]
    if path.suffix.lower() == ".gif":
        # GIF delays are in hundredths of a second
        delay = max(20, 10 * round(duration_ms / 10))
        first.save(encoded, format="GIF", save_all=True, append_images=rest, duration=delay,
                   loop=0, optimize=False)  # fmt: skip
    else:
        first.save(encoded, format="WEBP", save_all=True, append_images=rest,
                   duration=round(duration_ms), loop=0, quality=WEBP_QUALITY, method=4)  # fmt: skip
    write_atomic(path, encoded.getvalue())


class VideoWriter:
    """Stream frames into an H.264 MP4 at ``path`` (and a preview at ``preview``).

    Use as a context manager: the file appears at ``path`` when the block ends without
    an error (and then the preview); on an error neither is left behind.

    >>> import numpy as np, tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> with VideoWriter(folder / "grey.mp4", 64, 48, fps=30.0) as video:
    ...     for _ in range(15):
    ...         video.write(np.full((48, 64, 3), 128, np.uint8))
    >>> read_video_info(folder / "grey.mp4")
    VideoInfo(frame_count=15, width_px=64, height_px=48, fps=30.0)
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        width_px: int,
        height_px: int,
        *,
        fps: float,
        preview: str | os.PathLike[str] | None = None,
        preview_fps: float = PREVIEW_FPS,
        preview_width_px: int = PREVIEW_WIDTH_PX,
        crf: int = CRF,
    ) -> None:
        _check_size(width_px, height_px)
        _check_fps(fps)
        if not 0 <= crf <= 51:
            raise ValueError(f"crf = {crf}: x264 takes 0..51")
        self.path = Path(path)
        _check_fresh(self.path)
        self.width_px, self.height_px, self.fps = width_px, height_px, float(fps)
        self.frame_count = 0
        self._preview = (
            None
            if preview is None
            else _Preview(Path(preview), self.fps, preview_fps, preview_width_px)
        )
        if self._preview is not None and self._preview.path.resolve() == self.path.resolve():
            raise ValueError(f"{preview}: the preview cannot be the video itself")
        token = secrets.token_hex(4)
        self._tmp = self.path.with_name(f".{self.path.name}.{token}.tmp")
        self._crf = crf
        self._encoder: Generator[None, Any, None] | None = None

    def __enter__(self) -> VideoWriter:
        self._encoder = imageio_ffmpeg.write_frames(
            str(self._tmp),
            (self.width_px, self.height_px),
            fps=self.fps,
            codec="libx264",
            pix_fmt_in="rgb24",
            pix_fmt_out="yuv420p",
            quality=None,
            macro_block_size=2,
            ffmpeg_log_level="error",
            output_params=["-crf", str(self._crf), "-preset", PRESET, "-f", "mp4"],
        )
        self._encoder.send(None)  # start ffmpeg
        return self

    def write(self, frame: Frame) -> None:
        """Append one frame: uint8 (height, width, 3) RGB of this video's size."""
        if self._encoder is None:
            raise RuntimeError("VideoWriter.write outside its with block")
        array = np.asarray(frame)
        if array.dtype != np.uint8 or array.shape != (self.height_px, self.width_px, 3):
            raise ValueError(
                f"frame {self.frame_count}: {array.dtype} {array.shape}; expected uint8 "
                f"({self.height_px}, {self.width_px}, 3)"
            )
        self._encoder.send(np.ascontiguousarray(array))
        if self._preview is not None:
            self._preview.add(array)
        self.frame_count += 1

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        encoder, self._encoder = self._encoder, None
        try:
            if encoder is not None:
                encoder.close()  # ffmpeg finishes the file and exits
            if kind is None:
                if self.frame_count == 0:
                    raise ValueError(f"{self.path}: no frames written")
                _check_fresh(self.path)
                os.replace(self._tmp, self.path)
                if self._preview is not None:
                    try:
                        self._preview.save()
                    except BaseException:
                        self.path.unlink(missing_ok=True)
                        raise
        finally:
            with contextlib.suppress(OSError):
                self._tmp.unlink(missing_ok=True)


def write_video(
    path: str | os.PathLike[str],
    frames: Iterable[Frame],
    *,
    fps: float,
    preview: str | os.PathLike[str] | None = None,
    preview_fps: float = PREVIEW_FPS,
    preview_width_px: int = PREVIEW_WIDTH_PX,
) -> int:
    """Encode ``frames`` (an iterable, consumed once) into ``path`` at ``fps``; the size is
    the first frame's. Returns the number of frames written."""
    iterator = iter(frames)
    try:
        first = np.asarray(next(iterator))
    except StopIteration:
        raise ValueError(f"{path}: no frames to write") from None
    if first.ndim != 3 or first.shape[2] != 3:
        raise ValueError(f"frame 0 has shape {first.shape}; expected (height, width, 3)")
    height, width = first.shape[:2]
    with VideoWriter(
        path,
        width,
        height,
        fps=fps,
        preview=preview,
        preview_fps=preview_fps,
        preview_width_px=preview_width_px,
    ) as video:
        video.write(first)
        for frame in iterator:
            video.write(frame)
    return video.frame_count


def write_preview(
    path: str | os.PathLike[str],
    frames: Iterable[Frame],
    *,
    fps: float,
    preview_fps: float = PREVIEW_FPS,
    width_px: int = PREVIEW_WIDTH_PX,
) -> int:
    """An animated WebP or GIF (by suffix) of ``frames`` shown at ``fps``, reduced to
    ``preview_fps`` and ``width_px``. Returns the number of preview frames."""
    _check_fps(fps)
    preview = _Preview(Path(path), float(fps), preview_fps, width_px)
    for frame in frames:
        preview.add(np.asarray(frame, dtype=np.uint8))
    preview.save()
    return len(preview.frames)


def read_video_info(path: str | os.PathLike[str]) -> VideoInfo:
    """Frame count (every frame decoded), width, height [px] and frame rate of a video."""
    name = str(path)
    if not Path(name).is_file():
        raise FileNotFoundError(f"{name}: no such video")
    reader = imageio_ffmpeg.read_frames(name)
    try:
        meta = next(reader)
    finally:
        reader.close()  # ffmpeg still runs: closing the generator stops it cleanly
    count, _ = imageio_ffmpeg.count_frames_and_secs(name)
    width, height = meta["size"]
    return VideoInfo(int(count), int(width), int(height), float(meta["fps"]))
