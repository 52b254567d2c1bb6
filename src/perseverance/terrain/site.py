"""Landing-site descriptions: the validated contents of ``data/sites/<name>.toml``.

A `Site` holds everything the procedural terrain needs (where the site is, how big the
map is, the delta scarp, the rugged unit, the crater and rock populations, the hazard
limits). Units are SI; degrees only where a name says ``_deg``. Each figure's source is
in the TOML file next to it.

Example
-------
>>> from perseverance.terrain.site import load_site
>>> site = load_site("jezero")
>>> site.landing_site.latitude_deg
18.4446
"""

from __future__ import annotations

import math
import os
import tomllib
import types
import typing
from datetime import datetime
from importlib import resources
from pathlib import Path

import annotated_types
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from perseverance.errors import ConfigError

__all__ = [
    "Craters",
    "Delta",
    "Hazard",
    "LandingSite",
    "Region",
    "Rocks",
    "RuggedUnit",
    "Site",
    "available_sites",
    "load_site",
]

_PACKAGE = "perseverance.data.sites"


class _Table(BaseModel):
    """A TOML table: unknown keys are errors, values are immutable once loaded."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class LandingSite(_Table):
    """Where the map is centred: the touchdown point and the floor around it."""

    latitude_deg: float = Field(ge=-90.0, le=90.0)
    """Planetocentric latitude [deg]."""
    longitude_deg: float = Field(ge=-180.0, le=360.0)
    """East-positive longitude [deg]."""
    floor_elevation_m: float = Field(ge=-9000.0, le=22000.0)
    """Elevation of the surrounding floor above the MOLA areoid [m]."""
    landing_utc: datetime
    """Touchdown (spacecraft event time, UTC): sol 0 of the mission begins the LMST
    midnight before it."""
    source: str = ""


class Region(_Table):
    """Extent and cell size of the local map, and its long-wavelength relief."""

    half_width_m: float = Field(default=8000.0, ge=100.0, le=50_000.0)
    """Half the side of the square map [m]; the map spans -half_width..+half_width."""
    resolution_m: float = Field(default=10.0, ge=1.0, le=100.0)
    """Cell size [m]."""
    relief_rms_m: float = Field(default=3.0, ge=0.0, le=100.0)
    """RMS of the long-wavelength relief [m]."""
    relief_wavelength_m: float = Field(default=1500.0, ge=50.0, le=50_000.0)
    """Shortest wavelength kept in the long-wavelength relief [m]."""
    source: str = ""

    @model_validator(mode="after")
    def _at_least_a_few_cells(self) -> Region:
        if self.half_width_m < 5.0 * self.resolution_m:
            raise ValueError(
                f"half_width_m = {_num(self.half_width_m)} must be at least 5 cells "
                f"of resolution_m = {_num(self.resolution_m)}"
            )
        return self


class Delta(_Table):
    """The delta deposit, raised behind a smooth scarp across the bearing line."""

    bearing_deg: float = Field(ge=0.0, le=360.0)
    """Direction from the landing site to the scarp, clockwise from north [deg]."""
    distance_m: float = Field(ge=0.0, le=100_000.0)
    """Distance from the landing site to the middle of the scarp slope [m]."""
    height_m: float = Field(ge=0.0, le=1000.0)
    """Height of the deposit above the floor [m]."""
    width_m: float = Field(ge=1.0, le=5000.0)
    """Horizontal width of the scarp slope [m]."""
    front_wander_m: float = Field(default=0.0, ge=0.0, le=2000.0)
    """RMS wander of the front along its length (a lobate outline) [m]."""
    source: str = ""


class RuggedUnit(_Table):
    """A ridged, rippled, rockier unit (Seitah-like), a disc with a soft edge."""

    bearing_deg: float = Field(ge=0.0, le=360.0)
    """Direction from the landing site to the centre of the unit [deg]."""
    distance_m: float = Field(ge=0.0, le=100_000.0)
    """Distance from the landing site to the centre of the unit [m]."""
    radius_m: float = Field(ge=10.0, le=50_000.0)
    """Radius of the unit [m]."""
    ridge_height_m: float = Field(ge=0.0, le=100.0)
    """Crest height of the bedrock ridges [m]."""
    ridge_spacing_m: float = Field(ge=10.0, le=5000.0)
    """Crest-to-crest spacing of the ridges [m]."""
    ridge_strike_deg: float = Field(ge=0.0, le=360.0)
    """Direction the ridge crests run, clockwise from north [deg]."""
    ripple_height_m: float = Field(ge=0.0, le=10.0)
    """Crest-to-trough height of the sand ripples [m]."""
    ripple_wavelength_m: float = Field(ge=2.0, le=1000.0)
    """Crest-to-crest wavelength of the ripples [m]."""
    ripple_crest_deg: float = Field(ge=0.0, le=360.0)
    """Direction the ripple crests run, clockwise from north [deg]."""
    rock_abundance_k: float = Field(ge=0.001, le=0.5)
    """Golombek & Rapp rock abundance inside the unit (fraction of area)."""
    source: str = ""


class Craters(_Table):
    """Small bowl-shaped craters from a truncated power-law size-frequency law."""

    density_per_km2: float = Field(ge=0.0, le=10_000.0)
    """Cumulative number of craters with D >= min_diameter_m per km^2."""
    min_diameter_m: float = Field(ge=1.0, le=10_000.0)
    """Smallest crater drawn [m]."""
    max_diameter_m: float = Field(ge=1.0, le=20_000.0)
    """Largest crater drawn [m]."""
    cumulative_slope: float = Field(ge=1.0, le=5.0)
    """b in N(>= D) proportional to D**-b (dimensionless)."""
    depth_to_diameter_fresh: float = Field(ge=0.0, le=0.5)
    """Depth/diameter of a fresh simple crater."""
    depth_to_diameter_degraded: float = Field(ge=0.0, le=0.5)
    """Depth/diameter of the most degraded crater drawn."""
    rim_to_depth: float = Field(default=0.2, ge=0.0, le=1.0)
    """Rim height above the surroundings as a fraction of the depth."""
    source: str = ""

    @model_validator(mode="after")
    def _ordered(self) -> Craters:
        if self.max_diameter_m < self.min_diameter_m:
            raise ValueError(
                f"max_diameter_m = {_num(self.max_diameter_m)} is below "
                f"min_diameter_m = {_num(self.min_diameter_m)}"
            )
        if self.depth_to_diameter_degraded > self.depth_to_diameter_fresh:
            raise ValueError(
                f"depth_to_diameter_degraded = {_num(self.depth_to_diameter_degraded)} "
                f"exceeds depth_to_diameter_fresh = {_num(self.depth_to_diameter_fresh)}"
            )
        return self


class Rocks(_Table):
    """Golombek & Rapp (1997) rock abundance of the floor."""

    rock_abundance_k: float = Field(ge=0.001, le=0.5)
    """k: the fraction of the surface covered by rocks of any size."""
    source: str = ""


class Hazard(_Table):
    """What the landing system tolerates, and the lander's size."""

    max_slope_deg: float = Field(gt=0.0, le=90.0)
    """Largest slope the lander tolerates [deg]."""
    max_rock_height_m: float = Field(gt=0.0, le=10.0)
    """Tallest rock the lander tolerates under its belly [m]."""
    lander_footprint_radius_m: float = Field(ge=0.0, le=100.0)
    """Radius of the lander's footprint, by which hazards are dilated [m]."""
    source: str = ""

    @property
    def max_slope_rad(self) -> float:
        """Largest slope the lander tolerates [rad]."""
        return math.radians(self.max_slope_deg)


