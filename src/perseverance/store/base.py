"""The core of a `Store`: its engine, one-transaction sessions, one-line errors, checked rows.

`StoreBase` holds what every part of the store shares: the engine (and its write
twin, whose transactions begin ``IMMEDIATE`` on SQLite), sessions that commit or
roll back as a whole, the schema-version check, and the checks that turn a value
SQLite kept in the wrong column, or an unreachable database, into one line.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cache
from typing import TypeVar

from sqlalchemy import Connection, Table, exc, insert, inspect, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from sqlalchemy.types import DateTime, Double, Integer, String, TypeDecorator

from perseverance.errors import StoreError
from perseverance.store.engine import checkpoint_wal
from perseverance.store.schema import SCHEMA_VERSION, TABLES, Base, RunRow, SchemaVersionRow

#: Arbitrary key of the PostgreSQL advisory lock that serialises creating the tables.
_PG_CREATE_LOCK = 0x4D32303230

#: The Python types a column of each SQLAlchemy type reads back as.
_PYTHON_TYPES: tuple[tuple[type, tuple[type, ...]], ...] = (
    (Integer, (int,)),
    (Double, (float, int)),
    (String, (str,)),
    (DateTime, (datetime,)),
)

#: A row of one of the tables.
RowT = TypeVar("RowT", bound=Base)


def utc_now() -> datetime:
    """The present, in UTC."""
    return datetime.now(UTC)


def table_of(model: type[Base]) -> Table:
    """The table of a model (every model of the schema maps one plain table)."""
    found = model.__table__
    assert isinstance(found, Table)
    return found


def reason(error: BaseException) -> str:
    """The first line of a driver's error message."""
    orig = getattr(error, "orig", None) or error
    lines = [line.strip() for line in str(orig).splitlines() if line.strip()]
    return lines[0] if lines else type(orig).__name__


@cache
def _column_types(model: type[Base]) -> tuple[tuple[str, tuple[type, ...]], ...]:
    """(attribute, allowed Python types) of every column of ``model`` with a fixed type."""
    spec = []
    for attr in inspect(model).column_attrs:
        (column,) = attr.columns
        sql_type = column.type
        if isinstance(sql_type, TypeDecorator):
            sql_type = sql_type.impl_instance
        for sql, python in _PYTHON_TYPES:
            if isinstance(sql_type, sql):
                spec.append((attr.key, python + ((type(None),) if column.nullable else ())))
                break
    return tuple(spec)


def _type_names(types: tuple[type, ...]) -> str:
    names = {"str": "text", "int": "an integer", "float": "a number", "datetime": "a time"}
    return " or ".join(names.get(t.__name__, t.__name__) for t in types if t is not type(None))


