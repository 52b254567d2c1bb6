"""Monte Carlo chunks on Dask: a local cluster (``workers``) or an existing one (``scheduler``).

Each task carries the small recipe of the system (the vehicle, the terrain seed,
the targeted entry state and the guidance reference, pickled once: ~90 kB), so
no data lives on one worker that another task needs: a worker that dies takes
nothing with it, and the scheduler reruns its chunk elsewhere. Workers rebuild
the terrain once per process and recipe. Per-run results do not depend on how
the runs are split or where they ran, so a distributed campaign equals an
in-process one, worker deaths included.

Every wait has a bound (the constants below): connecting, the first worker,
each scheduler query, the gap between two finished chunks, the whole campaign
and the shutdown. A scheduler that goes away, a cluster without workers or one
that stops making progress ends in one `ClusterError` line, with nothing
written. An error raised by the simulation inside a task is re-raised as is.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import logging
import pickle
import shutil
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from perseverance.edl.guidance import EntryReference
from perseverance.edl.montecarlo import Chunk, ChunkFlight, ChunkMapper, RunTable, fly_runs
from perseverance.edl.sequence import StepSizes
from perseverance.edl.system import EdlSystem
from perseverance.errors import ClusterError, PerseveranceError

if TYPE_CHECKING:
    from distributed import Client, Future

#: Runs per Dask task: small enough to spread a campaign over many workers.
CHUNK_RUNS = 1000
#: Seconds to wait for a scheduler to answer the first connection.
CONNECT_TIMEOUT_S = 10.0
#: Seconds to wait for the first worker, and for a new one after all have left.
WORKER_WAIT_S = 60.0
#: Seconds one query to the scheduler (its worker count) may take.
RPC_TIMEOUT_S = 30.0
#: Seconds between checks of the cluster while no chunk finishes.
POLL_S = 1.0
#: Upper bound of the seconds one worker thread needs per run. Measured: ~1.4 ms
#: per run for Mars 2020 in 1000-run chunks on one core; this allows ~35 times that.
RUN_BOUND_S = 0.05
#: Upper bound of the fixed seconds of one chunk (measured ~1 s) plus rebuilding
#: the system on a new or restarted worker (measured ~0.7 s).
CHUNK_BOUND_S = 30.0
#: Seconds a restarted or newly joined worker may need before it runs a chunk.
WORKER_START_S = 60.0
#: Seconds of silence after which a scheduler drops a worker (frozen, cut off) and
#: reruns its chunks elsewhere: its ``worker-ttl``, checked every ``worker-ttl``
#: seconds (so a silent worker goes within twice that). Set for a local cluster ...
LOCAL_WORKER_TTL_S = 30.0
#: ... and Dask's default, assumed for a cluster we did not start.
DEFAULT_WORKER_TTL_S = 300.0
#: Chunks in flight per worker thread: enough to keep every thread busy, few
#: enough that the scheduler holds only a few recipes.
IN_FLIGHT_PER_THREAD = 2
#: Times a chunk may be on a worker that dies before it counts as the chunk's
#: fault (the scheduler's ``allowed-failures``, set for a local cluster).
ALLOWED_FAILURES = 3
#: Extra attempts of a chunk whose task raised (e.g. out of memory on one worker).
RETRIES = 1
#: Seconds the client and a local cluster may take to shut down.
CLOSE_TIMEOUT_S = 10.0
#: Systems a worker process keeps built (the most recently used).
_SYSTEMS_KEPT = 2

_WORKER_SYSTEMS: dict[bytes, EdlSystem] = {}


@dataclass(frozen=True)
class SystemRecipe:
    """What a worker needs to rebuild an `EdlSystem` without re-targeting."""

    vehicle_json: str
    terrain_seed: int
    entry_state: NDArray[np.float64] | None
    reference: EntryReference | None

    @classmethod
    def of(cls, system: EdlSystem) -> SystemRecipe:
        return cls(
            system.vehicle.model_dump_json(),
            system.terrain_seed,
            system.entry_state,
            system.reference,
        )

    def build(self) -> EdlSystem:
        """The system: the vehicle over its terrain, with the recipe's entry state and reference."""
        from perseverance.edl.vehicle import Vehicle

        vehicle = Vehicle.model_validate_json(self.vehicle_json)
        system = EdlSystem.assemble(vehicle, self.terrain_seed)
        system.entry_state = self.entry_state
        system.reference = self.reference
        return system

    def payload(self) -> bytes:
        """The recipe pickled once, to travel with every task."""
        return pickle.dumps(self, protocol=pickle.HIGHEST_PROTOCOL)


def _system(payload: bytes) -> EdlSystem:
    """The system of a pickled recipe, built once per worker process and then reused."""
    key = hashlib.blake2b(payload, digest_size=16).digest()
    system = _WORKER_SYSTEMS.pop(key, None)
    if system is None:
        system = pickle.loads(payload).build()
    _WORKER_SYSTEMS[key] = system  # most recent last
    for old in list(_WORKER_SYSTEMS)[:-_SYSTEMS_KEPT]:
        del _WORKER_SYSTEMS[old]
    return system


