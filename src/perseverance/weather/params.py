"""The weather model's parameters: the validated contents of ``data/instruments/meda.toml``.

Every field's units are in its name (``_pa``, ``_k``, ``_s``, ``_deg``, ``_h`` for LMST or
LTST hours, ``_mps``); each figure's source and confidence tag is in the TOML file beside
it. `load_meda()` reads the packaged file or any file by path; a bad value is a one-line
`ConfigError` naming the field, the value and the allowed range.

>>> from perseverance.weather.params import load_meda
>>> load_meda().vortices.rate_per_sol
4.9
"""

from __future__ import annotations

import os
from functools import cache
from typing import Annotated, Self

from pydantic import Field, model_validator

from perseverance.datafiles import DataModel, FileTuple, format_number, load_model

__all__ = [
    "Cadence",
    "Dust",
    "Humidity",
    "Meda",
    "Pressure",
    "Temperature",
    "Vortices",
    "Wind",
    "load_meda",
]

_PACKAGE = "perseverance.data.instruments"

LsDeg = Annotated[float, Field(ge=0.0, le=360.0)]
HourH = Annotated[float, Field(ge=0.0, le=24.0)]
KelvinK = Annotated[float, Field(ge=100.0, le=350.0)]
TimeS = Annotated[float, Field(gt=0.0, le=1.0e6)]
Fraction = Annotated[float, Field(ge=0.0, le=1.0)]
AzimuthDeg = Annotated[float, Field(ge=0.0, le=360.0)]


class Cadence(DataModel):
    """When MEDA samples: a session every LMST hour, at a fixed rate."""

    session_every_lmst_h: float = Field(gt=0.0, le=24.0)
    hourly_from_sol: int = Field(ge=0, le=10_000)
    session_duration_s: float = Field(gt=0.0, le=3700.0)
    sample_rate_hz: float = Field(gt=0.0, le=100.0)


class Pressure(DataModel):
    """Seasonal cycle (anchor points), thermal tide and baroclinic waves."""

    anchor_ls_deg: Annotated[tuple[LsDeg, ...], FileTuple]
    anchor_pa: Annotated[tuple[Annotated[float, Field(ge=50.0, le=2000.0)], ...], FileTuple]
    harmonics: int = Field(ge=1, le=6)
    tide_amplitude: Annotated[tuple[Annotated[float, Field(ge=0.0, le=0.2)], ...], FileTuple]
    tide_max_ltst_h: Annotated[tuple[HourH, ...], FileTuple]
    tide_dust_gain_per_tau: float = Field(ge=0.0, le=10.0)
    tide_reference_tau: float = Field(ge=0.0, le=10.0)
    wave_modes: int = Field(ge=1, le=32)
    wave_period_min_sol: float = Field(gt=0.0, le=100.0)
    wave_period_max_sol: float = Field(gt=0.0, le=100.0)
    wave_amplitude_min_pa: float = Field(ge=0.0, le=200.0)
    wave_amplitude_max_pa: float = Field(ge=0.0, le=200.0)
    wave_peak_ls_deg: LsDeg

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if len(self.anchor_pa) != len(self.anchor_ls_deg):
            raise ValueError(
                f"anchor_pa has {len(self.anchor_pa)} values but anchor_ls_deg "
                f"{len(self.anchor_ls_deg)}: give one pressure per Ls"
            )
        needed = 2 * self.harmonics + 1
        if len(set(self.anchor_ls_deg)) < needed:
            raise ValueError(
                f"harmonics = {self.harmonics} needs at least {needed} distinct anchor_ls_deg "
                f"(got {len(set(self.anchor_ls_deg))})"
            )
        if not 1 <= len(self.tide_amplitude) <= 12:
            raise ValueError(f"tide_amplitude has {len(self.tide_amplitude)} values (1..12)")
        if len(self.tide_max_ltst_h) != len(self.tide_amplitude):
            raise ValueError(
                f"tide_max_ltst_h has {len(self.tide_max_ltst_h)} values but tide_amplitude "
                f"{len(self.tide_amplitude)}: one time of maximum per harmonic"
            )
        if self.wave_period_max_sol < self.wave_period_min_sol:
            raise ValueError(
                f"wave_period_max_sol = {format_number(self.wave_period_max_sol)} is below "
                f"wave_period_min_sol = {format_number(self.wave_period_min_sol)}"
            )
        if self.wave_amplitude_max_pa < self.wave_amplitude_min_pa:
            raise ValueError(
                f"wave_amplitude_max_pa = {format_number(self.wave_amplitude_max_pa)} is below "
                f"wave_amplitude_min_pa = {format_number(self.wave_amplitude_min_pa)}"
            )
        return self


class Temperature(DataModel):
    """Air (1.45 m) and ground temperature: extremes, lags, turbulence."""

    air_predawn_k: KelvinK
    air_afternoon_k: KelvinK
    ground_predawn_k: KelvinK
    ground_afternoon_k: KelvinK
    air_fast_time_s: TimeS
    air_slow_time_s: TimeS
    air_fast_weight: Fraction
    ground_fast_time_s: TimeS
    ground_slow_time_s: TimeS
    ground_fast_weight: Fraction
    reference_ls_deg: LsDeg
    insolation_exponent: float = Field(ge=0.0, le=2.0)
    range_loss_per_tau: float = Field(ge=0.0, le=1.0)
    sol_to_sol_k: float = Field(ge=0.0, le=20.0)
    turbulence_noon_k: float = Field(ge=0.0, le=20.0)
    turbulence_step_s: float = Field(ge=1.0, le=600.0)

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        for name in ("air", "ground"):
            low, high = getattr(self, f"{name}_predawn_k"), getattr(self, f"{name}_afternoon_k")
            if high <= low:
                raise ValueError(
                    f"{name}_afternoon_k = {format_number(high)} must exceed "
                    f"{name}_predawn_k = {format_number(low)}"
                )
        return self


