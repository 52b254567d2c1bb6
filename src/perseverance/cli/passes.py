"""`perseverance passes`: one sol's relay passes over Jezero (orbiter, rise, set, volume)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from perseverance.cli.output import console, fail, print_json
from perseverance.errors import PerseveranceError

#: The sols the 2021 elements are meant for (about four Mars years) [sol].
MAX_SOL = 3000


def _hm(hours: float) -> str:
    minutes = int(hours * 60.0) % (24 * 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def passes(
    sol: Annotated[int, typer.Option(help="The mission sol (0 = landing sol).")],
    orbiter: Annotated[
        list[str] | None,
        typer.Option(help="Only this orbiter (repeatable; default: the routine relays)."),
    ] = None,
    all_orbiters: Annotated[
        bool, typer.Option("--all", help="All five orbiters, backups included.")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print machine-readable JSON.", metavar="")
    ] = False,
) -> None:
    """The relay passes of a sol over Jezero: rise and set (UTC and LMST), maximum
    elevation and the UHF data volume each carries."""
    from perseverance.mission.clock import MissionClock
    from perseverance.relay.orbits import load_orbiters
    from perseverance.relay.passes import find_passes, jezero
    from perseverance.terrain.site import load_site

    try:
        if not 0 <= sol <= MAX_SOL:
            raise PerseveranceError(f"sol = {sol} is out of range (0..{MAX_SOL})")
        fleet = load_orbiters()
        keys = list(fleet.keys) if all_orbiters else orbiter or list(fleet.routine_keys)
        keys = [fleet.orbiter(k).key for k in keys]
        point = load_site("jezero").landing_site
        clock = MissionClock(point.landing_utc, point.longitude_deg)
        found = find_passes(
            clock.sol_start_utc(sol),
            clock.sol_start_utc(sol + 1),
            orbiters=keys,
            site=jezero(),
            constellation=fleet,
        )
    except PerseveranceError as exc:
        raise fail(str(exc)) from None
    rows = found.rows()
    if as_json:
        print_json(
            {
                "sol": sol,
                "mask_deg": found.mask_deg,
                "orbiters": keys,
                "total_volume_bits": float(found.volume_bits.sum()),
                "passes": rows,
            }
        )
        return
    table = Table(title=f"Jezero, sol {sol}: relay passes above {found.mask_deg:g}°")
    for name in ("orbiter", "rise UTC", "set UTC", "rise LMST", "set LMST", "max el (°)", "Mbit"):
        table.add_column(name, justify="left" if name == "orbiter" else "right")
    for row in rows:
        table.add_row(
            fleet.orbiter(row["orbiter"]).name,
            row["rise_utc"][:19].replace("T", " "),
            row["set_utc"][11:19],
            _hm(row["rise_lmst_h"]),
            _hm(row["set_lmst_h"]),
            f"{row['max_elevation_deg']:.1f}",
            f"{row['volume_bits'] / 1e6:.0f}",
        )
    console.print(table)
    console.print(
        f"{len(rows)} passes, {found.volume_bits.sum() / 1e6:.0f} Mbit in all", highlight=False
    )
