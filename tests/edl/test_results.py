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
    assert set(doc) == {"vehicle", "status", "events", "touchdown"}
    assert doc["touchdown"]["lmst"].count(":") == 2
