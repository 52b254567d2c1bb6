"""The summary section of ``report.html``: cards with the run's headline figures."""

from __future__ import annotations

from collections import Counter

import numpy as np

from perseverance.report.html import card
from perseverance.report.run_data import RunData, sample_state
from perseverance.report.text import counts, distance, finite, plural


def render(data: RunData) -> str:
    """Sols flown, distances, last position, samples, depot, charge, data, skipped."""
    odo = sum(s.odometry_m for s in data.sols if finite(s.odometry_m))
    good = sum(s.drive_m for s in data.sols if finite(s.drive_m))
    cards = [
        card("sols flown", data.sols_flown()),
        card("wheel odometry", distance(odo)),
        card("distance made good", distance(good)),
    ]
    if data.east.size:
        origin, where_from = data.touchdown_en, "touchdown"
        if origin is None:
            origin, where_from = (0.0, 0.0), "the map origin"
        e, n = float(data.east[-1] - origin[0]), float(data.north[-1] - origin[1])
        where = f"{e:,.0f} m E, {n:,.0f} m N"
        label = f"last position from {where_from}"
        cards.append(card(label, distance(float(np.hypot(e, n))), where))
    by_type = Counter(s.sample_type for s in data.samples)
    detail = counts(by_type) if by_type else "none yet"
    failed = sum(1 for e in data.events if e.name == "core_failed")
    if failed:
        detail += f"; {plural(failed, 'failed coring attempt')}"
    cards.append(card("samples sealed", str(len(data.samples)), detail))
    in_depot = Counter(str(x.sample_type) for x in data.drops)
    value = plural(len(data.drops), "tube") if data.drops else "none yet"
    cards.append(card("depot", value, counts(in_depot)))
    states = [sample_state(data.tubes.get(s.tube_id)) for s in data.samples]
    cards.append(card("samples aboard", str(states.count("aboard"))))
    soc = data.soc_min()
    if soc is not None:
        cards.append(card("lowest state of charge", f"{soc[0]:.0f}%", f"sol {soc[1]}"))
    bits = sum(s.data_bits for s in data.sols if s.data_bits)
    if bits:
        cards.append(card("data returned", f"{bits / 1e9:,.1f} Gbit"))
    skipped = sum(1 for a in data.activities if (a.outcome or "").startswith("skipped"))
    cards.append(card("activities skipped", f"{skipped:,}", f"of {len(data.activities):,}"))
    return f'<div class="cards">{"".join(cards)}</div>\n'
