"""The compiled RK4 step (Numba) against NumPy's: the same step to round-off, the same
flights, a run alone equal to the run in a batch, and a clear line when it is missing."""

from __future__ import annotations

import numpy as np
import pytest
from typer.testing import CliRunner

from perseverance.cli import app
from perseverance.edl import backend
from perseverance.edl.dispersions import sample_runs
from perseverance.edl.dynamics import Controls, Planet, environment, rk4_step
from perseverance.edl.sequence import fly
from perseverance.errors import ScenarioError

pytest.importorskip("numba")
from perseverance.edl.rk4_numba import rk4_step_numba

#: Relative agreement of one step (the libraries' exp/sin/sqrt may differ in the last bit).
STEP_RTOL = 1e-13
#: Agreement of whole flights [m, s]: round-off grown over ~900 steps, far below any figure.
TOUCHDOWN_ATOL_M = 1e-6
EVENT_ATOL_S = 1e-6


def _controls(n: int, rng: np.random.Generator) -> Controls:
    bank = rng.uniform(-np.pi, np.pi, n)
    return Controls(
        capsule_cd_area=rng.uniform(0, 16, n),
        lift_scale=rng.uniform(0.8, 1.2, n),
        cos_bank=np.cos(bank),
        sin_bank=np.sin(bank),
        chute_cd_area=rng.uniform(0, 300, n),
        chute_deploy_t=rng.uniform(-5, 5, n),
        drag_area=rng.uniform(0, 4, n),
        thrust=tuple(rng.normal(0, 1e4, n) for _ in range(3)),  # type: ignore[arg-type]
        mass_flow=rng.uniform(0, 5, n),
    )


def test_one_step_is_numpys_step(m2020):
    rng = np.random.default_rng(3)
    runs = sample_runs(m2020, 5, 0, 512)
    planet = Planet(m2020.atmosphere, runs.atmosphere, m2020.aero)
    state = np.ascontiguousarray(runs.entry_state.T, dtype=float).copy()
    # heights from the top of the atmosphere to the ground: both density branches
    state[:3] *= (1.0 - rng.uniform(0, 0.035, state.shape[1]))[None, :]
    t, dt = rng.uniform(0, 400, state.shape[1]), rng.uniform(0, 1, state.shape[1])
    ctl = _controls(state.shape[1], rng)
    want = rk4_step(state, t, dt, environment(state, planet), ctl, planet)
    got = rk4_step_numba(state, t, dt, ctl, planet)
    np.testing.assert_allclose(got, want, rtol=STEP_RTOL, atol=0)


def test_flights_agree_and_say_which_backend_flew(m2020):
    runs = sample_runs(m2020, 11, 0, 200)
    a, b = fly(m2020, runs, backend="numpy"), fly(m2020, runs, backend="numba")
    assert (a.backend, b.backend) == ("numpy", "numba")
    np.testing.assert_array_equal(a.status, b.status)
    for key in ("east_m", "north_m"):
        np.testing.assert_allclose(b.touchdown[key], a.touchdown[key], atol=TOUCHDOWN_ATOL_M)
    for name, ev in a.events.items():
        np.testing.assert_allclose(b.events[name]["t_s"], ev["t_s"], atol=EVENT_ATOL_S)


def test_a_run_alone_is_the_run_in_a_batch(m2020):
    runs = sample_runs(m2020, 11, 0, 64)
    batch = fly(m2020, runs, backend="numba")
    alone = fly(m2020, sample_runs(m2020, 11, 37, 38), backend="numba")
    for key, value in alone.touchdown.items():
        np.testing.assert_array_equal(value, batch.touchdown[key][37:38])


def test_backend_names_and_the_missing_extra(monkeypatch):
    monkeypatch.delenv(backend.BACKEND_ENV, raising=False)
    assert backend.resolve_backend("numpy") == "numpy"
    assert backend.resolve_backend(None) == "numba"  # auto, with Numba installed
    monkeypatch.setenv(backend.BACKEND_ENV, "numpy")
    assert backend.resolve_backend(None) == "numpy"
    with pytest.raises(ScenarioError, match="'cuda' is not one of auto, numpy, numba"):
        backend.resolve_backend("cuda")
    monkeypatch.setattr(backend, "numba_problem", lambda: "Numba is not installed")
    monkeypatch.delenv(backend.BACKEND_ENV)
    assert backend.resolve_backend("auto") == "numpy"  # the fallback
    assert not backend.numba_available()
    with pytest.raises(ScenarioError, match=r"not installed; pip install 'perseverance\[fast\]'"):
        backend.resolve_backend("numba")


def test_the_cli_refuses_a_backend_it_cannot_run_in_one_line(monkeypatch):
    monkeypatch.setattr(backend, "numba_problem", lambda: "Numba is not installed")
    result = CliRunner().invoke(app, ["edl", "--vehicle", "msl", "--backend", "numba"])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "perseverance[fast]" in lines[0], result.output


def test_a_campaign_names_its_backend(msl):
    from perseverance.edl.api import fly_campaign

    for name in ("numpy", "numba"):
        assert fly_campaign(n=3, system=msl, backend=name).summary["backend"] == name
