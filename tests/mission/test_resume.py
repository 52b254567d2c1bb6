"""SIGKILL a real `perseverance mission` at random points; resuming ends as if never killed.

On SQLite, and on PostgreSQL when ``PERSEVERANCE_TEST_POSTGRES_URL`` names a server
(each database in a schema of its own, dropped afterwards). Every table is compared,
ids included.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from perseverance.mission.runner import MissionRunner, start_mission
from perseverance.store.database import Store, open_store
from perseverance.store.schema import TABLES

from .conftest import dump

SOLS = 40
POSTGRES_URL = os.environ.get("PERSEVERANCE_TEST_POSTGRES_URL")
#: Columns that differ between two runs of the same mission: wall-clock times and the lease.
WALL_CLOCK = {
    "created_utc",
    "finished_utc",
    "writer_token",
    "writer_pid",
    "writer_host",
    "lease_expires_utc",
}


def _mission(runs: Path, cache: Path, *args: str) -> subprocess.Popen:
    env = os.environ | {"PERSEVERANCE_CACHE": str(cache)}
    cmd = [sys.executable, "-m", "perseverance.cli", "mission", "--runs-dir", str(runs), "-q"]
    if "--resume" not in args:
        cmd += ["--imaging", "off"]  # images: tests/mission/test_imaging.py
    return subprocess.Popen(
        [*cmd, *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )


def _committed(db: str) -> int | None:
    if "://" not in db and not Path(db).exists():
        return None
    try:
        store = open_store(db, create=False, readonly=True)
        try:
            return store.last_committed_sol("k")
        finally:
            store.close()
    except Exception:  # the tables or the run row may not exist yet
        return None


def _kill_after(proc: subprocess.Popen, db: str, sol: int, timeout_s: float = 120.0) -> None:
    """SIGKILL once sol ``sol`` is committed (plus a random few milliseconds, mid-sol)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and proc.poll() is None:
        done = _committed(db)
        if done is not None and done >= sol:
            time.sleep(random.Random(sol).uniform(0.0, 0.05))
            break
        time.sleep(0.02)
    assert proc.poll() is None, "the mission ended before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.communicate()  # reap it and close its pipes


def every_table(store: Store, run_id: str) -> dict[str, list[dict[str, Any]]]:
    """Every row of the run in every table, ids included, without wall-clock columns."""
    out = {}
    with store.engine.connect() as conn:
        for name, model in sorted(TABLES.items()):
            table = model.__table__
            if name == "schema_version":
                continue
            owner = table.c.id if name == "runs" else table.c.run_id
            key = list(table.primary_key.columns)
            rows = conn.execute(select(table).where(owner == run_id).order_by(*key)).mappings()
            out[name] = [{k: v for k, v in r.items() if k not in WALL_CLOCK} for r in rows]
    return out


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path) -> Iterator[Callable[[str], str | None]]:
    """``database(name)``: the ``--db`` of a fresh database (None: the run folder's SQLite)."""
    if request.param == "sqlite":
        yield lambda name: None
        return
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL not configured: set PERSEVERANCE_TEST_POSTGRES_URL (see .ci/run)")
    base = make_url(POSTGRES_URL)
    if base.drivername in ("postgresql", "postgres"):
        base = base.set(drivername="postgresql+psycopg")
    admin = create_engine(base)
    schemas: list[str] = []

    def make(name: str) -> str:
        schema = f"test_{name}_{uuid.uuid4().hex[:8]}"
        with admin.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        schemas.append(schema)
        url = base.update_query_dict({"options": f"-csearch_path={schema}"})
        return url.render_as_string(hide_password=False)

    try:
        yield make
    finally:
        with admin.begin() as conn:
            for schema in schemas:
                conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_killed_twice_then_resumed_ends_exactly_as_an_uninterrupted_run(tmp_path, database):
    ref_url, url = database("ref"), database("killed")
    reference = start_mission(
        "default",
        sols=SOLS,
        db=ref_url,
        runs_dir=tmp_path / "ref" / "runs",
        run_id="k",
        imaging="off",
    )
    MissionRunner(reference, cache_dir=tmp_path / "ref" / "cache").fly()

    runs, cache = tmp_path / "runs", tmp_path / "cache"
    db = url if url is not None else str(runs / "k" / "mission.db")
    on_db = ("--db", url) if url is not None else ()
    kill_at = sorted(random.Random(1).sample(range(1, SOLS - 5), 2))
    proc = _mission(runs, cache, *on_db, "--sols", str(SOLS), "--run-id", "k")
    _kill_after(proc, db, kill_at[0])
    proc = _mission(runs, cache, *on_db, "--resume", "k")
    _kill_after(proc, db, kill_at[1])
    before = _committed(db)
    assert before is not None and before < SOLS
    proc = _mission(runs, cache, *on_db, "--resume", "k")
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    with open_store(db, create=False, readonly=True) as store:
        assert store.run("k").status == "complete"
        assert dump(store, "k") == dump(reference.store, "k")
        resumed, uninterrupted = every_table(store, "k"), every_table(reference.store, "k")
    reference.store.close()
    assert [n for n in resumed if resumed[n] != uninterrupted[n]] == []
    assert len(resumed["activities"]) > SOLS and resumed["events"][0]["id"] == 1
