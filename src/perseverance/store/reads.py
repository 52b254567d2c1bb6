"""Reading the mission database back: runs, sols, activities, events, tubes, samples, custody.

Every read takes ``run_id="latest"`` by default (the most recently created run)
and returns rows of `perseverance.store.schema`, their values checked against
the column types (SQLite keeps any value in any column).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute

from perseverance.errors import StoreError
from perseverance.store.base import RowT, StoreBase, table_of
from perseverance.store.schema import (
    ActivityRow,
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


class Reads(StoreBase):
    """The read API of a `perseverance.store.database.Store`."""

    def list_runs(self) -> list[RunRow]:
        """Every run, oldest first."""
        with self._session("list runs") as session, self._decoding("runs"):
            stmt = select(RunRow).order_by(RunRow.created_utc, RunRow.id)
            return self._checked(RunRow, list(session.scalars(stmt)))

    def latest_run(self) -> RunRow | None:
        """The most recently created run, or None in an empty database."""
        with self._session("read runs") as session, self._decoding("runs"):
            stmt = select(RunRow).order_by(RunRow.created_utc.desc(), RunRow.id.desc()).limit(1)
            found = list(session.scalars(stmt))
            return self._checked(RunRow, found)[0] if found else None

    def run(self, run_id: str = "latest") -> RunRow:
        """One run by id (``"latest"``: the most recent); `StoreError` if there is none."""
        with self._session("read runs") as session:
            run = self._run_row(session, self._resolve(session, run_id))
            assert run is not None
            return run

    def last_committed_sol(self, run_id: str) -> int | None:
        """The last sol whose writes were committed, or None before the first."""
        return self.run(run_id).last_committed_sol

    def checkpoint(self, run_id: str) -> Any:
        """The simulation state saved with the last committed sol (None before the first)."""
        return self.run(run_id).checkpoint

    def _rows(
        self,
        model: type[RowT],
        run_id: str,
        order: tuple[InstrumentedAttribute[Any], ...],
        **where: Any,
    ) -> list[RowT]:
        columns = table_of(model).c
        with self._session(f"read {model.__tablename__}") as session:
            stmt = select(model).where(columns.run_id == self._resolve(session, run_id))
            for key, value in where.items():
                if value is not None:
                    stmt = stmt.where(getattr(model, key) == value)
            with self._decoding(model.__tablename__):
                return self._checked(model, list(session.scalars(stmt.order_by(*order))))

    def sols(self, run_id: str = "latest") -> list[SolRow]:
        """Per-sol summaries, in sol order."""
        return self._rows(SolRow, run_id, (SolRow.sol,))

    def activities(self, run_id: str = "latest", sol: int | None = None) -> list[ActivityRow]:
        """Activities in the order they were written (optionally of one sol)."""
        return self._rows(ActivityRow, run_id, (ActivityRow.sol, ActivityRow.id), sol=sol)

    def events(self, run_id: str = "latest", sol: int | None = None) -> list[EventRow]:
        """Events (EDL included) in the order they were written (optionally of one sol)."""
        return self._rows(EventRow, run_id, (EventRow.id,), sol=sol)

    def traverse(self, run_id: str = "latest", sol: int | None = None) -> list[TraverseRow]:
        """Path points in sol and sequence order."""
        return self._rows(TraverseRow, run_id, (TraverseRow.sol, TraverseRow.seq), sol=sol)

    def power(self, run_id: str = "latest") -> list[PowerRow]:
        """Per-sol energy budgets, in sol order."""
        return self._rows(PowerRow, run_id, (PowerRow.sol,))

    def tubes(self, run_id: str = "latest") -> list[TubeRow]:
        """Every tube and its current state, by tube id."""
        return self._rows(TubeRow, run_id, (TubeRow.tube_id,))

    def samples(self, run_id: str = "latest") -> list[SampleRow]:
        """The sample catalogue of a run, by sol then name."""
        return self._rows(SampleRow, run_id, (SampleRow.sol, SampleRow.name))

    def sample(self, name: str, run_id: str = "latest") -> SampleRow:
        """One sample by name; `StoreError` naming the way to list them if there is none."""
        with self._session("read samples") as session:
            run_id = self._resolve(session, run_id)
            with self._decoding(SampleRow.__tablename__):
                found = session.get(SampleRow, (run_id, name))
                self._checked(SampleRow, [found] if found is not None else [])
        if found is None:
            raise StoreError(
                f"no sample named {name!r} in run {run_id}; `perseverance samples list` "
                "shows the names"
            )
        return found

    def custody(self, run_id: str = "latest", tube_id: str | None = None) -> list[CustodyRow]:
        """Chain-of-custody records in the order they happened (optionally of one tube)."""
        return self._rows(CustodyRow, run_id, (CustodyRow.id,), tube_id=tube_id)

    def weather_sols(self, run_id: str = "latest") -> list[WeatherSolRow]:
        """MEDA's per-sol summaries, in sol order (sols it ran)."""
        return self._rows(WeatherSolRow, run_id, (WeatherSolRow.sol,))

    def moxie_runs(self, run_id: str = "latest") -> list[MoxieRunRow]:
        """The MOXIE runs, in run order."""
        return self._rows(MoxieRunRow, run_id, (MoxieRunRow.run,))

    def downlinks(
        self, run_id: str = "latest", *, acquired_sol: int | None = None
    ) -> list[DownlinkRow]:
        """Products sent home, in the order they were sent (optionally those made on
        ``acquired_sol``)."""
        return self._rows(DownlinkRow, run_id, (DownlinkRow.id,), acquired_sol=acquired_sol)

    def products(
        self,
        run_id: str = "latest",
        kind: str | None = None,
        *,
        sol: int | None = None,
        camera: str | None = None,
        status: str | None = None,
    ) -> list[ProductRow]:
        """Data products in the order they were written (optionally of one kind, sol,
        camera or status)."""
        return self._rows(
            ProductRow, run_id, (ProductRow.id,), kind=kind, sol=sol, camera=camera, status=status
        )
