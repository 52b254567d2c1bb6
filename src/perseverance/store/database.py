"""The mission database: `Store`, composed of its reads, writes and leases, and `open_store`.

>>> store = open_store("runs/demo/mission.db")                 # doctest: +SKIP
>>> run_id = store.create_run(scenario="default", seed=7, config={})  # doctest: +SKIP
>>> with store.sol_transaction(run_id, 0) as sol:               # doctest: +SKIP
...     sol.add_events(edl_result.events())
...     sol.set_checkpoint({"battery_j": 1.4e6})
>>> store.last_committed_sol(run_id)                            # doctest: +SKIP
0

What a target may be and how SQLite is opened is in `perseverance.store.engine`;
the single-writer lease in `perseverance.store.lease`; the transactions in
`perseverance.store.writer`; the read API in `perseverance.store.reads`.
"""

from __future__ import annotations

import os
from contextlib import suppress

from perseverance.errors import StoreError
from perseverance.store.engine import make_engine, resolve_target, wal_without_shm_here
from perseverance.store.lease import DEFAULT_LEASE_S
from perseverance.store.reads import Reads
from perseverance.store.writer import Writes


def open_store(
    url_or_path: str | os.PathLike[str],
    *,
    create: bool = True,
    readonly: bool = False,
    durable: bool = False,
    lease_s: float = DEFAULT_LEASE_S,
) -> Store:
    """Open (and by default create) the mission database.

    Parameters
    ----------
    url_or_path
        A file path for SQLite (``runs/<id>/mission.db``; ``":memory:"`` for a
        throwaway one), or any SQLAlchemy URL (``postgresql+psycopg://...``).
    create
        Create the file and the tables when they do not exist yet; with False a
        missing database is an error.
    readonly
        Open for reading only (SQLite opens the file read-only, so a read-only
        file or folder works); every write raises `StoreError`.
    durable
        The database must outlive this process (a mission run): an in-memory
        one (``:memory:``, ``sqlite://``, ``file::memory:``...) is refused.
    lease_s
        How long this store's writer lease on a run lasts without a commit [s].

    Raises
    ------
    StoreError
        One line: the target is empty or not a URL, in memory (``durable``),
        read-only by its URL (``mode=ro``, ``immutable=1``) but opened for
        writing, cannot be reached or opened, is read-only, is missing
        (``create=False``), or holds another schema version.
    """
    target = resolve_target(url_or_path, create=create, readonly=readonly, durable=durable)
    store = Store(
        make_engine(target.url, name=target.name, readonly=readonly),
        name=target.name,
        readonly=readonly,
        lease_s=lease_s,
        wal=target.wal,
    )
    try:
        store._check_schema(create=create)
    except StoreError as e:
        store.engine.dispose()
        if readonly and target.file is not None and wal_without_shm_here(target.file):
            raise StoreError(
                f"{e} (its folder is read-only and holds a -wal file, which SQLite reads only "
                "with the -shm file beside it: copy the run folder somewhere writable to read it)"
            ) from None
        raise
    except BaseException:
        store.engine.dispose()
        raise
    return store


class Store(Writes, Reads):
    """An open mission database: read API, runs, and sol-by-sol transactions.

    Make one with `open_store`. Reads may happen from any number of processes;
    writes to a run need this store to hold the run's lease (`create_run`,
    `claim`). Close it (or use it as a context manager) to give leases back.
    """

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Give back the leases this store holds and close its connections."""
        for run_id in sorted(self._held):
            with suppress(StoreError):  # if it cannot be given back, the lease expires
                self.release(run_id)
        self.engine.dispose()
