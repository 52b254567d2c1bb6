"""A campaign on a local Dask cluster gives the same per-run results as in-process."""

from __future__ import annotations

import tempfile

import numpy as np
import pytest

from perseverance.edl.montecarlo import fly_runs, run_campaign
from perseverance.errors import ClusterError
from perseverance.scale import cluster
from perseverance.scale.cluster import dask_mapper

RUNS = 24


def test_local_cluster_equals_in_process(msl, tmp_path, monkeypatch):
    """...and leaves nothing behind: no ``dask-scratch-space`` here or in the temp folder."""
    work, temp = tmp_path / "work", tmp_path / "temp"
    work.mkdir(), temp.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("TMPDIR", str(temp))  # the worker processes' temp folder
    monkeypatch.setattr(tempfile, "tempdir", str(temp))  # and this one's
    local = fly_runs(msl, 4, 0, RUNS)
    distributed = run_campaign(msl, RUNS, 4, map_chunks=dask_mapper(workers=2), chunk_runs=7)
    for key, values in local.items():
        assert np.array_equal(values, distributed[key], equal_nan=True), key
    assert list(work.iterdir()) == []
    assert list(temp.iterdir()) == []


def test_unreachable_scheduler_is_a_cluster_error(msl, monkeypatch):
    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT_S", 1.0)
    with pytest.raises(ClusterError, match="cannot reach"):
        run_campaign(msl, 4, 1, map_chunks=dask_mapper(scheduler="tcp://127.0.0.1:9"))