class Site(_Table):
    """A landing site: everything `LandingRegion.generate` needs. Load with `load_site`."""

    name: str = Field(min_length=1)
    source: str = ""
    landing_site: LandingSite
    region: Region = Region()
    delta: Delta
    rugged_unit: RuggedUnit | None = None
    craters: Craters
    rocks: Rocks
    hazard: Hazard


def available_sites() -> list[str]:
    """Names of the sites shipped with the package (``load_site`` accepts these)."""
    root = resources.files(_PACKAGE)
    return sorted(p.name[: -len(".toml")] for p in root.iterdir() if p.name.endswith(".toml"))


def load_site(name_or_path: str | os.PathLike[str]) -> Site:
    """Load and validate a site, by packaged name (``"jezero"``) or TOML file path.

    Parameters
    ----------
    name_or_path
        A name from `available_sites` or the path of a ``.toml`` file.

    Raises
    ------
    ConfigError
        With a one-line message naming the file, the field, the value and the allowed
        range, when the file is missing, is not TOML or fails validation.
    """
    label, raw = _read(name_or_path)
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{label}: not a valid TOML file ({_one_line(str(exc))})") from exc
    try:
        return Site.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_describe(label, exc)) from exc


def _read(name_or_path: str | os.PathLike[str]) -> tuple[str, bytes]:
    """Return (label for messages, file bytes) for a packaged name or a path."""
    text = os.fspath(name_or_path)
    path = Path(text)
    looks_like_path = path.suffix == ".toml" or os.sep in text or "/" in text or path.exists()
    if looks_like_path:
        if not path.is_file():
            raise ConfigError(f"{text}: site file not found")
        return text, path.read_bytes()
    resource = resources.files(_PACKAGE).joinpath(f"{text}.toml")
    if not resource.is_file():
        names = ", ".join(available_sites()) or "none"
        raise ConfigError(
            f"unknown site {text!r}: packaged sites are {names}; or pass a path to a .toml file"
        )
    return f"{text}.toml", resource.read_bytes()


