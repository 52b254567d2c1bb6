"""Monte Carlo chunks on Dask: a local cluster (``workers``) or an existing one (``scheduler``).

Workers receive a small recipe (the vehicle, the terrain seed, the targeted
entry state and the guidance reference) instead of the assembled system, and
rebuild the terrain once per worker process. Per-run results do not depend on
how the runs are split, so a distributed campaign equals an in-process one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from perseverance.edl.montecarlo import chunks, concatenate, fly_runs
from perseverance.edl.sequence import DEFAULT_STEPS, StepSizes
from perseverance.edl.system import EdlSystem
from perseverance.errors import ClusterError

#: Seconds to wait for a scheduler before giving up.
CONNECT_TIMEOUT_S = 10

_WORKER_SYSTEMS: dict[str, EdlSystem] = {}


@dataclass(frozen=True)
class SystemRecipe:
    """What a worker needs to rebuild an `EdlSystem` without re-targeting."""

    vehicle_json: str
    terrain_seed: int
    entry_state: np.ndarray
    reference: object

    @classmethod
    def of(cls, system: EdlSystem) -> SystemRecipe:
        return cls(
            system.vehicle.model_dump_json(),
            system.terrain_seed,
            system.entry_state,
            system.reference,
        )

    def build(self) -> EdlSystem:
        """The system, assembled once per worker process and then reused."""
        key = f"{hash(self.vehicle_json)}:{self.terrain_seed}:{self.entry_state.tobytes().hex()}"
        if key not in _WORKER_SYSTEMS:
            from perseverance.edl.vehicle import Vehicle

            vehicle = Vehicle.model_validate_json(self.vehicle_json)
            system = EdlSystem.assemble(vehicle, self.terrain_seed)
            system.entry_state = self.entry_state
            system.reference = self.reference
            _WORKER_SYSTEMS[key] = system
        return _WORKER_SYSTEMS[key]


def _fly_chunk(
    recipe: SystemRecipe,
    seed: int,
    start: int,
    stop: int,
    steps: StepSizes,
    deploy_on_velocity: bool | None,
):
    return fly_runs(recipe.build(), seed, start, stop, steps, deploy_on_velocity=deploy_on_velocity)


def run_on_dask(
    system: EdlSystem,
    n: int,
    seed: int,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    steps: StepSizes = DEFAULT_STEPS,
    deploy_on_velocity: bool | None = None,
    chunk_runs: int = 1000,
    on_chunk: Callable[[int], None] | None = None,
) -> dict[str, np.ndarray]:
    """Fly ``n`` runs on a local Dask cluster of ``workers`` processes, or on the
    cluster at ``scheduler`` (an address such as ``tcp://host:8786``)."""
    try:
        from dask.distributed import Client, LocalCluster, as_completed
    except ImportError as exc:  # pragma: no cover - dask is a dependency
        raise ClusterError(f"Dask is not installed ({exc})") from None
    cluster = None
    try:
        if scheduler:
            client = Client(scheduler, timeout=CONNECT_TIMEOUT_S)
        else:
            cluster = LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
            )
            client = Client(cluster)
    except (OSError, TimeoutError, ValueError) as exc:
        where = scheduler or f"a local cluster of {workers} workers"
        raise ClusterError(f"cannot reach the Dask scheduler at {where}: {exc}") from None
    try:
        recipe = client.scatter(SystemRecipe.of(system), broadcast=True)
        futures = [
            client.submit(_fly_chunk, recipe, seed, a, b, steps, deploy_on_velocity, pure=False)
            for a, b in chunks(n, chunk_runs)
        ]
        parts = []
        for future in as_completed(futures):
            part = future.result()
            parts.append(part)
            if on_chunk:
                on_chunk(part["run"].size)
        return concatenate(parts)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
