"""The mission-events section of ``report.html``: phases, counts and every surface event."""

from __future__ import annotations

from collections import Counter

from perseverance.report.html import h3, p, table
from perseverance.report.run_data import RunData
from perseverance.report.text import counts, details, plural

#: At most this many surface events are listed (the rest are counted).
MAX_EVENTS_LISTED = 2000


def render(data: RunData) -> str:
    """The phases, the count of each event and a collapsed table of the events."""
    events = data.surface_events
    if not events:
        return p("No surface events yet.", "none")
    out = []
    phases = [e for e in events if e.name == "phase_start"]
    if phases:
        rows = [
            (e.sol, (e.payload or {}).get("phase"), (e.payload or {}).get("title")) for e in phases
        ]
        out += [h3("Phases"), table("sol|phase|title", rows, {0})]
    out.append(p(f"{plural(len(events), 'event')}: {counts(Counter(e.name for e in events))}."))
    listed = events[:MAX_EVENTS_LISTED]
    all_events = table(
        "sol|event|details", [(e.sol, e.name, details(e.payload)) for e in listed], {0}
    )
    more = len(events) - len(listed)
    tail = p(f"{more:,} more not listed.") if more > 0 else ""
    return "".join(out) + f"<details><summary>All events</summary>\n{all_events}{tail}</details>\n"
