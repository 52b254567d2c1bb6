"""The mission's surface imaging: every image product has its file and thumbnail and every
file a row; a failed render is a failed product and the sol commits; a rolled-back sol
leaves no files, and its resume writes the same rows and the same bytes."""

from __future__ import annotations

import hashlib
import io
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from perseverance.errors import ConfigError
from perseverance.imaging.mounts import VehiclePose
from perseverance.imaging.render import DEFAULT_TAU
from perseverance.mars.constants import LMST_HOUR_S
from perseverance.mission import imaging
from perseverance.mission.data_return import GROUND_KINDS
from perseverance.mission.imaging import (
    DUST_COVER_TRANSMISSION,
    DUST_COVER_VEIL,
    IMAGES_DIR,
    SolEvents,
    SolImager,
    check_imaging_mode,
)
from perseverance.mission.runner import MissionRunner, resume_mission, start_mission
from perseverance.products import label_path
from perseverance.store.writer import RunWriter

from .conftest import VOLATILE

SOLS = 2
#: The shots of the test scenario: small frames, on the first sols (and event shots that
#: the first sols do not trigger, taken by hand below).
SHOTS = """
[imaging]
thumbnail_width_px = 32

[imaging.edl]
video_width_px = 32
photo_width_px = 64
hirise_size_px = 48
priority = 2

[[imaging.shots]]
name = "Hazcams through the dust covers"
sol = 0
cameras = ["hazcam_front_left_a", "hazcam_front_right_a"]
width_px = 64
priority = 1
downlink = "thumbnail"
dust_cover = true
lmst_hours = 16.2

[[imaging.shots]]
name = "a Navcam frame that fails"
sol = 1
cameras = ["navcam_right"]
pointing = "bearing"
az_deg = 90.0
width_px = 64
priority = 30

[[imaging.shots]]
name = "a rear Hazcam frame"
sol = 1
cameras = ["hazcam_rear_left"]
width_px = 64
priority = 5

[[imaging.shots]]
name = "Navcam panorama"
sol = 2
cameras = ["navcam_left"]
pointing = "panorama"
frames = 4
el_deg = -10.0
width_px = 64
priority = 40

[[imaging.shots]]
name = "end-of-drive Navcam"
on = "drive_end"
cameras = ["navcam_left"]
pointing = "heading"
width_px = 48
priority = 20

[[imaging.shots]]
name = "abrasion patch"
on = "sample_sealed"
cameras = ["watson"]
pointing = "abrasion_patch"
width_px = 64
priority = 30

[[imaging.shots]]
name = "sealed tube"
on = "sample_sealed"
cameras = ["cachecam"]
pointing = "sealed_tube"
width_px = 64
priority = 30

[[imaging.shots]]
name = "dropped tube"
on = "tube_deposited"
cameras = ["watson"]
pointing = "dropped_tube"
width_px = 64
priority = 30
"""
FAIL_CAMERA = "navcam_right"


def _scenario(folder: Path) -> Path:
    text = resources.files("perseverance.data.scenarios").joinpath("default.toml").read_text()
    path = folder / "small_imaging.toml"
    path.write_text(text.split("\n[imaging]\n")[0] + SHOTS)
    return path


class _InterruptError(Exception):
    pass


