"""``report.html`` of a mission run, built from the mission database.

One self-contained page: every figure inlined as a base64 PNG ``data:`` URI, the CSS
inline, no scripts and no external URL, so the file can be mailed or archived alone;
the camera images (the gallery, the panoramas, the EDL imagery) are linked by their
paths relative to the run folder (`sections.gallery`), so they show with the folder.
Sections (`SECTIONS`, one module each in `perseverance.report.sections`): header (run,
landing), summary figures, the EDL timeline and plots, the EDL imagery, the traverse
over a hillshade of the terrain, the panoramas, the image gallery, the sample table,
the depot map, energy per sol, the activity timeline, odometry, the mission events and
the data products.

>>> from perseverance.store import open_store
>>> store = open_store("runs/demo/mission.db", create=False, readonly=True)  # doctest: +SKIP
>>> write_mission_report(store, "latest", Path("runs/demo"))                  # doctest: +SKIP
PosixPath('runs/demo/report.html')

A run stopped early renders too: sections with nothing in them yet say so. Every string
from the database is HTML-escaped. The EDL plot files named in the ``products`` table
are read from the run folder; one that is missing (or not a PNG inside the folder) is
left out with a note in the page rather than failing the report.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from perseverance.outputs import write_atomic
from perseverance.report.html import CSS, cell, p
from perseverance.report.run_data import RunData
from perseverance.report.sections import (
    activities,
    data_return,
    depot,
    edl,
    energy,
    events,
    gallery,
    header,
    moxie,
    odometry,
    products,
    radar,
    samples,
    sounds,
    summary,
    traverse,
    weather,
)
from perseverance.store import Store
from perseverance.terrain.landing_region import LandingRegion

#: The file name of the report inside the run folder.
REPORT_NAME = "report.html"
#: The sections, in page order: (anchor, title, renderer).
_SECTIONS: tuple[tuple[str, str, Callable[[RunData], str]], ...] = (
    ("summary", "Summary", summary.render),
    ("edl", "Entry, descent and landing", edl.render),
    ("edl_imagery", "EDL imagery", gallery.render_edl_media),
    ("traverse", "Traverse", traverse.render),
    ("panoramas", "Panoramas", gallery.render_panoramas),
    ("gallery", "Image gallery", gallery.render),
    ("samples", "Samples", samples.render),
    ("depot", "Depot", depot.render),
    ("energy", "Energy per sol", energy.render),
    ("weather", weather.TITLE, weather.render),
    (sounds.ANCHOR, sounds.TITLE, sounds.render),
    ("moxie", "MOXIE: oxygen from the air", moxie.render),
    ("radar", "RIMFAX: under the crater floor", radar.render),
    ("activities", "Activities", activities.render),
    ("odometry", "Odometry", odometry.render),
    ("data_return", "Data return: the link home", data_return.render),
    ("events", "Mission events", events.render),
    ("products", "Data products", products.render),
)
#: The sections, in page order: (anchor, title).
SECTIONS = tuple((anchor, title) for anchor, title, _ in _SECTIONS)


def write_mission_report(
    store: Store, run_id: str, run_dir: Path | str, *, terrain: LandingRegion | None = None
) -> Path:
    """Write ``run_dir / "report.html"`` for one run and return its path.

    Parameters
    ----------
    store
        The mission database (read-only is enough).
    run_id
        The run (``"latest"``: the most recent).
    run_dir
        The run folder: the report goes there, and product paths are relative to it.
    terrain
        The landing region under the traverse; None rebuilds it from the run's config
        (``site``, ``terrain_seed``; ~0.6 s), or draws plain maps if that fails.

    The page is written to a temporary name in the same folder and renamed over
    ``report.html``, so a reader never sees half a report and a failure leaves the
    previous one in place.
    """
    run_dir = Path(run_dir)
    text = mission_report_html(store, run_id, run_dir, terrain=terrain)
    path = run_dir / REPORT_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, text)
    return path


def mission_report_html(
    store: Store, run_id: str, run_dir: Path | str, *, terrain: LandingRegion | None = None
) -> str:
    """The report page as a string (what `write_mission_report` writes; same arguments)."""
    data = RunData(store, run_id, Path(run_dir), terrain)
    title = str(data.config.get("title") or data.run.scenario)
    body = [render(data) for _, _, render in _SECTIONS]
    nav = "".join(f'<a href="#{a}">{cell(t)}</a>' for a, t in SECTIONS)
    notes = "".join(p(n, "note") for n in data.notes)
    sections = "".join(
        f'<section id="{a}"><h2>{cell(t)}</h2>\n{html}</section>\n'
        for (a, t), html in zip(SECTIONS, body, strict=True)
    )
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{cell(title)}: mission report {cell(data.run.id)}</title>\n"
        f"<style>{CSS}</style>\n</head>\n<body>\n"
        f"{header.render(data, title)}<main>\n<nav>{nav}</nav>\n{notes}{sections}</main>\n"
        "</body>\n</html>\n"
    )