def _fly_chunk(
    payload: bytes,
    seed: int,
    start: int,
    stop: int,
    steps: StepSizes,
    deploy_on_velocity: bool | None,
    backend: str | None,
) -> RunTable:
    return fly_runs(
        _system(payload),
        seed,
        start,
        stop,
        steps,
        deploy_on_velocity=deploy_on_velocity,
        backend=backend,
    )


def chunk_bound_s(runs: int) -> float:
    """Upper bound of the seconds one worker thread needs for a chunk of ``runs`` runs."""
    return CHUNK_BOUND_S + runs * RUN_BOUND_S


def dask_mapper(*, workers: int | None = None, scheduler: str | None = None) -> ChunkMapper:
    """A chunk mapper for `perseverance.edl.montecarlo.run_campaign` that flies the chunks
    on a local Dask cluster of ``workers`` processes, or on the cluster at ``scheduler``
    (an address such as ``tcp://host:8786``); use it with chunks of `CHUNK_RUNS` runs.

    Mapping raises `ClusterError` when the scheduler cannot be reached or goes away,
    when no worker appears within `WORKER_WAIT_S`, or when the campaign stops making
    progress.
    """

    def map_on_dask(flight: ChunkFlight, ranges: Sequence[Chunk]) -> Iterator[RunTable]:
        return _map_on_dask(flight, ranges, workers=workers, scheduler=scheduler)

    return map_on_dask