@pytest.fixture(scope="module")
def flown(tmp_path_factory):
    """Fly sols 0-2 with images; the render of `FAIL_CAMERA` raises; sol 2's transaction
    fails once after its images were written, then the run is resumed."""
    tmp = tmp_path_factory.mktemp("imaging")
    scenario = _scenario(tmp)
    attempts: list[dict] = []
    real_view, real_shoot, real_checkpoint = (
        imaging.render_view,
        SolImager.shoot,
        RunWriter.set_checkpoint,
    )

    def view(catalogue, camera, *args, **kwargs):
        if camera == FAIL_CAMERA:
            raise RuntimeError("simulated renderer crash")
        return real_view(catalogue, camera, *args, **kwargs)

    def shoot(self, sol, rover, events):
        rows = real_shoot(self, sol, rover, events)
        folder = self.run_folder / IMAGES_DIR / f"sol_{sol:04d}"
        files = {p.name: p.read_bytes() for p in folder.glob("*.png")}
        attempts.append({"sol": sol, "rows": rows, "files": files})
        return rows

    def checkpoint(self, state):
        if self.sol == SOLS and len([a for a in attempts if a["sol"] == SOLS]) == 1:
            raise _InterruptError("simulated crash at the end of sol 2")
        return real_checkpoint(self, state)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(imaging, "render_view", view)
        mp.setattr(SolImager, "shoot", shoot)
        mp.setattr(RunWriter, "set_checkpoint", checkpoint)
        run = start_mission(str(scenario), sols=SOLS, runs_dir=tmp / "runs", run_id="img")
        with pytest.raises(_InterruptError):
            MissionRunner(run, cache_dir=tmp / "cache").fly()
        rolled_back = {
            "last": run.store.last_committed_sol("img"),
            "rows": run.store.products("img", sol=SOLS),
            "folder": (run.folder / IMAGES_DIR / f"sol_{SOLS:04d}").exists(),
        }
        # a run killed after writing sol 2's files would leave them: put one back
        stray = run.folder / IMAGES_DIR / f"sol_{SOLS:04d}" / "stray.png"
        stray.parent.mkdir(parents=True)
        stray.write_bytes(b"left by a killed run")
        run.store.close()
        resumed = resume_mission("img", runs_dir=tmp / "runs")
        resumed.prepared = run.prepared  # the same files, checked by their hash: not reloaded
        runner = MissionRunner(resumed, cache_dir=tmp / "cache")
        runner.fly()
    return resumed, runner, rolled_back, attempts


def test_every_image_row_has_its_file_and_thumbnail_and_every_file_a_row(flown):
    run, _, _, _ = flown
    rows = [p for p in run.store.products("img") if p.path.startswith(IMAGES_DIR + "/")]
    ok = [p for p in rows if p.status == "ok"]
    assert ok and all(p.sol is not None and p.lmst and p.instrument for p in ok)
    named = set()
    for p in ok:
        for rel in (p.path, p.thumbnail):
            assert rel is not None and (run.folder / rel).is_file(), rel
            named.add(rel)
        if p.path.endswith((".png", ".webp")):  # not the MP4
            with Image.open(run.folder / p.path) as picture:
                assert picture.size == (p.width_px, p.height_px)
        if p.thumbnail.endswith(".png"):
            with Image.open(run.folder / p.thumbnail) as thumb:
                assert thumb.width == min(32, p.width_px)
        assert (run.folder / p.path).stat().st_size == p.bytes
    on_disk = {f.relative_to(run.folder).as_posix() for f in (run.folder / IMAGES_DIR).rglob("*")}
    on_disk = {f for f in on_disk if "." in f.rsplit("/", 1)[-1]}
    labels = {f for f in on_disk if f.endswith(".xml")}
    assert labels == {label_path(f) for f in named}  # a label beside every file
    assert on_disk - labels == named  # no orphan file (the stray one was removed on resume)


def test_the_labels_read_back_with_pds4_tools_and_match_their_files(flown):
    pds4_tools = pytest.importorskip("pds4_tools")
    run, _, _, _ = flown
    ok = [p for p in run.store.products("img") if p.status == "ok" and p.kind == "image"]
    for p in ok[:3]:
        label = pds4_tools.read(str(run.folder / label_path(p.path)), quiet=True).label
        data = (run.folder / p.path).read_bytes()
        assert int(label.findtext(".//File/file_size")) == len(data)
        assert label.findtext(".//File/md5_checksum") == hashlib.md5(data).hexdigest()
        start = label.findtext(".//Time_Coordinates/start_date_time")
        sol_start = run.store.sols("img")[p.sol].utc_start
        assert start.startswith(str(sol_start.year))  # the acquisition time, in UTC


def test_a_thumbnail_is_never_received_after_its_full_frame(flown):
    run, _, _, _ = flown
    received = {d.item: d.received_utc for d in run.store.downlinks("img")}
    products = run.store.products("img")
    ground = {p.path for p in products if p.kind in GROUND_KINDS}  # e.g. spectrograms
    frames = [p for p in products if p.status == "ok" and p.thumbnail
              and p.thumbnail not in (p.path, *ground) and p.path in received]  # fmt: skip
    assert frames, "some full frames came down in the first sols"
    for p in frames:
        assert p.thumbnail in received and received[p.thumbnail] <= received[p.path]