class StoreBase:
    """The engine and plumbing of a `perseverance.store.database.Store`."""

    def __init__(
        self, engine: Engine, *, name: str, readonly: bool, lease_s: float, wal: bool = False
    ):
        self.engine = engine
        self.name = name
        self.readonly = readonly
        self.lease_s = float(lease_s)
        self._wal = wal
        #: The writer token of this store: the lease of every run it writes holds it.
        self._token = uuid.uuid4().hex
        #: The runs whose lease this store holds.
        self._held: set[str] = set()
        self._write_engine = engine.execution_options(perseverance_write=True)

    def __repr__(self) -> str:
        mode = ", read-only" if self.readonly else ""
        return f"<Store {self.dialect} {self.name}{mode}>"

    @property
    def dialect(self) -> str:
        """``"sqlite"`` or ``"postgresql"`` (or another SQLAlchemy dialect name)."""
        return self.engine.dialect.name

    @contextmanager
    def _errors(self, doing: str) -> Iterator[None]:
        """Turn the database's own failures (unreachable, locked, read-only, constraint
        violations) into one line."""
        try:
            yield
        except exc.DBAPIError as e:
            raise StoreError(f"{self.name}: {doing}: {reason(e)}") from e

    @contextmanager
    def _session(self, doing: str, *, write: bool = False) -> Iterator[Session]:
        """A session in one transaction: committed at the end, rolled back on any error."""
        if write and self.readonly:
            raise StoreError(f"{self.name} was opened read-only; cannot {doing}")
        bind = self._write_engine if write else self.engine
        with (
            self._errors(f"cannot {doing}"),
            Session(bind, expire_on_commit=False) as session,
            session.begin(),
        ):
            yield session
        if write:
            self._checkpoint()

    @contextmanager
    def _decoding(self, table: str) -> Iterator[None]:
        """A stored value that cannot be turned back into Python (a row changed outside
        perseverance, a damaged file) becomes one line naming the database and table."""
        try:
            yield
        except (ValueError, TypeError, OverflowError) as e:
            raise StoreError(
                f"{self.name}: table {table} holds a value that cannot be read ({reason(e)}); "
                "the database was changed outside perseverance or is damaged"
            ) from None

    def _checked(self, model: type[Base], rows: list[RowT]) -> list[RowT]:
        """``rows``, after checking their values have the column types (SQLite keeps any
        value in any column; the server refuses them on write)."""
        if self.dialect != "sqlite":
            return rows
        spec = _column_types(model)
        for row in rows:
            for key, types in spec:
                value = getattr(row, key)
                if not isinstance(value, types) or isinstance(value, bool):
                    raise TypeError(f"{key} = {value!r} is not {_type_names(types)}")
        return rows

    def _checkpoint(self, mode: str = "PASSIVE") -> None:
        """Checkpoint the WAL (SQLite in WAL mode only; see `checkpoint_wal`)."""
        if self._wal:
            checkpoint_wal(self.engine, mode)

    def _check_schema(self, *, create: bool) -> None:
        """Refuse a database of another schema version; create the tables if asked."""
        verb = "connect to" if self.dialect != "sqlite" else "open"
        try:
            with self.engine.connect() as conn, conn.begin():
                version = self._version(conn, create=create)
            if version is None:
                with self._write_engine.connect() as conn, conn.begin():
                    if self.dialect == "postgresql":
                        lock = text("SELECT pg_advisory_xact_lock(:k)")
                        conn.execute(lock, {"k": _PG_CREATE_LOCK})
                    version = self._version(conn, create=True)
                    if version is None:
                        Base.metadata.create_all(conn)
                        row = {"id": 1, "version": SCHEMA_VERSION}
                        conn.execute(insert(SchemaVersionRow), row)
                        version = SCHEMA_VERSION
        except (exc.DBAPIError, sqlite3.Error) as e:
            raise StoreError(f"cannot {verb} {self.name}: {reason(e)}") from e
        if version != SCHEMA_VERSION:
            raise StoreError(
                f"{self.name} has schema version {version}; this program reads version "
                f"{SCHEMA_VERSION} (open it with the perseverance release that wrote it, or "
                "use a new database)"
            )

    def _version(self, conn: Connection, *, create: bool) -> int | None:
        """The stored schema version, or None when the tables are still to be created."""
        names = set(inspect(conn).get_table_names())
        if SchemaVersionRow.__tablename__ in names:
            version = conn.scalar(select(SchemaVersionRow.version).where(SchemaVersionRow.id == 1))
            if version is None:
                raise StoreError(
                    f"{self.name} has an empty schema_version table; use a new database"
                )
            if not isinstance(version, int) or isinstance(version, bool):
                raise StoreError(
                    f"{self.name}: table schema_version holds {version!r}, not a version "
                    "number; the database was changed outside perseverance or is damaged"
                )
            return version
        ours = sorted(names & set(TABLES))
        if ours:
            raise StoreError(
                f"{self.name} has tables ({', '.join(ours)}) but no schema_version: it is not a "
                "perseverance mission database; use a new database"
            )
        if not create or self.readonly:
            raise StoreError(f"{self.name} holds no mission database (no tables)")
        return None

    def _resolve(self, session: Session, run_id: str) -> str:
        """The id of a run that exists; ``"latest"`` means the most recently created."""
        if run_id == "latest":
            found = session.scalar(
                select(RunRow.id).order_by(RunRow.created_utc.desc(), RunRow.id.desc()).limit(1)
            )
            if found is None:
                raise StoreError(f"{self.name} holds no runs yet; `perseverance mission` makes one")
            return found
        if session.scalar(select(RunRow.id).where(RunRow.id == run_id)) is None:
            raise StoreError(f"no run {run_id} in {self.name}; `perseverance runs list` shows them")
        return run_id

    def _run_row(self, session: Session, run_id: str) -> RunRow | None:
        """The row of a run (None if there is none), its values checked."""
        with self._decoding("runs"):
            run = session.get(RunRow, run_id, populate_existing=True)
            if run is not None:
                self._checked(RunRow, [run])
            return run
