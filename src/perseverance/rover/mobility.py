"""Rover mobility: the drive-mode and slip model, and driving a planned path for one sol.

`load_mobility()` reads ``data/rover/mobility.toml`` (wheel obstacle height, tilt limit,
sand proxy, slip law, per-sol drive time, drive modes). `drive(path, mode, ...)` advances
along a `perseverance.rover.route.Route` until it arrives or a budget (time, energy, the
mode's distance limit) runs out, and says how far the rover got and what the wheels
counted. Units are SI (m, s, J, W, rad); degrees only in ``*_deg`` names, metres per
hour only in ``*_m_per_h`` names of the data file.

What the model leaves out: the direction of a slope (uphill and downhill slip alike, no
cross-slope drift off the path), the extra power of climbing, turn-in-place and
steering time, slip faults that stop a drive, hazard-avoidance detours that AutoNav
would make inside a cell, position error (the rover ends exactly where the path says;
slip costs time and energy, not accuracy), wheel wear, and the ground team's choice of
mode along a route (one mode per drive).

Example
-------
>>> import numpy as np
>>> from perseverance.rover.planner import plan_path
>>> from perseverance.terrain.landing_region import LandingRegion
>>> from perseverance.terrain.site import load_site
>>> region = LandingRegion.generate(load_site("jezero"), seed=0)   # doctest: +SKIP
>>> path = plan_path(region, (0.0, 0.0), (-1500.0, 800.0))           # doctest: +SKIP
>>> sol = drive(path, "autonav", rng=np.random.default_rng(1))       # doctest: +SKIP
>>> sol.remaining                                                    # doctest: +SKIP
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from functools import cache
from typing import Annotated, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from pydantic import Field, model_validator

from perseverance.datafiles import DataModel, format_number, load_model
from perseverance.errors import ScenarioError
from perseverance.rover.route import Route

__all__ = [
    "DriveMode",
    "DriveResult",
    "DriveSegment",
    "Mobility",
    "ModeName",
    "drive",
    "load_mobility",
    "slip_fraction",
]

PACKAGE = "perseverance.data.rover"

ModeName = Literal["blind", "visual_odometry", "autonav"]
StopReason = Literal["arrived", "time", "energy", "mode_limit"]

Fraction = Annotated[float, Field(ge=0.0, le=1.0)]


class Limits(DataModel):
    """What the rover can drive over."""

    wheel_obstacle_height_m: float = Field(gt=0.0, le=2.0)
    """Tallest rock the wheels climb [m]; taller rocks are obstacles."""
    tilt_limit_deg: float = Field(gt=0.0, le=45.0)
    """Steepest slope the drivers accept [deg]; steeper cells are obstacles."""
    source: str = ""

    @property
    def tilt_limit_rad(self) -> float:
        """Steepest slope the drivers accept [rad]."""
        return math.radians(self.tilt_limit_deg)


class Sand(DataModel):
    """The sand proxy and its planning cost."""

    roughness_threshold_m: float = Field(gt=0.0, le=10.0)
    """RMS elevation about the 3 x 3-cell mean above which a cell counts as sand [m]."""
    cost_factor: float = Field(ge=1.0, le=100.0)
    """Planning cost of a sandy cell relative to firm ground (dimensionless)."""
    source: str = ""


class Slip(DataModel):
    """Slip fraction s = 1 - made good / odometry, as a function of slope and sand."""

    flat_fraction: Fraction
    """Slip on firm flat ground."""
    at_tilt_limit_fraction: Fraction
    """Slip on firm ground at the tilt limit."""
    exponent: float = Field(gt=0.0, le=10.0)
    """Power of slope / tilt limit in the growth of slip."""
    sand_extra_fraction: Fraction
    """Slip added on sand."""
    noise_sigma: float = Field(ge=0.0, le=2.0)
    """Sigma of the log-normal factor drawn per segment (0: deterministic)."""
    max_fraction: float = Field(ge=0.0, lt=1.0)
    """Cap on the slip fraction (below 1: the rover always makes some progress)."""
    source: str = ""

    @model_validator(mode="after")
    def _ordered(self) -> Slip:
        if self.at_tilt_limit_fraction < self.flat_fraction:
            raise ValueError(
                f"at_tilt_limit_fraction = {format_number(self.at_tilt_limit_fraction)} is "
                f"below flat_fraction = {format_number(self.flat_fraction)}: slip must grow "
                "with slope"
            )
        return self


class Budget(DataModel):
    """Flight-rule limits of one sol's drive."""

    max_drive_time_per_sol_s: float = Field(gt=0.0, le=88_775.244)
    """Longest drive in one sol [s] (at most one sol)."""
    source: str = ""


