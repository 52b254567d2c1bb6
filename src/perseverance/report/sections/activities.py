"""The activities section of ``report.html``: hours per kind, a Gantt chart, outcomes."""

from __future__ import annotations

from collections import Counter, defaultdict

import numpy as np

from perseverance.mars.constants import LMST_HOUR_S
from perseverance.report import mission_plots as plots
from perseverance.report.html import figure, p, table
from perseverance.report.run_data import RunData
from perseverance.report.text import counts, num
from perseverance.store import ActivityRow

#: At most this many sols in the Gantt chart of representative sols.
MAX_GANTT_SOLS = 6


def representative_sols(data: RunData) -> list[int]:
    """Up to `MAX_GANTT_SOLS` sols for the Gantt chart: the first with activities, the
    first with a drive, a coring, a depot drop, a skipped activity, the first sol of a
    phase named ``*conjunction*``, and the last."""
    acts = data.activities
    sols = sorted({a.sol for a in acts})
    picks = [
        min((a.sol for a in acts if a.kind == k), default=None) for k in ("drive", "core", "depot")
    ]
    picks.append(
        min((a.sol for a in acts if (a.outcome or "").startswith("skipped")), default=None)
    )
    picks.append(min((s.sol for s in data.sols if "conjunction" in (s.phase or "")), default=None))
    chosen = list(dict.fromkeys(s for s in [sols[0], *picks, sols[-1]] if s in sols))
    return sorted(chosen[:MAX_GANTT_SOLS])


def render(data: RunData) -> str:
    """Stacked LMST hours per sol by kind, the Gantt chart and a table per kind."""
    acts = data.activities
    if not acts:
        return p("No activities yet.", "none")
    by_kind: dict[str, list[ActivityRow]] = defaultdict(list)
    for a in acts:
        by_kind[a.kind].append(a)
    hours = {k: sum(a.duration_s for a in v) / LMST_HOUR_S for k, v in by_kind.items()}
    kinds = sorted(hours, key=lambda k: (k != "sleep", -hours[k], k))
    colours = plots.kind_colours(kinds)
    sols = sorted({a.sol for a in acts})
    col, row = {s: i for i, s in enumerate(sols)}, {k: i for i, k in enumerate(kinds)}
    grid = np.zeros((len(kinds), len(sols)))
    for a in acts:
        grid[row[a.kind], col[a.sol]] += a.duration_s / LMST_HOUR_S
    png = plots.activity_hours(sols, kinds, grid, colours)
    out = [figure(png, "activity hours per sol", "LMST hours per sol by kind of activity.")]
    chosen = set(representative_sols(data))
    picked = [a for a in acts if a.sol in chosen]
    png = plots.activity_gantt(
        [a.sol for a in picked],
        [a.kind for a in picked],
        [a.start_s for a in picked],
        [a.duration_s for a in picked],
        [(a.outcome or "").startswith("skipped") for a in picked],
        colours,
    )
    out.append(figure(png, "activities of representative sols", "Start times from LMST midnight."))
    rows = [
        (
            k,
            len(by_kind[k]),
            num(hours[k]),
            num(sum(a.energy_j for a in by_kind[k]) / 3.6e6, 2),
            counts(Counter(a.outcome or "–" for a in by_kind[k])),
        )
        for k in kinds
    ]
    out.append(table("kind|activities|LMST hours|energy [kWh]|outcomes", rows, {1, 2, 3}))
    return "".join(out)
