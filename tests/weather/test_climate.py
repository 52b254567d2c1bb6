"""Dust opacity and humidity: the seasonal shapes and the saturation law."""

from __future__ import annotations

import numpy as np
import pytest

from perseverance.weather.climate import dust_tau, ice_saturation_pa
from perseverance.weather.params import load_meda


def test_ice_saturation_at_the_triple_point():
    # Murphy & Koop (2005): 611.657 Pa at 273.16 K; ~0.03 Pa at 190 K (hand figure 0.0324).
    assert ice_saturation_pa(273.16) == pytest.approx(611.657, rel=1e-3)
    assert ice_saturation_pa(190.0) == pytest.approx(0.0324, rel=0.05)


def test_dust_is_clear_at_aphelion_dusty_at_perihelion_and_in_the_storm():
    params = load_meda().dust
    ls = np.arange(0.0, 360.0, 1.0)
    tau = dust_tau(params, ls, np.zeros_like(ls))
    assert tau[60:120].mean() < tau[220:280].mean()
    assert 140 <= np.argmax(tau) <= 165 and tau.max() > 1.5


def test_humidity_peaks_at_night_and_stays_in_range(year):
    rh, lmst = year.table["relative_humidity"], year.table["lmst_h"]
    assert rh.min() >= 0.0 and rh.max() <= 1.0
    assert rh[(lmst < 5.0)].mean() > 50.0 * rh[(lmst > 12.0) & (lmst < 15.0)].mean()