def _describe(label: str, exc: ValidationError) -> str:
    """One line for the first validation error, with a count of the others."""
    errors = exc.errors()
    err = errors[0]
    loc = err["loc"]
    field = ".".join(str(part) for part in loc) or "(top level)"
    kind = err["type"]
    value = err.get("input")
    if kind == "missing":
        text = f"{field} is missing (required)"
    elif kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        text = f"{field} = {_num(value)} is out of range ({_bounds(loc)})"
    elif kind == "extra_forbidden":
        allowed = ", ".join(_fields_of(loc[:-1]))
        text = f"{field} is not a known field (allowed: {allowed})"
    elif kind == "value_error":
        msg = str(err["msg"]).removeprefix("Value error, ")
        text = f"{field}: {msg}" if loc else msg
    else:
        text = f"{field} = {value!r} is invalid ({err['msg']})"
    if len(errors) > 1:
        text += f" (and {len(errors) - 1} more)"
    return _one_line(f"{label}: {text}")


def _model_at(loc: tuple[int | str, ...]) -> type[BaseModel] | None:
    """The pydantic model of the table at `loc` (a tuple of keys), or None."""
    model: type[BaseModel] = Site
    for part in loc:
        field = model.model_fields.get(str(part))
        if field is None:
            return None
        inner = _unwrap_model(field.annotation)
        if inner is None:
            return None
        model = inner
    return model


def _unwrap_model(annotation: object) -> type[BaseModel] | None:
    """The model inside ``Model`` or ``Model | None``; None for plain values."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        for arg in typing.get_args(annotation):
            inner = _unwrap_model(arg)
            if inner is not None:
                return inner
    return None


def _fields_of(loc: tuple[int | str, ...]) -> list[str]:
    model = _model_at(loc)
    return list(model.model_fields) if model is not None else []


def _bounds(loc: tuple[int | str, ...]) -> str:
    """The allowed range of the field at `loc`, as ``lo..hi``."""
    model = _model_at(loc[:-1])
    field = model.model_fields.get(str(loc[-1])) if model is not None else None
    lo: float = -math.inf
    hi: float = math.inf
    lo_open = hi_open = False
    for item in field.metadata if field is not None else []:
        if isinstance(item, annotated_types.Ge):
            lo = float(item.ge)
        elif isinstance(item, annotated_types.Gt):
            lo, lo_open = float(item.gt), True
        elif isinstance(item, annotated_types.Le):
            hi = float(item.le)
        elif isinstance(item, annotated_types.Lt):
            hi, hi_open = float(item.lt), True
    text = f"{_num(lo)}..{_num(hi)}"
    excluded = [_num(v) for v, is_open in ((lo, lo_open), (hi, hi_open)) if is_open]
    if excluded:
        text += ", excluding " + " and ".join(excluded)
    return text


def _num(value: object) -> str:
    """A number as a person writes it: 90 not 90.0, 0.55 not 0.55000001."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return repr(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return repr(value)


def _one_line(text: str) -> str:
    return " ".join(text.split())
