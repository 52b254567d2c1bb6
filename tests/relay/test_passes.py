"""Relay passes over Jezero: MRO's local times, pass durations, passes per sol, the CLI."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from typer.testing import CliRunner

from perseverance.cli import app
from perseverance.errors import ConfigError
from perseverance.mars.constants import GM_MARS, R_MARS
from perseverance.relay.orbits import load_orbiters
from perseverance.relay.passes import Site, find_passes, jezero, received_on_earth_utc

#: A pass's duration against the circular-orbit formula: the grid, the ellipticity of
#: MRO's orbit (250-316 km) and the areoid make a few per cent.
DURATION_TOLERANCE = 0.05
START, END = "2021-03-01T00:00:00Z", "2021-04-10T00:00:00Z"
runner = CliRunner()


@pytest.fixture(scope="module")
def forty_days():
    return find_passes(START, END, orbiters=load_orbiters().keys)


def test_mro_passes_cluster_near_3_am_and_3_pm(forty_days):
    mro = forty_days.select(forty_days.orbiter == "mro")
    mid = 0.5 * (mro.rise_lmst_h + mro.set_lmst_h)
    off = np.abs((mid - 3.0 + 6.0) % 12.0 - 6.0)  # hours from 03:00 or 15:00
    assert len(mro) > 60
    assert np.all(off < 1.5) and np.median(off) < 0.8
    assert 0.35 < np.mean(mid < 12.0) < 0.65  # as many night passes as day passes


def test_an_overhead_pass_lasts_what_altitude_and_mask_give():
    """A circular orbit through the zenith: the half-angle at Mars' centre is
    lambda = acos(R cos(e) / r) - e, the pass lasts 2 lambda / (n - omega_rel)."""
    fleet = load_orbiters()
    orb = fleet.orbiter("tgo")  # circular
    passes = find_passes(START, END, orbiters=["tgo"], site=Site(0.0, 0.0), constellation=fleet)
    best = int(np.argmax(passes.max_elevation_deg))
    assert passes.max_elevation_deg[best] > 85.0
    r = orb.elements.semi_major_axis_m
    mask = math.radians(fleet.elevation_mask_deg)
    half = math.acos(R_MARS * math.cos(mask) / r) - mask
    n = math.sqrt(GM_MARS / r**3)
    expected = 2.0 * half / n
    assert passes.duration_s[best] == pytest.approx(expected, rel=DURATION_TOLERANCE)
    # The mask matters: at 20 deg the same pass is shorter, as the formula says.
    high = find_passes(START, END, orbiters=["tgo"], site=Site(0.0, 0.0), mask_deg=20.0)
    best20 = int(np.argmax(high.max_elevation_deg))
    half20 = math.acos(R_MARS * math.cos(math.radians(20)) / r) - math.radians(20)
    assert high.duration_s[best20] == pytest.approx(2 * half20 / n, rel=DURATION_TOLERANCE)


def test_passes_per_sol_are_of_the_order_of_the_real_ones():
    """Sessions per sol: at least 2, typically 4-6 (NASA Mars 2020 communications);
    the geometry offers the routine relays a few more, which the planner chooses from."""
    fleet = load_orbiters()
    passes = find_passes(START, END, constellation=fleet)
    assert set(np.unique(passes.orbiter)) == set(fleet.routine_keys)
    sol_s = 88_775.244
    t = (passes.rise_utc - np.datetime64("2021-03-01T00:00:00")) / np.timedelta64(1, "s")
    per_sol = np.bincount((t // sol_s).astype(int))[:-1]  # whole sols only
    assert per_sol.min() >= 2
    assert 4.0 <= per_sol.mean() <= 10.0


def test_rise_set_and_the_extremes_are_consistent(forty_days):
    p = forty_days
    assert np.all(p.duration_s > 0.0)
    assert np.all(p.max_elevation_deg >= p.mask_deg - 1e-6)
    assert np.all(np.diff(p.rise_utc.astype("int64")) >= 0)
    mro = p.select(p.orbiter == "mro")
    # MRO: 100-250 Mbit per pass typical (MSL "Data Rates/Returns"), at most 2 Mbit/s.
    assert 100e6 <= np.median(mro.volume_bits) <= 250e6
    assert np.all(mro.volume_bits <= 2.048e6 * mro.duration_s + 1.0)
    odyssey = p.select(p.orbiter == "odyssey")
    assert np.all(odyssey.volume_bits <= 2.56e5 * odyssey.duration_s + 1.0)
    # The lower the orbit, the shorter the pass.
    assert np.median(mro.duration_s) < np.median(p.select(p.orbiter == "maven").duration_s)


def test_mro_and_maven_see_the_landing():
    passes = find_passes("2021-02-18T19:00:00Z", "2021-02-18T20:43:00Z", orbiters=["mro", "maven"])
    sets = passes.set_utc.astype("datetime64[s]")
    assert {"mro", "maven"} <= set(passes.orbiter[sets > np.datetime64("2021-02-18T20:43:49")])


def test_received_on_earth_after_the_delay_and_the_light_time():
    got = received_on_earth_utc("2021-03-01T10:00:00Z", "mro", 682.0)
    delay = load_orbiters().orbiter("mro").elements.store_forward_delay_s
    expected = np.datetime64("2021-03-01T10:00:00") + np.timedelta64(int(delay + 682.0), "s")
    assert got == expected
    many = received_on_earth_utc(np.array(["2021-03-01T10:00:00"], "datetime64[s]"), "tgo", [600.0])
    assert many.shape == (1,)


def test_bad_requests_are_one_line():
    with pytest.raises(ConfigError, match="unknown orbiter 'hubble'"):
        find_passes(START, END, orbiters=["hubble"])
    with pytest.raises(ConfigError, match="empty"):
        find_passes(END, START)
    with pytest.raises(ConfigError, match="mask_deg = 95"):
        find_passes(START, END, mask_deg=95.0)


def test_jezero_is_the_landing_site():
    site = jezero()
    assert site.latitude_deg == pytest.approx(18.4446) and site.longitude_east_deg == pytest.approx(
        77.4509
    )


def test_cli_table_and_json():
    table = runner.invoke(app, ["passes", "--sol", "10"])
    assert table.exit_code == 0, table.output
    assert "sol 10" in table.stdout and "MRO" in table.stdout
    doc = json.loads(runner.invoke(app, ["passes", "--sol", "10", "--json"]).stdout)
    assert doc["sol"] == 10 and len(doc["passes"]) >= 2
    assert {row["orbiter"] for row in doc["passes"]} <= {"mro", "odyssey", "tgo"}
    assert doc["total_volume_bits"] == pytest.approx(sum(r["volume_bits"] for r in doc["passes"]))
    only = json.loads(
        runner.invoke(app, ["passes", "--sol", "10", "--orbiter", "maven", "--json"]).stdout
    )
    assert {row["orbiter"] for row in only["passes"]} == {"maven"}


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--sol", "-1"], "sol = -1 is out of range"),
        (["--sol", "3", "--orbiter", "viking"], "unknown orbiter"),
    ],
)
def test_cli_bad_input_is_one_line_exit_2(args, words):
    result = runner.invoke(app, ["passes", *args])
    assert result.exit_code == 2
    assert result.stderr.strip().count("\n") == 0 and words in result.stderr
