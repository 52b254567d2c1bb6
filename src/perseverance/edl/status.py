"""How a run ends: one table of status codes, and the event names in flight order.

A batch never stops halfway: every run ends with exactly one of these codes,
and its row is kept.
"""

from __future__ import annotations

from enum import IntEnum


class Status(IntEnum):
    """End state of one EDL run."""

    LANDED = 0
    CHUTE_NOT_DEPLOYED = 1
    GROUND_IMPACT = 2
    FUEL_EXHAUSTED = 3
    HAZARDOUS_TOUCHDOWN = 4
    HARD_TOUCHDOWN = 5
    TIMEOUT = 6
    NUMERICAL_FAILURE = 7

    @property
    def label(self) -> str:
        return self.name.lower()


#: Event names in the order they happen; a vehicle without a step omits it.
EVENT_NAMES = (
    "entry_interface",
    "guidance_start",
    "peak_heating",
    "peak_deceleration",
    "sufr",
    "parachute_deploy",
    "heatshield_separation",
    "radar_lock",
    "lvs_solution",
    "backshell_separation",
    "powered_descent_start",
    "skycrane_start",
    "touchdown",
    "flyaway",
)

#: What is recorded for every event (arrays of shape (N,), NaN when it never happened).
#: ``altitude_m`` is the height above the ground below the vehicle; ``velocity_mps`` is
#: planet-relative; ``g_load`` is the sensed non-gravitational acceleration in Earth g.
EVENT_FIELDS = ("t_s", "altitude_m", "velocity_mps", "mach", "dynamic_pressure_pa", "g_load")
