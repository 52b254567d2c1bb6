"""Saving and loading the cache state: the round trip and one-line errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

from perseverance.rover.sampling.cache import SampleCache
from perseverance.rover.sampling.tubes import SamplingError, TubeState

from .conftest import ORIGIN, SYSTEM, generator, with_failures

# -- saving and loading the cache ---------------------------------------------------------


def _busy_cache() -> SampleCache:
    """A cache that has seen every kind of operation, failure and replay."""
    cache = SampleCache()
    cache.witness(120, (1.0, 2.0), lmst_hours=10.0, name="Witness 1")
    cache.core(164, "igneous", generator(1), (3.5, -2.25), lmst_hours=11.5, failure="crumble")
    cache.core(306, "igneous", generator(2), ORIGIN, lmst_hours=12.0, name="Issole", failure="jam")
    cache.core(
        310, "igneous", generator(3), ORIGIN, failure="crumble", keep_crumbled_as_atmospheric=False
    )
    cache.core(337, "igneous", generator(4), (10.0, 20.0), lmst_hours=13.1, name="Malay")
    cache.sample_regolith(634, (1e-3, 7.0), lmst_hours=9.25, name="Atmo Mountain")
    cache.advance(6, TubeState.CORED, sol=640, actor="replay", sample_type="sedimentary")
    cache.advance(
        6,
        TubeState.VOLUME_ASSESSED,
        sol=640,
        actor="replay",
        lmst_hours=14.0,
        position=(np.float64(1.0), 2),
    )
    stored = [t.id for t in cache.in_state(TubeState.STORED)]
    cache.deposit(stored[:2], [[0.1, 0.2], [5.3, -1.0 / 3.0]], 653, lmst_hours=12.8)
    return cache


def _json_types(x) -> bool:
    if isinstance(x, dict):
        return all(isinstance(k, str) and _json_types(v) for k, v in x.items())
    if isinstance(x, list):
        return all(_json_types(v) for v in x)
    return x is None or type(x) in (str, int, float)


def test_state_round_trips_through_json_and_behaves_the_same():
    cache = _busy_cache()
    state = cache.state()
    assert _json_types(state)
    assert state["version"] == 1 and state["sealed"] == 4 and len(state["tubes"]) == 43
    assert state["tubes"][0]["state"] == "DEPOSITED"
    text = json.dumps(state, allow_nan=False)
    again = SampleCache.from_state(json.loads(text))
    assert again.state() == state and json.dumps(again.state(), allow_nan=False) == text
    assert again.tubes == cache.tubes and repr(again) == repr(cache)
    assert again.custody() == cache.custody()
    # what follows comes out the same on both
    for c in (cache, again):
        c.system = with_failures(0.3, 0.3)
    for sol in range(700, 720):
        rs = [
            c.core(sol, "sedimentary", generator(sol), ORIGIN, lmst_hours=9.0)
            for c in (cache, again)
        ]
        assert rs[0] == rs[1]
    assert again.witness(721, ORIGIN) == cache.witness(721, ORIGIN)
    assert again.state() == cache.state()


def test_state_needs_the_same_tubes():
    state = SampleCache().state()
    more = SYSTEM.tubes.model_copy(update={"total": 44, "sample": 39})
    with pytest.raises(SamplingError, match="tubes must be a list of 44 tubes"):
        SampleCache.from_state(state, SYSTEM.model_copy(update={"tubes": more}))
    again = SampleCache.from_state(state, with_failures(0.5, 0.5))
    assert again.system.failures.jam_probability == 0.5


def _set(path, value):
    def change(state):
        *where, key = path
        for k in where:
            state = state[k]
        state[key] = value

    return change


def _pop(path):
    def change(state):
        *where, key = path
        for k in where:
            state = state[k]
        del state[key]

    return change


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (_set(("tubes", 0, "state"), "LOST"), "tube 1.state = 'LOST' is not a tube state (EMPTY"),
        (
            _pop(("tubes", 42)),
            "tubes must be a list of 43 tubes (Mars 2020 Sample Caching System), not 42",
        ),
        (_set(("tubes",), {}), "tubes must be a list of 43 tubes"),
        (_set(("version",), 2), "version is 2; this code reads 1"),
        (_pop(("sealed",)), "the state lacks sealed"),
        (_set(("extra",), 1), "the state has unknown keys extra"),
        (_pop(("tubes", 3, "custody")), "tube 4 lacks custody"),
        (_set(("tubes", 3, "colour"), "red"), "tube 4 has unknown keys colour"),
        (_set(("tubes", 3, "id"), 5), "tube 4 is listed with id 5"),
        (_set(("tubes", 3, "kind"), "witness"), "tube 4.kind = 'witness', but tube 4 is a sample"),
        (
            _set(("tubes", 0, "state"), "STORED"),
            "tube 1.state = STORED, but its custody log ends at DEPOSITED",
        ),
        (
            _set(("tubes", 0, "custody", 2, "to_state"), "SEALED"),
            "tube 1.custody[2]: VOLUME_ASSESSED -> SEALED",
        ),
        (
            _set(("tubes", 0, "custody", 3, "from_state"), "CORED"),
            "tube 1.custody[3] starts from CORED",
        ),
        (_set(("tubes", 0, "custody", 4, "sol"), 100), "tube 1.custody[4]: time goes backwards"),
        (
            _set(("tubes", 0, "custody", 4, "sol"), True),
            "tube 1.custody[4].sol = True is not a whole number",
        ),
        (
            _set(("tubes", 0, "custody", 4, "lmst_hours"), 24.5),
            "lmst_hours = 24.5 is not a finite number in 0..24",
        ),
        (_set(("tubes", 0, "custody", 4, "east_m"), None), "both be numbers or both null"),
        (_set(("tubes", 0, "custody", 4, "actor"), 7), "actor = 7 is not a string"),
        (_set(("tubes", 0, "custody", 0), []), "tube 1.custody[0] must be an object (dict)"),
        (
            _set(("tubes", 0, "sample_type"), "witness"),
            "tube 1.sample_type = 'witness' does not fit a sample tube in DEPOSITED",
        ),
        (
            _set(("tubes", 42, "sample_type"), "igneous"),
            "tube 43.sample_type = 'igneous' does not fit a witness tube in EMPTY",
        ),
        (
            _set(("tubes", 0, "acquired_sol"), 121),
            "tube 1.acquired_sol = 121, but its first custody event is on sol 164",
        ),
        (_set(("tubes", 0, "designation"), "M2020-164-2"), "is not M2020-SSSSS-NN"),
        (_set(("tubes", 0, "designation"), "M2020-00165-02"), "does not carry its acquired sol"),
        (_set(("tubes", 1, "designation"), "M2020-00306-05"), "never sealed"),
        (
            _set(("tubes", 3, "designation"), "M2020-00337-02"),
            "sealed = 4, but the designations are numbered [1, 2, 2, 4]",
        ),
        (_set(("sealed",), 5), "sealed = 5, but the designations"),
        (_set(("tubes", 0, "east_m"), 9.0), "tube 1: east_m, north_m = 9.0, 0.2 is not where"),
        (_set(("tubes", 0, "name"), 3), "tube 1.name = 3 is not a string"),
    ],
)
def test_malformed_state_is_one_line(change, expected):
    state = _busy_cache().state()
    change(state)
    with pytest.raises(SamplingError) as info:
        SampleCache.from_state(state)
    message = str(info.value)
    assert message.startswith("bad sample cache state: ")
    assert expected in message
    assert "\n" not in message


def test_not_a_state_at_all():
    with pytest.raises(SamplingError, match="the state must be an object"):
        SampleCache.from_state([])
