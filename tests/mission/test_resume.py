"""SIGKILL a real `perseverance mission` at random points; resuming ends as if never killed."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from perseverance.store.database import open_store

from .conftest import dump, fly

SOLS = 40


def _mission(runs: Path, cache: Path, *args: str) -> subprocess.Popen:
    env = os.environ | {"PERSEVERANCE_CACHE": str(cache)}
    cmd = [sys.executable, "-m", "perseverance.cli", "mission", "--runs-dir", str(runs), "-q"]
    return subprocess.Popen(
        [*cmd, *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )


def _committed(db: Path) -> int | None:
    if not db.exists():
        return None
    try:
        store = open_store(db, create=False, readonly=True)
        try:
            return store.last_committed_sol("k")
        finally:
            store.close()
    except Exception:  # the run row may not exist yet
        return None


def _kill_after(proc: subprocess.Popen, db: Path, sol: int, timeout_s: float = 120.0) -> None:
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


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_killed_twice_then_resumed_ends_exactly_as_an_uninterrupted_run(tmp_path):
    reference = fly(tmp_path / "ref", sols=SOLS, run_id="k")
    runs, cache = tmp_path / "runs", tmp_path / "cache"
    db = runs / "k" / "mission.db"
    kill_at = sorted(random.Random(1).sample(range(1, SOLS - 5), 2))
    proc = _mission(runs, cache, "--sols", str(SOLS), "--run-id", "k")
    _kill_after(proc, db, kill_at[0])
    proc = _mission(runs, cache, "--resume", "k")
    _kill_after(proc, db, kill_at[1])
    before = _committed(db)
    assert before is not None and before < SOLS
    proc = _mission(runs, cache, "--resume", "k")
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    store = open_store(db, create=False, readonly=True)
    assert dump(store, "k") == dump(reference.store, "k")
    assert store.run("k").status == "complete"
