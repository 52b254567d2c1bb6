"""EDL campaign plots: the trigger in the title, the target labelled as such, the nominal
run and the limits on the histograms, two triggers' ellipses on one map."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from matplotlib.figure import Figure

from perseverance.report import edl_plots

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def drawn(monkeypatch):
    """The figures the plot functions save, in order (they are still written)."""
    figures: list[Figure] = []
    save = edl_plots._save

    def keep(fig: Figure, path: Path) -> Path:
        figures.append(fig)
        return save(fig, path)

    monkeypatch.setattr(edl_plots, "_save", keep)
    return figures


def campaign(trigger: str, shift_m: float = 0.0) -> tuple[dict, dict]:
    rng = np.random.default_rng(1)
    n = 60
    table = {
        "run": np.arange(n),
        "status": np.where(np.arange(n) == 7, 5, 0),
        "touchdown_east_m": rng.normal(shift_m, 2000.0, n),
        "touchdown_north_m": rng.normal(0.0, 800.0, n),
        "deploy_mach": rng.normal(1.7, 0.05, n),
        "peak_g_load": rng.normal(10.0, 0.5, n),
        "touchdown_vertical_speed_mps": rng.normal(0.75, 0.02, n),
        "propellant_margin_kg": np.r_[rng.normal(120.0, 10.0, n - 1), np.nan],
    }
    ellipse = {
        "centre_east_m": shift_m,
        "centre_north_m": 0.0,
        "semi_major_m": 6000.0,
        "semi_minor_m": 2500.0,
        "azimuth_deg": 80.0,
    }
    summary = {"runs": n, "parachute_trigger": trigger, "ellipse_99": ellipse}
    return table, summary


def legend(ax) -> list[str]:
    return [t.get_text() for t in ax.get_legend().get_texts()]


@pytest.mark.parametrize(
    ("trigger", "name"), [("range", "Range Trigger"), ("velocity", "velocity trigger")]
)
def test_the_ellipse_plot_names_the_trigger_and_the_target(tmp_path, drawn, trigger, name):
    table, summary = campaign(trigger)
    path = edl_plots.ellipse_over_site(table, summary, object(), (0.0, 0.0), tmp_path / "e.png")
    assert path.read_bytes().startswith(PNG_SIGNATURE)
    ax = drawn[0].axes[0]
    assert ax.get_title() == f"Landing dispersion, 60 runs, {name}"
    assert "target" in legend(ax)
    assert not any("centre" in text for text in legend(ax))


def test_histograms_show_the_nominal_run_and_the_limits(tmp_path, drawn):
    table, _ = campaign("range")
    limits = {
        "deploy_mach": (1.1, 2.2),
        "touchdown_vertical_speed_mps": (None, 1.5),
        "propellant_margin_kg": (0.0, None),
    }
    edl_plots.campaign_histograms(table, limits, tmp_path / "d.png")
    axes = {ax.get_xlabel(): ax for ax in drawn[0].axes}

    def lines(label: str) -> tuple[list[float], list[float]]:
        """x of the nominal line and of the (dashed) limit lines of one histogram."""
        drawn = axes[label].get_lines()
        nominal = [float(ln.get_xdata()[0]) for ln in drawn if ln.get_label() == "nominal"]
        limit = [float(ln.get_xdata()[0]) for ln in drawn if ln.get_linestyle() == "--"]
        return nominal, limit

    assert lines("parachute deploy Mach") == ([pytest.approx(table["deploy_mach"][0])], [1.1, 2.2])
    assert legend(axes["parachute deploy Mach"]) == ["nominal", "limit"]  # one entry for both
    assert lines("touchdown vertical speed [m/s]")[1] == [1.5]
    assert lines("propellant margin [kg]")[1] == [0.0]
    assert legend(axes["peak deceleration [g]"]) == ["nominal"]  # the vehicle sets no g limit


def test_trigger_comparison_draws_both_ellipses(tmp_path, drawn):
    campaigns = [campaign("range"), campaign("velocity", shift_m=3000.0)]
    path = edl_plots.trigger_comparison(campaigns, object(), (0.0, 0.0), tmp_path / "t.png")
    assert path.read_bytes().startswith(PNG_SIGNATURE)
    ax = drawn[0].axes[0]
    assert "Range Trigger vs velocity trigger" in ax.get_title()
    labels = legend(ax)
    assert "Range Trigger: 99% ellipse" in labels and "velocity trigger: 99% ellipse" in labels
    assert "target" in labels
    centres = sorted(p.center[0] for p in ax.patches)
    assert centres == [0.0, 3.0]  # km
