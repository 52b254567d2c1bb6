"""The traverse section of ``report.html``: the path over the terrain and the waypoints."""

from __future__ import annotations

import numpy as np

from perseverance.report import mission_plots as plots
from perseverance.report.html import figure, h3, p, table
from perseverance.report.run_data import RunData
from perseverance.report.text import finite, num, plural

#: Waypoints are named on the traverse map only up to this many (beyond, markers only).
MAX_WAYPOINT_LABELS = 30


def waypoints(data: RunData) -> list[tuple[int, str, float, float]]:
    """(sol, waypoint, east_m, north_m) of each first ``arrived`` event: at the payload's
    ``east_m``/``north_m`` if it has them, else where the path ended on that sol."""
    out, seen = [], set()
    for e in data.surface_events:
        pay = e.payload or {}
        name = pay.get("waypoint")
        if e.name != "arrived" or name is None or name in seen or e.sol is None:
            continue
        before = np.flatnonzero(data.path_sol <= e.sol)
        if finite(pay.get("east_m"), pay.get("north_m")):
            out.append((e.sol, str(name), float(pay["east_m"]), float(pay["north_m"])))
        elif before.size:
            i = before[-1]
            out.append((e.sol, str(name), float(data.east[i]), float(data.north[i])))
        else:
            continue
        seen.add(name)
    return out


def render(data: RunData) -> str:
    """The traverse map (waypoints, samples, the depot, the touchdown) and the waypoints."""
    reached = waypoints(data)
    named = len(reached) <= MAX_WAYPOINT_LABELS
    marks = [plots.Mark(name if named else "", e, n, "waypoint") for _, name, e, n in reached]
    marks += [
        plots.Mark(s.name, s.east_m, s.north_m, s.sample_type)
        for s in data.samples
        if finite(s.east_m, s.north_m)
    ]
    if data.drops:
        centre = np.mean([(x.east_m, x.north_m) for x in data.drops], axis=0)
        marks.append(plots.Mark("depot", float(centre[0]), float(centre[1]), "depot"))
    out = [] if data.east.size else [p("No traverse yet: the rover has not driven.", "none")]
    png = plots.traverse_map(
        data.east,
        data.north,
        data.path_sol,
        terrain=data.terrain,
        marks=marks,
        landing_en=data.touchdown_en or (0.0, 0.0),
    )
    n_sols = len(set(data.path_sol.tolist()))
    caption = (
        f"{data.east.size:,} path points over {plural(n_sols, 'sol')}; "
        "star: the simulated touchdown."
    )
    out.append(figure(png, "traverse map", caption))
    if reached:
        rows = [(sol, name, num(e), num(n)) for sol, name, e, n in reached]
        out += [
            h3("Waypoints reached"),
            table("sol|waypoint|east [m]|north [m]", rows, {0, 2, 3}),
        ]
    return "".join(out)
