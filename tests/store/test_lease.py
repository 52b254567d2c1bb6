"""The single-writer lease of a run: refused, taken over, and whether its holder is alive.

The ``db_url`` fixture is in ``conftest.py``: set ``PERSEVERANCE_TEST_POSTGRES_URL``
to run those tests on a server as well.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from perseverance.errors import StoreError
from perseverance.store import open_store
from perseverance.store.lease import holder_alive
from perseverance.store.schema import RunRow

NOW = datetime(2021, 2, 18, 20, 55, 0, tzinfo=UTC)


def _one_line(error: pytest.ExceptionInfo) -> str:
    message = str(error.value)
    assert "\n" not in message and message
    return message


def _leased(**writer) -> RunRow:
    """A running run whose lease ends a minute after `NOW`, held by ``writer``."""
    lease = {"writer_token": "t" * 32, "lease_expires_utc": NOW + timedelta(minutes=1)}
    return RunRow(id="r1", scenario="default", seed=7, status="running", **(lease | writer))


def test_second_writer_is_refused(db_url):
    with open_store(db_url) as first, open_store(db_url) as second:
        run_id = first.create_run(scenario="default", seed=7, config={})
        with pytest.raises(StoreError, match=f"run {run_id} is being written by another process"):
            second.claim(run_id)
        with (
            pytest.raises(StoreError, match="being written by another process") as err,
            second.sol_transaction(run_id, 0),
        ):
            pass
        _one_line(err)
        with first.sol_transaction(run_id, 0) as writer:
            writer.set_checkpoint({"sol": 0})
        # Reading needs no lease.
        assert second.last_committed_sol(run_id) == 0


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_lease_of_a_dead_process_is_taken_over(db_url):
    with open_store(db_url) as first, open_store(db_url) as second:
        run_id = first.create_run(scenario="default", seed=7, config={})
        with first.engine.begin() as conn:
            conn.execute(update(RunRow.__table__).values(writer_pid=_dead_pid()))
        assert second.claim(run_id).writer_pid == os.getpid()
        with (  # the old writer is fenced off
            pytest.raises(StoreError, match="being written by another process"),
            first.sol_transaction(run_id, 0),
        ):
            pass
        with second.sol_transaction(run_id, 0) as writer:
            writer.set_checkpoint({"sol": 0})


def test_lease_on_another_host_is_taken_only_once_expired(db_url):
    runs = RunRow.__table__
    with open_store(db_url) as first, open_store(db_url) as second:
        run_id = first.create_run(scenario="default", seed=7, config={})
        with first.engine.begin() as conn:
            conn.execute(update(runs).values(writer_host="rover-ops-2", writer_pid=1))
        with pytest.raises(StoreError, match="pid 1 on rover-ops-2"):
            second.claim(run_id)
        past = datetime.now(UTC) - timedelta(seconds=1)
        with first.engine.begin() as conn:
            conn.execute(update(runs).values(lease_expires_utc=past))
        second.claim(run_id)


def test_a_live_process_of_this_host_holds_its_lease():
    run = _leased(writer_host=socket.gethostname(), writer_pid=os.getpid())
    assert holder_alive(run, now=NOW)
    assert not holder_alive(run, now=NOW + timedelta(minutes=1))  # expired


def test_a_dead_process_of_this_host_holds_no_lease():
    assert not holder_alive(_leased(writer_host=socket.gethostname(), writer_pid=_dead_pid()), NOW)


def test_another_hosts_lease_holds_until_it_expires():
    run = _leased(writer_host="rover-ops-2", writer_pid=1)
    assert holder_alive(run, now=NOW)
    assert not holder_alive(run, now=NOW + timedelta(minutes=2))


def test_a_run_without_a_token_or_expiry_has_no_holder():
    assert not holder_alive(_leased(writer_token=None), now=NOW)
    assert not holder_alive(_leased(lease_expires_utc=None), now=NOW)
    # without ``now``, the present: NOW is long past
    assert not holder_alive(_leased(writer_host="rover-ops-2", writer_pid=1))
