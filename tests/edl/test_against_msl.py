"""Mars Science Laboratory, flown from its published entry state, as an independent case.

Reference figures (docs/reference/edl.md):
- Inertial entry state r = R + 125 km, 126.72 E, -3.9186, V = 6,083.3 m/s, -15.4892 deg,
  heading 93.2065 deg (A via C: Dutta & Braun 2014).
- Planet-relative entry speed 5.845 km/s (A: Way, Davis & Shidner 2013).
- Target 4.5965 S, 137.4019 E (A: Way et al. 2013); flown ellipse ~20 km x 7 km (C).
"""

from __future__ import annotations

import numpy as np
import pytest

from perseverance.edl.api import fly_edl
from perseverance.edl.status import Status

RELATIVE_ENTRY_SPEED_MPS = 5_845.0
TEN_METRES_PER_SECOND = 10.0
#: The guided nominal must reach the target to within the published ellipse's semi-minor axis.
MAX_MISS_M = 3_500.0


def test_relative_entry_speed(msl):
    assert np.linalg.norm(msl.entry_state[3:6]) == pytest.approx(
        RELATIVE_ENTRY_SPEED_MPS, abs=TEN_METRES_PER_SECOND
    )


def test_guided_msl_lands_near_its_target(msl):
    result = fly_edl(system=msl)
    assert result.status is Status.LANDED
    td = result.touchdown()
    assert td["distance_to_target_m"] < MAX_MISS_M
    names = [e["name"] for e in result.events()]
    assert "lvs_solution" not in names  # MSL had no Lander Vision System
