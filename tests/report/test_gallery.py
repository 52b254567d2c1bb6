"""The report's image sections: the gallery (thumbnails linking full frames, a ``<details>``
per sol, a CSS-only camera filter), the panoramas and the EDL imagery slots, from a
synthetic run whose files are in its folder (one missing, one failed)."""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser

import numpy as np
import pytest
from PIL import Image

from perseverance.report.mission_report import SECTIONS, mission_report_html
from perseverance.store import open_store

VOID = {"meta", "img", "br", "hr", "link", "input", "col", "wbr", "source"}


def _png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.fromarray(np.full((height, width, 3), 120, np.uint8)).save(out, format="PNG")
    return out.getvalue()


class _Nesting(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.links: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag, attrs):
        self.links += [(tag, k, v or "") for k, v in attrs if k in ("href", "src")]
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes {self.stack[-1:]}"
        self.stack.pop()


def _image(sol: int, camera: str, name: str, **extra) -> dict:
    path = f"images/sol_{sol:04d}/{name}.png"
    return {
        "kind": "image",
        "path": path,
        "thumbnail": path[:-4] + "_thumb.png",
        "name": f"a {camera} frame",
        "camera": camera,
        "instrument": camera.split("_")[0],
        "lmst": "14:00:00",
        "pointing": {"az_deg": 90.0, "el_deg": -10.0},
        "width_px": 64,
        "height_px": 48,
        "priority": 10,
    } | extra


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    folder = tmp_path_factory.mktemp("runs") / "g"
    for sol, name in ((0, "haz"), (2, "nav"), (2, "haz2")):
        (folder / f"images/sol_{sol:04d}").mkdir(parents=True, exist_ok=True)
        (folder / f"images/sol_{sol:04d}/{name}.png").write_bytes(_png(64, 48))
        (folder / f"images/sol_{sol:04d}/{name}_thumb.png").write_bytes(_png(32, 24))
    (folder / "images/sol_0002/pano.png").write_bytes(_png(360, 40))
    (folder / "edl").mkdir()
    (folder / "edl/sky_crane.png").write_bytes(_png(64, 48))
    (folder / "edl/descent.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42")
    with open_store(folder / "mission.db") as store:
        run_id = store.create_run(scenario="default", seed=0, config={}, run_id="g")
        with store.sol_transaction(run_id, 0) as w:
            w.add_product(**_image(0, "hazcam_front_left_a", "haz", kind="image_thumbnail"))
            w.add_product(kind="sky_crane_photo", path="edl/sky_crane.png")
            w.add_product(kind="descent_video", path="edl/descent.mp4")
        for sol in (1, 2):
            with store.sol_transaction(run_id, sol) as w:
                if sol == 1:
                    w.add_product(
                        **_image(1, "navcam_right", "bad", status="failed", reason="boom <x>")
                    )
                    w.add_product(**_image(1, "navcam_left", "gone"))  # file never written
                    continue
                w.add_product(**_image(2, "navcam_left", "nav"))
                w.add_product(**_image(2, "hazcam_front_left_a", "haz2"))
                w.add_product(
                    kind="panorama",
                    path="images/sol_0002/pano.png",
                    thumbnail="images/sol_0002/pano.png",
                    camera="navcam_left",
                    name="Navcam panorama",
                    width_px=360,
                    height_px=40,
                )
        html = mission_report_html(store, run_id, folder)
    return html


def test_the_image_sections_are_in_the_page(page):
    anchors = [a for a, _ in SECTIONS]
    assert anchors.index("edl") < anchors.index("edl_imagery") < anchors.index("gallery")
    for anchor in ("edl_imagery", "panoramas", "gallery"):
        assert f'id="{anchor}"' in page
    checker = _Nesting()
    checker.feed(page)
    checker.close()
    assert checker.stack == []
    for _, _, value in checker.links:  # nothing outside the run folder, nothing online
        assert not re.match(r"\s*(https?:)?//|/|\.\./", value), value


def test_thumbnails_link_their_full_frames_by_sol(page):
    gallery = page.split('id="gallery"', 1)[1]
    assert '<a class="shot cam-navcam_left" href="images/sol_0002/nav.png"' in gallery
    assert 'src="images/sol_0002/nav_thumb.png"' in gallery
    assert gallery.count("<details") == 3  # sols 0, 1 and 2
    assert '<details class="has-hazcam_front_left_a" id="gallery-sol-0" open>' in gallery
    assert "Sol 2: 2 images" in gallery


def test_the_camera_filter_is_css_only(page):
    gallery = page.split('id="gallery"', 1)[1]
    for camera in ("hazcam_front_left_a", "navcam_left", "navcam_right"):
        assert f'<input type="radio" name="gcam" id="gcam-{camera}">' in gallery
        assert f"#gcam-{camera}:checked~.sols .shot:not(.cam-{camera})" in page
    assert "<script" not in page


def test_failed_and_missing_images_say_why(page):
    assert "failed: boom &lt;x&gt;" in page  # escaped
    assert "images/sol_0001/gone.png: file missing" in page


def test_the_panorama_and_the_edl_imagery_show(page):
    panoramas = page.split('id="panoramas"', 1)[1].split("</section>", 1)[0]
    assert '<a href="images/sol_0002/pano.png"><img src="images/sol_0002/pano.png"' in panoramas
    edl = page.split('id="edl_imagery"', 1)[1].split("</section>", 1)[0]
    assert '<img src="edl/sky_crane.png"' in edl
    assert '<video controls preload="metadata" src="edl/descent.mp4">' in edl
    assert "No hirise frame in this run." in edl
