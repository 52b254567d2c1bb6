"""The front door: the few names a user of the library needs.

>>> from perseverance.api import fly_edl, monte_carlo
>>> result = fly_edl("m2020")             # doctest: +SKIP
>>> campaign = monte_carlo("m2020", 2000)  # doctest: +SKIP
"""

from perseverance.edl.api import fly_edl, monte_carlo, prepare_edl
from perseverance.edl.results import CampaignResult, EdlResult
from perseverance.edl.status import Status
from perseverance.edl.vehicle import Vehicle, load_vehicle
from perseverance.errors import ConfigError, PerseveranceError, ScenarioError
from perseverance.mars.time import mars_clock
from perseverance.terrain.site import load_site

__all__ = [
    "CampaignResult",
    "ConfigError",
    "EdlResult",
    "PerseveranceError",
    "ScenarioError",
    "Status",
    "Vehicle",
    "fly_edl",
    "load_site",
    "load_vehicle",
    "mars_clock",
    "monte_carlo",
    "prepare_edl",
]
