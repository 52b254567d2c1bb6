"""The weather section of ``report.html``: what MEDA measured over the mission.

From the ``weather_sols`` rows: pressure, air temperature, peak wind and the vortices
against sol, and a table of the extremes. From the last sol's ``meda_table`` product (a
Parquet file in the run folder, columns ``lmst_h``, ``pressure_pa``,
``air_temperature_k``): that sol's diurnal curves. A table that is missing, outside the
run folder or unreadable is a note, never an error.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from perseverance.report import weather_plots as plots
from perseverance.report.html import figure, p, table
from perseverance.report.run_data import RunData
from perseverance.report.text import finite, plural
from perseverance.store import ProductRow, WeatherSolRow

__all__ = ["ANCHOR", "DIURNAL_COLUMNS", "TABLE_KIND", "TITLE", "render"]

#: The section's anchor and title in the page.
ANCHOR, TITLE = "weather", "Weather (MEDA)"
#: The product kind of MEDA's per-sol tables, and the columns the diurnal plot reads.
TABLE_KIND = "meda_table"
DIURNAL_COLUMNS = ("lmst_h", "pressure_pa", "air_temperature_k")
#: A table larger than this [bytes] is not read (a sol's is ~40 kB).
MAX_TABLE_BYTES = 64_000_000
_K = plots.KELVIN_TO_C


def render(data: RunData) -> str:
    """Per-sol figures, the diurnal curves of the last sol with a table, and the extremes."""
    rows = sorted(data.weather, key=lambda r: r.sol)
    failed = [r for r in data.products if r.kind == TABLE_KIND and r.status == "failed"]
    out = [_failures(failed)] if failed else []
    if not rows:
        return "".join(out) + p("MEDA recorded nothing in this run.", "none")
    png = plots.weather_per_sol(
        [r.sol for r in rows],
        _col(rows, "pressure_min_pa"),
        _col(rows, "pressure_mean_pa"),
        _col(rows, "pressure_max_pa"),
        _col(rows, "air_temperature_min_k"),
        _col(rows, "air_temperature_max_k"),
        _col(rows, "peak_wind_mps"),
        _col(rows, "vortex_count"),
        _col(rows, "dusty_vortex_count"),
    )
    caption = (
        "Over the samples of each sol MEDA ran: sol-mean pressure in its min-max band, "
        "air temperature at 1.45 m, peak wind, and the vortices (pressure drop > 0.5 Pa) "
        "that passed during a session."
    )
    out.append(figure(png, "MEDA weather per sol", caption))
    out.append(_diurnal(data))
    out.append(_extremes(rows))
    return "".join(out)


def _col(rows: list[WeatherSolRow], name: str) -> list[float]:
    """One column as floats, NaN where it is missing or not finite."""
    values = [getattr(r, name) for r in rows]
    return [float(v) if finite(v) else math.nan for v in values]


def _failures(failed: list[ProductRow]) -> str:
    first = failed[0]
    why = first.reason or "no reason recorded"
    return p(
        f"{plural(len(failed), 'MEDA table')} could not be made (first, sol {first.sol}: {why}).",
        "note",
    )


def _diurnal(data: RunData) -> str:
    """The diurnal figure of the last sol with an ``ok`` table, or a note."""
    tables = [r for r in data.products if r.kind == TABLE_KIND and r.status == "ok"]
    if not tables:
        return p("No MEDA table in the run folder to draw a sol's diurnal curves from.", "note")
    last = max(tables, key=lambda r: (r.sol if r.sol is not None else -1, r.id))
    columns, why = read_table(data.run_dir, last.path, DIURNAL_COLUMNS)
    if columns is None:
        return p(f"Sol {last.sol}'s MEDA table {last.path} was not read: {why}.", "note")
    png = plots.diurnal(*(columns[c] for c in DIURNAL_COLUMNS), sol=int(last.sol or 0))
    caption = f"Sol {last.sol}: every MEDA sample ({columns['lmst_h'].size:,}) against LMST."
    return figure(png, f"MEDA diurnal curves of sol {last.sol}", caption)


def read_table(
    run_dir: Path, rel: str | None, names: tuple[str, ...]
) -> tuple[dict[str, np.ndarray] | None, str]:
    """The ``names`` columns of a Parquet product (float64 arrays), or (None, why not)."""
    if not rel:
        return None, "no path recorded"
    root = run_dir.resolve()
    path = (root / rel).resolve()
    if not path.is_relative_to(root):
        return None, "outside the run folder"
    if not path.is_file():
        return None, "file missing from the run folder"
    if (size := path.stat().st_size) > MAX_TABLE_BYTES:
        return None, f"{size:,} bytes, too large to read"
    try:
        arrow = pq.read_table(path, columns=list(names))
        columns = {n: arrow.column(n).to_numpy().astype(np.float64) for n in names}
    except (OSError, ValueError, KeyError, pa.ArrowException) as exc:
        return None, f"not a readable MEDA table ({type(exc).__name__})"
    if arrow.num_rows == 0:
        return None, "the table has no rows"
    return columns, ""


def _extreme(
    rows: list[WeatherSolRow],
    name: str,
    pick: Callable[[list[float]], float],
    offset: float,
    decimals: int,
) -> tuple[str | None, int | None]:
    """(``pick`` of column ``name`` less ``offset``, as text, and its first sol)."""
    pairs = [(float(v), r.sol) for r in rows if finite(v := getattr(r, name))]
    if not pairs:
        return None, None
    best = pick([v for v, _ in pairs])
    sol = next(s for v, s in pairs if v == best)
    return f"{best - offset:,.{decimals}f}", sol


def _extremes(rows: list[WeatherSolRow]) -> str:
    """A sentence on the samples and vortices, and a table of each quantity's extremes."""

    lines = [
        ("sol-mean pressure [Pa]", "pressure_mean_pa", "pressure_mean_pa", 0.0, 1),
        ("pressure [Pa]", "pressure_min_pa", "pressure_max_pa", 0.0, 1),
        ("air temperature [°C]", "air_temperature_min_k", "air_temperature_max_k", _K, 1),
        ("ground temperature [°C]", "ground_temperature_min_k", "ground_temperature_max_k", _K, 1),
        ("peak wind [m/s]", "peak_wind_mps", "peak_wind_mps", 0.0, 1),
        ("dust opacity", "dust_tau", "dust_tau", 0.0, 2),
        ("vortices per sol", "vortex_count", "vortex_count", 0.0, 0),
    ]
    body = []
    for label, low_name, high_name, offset, decimals in lines:
        low, low_sol = _extreme(rows, low_name, min, offset, decimals)
        high, high_sol = _extreme(rows, high_name, max, offset, decimals)
        body.append((label, low, low_sol, high, high_sol))
    samples = sum(r.samples for r in rows if finite(r.samples))
    vortices = sum(r.vortex_count for r in rows if finite(r.vortex_count))
    dusty = sum(r.dusty_vortex_count for r in rows if finite(r.dusty_vortex_count))
    seen = f"{vortices:,} {'vortex' if vortices == 1 else 'vortices'}"
    text = (
        f"MEDA ran on {plural(len(rows), 'sol')} (sols {rows[0].sol}–{rows[-1].sol}) and took "
        f"{plural(samples, 'sample')}; {seen} with a pressure drop over 0.5 Pa passed during "
        f"its sessions ({vortices / len(rows):.1f} a sol), {dusty:,} of them dusty."
    )
    header = "quantity|lowest|on sol|highest|on sol"
    return p(text) + table(header, body, numeric=(1, 2, 3, 4))
