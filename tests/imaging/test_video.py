"""perseverance.imaging.video: decoded back, a video has the frame count, size and rate
written; the preview is reduced; nothing half-written, nothing overwritten."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from perseverance.imaging.video import (
    VideoWriter,
    read_video_info,
    write_preview,
    write_video,
)


def _frames(n: int, width: int = 96, height: int = 64):
    """A bright bar sweeping across a dark frame (independent of the code under test)."""
    for i in range(n):
        frame = np.full((height, width, 3), 30, np.uint8)
        frame[:, (2 * i) % width : (2 * i) % width + 8] = (220, 120, 60)
        yield frame


def test_decoded_video_has_the_written_frame_count_size_and_rate(tmp_path):
    path = tmp_path / "sweep.mp4"
    written = write_video(path, _frames(45), fps=30.0)
    assert written == 45
    assert read_video_info(path) == (45, 96, 64, 30.0)


def test_other_rate_and_size(tmp_path):
    path = tmp_path / "slow.mp4"
    write_video(path, _frames(7, 160, 120), fps=12.5)
    count, width, height, fps = read_video_info(path)
    assert (count, width, height) == (7, 160, 120)
    assert fps == pytest.approx(12.5, abs=0.01)


def test_the_encoded_frames_keep_the_picture(tmp_path):
    import imageio_ffmpeg

    path = tmp_path / "still.mp4"
    frame = np.zeros((64, 96, 3), np.uint8)
    frame[:, :48] = (200, 80, 40)
    write_video(path, [frame] * 5, fps=10.0)
    reader = imageio_ffmpeg.read_frames(str(path))
    try:
        next(reader)
        decoded = np.frombuffer(next(reader), np.uint8).reshape(64, 96, 3)
    finally:
        reader.close()
    # H.264 at CRF 23 of a flat two-tone frame: within 12 counts away from the edge
    assert np.abs(decoded[:, :40].astype(int) - (200, 80, 40)).max() <= 12
    assert np.abs(decoded[:, 56:].astype(int)).max() <= 12


def test_preview_is_smaller_and_slower(tmp_path):
    video, preview = tmp_path / "v.mp4", tmp_path / "v.webp"
    write_video(video, _frames(60, 320, 240), fps=30.0, preview=preview, preview_fps=10.0,
                preview_width_px=160)  # fmt: skip
    with Image.open(preview) as image:
        assert image.size == (160, 120)
        assert image.n_frames == 20  # every third of 60
        image.seek(3)
        image.load()
        assert image.info["duration"] == 100  # 3 frames of 1/30 s
        assert image.info["timestamp"] == 300


def test_gif_preview(tmp_path):
    path = tmp_path / "p.gif"
    assert write_preview(path, _frames(30), fps=30.0, preview_fps=5.0, width_px=48) == 5
    with Image.open(path) as image:
        assert image.size == (48, 32)
        assert image.n_frames == 5
        assert image.info["duration"] == 200


def test_odd_sizes_and_bad_rates_are_refused(tmp_path):
    with pytest.raises(ValueError, match="width_px = 95"):
        VideoWriter(tmp_path / "a.mp4", 95, 64, fps=30.0)
    with pytest.raises(ValueError, match="fps = 0"):
        VideoWriter(tmp_path / "a.mp4", 96, 64, fps=0.0)
    with (
        pytest.raises(ValueError, match="expected uint8"),
        VideoWriter(tmp_path / "b.mp4", 96, 64, fps=30.0) as video,
    ):
        video.write(np.zeros((64, 96, 3), np.float64))
    assert list(tmp_path.iterdir()) == []  # nothing half-written, no temporary left


def test_an_existing_file_is_never_overwritten(tmp_path):
    path = tmp_path / "mine.mp4"
    path.write_bytes(b"not ours")
    with pytest.raises(FileExistsError):
        write_video(path, _frames(3), fps=30.0)
    assert path.read_bytes() == b"not ours"


def test_an_error_midway_leaves_nothing(tmp_path):
    def broken():
        yield from _frames(5)
        raise RuntimeError("renderer failed")

    with pytest.raises(RuntimeError, match="renderer failed"):
        write_video(tmp_path / "x.mp4", broken(), fps=30.0, preview=tmp_path / "x.webp")
    assert list(tmp_path.iterdir()) == []
