"""The EDL section of ``report.html``: the event timeline, touchdown, profile and plots."""

from __future__ import annotations

from perseverance.report import mission_plots as plots
from perseverance.report.html import figure, h3, p, table
from perseverance.report.run_data import RunData
from perseverance.report.text import finite, num, quantity

#: Payload keys of an EDL event shown in the timeline -> decimals.
_TIMELINE_KEYS = {
    "altitude_m": 0,
    "velocity_mps": 1,
    "mach": 2,
    "dynamic_pressure_pa": 0,
    "g_load": 2,
}


def render(data: RunData) -> str:
    """The timeline table, the touchdown quantities, the altitude/speed profile and the
    EDL plot products (a missing or foreign one is a note)."""
    events = data.edl_events
    out = []
    if events:
        rows = [
            [e.name.replace("_", " "), num(e.t_s)]
            + [num((e.payload or {}).get(k), d) for k, d in _TIMELINE_KEYS.items()]
            for e in events
        ]
        header = "event|T+ [s]|altitude [m]|speed [m/s]|Mach|dynamic pressure [Pa]|g-load [g]"
        out += [h3("Timeline"), table(header, rows, range(1, 7))]
    else:
        out.append(p("No EDL events recorded.", "none"))
    if data.landing:
        touchdown = [quantity(str(k), v) for k, v in data.landing.items()]
        out += [h3("Touchdown"), table("quantity|value", touchdown)]
    payloads = [(e, e.payload or {}) for e in events]
    profile = [
        (e.t_s, e.name, pay)
        for e, pay in payloads
        if e.t_s is not None and finite(pay.get("altitude_m"), pay.get("velocity_mps"))
    ]
    if len(profile) >= 2:
        png = plots.edl_profile(
            [t for t, _, _ in profile],
            [pay["altitude_m"] for _, _, pay in profile],
            [pay["velocity_mps"] for _, _, pay in profile],
            [name for _, name, _ in profile],
        )
        out.append(figure(png, "EDL events", "Altitude and speed at each EDL event."))
    files = [
        prod.path
        for prod in data.products
        if prod.kind == "edl_plot"
        or (prod.path.startswith("edl/") and prod.path.lower().endswith(".png"))
    ]
    out += [h3("EDL plots")] if files else []
    for rel in files:
        png_or_none, why = data.product_png(rel)
        out.append(
            p(f"{rel}: {why}; left out.", "note")
            if png_or_none is None
            else figure(png_or_none, rel, rel)
        )
    return "".join(out)
