"""The cache: operations, the midnight rule, failures, illegal requests, random runs."""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pytest
from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from perseverance.errors import ScenarioError
from perseverance.mars.constants import LMST_HOUR_S
from perseverance.rover.sampling.cache import SampleCache
from perseverance.rover.sampling.procedures import FAILURES, Outcome
from perseverance.rover.sampling.tubes import (
    DESIGNATION,
    ROCK_TYPES,
    TRANSITIONS,
    IllegalTransitionError,
    NoTubeLeftError,
    SamplingError,
    TubeState,
)

from .conftest import ORIGIN, SYSTEM, generator, stored, with_failures

#: How many binomial standard deviations a failure count may stray from its mean.
BINOMIAL_SIGMAS = 4.0


# -- the clock: no operation runs past midnight -------------------------------------------


def _operation(cache, op, rng, lmst, tubes=()):
    """Run ``op`` on sol 300 from ``lmst`` [h]; deposit drops ``tubes``."""
    if op == "core":
        return cache.core(300, "sedimentary", rng, ORIGIN, lmst_hours=lmst)
    if op == "regolith":
        return cache.sample_regolith(300, ORIGIN, lmst_hours=lmst)
    if op == "witness":
        return cache.witness(300, ORIGIN, lmst_hours=lmst)
    return cache.deposit(tubes, np.ones((len(tubes), 2)), 300, lmst_hours=lmst)


@pytest.mark.parametrize("op", ["core", "regolith", "witness", "deposit"])
def test_no_operation_runs_past_midnight(op):
    cache = SampleCache()
    tubes = stored(cache, 3) if op == "deposit" else []
    planned = cache.planned_duration_s(op, n=len(tubes), failure="random")
    latest = 24 - planned / LMST_HOUR_S
    before, rng = cache.state(), generator(3)
    draws = rng.bit_generator.state
    with pytest.raises(SamplingError) as info:
        _operation(cache, op, rng, latest + 0.01, tubes)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{op} on sol 300 starting at ")
    assert f"takes up to {planned:.0f} s" in message
    assert "past the end of the sol at 24:00 LMST" in message
    assert cache.state() == before and rng.bit_generator.state == draws  # nothing changed
    r = _operation(cache, op, rng, latest - 1e-6, tubes)
    assert all(e.sol == 300 and latest <= e.lmst_hours <= 24 for e in r.events)


def test_midnight_refusal_reads_the_clock():
    with pytest.raises(SamplingError) as info:
        SampleCache().core(300, "sedimentary", generator(), ORIGIN, lmst_hours=23.0)
    assert str(info.value) == (
        "core on sol 300 starting at 23:00 LMST takes up to 18005 s (4.87 LMST hours) and "
        "would end at 27:52 LMST, past the end of the sol at 24:00 LMST: start by 19:07 LMST "
        "or on another sol"
    )


def test_a_random_core_is_refused_on_its_longest_path():
    """A jam path is longer than the sealed one; a random core must fit it whatever the draw."""
    nominal = SampleCache().planned_duration_s("core")
    jam = SampleCache().planned_duration_s("core", failure="jam")
    assert jam > nominal  # with the shipped data: discard (1 h) > handling (32 min)
    start = 24 - (nominal + jam) / 2 / LMST_HOUR_S  # the sealed path fits, a jam would not
    with pytest.raises(SamplingError, match="24:00 LMST"):
        SampleCache().core(300, "igneous", generator(), ORIGIN, lmst_hours=start)
    r = SampleCache().core(300, "igneous", generator(), ORIGIN, lmst_hours=start, failure="none")
    assert r.outcome is Outcome.SEALED
    # no jam possible: the longest random path is the sealed one
    r = SampleCache(with_failures(0.2, 0.0)).core(
        300, "igneous", generator(), ORIGIN, lmst_hours=start
    )
    assert r.outcome in (Outcome.SEALED, Outcome.SEALED_ATMOSPHERIC)


@pytest.mark.parametrize(
    ("kw", "expected"),
    [
        ({"sol": -1}, r"sol -1 is not a whole number in 0\.\.99999"),
        ({"sol": 2.5}, "sol 2.5 is not a whole number"),
        ({"lmst_hours": 24.0}, r"lmst_hours 24.0 is not a number in \[0, 24\)"),
        ({"lmst_hours": -0.5}, "lmst_hours -0.5"),
        ({"lmst_hours": float("nan")}, "lmst_hours nan"),
        ({"position": (float("inf"), 0.0)}, "not a pair of finite numbers"),
        ({"position": (1.0, 2.0, 3.0)}, "not a pair of finite numbers"),
    ],
)
@pytest.mark.parametrize("op", ["core", "regolith", "witness"])
def test_bad_starts_are_refused_before_anything_changes(op, kw, expected):
    cache, rng = SampleCache(), generator()
    before, draws = cache.state(), rng.bit_generator.state
    args = {"sol": 10, "position": ORIGIN, "lmst_hours": 9.0} | kw
    with pytest.raises(SamplingError, match=expected) as info:
        if op == "core":
            cache.core(args.pop("sol"), "igneous", rng, args.pop("position"), **args)
        elif op == "regolith":
            cache.sample_regolith(args.pop("sol"), args.pop("position"), **args)
        else:
            cache.witness(args.pop("sol"), args.pop("position"), **args)
    assert "\n" not in str(info.value)
    assert cache.state() == before and rng.bit_generator.state == draws


