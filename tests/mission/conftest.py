"""Shared mission fixtures: a whole default mission, flown once per session, and a DB dump."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from perseverance.mission.runner import MissionRun, MissionRunner, start_mission
from perseverance.store.database import Store

#: Columns that differ between runs of the same mission: ids, the run's own name and times.
VOLATILE = {"id", "run_id", "created_utc", "finished_utc"}


def fly(
    tmp: Path,
    sols: int | None = None,
    seed: int = 0,
    run_id: str = "r",
    imaging: str = "off",
    scenario: str = "default",
) -> MissionRun:
    """Fly a mission into ``tmp/runs/<run_id>`` (terrain tiles cached in ``tmp/cache``),
    without images unless asked (`tests/mission/test_imaging.py` asks)."""
    run = start_mission(
        scenario, seed=seed, sols=sols, runs_dir=tmp / "runs", run_id=run_id, imaging=imaging
    )
    MissionRunner(run, cache_dir=tmp / "cache").fly()
    return run


def dump(store: Store, run_id: str) -> dict[str, Any]:
    """Everything a run wrote, as plain data, without ids and wall-clock times."""
    out: dict[str, Any] = {}
    for table in ("sols", "activities", "events", "traverse", "power", "tubes", "samples",
                  "custody", "products", "downlinks", "weather_sols", "moxie_runs"):  # fmt: skip
        rows = getattr(store, table)(run_id)
        out[table] = [
            {k: v for k, v in vars(r).items() if not k.startswith("_") and k not in VOLATILE}
            for r in rows
        ]
    out["checkpoint"] = store.checkpoint(run_id)
    out["last_committed_sol"] = store.last_committed_sol(run_id)
    return out


@pytest.fixture(scope="session")
def default_mission(tmp_path_factory) -> MissionRun:
    """The default scenario, sols 0-700, seed 0 (about 20 s)."""
    return fly(tmp_path_factory.mktemp("mission"))
