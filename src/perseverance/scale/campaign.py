"""A Monte Carlo campaign flown in this process or on Dask, chosen by ``workers`` or
``scheduler`` (Dask is imported only when one is given)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from perseverance.edl import api as edl_api
from perseverance.edl.results import CampaignResult
from perseverance.edl.system import EdlSystem
from perseverance.edl.vehicle import Vehicle


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
    backend: str | None = None,
) -> CampaignResult:
    """Fly ``n`` dispersed runs (run 0 nominal) and summarise them.

    ``trigger`` overrides the parachute trigger (``"range"`` or ``"velocity"``);
    ``workers`` runs on a local Dask cluster, ``scheduler`` on an existing one;
    ``backend`` chooses the RK4 step (resolved here; Dask workers fly the same one).
    """
    edl_api.check_campaign(n, workers)
    fly = partial(
        edl_api.fly_campaign, vehicle, n, seed=seed, trigger=trigger, system=system,
        on_chunk=on_chunk, backend=backend,
    )  # fmt: skip
    if not (workers or scheduler):
        return fly()
    from perseverance.scale import cluster

    mapper = cluster.dask_mapper(workers=workers, scheduler=scheduler)
    return fly(map_chunks=mapper, chunk_runs=cluster.CHUNK_RUNS)
