"""Dask faults: a campaign survives a dead worker, and a dead, frozen, empty or
unreachable scheduler ends in one `ClusterError` line instead of a hang.

Every test is bounded by the module's own timeouts (lowered here where a test
waits for one to expire) and by subprocess timeouts; none measures speed.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import dask
import numpy as np
import pytest
from distributed import Client, LocalCluster
from typer.testing import CliRunner

from perseverance.cli import app
from perseverance.edl.montecarlo import fly_runs, run_campaign
from perseverance.errors import ClusterError
from perseverance.scale import cluster
from perseverance.scale.cluster import dask_mapper

RUNS = 24
CHUNK = 2  # 12 chunks: plenty still to do when a worker or the scheduler dies
SEED = 4
#: Seconds a helper subprocess may take to exit after it is told to.
EXIT_TIMEOUT_S = 30


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _same(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> None:
    assert a.keys() == b.keys()
    for key, values in a.items():
        assert np.array_equal(values, b[key], equal_nan=True), key


@pytest.fixture(autouse=True)
def _scratch_in_tmp_path(tmp_path: Path) -> Iterator[None]:
    """Dask's scratch space of the clusters the tests make, inside the test's folder."""
    with dask.config.set({"temporary-directory": str(tmp_path)}):
        yield


@pytest.fixture
def local_cluster(tmp_path: Path) -> Iterator[LocalCluster]:
    """Two single-thread worker processes, restarted by their nannies when killed."""
    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        local_directory=tmp_path,
        silence_logs=logging.CRITICAL,
    ) as local:
        yield local


def _worker_pids(local: LocalCluster) -> list[int]:
    with Client(local, set_as_default=False) as client:
        return sorted(client.run(os.getpid).values())


def test_killed_workers_lose_nothing(msl, local_cluster):
    """One worker killed just before the campaign (the scheduler still counts it),
    the other at the first finished chunk: every chunk is flown elsewhere, once."""
    first, second = _worker_pids(local_cluster)
    os.kill(first, signal.SIGKILL)
    killed = []

    def kill_second(runs: int) -> None:
        if not killed:
            os.kill(second, signal.SIGKILL)
            killed.append(second)

    table = run_campaign(
        msl,
        RUNS,
        SEED,
        map_chunks=dask_mapper(scheduler=local_cluster.scheduler_address),
        chunk_runs=CHUNK,
        on_chunk=kill_second,
    )
    assert killed == [second]
    _same(fly_runs(msl, SEED, 0, RUNS), table)


def test_scheduler_without_workers(msl, monkeypatch, tmp_path):
    monkeypatch.setattr(cluster, "WORKER_WAIT_S", 1.0)
    empty = LocalCluster(n_workers=0, dashboard_address=None, local_directory=tmp_path)
    with empty, pytest.raises(ClusterError, match=r"no Dask worker joined .* within 1 s"):
        run_campaign(msl, RUNS, SEED, map_chunks=dask_mapper(scheduler=empty.scheduler_address))


def test_unreachable_scheduler_through_the_cli(monkeypatch):
    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT_S", 1.0)
    address = f"tcp://127.0.0.1:{_free_port()}"
    args = ["edl", "--vehicle", "msl", "--monte-carlo", "20", "--scheduler", address]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: cannot reach the Dask scheduler at " + address)


@pytest.fixture
def scheduler_process(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A scheduler and one worker process of its own, as `dask scheduler` / `dask worker`."""
    dask = str(Path(sys.executable).with_name("dask"))
    address = f"tcp://127.0.0.1:{_free_port()}"
    env = {**os.environ, "DASK_TEMPORARY_DIRECTORY": str(tmp_path)}  # their scratch space
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "env": env}
    scheduler = subprocess.Popen(
        [dask, "scheduler", "--host", "127.0.0.1", "--port", address.rsplit(":", 1)[1],
         "--no-dashboard"],
        **quiet,
    )  # fmt: skip
    worker = subprocess.Popen(
        [dask, "worker", address, "--nworkers", "1", "--nthreads", "1", "--no-dashboard",
         "--local-directory", str(tmp_path), "--death-timeout", "5"],
        **quiet,
    )  # fmt: skip
    try:
        yield address, scheduler
    finally:
        for process in (worker, scheduler):
            if process.poll() is None:
                process.send_signal(signal.SIGCONT)
                process.kill()
            process.wait(timeout=EXIT_TIMEOUT_S)


@pytest.mark.parametrize(
    ("signum", "message"),
    [
        (signal.SIGKILL, r"went away during the campaign \(.+\); nothing was written"),
        (signal.SIGSTOP, r"did not answer within \d+ s during the campaign|finished no chunk"),
    ],
    ids=["killed", "frozen"],
)
def test_scheduler_lost_mid_campaign(msl, monkeypatch, scheduler_process, signum, message):
    """The scheduler is killed (or frozen) at the first finished chunk: one line, no hang."""
    for name, seconds in [("RPC_TIMEOUT_S", 2.0), ("CHUNK_BOUND_S", 2.0), ("WORKER_START_S", 2.0)]:
        monkeypatch.setattr(cluster, name, seconds)  # short bounds: the campaign is to fail
    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT_S", 30.0)  # the scheduler is starting
    address, scheduler = scheduler_process
    sent: list[int] = []

    def lose_scheduler(runs: int) -> None:
        if not sent:
            scheduler.send_signal(signum)
            sent.append(signum)

    with pytest.raises(ClusterError, match=message) as error:
        run_campaign(
            msl,
            RUNS,
            SEED,
            map_chunks=dask_mapper(scheduler=address),
            chunk_runs=CHUNK,
            on_chunk=lose_scheduler,
        )
    assert sent == [signum]
    assert address in str(error.value) and "\n" not in str(error.value)
