"""Tubes: the one transition check."""

from __future__ import annotations

import itertools

from perseverance.rover.sampling.tubes import TRANSITIONS, TubeState, transition_problem


def test_the_one_check_allows_exactly_the_listed_moves_for_each_kind():
    for kind, (a, b) in itertools.product(
        ("sample", "witness"), itertools.product(TubeState, repeat=2)
    ):
        allowed = b in TRANSITIONS[a]
        if a is TubeState.EMPTY and b is TubeState.SEALED:
            allowed = kind == "witness"
        if a is TubeState.EMPTY and b is TubeState.CORED:
            allowed = kind == "sample"
        assert (transition_problem(kind, a, b) is None) == allowed, (kind, a, b)
    assert "one stage at a time" in transition_problem("sample", TubeState.STORED, TubeState.SEALED)
