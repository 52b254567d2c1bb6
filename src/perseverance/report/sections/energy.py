"""The energy section of ``report.html``: state of charge and energy per sol."""

from __future__ import annotations

from perseverance.report import mission_plots as plots
from perseverance.report.html import figure, p
from perseverance.report.run_data import RunData
from perseverance.report.text import finite, plural


def render(data: RunData) -> str:
    """The energy plot and a sentence on the energy generated, used and the lowest charge."""
    power, cap = data.power, data.capacity_j()
    if not power or cap is None:
        return p("No energy records yet.", "none")
    out = []
    if not finite(data.config.get("battery_capacity_j")):
        out.append(
            p("The config gives no battery capacity: 100% is the highest charge seen.", "note")
        )
    floor = data.config.get("battery_floor_j")
    png = plots.energy_per_sol(
        [r.sol for r in power],
        [r.charge_min_j for r in power],
        [r.charge_max_j for r in power],
        [r.charge_end_j for r in power],
        [r.generated_j for r in power],
        [r.used_j for r in power],
        capacity_j=cap,
        floor_j=float(floor) if isinstance(floor, int | float) and finite(floor) else None,
    )
    caption = f"State of charge against a capacity of {cap / 3.6e6:.2f} kWh; energy in kWh."
    out.append(figure(png, "energy per sol", caption))
    gen = sum(r.generated_j for r in power) / 3.6e6
    used = sum(r.used_j for r in power) / 3.6e6
    text = f"Over {plural(len(power), 'sol')}: {gen:,.1f} kWh generated, {used:,.1f} kWh used"
    if (low := data.soc_min()) is not None:
        text += f"; lowest state of charge {low[0]:.0f}% on sol {low[1]}"
    return "".join(out) + p(text + ".")
