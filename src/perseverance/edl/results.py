"""What a user gets back from an EDL run or campaign, and how it prints.

`EdlResult` wraps one flown trajectory (events, touchdown, telemetry);
`CampaignResult` wraps a Monte Carlo campaign (per-run table and summary).
Both turn themselves into the JSON documents the CLI prints.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import numpy as np

from perseverance.edl.montecarlo import summarize
from perseverance.edl.sequence import FlightResult
from perseverance.edl.status import EVENT_FIELDS, EVENT_NAMES, Status
from perseverance.edl.system import EdlSystem
from perseverance.mars.time import mars_clock

TOUCHDOWN_KEYS = (
    "latitude_deg",
    "longitude_deg",
    "vertical_speed_mps",
    "horizontal_speed_mps",
    "tilt_deg",
    "distance_to_target_m",
    "distance_to_safe_target_m",
)


@dataclass
class EdlResult:
    """One trajectory from entry interface to touchdown (run 0 of a batch)."""

    system: EdlSystem
    flight: FlightResult
    run: int = 0

    @property
    def status(self) -> Status:
        return Status(int(self.flight.status[self.run]))

    def events(self) -> list[dict]:
        """Events that happened, in flight order, each with `EVENT_FIELDS`."""
        rows = []
        for name in EVENT_NAMES:
            ev = self.flight.events[name]
            if math.isnan(ev["t_s"][self.run]):
                continue
            row: dict[str, str | float] = {"name": name}
            row.update({f: round(float(ev[f][self.run]), 3) for f in EVENT_FIELDS})
            rows.append(row)
        return rows

    def touchdown(self) -> dict | None:
        """Touchdown state with its UTC and local mean solar time, or None."""
        td = self.flight.touchdown
        t = td["t_s"][self.run]
        if math.isnan(t):
            return None
        values = {
            k: round(float(td[k][self.run]), 6 if k.endswith("_deg") else 3) for k in TOUCHDOWN_KEYS
        }
        utc = self.system.vehicle.entry.epoch_utc + timedelta(seconds=float(t))
        clock = mars_clock(utc, longitude_east_deg=values["longitude_deg"], landing_utc=utc)
        out: dict[str, str | float | None] = {**values}
        out["utc"] = utc.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        out["lmst"] = clock["lmst"]
        out["propellant_margin_kg"] = round(float(td["propellant_kg"][self.run]), 2)
        out["flyaway_distance_m"] = round(float(td["flyaway_distance_m"][self.run]), 1)
        if not self.system.vehicle.sequence.lvs:  # no Lander Vision System: no safe target
            out["distance_to_safe_target_m"] = None
        return out

    def failure_message(self) -> str | None:
        """One sentence on why the run did not land, with what to check."""
        s = self.status
        if s is Status.LANDED:
            return None
        if s is Status.CHUTE_NOT_DEPLOYED:
            tel = self.flight.telemetry
            where = ""
            if tel is not None:
                last = np.flatnonzero(np.isfinite(tel["mach"][:, self.run]))[-1]
                mach, alt = tel["mach"][last, self.run], tel["altitude_m"][last, self.run]
                where = f"Mach {mach:.1f} at {alt:.0f} m above ground; "
            p = self.system.vehicle.parachute
            return (
                f"parachute never reached deploy conditions ({where}needs Mach <= {p.mach_max} "
                f"above {p.min_deploy_altitude_m:.0f} m): the entry is too steep or the vehicle "
                "has too little lift; check entry.flight_path_angle_deg and aeroshell.lift_to_drag"
            )
        if s is Status.TIMEOUT:
            return (
                "the vehicle never came down (it skipped out or is still flying): the entry is "
                "too shallow; check entry.flight_path_angle_deg"
            )
        if s is Status.FUEL_EXHAUSTED:
            return "the descent stage ran out of propellant; check masses.propellant_kg"
        if s is Status.HAZARDOUS_TOUCHDOWN:
            return "the rover touched down on a hazard (a rock or slope over the site's limits)"
        if s is Status.HARD_TOUCHDOWN:
            return "the rover touched down faster than its limits allow"
        return f"the run ended with status {s.label}"

    def __repr__(self) -> str:
        td = self.flight.touchdown
        t = td["t_s"][self.run]
        where = (
            f"touchdown T+{t:.1f} s at {td['vertical_speed_mps'][self.run]:.2f} m/s"
            if t == t
            else "no touchdown"
        )
        return f"<EdlResult {self.system.vehicle.name}: {self.status.label}, {where}>"

    def to_dict(self) -> dict:
        """The JSON document of `perseverance edl --json` (non-finite numbers become null)."""
        return _finite(
            {
                "vehicle": self.system.vehicle.name,
                "status": self.status.label,
                "events": self.events(),
                "touchdown": self.touchdown(),
                "backend": self.flight.backend,
            }
        )


@dataclass
class CampaignResult:
    """A Monte Carlo campaign: the per-run table and its summary."""

    system: EdlSystem
    table: dict[str, np.ndarray]
    seed: int
    trigger: str
    backend: str = "numpy"  # the RK4 step that flew it (`perseverance.edl.backend`)
    summary: dict = field(init=False)

    def __post_init__(self) -> None:
        self.summary = summarize(self.table)
        self.summary["seed"] = self.seed
        self.summary["vehicle"] = self.system.vehicle.name
        self.summary["parachute_trigger"] = self.trigger
        self.summary["backend"] = self.backend

    def __repr__(self) -> str:
        s = self.summary
        el = s.get("ellipse_99")
        size = ""
        if el:
            major, minor = 2 * el["semi_major_m"] / 1e3, 2 * el["semi_minor_m"] / 1e3
            size = f", 99% ellipse {major:.1f} x {minor:.1f} km"
        return (
            f"<CampaignResult {s['vehicle']}: {s['runs']} runs, "
            f"{100 * s['success_rate']:.2f}% landed{size}>"
        )

    def to_dict(self) -> dict:
        return _finite(self.summary)


def _finite(value: Any) -> Any:
    """Replace NaN and infinities by None, recursively (JSON has no NaN)."""
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
