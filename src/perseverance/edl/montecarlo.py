"""Monte Carlo campaigns: many dispersed runs, a per-run table and its statistics.

A campaign of N runs is cut into chunks of run indices; each chunk draws its
own inputs (`perseverance.edl.dispersions`, reproducible per run) and flies
them as one batch. A chunk mapper decides where the chunks fly: in this process
by default (`map_in_process`), or wherever the caller's mapper sends them (a
Dask cluster, for one); the per-run results are the same either way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from perseverance.edl.backend import resolve_backend
from perseverance.edl.dispersions import sample_runs
from perseverance.edl.sequence import DEFAULT_STEPS, StepSizes, fly
from perseverance.edl.status import Status
from perseverance.edl.system import EdlSystem

#: Runs per batch: large enough to amortise the per-step Python overhead (about 1 ms a step).
CHUNK_RUNS = 10_000
#: Two-dimensional probability content of the "99%" ellipse.
ELLIPSE_PROBABILITY = 0.99
#: Its scale in standard deviations: the square root of the chi-square quantile with two
#: degrees of freedom, which has the closed form -2 ln(1 - p) (3.035 for p = 0.99).
ELLIPSE_SCALE = float(np.sqrt(-2.0 * np.log1p(-ELLIPSE_PROBABILITY)))
PERCENTILES = (1, 50, 99)

#: A campaign's per-run table: one array per column, one element per run.
RunTable = dict[str, np.ndarray]
#: Run indices ``start <= i < stop`` of a campaign, flown as one batch.
Chunk = tuple[int, int]


def fly_runs(
    system: EdlSystem,
    seed: int,
    start: int,
    stop: int,
    steps: StepSizes = DEFAULT_STEPS,
    *,
    deploy_on_velocity: bool | None = None,
    backend: str | None = None,
) -> RunTable:
    """Fly runs ``start <= i < stop`` of a campaign; return the per-run table (columns)."""
    runs = sample_runs(system, seed, start, stop)
    result = fly(system, runs, steps, deploy_on_velocity=deploy_on_velocity, backend=backend)
    ev, td = result.events, result.touchdown
    return {
        "run": np.arange(start, stop),
        "status": result.status.astype(np.int8),
        "touchdown_east_m": td["east_m"],
        "touchdown_north_m": td["north_m"],
        "touchdown_latitude_deg": td["latitude_deg"],
        "touchdown_longitude_deg": td["longitude_deg"],
        "touchdown_t_s": td["t_s"],
        "touchdown_vertical_speed_mps": td["vertical_speed_mps"],
        "touchdown_horizontal_speed_mps": td["horizontal_speed_mps"],
        "touchdown_tilt_deg": td["tilt_deg"],
        "distance_to_target_m": td["distance_to_target_m"],
        "distance_to_safe_target_m": (  # no Lander Vision System: no safe target
            td["distance_to_safe_target_m"]
            if system.vehicle.sequence.lvs
            else np.full_like(td["distance_to_safe_target_m"], np.nan)
        ),
        "propellant_margin_kg": td["propellant_kg"],
        "flyaway_distance_m": td["flyaway_distance_m"],
        "deploy_t_s": ev["parachute_deploy"]["t_s"],
        "deploy_mach": ev["parachute_deploy"]["mach"],
        "deploy_dynamic_pressure_pa": ev["parachute_deploy"]["dynamic_pressure_pa"],
        "deploy_altitude_m": ev["parachute_deploy"]["altitude_m"],
        "deploy_velocity_mps": ev["parachute_deploy"]["velocity_mps"],
        "peak_g_load": ev["peak_deceleration"]["g_load"],
        "peak_deceleration_t_s": ev["peak_deceleration"]["t_s"],
    }


def chunks(n: int, size: int = CHUNK_RUNS) -> list[Chunk]:
    """Index ranges covering ``range(n)``."""
    return [(a, min(a + size, n)) for a in range(0, n, size)]


def concatenate(tables: list[RunTable]) -> RunTable:
    """Join per-run tables (in run order)."""
    tables = sorted(tables, key=lambda t: int(t["run"][0]))
    return {k: np.concatenate([t[k] for t in tables]) for k in tables[0]}


@dataclass(frozen=True)
class ChunkFlight:
    """What every chunk of one campaign flies: called on a chunk, its per-run table."""

    system: EdlSystem
    seed: int
    steps: StepSizes = DEFAULT_STEPS
    deploy_on_velocity: bool | None = None
    backend: str | None = None  # the RK4 step (`perseverance.edl.backend`; None: auto)

    def __call__(self, chunk: Chunk) -> RunTable:
        start, stop = chunk
        return fly_runs(
            self.system,
            self.seed,
            start,
            stop,
            self.steps,
            deploy_on_velocity=self.deploy_on_velocity,
            backend=self.backend,
        )


#: Flies a campaign's chunks, yielding each chunk's table (in any order) as it finishes.
ChunkMapper = Callable[[ChunkFlight, Sequence[Chunk]], Iterable[RunTable]]


def map_in_process(flight: ChunkFlight, ranges: Sequence[Chunk]) -> Iterator[RunTable]:
    """The chunks flown one after the other in this process."""
    return map(flight, ranges)


def run_campaign(
    system: EdlSystem,
    n: int,
    seed: int,
    *,
    steps: StepSizes = DEFAULT_STEPS,
    deploy_on_velocity: bool | None = None,
    on_chunk: Callable[[int], None] | None = None,
    map_chunks: ChunkMapper = map_in_process,
    chunk_runs: int = CHUNK_RUNS,
    backend: str | None = None,
) -> RunTable:
    """Fly ``n`` runs in chunks of ``chunk_runs`` through ``map_chunks``;
    ``on_chunk(runs_done)`` reports each finished chunk."""
    # resolved here, so every chunk (on Dask too) flies the same step
    flight = ChunkFlight(system, seed, steps, deploy_on_velocity, resolve_backend(backend))
    parts = []
    tables = map_chunks(flight, chunks(n, chunk_runs))
    try:
        for part in tables:
            parts.append(part)
            if on_chunk:
                on_chunk(int(part["run"].size))
    finally:
        close = getattr(tables, "close", None)
        if close is not None:  # a generator mapper: shut its cluster down now, not at exit
            close()
    return concatenate(parts)


@dataclass(frozen=True)
class Ellipse:
    """A landing ellipse in the site's east/north plane [m]; azimuth of the major axis
    [deg clockwise from north, 0-180)."""

    centre_east_m: float
    centre_north_m: float
    semi_major_m: float
    semi_minor_m: float
    azimuth_deg: float

    def as_dict(self) -> dict[str, float]:
        return {k: round(float(v), 3) for k, v in self.__dict__.items()}


def landing_ellipse(east: np.ndarray, north: np.ndarray, scale: float) -> Ellipse:
    """Ellipse of the touchdown points' covariance, semi-axes ``scale`` x the standard
    deviations along the principal axes."""
    cov = np.cov(np.stack([east, north]))
    w, vec = np.linalg.eigh(cov)
    major = vec[:, 1]
    azimuth = np.degrees(np.arctan2(major[0], major[1])) % 180.0
    return Ellipse(
        float(east.mean()),
        float(north.mean()),
        scale * np.sqrt(w[1]),
        scale * np.sqrt(w[0]),
        float(azimuth),
    )


def summarize(table: dict[str, np.ndarray]) -> dict:
    """Campaign statistics: ellipses, success rate, status counts and percentiles."""
    status = table["status"]
    n = int(status.size)
    touched = np.isfinite(table["touchdown_east_m"])
    summary: dict = {
        "runs": n,
        "success_rate": float(np.mean(status == Status.LANDED)),
        "status_counts": {s.label: int(np.sum(status == s)) for s in Status},
    }
    if touched.sum() >= 3:
        e, nn = table["touchdown_east_m"][touched], table["touchdown_north_m"][touched]
        summary["ellipse_99"] = landing_ellipse(e, nn, ELLIPSE_SCALE).as_dict()
        summary["ellipse_3sigma"] = landing_ellipse(e, nn, 3.0).as_dict()
        summary["ellipse_frame"] = "east/north metres from the landing-site origin"
    quantities = (
        "deploy_mach",
        "deploy_dynamic_pressure_pa",
        "peak_g_load",
        "touchdown_vertical_speed_mps",
        "touchdown_horizontal_speed_mps",
        "propellant_margin_kg",
        "distance_to_safe_target_m",
    )
    pct = {}
    for q in quantities:
        values = table[q][np.isfinite(table[q])]
        if values.size:
            pct[q] = {f"p{p:02d}": round(float(np.percentile(values, p)), 4) for p in PERCENTILES}
    summary["percentiles"] = pct
    return summary
