"""The Sample Caching System: data file, coring procedure, failures, the tube state machine."""

from __future__ import annotations

import math
from importlib import resources

import numpy as np
import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from perseverance.errors import ConfigError, ScenarioError
from perseverance.rover.sampling import (
    DESIGNATION,
    ROCK_TYPES,
    TRANSITIONS,
    CachingSystem,
    IllegalTransitionError,
    NoTubeLeftError,
    Outcome,
    SampleCache,
    SamplingError,
    TubeState,
    load_caching,
)

#: How many binomial standard deviations a failure count may stray from its mean.
BINOMIAL_SIGMAS = 4.0
ORIGIN = (0.0, 0.0)
SYSTEM = load_caching()


def _with_failures(crumble: float, jam: float, keep: bool = True) -> CachingSystem:
    failures = SYSTEM.failures.model_copy(
        update={
            "crumble_probability": crumble,
            "jam_probability": jam,
            "keep_crumbled_as_atmospheric": keep,
        }
    )
    return SYSTEM.model_copy(update={"failures": failures})


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


# -- the data file -----------------------------------------------------------------------


def test_shipped_system_matches_the_reference():
    s = SYSTEM
    assert (s.tubes.total, s.tubes.sample, s.tubes.witness, s.tubes.bits) == (43, 38, 5, 9)
    assert s.coring.percuss_to_ingest.repeats == 5
    assert s.coring.percuss_to_ingest.duration_s == 1
    assert s.depot.drop_height_m == pytest.approx(0.89)
    assert (s.depot.spacing_min_m, s.depot.spacing_max_m) == (5, 15)
    assert s.depot.tubes == 10


def _caching_text() -> str:
    return resources.files("perseverance.data.instruments").joinpath("caching.toml").read_text()


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("jam_probability = 0.035", "", "failures.jam_probability is missing"),
        (
            "crumble_probability = 0.035",
            "crumble_probability = 1.5",
            "failures.crumble_probability = 1.5 is out of range (0..1)",
        ),
        (
            "jam_probability = 0.035",
            "jam_probability = -0.1",
            "failures.jam_probability = -0.1 is out of range (0..1)",
        ),
        ("total = 43", "total = 44", "tubes: total (44) must equal sample + witness (38 + 5)"),
        ("duration_s = 1800", "duration_s = -5", "coring.abrasion.duration_s = -5"),
        ("drop_height_m = 0.89", "drop_heigth_m = 0.89", "depot.drop_height_m is missing"),
        ("spacing_min_m = 5 ", "spacing_min_m = 3 ", "depot: 2 x lateral_offset_max_m"),
    ],
)
def test_bad_caching_file_names_the_field(tmp_path, old, new, expected):
    text = _caching_text()
    assert old in text
    path = tmp_path / "bad.toml"
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(ConfigError) as info:
        load_caching(str(path))
    message = str(info.value)
    assert expected in message
    assert "\n" not in message


def test_unknown_name_lists_the_shipped_ones():
    with pytest.raises(ConfigError, match="caching"):
        load_caching("nonesuch")


# -- the procedures ----------------------------------------------------------------------


def test_nominal_core_runs_every_step_and_adds_up_energy():
    cache = SampleCache()
    r = cache.core(194, "igneous", _rng(), ORIGIN, lmst_hours=11.0, name="Montdenier")
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


def test_lmst_past_midnight_rolls_the_sol():
    r = SampleCache().core(300, "sedimentary", _rng(), ORIGIN, lmst_hours=23.0)
    assert r.events[-1].sol == 301
    assert 0 <= r.events[-1].lmst_hours < 24


def test_witness_then_crumbled_core_as_on_sols_120_and_164():
    cache = SampleCache(_with_failures(crumble=1.0, jam=0.0))
    w = cache.witness(120, ORIGIN, name="Witness 1")
    r = cache.core(164, "igneous", _rng(), ORIGIN, name="Roubion")
    assert r.outcome is Outcome.SEALED_ATMOSPHERIC
    assert cache.tube(w.tube_ids[0]).designation == "M2020-00120-01"
    roubion = cache.tube(r.tube_ids[0])
    assert (roubion.sample_type, roubion.designation) == ("atmospheric", "M2020-00164-02")
    assert cache.by_designation("M2020-00164-02") is roubion
    assert cache.tube(w.tube_ids[0]).kind == "witness"


