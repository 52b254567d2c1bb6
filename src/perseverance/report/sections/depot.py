"""The depot section of ``report.html``: the depot map and the drops in order."""

from __future__ import annotations

import numpy as np

from perseverance.report import mission_plots as plots
from perseverance.report.html import figure, p, table
from perseverance.report.run_data import RunData
from perseverance.report.text import num


def render(data: RunData) -> str:
    """The depot map and one row per drop, with its distance from the previous one."""
    if not data.drops:
        return p("No tube deposited yet.", "none")
    label = [str(x.designation or x.tube_id or "?") for x in data.drops]
    marks = [
        plots.Mark(t, x.east_m, x.north_m, "depot") for t, x in zip(label, data.drops, strict=True)
    ]
    png = plots.depot_map(marks, data.east, data.north, terrain=data.terrain)
    rows: list[tuple[object, ...]] = []
    prev: tuple[float, float] | None = None
    for k, x in enumerate(data.drops, 1):
        gap = (
            None if prev is None else num(float(np.hypot(x.east_m - prev[0], x.north_m - prev[1])))
        )
        prev = (x.east_m, x.north_m)
        who = (x.designation, x.tube_id, x.sample, x.sample_type, x.sol, x.lmst)
        rows.append((k, *who, num(x.east_m), num(x.north_m), gap))
    header = "#|designation|tube|sample|type|sol|LMST|east [m]|north [m]|from previous [m]"
    caption = "Drops numbered in order, joined to show the zigzag; bar: 5 m."
    return figure(png, "depot map", caption) + table(header, rows, {0, 5, 7, 8, 9})
