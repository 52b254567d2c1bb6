"""The image sections of ``report.html``: the gallery, the panoramas and the EDL imagery.

Images are not inlined: the page links them by their path relative to the run folder
(where ``report.html`` sits), so the report stays small and the folder is the archive.
The gallery shows each sol's thumbnails in downlink-priority order (the order the
products were written) inside a ``<details>`` per sol; a thumbnail links to its full
frame. A row of radio buttons filters by camera with CSS alone (no script). A failed
product shows its reason; a file missing from the folder is a note.

The EDL imagery slots (the sky-crane photo, the HiRISE frame, the descent video) show
the products of kinds `EDL_MEDIA` when the run has them, and say so when it does not.
"""

from __future__ import annotations

import re
from collections import defaultdict

from perseverance.report.html import cell, h3, p
from perseverance.report.run_data import RunData
from perseverance.store import ProductRow

#: The kinds of image products the gallery shows.
GALLERY_KINDS = ("image", "image_thumbnail")
#: The EDL imagery slots: product kind -> title.
EDL_MEDIA = {
    "sky_crane_photo": "The sky-crane photo (DDC)",
    "hirise_frame": "HiRISE's picture of the descent",
    "descent_video": "The descent video",
    "descent_preview": "The descent video's animated preview",
}
#: Slots shown only when the run has them (no "none" line).
_OPTIONAL = frozenset({"descent_preview"})
#: Sols whose gallery opens unfolded.
_OPEN_SOLS = 1
_VIDEO = (".mp4", ".webm")


def _css_name(camera: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "-", camera)


def _caption(prod: ProductRow) -> str:
    point = prod.pointing if isinstance(prod.pointing, dict) else {}
    where = (
        f"az {point['az_deg']:.0f}° el {point['el_deg']:.0f}°"
        if isinstance(point.get("az_deg"), int | float)
        and isinstance(point.get("el_deg"), int | float)
        else str(point.get("named", ""))
    )
    size = f"{prod.width_px}×{prod.height_px}" if prod.width_px and prod.height_px else ""
    parts = [prod.camera or "", f"LMST {prod.lmst}" if prod.lmst else "", where, size]
    return " · ".join(x for x in parts if x)


def _tile(data: RunData, prod: ProductRow) -> str:
    cam = f"cam-{_css_name(prod.camera or 'none')}"
    title = cell(f"{prod.name or prod.kind}: {_caption(prod)}")
    if prod.status == "failed":
        why = cell(prod.reason or "no reason recorded")
        return f'<div class="shot {cam} failed" title="{title}">failed: {why}</div>'
    full, thumb = data.href(prod.path), data.href(prod.thumbnail or prod.path)
    if full is None or thumb is None:
        return f'<div class="shot {cam} failed">{cell(prod.path)}: file missing</div>'
    return (
        f'<a class="shot {cam}" href="{full}" title="{title}"><img src="{thumb}" '
        f'alt="{title}" loading="lazy"><span>{cell(_caption(prod))}</span></a>'
    )


def _style(cameras: list[str]) -> str:
    rules = [
        ".gallery .shot{display:inline-block;width:164px;margin:2px;vertical-align:top;"
        "font-size:.72em;color:#555;text-decoration:none}",
        ".gallery .shot img{width:160px;height:auto;display:block;border:1px solid #e2d6c8}",
        ".gallery .failed{background:#fbe9e4;padding:.3em;min-height:3em}",
        ".gallery input{margin-left:.8em}.gallery summary{cursor:pointer;margin:.3em 0}",
    ]
    for camera in cameras:
        name = _css_name(camera)
        rules.append(
            f"#gcam-{name}:checked~.sols .shot:not(.cam-{name}),"
            f"#gcam-{name}:checked~.sols details:not(.has-{name}){{display:none}}"
        )
    return "<style>" + "".join(rules) + "</style>"


