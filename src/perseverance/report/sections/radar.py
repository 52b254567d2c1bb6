"""The RIMFAX section of ``report.html``: the radargrams along the traverse.

One figure joins every drive's radargram (the run's products of kind ``radargram``,
Parquet files in the run folder) against the rover's odometry: each drive starts at the
odometry where its sol's traverse starts (the ``traverse`` table). Shown is the
envelope in dB, gained by its mean at each two-way time (so a reflector reads against
the layers at its own depth, not against the surface echo), averaged into at most
`MAX_COLUMNS` x `MAX_ROWS` cells; two-way time on the left axis, depth on the right at
the permittivity the radargrams used. Under it, a table links each drive's PNG and
Parquet file. A file missing from the folder or unreadable is a note; a failed product
shows its reason.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from perseverance.report.html import cell, figure, p, scroll
from perseverance.report.run_data import RunData
from perseverance.rover.rimfax import C_M_PER_S, Radargram, load_radargram
from perseverance.store import ProductRow

#: The product kinds this section reads.
RADARGRAM_KIND, PLOT_KIND = "radargram", "radargram_plot"
#: The joined figure's cells: along the odometry, and in two-way time.
MAX_COLUMNS, MAX_ROWS = 1200, 300
#: Figure size [in] and resolution [dpi] (~1000 x 380 px).
FIGURE_IN, FIGURE_DPI = (11.0, 4.2), 90
#: The grey scale's range [dB about the mean envelope at each time].
SHOWN_DB = (-6.0, 14.0)


@dataclass(frozen=True)
class _Drive:
    sol: int
    start_m: float
    radargram: Radargram


def _sol_starts(data: RunData) -> dict[int, float]:
    """Odometry [m] at the start of each sol's traverse: the drives before it, summed."""
    starts: dict[int, float] = {}
    total = 0.0
    sols = data.path_sol
    for s in sorted({int(x) for x in sols}):
        sel = sols == s
        starts[s] = total
        total += float(np.hypot(np.diff(data.east[sel]), np.diff(data.north[sel])).sum())
    return starts


def _drives(data: RunData, rows: Sequence[ProductRow], notes: list[str]) -> list[_Drive]:
    starts = _sol_starts(data)
    out: list[_Drive] = []
    end = 0.0
    root = data.run_dir.resolve()
    for row in rows:
        if row.status != "ok":
            continue
        path = (root / row.path).resolve()
        if not path.is_relative_to(root) or not path.is_file():
            notes.append(f"sol {row.sol}: {row.path}: file missing from the run folder")
            continue
        try:
            radargram = load_radargram(path)
            if radargram.amplitude.shape[0] < 1 or radargram.time_s.size < 2:
                raise ValueError("no soundings")
        except Exception as exc:
            notes.append(f"sol {row.sol}: {row.path}: unreadable ({type(exc).__name__})")
            continue
        sol = int(row.sol) if row.sol is not None else -1
        start = starts.get(sol, end)
        out.append(_Drive(sol, start, radargram))
        d = radargram.distance_m
        step = float(d[1] - d[0]) if d.size > 1 else 0.0
        end = start + float(d[-1]) + step
    return out


