"""The single-writer lease of a run: whose it is, when it expires, claiming and giving it back.

**One writer per run.** A run is written only by the `Store` that holds its
lease: the ``writer_token`` column, taken by a conditional UPDATE in
`Store.create_run` or `Store.claim`, with the writer's PID, host name and an
expiry (``lease_s``, renewed at every sol commit). Every sol commit re-checks
the token in the same transaction, so a writer whose lease was taken over can
never commit again. A lease is stale, and `claim` (``--resume``) takes it over,
when the process that held it is gone (same host name, PID no longer running)
or when its expiry has passed (another host, or a PID that was reused).
"""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import CursorResult, Update, update
from sqlalchemy.orm import Session

from perseverance.errors import StoreError
from perseverance.processes import pid_alive
from perseverance.store.base import StoreBase, table_of, utc_now
from perseverance.store.schema import RunRow

#: How long a writer's lease lasts without a commit [s] before another process may take it.
DEFAULT_LEASE_S = 600.0

_HOST = socket.gethostname()
_RUNS = table_of(RunRow)


def holder_alive(run: RunRow, now: datetime | None = None) -> bool:
    """Whether the lease written in a run's row still protects its writer (at ``now``,
    default the present). A ``running`` run whose holder is not alive was interrupted."""
    now = utc_now() if now is None else now
    if run.writer_token is None or run.lease_expires_utc is None:
        return False
    if run.lease_expires_utc <= now:
        return False
    if run.writer_host == _HOST and run.writer_pid is not None:
        return pid_alive(run.writer_pid)
    return True


def _busy(run: RunRow) -> StoreError:
    expires = run.lease_expires_utc
    until = f", lease until {expires:%Y-%m-%d %H:%M:%S} UTC" if expires else ""
    return StoreError(
        f"run {run.id} is being written by another process (pid {run.writer_pid} on "
        f"{run.writer_host}{until}); wait for it to finish or stop it, then --resume {run.id}"
    )


class Leases(StoreBase):
    """Taking, renewing (the fence of every write) and giving back the lease of a run."""

    def _lease(self) -> dict[str, Any]:
        return {
            "writer_token": self._token,
            "writer_pid": os.getpid(),
            "writer_host": _HOST,
            "lease_expires_utc": utc_now() + timedelta(seconds=self.lease_s),
        }

    def _fence(self, session: Session, run_id: str, sol: int | None) -> None:
        """Renew this store's lease on the run (and advance its last sol) or refuse."""
        values = self._lease()
        del values["writer_token"]
        cond = [_RUNS.c.id == run_id, _RUNS.c.writer_token == self._token]
        if sol is not None:
            values["last_committed_sol"] = sol
            cond.append((_RUNS.c.last_committed_sol.is_(None)) | (_RUNS.c.last_committed_sol < sol))
        if _rowcount(session, update(_RUNS).where(*cond).values(**values)) == 1:
            return
        run = self._run_row(session, run_id)
        if run is None:
            raise StoreError(f"no run {run_id} in {self.name}; `perseverance runs list` shows them")
        if run.writer_token != self._token:
            if run.writer_token is None:
                raise StoreError(
                    f"run {run_id} is not claimed for writing; resume it with --resume"
                )
            raise _busy(run)
        # The lease is ours, so the sol was refused: one is committed already.
        last = run.last_committed_sol
        assert last is not None
        raise StoreError(
            f"sol {sol} of run {run_id} is already committed (last committed sol "
            f"{last}); resume from sol {last + 1}"
        )

    def claim(self, run_id: str) -> RunRow:
        """Take the writer lease of an existing run (what ``--resume`` does); returns the run.

        Refused with `StoreError` while another live process holds the lease; a
        lease whose process has died on this host, or whose expiry has passed,
        is taken over.
        """
        with self._session(f"claim run {run_id}", write=True) as session:
            run_id = self._resolve(session, run_id)
            run = self._run_row(session, run_id)
            assert run is not None
            held = run.writer_token
            if held not in (None, self._token) and holder_alive(run):
                raise _busy(run)
            same = _RUNS.c.writer_token.is_(None) if held is None else _RUNS.c.writer_token == held
            stmt = update(_RUNS).where(_RUNS.c.id == run_id, same).values(**self._lease())
            if _rowcount(session, stmt) != 1:
                raise StoreError(f"run {run_id} is being written by another process")
            run = self._run_row(session, run_id)
            assert run is not None
        self._held.add(run_id)
        return run

    def release(self, run_id: str) -> None:
        """Give back this store's lease on a run (nothing happens if it does not hold it)."""
        self._held.discard(run_id)
        if self.readonly:
            return
        with self._session(f"release run {run_id}", write=True) as session:
            session.execute(
                update(_RUNS)
                .where(_RUNS.c.id == run_id, _RUNS.c.writer_token == self._token)
                .values(
                    writer_token=None, writer_pid=None, writer_host=None, lease_expires_utc=None
                )
            )


def _rowcount(session: Session, stmt: Update) -> int:
    """How many rows an UPDATE matched."""
    result = session.execute(stmt)
    assert isinstance(result, CursorResult)
    return result.rowcount
