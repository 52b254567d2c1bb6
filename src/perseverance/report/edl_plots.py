"""EDL plots: trajectory, loads, ground track over the site, landing points on the maps.

Each plot function draws one `matplotlib.figure.Figure` (never pyplot, so the user's
backend is left alone), writes it as a PNG and returns its path. Inputs are plain arrays in
SI units; axes are labelled in the units a reader expects (km, km/s, g).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Ellipse as EllipsePatch
from numpy.typing import NDArray

from perseverance.mars.frames import LocalFrame
from perseverance.terrain.landing_region import LandingRegion

DPI = 110


#: Telemetry or a per-run table: named columns.
Columns = dict[str, NDArray[Any]]
#: Limits of campaign quantities: name -> (low, high), None where there is none.
Limits = Mapping[str, tuple[float | None, float | None]]
#: How a parachute trigger is named in titles and legends.
TRIGGER_NAMES = {"range": "Range Trigger", "velocity": "velocity trigger"}
#: Colours of the campaigns in `trigger_comparison`, in order.
COMPARISON_COLOURS = ("cyan", "magenta")


def _save(fig: Figure, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    return path


def altitude_velocity(tel: Columns, events: list[dict[str, Any]], path: Path) -> Path:
    """Altitude above ground against planet-relative speed, events marked."""
    fig = Figure(figsize=(7, 5))
    ax = fig.subplots()
    ax.plot(tel["velocity_mps"] / 1e3, tel["altitude_m"] / 1e3, lw=1.5)
    markers = "osD^v<>p*hX"
    for k, ev in enumerate(events):
        ax.plot(
            ev["velocity_mps"] / 1e3,
            ev["altitude_m"] / 1e3,
            markers[k % len(markers)],
            ms=5,
            label=ev["name"].replace("_", " "),
        )
    ax.legend(fontsize=7, loc="upper left", ncol=2)
    ax.set(
        xlabel="speed, planet-relative [km/s]",
        ylabel="altitude above ground [km]",
        title="Entry, descent and landing",
    )
    ax.grid(alpha=0.3)
    return _save(fig, path)


def loads(tel: Columns, path: Path) -> Path:
    """Sensed g-load and dynamic pressure against time from entry interface."""
    fig = Figure(figsize=(7, 6))
    ax1, ax2 = fig.subplots(2, 1, sharex=True)
    ax1.plot(tel["t_s"], tel["g_load"], color="C3")
    ax1.set(ylabel="sensed deceleration [Earth g]", title="Loads")
    ax2.plot(tel["t_s"], tel["dynamic_pressure_pa"] / 1e3, color="C0")
    ax2.set(xlabel="time from entry interface [s]", ylabel="dynamic pressure [kPa]")
    for ax in (ax1, ax2):
        ax.grid(alpha=0.3)
    return _save(fig, path)


def ground_track(
    tel: Columns,
    terrain: object,
    frame: LocalFrame,
    touchdown_en: tuple[float, float] | None,
    target_en: tuple[float, float],
    path: Path,
) -> Path:
    """Whole ground track (longitude/latitude) and the final approach over the site map."""
    fig = Figure(figsize=(11, 4.8))
    ax1, ax2 = fig.subplots(1, 2)
    ax1.plot(tel["longitude_deg"], tel["latitude_deg"], lw=1.2)
    ax1.set(xlabel="east longitude [deg]", ylabel="latitude [deg]", title="Ground track from entry")
    ax1.grid(alpha=0.3)
    east, north = frame.east_north(tel["x_m"], tel["y_m"], tel["z_m"])
    _site_background(ax2, terrain)
    near = (np.abs(east) < 9000) & (np.abs(north) < 9000)
    ax2.plot(east[near] / 1e3, north[near] / 1e3, color="gold", lw=1.5, label="ground track")
    ax2.plot(target_en[0] / 1e3, target_en[1] / 1e3, "b+", ms=12, label="target")
    if touchdown_en is not None:
        ax2.plot(touchdown_en[0] / 1e3, touchdown_en[1] / 1e3, "r*", ms=12, label="touchdown")
    if isinstance(terrain, LandingRegion):
        ax2.set_xlim(terrain.east_m[0] / 1e3, terrain.east_m[-1] / 1e3)
        ax2.set_ylim(terrain.north_m[0] / 1e3, terrain.north_m[-1] / 1e3)
    ax2.set(xlabel="east [km]", ylabel="north [km]", title="Final approach over the site")
    ax2.legend(fontsize=8, loc="lower right")
    return _save(fig, path)


def _site_background(ax: Axes, terrain: object, hazard: bool = False) -> None:
    """The site's hillshade under ``ax`` [km] (hazards in red), or sand without a region."""
    if not isinstance(terrain, LandingRegion):
        ax.set_facecolor("#d9c7a7")
        ax.set_aspect("equal")
        return
    extent = (
        float(terrain.east_m[0]) / 1e3,
        float(terrain.east_m[-1]) / 1e3,
        float(terrain.north_m[0]) / 1e3,
        float(terrain.north_m[-1]) / 1e3,
    )
    ax.imshow(terrain.hillshade(), origin="lower", extent=extent, cmap="gray", vmin=0, vmax=1)
    if hazard:
        overlay = np.ma.masked_where(~terrain.hazard, terrain.hazard)
        ax.imshow(overlay, origin="lower", extent=extent, cmap=ListedColormap(["red"]), alpha=0.45)
    ax.set_aspect("equal")


