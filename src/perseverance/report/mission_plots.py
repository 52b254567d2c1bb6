"""Mission plots: traverse over the terrain, depot, energy, activities, odometry, EDL events.

Each function draws one `matplotlib.figure.Figure` (never pyplot, so the user's backend
is left alone) and returns it as PNG bytes (for inlining in ``report.html``). Inputs are
plain arrays and lists in SI units (positions in metres east/north of the landing site,
energies in joules, times in seconds); axes are labelled in the units a reader expects
(km or m, kWh, LMST hours). Resolution is kept modest (`DPI`, the hillshade thinned to
`MAX_SHADE_PX`) so a 700-sol report stays a few megabytes.

Text that comes from the mission database (names, designations, kinds) goes through
`_text` first, so a ``$`` in a name is printed rather than read as mathtext.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import matplotlib
import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator
from mpl_toolkits.axes_grid1.anchored_artists import AnchoredSizeBar
from numpy.typing import ArrayLike, NDArray

from perseverance.mars.constants import LMST_HOUR_S
from perseverance.terrain.landing_region import LandingRegion

#: Resolution of every figure [dots per inch]; ~800 px wide at the sizes below.
DPI = 90
#: The hillshade behind a map is thinned to at most this many cells a side.
MAX_SHADE_PX = 900
#: A map wider than this [m] is labelled in km.
KM_AXES_ABOVE_M = 2000.0
#: Sun for the hillshade: azimuth clockwise from north [deg] (the cartographic north-west),
#: altitude [deg]; heights x2 (the Jezero floor is gentle and reads flat at 1x).
SHADE_AZIMUTH_DEG, SHADE_ALTITUDE_DEG, SHADE_EXAGGERATION = 315.0, 45.0, 2.0

#: Marker, colour and legend label of each kind of `Mark`; unknown kinds get ``"other"``.
MARK_STYLES: dict[str, tuple[str, str, str]] = {
    "igneous": ("o", "#d62728", "igneous sample"),
    "sedimentary": ("o", "#1f77b4", "sedimentary sample"),
    "regolith": ("s", "#8c564b", "regolith sample"),
    "atmospheric": ("D", "#17becf", "atmospheric sample"),
    "witness": ("D", "#7f7f7f", "witness tube"),
    "waypoint": ("^", "#2ca02c", "waypoint reached"),
    "depot": ("P", "#ff7f0e", "depot"),
    "other": ("x", "#e377c2", "other"),
}


#: A colour: red, green, blue, alpha in [0, 1].
RGBA = tuple[float, float, float, float]


@dataclass(frozen=True)
class Mark:
    """A named point on a map: a sample site, a waypoint, the depot.

    ``kind`` picks the style in `MARK_STYLES` (a sample type, ``"waypoint"``,
    ``"depot"``); positions are metres east and north of the landing site. An empty
    ``label`` draws the marker without a name.
    """

    label: str
    east_m: float
    north_m: float
    kind: str


def _text(value: object) -> str:
    """A database string made safe for matplotlib text (no mathtext)."""
    return str(value).replace("$", r"\$")


def png_bytes(fig: Figure) -> bytes:
    """The figure as PNG bytes at `DPI`."""
    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png", dpi=DPI)
    return buf.getvalue()


def _note(ax: Axes, message: str) -> None:
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes, color="0.4")


def kind_colours(kinds: Sequence[str]) -> dict[str, RGBA]:
    """A stable colour per activity kind (sorted, from ``tab20``); ``sleep`` is light grey."""
    cmap = matplotlib.colormaps["tab20"]
    out: dict[str, RGBA] = {}
    others = [k for k in sorted(set(kinds)) if k != "sleep"]
    for i, kind in enumerate(others):
        out[kind] = cmap(i % cmap.N)
    if "sleep" in kinds:
        out["sleep"] = (0.85, 0.85, 0.85, 1.0)
    return out


# ---------------------------------------------------------------------- maps


def _map_window(
    east_m: NDArray[np.float64], north_m: NDArray[np.float64], margin_m: float, min_half_m: float
) -> tuple[float, float, float, float]:
    """(east_lo, east_hi, north_lo, north_hi) [m] around the points, no side under half the
    other and none under ``2 * min_half_m``."""
    if east_m.size == 0:
        return -min_half_m, min_half_m, -min_half_m, min_half_m
    e0, e1 = float(east_m.min()) - margin_m, float(east_m.max()) + margin_m
    n0, n1 = float(north_m.min()) - margin_m, float(north_m.max()) + margin_m
    half_e, half_n = (e1 - e0) / 2, (n1 - n0) / 2
    half = max(half_e, half_n, min_half_m)
    half_e, half_n = max(half_e, half / 2, min_half_m), max(half_n, half / 2, min_half_m)
    ce, cn = (e0 + e1) / 2, (n0 + n1) / 2
    return ce - half_e, ce + half_e, cn - half_n, cn + half_n


def _shade(
    ax: Axes, terrain: LandingRegion | None, window: tuple[float, float, float, float], scale: float
) -> None:
    """The terrain's hillshade under ``window`` [m], thinned to `MAX_SHADE_PX`; axis units
    are metres / ``scale``. Without a terrain (or outside it) the background is sand."""
    ax.set_facecolor("#d9c7a7")
    if terrain is None:
        return
    east, north = np.asarray(terrain.east_m), np.asarray(terrain.north_m)
    d_e, d_n = float(east[1] - east[0]), float(north[1] - north[0])
    cols = np.flatnonzero((east >= window[0] - d_e) & (east <= window[1] + d_e))
    rows = np.flatnonzero((north >= window[2] - d_n) & (north <= window[3] + d_n))
    if cols.size < 2 or rows.size < 2:
        return
    step = max(1, math.ceil(max(cols.size, rows.size) / MAX_SHADE_PX))
    shade = terrain.hillshade(SHADE_AZIMUTH_DEG, SHADE_ALTITUDE_DEG, SHADE_EXAGGERATION)
    sub = shade[rows[0] : rows[-1] + 1 : step, cols[0] : cols[-1] + 1 : step]
    last_e, last_n = (
        east[cols[0] + step * (sub.shape[1] - 1)],
        north[rows[0] + step * (sub.shape[0] - 1)],
    )
    extent = (
        float(east[cols[0]] - step * d_e / 2) / scale,
        float(last_e + step * d_e / 2) / scale,
        float(north[rows[0]] - step * d_n / 2) / scale,
        float(last_n + step * d_n / 2) / scale,
    )
    ax.imshow(
        sub, origin="lower", extent=extent, cmap="gray", vmin=0, vmax=1, interpolation="bilinear"
    )


def _plot_marks(ax: Axes, marks: Sequence[Mark], scale: float) -> None:
    seen: set[str] = set()
    for mark in marks:
        kind = mark.kind if mark.kind in MARK_STYLES else "other"
        marker, colour, legend = MARK_STYLES[kind]
        ax.plot(
            mark.east_m / scale,
            mark.north_m / scale,
            marker,
            ms=7,
            mfc=colour,
            mec="black",
            mew=0.6,
            ls="none",
            zorder=5,
            label=None if kind in seen else legend,
        )
        seen.add(kind)
        if mark.label:
            ax.annotate(
                _text(mark.label),
                (mark.east_m / scale, mark.north_m / scale),
                xytext=(4, 4),
                textcoords="offset points",
                fontsize=6.5,
                zorder=6,
                bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.7},
            )


def traverse_map(
    east_m: ArrayLike,
    north_m: ArrayLike,
    sol: ArrayLike,
    *,
    terrain: LandingRegion | None = None,
    marks: Sequence[Mark] = (),
    landing_en: tuple[float, float] = (0.0, 0.0),
) -> bytes:
    """The rover's path coloured by sol, over the hillshade, with named marks.

    Parameters
    ----------
    east_m, north_m : (N,) path points [m east/north of the landing site], in order.
    sol : (N,) the sol of each point; a segment takes the colour of its end point.
    terrain : a `LandingRegion` (or None: plain background).
    marks : sample sites, waypoints, the depot; each labelled with its name.
    landing_en : the landing point [m].

    The map is cropped to the path, the marks and the landing point plus a margin (8%
    of the span, at least 50 m); axes are in km when it is wider than `KM_AXES_ABOVE_M`.
    """
    e = np.asarray(east_m, dtype=float)
    n = np.asarray(north_m, dtype=float)
    s = np.asarray(sol, dtype=float)
    all_e = np.concatenate([e, [m.east_m for m in marks], [landing_en[0]]])
    all_n = np.concatenate([n, [m.north_m for m in marks], [landing_en[1]]])
    span = max(float(np.ptp(all_e)), float(np.ptp(all_n)))
    window = _map_window(all_e, all_n, max(50.0, 0.08 * span), 100.0)
    km = window[1] - window[0] > KM_AXES_ABOVE_M or window[3] - window[2] > KM_AXES_ABOVE_M
    scale, unit = (1e3, "km") if km else (1.0, "m")

    fig = Figure(figsize=(8.5, 7.5))
    ax = fig.subplots()
    _shade(ax, terrain, window, scale)
    if e.size >= 2:
        points = np.column_stack([e, n]) / scale
        segments = np.stack([points[:-1], points[1:]], axis=1)
        norm = Normalize(vmin=float(s.min()), vmax=max(float(s.max()), float(s.min()) + 1.0))
        lines = LineCollection(list(segments), cmap="plasma", norm=norm, linewidths=1.8, zorder=3)
        lines.set_array(s[1:])
        ax.add_collection(lines)
        bar = fig.colorbar(lines, ax=ax, label="sol", shrink=0.8)
        bar.ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    elif e.size == 1:
        ax.plot(e / scale, n / scale, ".", color="gold", zorder=3)
    _plot_marks(ax, marks, scale)
    ax.plot(
        landing_en[0] / scale,
        landing_en[1] / scale,
        "*",
        ms=15,
        mfc="yellow",
        mec="black",
        zorder=6,
        label="landing",
        ls="none",
    )
    if e.size == 0:
        _note(ax, "no traverse yet")
    ax.set(
        xlim=(window[0] / scale, window[1] / scale),
        ylim=(window[2] / scale, window[3] / scale),
        xlabel=f"east of the landing site [{unit}]",
        ylabel=f"north of the landing site [{unit}]",
        title="Traverse (colour: sol)",
        aspect="equal",
    )
    ax.legend(fontsize=7, loc="best", framealpha=0.8)
    return png_bytes(fig)


def depot_map(
    drops: Sequence[Mark],
    east_m: ArrayLike,
    north_m: ArrayLike,
    *,
    terrain: LandingRegion | None = None,
    scale_bar_m: float = 5.0,
) -> bytes:
    """The depot: drop positions (numbered in drop order, labelled with designations)
    joined by a dashed line to show the zigzag, and the rover's path near them.

    ``drops`` in the order they were dropped [m east/north]; ``east_m``/``north_m`` the
    whole path (clipped to the window: the drops plus 10 m, at least 40 m across).
    A ``scale_bar_m`` bar [m] sits in the lower right.
    """
    de = np.array([d.east_m for d in drops], dtype=float)
    dn = np.array([d.north_m for d in drops], dtype=float)
    window = _map_window(de, dn, 10.0, 20.0)
    fig = Figure(figsize=(7.5, 7.0))
    ax = fig.subplots()
    _shade(ax, terrain, window, 1.0)
    e = np.asarray(east_m, dtype=float)
    n = np.asarray(north_m, dtype=float)
    if e.size:
        ax.plot(e, n, "-", color="0.25", lw=1.0, alpha=0.8, label="rover path", zorder=2)
        ax.plot(e, n, ".", color="0.25", ms=2.5, zorder=2)
    if de.size:
        ax.plot(de, dn, "--", color="#ff7f0e", lw=1.0, zorder=3, label="drop order")
        ax.plot(de, dn, "o", ms=9, mfc="#ff7f0e", mec="black", zorder=4, ls="none", label="tube")
        for k, drop in enumerate(drops):
            ax.annotate(
                str(k + 1),
                (drop.east_m, drop.north_m),
                ha="center",
                va="center",
                fontsize=6.5,
                zorder=5,
            )
            ax.annotate(
                _text(drop.label),
                (drop.east_m, drop.north_m),
                xytext=(7, -3),
                textcoords="offset points",
                fontsize=6.5,
                zorder=6,
                bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.75},
            )
    else:
        _note(ax, "no tube deposited yet")
    ax.add_artist(
        AnchoredSizeBar(
            ax.transData,
            scale_bar_m,
            f"{scale_bar_m:g} m",
            "lower right",
            pad=0.5,
            sep=3,
            frameon=True,
            size_vertical=0.15,
        )
    )
    ax.set(
        xlim=window[:2],
        ylim=window[2:],
        xlabel="east of the landing site [m]",
        ylabel="north of the landing site [m]",
        title="Sample depot",
        aspect="equal",
    )
    ax.legend(fontsize=7, loc="upper left", framealpha=0.8)
    return png_bytes(fig)


# ---------------------------------------------------------------- time series


def energy_per_sol(
    sol: ArrayLike,
    charge_min_j: ArrayLike,
    charge_max_j: ArrayLike,
    charge_end_j: ArrayLike,
    generated_j: ArrayLike,
    used_j: ArrayLike,
    *,
    capacity_j: float,
    floor_j: float | None = None,
) -> bytes:
    """Battery state of charge per sol (min-max band, end of sol, floor) and energy
    generated vs used [kWh].

    Charges and energies in J; ``capacity_j`` [J] is 100% state of charge; ``floor_j``
    [J], the lowest charge the planner allows, is drawn as a line when given.
    """
    s = np.asarray(sol, dtype=float)
    pct = 100.0 / capacity_j
    fig = Figure(figsize=(9, 6.2))
    ax1, ax2 = fig.subplots(2, 1, sharex=True)
    few = s.size <= 60
    style = {"marker": "o", "ms": 3} if few else {}
    ax1.fill_between(
        s,
        np.asarray(charge_min_j) * pct,
        np.asarray(charge_max_j) * pct,
        color="C0",
        alpha=0.2,
        label="min-max over the sol",
    )
    ax1.plot(s, np.asarray(charge_min_j) * pct, color="C0", lw=1.0, label="minimum", **style)
    ax1.plot(s, np.asarray(charge_end_j) * pct, color="C2", lw=1.0, label="end of sol", **style)
    if floor_j is not None:
        ax1.axhline(floor_j * pct, color="C3", ls="--", lw=1.0, label="floor")
    ax1.set(ylabel="battery state of charge [%]", title="Energy per sol", ylim=(0, 105))
    ax1.legend(fontsize=7, loc="lower left", ncol=4)
    ax2.plot(s, np.asarray(generated_j) / 3.6e6, color="C1", lw=1.0, label="generated", **style)
    ax2.plot(s, np.asarray(used_j) / 3.6e6, color="C4", lw=1.0, label="used", **style)
    ax2.set(xlabel="sol", ylabel="energy per sol [kWh]")
    ax2.set_ylim(bottom=0)
    ax2.legend(fontsize=7, loc="lower left", ncol=2)
    ax2.xaxis.set_major_locator(MaxNLocator(integer=True))
    for ax in (ax1, ax2):
        ax.grid(alpha=0.3)
    return png_bytes(fig)


def activity_hours(
    sol: ArrayLike, kinds: Sequence[str], hours: ArrayLike, colours: Mapping[str, RGBA]
) -> bytes:
    """LMST hours per sol spent on each kind of activity, stacked.

    ``hours`` is (len(kinds), len(sol)) [LMST hours, 1/24 sol]; ``colours`` from
    `kind_colours`. Bars up to 60 sols, a stepped stack beyond.
    """
    s = np.asarray(sol, dtype=float)
    h = np.asarray(hours, dtype=float).reshape(len(kinds), s.size)
    fig = Figure(figsize=(9, 4.6))
    ax = fig.subplots()
    if s.size <= 60:
        bottom = np.zeros(s.size)
        for kind, row in zip(kinds, h, strict=True):
            ax.bar(s, row, bottom=bottom, width=0.85, color=colours[kind], label=_text(kind))
            bottom += row
    elif s.size:
        ax.stackplot(
            s, h, colors=[colours[k] for k in kinds], labels=[_text(k) for k in kinds], step="mid"
        )
    if s.size == 0:
        _note(ax, "no activities yet")
    ax.set(xlabel="sol", ylabel="time [LMST hours]", title="Activities per sol, by kind")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(alpha=0.3, axis="y")
    if kinds:
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return png_bytes(fig)


def activity_gantt(
    sol: ArrayLike,
    kind: Sequence[str],
    start_s: ArrayLike,
    duration_s: ArrayLike,
    skipped: ArrayLike,
    colours: Mapping[str, RGBA],
) -> bytes:
    """A Gantt chart of the activities of a few sols, one row per sol, LMST 0-24 h.

    ``start_s`` [s from the sol's LMST midnight] and ``duration_s`` [s] per activity;
    ``skipped`` activities are drawn hatched and faded. ``colours`` from `kind_colours`.
    """
    sols = np.asarray(sol, dtype=int)
    start_h = np.asarray(start_s, dtype=float) / LMST_HOUR_S
    dur_h = np.asarray(duration_s, dtype=float) / LMST_HOUR_S
    skip = np.asarray(skipped, dtype=bool)
    rows = sorted(set(sols.tolist()))
    fig = Figure(figsize=(9, 0.9 + 0.55 * max(len(rows), 1)))
    ax = fig.subplots()
    for y, row_sol in enumerate(rows):
        for i in np.flatnonzero(sols == row_sol):
            ax.broken_barh(
                [(start_h[i], max(dur_h[i], 0.02))],
                (y - 0.38, 0.76),
                facecolors=colours[kind[int(i)]],
                edgecolor="0.5" if skip[i] else "black",
                linewidth=0.3,
                alpha=0.35 if skip[i] else 1.0,
                hatch="///" if skip[i] else None,
            )
    ax.set_yticks(range(len(rows)), [f"sol {r}" for r in rows])
    ax.invert_yaxis()
    ax.set(
        xlim=(0, 24),
        xticks=range(0, 25, 2),
        xlabel="LMST [h]",
        title="Activities of representative sols (hatched: skipped)",
    )
    ax.grid(alpha=0.3, axis="x")
    shown = [k for k in colours if k in set(kind)]
    handles = [
        Patch(facecolor=colours[k], edgecolor="black", lw=0.3, label=_text(k)) for k in shown
    ]
    if skip.any():
        handles.append(Patch(facecolor="white", edgecolor="0.5", hatch="///", label="skipped"))
    if handles:
        ax.legend(handles=handles, fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return png_bytes(fig)


def odometry(
    sol: ArrayLike, odometry_m: ArrayLike, drive_m: ArrayLike, *, sample_sols: ArrayLike = ()
) -> bytes:
    """Cumulative wheel odometry and distance made good against sol, sampling sols marked.

    ``odometry_m`` and ``drive_m`` are per sol [m] (summed here); shown in km past 2 km.
    """
    s = np.asarray(sol, dtype=float)
    odo = np.cumsum(np.asarray(odometry_m, dtype=float))
    good = np.cumsum(np.asarray(drive_m, dtype=float))
    km = odo.size > 0 and odo[-1] > KM_AXES_ABOVE_M
    scale, unit = (1e3, "km") if km else (1.0, "m")
    fig = Figure(figsize=(9, 4.2))
    ax = fig.subplots()
    ax.step(s, odo / scale, where="post", color="C0", label="wheel odometry")
    ax.step(s, good / scale, where="post", color="C1", label="distance made good")
    taken = np.asarray(sample_sols, dtype=float)
    if taken.size and s.size:
        at = np.interp(taken, s, odo / scale)
        ax.plot(taken, at, "v", color="C3", ms=6, ls="none", label="sample taken")
    if s.size == 0:
        _note(ax, "no sols yet")
    ax.set(xlabel="sol", ylabel=f"cumulative distance [{unit}]", title="Odometry")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper left")
    return png_bytes(fig)


def edl_profile(
    t_s: ArrayLike, altitude_m: ArrayLike, velocity_mps: ArrayLike, names: Sequence[str]
) -> bytes:
    """Altitude [km] and speed [km/s] at each EDL event against time from entry [s],
    the events named along the top."""
    t = np.asarray(t_s, dtype=float)
    alt = np.asarray(altitude_m, dtype=float)
    vel = np.asarray(velocity_mps, dtype=float)
    fig = Figure(figsize=(9, 6))
    ax1, ax2 = fig.subplots(2, 1, sharex=True)
    ax1.plot(t, alt / 1e3, "o-", color="C0", ms=4)
    ax2.plot(t, vel / 1e3, "o-", color="C3", ms=4)
    for ti, name in zip(t, names, strict=True):
        for ax in (ax1, ax2):
            ax.axvline(ti, color="0.6", lw=0.5, ls=":")
        ax1.annotate(
            _text(name).replace("_", " "),
            (ti, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(0, 3),
            textcoords="offset points",
            rotation=90,
            fontsize=6.5,
            ha="center",
            va="bottom",
        )
    ax1.set(ylabel="altitude above ground [km]")
    ax2.set(xlabel="time from entry interface [s]", ylabel="speed [km/s]")
    for ax in (ax1, ax2):
        ax.grid(alpha=0.3)
    return png_bytes(fig)
