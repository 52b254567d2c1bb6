"""A ballistic vehicle (L/D = 0) cannot reach parachute conditions, and says so.

Reference (docs/reference/edl.md, AMAT 2.3.0 peer case): a 3,400 kg, 4.5 m,
CD 1.6 ballistic entry from 125 km at 5.5 km/s, -15.5 deg is still near Mach 8 at
10 km and reaches the ground near Mach 2; peak ~12 g (13 +- 3 g for MSL-like).
"""

from __future__ import annotations

import numpy as np

from perseverance.edl.api import fly_edl
from perseverance.edl.status import Status
from perseverance.edl.vehicle import load_vehicle

PEAK_G_BAND = (10.0, 16.0)


def ballistic_vehicle():
    v = load_vehicle("m2020")
    aero = v.aeroshell.model_copy(update={"lift_to_drag": [0.0] * len(v.aeroshell.mach)})
    return v.model_copy(update={"aeroshell": aero})


def test_ballistic_never_deploys_and_says_so():
    result = fly_edl(ballistic_vehicle())
    assert result.status is Status.CHUTE_NOT_DEPLOYED
    assert result.touchdown() is None
    message = result.failure_message()
    assert message.startswith("parachute never reached deploy conditions")
    assert "flight_path_angle_deg" in message
    ev = {e["name"]: e for e in result.events()}
    assert "parachute_deploy" not in ev
    lo, hi = PEAK_G_BAND
    assert lo <= ev["peak_deceleration"]["g_load"] <= hi
    tel = result.flight.telemetry
    mach_at_10km = np.interp(10_000.0, tel["altitude_m"][::-1, 0], tel["mach"][::-1, 0])
    assert mach_at_10km > 4.0
