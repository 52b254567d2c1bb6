"""Writing a run: creating it, a sol (or the tube inventory) in one transaction, finishing it.

>>> run_id = store.create_run(scenario="default", seed=7, config={})  # doctest: +SKIP
>>> with store.sol_transaction(run_id, 0) as sol:               # doctest: +SKIP
...     sol.add_events(edl_result.events())
...     sol.set_checkpoint({"battery_j": 1.4e6})

A transaction writes only while its store holds the run's lease (see
`perseverance.store.lease`): it renews the lease as it commits, or is refused.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import exc, func, insert, select, update
from sqlalchemy.orm import Session

from perseverance.errors import StoreError
from perseverance.store.base import table_of, utc_now
from perseverance.store.lease import Leases
from perseverance.store.schema import (
    ActivityRow,
    Base,
    CustodyRow,
    DownlinkRow,
    EventRow,
    MoxieRunRow,
    PowerRow,
    ProductRow,
    RunRow,
    SampleRow,
    SolRow,
    TraverseRow,
    TubeRow,
    WeatherSolRow,
)

_RUNS = table_of(RunRow)


class Writes(Leases):
    """Creating a run, writing to it in transactions, and finishing it."""

    def create_run(
        self,
        *,
        scenario: str,
        seed: int,
        config: Mapping[str, Any],
        run_id: str | None = None,
        created_utc: datetime | None = None,
    ) -> str:
        """Add a run (status ``running``) and take its writer lease; returns its id.

        The id defaults to ``YYYYmmdd-HHMMSS-xxxxxx`` (UTC creation time and 6 random
        hex digits). ``config`` is the resolved configuration, kept as JSON.
        """
        created = created_utc or utc_now()
        run_id = run_id or f"{created:%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:6]}"
        try:
            with self._session("create a run", write=True) as session:
                if session.scalar(select(RunRow.id).where(RunRow.id == run_id)) is not None:
                    raise StoreError(
                        f"run {run_id} already exists in {self.name}; "
                        f"--resume {run_id} continues it"
                    )
                session.execute(
                    insert(_RUNS).values(
                        id=run_id,
                        created_utc=created,
                        scenario=scenario,
                        seed=int(seed),
                        config=dict(config),
                        status="running",
                        **self._lease(),
                    )
                )
        except exc.IntegrityError:
            raise StoreError(f"run {run_id} already exists in {self.name}") from None
        self._held.add(run_id)
        return run_id

    def finish_run(self, run_id: str, status: str = "complete") -> None:
        """Set the run's final status (``complete``, ``failed``...) and give back its lease.

        On SQLite the WAL is then checkpointed and emptied, so the main file alone
        holds the finished run (and it can be read from a read-only folder).
        """
        with self._session(f"finish run {run_id}", write=True) as session:
            self._fence(session, run_id, None)
            session.execute(
                update(_RUNS)
                .where(_RUNS.c.id == run_id)
                .values(status=status, finished_utc=utc_now())
            )
        self.release(run_id)
        self._checkpoint("TRUNCATE")

    @contextmanager
    def sol_transaction(self, run_id: str, sol: int) -> Iterator[RunWriter]:
        """Write one sol atomically: all of it and ``last_committed_sol = sol``, or nothing.

        Any exception in the block rolls the whole sol back and propagates; the
        run's ``last_committed_sol`` stays where it was. ``sol`` must be later than
        the last committed sol, and this store must hold the run's lease.
        """
        with self._session(f"write sol {sol} of run {run_id}", write=True) as session:
            self._fence(session, run_id, int(sol))
            yield RunWriter(session, run_id, int(sol))

    @contextmanager
    def transaction(self, run_id: str) -> Iterator[RunWriter]:
        """Write to a run outside the sol loop (e.g. the tube inventory), atomically."""
        with self._session(f"write run {run_id}", write=True) as session:
            self._fence(session, run_id, None)
            yield RunWriter(session, run_id, None)


class RunWriter:
    """Writes to one run inside one transaction (from `Store.sol_transaction`).

    In a sol transaction every row belongs to that sol: ``sol`` may be left out,
    and any other value is refused. Column names and units are those of
    `perseverance.store.schema`; an unknown or missing column raises TypeError.
    """

    def __init__(self, session: Session, run_id: str, sol: int | None):
        self._session = session
        self.run_id = run_id
        self.sol = sol
        #: The next ``id`` of each numbered table of the run (see `_number`).
        self._next_id: dict[str, int] = {}

    def __repr__(self) -> str:
        where = "" if self.sol is None else f" sol {self.sol}"
        return f"<RunWriter run {self.run_id}{where}>"

    def _prepare(
        self, model: type[Base], rows: Iterable[Mapping[str, Any]]
    ) -> list[dict[str, Any]]:
        table = table_of(model)
        numbered = model._numbered
        columns = {c.name: c for c in table.columns if not (numbered and c.name == "id")}
        required = {
            n for n, c in columns.items() if not c.nullable and c.default is None and n != "run_id"
        }
        out = []
        for row in rows:
            full: dict[str, Any] = dict.fromkeys(columns)
            unknown = set(row) - set(columns) - {"run_id"}
            if unknown:
                raise TypeError(
                    f"{table.name}: unknown column(s) {sorted(unknown)}; columns are "
                    f"{sorted(set(columns) - {'run_id'})}"
                )
            if row.get("run_id", self.run_id) != self.run_id:
                raise TypeError(
                    f"{table.name}: a row of run {row['run_id']} written to {self.run_id}"
                )
            full.update(row)
            full["run_id"] = self.run_id
            if "sol" in columns:
                sol = row.get("sol", self.sol)
                if self.sol is not None and sol is not None and sol != self.sol:
                    raise TypeError(
                        f"{table.name}: a row of sol {sol} written in the transaction of "
                        f"sol {self.sol}"
                    )
                full["sol"] = sol
            missing = sorted(n for n in required if full[n] is None)
            if missing:
                raise TypeError(f"{table.name}: missing value(s) for {missing}")
            out.append(full)
        return out

    def _number(self, model: type[Base], rows: list[dict[str, Any]]) -> None:
        """Give each row of a numbered table the run's next ``id`` (1 for its first row).

        The next id is one more than the run's largest, read in this transaction:
        safe because only the holder of the run's lease writes to it, and the same
        on every backend and after a resume, unlike a sequence.
        """
        table = table_of(model)
        if table.name not in self._next_id:
            top = self._session.scalar(
                select(func.max(table.c.id)).where(table.c.run_id == self.run_id)
            )
            if top is not None and (not isinstance(top, int) or isinstance(top, bool)):
                raise StoreError(
                    f"table {table.name} of run {self.run_id} holds the id {top!r}, not a "
                    "number; the database was changed outside perseverance or is damaged"
                )
            self._next_id[table.name] = (top or 0) + 1
        for row in rows:
            row["id"] = self._next_id[table.name]
            self._next_id[table.name] += 1

    def _insert(self, model: type[Base], rows: Iterable[Mapping[str, Any]]) -> None:
        prepared = self._prepare(model, rows)
        if prepared:
            if model._numbered:
                self._number(model, prepared)
            self._session.execute(insert(table_of(model)), prepared)

    def add_sol(self, **fields: Any) -> None:
        """The sol's summary: ``phase``, ``utc_start``, ``lmst_start``, ``energy_used_j``,
        ``drive_m``, ``odometry_m``, ``data_bits``."""
        self._insert(SolRow, [fields])

    def add_activities(self, rows: Iterable[Mapping[str, Any]]) -> None:
        """Activities: ``kind``, ``name``, ``start_s`` (from the sol's start), ``duration_s``,
        ``energy_j``, optional ``outcome``."""
        self._insert(ActivityRow, rows)

    def add_events(self, rows: Iterable[Mapping[str, Any]]) -> None:
        """Events: ``name``, optional ``sol``, ``t_s`` (EDL, from entry interface) and
        ``payload``; any other key goes into the payload, so EDL event dicts fit as they are."""
        prepared = []
        for row in rows:
            base = {k: row[k] for k in ("name", "sol", "t_s", "run_id") if k in row}
            extra = {k: v for k, v in row.items() if k not in base and k != "payload"}
            payload = dict(row.get("payload") or {}) | extra
            base["payload"] = payload or None
            prepared.append(base)
        self._insert(EventRow, prepared)

    def add_traverse(self, rows: Iterable[Mapping[str, Any]]) -> None:
        """Path points: ``seq``, ``east_m``, ``north_m``, ``elevation_m``, ``drive_mode``."""
        self._insert(TraverseRow, rows)

    def set_power(self, **fields: Any) -> None:
        """The sol's energy budget: ``charge_min_j``, ``charge_max_j``, ``charge_end_j``,
        ``generated_j``, ``used_j``."""
        self._insert(PowerRow, [fields])

    def set_tube(self, tube_id: str, **fields: Any) -> None:
        """Add a tube or change its row: ``kind``, ``state``, ``designation``, ``sample_type``."""
        table = table_of(TubeRow)
        key = (table.c.run_id == self.run_id, table.c.tube_id == tube_id)
        if self._session.execute(select(table.c.tube_id).where(*key)).first() is None:
            self._insert(TubeRow, [{"tube_id": tube_id, **fields}])
            return
        unknown = set(fields) - set(table.c.keys()) - {"run_id", "tube_id"}
        if unknown:
            raise TypeError(f"tubes: unknown column(s) {sorted(unknown)}")
        if fields:
            self._session.execute(update(table).where(*key).values(**fields))

    def add_sample(self, **fields: Any) -> None:
        """A sample: ``name``, ``tube_id`` (an existing tube), ``sample_type``, ``east_m``,
        ``north_m``, ``sol``."""
        self._insert(SampleRow, [fields])

    def add_custody(self, **fields: Any) -> None:
        """A tube's state change: ``tube_id``, ``from_state``, ``to_state``, ``actor``,
        ``lmst``, ``east_m``, ``north_m``, ``sol``."""
        self._insert(CustodyRow, [fields])

    def add_product(self, **fields: Any) -> None:
        """A data product: ``kind``, ``path`` (relative to the run folder), ``sol``,
        ``priority``, ``bytes``; an image also ``name``, ``instrument``, ``camera``,
        ``lmst``, ``pointing`` (JSON), ``thumbnail``, ``width_px``, ``height_px``,
        ``status`` (``ok``, the default, or ``failed``) and ``reason``."""
        self._insert(ProductRow, [{"status": "ok"} | fields])

    def add_weather_sol(self, **fields: Any) -> None:
        """The sol's MEDA summary (the columns of `WeatherSolRow` but ``run_id`` and ``sol``)."""
        self._insert(WeatherSolRow, [fields])

    def add_moxie_run(self, **fields: Any) -> None:
        """A MOXIE run (the columns of `MoxieRunRow` but ``run_id``; ``sol`` defaults to
        the transaction's)."""
        self._insert(MoxieRunRow, [fields])

    def add_downlinks(self, rows: Iterable[Mapping[str, Any]]) -> None:
        """Products sent home (the columns of `DownlinkRow` but ``run_id`` and ``id``;
        ``sol``, the pass's, defaults to the transaction's)."""
        self._insert(DownlinkRow, rows)

    def set_checkpoint(self, state: Any) -> None:
        """The simulation state (JSON) that a resumed run restarts from."""
        self._session.execute(
            update(_RUNS).where(_RUNS.c.id == self.run_id).values(checkpoint=state)
        )