class DriveMode(DataModel):
    """One way of driving: its rate, power and per-sol distance limit."""

    speed_m_per_h: float = Field(gt=0.0, le=500.0)
    """Wheel (odometry) rate [m/h] while driving."""
    power_w: float = Field(gt=0.0, le=2000.0)
    """Electrical power while driving [W]."""
    max_distance_per_sol_m: float | None = Field(default=None, gt=0.0, le=10_000.0)
    """Farthest the mode may take the rover in one sol [m]; None: no limit."""
    source: str = ""

    @property
    def speed_mps(self) -> float:
        """Wheel rate [m/s]."""
        return self.speed_m_per_h / 3600.0


class Modes(DataModel):
    blind: DriveMode
    visual_odometry: DriveMode
    autonav: DriveMode


class Mobility(DataModel):
    """A rover's mobility, as loaded from a mobility data file with `load_mobility`."""

    name: str = Field(min_length=1)
    source: str = ""
    limits: Limits
    sand: Sand
    slip: Slip
    budget: Budget
    modes: Modes

    def mode(self, name: str) -> DriveMode:
        """The drive mode called `name` (``blind``, ``visual_odometry``, ``autonav``)."""
        if name not in Modes.model_fields:
            raise ScenarioError(
                f"unknown drive mode {name!r}: choose one of {', '.join(Modes.model_fields)}"
            )
        return getattr(self.modes, name)


def load_mobility(name_or_path: str | os.PathLike[str] = "mobility") -> Mobility:
    """Load a mobility data file by packaged name (``"mobility"``) or path.

    Raises `perseverance.errors.ConfigError` with a one-line message naming the file,
    the field, the value and the allowed range on any problem.
    """
    if name_or_path == "mobility":
        return _packaged()
    return load_model(Mobility, os.fspath(name_or_path), PACKAGE, "mobility")


@cache
def _packaged() -> Mobility:
    return load_model(Mobility, "mobility", PACKAGE, "mobility")


def slip_fraction(
    slope_rad: ArrayLike, sand: ArrayLike = 0.0, mobility: Mobility | None = None
) -> NDArray[np.float64]:
    """Nominal slip fraction (no noise) on a slope [rad], `sand` in [0, 1] (1: sand).

    s = flat + (at_limit - flat) (slope / tilt_limit)^exponent + sand_extra * sand,
    capped at ``max_fraction``; slopes beyond the tilt limit are not extrapolated
    (they are obstacles). Odometry = made good / (1 - s).
    """
    m = mobility or load_mobility()
    p = m.slip
    ratio = np.clip(np.abs(np.asarray(slope_rad, float)) / m.limits.tilt_limit_rad, 0.0, 1.0)
    s = p.flat_fraction + (p.at_tilt_limit_fraction - p.flat_fraction) * ratio**p.exponent
    s = s + p.sand_extra_fraction * np.clip(np.asarray(sand, float), 0.0, 1.0)
    return np.minimum(s, p.max_fraction)[()]


@dataclass(frozen=True, slots=True)
class DriveSegment:
    """One driven segment of a path (positions [m] east/north of the landing site)."""

    start_en: tuple[float, float]
    end_en: tuple[float, float]
    distance_m: float
    """Distance made good [m]."""
    odometry_m: float
    """Distance the wheels rolled [m]: distance_m / (1 - slip_fraction)."""
    slope_rad: float
    sand: float
    """Sandy share of the segment, 0..1."""
    slip_fraction: float
    time_s: float
    energy_j: float


@dataclass(frozen=True, slots=True)
class DriveResult:
    """What one sol's drive achieved. Positions [m] east/north of the landing site."""

    mode: str
    start_en: tuple[float, float]
    end_en: tuple[float, float]
    distance_m: float
    """Distance made good along the path [m]."""
    odometry_m: float
    """Wheel odometry [m] (>= distance_m: slip)."""
    time_s: float
    energy_j: float
    stop_reason: StopReason
    segments: tuple[DriveSegment, ...]
    remaining: Route | None
    """The rest of the path from `end_en` (None on arrival)."""

    @property
    def arrived(self) -> bool:
        """True when the drive reached the end of its path."""
        return self.stop_reason == "arrived"

    def __repr__(self) -> str:
        return (
            f"DriveResult({self.mode}, {self.distance_m:.1f} m made good, "
            f"{self.odometry_m:.1f} m odometry, {self.time_s / 3600.0:.2f} h, "
            f"{self.energy_j / 3.6e6:.3f} kWh, stop: {self.stop_reason})"
        )


