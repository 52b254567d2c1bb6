"""Opening the mission database, writing a sol at a time, and reading it back.

>>> store = open_store("runs/demo/mission.db")                 # doctest: +SKIP
>>> run_id = store.create_run(scenario="default", seed=7, config={})  # doctest: +SKIP
>>> with store.sol_transaction(run_id, 0) as sol:               # doctest: +SKIP
...     sol.add_events(edl_result.events())
...     sol.set_checkpoint({"battery_j": 1.4e6})
>>> store.last_committed_sol(run_id)                            # doctest: +SKIP
0

SQLite is the default (a file path); any SQLAlchemy URL works too, e.g.
``postgresql+psycopg://user@host/db`` (a bare ``postgresql://`` means psycopg 3).
SQLite runs with write-ahead logging and foreign keys on, so readers (the web
server, ``samples list``) never block the writer. Every write is checkpointed
into the main file as it commits (a passive checkpoint: it never waits for a
reader), and a finished run leaves the ``-wal`` file empty, so the main file
alone holds every committed sol. Readers open the file read-only: with
``mode=ro``, or, when its folder is read-only and there is no ``-wal`` file with
content (no writer can be at work there), as ``immutable``, which needs no
``-shm`` file beside it.

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

import json
import os
import re
import socket
import sqlite3
import uuid
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Table,
    create_engine,
    event,
    exc,
    func,
    insert,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool
from sqlalchemy.types import DateTime, Double, Integer, String, TypeDecorator

from perseverance.errors import StoreError
from perseverance.processes import pid_alive
from perseverance.store.schema import (
    SCHEMA_VERSION,
    TABLES,
    ActivityRow,
    Base,
    CustodyRow,
    EventRow,
    PowerRow,
    ProductRow,
    RunRow,
    SampleRow,
    SchemaVersionRow,
    SolRow,
    TraverseRow,
    TubeRow,
)

#: How long a writer's lease lasts without a commit [s] before another process may take it.
DEFAULT_LEASE_S = 600.0
#: How long to wait for a database server to answer before giving up [s].
CONNECT_TIMEOUT_S = 10
#: How long SQLite waits for another process's write lock before giving up [s].
SQLITE_BUSY_TIMEOUT_S = 30.0
#: How long a finished run's final checkpoint waits for readers to let go of the WAL [s].
FINAL_CHECKPOINT_WAIT_S = 2.0

_HOST = socket.gethostname()
_RUNS: Table = RunRow.__table__  # type: ignore[assignment]
#: Arbitrary key of the PostgreSQL advisory lock that serialises creating the tables.
_PG_CREATE_LOCK = 0x4D32303230
#: The password of a URL that SQLAlchemy cannot parse (its own pattern: up to the ``@``).
_PASSWORD = re.compile(r"^([\w+.-]*://[^:/@]*:)[^@]*@")
#: SQLite's true values of a boolean URI parameter.
_SQLITE_TRUE = ("1", "yes", "true", "on")


def open_store(
    url_or_path: str | os.PathLike,
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
    target = os.fspath(url_or_path)
    if not target.strip():
        raise StoreError(f"--db {target!r}: empty; give a file path or a database URL")
    if "://" in target:
        url = _parse_url(target)
        if url.drivername in ("postgresql", "postgres"):
            url = url.set(drivername="postgresql+psycopg")
        sqlite = url.get_backend_name() == "sqlite"
        # A SQLite URL as given (rendering it would percent-encode its ":memory:").
        name = (
            _PASSWORD.sub(r"\1***@", target) if sqlite else url.render_as_string(hide_password=True)
        )
        memory = sqlite and _sqlite_in_memory(url.database or "", url.query.get("mode"))
    else:
        url, name, sqlite = None, target, True
        memory = _sqlite_in_memory(target, None)
    if memory and durable:
        raise StoreError(
            f"--db {name!r} is an in-memory database: it vanishes with this process; give a "
            "file path or a database server URL"
        )
    if url is not None and sqlite and not readonly:
        _refuse_read_only_query(url, name)
    file: Path | None = None
    if memory:
        url = make_url("sqlite://")
    elif sqlite:
        name = target if url is None else (url.database or "")
        file = Path(name)
        url = _sqlite_file_url(file, name=name, create=create, readonly=readonly)
    assert url is not None
    wal = sqlite and not (memory or readonly)
    store = Store(
        _engine(url, name=name, readonly=readonly),
        name=name,
        readonly=readonly,
        lease_s=lease_s,
        wal=wal,
    )
    try:
        store._check_schema(create=create)
    except StoreError as e:
        store.engine.dispose()
        if readonly and file is not None and _wal_without_shm_here(file):
            raise StoreError(
                f"{e} (its folder is read-only and holds a -wal file, which SQLite reads only "
                "with the -shm file beside it: copy the run folder somewhere writable to read it)"
            ) from None
        raise
    except BaseException:
        store.engine.dispose()
        raise
    return store


def _parse_url(target: str) -> URL:
    """A SQLAlchemy URL, or one line naming it (password hidden) when it cannot be parsed."""
    try:
        return make_url(target)
    except (exc.ArgumentError, ValueError) as e:
        shown = _PASSWORD.sub(r"\1***@", target)
        port = re.search(r"invalid literal for int\(\) with base 10: (.*)", str(e))
        why = f" (port {port[1]} is not a number)" if port else ""
        raise StoreError(f"--db {shown}: not a database URL or file path{why}") from None


def _sqlite_in_memory(database: str, mode: str | None) -> bool:
    """Whether a SQLite file name (or ``file:`` URI) names an in-memory database."""
    if database in ("", ":memory:") or database.startswith("file::memory:") or mode == "memory":
        return True
    if database.startswith("file:"):
        query = database.partition("?")[2]
        return "mode=memory" in query.split("&")
    return False


def _refuse_read_only_query(url: URL, name: str) -> None:
    """Refuse to write through a SQLite URL that asks for a read-only database."""
    query = {k: str(v).lower() for k, v in url.query.items()}
    found = [
        f"{key}={url.query[key]}"
        for key, read_only in (
            ("mode", query.get("mode") == "ro"),
            ("immutable", query.get("immutable") in _SQLITE_TRUE),
        )
        if read_only
    ]
    if found:
        raise StoreError(
            f"--db {name}: the URL opens the database read-only ({found[0]}), so nothing can "
            f"be written to it; drop {found[0]} from the URL to write"
        )


def _sqlite_file_url(path: Path, *, name: str, create: bool, readonly: bool) -> URL:
    """The URL of a SQLite file, after checking it can be opened the way asked."""
    if readonly:
        if not path.is_file():
            raise StoreError(f"no mission database at {name}")
        query = {"mode": "ro", "uri": "true"}
        if _nobody_writes(path):
            query["immutable"] = "1"
        return URL.create("sqlite", database=path.resolve().as_uri(), query=query)
    if path.exists():
        if path.is_dir():
            raise StoreError(f"{name} is a folder, not a mission database file")
        # Root ignores permission bits, so look at them too: a file nobody may
        # write to was made read-only on purpose.
        if not os.access(path, os.W_OK) or not path.stat().st_mode & 0o222:
            raise StoreError(
                f"{name} is read-only: make it writable (chmod u+w) to write to it, "
                "or open it read-only"
            )
        if not os.access(path.parent, os.W_OK):
            raise StoreError(
                f"the folder of {name} is read-only: SQLite must create its -wal file beside it"
            )
    elif not create:
        raise StoreError(f"no mission database at {name}")
    else:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise StoreError(f"cannot create {name}: {e.strerror}") from None
    return URL.create("sqlite", database=str(path))


def _nobody_writes(path: Path) -> bool:
    """Whether no one can be writing a SQLite file: its folder is read-only to us (no
    ``-wal`` file can be made there) and there is no ``-wal`` file with content.

    Then it may be opened ``immutable``, which needs no ``-shm`` file; otherwise a
    reader must use the WAL, and ``mode=ro`` does.
    """
    if os.access(path.parent, os.W_OK):
        return False
    try:
        return Path(f"{path}-wal").stat().st_size == 0
    except FileNotFoundError:
        return True
    except OSError:
        return False


def _wal_without_shm_here(path: Path) -> bool:
    """Whether a reader of ``path`` cannot read its ``-wal`` file: the folder is read-only
    and the ``-shm`` file that the WAL needs is missing."""
    wal, shm = Path(f"{path}-wal"), Path(f"{path}-shm")
    return not os.access(path.parent, os.W_OK) and wal.exists() and not shm.exists()


def _engine(url: URL, *, name: str, readonly: bool) -> Engine:
    """An engine: SQLite with WAL, foreign keys and our own BEGIN; servers with a timeout."""
    kwargs: dict[str, Any] = {"json_serializer": _dumps}
    sqlite = url.get_backend_name() == "sqlite"
    memory = sqlite and url.database in (None, "", ":memory:")
    if memory:
        kwargs.update(poolclass=StaticPool, connect_args={"check_same_thread": False})
    elif sqlite:
        kwargs["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_S}
    else:
        kwargs["pool_pre_ping"] = True
        if url.get_backend_name() == "postgresql" and "connect_timeout" not in url.query:
            kwargs["connect_args"] = {"connect_timeout": CONNECT_TIMEOUT_S}
    try:
        engine = create_engine(url, **kwargs)
    except (ImportError, exc.NoSuchModuleError) as e:
        raise StoreError(
            f"{name}: no database driver for {url.drivername} ({e}); for PostgreSQL install "
            "psycopg and use postgresql+psycopg://"
        ) from None
    if sqlite:
        _configure_sqlite(engine, wal=not (memory or readonly))
    return engine


def _configure_sqlite(engine: Engine, *, wal: bool) -> None:
    """PRAGMAs on every new connection, and BEGIN emitted by us (pysqlite's own is lax).

    pysqlite in its legacy mode only begins a transaction before INSERT/UPDATE/
    DELETE, so SELECTs and DDL would run outside it; the SQLAlchemy-documented
    remedy is to switch that off and emit BEGIN ourselves. Writes use BEGIN
    IMMEDIATE: they take the write lock first and wait for it (busy timeout),
    rather than failing when a read has to be upgraded.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA foreign_keys = ON")
            if wal:
                cursor.execute("PRAGMA journal_mode = WAL")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        write = conn.get_execution_options().get("perseverance_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def _json_default(value: Any) -> Any:
    if hasattr(value, "tolist"):  # NumPy scalars and small arrays
        return value.tolist()
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"the store cannot keep a {type(value).__name__} in JSON: {value!r}")


def _dumps(value: Any) -> str:
    """JSON for both backends: NaN and infinity are refused (PostgreSQL rejects them)."""
    try:
        return json.dumps(value, allow_nan=False, default=_json_default)
    except ValueError:
        raise ValueError(
            "the store keeps JSON without NaN or infinity; write None for a missing value"
        ) from None


def _reason(error: BaseException) -> str:
    """The first line of a driver's error message."""
    orig = getattr(error, "orig", None) or error
    lines = [line.strip() for line in str(orig).splitlines() if line.strip()]
    return lines[0] if lines else type(orig).__name__


def _now() -> datetime:
    return datetime.now(UTC)


#: The Python types a column of each SQLAlchemy type reads back as.
_PYTHON_TYPES: tuple[tuple[type, tuple[type, ...]], ...] = (
    (Integer, (int,)),
    (Double, (float, int)),
    (String, (str,)),
    (DateTime, (datetime,)),
)


@cache
def _column_types(model: type) -> tuple[tuple[str, tuple[type, ...]], ...]:
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


def holder_alive(run: RunRow, now: datetime | None = None) -> bool:
    """Whether the lease written in a run's row still protects its writer (at ``now``,
    default the present). A ``running`` run whose holder is not alive was interrupted."""
    now = _now() if now is None else now
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


class Store:
    """An open mission database: read API, runs, and sol-by-sol transactions.

    Make one with `open_store`. Reads may happen from any number of processes;
    writes to a run need this store to hold the run's lease (`create_run`,
    `claim`). Close it (or use it as a context manager) to give leases back.
    """

    def __init__(
        self, engine: Engine, *, name: str, readonly: bool, lease_s: float, wal: bool = False
    ):
        self.engine = engine
        self.name = name
        self.readonly = readonly
        self.lease_s = float(lease_s)
        self._wal = wal
        self._token = uuid.uuid4().hex
        self._held: set[str] = set()
        self._write_engine = engine.execution_options(perseverance_write=True)

    def __repr__(self) -> str:
        mode = ", read-only" if self.readonly else ""
        return f"<Store {self.dialect} {self.name}{mode}>"

    @property
    def dialect(self) -> str:
        """``"sqlite"`` or ``"postgresql"`` (or another SQLAlchemy dialect name)."""
        return self.engine.dialect.name

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

    # -- plumbing -------------------------------------------------------------

    @contextmanager
    def _errors(self, doing: str) -> Iterator[None]:
        """Turn the database's own failures (unreachable, locked, read-only, constraint
        violations) into one line."""
        try:
            yield
        except exc.DBAPIError as e:
            raise StoreError(f"{self.name}: {doing}: {_reason(e)}") from e

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
                f"{self.name}: table {table} holds a value that cannot be read ({_reason(e)}); "
                "the database was changed outside perseverance or is damaged"
            ) from None

    def _checked(self, model: type, rows: list) -> list:
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
        """Copy the WAL's committed pages into the main file (SQLite in WAL mode only).

        PASSIVE never waits; TRUNCATE (a finished run) waits up to
        `FINAL_CHECKPOINT_WAIT_S` for readers, then empties the ``-wal`` file. A
        checkpoint that cannot be done is left to the next one: the commit stands.
        """
        if not self._wal:
            return
        waits = mode != "PASSIVE"
        with suppress(exc.DBAPIError, sqlite3.Error):
            raw = self.engine.raw_connection()
            try:
                cursor = raw.cursor()
                try:
                    if waits:
                        cursor.execute(
                            f"PRAGMA busy_timeout = {FINAL_CHECKPOINT_WAIT_S * 1000:.0f}"
                        )
                    cursor.execute(f"PRAGMA wal_checkpoint({mode})").fetchall()
                finally:
                    if waits:
                        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_S * 1000:.0f}")
                    cursor.close()
            finally:
                raw.close()

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
            raise StoreError(f"cannot {verb} {self.name}: {_reason(e)}") from e
        if version != SCHEMA_VERSION:
            raise StoreError(
                f"{self.name} has schema version {version}; this program reads version "
                f"{SCHEMA_VERSION} (open it with the perseverance release that wrote it, or "
                "use a new database)"
            )

    def _version(self, conn: Any, *, create: bool) -> int | None:
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

    def _lease(self) -> dict[str, Any]:
        return {
            "writer_token": self._token,
            "writer_pid": os.getpid(),
            "writer_host": _HOST,
            "lease_expires_utc": _now() + timedelta(seconds=self.lease_s),
        }

    def _fence(self, session: Session, run_id: str, sol: int | None) -> None:
        """Renew this store's lease on the run (and advance its last sol) or refuse."""
        values = self._lease()
        del values["writer_token"]
        cond = [_RUNS.c.id == run_id, _RUNS.c.writer_token == self._token]
        if sol is not None:
            values["last_committed_sol"] = sol
            cond.append((_RUNS.c.last_committed_sol.is_(None)) | (_RUNS.c.last_committed_sol < sol))
        if session.execute(update(_RUNS).where(*cond).values(**values)).rowcount == 1:
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
        raise StoreError(
            f"sol {sol} of run {run_id} is already committed (last committed sol "
            f"{run.last_committed_sol}); resume from sol {run.last_committed_sol + 1}"
        )

    # -- runs and leases ------------------------------------------------------

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
        created = created_utc or _now()
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
            if session.execute(stmt).rowcount != 1:
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

    def finish_run(self, run_id: str, status: str = "complete") -> None:
        """Set the run's final status (``complete``, ``failed``...) and give back its lease.

        On SQLite the WAL is then checkpointed and emptied, so the main file alone
        holds the finished run (and it can be read from a read-only folder).
        """
        with self._session(f"finish run {run_id}", write=True) as session:
            self._fence(session, run_id, None)
            session.execute(
                update(_RUNS).where(_RUNS.c.id == run_id).values(status=status, finished_utc=_now())
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

    # -- reads ----------------------------------------------------------------

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

    def _rows(self, model: type, run_id: str, order: tuple, **where: Any) -> list:
        with self._session(f"read {model.__tablename__}") as session:
            stmt = select(model).where(model.run_id == self._resolve(session, run_id))
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

    def products(self, run_id: str = "latest", kind: str | None = None) -> list[ProductRow]:
        """Data products in the order they were written (optionally of one kind)."""
        return self._rows(ProductRow, run_id, (ProductRow.id,), kind=kind)


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

    def _prepare(self, model: type, rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
        table: Table = model.__table__  # type: ignore[attr-defined]
        numbered = getattr(model, "_numbered", False)
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

    def _number(self, model: type, rows: list[dict[str, Any]]) -> None:
        """Give each row of a numbered table the run's next ``id`` (1 for its first row).

        The next id is one more than the run's largest, read in this transaction:
        safe because only the holder of the run's lease writes to it, and the same
        on every backend and after a resume, unlike a sequence.
        """
        table: Table = model.__table__  # type: ignore[attr-defined]
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

    def _insert(self, model: type, rows: Iterable[Mapping[str, Any]]) -> None:
        prepared = self._prepare(model, rows)
        if prepared:
            if getattr(model, "_numbered", False):
                self._number(model, prepared)
            self._session.execute(insert(model.__table__), prepared)  # type: ignore[attr-defined]

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
        table: Table = TubeRow.__table__  # type: ignore[assignment]
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
        ``priority``, ``bytes``."""
        self._insert(ProductRow, [fields])

    def set_checkpoint(self, state: Any) -> None:
        """The simulation state (JSON) that a resumed run restarts from."""
        self._session.execute(
            update(_RUNS).where(_RUNS.c.id == self.run_id).values(checkpoint=state)
        )
