"""The odometry section of ``report.html``: cumulative distance against sol."""

from __future__ import annotations

from perseverance.report import mission_plots as plots
from perseverance.report.html import figure, p
from perseverance.report.run_data import RunData
from perseverance.report.text import finite


def render(data: RunData) -> str:
    """Wheel odometry and distance made good, the sampling sols marked."""
    if not data.sols:
        return p("No sols yet.", "none")
    png = plots.odometry(
        [s.sol for s in data.sols],
        [s.odometry_m if finite(s.odometry_m) else 0.0 for s in data.sols],
        [s.drive_m if finite(s.drive_m) else 0.0 for s in data.sols],
        sample_sols=[s.sol for s in data.samples],
    )
    return figure(png, "odometry against sol", "Cumulative; triangles: samples taken.")