def drive(
    path: Route,
    mode: str,
    budget_s: float | None = None,
    budget_j: float | None = None,
    rng: np.random.Generator | None = None,
    *,
    mobility: Mobility | None = None,
) -> DriveResult:
    """Drive along `path` for one sol in `mode`, until arrival or a budget runs out.

    Parameters
    ----------
    path : Route
        From `perseverance.rover.planner.plan_path`; its segments carry slope and sand.
    mode : {"blind", "visual_odometry", "autonav"}
        Sets the wheel rate [m/s], the power [W] and any per-sol distance limit [m].
    budget_s : float, optional
        Drive time allowed [s]; capped by the data file's ``max_drive_time_per_sol_s``
        (a flight rule), which is also the default.
    budget_j : float, optional
        Energy allowed for driving [J]; default unlimited.
    rng : numpy.random.Generator, optional
        Draws the per-segment log-normal slip factor; None gives the nominal slip.

    Each segment slips by s = `slip_fraction` x lognormal(0, sigma), capped; the wheels
    roll distance / (1 - s) at the mode's rate, drawing its power. The drive stops inside
    the segment where the first budget is met, so no budget is ever exceeded.
    """
    m = mobility or load_mobility()
    spec = m.mode(mode)
    limit_s = m.budget.max_drive_time_per_sol_s
    if budget_s is not None:
        if not budget_s >= 0.0:
            raise ScenarioError(f"drive time budget must be >= 0 s, got {budget_s}")
        limit_s = min(limit_s, float(budget_s))
    limit_j = math.inf
    if budget_j is not None:
        if not budget_j >= 0.0:
            raise ScenarioError(f"drive energy budget must be >= 0 J, got {budget_j}")
        limit_j = float(budget_j)
    limit_m = spec.max_distance_per_sol_m or math.inf

    length = path.segment_length_m
    slip = slip_fraction(path.slope_rad, path.sand, m) * np.ones(length.shape)
    if rng is not None and m.slip.noise_sigma > 0.0 and length.size:
        slip = slip * np.exp(m.slip.noise_sigma * rng.standard_normal(length.size))
    slip = np.minimum(slip, m.slip.max_fraction)
    odometry = length / (1.0 - slip)
    time = odometry / spec.speed_mps
    energy = spec.power_w * time

    # Where each budget ends, as a segment coordinate x = k + f (f of segment k driven);
    # the drive stops at the first one. Each cumulative quantity is linear in a segment.
    n_segments = length.size
    stop_at = float(n_segments)
    reason: StopReason = "arrived"
    limits: tuple[tuple[np.ndarray, float, StopReason], ...] = (
        (time, limit_s, "time"),
        (energy, limit_j, "energy"),
        (length, limit_m, "mode_limit"),
    )
    for per_segment, limit, name in limits:
        x = _stop_coordinate(per_segment, limit)
        if x < stop_at:
            stop_at, reason = x, name
    n_full = min(math.floor(stop_at), n_segments)
    fraction = stop_at - n_full if n_full < n_segments else 0.0

    segments = []
    east, north = path.east_m, path.north_m
    for i in range(n_full + (1 if fraction > 0.0 else 0)):
        f = 1.0 if i < n_full else fraction
        end = (
            float(east[i] + f * (east[i + 1] - east[i])),
            float(north[i] + f * (north[i + 1] - north[i])),
        )
        segments.append(
            DriveSegment(
                start_en=(float(east[i]), float(north[i])),
                end_en=end,
                distance_m=float(f * length[i]),
                odometry_m=float(f * odometry[i]),
                slope_rad=float(path.slope_rad[i]),
                sand=float(path.sand[i]),
                slip_fraction=float(slip[i]),
                time_s=float(f * time[i]),
                energy_j=float(f * energy[i]),
            )
        )
    start = (float(east[0]), float(north[0]))
    end = segments[-1].end_en if segments else start
    remaining = None if reason == "arrived" else path.after(n_full, fraction)
    return DriveResult(
        mode=mode,
        start_en=start,
        end_en=end,
        distance_m=math.fsum(s.distance_m for s in segments),
        odometry_m=math.fsum(s.odometry_m for s in segments),
        time_s=math.fsum(s.time_s for s in segments),
        energy_j=math.fsum(s.energy_j for s in segments),
        stop_reason=reason,
        segments=tuple(segments),
        remaining=remaining,
    )


def _stop_coordinate(per_segment: NDArray[np.float64], limit: float) -> float:
    """k + f where the running sum of `per_segment` reaches `limit` (len if it never does)."""
    cumulative = np.cumsum(per_segment)
    if cumulative.size == 0 or cumulative[-1] <= limit:
        return float(per_segment.size)
    k = int(np.searchsorted(cumulative, limit, side="right"))
    before = float(cumulative[k - 1]) if k > 0 else 0.0
    return k + min(max((limit - before) / float(per_segment[k]), 0.0), 1.0 - 1e-12)
