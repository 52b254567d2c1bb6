"""The front door: the few names a user of the library needs, EDL and the surface mission.

Fly one entry, descent and landing, or a Monte Carlo campaign:

>>> from perseverance.api import fly_edl, monte_carlo
>>> result = fly_edl("m2020")             # doctest: +SKIP
>>> campaign = monte_carlo("m2020", 2000)  # doctest: +SKIP

Load a scenario, fly a mission (or continue one), and read what it did:

>>> from perseverance.api import load_scenario
>>> load_scenario("default").name
'default'
>>> summary = fly_mission(sols=20, run_id="try")   # doctest: +SKIP
>>> [s.name for s in read_samples("try")]          # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from perseverance.edl.api import fly_edl, prepare_edl
from perseverance.edl.results import CampaignResult, EdlResult
from perseverance.edl.status import Status
from perseverance.edl.vehicle import Vehicle, load_vehicle
from perseverance.errors import ConfigError, PerseveranceError, ScenarioError, StoreError
from perseverance.mars.time import mars_clock
from perseverance.mission.runner import (
    MissionRun,
    MissionRunner,
    Progress,
    resume_mission,
    start_mission,
)
from perseverance.mission.scenario import Scenario, load_scenario
from perseverance.mission.summary import mission_summary
from perseverance.outputs import DEFAULT_RUNS_DIR
from perseverance.scale.campaign import monte_carlo
from perseverance.store import SampleRow, Store, open_store
from perseverance.store.locate import open_run
from perseverance.terrain.site import load_site

__all__ = [
    "CampaignResult",
    "ConfigError",
    "EdlResult",
    "MissionRun",
    "MissionRunner",
    "PerseveranceError",
    "Scenario",
    "ScenarioError",
    "Status",
    "Store",
    "StoreError",
    "Vehicle",
    "fly_edl",
    "fly_mission",
    "load_scenario",
    "load_site",
    "load_vehicle",
    "mars_clock",
    "mission_summary",
    "monte_carlo",
    "open_run",
    "open_store",
    "prepare_edl",
    "read_samples",
    "resume_mission",
    "start_mission",
]


def fly_mission(
    scenario: str = "default",
    *,
    seed: int = 0,
    sols: int | None = None,
    db: str | None = None,
    runs_dir: Path = DEFAULT_RUNS_DIR,
    run_id: str | None = None,
    resume: str | None = None,
    imaging: str = "default",
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Fly a mission run to its last sol and return its summary (as `perseverance mission`).

    A new run by default (``runs_dir/<run_id>/mission.db``, or the database ``db``);
    ``resume=RUN`` continues that run from its last committed sol instead, and the
    other settings must then be left out. ``imaging``: ``default``, ``full`` or ``off``
    (the camera products; `mission.imaging`). ``progress(sol, last_sol, state, summary)``
    is called after every sol. Errors are `PerseveranceError` with a one-line message;
    a failed landing is `LandingFailedError` and ends the run as failed.
    """
    if resume is not None:
        if (scenario, seed, sols, run_id, imaging) != ("default", 0, None, None, "default"):
            raise ConfigError(
                "resume continues a run as it was started: leave out scenario, seed, sols, "
                "run_id and imaging"
            )
        run = resume_mission(resume, db=db, runs_dir=runs_dir)
    else:
        run = start_mission(
            scenario, seed=seed, sols=sols, db=db, runs_dir=runs_dir, run_id=run_id, imaging=imaging
        )
    try:
        if run.status != "complete":
            MissionRunner(run).fly(progress)
        return mission_summary(run.store, run.run_id, run.folder)
    finally:
        run.store.close()


def read_samples(
    run: str | None = None, *, db: str | None = None, runs_dir: Path = DEFAULT_RUNS_DIR
) -> list[SampleRow]:
    """The sample catalogue of a run (the latest run by default), by sol then name."""
    store, row = open_run(run, db=db, runs_dir=runs_dir)
    try:
        return store.samples(row.id)
    finally:
        store.close()
