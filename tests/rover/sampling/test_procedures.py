"""Procedures: the steps an operation runs and their planned durations."""

from __future__ import annotations

import numpy as np
import pytest

from perseverance.mission.scenario import procedure_duration_s
from perseverance.rover.sampling.cache import SampleCache
from perseverance.rover.sampling.procedures import Outcome, planned_duration_s
from perseverance.rover.sampling.tubes import SamplingError, TubeState

from .conftest import ORIGIN, SYSTEM, generator, stored

# -- the procedures ----------------------------------------------------------------------


def test_nominal_core_runs_every_step_and_adds_up_energy():
    cache = SampleCache()
    r = cache.core(194, "igneous", generator(), ORIGIN, lmst_hours=11.0, name="Montdenier")
    assert r.outcome is Outcome.SEALED
    names = [s.name for s in r.steps]
    assert names == [
        "abrasion",
        "proximity_science",
        "coring",
        "percuss_to_ingest",
        "volume_assessment",
        "cachecam_image",
        "seal",
        "store",
    ]
    percuss = r.steps[3]
    assert percuss.duration_s == 5.0
    assert r.energy_j == pytest.approx(sum(s.duration_s * s.power_w for s in r.steps))
    assert r.duration_s == pytest.approx(r.steps[-1].start_s + r.steps[-1].duration_s)
    tube = cache.tube(r.tube_ids[0])
    assert tube.state is TubeState.STORED
    assert tube.sample_type == "igneous"
    assert tube.designation == "M2020-00194-01"
    assert [e.to_state for e in tube.custody] == [
        TubeState.CORED,
        TubeState.VOLUME_ASSESSED,
        TubeState.IMAGED,
        TubeState.SEALED,
        TubeState.STORED,
    ]
    assert all(e.sol == 194 and 11.0 < e.lmst_hours < 24 for e in tube.custody)


@pytest.mark.parametrize("keep", [True, False])
@pytest.mark.parametrize("failure", ["none", "crumble", "jam"])
def test_planned_durations_are_the_runs_durations(failure, keep):
    cache = SampleCache()
    planned = cache.planned_duration_s("core", failure=failure, keep_crumbled_as_atmospheric=keep)
    r = cache.core(
        300, "igneous", generator(), ORIGIN, failure=failure, keep_crumbled_as_atmospheric=keep
    )
    assert r.duration_s == planned
    paths = [
        cache.planned_duration_s("core", failure=f, keep_crumbled_as_atmospheric=keep)
        for f in ("none", "crumble", "jam")
    ]
    assert cache.planned_duration_s(
        "core", failure="random", keep_crumbled_as_atmospheric=keep
    ) == max(paths)
    assert cache.planned_duration_s("core") == paths[0]  # failure=None: the sealed path


def test_planned_durations_of_the_other_operations():
    cache = SampleCache()
    assert cache.sample_regolith(300, ORIGIN).duration_s == cache.planned_duration_s("regolith")
    assert cache.witness(300, ORIGIN).duration_s == cache.planned_duration_s("witness")
    for n in (1, 4):
        tubes = stored(cache, n, sol=301)
        r = cache.deposit(tubes, np.ones((n, 2)), 302)
        assert r.duration_s == cache.planned_duration_s("deposit", n=n)
        assert cache.planned_duration_s("depot", n=n) == r.duration_s
    assert cache.planned_duration_s("deposit", n=0) == 0.0
    # the scenario's own figures (nominal paths, one tube per depot step) agree
    for op in ("core", "regolith", "witness", "depot"):
        assert planned_duration_s(SYSTEM, op) == pytest.approx(procedure_duration_s(op))


@pytest.mark.parametrize(
    ("kw", "expected"),
    [
        ({"operation": "drill"}, "operation must be one of core, regolith"),
        ({"operation": "core", "failure": "melt"}, "failure must be random"),
        ({"operation": "deposit", "n": -1}, "whole number of tubes"),
        ({"operation": "deposit", "n": 2.5}, "whole number of tubes"),
    ],
)
def test_planned_duration_refuses_bad_requests(kw, expected):
    with pytest.raises(SamplingError, match=expected):
        SampleCache().planned_duration_s(**kw)