class Wind(DataModel):
    """Weibull speeds with a diurnal scale; upslope by day, downslope at night."""

    weibull_shape: float = Field(ge=0.5, le=10.0)
    night_scale_mps: float = Field(gt=0.0, le=50.0)
    day_scale_mps: float = Field(gt=0.0, le=50.0)
    day_from_deg: AzimuthDeg
    night_from_deg: AzimuthDeg
    direction_spread_day_deg: float = Field(ge=0.0, le=180.0)
    direction_spread_night_deg: float = Field(ge=0.0, le=180.0)
    gust_step_s: float = Field(ge=0.5, le=600.0)
    sol_to_sol_fraction: float = Field(ge=0.0, le=1.0)


class Vortices(DataModel):
    """Convective vortices: a noon-peaked Poisson process with power-law pressure drops."""

    rate_per_sol: float = Field(ge=0.0, le=1000.0)
    peak_lmst_h: HourH
    spread_lmst_h: float = Field(gt=0.0, le=12.0)
    min_drop_pa: float = Field(gt=0.0, le=100.0)
    max_drop_pa: float = Field(gt=0.0, le=100.0)
    drop_exponent: float = Field(gt=0.0, le=10.0)
    diameter_min_m: float = Field(gt=0.0, le=10_000.0)
    diameter_max_m: float = Field(gt=0.0, le=10_000.0)
    diameter_mean_m: float = Field(gt=0.0, le=10_000.0)
    diameter_log_sigma: float = Field(gt=0.0, le=3.0)
    dusty_fraction: Fraction
    dusty_fraction_strong: Fraction
    dusty_threshold_pa: float = Field(gt=0.0, le=100.0)
    min_advection_mps: float = Field(gt=0.0, le=50.0)

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        pairs = (
            ("max_drop_pa", "min_drop_pa"),
            ("diameter_max_m", "diameter_min_m"),
            ("diameter_mean_m", "diameter_min_m"),
        )
        for high, low in pairs:
            if getattr(self, high) <= getattr(self, low):
                raise ValueError(
                    f"{high} = {format_number(getattr(self, high))} must exceed "
                    f"{low} = {format_number(getattr(self, low))}"
                )
        if self.diameter_mean_m >= self.diameter_max_m:
            raise ValueError(
                f"diameter_mean_m = {format_number(self.diameter_mean_m)} must be below "
                f"diameter_max_m = {format_number(self.diameter_max_m)}"
            )
        return self


class Humidity(DataModel):
    """Near-surface water vapour (volume mixing ratio) and the relative-humidity cap."""

    vmr_mean_ppm: float = Field(ge=0.0, le=10_000.0)
    vmr_amplitude_ppm: float = Field(ge=0.0, le=10_000.0)
    vmr_peak_ls_deg: LsDeg
    max_relative_humidity: Fraction

    @model_validator(mode="after")
    def _positive(self) -> Self:
        if self.vmr_amplitude_ppm > self.vmr_mean_ppm:
            raise ValueError(
                f"vmr_amplitude_ppm = {format_number(self.vmr_amplitude_ppm)} exceeds "
                f"vmr_mean_ppm = {format_number(self.vmr_mean_ppm)} (the ratio would go negative)"
            )
        return self


class Dust(DataModel):
    """Column dust opacity: a seasonal cycle and one regional storm."""

    tau_mean: float = Field(ge=0.0, le=10.0)
    tau_amplitude: float = Field(ge=0.0, le=10.0)
    tau_peak_ls_deg: LsDeg
    storm_ls_deg: LsDeg
    storm_width_ls_deg: float = Field(gt=0.0, le=180.0)
    storm_peak_tau: float = Field(ge=0.0, le=10.0)
    sol_to_sol_fraction: float = Field(ge=0.0, le=1.0)

    @model_validator(mode="after")
    def _positive(self) -> Self:
        if self.tau_amplitude >= self.tau_mean and self.tau_mean > 0.0:
            raise ValueError(
                f"tau_amplitude = {format_number(self.tau_amplitude)} must be below "
                f"tau_mean = {format_number(self.tau_mean)} (the opacity would reach zero)"
            )
        return self


class Meda(DataModel):
    """The whole file. Load with `load_meda`."""

    name: str = Field(min_length=1, max_length=200)
    cadence: Cadence
    pressure: Pressure
    temperature: Temperature
    wind: Wind
    vortices: Vortices
    humidity: Humidity
    dust: Dust


@cache
def _packaged() -> Meda:
    return load_model(Meda, "meda", _PACKAGE, "instrument")


def load_meda(name_or_path: str | os.PathLike[str] = "meda") -> Meda:
    """Load and validate the MEDA file, by packaged name (``"meda"``) or TOML path.

    Raises `ConfigError` (one line: file, field, value, allowed range) on any problem.
    """
    text = os.fspath(name_or_path)
    if text == "meda":
        return _packaged()
    return load_model(Meda, text, _PACKAGE, "instrument")
