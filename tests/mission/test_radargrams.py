"""RIMFAX in the mission: a radargram per drive over one ground under the whole floor."""

from __future__ import annotations

import numpy as np
import pytest

from perseverance.mission.radargrams import STORED_EVERY, RimfaxSounder
from perseverance.rover.rimfax import load_radargram, load_rimfax


def _path(points):
    return [{"east_m": e, "north_m": n} for e, n in points]


@pytest.fixture
def sounder(tmp_path):
    return RimfaxSounder(load_rimfax(), tmp_path, seed=3)


def test_a_drive_gives_a_radargram_as_long_as_its_path(sounder, tmp_path):
    rows = sounder.sol(20, _path([(0, 0), (30, 0), (30, 40)]))
    assert [r["kind"] for r in rows] == ["radargram", "radargram_plot"]
    assert all(r["status"] == "ok" and r["instrument"] == "RIMFAX" for r in rows)
    r = load_radargram(tmp_path / rows[0]["path"])
    step = load_rimfax().sounding_interval_m * STORED_EVERY
    assert r.distance_m.size == int(70.0 / step) + 1
    assert np.diff(r.distance_m) == pytest.approx(step)
    assert rows[0]["bytes"] == (tmp_path / rows[0]["path"]).stat().st_size
    assert (tmp_path / rows[1]["path"]).read_bytes()[:4] == b"\x89PNG"


def test_no_drive_no_product(sounder, tmp_path):
    assert sounder.sol(5, []) == []
    assert sounder.sol(5, _path([(1, 1)])) == []
    assert sounder.sol(5, _path([(1, 1), (1.05, 1)])) == []
    assert not (tmp_path / "rimfax/sol_0005").exists()


def test_same_seed_same_bytes(tmp_path):
    path = _path([(0, 0), (20, 5)])
    a = RimfaxSounder(load_rimfax(), tmp_path / "a", seed=1).sol(7, path)
    RimfaxSounder(load_rimfax(), tmp_path / "b", seed=1).sol(7, path)
    c = RimfaxSounder(load_rimfax(), tmp_path / "c", seed=2).sol(7, path)
    fa, fb, fc = ((tmp_path / x / a[0]["path"]).read_bytes() for x in "abc")
    assert fa == fb and fa != fc and c[0]["status"] == "ok"


def test_a_failure_is_a_failed_row_and_no_file(sounder, tmp_path):
    rows = sounder.sol(9, [{"east_m": 0, "north_m": 0}, {"east_m": "far", "north_m": 3}])
    assert [r["status"] for r in rows] == ["failed", "failed"]
    assert all(r["reason"] and r["bytes"] is None for r in rows)
    assert not any((tmp_path / "rimfax/sol_0009").glob("*"))


def test_the_ground_is_continuous_from_one_drive_to_the_next(sounder):
    one = sounder.radargram(1, _path([(0, 0), (40, 0)]))
    two = sounder.radargram(2, _path([(40, 0), (40, 40)]))
    assert one is not None and two is not None
    # the same ground under the same point: the last sounding of one, the first of two
    site = sounder.site
    g1 = site.under(np.array([0.0, 40.0]), np.array([0.0, 0.0]), 20.0)
    g2 = site.under(np.array([40.0, 40.0]), np.array([0.0, 40.0]), 20.0)
    z1 = g1.interface_depths_m(np.array([40.0]))[0]
    z2 = g2.interface_depths_m(np.array([0.0]))[0]
    common = np.intersect1d(np.round(z1, 9), np.round(z2, 9))
    assert common.size >= 5 and common.size >= 0.8 * min(np.sum(z1 > 0), np.sum(z2 > 0))
    e1, e2 = one.envelope()[-1], two.envelope()[0]
    far = one.envelope()[0]
    assert np.corrcoef(e1, e2)[0, 1] > np.corrcoef(e2, far)[0, 1]
