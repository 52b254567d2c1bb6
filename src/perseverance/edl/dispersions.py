"""Monte Carlo dispersions: per-run inputs drawn from the vehicle's `[dispersions]`.

Run 0 of every campaign is the undispersed nominal. Random numbers come in
blocks of `BLOCK` runs, block ``b`` drawn from ``numpy.random.default_rng([seed, b])``
in a fixed order, so run ``i`` gets the same inputs whatever range of runs a
worker is asked for: the same seed gives the same per-run results however the
work is split.
"""

from __future__ import annotations

import numpy as np

from perseverance.edl.runs import RunInputs
from perseverance.edl.system import EdlSystem
from perseverance.mars.atmosphere import AtmosphereDispersion
from perseverance.mars.constants import DEG
from perseverance.mars.frames import (
    destination,
    flight_angles_from_velocity,
    position_from_spherical,
    spherical_from_position,
    velocity_from_flight_angles,
)

BLOCK = 1024
#: Normal draws per run, in this order.
NORMALS = (
    "fpa",
    "speed",
    "heading",
    "downrange",
    "crossrange",
    "nav_east",
    "nav_north",
    "ln_low",
    "ln_high",
    "wind_low_east",
    "wind_low_north",
    "wind_high_east",
    "wind_high_north",
    "drag",
    "lift",
    "mass",
    "chute",
    "lvs_east",
    "lvs_north",
    "thrust",
    "isp",
)
#: Uniform draws on [0, 1) per run, in this order.
UNIFORMS = ("wave_amplitude", "wave_phase")


def _draws(seed: int, start: int, stop: int) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Standard normal and uniform draws for runs ``start <= i < stop``."""
    normal = np.empty((len(NORMALS), stop - start))
    uniform = np.empty((len(UNIFORMS), stop - start))
    for block in range(start // BLOCK, (stop - 1) // BLOCK + 1):
        rng = np.random.default_rng([seed, block])
        z = rng.standard_normal((len(NORMALS), BLOCK))
        u = rng.random((len(UNIFORMS), BLOCK))
        lo, hi = max(start, block * BLOCK), min(stop, (block + 1) * BLOCK)
        normal[:, lo - start : hi - start] = z[:, lo - block * BLOCK : hi - block * BLOCK]
        uniform[:, lo - start : hi - start] = u[:, lo - block * BLOCK : hi - block * BLOCK]
    if start == 0:  # run 0 is the nominal
        normal[:, 0] = 0.0
        uniform[:, 0] = 0.0
    return dict(zip(NORMALS, normal, strict=True)), dict(zip(UNIFORMS, uniform, strict=True))


def sample_runs(system: EdlSystem, seed: int, start: int, stop: int) -> RunInputs:
    """Dispersed inputs of runs ``start <= i < stop`` of a campaign with ``seed``."""
    d = system.vehicle.dispersions
    z, u = _draws(seed, start, stop)
    nominal = system.entry_state
    if nominal is None:
        raise ValueError("the system is not targeted: build it with prepare_edl")
    lat0, lon0, r0 = spherical_from_position(*nominal[:3])
    speed0, fpa0, heading0 = flight_angles_from_velocity(
        position=nominal[:3], velocity=nominal[3:6]
    )
    lat, lon = destination(
        lat_rad=lat0, lon_rad=lon0, bearing=heading0, distance_m=d.entry_position_m * z["downrange"]
    )
    lat, lon = destination(
        lat_rad=lat,
        lon_rad=lon,
        bearing=heading0 + np.pi / 2,
        distance_m=d.entry_position_m * z["crossrange"],
    )
    position = position_from_spherical(lat, lon, r0)
    velocity = velocity_from_flight_angles(
        speed_mps=speed0 + d.entry_speed_mps * z["speed"],
        flight_path_angle_rad=fpa0 + d.entry_flight_path_angle_deg * DEG * z["fpa"],
        heading_rad=heading0 + d.entry_heading_deg * DEG * z["heading"],
        lat_rad=lat,
        lon_rad=lon,
    )
    mass_scale = 1.0 + d.mass_fraction * z["mass"]
    state = np.stack([*position, *velocity, nominal[6] * mass_scale], axis=1)
    atmosphere = AtmosphereDispersion(
        ln_density_low=d.atmosphere_ln_density_low * z["ln_low"],
        ln_density_high=d.atmosphere_ln_density_high * z["ln_high"],
        wave_amplitude=d.atmosphere_wave_amplitude_max * u["wave_amplitude"],
        wave_phase_rad=2 * np.pi * u["wave_phase"],
        wind_low_east_mps=d.wind_low_mps * z["wind_low_east"],
        wind_low_north_mps=d.wind_low_mps * z["wind_low_north"],
        wind_high_east_mps=d.wind_high_mps * z["wind_high_east"],
        wind_high_north_mps=d.wind_high_mps * z["wind_high_north"],
    )
    return RunInputs(
        entry_state=state,
        atmosphere=atmosphere,
        drag_scale=1.0 + d.drag_coefficient_fraction * z["drag"],
        lift_scale=1.0 + d.lift_to_drag_fraction * z["lift"],
        chute_scale=1.0 + d.parachute_drag_fraction * z["chute"],
        mass_scale=mass_scale,
        thrust_scale=1.0 + d.engine_thrust_fraction * z["thrust"],
        isp_scale=1.0 + d.engine_isp_fraction * z["isp"],
        nav_east_m=d.navigation_position_m * z["nav_east"],
        nav_north_m=d.navigation_position_m * z["nav_north"],
        lvs_east_m=d.lvs_position_m * z["lvs_east"],
        lvs_north_m=d.lvs_position_m * z["lvs_north"],
    )
