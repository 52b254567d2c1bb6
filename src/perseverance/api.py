"""The front door: the few names a user of the library needs.

>>> from perseverance.api import fly_edl, monte_carlo
>>> result = fly_edl("m2020")             # doctest: +SKIP
>>> campaign = monte_carlo("m2020", 2000)  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable

from perseverance.edl import api as edl_api
from perseverance.edl.api import fly_edl, prepare_edl
from perseverance.edl.results import CampaignResult, EdlResult
from perseverance.edl.status import Status
from perseverance.edl.system import EdlSystem
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


def monte_carlo(
    vehicle: str | Vehicle = "m2020",
    n: int = 2000,
    *,
    seed: int = 0,
    trigger: str | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    system: EdlSystem | None = None,
    on_chunk: Callable[[int], None] | None = None,
) -> CampaignResult:
    """Fly ``n`` dispersed runs (run 0 nominal) and summarise them.

    ``trigger`` overrides the parachute trigger (``"range"`` or ``"velocity"``);
    ``workers`` runs on a local Dask cluster, ``scheduler`` on an existing one.
    """
    edl_api.check_campaign(n, workers)
    if not (workers or scheduler):
        return edl_api.monte_carlo(
            vehicle, n, seed=seed, trigger=trigger, system=system, on_chunk=on_chunk
        )
    from perseverance.scale import cluster

    return edl_api.monte_carlo(
        vehicle,
        n,
        seed=seed,
        trigger=trigger,
        system=system,
        on_chunk=on_chunk,
        map_chunks=cluster.dask_mapper(workers=workers, scheduler=scheduler),
        chunk_runs=cluster.CHUNK_RUNS,
    )