def _map_on_dask(
    flight: ChunkFlight, ranges: Sequence[Chunk], *, workers: int | None, scheduler: str | None
) -> Iterator[RunTable]:
    """Each chunk's table as it finishes on the cluster; the cluster is closed at the end."""
    try:
        import dask
        from dask.distributed import Client, LocalCluster
    except ImportError as exc:  # pragma: no cover - dask is a dependency
        raise ClusterError(f"Dask is not installed ({exc})") from None
    where = scheduler or f"a local Dask cluster of {workers} workers"
    scratch = None if scheduler else tempfile.mkdtemp(prefix="perseverance-dask-")
    cluster = client = None
    with _quiet_dask():
        try:
            try:
                if scheduler:
                    client = Client(scheduler, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
                else:
                    settings = {
                        "distributed.scheduler.allowed-failures": ALLOWED_FAILURES,
                        "distributed.scheduler.worker-ttl": f"{LOCAL_WORKER_TTL_S}s",
                        "temporary-directory": scratch,  # the scheduler's scratch space
                    }
                    with dask.config.set(settings):
                        cluster = LocalCluster(
                            n_workers=workers,
                            threads_per_worker=1,
                            processes=True,
                            dashboard_address=None,
                            local_directory=scratch,
                            silence_logs=logging.CRITICAL,
                            death_timeout=WORKER_START_S,
                        )
                    client = Client(cluster, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
            except Exception as exc:  # anything from Dask while connecting or starting
                what = f"reach the Dask scheduler at {scheduler}" if scheduler else f"start {where}"
                raise ClusterError(f"cannot {what}: {_line(exc)}") from None
            if cluster is not None:
                where = f"{cluster.scheduler_address} ({where})"
            ttl_s = DEFAULT_WORKER_TTL_S if scheduler else LOCAL_WORKER_TTL_S
            yield from _Campaign(client, where, ranges, ttl_s).run(
                SystemRecipe.of(flight.system).payload(),
                flight.seed,
                flight.steps,
                flight.deploy_on_velocity,
                flight.backend,
            )
        finally:
            if client is not None:
                with contextlib.suppress(Exception):
                    client.close(timeout=CLOSE_TIMEOUT_S)
            if cluster is not None:
                with contextlib.suppress(Exception):
                    cluster.close(timeout=CLOSE_TIMEOUT_S)
            if scratch is not None:
                shutil.rmtree(scratch, ignore_errors=True)


class _Campaign:
    """The chunks of one campaign on one client, with a bound on every wait."""

    def __init__(self, client: Client, where: str, ranges: Sequence[Chunk], ttl_s: float):
        self.client, self.where = client, where
        self.ranges = ranges
        #: Seconds without a finished chunk after which the cluster counts as stuck:
        #: long enough for the scheduler to drop a silent worker (within ``2 * ttl_s``)
        #: and for a (new) worker to start and fly the largest chunk again.
        self.stall_s = 2 * ttl_s + WORKER_START_S + chunk_bound_s(max(b - a for a, b in ranges))
        #: Seconds for the whole campaign: one stall, then every chunk in turn on one thread.
        self.deadline_s = self.stall_s + sum(chunk_bound_s(b - a) for a, b in self.ranges)

    def run(
        self,
        payload: bytes,
        seed: int,
        steps: StepSizes,
        deploy_on_velocity: bool | None,
        backend: str | None,
    ) -> Iterator[RunTable]:
        """Each chunk's table, as it finishes."""
        from distributed import wait

        threads = self._wait_for_threads()
        start = last_progress = time.monotonic()
        todo = iter(self.ranges)
        pending: dict[Future, Chunk] = {}

        def refill(threads: int) -> None:
            room = IN_FLIGHT_PER_THREAD * max(threads, 1) - len(pending)
            for a, b in itertools.islice(todo, max(room, 0)):
                with self._dask():
                    future = self.client.submit(
                        _fly_chunk, payload, seed, a, b, steps, deploy_on_velocity, backend,
                        pure=False, retries=RETRIES,
                    )  # fmt: skip
                pending[future] = (a, b)

        refill(threads)
        while pending:
            try:
                with self._dask(bound_s=None), self.client.as_current():
                    done, _ = wait(list(pending), timeout=POLL_S, return_when="FIRST_COMPLETED")
            except TimeoutError:
                now = time.monotonic()
                if now - last_progress > self.stall_s:
                    raise ClusterError(
                        f"the Dask cluster at {self.where} finished no chunk of runs in "
                        f"{self.stall_s:.0f} s; nothing was written"
                    ) from None
                if now - start > self.deadline_s:
                    raise ClusterError(
                        f"the campaign on the Dask cluster at {self.where} did not finish in "
                        f"{self.deadline_s:.0f} s; nothing was written"
                    ) from None
                if self._threads() == 0:
                    self._wait_for_threads(again=True)
                continue
            for future in done:
                a, b = pending.pop(future)
                yield self._result(future, a, b)
            last_progress = time.monotonic()
            refill(self._threads())

    def _result(self, future: Future, a: int, b: int) -> RunTable:
        """The table of a finished chunk; a task's own error is re-raised as is."""
        from distributed import KilledWorker

        if future.status == "error":
            with self._dask():
                error = future.exception(timeout=RPC_TIMEOUT_S)
            if isinstance(error, KilledWorker):
                raise ClusterError(
                    f"every Dask worker that flew runs {a}..{b - 1} died (out of memory?), as "
                    f"many times as the scheduler at {self.where} allows; nothing was written"
                )
            if isinstance(error, ImportError):
                raise ClusterError(
                    f"the Dask workers of the scheduler at {self.where} cannot run the "
                    f"simulation ({_line(error)}): install perseverance on every worker"
                )
            future.result(timeout=RPC_TIMEOUT_S)  # raises the task's error, traceback included
        bound_s = RPC_TIMEOUT_S + chunk_bound_s(b - a)  # a lost result is flown again
        with self._dask(bound_s):
            return future.result(timeout=bound_s)

    def _threads(self) -> int:
        """Worker threads the scheduler has now (one bounded query)."""
        with self._dask():
            info = self.client.sync(
                self.client.scheduler.identity, n_workers=0, callback_timeout=RPC_TIMEOUT_S
            )
        return int(info.get("total_threads", 0))

    def _wait_for_threads(self, again: bool = False) -> int:
        """Worker threads once a worker is there; `ClusterError` after `WORKER_WAIT_S`."""
        deadline = time.monotonic() + WORKER_WAIT_S
        while (threads := self._threads()) == 0:
            if time.monotonic() > deadline:
                what = "all Dask workers left and none joined" if again else "no Dask worker joined"
                raise ClusterError(
                    f"{what} the scheduler at {self.where} within {WORKER_WAIT_S:.0f} s; "
                    "nothing was written"
                )
            time.sleep(min(POLL_S, 0.2))
        return threads

    @contextlib.contextmanager
    def _dask(self, bound_s: float | None = RPC_TIMEOUT_S) -> Iterator[None]:
        """Turn a failure of Dask itself (not of a task) into one `ClusterError` line.

        ``bound_s`` is the timeout of the call inside, for the message; with ``None``
        a `TimeoutError` passes through (the caller's poll).
        """
        try:
            yield
        except PerseveranceError:
            raise
        except TimeoutError:
            if bound_s is None:
                raise
            raise ClusterError(
                f"the Dask scheduler at {self.where} did not answer within {bound_s:.0f} s "
                "during the campaign; nothing was written"
            ) from None
        except Exception as exc:
            raise ClusterError(
                f"the Dask scheduler at {self.where} went away during the campaign "
                f"({_line(exc)}); nothing was written"
            ) from None


def _line(exc: BaseException) -> str:
    """An exception as one short line: its type and the first line of its message
    (for cancelled futures, why they were cancelled)."""
    reasons = {group.reason for group in getattr(exc, "error_groups", ())}
    reason = getattr(exc, "reason", None)
    reasons |= {reason} if reason else set()
    text = "cancelled: " + ", ".join(sorted(map(str, reasons))) if reasons else str(exc)
    text = " ".join(text.split("\n", 1)[0].split())
    text = text if len(text) <= 200 else text[:197] + "..."
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


@contextlib.contextmanager
def _quiet_dask() -> Iterator[None]:
    """Silence Dask's own log lines (worker deaths, lost connections, their tracebacks)
    while a campaign runs; what matters reaches the user as a `ClusterError`."""
    loggers = [logging.getLogger("distributed")]
    loggers += [
        logger
        for name, logger in logging.Logger.manager.loggerDict.items()
        if name.startswith("distributed.") and isinstance(logger, logging.Logger)
    ]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)
