"""The data-return section of ``report.html``: the link home, from the ``downlinks`` rows.

A figure of three panels: (a) the data volume received per sol [Mbit], stacked by the
orbiter that relayed it, by the sol of the pass; (b) each product's age on arrival
(received minus acquired, hours) against the sol it was made, thumbnails, full frames
and other data apart; (c) the sols with nothing sent home inside the run, shaded (the
scenario's conjunction sols, read from the sols' phases, shaded apart). Then a table per
orbiter (passes used, products, Mbit, median age on arrival), the count of products home
and still onboard, and when touchdown was confirmed on Earth. A run with no downlinks
says so in one sentence.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure
from numpy.typing import NDArray

from perseverance.report.html import figure, p, table
from perseverance.report.mission_plots import png_bytes
from perseverance.report.run_data import RunData
from perseverance.report.text import plural
from perseverance.store.schema import DownlinkRow

#: Product kinds made on Earth from data already received, never queued onboard; the
#: same set as `perseverance.mission.data_return.GROUND_KINDS` (a test pins it: the
#: report does not import the mission).
GROUND_KINDS = frozenset({"edl_plot", "spectrogram", "radargram_plot", "report"})
#: The kind of an image's thumbnail in the ``downlinks`` table.
THUMBNAIL_KIND = "image_thumbnail"
#: The routine relays first, in this order; any other orbiter after them, by name.
ORBITER_ORDER = ("mro", "odyssey", "tgo", "maven")
#: Bars of each orbiter (tab10 colours, stable from run to run).
ORBITER_COLOURS = {"mro": "#1f77b4", "odyssey": "#ff7f0e", "tgo": "#2ca02c", "maven": "#d62728"}
#: Sends of one orbiter further apart than this are on two passes [s] (E: a UHF pass lasts
#: under ~20 min and an orbiter comes round again after one ~2 h orbit).
PASS_GAP_S = 1800.0
#: A gap of at least this many sols with nothing sent home is shaded [sol].
MIN_GAP_SOLS = 3
#: Bits in one Mbit.
_MBIT = 1e6
#: Seconds in one hour.
_HOUR_S = 3600.0
#: Ages are drawn no lower than this on the log axis [h] (EDL's live files: ~11 min).
_MIN_AGE_H = 0.01


def orbiters_of(rows: Sequence[DownlinkRow]) -> list[str]:
    """The orbiters in ``rows``, routine relays first (`ORBITER_ORDER`), then by name."""
    seen = {r.orbiter for r in rows}
    return [o for o in ORBITER_ORDER if o in seen] + sorted(seen - set(ORBITER_ORDER))


def passes_used(sent_s: NDArray[np.float64]) -> int:
    """How many passes the send times [s] of one orbiter fell on (gaps over `PASS_GAP_S`)."""
    if sent_s.size == 0:
        return 0
    return int(np.count_nonzero(np.diff(np.sort(sent_s)) > PASS_GAP_S)) + 1


def quiet_spans(sols: NDArray[np.int64], first: int, last: int) -> list[tuple[int, int]]:
    """(first, last) sol of each run of at least `MIN_GAP_SOLS` sols in first..last with
    no sol in ``sols``."""
    busy = np.zeros(last - first + 1, dtype=bool)
    inside = sols[(sols >= first) & (sols <= last)]
    busy[inside - first] = True
    spans = []
    start: int | None = None
    for i, b in enumerate([*busy, True]):
        if not b and start is None:
            start = i
        elif b and start is not None:
            if i - start >= MIN_GAP_SOLS:
                spans.append((first + start, first + i - 1))
            start = None
    return spans


def _spans(sols: Sequence[int]) -> list[tuple[int, int]]:
    """Consecutive sols as (first, last) spans."""
    out: list[tuple[int, int]] = []
    for s in sorted(set(sols)):
        if out and s == out[-1][1] + 1:
            out[-1] = (out[-1][0], s)
        else:
            out.append((s, s))
    return out


def _plot(
    data: RunData,
    rows: Sequence[DownlinkRow],
    orbiters: list[str],
    ages_h: NDArray[np.float64],
    frames: set[str],
    span: tuple[int, int],
) -> bytes:
    pass_sol = np.array([r.sol for r in rows], dtype=np.int64)
    mbit = np.array([r.bits for r in rows], dtype=float) / _MBIT
    orbiter = np.array([r.orbiter for r in rows], dtype=object)
    first, last = span
    sols = np.arange(first, last + 1)
    fig = Figure(figsize=(8.5, 8.0))
    ax_a, ax_b, ax_c = fig.subplots(3, 1, sharex=True)

    bottom = np.zeros(sols.size)
    for i, o in enumerate(orbiters):
        volume = np.bincount(pass_sol[orbiter == o] - first, mbit[orbiter == o], sols.size)
        colour = ORBITER_COLOURS.get(o, f"C{4 + i}")
        ax_a.bar(sols, volume, bottom=bottom, width=0.9, color=colour, label=o.upper())
        bottom += volume
    ax_a.set_ylabel("received [Mbit]")
    ax_a.set_title("(a) data received per sol of the pass, by orbiter")
    ax_a.legend(loc="upper right", fontsize="small", ncols=min(len(orbiters), 5))

    made = np.array([r.acquired_sol for r in rows], dtype=float)
    kind = np.array(
        ["thumb" if r.kind == THUMBNAIL_KIND else "frame" if r.item in frames else "other"
         for r in rows]
    )  # fmt: skip
    styles = (("thumb", "thumbnails", ".", "#9467bd"), ("frame", "full frames", "o", "#17becf"),
              ("other", "other data", "x", "#7f7f7f"))  # fmt: skip
    for key, label, marker, colour in styles:
        pick = kind == key
        if pick.any():
            ax_b.scatter(made[pick], np.maximum(ages_h[pick], _MIN_AGE_H), s=10, marker=marker,
                         color=colour, label=label, alpha=0.7, linewidths=0.8)  # fmt: skip
    ax_b.set_yscale("log")
    ax_b.set_ylabel("age on arrival [h]")
    ax_b.set_title("(b) age on arrival against the sol the product was made")
    ax_b.legend(loc="upper right", fontsize="small")

    total = np.bincount(pass_sol - first, mbit, sols.size)
    some = total > 0
    ax_c.bar(sols[some], total[some], width=0.9, color="0.3", label="all orbiters")
    ax_c.set_yscale("log")
    conj = [s.sol for s in data.sols if "conjunction" in (s.phase or "")]
    for a, b in _spans(conj):
        ax_c.axvspan(a - 0.5, b + 0.5, color="#ffbf00", alpha=0.35, linewidth=0)
    for a, b in quiet_spans(pass_sol, first, last):
        ax_c.axvspan(a - 0.5, b + 0.5, color="0.6", alpha=0.4, linewidth=0, hatch="//")
        ax_c.text((a + b) / 2, 0.95, f"no downlink\nsols {a}–{b}", ha="center", va="top",
                  fontsize="small", transform=ax_c.get_xaxis_transform())  # fmt: skip
    if conj:
        ax_c.text(0.01, 0.95, "amber: the scenario's conjunction sols", fontsize="small",
                  va="top", transform=ax_c.transAxes)  # fmt: skip
    ax_c.set_ylabel("received [Mbit], log")
    ax_c.set_xlabel("sol")
    ax_c.set_title("(c) the quiet sols: nothing sent home")
    ax_c.set_xlim(first - 0.6, last + 0.6)
    return png_bytes(fig)


def _touchdown(data: RunData) -> str:
    found = [e for e in data.events if e.name == "touchdown_confirmed"]
    if not found:
        return ""
    pay = found[0].payload or {}
    craft, earth = pay.get("spacecraft_utc"), pay.get("earth_received_utc")
    relays = " and ".join(str(r).upper() for r in pay.get("relays") or [])
    if not earth:
        return p(f"Touchdown at {craft} (spacecraft UTC): no EDL relay was above the horizon; "
                 "it was confirmed at the next pass.")  # fmt: skip
    light = pay.get("light_time_s")
    after = f" ({float(light):.1f} s of light time)" if isinstance(light, int | float) else ""
    by = f", relayed live by {relays}" if relays else ""
    return p(f"Touchdown at {craft} (spacecraft UTC) was confirmed on Earth at {earth}"
             f"{after}{by}.")  # fmt: skip


def render(data: RunData) -> str:
    """The link home of the run, or a sentence saying nothing came home."""
    rows = data.downlinks
    if not rows:
        return p("Nothing was sent home in this run: it has no downlinks.", "none") + _touchdown(
            data
        )
    orbiters = orbiters_of(rows)
    ages_h = np.array(
        [(r.received_utc - r.acquired_utc).total_seconds() / _HOUR_S for r in rows], dtype=float
    )
    home = {r.item for r in rows}
    frames = {x.path for x in data.products if x.thumbnail and x.thumbnail != x.path}
    ok = [x for x in data.products if x.status == "ok"]
    received = sum(x.path in home for x in ok)
    waiting = sum(
        x.path not in home and x.priority is not None and x.kind not in GROUND_KINDS for x in ok
    )
    last = max([r.sol for r in rows] + [s.sol for s in data.sols])
    if data.run.last_committed_sol is not None:
        last = max(last, data.run.last_committed_sol)
    first = min([0] + [r.sol for r in rows])

    by: dict[str, list[int]] = defaultdict(list)
    for i, r in enumerate(rows):
        by[r.orbiter].append(i)
    epoch = rows[0].sent_utc
    table_rows = []
    for o in orbiters:
        idx = by[o]
        sent_s = np.array([(rows[i].sent_utc - epoch).total_seconds() for i in idx])
        table_rows.append(
            (
                o.upper(),
                passes_used(sent_s),
                len(idx),
                f"{sum(rows[i].bits for i in idx) / _MBIT:,.2f}",
                f"{float(np.median(ages_h[idx])):,.1f}",
            )
        )
    total_mbit = sum(r.bits for r in rows) / _MBIT
    table_rows.append(
        ("all", sum(int(t[1]) for t in table_rows), len(rows), f"{total_mbit:,.2f}",
         f"{float(np.median(ages_h)):,.1f}")
    )  # fmt: skip
    quiet = quiet_spans(np.array([r.sol for r in rows], dtype=np.int64), first, last)
    gaps = "; ".join(f"sols {a}–{b}" for a, b in quiet) or "none"
    out = [
        p(
            f"{plural(len(rows), 'item')} came home ({total_mbit:,.1f} Mbit) through "
            f"{plural(len(orbiters), 'orbiter')}: {plural(received, 'product')} received, "
            f"{plural(waiting, 'product')} still waiting onboard at the end of the run. "
            f"Spans of {MIN_GAP_SOLS} or more sols with no downlink: {gaps}."
        ),
        _touchdown(data),
        figure(
            _plot(data, rows, orbiters, ages_h, frames, (first, last)),
            "Data returned per sol by orbiter, age on arrival, and the quiet sols",
        ),
        table(
            "orbiter|passes used|items|Mbit|median age on arrival [h]",
            table_rows,
            numeric={1, 2, 3, 4},
        ),
    ]
    return "".join(out)
