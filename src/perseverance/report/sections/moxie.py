"""The MOXIE section of ``report.html``: the runs flown, the oxygen made, one run's curves.

From the ``moxie_runs`` rows: a table of the runs (sol, LMST, warm-up and production,
grams, peak rate, purity, what limited the current, the air's density) with the total,
and a figure of each run's grams with the cumulative total. From the first run's
``moxie_series`` Parquet (read from the run folder): its O2 rate and stack temperature
against time. A missing or unreadable series is a note, never a failure.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from perseverance.mars.constants import LMST_HOUR_S
from perseverance.report.html import figure, p, table
from perseverance.report.mission_plots import png_bytes
from perseverance.report.run_data import RunData
from perseverance.report.text import plural
from perseverance.store import MoxieRunRow

#: Kelvin to degrees Celsius.
_ZERO_C_K = 273.15
#: Grams per hour in one kg/s.
_G_PER_H_PER_KG_S = 3.6e6


def _campaign_plot(runs: list[MoxieRunRow]) -> bytes:
    fig = Figure(figsize=(8.5, 3.2))
    ax = fig.add_subplot()
    sols = np.array([r.sol for r in runs], dtype=float)
    grams = np.array([r.grams for r in runs], dtype=float)
    ax.bar(sols, grams, width=8.0, color="#1f77b4", label="O2 per run")
    ax.set_xlabel("sol")
    ax.set_ylabel("O2 per run [g]")
    total = ax.twinx()
    total.step(sols, np.cumsum(grams), where="post", color="#d62728", label="cumulative")
    total.set_ylabel("cumulative O2 [g]")
    total.set_ylim(bottom=0.0)
    ax.set_title("MOXIE: oxygen made run by run")
    return png_bytes(fig)


def _series_plot(path: Path, title: str) -> bytes:
    import pyarrow.parquet as pq

    t = pq.read_table(path, columns=["time_s", "o2_rate_kg_s", "stack_temperature_k"])
    minutes = t.column("time_s").to_numpy() / 60.0
    fig = Figure(figsize=(8.5, 3.0))
    ax = fig.add_subplot()
    ax.plot(minutes, t.column("o2_rate_kg_s").to_numpy() * _G_PER_H_PER_KG_S, color="#1f77b4")
    ax.set_xlabel("minutes from the start of the warm-up")
    ax.set_ylabel("O2 rate [g/h]", color="#1f77b4")
    hot = ax.twinx()
    hot.plot(minutes, t.column("stack_temperature_k").to_numpy() - _ZERO_C_K, color="#ff7f0e")
    hot.set_ylabel("stack temperature [°C]", color="#ff7f0e")
    ax.set_title(title.replace("$", r"\$"))
    return png_bytes(fig)


def _lmst(start_s: float) -> str:
    h = start_s / LMST_HOUR_S
    return f"{int(h):02d}:{int(h * 60) % 60:02d}"


def render(data: RunData) -> str:
    """The MOXIE runs of the run, or a line saying it flew none."""
    runs = data.moxie
    if not runs:
        return p("No MOXIE runs in this run.", "none")
    grams = sum(r.grams for r in runs)
    out = [
        p(
            f"{plural(len(runs), 'run')} made {grams:.1f} g of oxygen; the best rate was "
            f"{max(r.peak_g_per_h for r in runs):.2f} g/h "
            f"(the real campaign: 16 runs, 122 g, 12 g/h at best)."
        ),
        figure(_campaign_plot(runs), "MOXIE oxygen per run"),
    ]
    rows = [
        (
            r.run,
            r.sol,
            _lmst(r.start_s),
            f"{r.warmup_s / 60:.0f}",
            f"{r.production_s / 60:.0f}",
            f"{r.grams:.2f}",
            f"{r.peak_g_per_h:.2f}",
            f"{100 * r.purity:.1f}",
            r.limited_by,
            f"{r.density_kg_m3:.4f}",
            f"{r.energy_j / 3.6e6:.2f}",
        )
        for r in runs
    ]
    out.append(
        table(
            "run|sol|LMST|warm-up [min]|production [min]|O2 [g]|peak [g/h]|purity [%]|"
            "limited by|air density [kg/m³]|energy [kWh]",
            rows,
            numeric={0, 1, 3, 4, 5, 6, 7, 9, 10},
        )
    )
    series = [x for x in data.products if x.kind == "moxie_series" and x.status == "ok"]
    if series:
        first = series[0]
        root = data.run_dir.resolve()
        path = (root / first.path).resolve()
        try:
            if not path.is_relative_to(root):
                raise ValueError("outside the run folder")
            png = _series_plot(path, f"{first.name or 'MOXIE run'}: rate and temperature")
            out.append(figure(png, "MOXIE run time series"))
        except Exception as exc:
            out.append(p(f"The series {first.path} could not be read ({exc}).", "note"))
    return "".join(out)
