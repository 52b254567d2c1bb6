"""The page header of ``report.html``: the title and the run-details table."""

from __future__ import annotations

from perseverance.places import latlon
from perseverance.report.html import cell, scroll
from perseverance.report.run_data import RunData


def render(data: RunData, title: str) -> str:
    """The ``<header>``: title, run id, scenario, seed, status, sols flown, landing."""
    run, land = data.run, data.landing
    rows: list[tuple[str, object]] = [
        ("run", run.id),
        ("scenario", run.scenario),
        ("seed", run.seed),
        ("status", run.status),
        ("sols flown", data.sols_flown()),
        ("landed", f"{land.get('utc')} ({land.get('lmst')} LMST)" if land else "not recorded"),
    ]
    if land:
        rows.append(("landing site", latlon(land.get("latitude_deg"), land.get("longitude_deg"))))
    cells = "".join(f"<tr><th>{cell(k)}</th><td>{cell(v)}</td></tr>" for k, v in rows)
    table = scroll(f"<table>{cells}</table>")
    return (
        f'<header><div class="inner"><h1>{cell(title)}</h1>'
        f"<div>Mars 2020 mission report</div>{table}</div></header>\n"
    )
