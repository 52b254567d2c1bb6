"""Data products of EDL runs: Parquet telemetry and per-run tables, CSV events,
JSON summaries and PNG plots, written into an output folder all at once."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from perseverance.edl.results import CampaignResult, EdlResult
from perseverance.edl.sequence import Phase
from perseverance.edl.status import EVENT_FIELDS
from perseverance.edl.vehicle import Vehicle
from perseverance.outputs import staged_directory
from perseverance.report import edl_plots


def _write_parquet(columns: dict[str, np.ndarray], path: Path) -> Path:
    pq.write_table(pa.table({k: np.asarray(v) for k, v in columns.items()}), path)
    return path


def write_flight(result: EdlResult, out: str | Path) -> list[Path]:
    """Write telemetry.parquet, events.csv, summary.json and four plots into ``out``."""
    telemetry = result.flight.telemetry
    if telemetry is None:
        raise ValueError("write_flight needs a flight recorded with telemetry (fly_edl records it)")
    tel = {k: v[:, result.run] for k, v in telemetry.items()}
    # at the edge: phase names instead of codes, times without accumulated float noise
    tel["phase"] = np.array([Phase(int(p)).name.lower() for p in tel["phase"]])
    tel["t_s"] = np.round(tel["t_s"], 6)
    events = result.events()
    td = result.touchdown()
    system = result.system
    with staged_directory(out) as stage:
        written = [_write_parquet(tel, stage / "telemetry.parquet")]
        with open(stage / "events.csv", "w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=["name", *EVENT_FIELDS])
            writer.writeheader()
            writer.writerows(events)
        written.append(stage / "events.csv")
        (stage / "summary.json").write_text(json.dumps(result.to_dict(), indent=2, allow_nan=False))
        written.append(stage / "summary.json")
        written.append(edl_plots.altitude_velocity(tel, events, stage / "altitude_velocity.png"))
        written.append(edl_plots.loads(tel, stage / "loads.png"))
        fl = result.flight
        k = result.run
        touch = None if td is None else (fl.touchdown["east_m"][k], fl.touchdown["north_m"][k])
        written.append(
            edl_plots.ground_track(
                tel,
                system.terrain,
                system.frame,
                touch,
                system.target_east_north_m,
                stage / "ground_track.png",
            )
        )
        if touch is not None:
            safe = (fl.touchdown["safe_east_m"][k], fl.touchdown["safe_north_m"][k])
            written.append(
                edl_plots.hazard_map(system.terrain, touch, safe, stage / "hazard_map.png")
            )
    return [Path(out) / p.name for p in written]


def campaign_limits(vehicle: Vehicle) -> edl_plots.Limits:
    """The vehicle's limits on the quantities of `edl_plots.campaign_histograms`: the
    parachute's deploy Mach box, the touchdown vertical speed, no negative propellant."""
    chute, stage = vehicle.parachute, vehicle.descent_stage
    return {
        "deploy_mach": (chute.mach_min, chute.mach_max),
        "touchdown_vertical_speed_mps": (None, stage.max_touchdown_vertical_speed_mps),
        "propellant_margin_kg": (0.0, None),
    }


def write_campaign(
    result: CampaignResult, out: str | Path, *, compare_with: CampaignResult | None = None
) -> list[Path]:
    """Write runs.parquet, summary.json and the ellipse and histogram plots into ``out``;
    with ``compare_with`` (the same runs under the other parachute trigger) also
    trigger_comparison.png (`write_trigger_comparison`)."""
    with staged_directory(out) as stage:
        written = [_write_parquet(result.table, stage / "runs.parquet")]
        (stage / "summary.json").write_text(json.dumps(result.to_dict(), indent=2, allow_nan=False))
        written.append(stage / "summary.json")
        written.append(
            edl_plots.ellipse_over_site(
                result.table,
                result.summary,
                result.system.terrain,
                result.system.target_east_north_m,
                stage / "ellipse.png",
            )
        )
        limits = campaign_limits(result.system.vehicle)
        written.append(
            edl_plots.campaign_histograms(result.table, limits, stage / "distributions.png")
        )
        if compare_with is not None:
            written.append(write_trigger_comparison(result, compare_with, stage))
    return [Path(out) / p.name for p in written]


def write_trigger_comparison(
    first: CampaignResult, second: CampaignResult, folder: str | Path
) -> Path:
    """Draw the 99% ellipses (and landed points) of two campaigns flown with different
    parachute triggers on one map, ``folder / "trigger_comparison.png"``; the folder
    exists (`write_campaign` calls this inside its staged output folder)."""
    return edl_plots.trigger_comparison(
        [(first.table, first.summary), (second.table, second.summary)],
        first.system.terrain,
        first.system.target_east_north_m,
        Path(folder) / "trigger_comparison.png",
    )