def test_what_the_first_sols_imaged(flown):
    run, _, _, _ = flown
    rows = [p for p in run.store.products("img") if p.kind in ("image", "image_thumbnail")]
    rows += [p for p in run.store.products("img") if p.kind == "panorama"]
    by_sol = {s: [p for p in rows if p.sol == s] for s in range(SOLS + 1)}
    assert [(p.kind, p.width_px, p.height_px) for p in by_sol[0]] == [
        ("image_thumbnail", 64, 48)
    ] * 2  # the Hazcams' 4:3 format
    assert [p.kind for p in by_sol[2]] == ["image"] * 4 + ["panorama"]
    bearings = [p.pointing["az_deg"] for p in by_sol[2][:4]]
    assert bearings == pytest.approx([0.0, 90.0, 180.0, 270.0])
    # a body camera's row says where its mount looked: cameras.toml's body_rear mount
    # points 180 deg from the heading (north before any drive) and 40 deg down
    rear = run.store.products("img", sol=1, camera="hazcam_rear_left")[0].pointing
    assert rear["named"] == "mount"
    assert rear["az_deg"] == pytest.approx(180.0, abs=0.01)
    assert rear["el_deg"] == pytest.approx(-40.0, abs=0.01)
    # within a sol, rows come in downlink-priority order (thumbnails first)
    assert [p.priority for p in by_sol[1]] == sorted(p.priority for p in by_sol[1])


def test_sol_0_has_the_landing_s_imagery_from_the_flown_descent(flown):
    from perseverance.imaging.video import read_video_info

    run, _, _, _ = flown
    rows = {p.kind: p for p in run.store.products("img", sol=0)}
    for kind in ("descent_video", "descent_preview", "sky_crane_photo", "hirise_frame"):
        assert rows[kind].status == "ok" and rows[kind].priority == 2, kind
        assert rows[kind].path.startswith(f"{IMAGES_DIR}/sol_0000/edl/")
    video = rows["descent_video"]
    info = read_video_info(run.folder / video.path)
    assert (info.width_px, info.height_px) == (video.width_px, video.height_px)
    assert video.width_px == 32  # the [imaging.edl] width (a caption band under each frame)
    assert video.thumbnail == rows["descent_preview"].path
    assert rows["sky_crane_photo"].camera == "ddc" and rows["sky_crane_photo"].width_px == 64
    assert rows["hirise_frame"].instrument.startswith("HiRISE")


def test_a_failed_render_is_a_failed_product_and_the_sol_commits(flown):
    run, _, _, _ = flown
    assert run.store.last_committed_sol("img") == SOLS
    failed = run.store.products("img", status="failed")
    assert [(p.sol, p.camera) for p in failed] == [(1, FAIL_CAMERA)]
    assert "RuntimeError: simulated renderer crash" in failed[0].reason
    assert not (run.folder / failed[0].path).exists()
    assert run.store.products("img", sol=1, camera="hazcam_rear_left")[0].status == "ok"


def test_a_rolled_back_sol_leaves_no_rows_or_files_and_resumes_identically(flown):
    run, _, rolled_back, attempts = flown
    assert rolled_back == {"last": SOLS - 1, "rows": [], "folder": False}
    first, second = [a for a in attempts if a["sol"] == SOLS]
    assert first["rows"] == second["rows"] and first["files"] == second["files"]
    committed = [
        {k: v for k, v in p.to_dict().items() if k not in VOLATILE}
        for p in run.store.products("img", sol=SOLS)
    ]
    assert len(committed) == len(second["rows"])
    for row, shot in zip(committed, second["rows"], strict=True):
        assert {k: row[k] for k in shot} == shot
    ids = [p.id for p in run.store.products("img")]
    assert ids == list(range(1, len(ids) + 1))  # numbered as an uninterrupted run


def test_close_ups_of_sampling_and_depot_events(flown, tmp_path):
    _, runner, _, _ = flown
    live = runner.imager
    imager = SolImager(
        live.schedule,
        live.region,
        live.site,
        live.clock,
        tmp_path,
        seed=0,
        catalogue=live.catalogue,
    )
    events = SolEvents(
        drove=True,
        sealed=[
            {"tube_id": "T05", "name": "Montdenier", "sample_type": "igneous"},
            {"tube_id": "T39", "name": "Witness 1", "sample_type": "witness"},
        ],
        deposited=[{"tube_id": "T01", "name": "Roubion"}],
    )
    rows = imager.shoot(50, VehiclePose(0.0, 0.0, float(live.region.elevation(0, 0))), events)
    names = sorted((r["name"], r["pointing"].get("named", "az"), r["status"]) for r in rows)
    assert names == [
        ("abrasion patch", "abrasion_patch", "ok"),
        ("dropped tube", "dropped_tube", "ok"),
        ("end-of-drive Navcam", "az", "ok"),
        ("sealed tube", "sealed_tube", "ok"),
        ("sealed tube", "sealed_tube", "ok"),
    ]  # a witness tube has no abrasion patch
    tube = next(r for r in rows if r["name"] == "sealed tube")
    assert tube["pointing"]["tube_id"] == "T05" and "T05" in tube["path"]
    none = imager.shoot(51, VehiclePose(0.0, 0.0, 0.0), SolEvents())
    assert none == [] and not (tmp_path / IMAGES_DIR / "sol_0051").exists()