def test_advance_checks_the_clock_too():
    cache = SampleCache()
    with pytest.raises(IllegalTransitionError, match="lmst_hours 25"):
        cache.advance(39, TubeState.SEALED, sol=1, actor="test", lmst_hours=25)
    ev = cache.advance(39, TubeState.SEALED, sol=np.int64(1), actor="t", lmst_hours=np.float64(24))
    assert type(ev.sol) is int and type(ev.lmst_hours) is float  # JSON-ready


def test_deposit_checks_time_order_for_all_tubes_up_front():
    cache = SampleCache()
    early = stored(cache, 1, sol=200)[0]
    late = cache.core(210, "igneous", generator(), ORIGIN, lmst_hours=9.0, failure="none")
    late_id, last = late.tube_ids[0], late.events[-1].lmst_hours
    before = cache.state()
    with pytest.raises(IllegalTransitionError) as info:
        cache.deposit([early, late_id], np.ones((2, 2)), 210, lmst_hours=9.0)
    assert f"tube {late_id} (M2020-00210-02) cannot go from STORED to DEPOSITED on sol 210" in str(
        info.value
    )
    assert "time goes backwards" in str(info.value)
    assert cache.state() == before  # the earlier tube in the list was not dropped either
    # each tube is checked at its own drop time: drop, image, then the second drop
    d = SYSTEM.depot
    start = last - (d.drop.total_s + d.watson_image.total_s) / LMST_HOUR_S
    # first drop: 5 min before `last`; second drop: 10 min after it
    with pytest.raises(IllegalTransitionError, match="time goes backwards"):
        cache.deposit([late_id, early], np.ones((2, 2)), 210, lmst_hours=start)
    r = cache.deposit([early, late_id], np.ones((2, 2)), 210, lmst_hours=start)
    assert r.events[1].lmst_hours >= last


def test_witness_then_crumbled_core_as_on_sols_120_and_164():
    cache = SampleCache(with_failures(crumble=1.0, jam=0.0))
    w = cache.witness(120, ORIGIN, name="Witness 1")
    r = cache.core(164, "igneous", generator(), ORIGIN, name="Roubion")
    assert r.outcome is Outcome.SEALED_ATMOSPHERIC
    assert cache.tube(w.tube_ids[0]).designation == "M2020-00120-01"
    roubion = cache.tube(r.tube_ids[0])
    assert (roubion.sample_type, roubion.designation) == ("atmospheric", "M2020-00164-02")
    assert cache.by_designation("M2020-00164-02") is roubion
    assert cache.tube(w.tube_ids[0]).kind == "witness"


def test_jam_discards_the_core_and_the_retry_takes_the_next_number():
    cache = SampleCache(with_failures(crumble=0.0, jam=1.0))
    r = cache.core(306, "igneous", generator(), ORIGIN, name="Issole")
    assert r.outcome is Outcome.DISCARDED_AND_RETRY
    assert r.steps[-1].name == "discard"
    issole = cache.tube(r.tube_ids[0])
    assert issole.state is TubeState.DISCARDED
    assert issole.designation is None and not issole.has_sample
    cache.system = with_failures(crumble=0.0, jam=0.0)
    malay = cache.core(337, "igneous", generator(), ORIGIN, name="Malay")
    assert malay.outcome is Outcome.SEALED
    assert cache.tube(malay.tube_ids[0]).designation == "M2020-00337-01"
    assert malay.tube_ids[0] != issole.id


