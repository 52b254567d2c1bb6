"""The EDL front door: prepare a vehicle, fly it once, or fly a Monte Carlo campaign.

>>> from perseverance.edl.api import fly_edl
>>> result = fly_edl("m2020")                      # doctest: +SKIP
>>> result.status.label, result.touchdown()["lmst"]  # doctest: +SKIP
('landed', '15:4...')
"""

from __future__ import annotations

from collections.abc import Callable

from perseverance.edl.backend import resolve_backend
from perseverance.edl.montecarlo import CHUNK_RUNS, ChunkMapper, map_in_process, run_campaign
from perseverance.edl.reference import build_system
from perseverance.edl.results import CampaignResult, EdlResult
from perseverance.edl.runs import RunInputs
from perseverance.edl.sequence import TELEMETRY_STEPS, fly, parachute_trigger
from perseverance.edl.system import EdlSystem
from perseverance.edl.vehicle import Vehicle, load_vehicle
from perseverance.errors import ScenarioError

#: Largest campaign accepted in one call (memory bound of the per-run table on 24 GiB).
MAX_RUNS = 10_000_000


def prepare_edl(
    vehicle: str | Vehicle = "m2020", *, terrain_seed: int = 0, use_cache: bool = True
) -> EdlSystem:
    """Load a vehicle (name or TOML path), build its site, target its entry and guidance
    (from the disk cache of `perseverance.edl.setup_cache` unless ``use_cache`` is False)."""
    v = load_vehicle(vehicle) if isinstance(vehicle, str) else vehicle
    return build_system(v, terrain_seed, use_cache=use_cache)


def fly_edl(
    vehicle: str | Vehicle = "m2020",
    *,
    seed: int = 0,
    trigger: str | None = None,
    system: EdlSystem | None = None,
    backend: str | None = None,
) -> EdlResult:
    """Fly the nominal trajectory (no dispersions) with 10 Hz telemetry over terrain ``seed``;
    ``trigger`` overrides the parachute trigger (``"range"`` or ``"velocity"``); ``backend``
    chooses the RK4 step (`perseverance.edl.backend`)."""
    _check_trigger(trigger)
    system = system or prepare_edl(vehicle, terrain_seed=seed)
    assert system.entry_state is not None  # prepare_edl targets every system
    flight = fly(
        system,
        RunInputs.nominal(system.entry_state),
        TELEMETRY_STEPS,
        deploy_on_velocity=None if trigger is None else trigger == "velocity",
        record_telemetry=True,
        backend=backend,
    )
    return EdlResult(system, flight)


def fly_campaign(
    vehicle: str | Vehicle = "m2020",
    n: int = 2000,
    *,
    seed: int = 0,
    trigger: str | None = None,
    system: EdlSystem | None = None,
    on_chunk: Callable[[int], None] | None = None,
    map_chunks: ChunkMapper = map_in_process,
    chunk_runs: int = CHUNK_RUNS,
    backend: str | None = None,
) -> CampaignResult:
    """Fly ``n`` dispersed runs (run 0 nominal) and summarise them.

    ``trigger`` overrides the parachute trigger (``"range"`` or ``"velocity"``);
    ``map_chunks`` flies the chunks of ``chunk_runs`` runs (in this process by default).
    """
    check_campaign(n)
    _check_trigger(trigger)
    system = system or prepare_edl(vehicle, terrain_seed=seed)
    on_velocity = None if trigger is None else trigger == "velocity"
    chosen = resolve_backend(backend)
    table = run_campaign(
        system,
        n,
        seed,
        deploy_on_velocity=on_velocity,
        on_chunk=on_chunk,
        map_chunks=map_chunks,
        chunk_runs=chunk_runs,
        backend=chosen,
    )
    return CampaignResult(system, table, seed, parachute_trigger(system, on_velocity), chosen)


def _check_trigger(trigger: str | None) -> None:
    if trigger not in (None, "range", "velocity"):
        raise ScenarioError(f"trigger = {trigger!r} is not one of range, velocity")


def check_campaign(n: int, workers: int | None = None) -> None:
    """Raise `ScenarioError` for a campaign size or worker count out of range."""
    if not 1 <= n <= MAX_RUNS:
        raise ScenarioError(f"--monte-carlo N = {n} is out of range (1..{MAX_RUNS:,})")
    if workers is not None and workers < 1:
        raise ScenarioError(f"--workers = {workers} is out of range (1 or more processes)")