def hazard_map(
    terrain: object,
    touchdown_en: tuple[float, float],
    safe_en: tuple[float, float] | None,
    path: Path,
    half_width_m: float = 600.0,
) -> Path:
    """The landing point and selected safe target on the hazard map around them."""
    fig = Figure(figsize=(6, 6))
    ax = fig.subplots()
    _site_background(ax, terrain, hazard=True)
    cx, cy = touchdown_en
    if safe_en is not None and np.all(np.isfinite(safe_en)):
        ax.plot(
            safe_en[0] / 1e3,
            safe_en[1] / 1e3,
            "o",
            mfc="none",
            mec="cyan",
            ms=14,
            mew=2,
            label="safe target (LVS)",
        )
    ax.plot(cx / 1e3, cy / 1e3, "r*", ms=14, label="touchdown")
    ax.set(
        xlim=((cx - half_width_m) / 1e3, (cx + half_width_m) / 1e3),
        ylim=((cy - half_width_m) / 1e3, (cy + half_width_m) / 1e3),
        xlabel="east [km]",
        ylabel="north [km]",
        title="Landing point on the hazard map (red: hazard)",
    )
    ax.legend(fontsize=8, loc="lower right")
    return _save(fig, path)


def trigger_name(trigger: str) -> str:
    """``Range Trigger`` or ``velocity trigger`` (any other name as given)."""
    return TRIGGER_NAMES.get(trigger, trigger)


def _ellipse(el: dict[str, float], **style: Any) -> EllipsePatch:
    """An ellipse of a campaign summary (centre and semi-axes [m]) in km."""
    return EllipsePatch(
        (el["centre_east_m"] / 1e3, el["centre_north_m"] / 1e3),
        2 * el["semi_major_m"] / 1e3,
        2 * el["semi_minor_m"] / 1e3,
        angle=90 - el["azimuth_deg"],
        fill=False,
        **style,
    )