def test_crumbled_core_can_be_refused():
    cache = SampleCache(with_failures(crumble=1.0, jam=0.0, keep=False))
    r = cache.core(164, "igneous", generator(), ORIGIN)
    assert r.outcome is Outcome.CRUMBLED_DISCARDED
    assert cache.tube(r.tube_ids[0]).state is TubeState.DISCARDED
    r = SampleCache(with_failures(1.0, 0.0, keep=True)).core(
        164, "igneous", generator(), ORIGIN, keep_crumbled_as_atmospheric=False
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
    system = with_failures(crumble, jam)
    n = 3000
    counts = dict.fromkeys(Outcome, 0)
    for seed in range(n):
        counts[SampleCache(system).core(200, "sedimentary", generator(seed), ORIGIN).outcome] += 1
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
        cache, rng = SampleCache(with_failures(0.3, 0.3)), generator(seed)
        return [cache.core(i, "igneous", rng, ORIGIN).outcome for i in range(20)]

    assert run(5) == run(5)


# -- illegal requests --------------------------------------------------------------------


def test_errors_are_scenario_errors_on_one_line():
    cache = SampleCache()
    r = cache.core(200, "igneous", generator(), ORIGIN)
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
        cache.core(200, "basalt", generator(), ORIGIN)
    with pytest.raises(IllegalTransitionError, match="witness tube is never cored"):
        cache.advance(39, TubeState.CORED, sol=1, actor="test", sample_type="igneous")
    with pytest.raises(SamplingError, match=r"not a whole number in 0\.\.99999"):
        cache.core(-1, "igneous", generator(), ORIGIN)
    assert cache.tube(2).state is TubeState.EMPTY
    with pytest.raises(IllegalTransitionError, match="only a witness tube"):
        cache.advance(3, TubeState.SEALED, sol=1, actor="test")


def test_deposit_is_all_or_nothing():
    cache = SampleCache()
    stored = [cache.core(200 + i, "igneous", generator(i), ORIGIN).tube_ids[0] for i in range(3)]
    before = [(t.state, len(t.custody)) for t in cache.tubes]
    with pytest.raises(IllegalTransitionError):
        cache.deposit([*stored, 30], np.zeros((4, 2)), 653)
    with pytest.raises(SamplingError, match="repeat"):
        cache.deposit([stored[0], stored[0]], np.zeros((2, 2)), 653)
    with pytest.raises(SamplingError, match="shape"):
        cache.deposit(stored, np.zeros((2, 2)), 653)
    assert [(t.state, len(t.custody)) for t in cache.tubes] == before


def test_tubes_run_out():
    cache = SampleCache(with_failures(0.0, 0.0))
    for i in range(38):
        cache.core(i, "igneous", generator(i), ORIGIN)
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
OPERATIONS_SYSTEM = with_failures(0.15, 0.15)


class CacheMachine(RuleBasedStateMachine):
    """Random operations on increasing sols and LMST never move a tube back, seal twice,
    lose or make a sample, run past midnight, or break the JSON round trip."""

    def __init__(self):
        super().__init__()
        self.cache = SampleCache(OPERATIONS_SYSTEM)
        self.sol, self.lmst = 0, 8.0
        self.samples = 0
        self.deposited = 0
        self.designations: dict[int, str] = {}

    def _has_empty(self, kind):
        return any(t.kind == kind and t.state is TubeState.EMPTY for t in self.cache.tubes)

    def _attempt(self, call, planned_s, timed, kind=None, rng=None):
        """Run ``call(lmst)``; check refusals change nothing and the clock moves on."""
        lmst = self.lmst if timed else None
        late = timed and lmst + planned_s / LMST_HOUR_S > 24
        no_tube = kind is not None and not self._has_empty(kind)
        before = self.cache.state()
        draws = rng.bit_generator.state if rng is not None else None
        event(f"late={late}, no_tube={no_tube}")
        if late or no_tube:
            with pytest.raises(SamplingError) as info:
                call(lmst)
            if not no_tube:
                assert "past the end of the sol at 24:00 LMST" in str(info.value)
            if not late:
                assert isinstance(info.value, NoTubeLeftError)
            assert self.cache.state() == before
            assert rng is None or rng.bit_generator.state == draws
            return None
        r = call(lmst)
        assert r.duration_s <= planned_s
        if timed:
            assert all(e.sol == self.sol and lmst <= e.lmst_hours <= 24 for e in r.events)
            self.lmst = lmst + r.duration_s / LMST_HOUR_S
            if self.lmst >= 24:  # ended at midnight: carry on next sol
                self.sol, self.lmst = self.sol + 1, 0.0
        return r

    @rule(days=st.integers(1, 40), start=st.floats(0, 23.5))
    def next_sols(self, days, start):
        self.sol, self.lmst = self.sol + days, start

    @rule(hours=st.floats(0, 12))
    def wait(self, hours):
        self.lmst = min(self.lmst + hours, 23.99)

    @rule(
        rock=st.sampled_from(ROCK_TYPES),
        seed=st.integers(0, 2**32 - 1),
        keep=st.booleans(),
        failure=st.sampled_from(FAILURES),
        timed=st.booleans(),
    )
    def core(self, rock, seed, keep, failure, timed):
        planned = self.cache.planned_duration_s(
            "core", failure=failure, keep_crumbled_as_atmospheric=keep
        )
        twin = SampleCache.from_state(json.loads(json.dumps(self.cache.state())), OPERATIONS_SYSTEM)
        start = self.lmst if timed else None

        def call(cache, rng, lmst):
            return cache.core(
                self.sol,
                rock,
                rng,
                ORIGIN,
                lmst_hours=lmst,
                keep_crumbled_as_atmospheric=keep,
                failure=failure,
            )

        rng = generator(seed)
        r = self._attempt(lambda lmst: call(self.cache, rng, lmst), planned, timed, "sample", rng)
        if r is None:
            return
        # a cache rebuilt from the JSON state does exactly the same with the same draw
        assert call(twin, generator(seed), start) == r
        assert twin.state() == self.cache.state()
        self.samples += r.outcome in (Outcome.SEALED, Outcome.SEALED_ATMOSPHERIC)
        forced = {
            "none": Outcome.SEALED,
            "jam": Outcome.DISCARDED_AND_RETRY,
            "crumble": Outcome.SEALED_ATMOSPHERIC if keep else Outcome.CRUMBLED_DISCARDED,
        }
        if failure != "random":
            assert r.outcome is forced[failure] and r.duration_s == planned

    @rule(timed=st.booleans())
    def regolith(self, timed):
        r = self._attempt(
            lambda lmst: self.cache.sample_regolith(self.sol, ORIGIN, lmst_hours=lmst),
            self.cache.planned_duration_s("regolith"),
            timed,
            "sample",
        )
        self.samples += r is not None

    @rule(timed=st.booleans())
    def witness(self, timed):
        r = self._attempt(
            lambda lmst: self.cache.witness(self.sol, ORIGIN, lmst_hours=lmst),
            self.cache.planned_duration_s("witness"),
            timed,
            "witness",
        )
        self.samples += r is not None

    @precondition(lambda self: self.cache.in_state(TubeState.STORED))
    @rule(data=st.data(), timed=st.booleans())
    def deposit(self, data, timed):
        stored = [t.id for t in self.cache.in_state(TubeState.STORED)]
        ids = data.draw(st.lists(st.sampled_from(stored), min_size=1, unique=True))
        before = len(self.cache.in_state(TubeState.DEPOSITED))
        sites = np.arange(2.0 * len(ids)).reshape(-1, 2)
        r = self._attempt(
            lambda lmst: self.cache.deposit(ids, sites, self.sol, lmst_hours=lmst),
            self.cache.planned_duration_s("deposit", n=len(ids)),
            timed,
        )
        dropped = 0 if r is None else len(ids)
        assert len(self.cache.in_state(TubeState.DEPOSITED)) == before + dropped
        assert r is None or r.tube_ids == tuple(ids)
        self.deposited += dropped

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
    def custody_in_time_order(self):
        for tube in self.cache.tubes:
            for a, b in itertools.pairwise(tube.custody):
                assert a.sol <= b.sol
                if a.sol == b.sol and None not in (a.lmst_hours, b.lmst_hours):
                    assert a.lmst_hours <= b.lmst_hours
            assert all(e.lmst_hours is None or 0 <= e.lmst_hours <= 24 for e in tube.custody)

    @invariant()
    def samples_conserved(self):
        tubes = self.cache.tubes
        assert len(tubes) == 43
        assert sum(t.state in WITH_SAMPLE for t in tubes) == self.samples
        assert all(t.state in WITH_SAMPLE for t in tubes if t.designation)
        assert len(self.cache.in_state(TubeState.DEPOSITED)) == self.deposited

    @invariant()
    def designations_unique_well_formed_and_fixed(self):
        named = {t.id: t.designation for t in self.cache.tubes if t.designation}
        assert set(named) == {t.id for t in self.cache.tubes if t.state in WITH_SAMPLE}
        assert len(set(named.values())) == len(named)
        assert sorted(int(d[-2:]) for d in named.values()) == list(range(1, len(named) + 1))
        for tube_id, d in named.items():
            assert DESIGNATION.match(d)
            assert int(d[6:11]) == self.cache.tube(tube_id).acquired_sol
        for tube_id, d in self.designations.items():
            assert named[tube_id] == d
        self.designations = named

    @invariant()
    def state_round_trips(self):
        state = self.cache.state()
        again = SampleCache.from_state(json.loads(json.dumps(state)), OPERATIONS_SYSTEM)
        assert again.state() == state
        assert again.tubes == self.cache.tubes


CacheMachine.TestCase.settings = settings(max_examples=50, stateful_step_count=40, deadline=None)
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
    with pytest.raises(SamplingError, match="finite"):
        cache.deposit([tube.id], [[float("nan"), 5.0]], sol=30)