def test_jam_discards_the_core_and_the_retry_takes_the_next_number():
    cache = SampleCache(_with_failures(crumble=0.0, jam=1.0))
    r = cache.core(306, "igneous", _rng(), ORIGIN, name="Issole")
    assert r.outcome is Outcome.DISCARDED_AND_RETRY
    assert r.steps[-1].name == "discard"
    issole = cache.tube(r.tube_ids[0])
    assert issole.state is TubeState.DISCARDED
    assert issole.designation is None and not issole.has_sample
    cache.system = _with_failures(crumble=0.0, jam=0.0)
    malay = cache.core(337, "igneous", _rng(), ORIGIN, name="Malay")
    assert malay.outcome is Outcome.SEALED
    assert cache.tube(malay.tube_ids[0]).designation == "M2020-00337-01"
    assert malay.tube_ids[0] != issole.id


def test_crumbled_core_can_be_refused():
    cache = SampleCache(_with_failures(crumble=1.0, jam=0.0, keep=False))
    r = cache.core(164, "igneous", _rng(), ORIGIN)
    assert r.outcome is Outcome.CRUMBLED_DISCARDED
    assert cache.tube(r.tube_ids[0]).state is TubeState.DISCARDED
    r = SampleCache(_with_failures(1.0, 0.0, keep=True)).core(
        164, "igneous", _rng(), ORIGIN, keep_crumbled_as_atmospheric=False
    )
    assert r.outcome is Outcome.CRUMBLED_DISCARDED


def test_regolith_sample():
    cache = SampleCache()
    r = cache.sample_regolith(634, (10.0, -3.0), name="Atmo Mountain")
    tube = cache.tube(r.tube_ids[0])
    assert (tube.sample_type, tube.state, tube.designation) == (
        "regolith",
        TubeState.STORED,
        "M2020-00634-01",
    )
    assert (tube.east_m, tube.north_m) == (10.0, -3.0)
    assert r.steps[1].name == "regolith_acquisition"


@pytest.mark.parametrize(
    ("crumble", "jam"), [(SYSTEM.failures.crumble_probability, SYSTEM.failures.jam_probability),
                         (0.2, 0.3)]
)  # fmt: skip
def test_failures_happen_at_the_stated_probabilities(crumble, jam):
    system = _with_failures(crumble, jam)
    n = 3000
    counts = dict.fromkeys(Outcome, 0)
    for seed in range(n):
        counts[SampleCache(system).core(200, "sedimentary", _rng(seed), ORIGIN).outcome] += 1
    for outcome, p in ((Outcome.SEALED_ATMOSPHERIC, crumble), (Outcome.DISCARDED_AND_RETRY, jam)):
        tolerance = BINOMIAL_SIGMAS * math.sqrt(n * p * (1 - p))
        assert abs(counts[outcome] - n * p) <= tolerance, (outcome, counts[outcome], n * p)
    assert (
        counts[Outcome.SEALED]
        + counts[Outcome.SEALED_ATMOSPHERIC]
        + counts[Outcome.DISCARDED_AND_RETRY]
        == n
    )


def test_same_seed_same_outcomes():
    def run(seed):
        cache, rng = SampleCache(_with_failures(0.3, 0.3)), _rng(seed)
        return [cache.core(i, "igneous", rng, ORIGIN).outcome for i in range(20)]

    assert run(5) == run(5)


# -- illegal requests --------------------------------------------------------------------


def test_errors_are_scenario_errors_on_one_line():
    cache = SampleCache()
    r = cache.core(200, "igneous", _rng(), ORIGIN)
    tube_id = r.tube_ids[0]
    with pytest.raises(IllegalTransitionError) as info:
        cache.advance(tube_id, TubeState.SEALED, sol=201, actor="test")
    assert isinstance(info.value, ScenarioError)
    assert "cannot go from STORED to SEALED" in str(info.value)
    assert "\n" not in str(info.value)
    assert cache.tube(tube_id).state is TubeState.STORED
    with pytest.raises(IllegalTransitionError, match="EMPTY, not STORED"):
        cache.deposit([2], [ORIGIN], 653)
    with pytest.raises(SamplingError, match="rock_type"):
        cache.core(200, "basalt", _rng(), ORIGIN)
    with pytest.raises(IllegalTransitionError, match="witness tube is never cored"):
        cache.advance(39, TubeState.CORED, sol=1, actor="test", sample_type="igneous")
    with pytest.raises(IllegalTransitionError, match=r"outside 0\.\.99999"):
        cache.core(-1, "igneous", _rng(), ORIGIN)
    assert cache.tube(2).state is TubeState.EMPTY
    with pytest.raises(IllegalTransitionError, match="only a witness tube"):
        cache.advance(3, TubeState.SEALED, sol=1, actor="test")


