"""Vehicle data files: the entry system, its sequence, guidance and dispersions.

A vehicle file (``data/vehicles/*.toml``) holds everything that makes one EDL
system and its arrival: aeroshell and aerodynamic tables, masses, parachute,
descent stage, the event triggers, guidance settings, the entry state and
target, the arrival atmosphere and the Monte Carlo dispersions. Every figure
in the shipped files carries its source; estimates say so and are dispersed.

Units: SI, with degrees only in fields whose names end in ``_deg``.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Annotated, Literal

import numpy as np
from pydantic import Field, field_validator, model_validator

from perseverance.datafiles import DataDate, DataModel, load_model

PACKAGE = "perseverance.data.vehicles"

Fraction = Annotated[float, Field(ge=0, le=1)]
SmallFraction = Annotated[float, Field(ge=0, le=0.3)]


class MachTable(DataModel):
    """A coefficient against Mach number (piecewise linear, clamped at the ends)."""

    mach: list[Annotated[float, Field(ge=0, le=50)]] = Field(min_length=2)

    @model_validator(mode="after")
    def _increasing(self):
        if any(b <= a for a, b in zip(self.mach, self.mach[1:], strict=False)):
            raise ValueError("mach values must be strictly increasing")
        return self


class Aeroshell(MachTable):
    diameter_m: Annotated[float, Field(gt=0.5, le=20)]
    nose_radius_m: Annotated[float, Field(gt=0.05, le=10)]
    drag_coefficient: list[Annotated[float, Field(gt=0, le=3)]]
    lift_to_drag: list[Annotated[float, Field(ge=0, le=1)]]

    @model_validator(mode="after")
    def _lengths(self):
        if not len(self.mach) == len(self.drag_coefficient) == len(self.lift_to_drag):
            raise ValueError("mach, drag_coefficient and lift_to_drag need the same length")
        return self

    @property
    def area_m2(self) -> float:
        return math.pi * self.diameter_m**2 / 4


class Masses(DataModel):
    rover_kg: Annotated[float, Field(gt=0, le=5000)]
    descent_stage_dry_kg: Annotated[float, Field(gt=0, le=5000)]
    propellant_kg: Annotated[float, Field(ge=0, le=3000)]
    heatshield_kg: Annotated[float, Field(gt=0, le=3000)]
    backshell_kg: Annotated[float, Field(gt=0, le=3000)]
    entry_balance_masses_kg: Annotated[float, Field(ge=0, le=1000)]

    @property
    def entry_kg(self) -> float:
        return (
            self.rover_kg
            + self.descent_stage_dry_kg
            + self.propellant_kg
            + self.heatshield_kg
            + self.backshell_kg
            + self.entry_balance_masses_kg
        )


class Parachute(MachTable):
    diameter_m: Annotated[float, Field(gt=1, le=60)]
    drag_coefficient: list[Annotated[float, Field(gt=0, le=2)]]
    inflation_time_s: Annotated[float, Field(gt=0, le=10)]
    trigger: Literal["range", "velocity"]
    trigger_velocity_mps: Annotated[float, Field(gt=100, le=1000)]
    mach_max: Annotated[float, Field(gt=0.5, le=3)]
    mach_min: Annotated[float, Field(gt=0.3, le=3)]
    dynamic_pressure_max_pa: Annotated[float, Field(gt=0, le=2000)]
    min_deploy_altitude_m: Annotated[float, Field(gt=0, le=20000)]

    @model_validator(mode="after")
    def _check(self):
        if len(self.mach) != len(self.drag_coefficient):
            raise ValueError("mach and drag_coefficient need the same length")
        if self.mach_min >= self.mach_max:
            raise ValueError("mach_min must be below mach_max")
        return self

    @property
    def area_m2(self) -> float:
        return math.pi * self.diameter_m**2 / 4


class DescentStage(DataModel):
    engine_count: Annotated[int, Field(ge=1, le=16)]
    engine_max_thrust_n: Annotated[float, Field(gt=0, le=20000)]
    min_throttle: Fraction
    isp_s: Annotated[float, Field(gt=50, le=500)]
    drag_area_m2: Annotated[float, Field(ge=0, le=100)]
    backshell_separation_altitude_m: Annotated[float, Field(gt=100, le=10000)]
    free_fall_s: Annotated[float, Field(ge=0, le=5)]
    gate_altitude_m: Annotated[float, Field(gt=30, le=2000)]
    gate_speed_mps: Annotated[float, Field(gt=1, le=100)]
    deceleration_mps2: Annotated[float, Field(gt=0.1, le=10)]
    skycrane_altitude_m: Annotated[float, Field(gt=5, le=100)]
    skycrane_speed_mps: Annotated[float, Field(gt=0.1, le=3)]
    bridle_length_m: Annotated[float, Field(gt=1, le=50)]
    flyaway_burn_s: Annotated[float, Field(gt=0, le=30)]
    flyaway_elevation_deg: Annotated[float, Field(gt=0, le=90)]
    flyaway_throttle: Fraction
    bridle_deploy_s: Annotated[float, Field(gt=0, le=60)]
    max_touchdown_vertical_speed_mps: Annotated[float, Field(gt=0, le=20)]
    max_touchdown_horizontal_speed_mps: Annotated[float, Field(gt=0, le=20)]

    @property
    def max_thrust_n(self) -> float:
        return self.engine_count * self.engine_max_thrust_n


class Sequence(DataModel):
    sufr_velocity_mps: Annotated[float, Field(gt=100, le=3000)]
    sufr_duration_s: Annotated[float, Field(ge=0, le=60)]
    heatshield_separation_delay_s: Annotated[float, Field(gt=0, le=120)]
    radar_settle_s: Annotated[float, Field(ge=0, le=60)]
    radar_max_altitude_m: Annotated[float, Field(gt=100, le=20000)]
    lvs: bool
    lvs_fix_altitude_m: Annotated[float, Field(gt=100, le=20000)]
    divert_reach_m: Annotated[float, Field(ge=0, le=5000)]
    safe_target_clearance_m: Annotated[float, Field(ge=0, le=1000)]


class Guidance(DataModel):
    start_g: Annotated[float, Field(gt=0, le=2)]
    reference_bank_deg: Annotated[float, Field(ge=0, le=90)]
    overcontrol_gain: Annotated[float, Field(gt=0, le=20)]
    heading_alignment_velocity_mps: Annotated[float, Field(gt=100, le=4000)]
    heading_alignment_gain: Annotated[float, Field(ge=0, le=50)]
    heading_alignment_max_bank_deg: Annotated[float, Field(ge=0, le=90)]
    bank_rate_max_deg_s: Annotated[float, Field(gt=0, le=90)]
    bank_acceleration_max_deg_s2: Annotated[float, Field(gt=0, le=90)]
    min_bank_deg: Annotated[float, Field(ge=0, le=90)]
    max_bank_deg: Annotated[float, Field(ge=90, le=180)]
    deadband_high_m: Annotated[float, Field(ge=0, le=200_000)]
    deadband_low_m: Annotated[float, Field(ge=0, le=200_000)]
    deadband_high_velocity_mps: Annotated[float, Field(gt=0, le=10_000)]
    deadband_low_velocity_mps: Annotated[float, Field(gt=0, le=10_000)]
    initial_bank_sign: Literal[-1, 1]


class EntryState(DataModel):
    """Entry interface state. Latitude/longitude may be left out: then they are
    derived by targeting so that the nominal trajectory reaches the target."""

    epoch_utc: DataDate
    frame: Literal["inertial", "relative"]
    altitude_m: Annotated[float, Field(gt=50_000, le=200_000)]
    speed_mps: Annotated[float, Field(gt=1000, le=10_000)]
    flight_path_angle_deg: Annotated[float, Field(ge=-30, le=-5)]
    heading_deg: Annotated[float, Field(ge=0, lt=360)]
    latitude_deg: Annotated[float, Field(ge=-90, le=90)] | None = None
    longitude_deg: Annotated[float, Field(ge=-360, le=360)] | None = None

    @field_validator("epoch_utc")
    @classmethod
    def _as_utc(cls, value: datetime) -> datetime:
        """Naive times are UTC; times with an offset are converted to UTC."""
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    @model_validator(mode="after")
    def _both_or_none(self):
        if (self.latitude_deg is None) != (self.longitude_deg is None):
            raise ValueError("give both latitude_deg and longitude_deg, or neither")
        return self


class Target(DataModel):
    latitude_deg: Annotated[float, Field(ge=-90, le=90)]
    longitude_deg: Annotated[float, Field(ge=-360, le=360)]
    site: str | None = None
    elevation_m: Annotated[float, Field(ge=-9000, le=22000)]


class AtmosphereSpec(DataModel):
    surface_pressure_pa: Annotated[float, Field(gt=50, le=1500)]
    surface_temperature_k: Annotated[float, Field(gt=120, le=320)]
    lower_lapse_k_per_m: Annotated[float, Field(ge=0, le=0.01)]
    lapse_break_height_m: Annotated[float, Field(ge=0, le=50_000)]
    upper_lapse_k_per_m: Annotated[float, Field(ge=0, le=0.01)]
    floor_temperature_k: Annotated[float, Field(gt=50, le=300)]


class Dispersions(DataModel):
    """One-sigma values (normal distributions unless a name says otherwise); fractions are
    capped at 0.3 so that no draw within 3 sigma flips a sign."""

    entry_flight_path_angle_deg: Annotated[float, Field(ge=0, le=2)]
    entry_speed_mps: Annotated[float, Field(ge=0, le=100)]
    entry_heading_deg: Annotated[float, Field(ge=0, le=5)]
    entry_position_m: Annotated[float, Field(ge=0, le=50_000)]
    navigation_position_m: Annotated[float, Field(ge=0, le=50_000)]
    atmosphere_ln_density_low: Annotated[float, Field(ge=0, le=1)]
    atmosphere_ln_density_high: Annotated[float, Field(ge=0, le=1)]
    atmosphere_wave_amplitude_max: SmallFraction
    wind_low_mps: Annotated[float, Field(ge=0, le=100)]
    wind_high_mps: Annotated[float, Field(ge=0, le=200)]
    drag_coefficient_fraction: SmallFraction
    lift_to_drag_fraction: SmallFraction
    mass_fraction: SmallFraction
    parachute_drag_fraction: SmallFraction
    lvs_position_m: Annotated[float, Field(ge=0, le=1000)]
    engine_thrust_fraction: SmallFraction
    engine_isp_fraction: SmallFraction


class Vehicle(DataModel):
    """One EDL system and its arrival, as loaded from a vehicle data file."""

    name: str
    aeroshell: Aeroshell
    masses: Masses
    parachute: Parachute
    descent_stage: DescentStage
    sequence: Sequence
    guidance: Guidance
    entry: EntryState
    target: Target
    atmosphere: AtmosphereSpec
    dispersions: Dispersions

    @model_validator(mode="after")
    def _consistent(self):
        seq, ds, g = self.sequence, self.descent_stage, self.guidance
        if seq.lvs and seq.lvs_fix_altitude_m <= ds.backshell_separation_altitude_m:
            raise ValueError(
                f"sequence.lvs_fix_altitude_m = {seq.lvs_fix_altitude_m:g} must be above "
                f"descent_stage.backshell_separation_altitude_m = "
                f"{ds.backshell_separation_altitude_m:g}"
            )
        if g.deadband_high_velocity_mps <= g.deadband_low_velocity_mps:
            raise ValueError(
                "guidance.deadband_high_velocity_mps must be above deadband_low_velocity_mps"
            )
        return self

    @property
    def hypersonic_lift_to_drag(self) -> float:
        """The aeroshell's L/D at the top of its Mach table (the trim L/D)."""
        return float(self.aeroshell.lift_to_drag[-1])

    def aero_arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Mach, drag coefficient and L/D of the aeroshell as arrays."""
        a = self.aeroshell
        return np.array(a.mach), np.array(a.drag_coefficient), np.array(a.lift_to_drag)


def load_vehicle(name_or_path: str) -> Vehicle:
    """Load a shipped vehicle by name (``m2020``, ``msl``) or a vehicle TOML by path.

    Raises `perseverance.errors.ConfigError` with a one-line message on any problem.
    """
    return load_model(Vehicle, name_or_path, PACKAGE, "vehicle")
