"""The nominal Mars 2020 trajectory against the published EDL timeline.

Reference figures (copied from docs/reference/edl.md, with sources):
- Parachute deploy (Range Trigger) ~240 s after EI, ~11 km (9-13 km), 400-470 m/s
  (B/C: PIA24317/PIA24285; landing commentary).
- Heat shield separation ~20 s after deploy, ~9.5 km, ~145 m/s (B/C: NASA).
- Backshell separation ~2.1 km (commentary 2.6 km) above ground (B/C: NASA).
- Touchdown ~400-440 s after EI at ~0.75 m/s vertical (B: NASA).
- Peak deceleration ~85-95 s, ~10-12 g (C/E: MSL graphics).
- Touchdown 5 m from the LVS-selected target; requirement 60 m (A: Johnson et al. 2022).
- Touchdown ~15:53 LMST on sol 0 (Mars24 at 20:43:49 UTC, 77.45 E).
- Entry speed ~5.4 km/s (12,100 mph) planet-relative; ~5.6 km/s inertial (B: NASA, PIA24285).
Tolerances are the issue's acceptance bands.
"""

from __future__ import annotations

import numpy as np
import pytest

from perseverance.edl.status import Status

DEPLOY_T_S = (225.0, 255.0)
DEPLOY_ALTITUDE_M = (9_000.0, 13_000.0)
DEPLOY_SPEED_MPS = (380.0, 480.0)
HEATSHIELD_DELAY_S = (15.0, 25.0)
HEATSHIELD_ALTITUDE_M = (8_000.0, 11_000.0)
HEATSHIELD_SPEED_MPS = (120.0, 170.0)
BACKSHELL_ALTITUDE_M = (1_800.0, 2_800.0)
TOUCHDOWN_T_S = (390.0, 460.0)
TOUCHDOWN_VERTICAL_MPS = (0.65, 0.85)
TOUCHDOWN_HORIZONTAL_MAX_MPS = 0.5
PEAK_G = (9.0, 13.0)
PEAK_G_T_S = (75.0, 100.0)
SAFE_TARGET_MAX_M = 60.0
LANDING_LMST_H = 15 + 53 / 60
TEN_MINUTES_H = 10 / 60
ENTRY_SPEED_RELATIVE_MPS = 5_400.0
ENTRY_SPEED_TOLERANCE_MPS = 100.0


def _event(result, name):
    return {e["name"]: e for e in result.events()}[name]


def _within(value, band):
    lo, hi = band
    return lo <= value <= hi


def test_nominal_lands(m2020_nominal):
    assert m2020_nominal.status is Status.LANDED


def test_parachute_deploy(m2020_nominal):
    ev = _event(m2020_nominal, "parachute_deploy")
    assert _within(ev["t_s"], DEPLOY_T_S), ev
    assert _within(ev["altitude_m"], DEPLOY_ALTITUDE_M), ev
    assert _within(ev["velocity_mps"], DEPLOY_SPEED_MPS), ev


def test_heatshield_separation(m2020_nominal):
    deploy = _event(m2020_nominal, "parachute_deploy")
    ev = _event(m2020_nominal, "heatshield_separation")
    assert _within(ev["t_s"] - deploy["t_s"], HEATSHIELD_DELAY_S), ev
    assert _within(ev["altitude_m"], HEATSHIELD_ALTITUDE_M), ev
    assert _within(ev["velocity_mps"], HEATSHIELD_SPEED_MPS), ev


def test_backshell_separation(m2020_nominal):
    assert _within(
        _event(m2020_nominal, "backshell_separation")["altitude_m"], BACKSHELL_ALTITUDE_M
    )


def test_touchdown(m2020_nominal):
    ev = _event(m2020_nominal, "touchdown")
    td = m2020_nominal.touchdown()
    assert _within(ev["t_s"], TOUCHDOWN_T_S), ev
    assert _within(td["vertical_speed_mps"], TOUCHDOWN_VERTICAL_MPS), td
    assert td["horizontal_speed_mps"] < TOUCHDOWN_HORIZONTAL_MAX_MPS, td
    assert td["distance_to_safe_target_m"] < SAFE_TARGET_MAX_M, td


def test_peak_deceleration(m2020_nominal):
    ev = _event(m2020_nominal, "peak_deceleration")
    assert _within(ev["g_load"], PEAK_G), ev
    assert _within(ev["t_s"], PEAK_G_T_S), ev


def test_touchdown_local_time(m2020_nominal):
    hh, mm, ss = (int(x) for x in m2020_nominal.touchdown()["lmst"].split(":"))
    assert abs(hh + mm / 60 + ss / 3600 - LANDING_LMST_H) < TEN_MINUTES_H


def test_entry_speed_is_the_published_planet_relative_speed(m2020):
    speed = np.linalg.norm(m2020.entry_state[3:6])
    assert speed == pytest.approx(ENTRY_SPEED_RELATIVE_MPS, abs=ENTRY_SPEED_TOLERANCE_MPS)


def test_events_in_flight_order(m2020_nominal):
    times = [e["t_s"] for e in m2020_nominal.events()]
    assert times and times == sorted(times)
    names = [e["name"] for e in m2020_nominal.events()]
    assert names[0] == "entry_interface" and names[-1] == "flyaway"
    assert "lvs_solution" in names