def test_deposit_is_all_or_nothing():
    cache = SampleCache()
    stored = [cache.core(200 + i, "igneous", _rng(i), ORIGIN).tube_ids[0] for i in range(3)]
    before = [(t.state, len(t.custody)) for t in cache.tubes]
    with pytest.raises(IllegalTransitionError):
        cache.deposit([*stored, 30], np.zeros((4, 2)), 653)
    with pytest.raises(SamplingError, match="repeat"):
        cache.deposit([stored[0], stored[0]], np.zeros((2, 2)), 653)
    with pytest.raises(SamplingError, match="shape"):
        cache.deposit(stored, np.zeros((2, 2)), 653)
    assert [(t.state, len(t.custody)) for t in cache.tubes] == before


def test_tubes_run_out():
    cache = SampleCache(_with_failures(0.0, 0.0))
    for i in range(38):
        cache.core(i, "igneous", _rng(i), ORIGIN)
    with pytest.raises(NoTubeLeftError, match="no empty sample tube"):
        cache.sample_regolith(99, ORIGIN)
    for _ in range(5):
        cache.witness(100, ORIGIN)
    with pytest.raises(NoTubeLeftError):
        cache.witness(101, ORIGIN)
    assert [int(t.designation[-2:]) for t in cache.tubes] == list(range(1, 44))


def test_reprs():
    cache = SampleCache()
    assert repr(cache) == "SampleCache(43 tubes: 43 empty)"
    cache.witness(120, ORIGIN, name="Witness 1")
    assert repr(cache) == "SampleCache(43 tubes: 42 empty, 1 stored)"
    assert repr(cache.tube(39)) == "Tube(39, witness, STORED, witness, M2020-00120-01, Witness 1)"
    assert repr(cache.tube(1)) == "Tube(1, sample, EMPTY)"


# -- the state machine under random operations -------------------------------------------

WITH_SAMPLE = {TubeState.SEALED, TubeState.STORED, TubeState.DEPOSITED}