def ellipse_over_site(
    table: Columns,
    summary: dict[str, Any],
    terrain: object,
    target_en: tuple[float, float],
    path: Path,
) -> Path:
    """Monte Carlo touchdown points, the 99% and 3-sigma ellipses, over the site map; the
    title names the parachute trigger (``summary["parachute_trigger"]``)."""
    fig = Figure(figsize=(7, 7))
    ax = fig.subplots()
    _site_background(ax, terrain)
    e, n = table["touchdown_east_m"] / 1e3, table["touchdown_north_m"] / 1e3
    ok = table["status"] == 0
    ax.plot(e[ok], n[ok], ".", ms=2, color="gold", alpha=0.6, label="landed")
    if (~ok).any():
        ax.plot(e[~ok], n[~ok], "x", ms=4, color="red", label="not landed safely")
    styles = (
        ("ellipse_99", "-", "cyan", "99% ellipse"),
        ("ellipse_3sigma", ":", "white", "3-sigma ellipse"),
    )
    for key, style, colour, label in styles:
        el = summary.get(key)
        if el:
            ax.add_patch(_ellipse(el, ls=style, lw=1.5, color=colour, label=label))
    ax.plot(target_en[0] / 1e3, target_en[1] / 1e3, "b+", ms=12, label="target")
    trigger = trigger_name(summary["parachute_trigger"])
    ax.set(
        xlabel="east [km]",
        ylabel="north [km]",
        title=f"Landing dispersion, {summary['runs']} runs, {trigger}",
    )
    ax.legend(fontsize=8, loc="lower right")
    return _save(fig, path)


def trigger_comparison(
    campaigns: Sequence[tuple[Columns, dict[str, Any]]],
    terrain: object,
    target_en: tuple[float, float],
    path: Path,
) -> Path:
    """The touchdown points and 99% ellipse of each campaign (table, summary), one colour
    per parachute trigger, over the site map."""
    fig = Figure(figsize=(7, 7))
    ax = fig.subplots()
    _site_background(ax, terrain)
    for k, (table, summary) in enumerate(campaigns):
        colour = COMPARISON_COLOURS[k % len(COMPARISON_COLOURS)]
        name = trigger_name(summary["parachute_trigger"])
        ok = table["status"] == 0
        e, n = table["touchdown_east_m"][ok] / 1e3, table["touchdown_north_m"][ok] / 1e3
        ax.plot(e, n, ".", ms=2, color=colour, alpha=0.5, label=f"{name}: landed")
        el = summary.get("ellipse_99")
        if el:
            ax.add_patch(_ellipse(el, ls="-", lw=1.8, color=colour, label=f"{name}: 99% ellipse"))
    ax.plot(target_en[0] / 1e3, target_en[1] / 1e3, "b+", ms=12, label="target")
    runs = " and ".join(str(summary["runs"]) for _, summary in campaigns)
    names = " vs ".join(trigger_name(summary["parachute_trigger"]) for _, summary in campaigns)
    ax.set(
        xlabel="east [km]",
        ylabel="north [km]",
        title=f"99% landing ellipses, {names} ({runs} runs)",
    )
    ax.legend(fontsize=8, loc="lower right")
    return _save(fig, path)


def campaign_histograms(table: Columns, limits: Limits, path: Path) -> Path:
    """Distributions of deploy Mach, peak g, touchdown speed and propellant margin, with
    the nominal run (run 0) and the vehicle's ``limits`` (low, high; None: no limit) on
    each quantity as vertical lines."""
    items = (
        ("deploy_mach", "parachute deploy Mach"),
        ("peak_g_load", "peak deceleration [g]"),
        ("touchdown_vertical_speed_mps", "touchdown vertical speed [m/s]"),
        ("propellant_margin_kg", "propellant margin [kg]"),
    )
    nominal_row = np.flatnonzero(table["run"] == 0)
    fig = Figure(figsize=(9, 6.5))
    axes = fig.subplots(2, 2)
    for ax, (key, label) in zip(axes.flat, items, strict=True):
        values = table[key][np.isfinite(table[key])]
        ax.hist(values, bins=50, color="C0")
        if nominal_row.size and np.isfinite(nominal := float(table[key][nominal_row[0]])):
            ax.axvline(nominal, color="C1", lw=1.5, label="nominal")
        bounds = [b for b in limits.get(key, (None, None)) if b is not None]
        for k, bound in enumerate(bounds):
            ax.axvline(bound, color="C3", ls="--", lw=1.2, label="limit" if k == 0 else None)
        ax.set(xlabel=label, ylabel="runs")
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7)
    return _save(fig, path)