def test_the_dust_cover_dims_and_blurs_by_its_stated_model():
    checker = np.indices((48, 64)).sum(axis=0) % 2 * 1.0  # black and white pixels
    image = np.repeat(checker[..., None], 3, axis=2)
    seen = imaging._through_dust_cover(image)
    # blurred to the mean (0.5), then T * 0.5 + veil, by hand: 0.55 * 0.5 + 0.12 = 0.395
    expected = DUST_COVER_TRANSMISSION * 0.5 + DUST_COVER_VEIL
    assert seen[10:-10, 10:-10].mean() == pytest.approx(expected, abs=0.01)
    assert seen[10:-10, 10:-10].std() < 0.05 * image.std()


def test_the_report_links_the_gallery_and_the_panorama(flown):
    run, _, _, _ = flown
    page = (run.folder / "report.html").read_text()
    assert 'id="gallery"' in page and 'id="panoramas"' in page
    pano = run.store.products("img", kind="panorama")[0]
    assert f'href="{pano.path}"' in page
    thumb = run.store.products("img", sol=0, kind="image_thumbnail")[-1].thumbnail
    assert f'src="{thumb}"' in page
    for kind in ("sky_crane_photo", "hirise_frame", "descent_video"):  # the landing's slots
        assert run.store.products("img", kind=kind)[0].path in page, kind


def test_imaging_off_writes_no_images_and_bad_modes_are_one_line(tmp_path):
    with pytest.raises(ConfigError, match=r"--imaging 'some': not a mode \(allowed: default"):
        check_imaging_mode("some")
    with pytest.raises(ConfigError, match="--imaging"):
        start_mission("default", sols=1, runs_dir=tmp_path / "runs", imaging="most")
    assert not (tmp_path / "runs").exists()


def _decode(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as png:
        return png.size


def test_thumbnails_keep_the_aspect_ratio(flown):
    _, _, _, attempts = flown
    files = attempts[0]["files"]
    big = {k: v for k, v in files.items() if not k.endswith("_thumb.png")}
    for name, data in big.items():
        thumb = files.get(name[: -len(".png")] + "_thumb.png")
        if thumb is not None:
            w, h = _decode(data)
            tw, th = _decode(thumb)
            assert th == round(h * tw / w)


def test_full_mode_renders_at_the_camera_format(flown, tmp_path):
    _, runner, _, _ = flown
    live = runner.imager
    full = SolImager(
        live.schedule,
        live.region,
        live.site,
        live.clock,
        tmp_path,
        seed=0,
        mode="full",
        catalogue=live.catalogue,
    )
    events = SolEvents(deposited=[{"tube_id": "T01", "name": "Roubion"}])
    [row] = full.shoot(60, VehiclePose(0.0, 0.0, 0.0), events)
    assert (row["width_px"], row["height_px"]) == (1600, 1200)  # WATSON's detector
    with Image.open(tmp_path / row["path"]) as png:
        assert png.size == (1600, 1200)


def test_the_sky_takes_its_dust_from_the_runs_weather(flown):
    _, runner, _, _ = flown
    imager = runner.imager
    assert imager.weather is runner.weather  # one weather source for the run
    for sol in (1, 2, 3):
        when = imager.clock.utc(sol, 12.0 * LMST_HOUR_S)
        utc = np.array([when.replace(tzinfo=None)], dtype="datetime64[us]")
        assert imager.dust_tau(when) == float(runner.weather.weather_at(utc)["dust_tau"][0])
    plain = SolImager(
        imager.schedule, imager.region, imager.site, imager.clock, Path("."), seed=0,
        catalogue=imager.catalogue,
    )  # fmt: skip
    assert plain.dust_tau(when) == DEFAULT_TAU
