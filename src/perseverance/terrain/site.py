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

from pydantic import Field, model_validator

from perseverance.datafiles import DataDate, DataModel, format_number, load_model, packaged_names

__all__ = [
    "Craters",
    "Delta",
    "FarRegion",
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


class LandingSite(DataModel):
    """Where the map is centred: the touchdown point and the floor around it."""

    latitude_deg: float = Field(ge=-90.0, le=90.0)
    """Planetocentric latitude [deg]."""
    longitude_deg: float = Field(ge=-180.0, le=360.0)
    """East-positive longitude [deg]."""
    floor_elevation_m: float = Field(ge=-9000.0, le=22000.0)
    """Elevation of the surrounding floor above the MOLA areoid [m]."""
    landing_utc: DataDate
    """Touchdown (spacecraft event time, UTC): sol 0 of the mission begins the LMST
    midnight before it."""
    source: str = ""


class Region(DataModel):
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
                f"half_width_m = {format_number(self.half_width_m)} must be at least 5 cells "
                f"of resolution_m = {format_number(self.resolution_m)}"
            )
        return self


class Delta(DataModel):
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


class RuggedUnit(DataModel):
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


class Craters(DataModel):
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
                f"max_diameter_m = {format_number(self.max_diameter_m)} is below "
                f"min_diameter_m = {format_number(self.min_diameter_m)}"
            )
        if self.depth_to_diameter_degraded > self.depth_to_diameter_fresh:
            raise ValueError(
                f"depth_to_diameter_degraded = {format_number(self.depth_to_diameter_degraded)} "
                f"exceeds depth_to_diameter_fresh = {format_number(self.depth_to_diameter_fresh)}"
            )
        return self


class Rocks(DataModel):
    """Golombek & Rapp (1997) rock abundance of the floor."""

    rock_abundance_k: float = Field(ge=0.001, le=0.5)
    """k: the fraction of the surface covered by rocks of any size."""
    source: str = ""


class Hazard(DataModel):
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


class FarRegion(DataModel):
    """The crater the site lies in, as a coarse far field round the local map.

    The crater is a circular bowl in the site's tangent plane: a flat floor, an inner
    wall rising over `wall_width_m` to the rim crest at half `crater_diameter_m` from the
    centre, an outer flank falling to the plains; a breach (the inlet valley) cuts the
    rim at `inlet_bearing_deg`, and the fan deposit spreads from there to the delta
    scarp of `Site.delta`. Heights are above the crater floor [m].
    """

    crater_latitude_deg: float = Field(ge=-90.0, le=90.0)
    """Planetocentric latitude of the crater's centre [deg]."""
    crater_longitude_deg: float = Field(ge=-180.0, le=360.0)
    """East-positive longitude of the crater's centre [deg]."""
    crater_diameter_m: float = Field(ge=1000.0, le=500_000.0)
    """Rim-crest diameter [m]."""
    rim_height_m: float = Field(ge=0.0, le=5000.0)
    """Height of the rim crest above the crater floor [m]."""
    wall_width_m: float = Field(ge=100.0, le=50_000.0)
    """Horizontal width of the inner wall, from its foot to the rim crest [m]."""
    plains_height_m: float = Field(ge=-5000.0, le=5000.0)
    """Height of the plains outside the crater above the crater floor [m]."""
    inlet_bearing_deg: float = Field(ge=0.0, le=360.0)
    """Direction from the crater's centre to the inlet breach in the rim [deg]."""
    inlet_width_m: float = Field(ge=100.0, le=20_000.0)
    """Width of the inlet valley's floor where it cuts the rim [m]."""
    inlet_length_m: float = Field(ge=100.0, le=100_000.0)
    """Distance outside the rim over which the valley floor climbs to the plains [m]."""
    fan_radius_m: float = Field(ge=100.0, le=100_000.0)
    """Reach of the fan deposit from the inlet [m] (its front is `Site.delta`'s scarp)."""
    fan_edge_m: float = Field(ge=10.0, le=20_000.0)
    """Width of the fan's soft lateral edge [m]."""
    roughness_rms_m: float = Field(ge=0.0, le=200.0)
    """RMS of the far field's gentle relief [m]."""
    roughness_wavelength_m: float = Field(ge=100.0, le=100_000.0)
    """Shortest wavelength kept in that relief [m]."""
    resolution_m: float = Field(ge=20.0, le=2000.0)
    """Cell size of the far-field grid [m]."""
    margin_m: float = Field(ge=0.0, le=200_000.0)
    """How far the grid reaches beyond the rim crest [m]."""
    seam_blend_m: float = Field(ge=0.0, le=50_000.0)
    """Distance outside the local map over which the far field's relief fades in [m]."""
    source: str = ""

    @model_validator(mode="after")
    def _wall_inside_crater(self) -> FarRegion:
        if self.wall_width_m >= 0.5 * self.crater_diameter_m:
            raise ValueError(
                f"wall_width_m = {format_number(self.wall_width_m)} must be below the crater "
                f"radius, {format_number(0.5 * self.crater_diameter_m)}"
            )
        return self


class Site(DataModel):
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
    far_field: FarRegion | None = None
    """The crater round the local map (`terrain.far_field`); None: no far field."""


def available_sites() -> list[str]:
    """Names of the sites shipped with the package (``load_site`` accepts these)."""
    return packaged_names(_PACKAGE)


def load_site(name_or_path: str | os.PathLike[str]) -> Site:
    """Load and validate a site, by packaged name (``"jezero"``) or TOML file path.

    Raises `ConfigError` with a one-line message naming the file, the field, the value
    and the allowed range, when the file is missing, is not TOML or fails validation.
    """
    return load_model(Site, os.fspath(name_or_path), _PACKAGE, "site")
