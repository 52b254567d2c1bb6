"""The store tests' databases: a SQLite file, and PostgreSQL when a server is given.

Set ``PERSEVERANCE_TEST_POSTGRES_URL`` (e.g.
``postgresql+psycopg://postgres@127.0.0.1:54329/perseverance_test``) to run every
``db_url`` test against that server as well; each test gets its own schema,
dropped afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url

from perseverance.store import Store, open_store

POSTGRES_URL = os.environ.get("PERSEVERANCE_TEST_POSTGRES_URL")


def postgres_url(base: str) -> URL:
    """``base`` with psycopg 3 as the driver."""
    url = make_url(base)
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path) -> Iterator[str]:
    """A fresh, empty database: a SQLite file, or a new schema on the PostgreSQL server."""
    if request.param == "sqlite":
        yield str(tmp_path / "runs" / "r1" / "mission.db")
        return
    if not POSTGRES_URL:
        pytest.skip(
            "PostgreSQL not configured: set PERSEVERANCE_TEST_POSTGRES_URL="
            "postgresql+psycopg://USER@HOST:PORT/DB to run the store tests on a server"
        )
    base = postgres_url(POSTGRES_URL)
    schema = f"test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    url = base.update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture
def store(db_url) -> Iterator[Store]:
    with open_store(db_url) as opened:
        yield opened