def render(data: RunData) -> str:
    """Thumbnails by sol (full frames on click), filtered by camera."""
    shots = [prod for prod in data.products if prod.kind in GALLERY_KINDS]
    if not shots:
        return p("No images recorded (the run was flown with --imaging off, or not yet).", "none")
    by_sol: dict[int, list[ProductRow]] = defaultdict(list)
    for prod in shots:
        by_sol[prod.sol if prod.sol is not None else -1].append(prod)
    cameras = sorted({prod.camera for prod in shots if prod.camera})
    failed = sum(1 for prod in shots if prod.status == "failed")
    out = [
        _style(cameras),
        p(
            f"{len(shots):,} images on {len(by_sol):,} sols"
            + (f", {failed} failed" if failed else "")
            + "; thumbnails in downlink-priority order, the full frame on click."
        ),
        '<div class="gallery">camera:',
        '<input type="radio" name="gcam" id="gcam-all" checked><label for="gcam-all">all</label>',
    ]
    for camera in cameras:
        name = _css_name(camera)
        out.append(
            f'<input type="radio" name="gcam" id="gcam-{name}">'
            f'<label for="gcam-{name}">{cell(camera)}</label>'
        )
    out.append('<div class="sols">')
    for i, (sol, items) in enumerate(sorted(by_sol.items())):
        has = " ".join(f"has-{_css_name(c)}" for c in sorted({x.camera or "none" for x in items}))
        state = " open" if i < _OPEN_SOLS else ""
        out.append(
            f'<details class="{has}" id="gallery-sol-{sol}"{state}><summary>Sol {sol}: '
            f"{len(items)} image{'s' if len(items) != 1 else ''}</summary>"
        )
        out += [_tile(data, prod) for prod in items]
        out.append("</details>")
    out.append("</div></div>\n")
    return "\n".join(out)


def render_panoramas(data: RunData) -> str:
    """The stitched panoramas, each linked to its full-size mosaic."""
    panoramas = [prod for prod in data.products if prod.kind == "panorama"]
    if not panoramas:
        return p("No panoramas recorded.", "none")
    out = []
    for prod in panoramas:
        out.append(h3(f"Sol {prod.sol}: {prod.name or prod.path}"))
        href = data.href(prod.path)
        if prod.status == "failed" or href is None:
            out.append(p(f"{prod.path}: {prod.reason or 'file missing'}", "note"))
            continue
        caption = (
            f"{prod.camera}, {prod.width_px}×{prod.height_px} px cylindrical mosaic, bearings "
            "along the bottom (N, E, S, W)."
        )
        out.append(
            f'<figure><a href="{href}"><img src="{href}" alt="{cell(prod.name or "")}" '
            f'loading="lazy"></a><figcaption>{cell(caption)}</figcaption></figure>\n'
        )
    return "".join(out)


def render_edl_media(data: RunData) -> str:
    """The sky-crane photo, the HiRISE frame and the descent video, where the run has them."""
    out = []
    for kind, title in EDL_MEDIA.items():
        found = [prod for prod in data.products if prod.kind == kind]
        if not found and kind in _OPTIONAL:
            continue
        out.append(h3(title))
        if not found:
            out.append(p(f"No {kind.replace('_', ' ')} in this run.", "none"))
            continue
        for prod in found:
            href = data.href(prod.path)
            if href is None or prod.status == "failed":
                out.append(p(f"{prod.path}: {prod.reason or 'file missing'}", "note"))
            elif prod.path.lower().endswith(_VIDEO):
                out.append(
                    f'<figure><video controls preload="metadata" src="{href}"></video>'
                    f'<figcaption><a href="{href}">{cell(prod.path)}</a></figcaption></figure>\n'
                )
            else:
                out.append(
                    f'<figure><a href="{href}"><img src="{href}" alt="{cell(title)}" '
                    f'loading="lazy"></a><figcaption>{cell(prod.path)}</figcaption></figure>\n'
                )
    return "".join(out)
