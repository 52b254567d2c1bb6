"""The sol grid: Mars24 inverted, local sols, and the noise lattice."""

from __future__ import annotations

import numpy as np

from perseverance.mars.time import mars_solar_date
from perseverance.weather.grid import Stream, lattice_noise, local_sol, utc_from_msd


def test_utc_from_msd_inverts_mars24():
    msd = np.array([52_304.44697, 52_999.123456, 44_796.0])
    back = np.asarray(mars_solar_date(utc_from_msd(msd)))
    np.testing.assert_allclose(back, msd, rtol=0, atol=1e-9)  # ~0.1 ms


def test_the_landing_is_in_the_afternoon_of_its_local_sol():
    sol, phase, _ = local_sol("2021-02-18T20:43:49Z", 77.4509)
    assert sol[0] == 52_304  # floor(52304.44697 + 77.4509 / 360)
    assert abs(24.0 * phase[0] - (15.0 + 53.0 / 60.0 + 26.0 / 3600.0)) < 1e-3  # 15:53:26 LMST


def test_lattice_noise_has_unit_variance_between_lattice_points():
    phase = np.linspace(0.0, 0.999, 200_000)
    noise = lattice_noise(
        0, np.array([52_400]), Stream.TEMPERATURE, 8.0, np.zeros(phase.size, np.intp), phase
    )
    assert abs(noise.std() - 1.0) < 0.05 and abs(noise.mean()) < 0.05
