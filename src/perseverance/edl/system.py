"""An EDL system ready to fly: a vehicle with its planet, site and guidance built.

`EdlSystem.build` loads nothing itself: it takes a validated `Vehicle`, makes
the atmosphere, the aerodynamic tables and the terrain of the landing site,
then (in `perseverance.edl.reference`) targets the entry point and computes the
guidance reference.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from perseverance.edl.dynamics import Aerodynamics
from perseverance.edl.guidance import EntryReference
from perseverance.edl.vehicle import Vehicle
from perseverance.errors import ConfigError
from perseverance.mars.atmosphere import Atmosphere, TemperatureProfile
from perseverance.mars.constants import DEG
from perseverance.mars.frames import LocalFrame, position_from_spherical
from perseverance.terrain.flat import FlatTerrain
from perseverance.terrain.protocol import LandingTerrain


@dataclass
class EdlSystem:
    """Everything fixed across the runs of a campaign (no per-run dispersions)."""

    vehicle: Vehicle
    atmosphere: Atmosphere
    aero: Aerodynamics
    terrain: LandingTerrain
    frame: LocalFrame
    target_unit: np.ndarray  # (3,) body-fixed unit vector of the target
    target_east_north_m: tuple[float, float]
    entry_state: np.ndarray | None = None  # (7,) targeted entry state, planet-relative
    reference: EntryReference | None = None
    terrain_seed: int = 0

    def __repr__(self) -> str:
        state = "targeted" if self.entry_state is not None else "not targeted"
        ref = ", referenced" if self.reference is not None else ""
        return (
            f"<EdlSystem {self.vehicle.name}: terrain {type(self.terrain).__name__} "
            f"(seed {self.terrain_seed}), {state}{ref}>"
        )

    @classmethod
    def assemble(cls, vehicle: Vehicle, terrain_seed: int = 0) -> EdlSystem:
        """Atmosphere, aerodynamics and terrain for a vehicle (no guidance reference yet)."""
        a = vehicle.atmosphere
        atmosphere = Atmosphere.hydrostatic(
            surface_pressure_pa=a.surface_pressure_pa,
            surface_height_above_areoid_m=vehicle.target.elevation_m,
            temperature=TemperatureProfile(
                a.surface_temperature_k,
                a.lower_lapse_k_per_m,
                a.lapse_break_height_m,
                a.upper_lapse_k_per_m,
                a.floor_temperature_k,
            ),
        )
        mach, cd, ld = vehicle.aero_arrays()
        p = vehicle.parachute
        aero = Aerodynamics.from_tables(
            mach=mach,
            cd=cd,
            ld=ld,
            chute_mach=np.array(p.mach),
            chute_cd=np.array(p.drag_coefficient),
            inflation_s=p.inflation_time_s,
        )
        t = vehicle.target
        lat, lon = t.latitude_deg * DEG, t.longitude_deg * DEG
        terrain, frame = _site_terrain(vehicle, terrain_seed)
        unit = np.array(position_from_spherical(lat, lon, 1.0))
        east, north = frame.east_north(*unit)
        return cls(
            vehicle,
            atmosphere,
            aero,
            terrain,
            frame,
            unit,
            (float(east), float(north)),
            terrain_seed=terrain_seed,
        )


def _site_terrain(vehicle: Vehicle, seed: int) -> tuple[LandingTerrain, LocalFrame]:
    """The landing-site terrain and its local frame; flat at the target without a site model."""
    t = vehicle.target
    if t.site is None:
        frame = LocalFrame(t.latitude_deg * DEG, t.longitude_deg * DEG)
        return FlatTerrain(t.elevation_m), frame
    from perseverance.terrain.landing_region import LandingRegion
    from perseverance.terrain.site import load_site

    try:
        site = load_site(t.site)
    except ConfigError as exc:
        raise ConfigError(f"target.site = {t.site!r}: {exc}") from None
    frame = LocalFrame(site.landing_site.latitude_deg * DEG, site.landing_site.longitude_deg * DEG)
    return LandingRegion.generate(site, seed), frame
