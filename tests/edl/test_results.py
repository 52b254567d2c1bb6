"""How results print: pinned reprs and the JSON document's shape."""

from __future__ import annotations

import re

from perseverance.api import monte_carlo


def test_flight_repr(m2020_nominal):
    assert re.fullmatch(
        r"<EdlResult Mars 2020 \(Perseverance\): landed, touchdown T\+\d+\.\d s at 0\.\d\d m/s>",
        repr(m2020_nominal),
    )


def test_campaign_repr(msl):
    campaign = monte_carlo(n=20, seed=1, system=msl)
    assert re.fullmatch(
        r"<CampaignResult Mars Science Laboratory \(Curiosity\): 20 runs, \d+\.\d\d% landed, "
        r"99% ellipse \d+\.\d x \d+\.\d km>",
        repr(campaign),
    )


def test_json_document(m2020_nominal):
    doc = m2020_nominal.to_dict()
    assert set(doc) == {"vehicle", "status", "events", "touchdown", "backend"}
    assert doc["touchdown"]["lmst"].count(":") == 2


def test_systems_and_results_print_one_line(m2020, m2020_nominal):
    from perseverance.mission.state import MissionState

    state = MissionState(sol=3, battery_j=1e7, east_m=-12.0, north_m=1500.0)
    for thing in (m2020, m2020_nominal, m2020_nominal.flight, state):
        text = repr(thing)
        assert "\n" not in text and len(text) < 200, text
    assert repr(m2020).startswith("<EdlSystem Mars 2020")
    assert repr(m2020_nominal.flight) == "<FlightResult 1 runs: landed 1; with telemetry>"
