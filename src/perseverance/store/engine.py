"""Database engines: what a --db target names, SQLite's pragmas, WAL and read-only modes.

SQLite is the default (a file path); any SQLAlchemy URL works too, e.g.
``postgresql+psycopg://user@host/db`` (a bare ``postgresql://`` means psycopg 3).
SQLite runs with write-ahead logging and foreign keys on, so readers (the web
server, ``samples list``) never block the writer. Every write is checkpointed
into the main file as it commits (a passive checkpoint: it never waits for a
reader), and a finished run leaves the ``-wal`` file empty, so the main file
alone holds every committed sol. Readers open the file read-only: with
``mode=ro``, or, when its folder is read-only and there is no ``-wal`` file with
content (no writer can be at work there), as ``immutable``, which needs no
``-shm`` file beside it. A target that cannot be used is one line of `StoreError`.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, create_engine, event, exc
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.pool import StaticPool

from perseverance.errors import StoreError

#: How long to wait for a database server to answer before giving up [s].
CONNECT_TIMEOUT_S = 10
#: How long SQLite waits for another process's write lock before giving up [s].
SQLITE_BUSY_TIMEOUT_S = 30.0
#: How long a finished run's final checkpoint waits for readers to let go of the WAL [s].
FINAL_CHECKPOINT_WAIT_S = 2.0

#: The password of a URL that SQLAlchemy cannot parse (its own pattern: up to the ``@``).
_PASSWORD = re.compile(r"^([\w+.-]*://[^:/@]*:)[^@]*@")
#: SQLite's true values of a boolean URI parameter.
_SQLITE_TRUE = ("1", "yes", "true", "on")


@dataclass(frozen=True)
class DatabaseTarget:
    """The database a --db value names, checked to be usable the way it is opened."""

    #: The URL to make the engine from.
    url: URL
    #: How messages name the database (a file path, or the URL with its password hidden).
    name: str
    #: The SQLite file, or None (in memory, or a database server).
    file: Path | None
    #: Whether the store writes through SQLite's WAL (and so checkpoints it).
    wal: bool


def resolve_target(
    url_or_path: str | os.PathLike[str], *, create: bool, readonly: bool, durable: bool
) -> DatabaseTarget:
    """The database of a file path or URL (see `perseverance.store.database.open_store`)."""
    target = os.fspath(url_or_path)
    if not target.strip():
        raise StoreError(f"--db {target!r}: empty; give a file path or a database URL")
    url: URL | None
    if "://" in target:
        url = _parse_url(target)
        if url.drivername in ("postgresql", "postgres"):
            url = url.set(drivername="postgresql+psycopg")
        sqlite = url.get_backend_name() == "sqlite"
        # A SQLite URL as given (rendering it would percent-encode its ":memory:").
        name = (
            _PASSWORD.sub(r"\1***@", target) if sqlite else url.render_as_string(hide_password=True)
        )
        mode = url.query.get("mode")
        memory = sqlite and _sqlite_in_memory(
            url.database or "", mode if isinstance(mode, str) else None
        )
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
    return DatabaseTarget(url=url, name=name, file=file, wal=sqlite and not (memory or readonly))


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


def wal_without_shm_here(path: Path) -> bool:
    """Whether a reader of ``path`` cannot read its ``-wal`` file: the folder is read-only
    and the ``-shm`` file that the WAL needs is missing."""
    wal, shm = Path(f"{path}-wal"), Path(f"{path}-shm")
    return not os.access(path.parent, os.W_OK) and wal.exists() and not shm.exists()


def make_engine(url: URL, *, name: str, readonly: bool) -> Engine:
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
    def _on_begin(conn: Connection) -> None:
        write = conn.get_execution_options().get("perseverance_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def checkpoint_wal(engine: Engine, mode: str = "PASSIVE") -> None:
    """Copy the WAL's committed pages of a SQLite engine into the main file.

    PASSIVE never waits; TRUNCATE (a finished run) waits up to
    `FINAL_CHECKPOINT_WAIT_S` for readers, then empties the ``-wal`` file. A
    checkpoint that cannot be done is left to the next one: the commit stands.
    """
    waits = mode != "PASSIVE"
    with suppress(exc.DBAPIError, sqlite3.Error):
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            try:
                if waits:
                    cursor.execute(f"PRAGMA busy_timeout = {FINAL_CHECKPOINT_WAIT_S * 1000:.0f}")
                cursor.execute(f"PRAGMA wal_checkpoint({mode})").fetchall()
            finally:
                if waits:
                    cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_S * 1000:.0f}")
                cursor.close()
        finally:
            raw.close()


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