class CacheMachine(RuleBasedStateMachine):
    """Random operations never move a tube back, seal twice, or lose or make a sample."""

    def __init__(self):
        super().__init__()
        self.cache = SampleCache(_with_failures(0.15, 0.15))
        self.sol = 0
        self.samples = 0
        self.deposited = 0
        self.designations: dict[int, str] = {}

    def _has_empty(self, kind):
        return any(t.kind == kind and t.state is TubeState.EMPTY for t in self.cache.tubes)

    @rule(days=st.integers(0, 40))
    def next_sols(self, days):
        self.sol += days

    @rule(rock=st.sampled_from(ROCK_TYPES), seed=st.integers(0, 2**32 - 1), keep=st.booleans())
    def core(self, rock, seed, keep):
        if not self._has_empty("sample"):
            with pytest.raises(NoTubeLeftError):
                self.cache.core(self.sol, rock, _rng(seed), ORIGIN)
            return
        r = self.cache.core(self.sol, rock, _rng(seed), ORIGIN, keep_crumbled_as_atmospheric=keep)
        self.samples += r.outcome in (Outcome.SEALED, Outcome.SEALED_ATMOSPHERIC)

    @rule()
    def regolith(self):
        if not self._has_empty("sample"):
            with pytest.raises(NoTubeLeftError):
                self.cache.sample_regolith(self.sol, ORIGIN)
            return
        self.cache.sample_regolith(self.sol, ORIGIN)
        self.samples += 1

    @rule()
    def witness(self):
        if not self._has_empty("witness"):
            with pytest.raises(NoTubeLeftError):
                self.cache.witness(self.sol, ORIGIN)
            return
        self.cache.witness(self.sol, ORIGIN)
        self.samples += 1

    @precondition(lambda self: self.cache.in_state(TubeState.STORED))
    @rule(data=st.data())
    def deposit(self, data):
        stored = [t.id for t in self.cache.in_state(TubeState.STORED)]
        ids = data.draw(st.lists(st.sampled_from(stored), min_size=1, unique=True))
        before = len(self.cache.in_state(TubeState.DEPOSITED))
        r = self.cache.deposit(ids, np.arange(2.0 * len(ids)).reshape(-1, 2), self.sol)
        assert len(self.cache.in_state(TubeState.DEPOSITED)) == before + len(ids)
        assert r.tube_ids == tuple(ids)
        self.deposited += len(ids)

    @rule(
        tube_id=st.integers(1, 43),
        to_state=st.sampled_from(TubeState),
        sample_type=st.sampled_from([None, "igneous", "regolith", "witness"]),
    )
    def advance(self, tube_id, to_state, sample_type):
        tube = self.cache.tube(tube_id)
        old, n_events = tube.state, len(tube.custody)
        try:
            self.cache.advance(
                tube_id, to_state, sol=self.sol, actor="test", sample_type=sample_type
            )
        except IllegalTransitionError:
            assert (tube.state, len(tube.custody)) == (old, n_events)
            return
        assert to_state in TRANSITIONS[old] and to_state > old
        self.samples += to_state is TubeState.SEALED
        self.deposited += to_state is TubeState.DEPOSITED

    @invariant()
    def never_backwards_and_chained(self):
        for tube in self.cache.tubes:
            state = TubeState.EMPTY
            for e in tube.custody:
                assert e.tube_id == tube.id
                assert e.from_state == state and e.to_state > e.from_state
                assert e.to_state in TRANSITIONS[e.from_state]
                state = e.to_state
            assert state == tube.state
            assert sum(e.to_state is TubeState.SEALED for e in tube.custody) <= 1

    @invariant()
    def samples_conserved(self):
        tubes = self.cache.tubes
        assert len(tubes) == 43
        assert sum(t.state in WITH_SAMPLE for t in tubes) == self.samples
        assert len(self.cache.in_state(TubeState.DEPOSITED)) == self.deposited

    @invariant()
    def designations_unique_well_formed_and_fixed(self):
        named = {t.id: t.designation for t in self.cache.tubes if t.designation}
        assert set(named) == {t.id for t in self.cache.tubes if t.state in WITH_SAMPLE}
        assert sorted(int(d[-2:]) for d in named.values()) == list(range(1, len(named) + 1))
        for tube_id, d in named.items():
            assert DESIGNATION.match(d)
            assert int(d[6:11]) == self.cache.tube(tube_id).acquired_sol
        for tube_id, d in self.designations.items():
            assert named[tube_id] == d
        self.designations = named


CacheMachine.TestCase.settings = settings(max_examples=60, stateful_step_count=60, deadline=None)
TestCacheMachine = CacheMachine.TestCase


def test_scripted_failures_keep_the_random_sequence():
    """A scenario can force the failure it scripts; the draw still happens."""
    rng_a, rng_b = np.random.default_rng(5), np.random.default_rng(5)
    cache = SampleCache()
    jammed = cache.core(200, "igneous", rng_a, (0.0, 0.0), failure="jam")
    assert jammed.outcome.value == "discarded_and_retry"
    crumbled = cache.core(201, "igneous", rng_a, (0.0, 0.0), failure="crumble")
    assert crumbled.outcome.value == "sealed_atmospheric"
    rng_b.random(2)
    assert rng_a.random() == rng_b.random()


def test_time_never_goes_backwards():
    cache = SampleCache()
    result = cache.core(10, "igneous", np.random.default_rng(0), (0.0, 0.0), failure="none")
    tube = cache.tube(result.tube_ids[0])
    with pytest.raises(IllegalTransitionError, match="time goes backwards"):
        cache.deposit([tube.id], [[5.0, 5.0]], sol=3)
    with pytest.raises(IllegalTransitionError, match="finite"):
        cache.deposit([tube.id], [[float("nan"), 5.0]], sol=30)