def _joined(
    drives: Sequence[_Drive],
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Column edges [m of odometry], row edges [s], and the gained envelope [dB] (rows,
    columns; NaN where no drive sounded)."""
    first = drives[0].radargram
    time_s = first.time_s
    lo = min(d.start_m for d in drives)
    hi = max(d.start_m + float(d.radargram.distance_m[-1]) for d in drives)
    width = max(hi - lo, 1.0)
    n_col = min(MAX_COLUMNS, max(1, sum(d.radargram.distance_m.size for d in drives)))
    row_step = max(1, math.ceil(time_s.size / MAX_ROWS))
    n_row = math.ceil(time_s.size / row_step)
    total = np.zeros((n_row, n_col))
    count = np.zeros(n_col)
    for d in drives:
        r = d.radargram
        if r.time_s.size != time_s.size:  # another mode: its own axis, left out
            continue
        env = r.envelope()
        pad = n_row * row_step - env.shape[1]
        env = np.pad(env, ((0, 0), (0, pad)), mode="edge") if pad else env
        env = env.reshape(env.shape[0], n_row, row_step).mean(axis=2)
        col = np.clip(((d.start_m + r.distance_m - lo) / width * n_col).astype(int), 0, n_col - 1)
        np.add.at(total.T, col, env)
        np.add.at(count, col, 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / count[None, :]
        sounded = count > 0
        gain = np.nanmean(mean[:, sounded], axis=1) if sounded.any() else np.ones(n_row)
        db = 20.0 * np.log10(mean / np.maximum(gain, first.noise_rms)[:, None])
    edges_t = time_s[0] + np.arange(n_row + 1) * row_step * (time_s[1] - time_s[0])
    return lo + np.linspace(0.0, width, n_col + 1), edges_t, db


def _figure(drives: Sequence[_Drive]) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    cols, rows, db = _joined(drives)
    first = drives[0].radargram
    km = cols[-1] - cols[0] > 2000.0
    scale = 1e-3 if km else 1.0
    fig = Figure(figsize=FIGURE_IN)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    ax.set_facecolor("#e8ddd0")  # no sounding there
    ax.pcolormesh(
        cols * scale, rows * 1e9, np.ma.masked_invalid(db), cmap="gray_r",
        vmin=SHOWN_DB[0], vmax=SHOWN_DB[1], shading="flat", rasterized=True,
    )  # fmt: skip
    ax.set_ylim(rows[-1] * 1e9, rows[0] * 1e9)
    starts = [d.start_m * scale for d in drives]
    ax.plot(starts, np.full(len(starts), rows[0] * 1e9), "v", color="#c1440e", ms=4, clip_on=False)
    ax.set_xlabel("odometry [km]" if km else "odometry [m]")
    ax.set_ylabel("two-way time [ns]")
    right = ax.twinx()
    v = C_M_PER_S / math.sqrt(first.permittivity)
    t0 = first.surface_time_s
    right.set_ylim((rows[-1] - t0) * v / 2.0, (rows[0] - t0) * v / 2.0)
    right.set_ylabel(f"depth [m] (ε = {first.permittivity:g})")
    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png", dpi=FIGURE_DPI)
    return buf.getvalue()


def _table(data: RunData, rows: Sequence[ProductRow], drives: Sequence[_Drive]) -> str:
    plots = {r.sol: r for r in data.products if r.kind == PLOT_KIND}
    by_sol = {d.sol: d for d in drives}
    body = []
    for row in rows:
        plot = plots.get(row.sol)
        drive = by_sol.get(int(row.sol)) if row.sol is not None else None
        length = f"{drive.radargram.distance_m[-1]:,.1f}" if drive is not None else None
        start = f"{drive.start_m:,.0f}" if drive is not None else None
        links = []
        for label, prod in (("PNG", plot), ("Parquet", row)):
            if prod is None:
                continue
            if prod.status == "failed":
                links.append(f"{label} failed: {cell(prod.reason or 'no reason recorded')}")
            elif (href := data.href(prod.path)) is None:
                links.append(f"{label}: {cell(prod.path)}: file missing")
            else:
                links.append(f'<a href="{href}">{label}</a>')
        body.append(
            f'<tr><td class="n">{cell(row.sol)}</td><td>{cell(row.lmst)}</td>'
            f'<td class="n">{cell(start)}</td><td class="n">{cell(length)}</td>'
            f"<td>{' · '.join(links)}</td></tr>\n"
        )
    head = "".join(
        f"<th>{h}</th>" for h in ("sol", "LMST", "odometry at start [m]", "length [m]", "files")
    )
    table = f"<table><thead><tr>{head}</tr></thead><tbody>\n{''.join(body)}</tbody></table>"
    return (
        f"<details><summary>The {len(rows)} drives' radargrams</summary>{scroll(table)}</details>\n"
    )


def render(data: RunData) -> str:
    """The joined radargram along the traverse, a sentence, the drives' files."""
    rows = sorted(
        (r for r in data.products if r.kind == RADARGRAM_KIND),
        key=lambda r: (r.sol if r.sol is not None else -1, r.path),
    )
    if not rows:
        return p("No radargrams: the rover has not driven with RIMFAX yet.", "none")
    notes: list[str] = []
    drives = _drives(data, rows, notes)
    out = []
    if drives:
        first = drives[0].radargram
        length = sum(float(d.radargram.distance_m[-1]) for d in drives)
        step = [float(np.median(np.diff(d.radargram.distance_m))) for d in drives]
        traces = sum(d.radargram.amplitude.shape[0] for d in drives)
        caption = (
            f"RIMFAX {first.mode} mode ({first.band_hz[0] / 1e6:.0f}-"
            f"{first.band_hz[1] / 1e6:.0f} MHz) along the traverse: envelope in dB about "
            f"its mean at each two-way time; depth at ε = {first.permittivity:g}; "
            "red marks: the start of each drive."
        )
        out.append(figure(_figure(drives), "RIMFAX radargrams along the traverse", caption))
        spacing = f"{min(step):.2g} m" if len(drives) > 0 and min(step) > 0 else "–"
        out.append(
            p(
                f"{len(drives)} drives sounded over {length / 1000:,.2f} km: {traces:,} "
                f"soundings kept (one every {spacing})."
            )
        )
    else:
        out.append(p("No radargram of the run could be read.", "note"))
    failed = [r for r in rows if r.status == "failed"]
    if failed:
        out.append(p(f"{len(failed)} radargram(s) failed: see the table.", "note"))
    out.extend(p(n, "note") for n in notes)
    out.append(_table(data, rows, drives))
    return "".join(out)
