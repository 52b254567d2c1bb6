"""`perseverance weather`: one sol's weather at Jezero, summed up (MEDA's cadence)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from perseverance.cli.output import console, fail, print_json
from perseverance.errors import PerseveranceError

_K = 273.15


def weather(
    sol: Annotated[int, typer.Option(help="The mission sol (0 = landing sol).")],
    seed: Annotated[int, typer.Option(help="Seed of the weather.")] = 0,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print machine-readable JSON.", metavar="")
    ] = False,
) -> None:
    """The weather of a sol at Jezero: pressure, temperatures, wind, dust and vortices,
    sampled at MEDA's cadence (a 1 Hz session at the start of every LMST hour)."""
    from perseverance.weather import Weather

    try:
        model = Weather(seed)
        summary = model.sol_summary(sol, cadence_s=None)
        events = model.vortices(sol)
    except PerseveranceError as exc:
        raise fail(str(exc)) from None
    if as_json:
        doc = summary.as_dict()
        doc["seed"] = seed
        doc["vortices"] = [
            {
                "lmst_h": round(float(events.lmst_h[i]), 4),
                "drop_pa": round(float(events.drop_pa[i]), 3),
                "diameter_m": round(float(events.diameter_m[i]), 1),
                "duration_s": round(float(events.duration_s[i]), 1),
                "dusty": bool(events.dusty[i]),
            }
            for i in range(len(events))
        ]
        print_json(doc)
        return
    s = summary
    table = Table(title=f"Jezero, sol {s.sol} (Ls {s.ls_deg:.1f}°, seed {seed})")
    table.add_column("quantity")
    for name in ("min", "mean", "max"):
        table.add_column(name, justify="right")
    table.add_row(
        "pressure (Pa)",
        f"{s.pressure_min_pa:.1f}",
        f"{s.pressure_mean_pa:.1f}",
        f"{s.pressure_max_pa:.1f}",
    )
    table.add_row(
        "air at 1.45 m (°C)",
        f"{s.air_temperature_min_k - _K:.1f}",
        "",
        f"{s.air_temperature_max_k - _K:.1f}",
    )
    table.add_row(
        "ground (°C)",
        f"{s.ground_temperature_min_k - _K:.1f}",
        "",
        f"{s.ground_temperature_max_k - _K:.1f}",
    )
    table.add_row("wind (m/s)", "", f"{s.mean_wind_mps:.1f}", f"{s.peak_wind_mps:.1f}")
    table.add_row("dust opacity tau", "", f"{s.dust_tau:.2f}", "")
    console.print(table)
    console.print(
        f"{s.vortex_count} convective vortices (Δp > 0.5 Pa), {s.dusty_vortex_count} dusty",
        highlight=False,
    )
