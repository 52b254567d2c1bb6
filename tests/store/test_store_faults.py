"""Faults of the mission database found by an outside reliability test (issue 8).

A lost ``-wal`` file, bad ``--db`` values, tampered rows, read-only folders, and
ids that must not depend on sequences: each one line, or no loss at all.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import typer
from sqlalchemy import update
from typer.testing import CliRunner

from perseverance.errors import StoreError
from perseverance.store import SCHEMA_VERSION, Store, open_store
from perseverance.store.locate import list_all_runs, open_run, run_db_path
from perseverance.store.schema import TABLES

T0 = datetime(2021, 2, 18, 20, 55, 0, tzinfo=UTC)
#: The user id and group id of ``nobody``, which the permission tests read as.
NOBODY = 65534
#: A child process that reads as ``nobody`` is killed after this long [s].
CHILD_TIMEOUT_S = 60


def _one_line(error: pytest.ExceptionInfo) -> str:
    message = str(error.value)
    assert message and "\n" not in message
    return message


def _activity(name: str) -> dict:
    return {"kind": "wake", "name": name, "start_s": 0.0, "duration_s": 60.0, "energy_j": 1.0}


def _write_sol(store: Store, run_id: str, sol: int) -> None:
    """Two activities, one event, a custody record and a product for ``sol``."""
    with store.sol_transaction(run_id, sol) as w:
        w.add_sol(utc_start=T0, energy_used_j=1.0, drive_m=0.0, odometry_m=0.0)
        w.add_activities([_activity(f"a{sol}"), _activity(f"b{sol}")])
        w.add_events([{"name": "drive_end", "payload": {"sol": sol}}])
        w.set_tube(f"T{sol}", kind="sample", state="sealed")
        w.add_custody(tube_id=f"T{sol}", from_state="empty", to_state="sealed", actor="arm")
        w.add_product(kind="image", path=f"sol{sol}.png", bytes=10)
        w.set_checkpoint({"sol": sol})


def _make_run(db: Path | str, run_id: str, *, sols: int = 2, finish: bool = True) -> None:
    with open_store(db) as store:
        store.create_run(scenario="default", seed=7, config={"a": 1}, run_id=run_id, created_utc=T0)
        for sol in range(sols):
            _write_sol(store, run_id, sol)
        if finish:
            store.finish_run(run_id)


def _ids(store: Store, run_id: str) -> dict[str, list[int]]:
    return {
        "activities": [r.id for r in store.activities(run_id)],
        "events": [r.id for r in store.events(run_id)],
        "custody": [r.id for r in store.custody(run_id)],
        "products": [r.id for r in store.products(run_id)],
    }


# -- 6: a lost -wal file loses nothing committed ------------------------------------------


def test_committed_sols_survive_a_lost_wal(tmp_path):
    path = tmp_path / "mission.db"
    script = textwrap.dedent(
        f"""
        import os, signal
        from perseverance.store import open_store

        store = open_store({str(path)!r})
        store.create_run(scenario="default", seed=7, config={{}}, run_id="k")
        point = dict(east_m=1.0, north_m=2.0, elevation_m=-2569.0, drive_mode="blind")
        for sol in range(6):
            with store.sol_transaction("k", sol) as writer:
                writer.add_traverse([dict(seq=i, **point) for i in range(200)])
                writer.set_checkpoint({{"sol": sol}})
                if sol == 5:
                    os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == -signal.SIGKILL, done.stderr
    for suffix in ("-wal", "-shm"):  # lost: a copy of the main file only, a cleaned-up folder
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    with open_store(path, create=False, readonly=True) as store:
        assert store.last_committed_sol("k") == 4
        assert store.checkpoint("k") == {"sol": 4}
        assert len(store.traverse("k")) == 5 * 200


def test_the_wal_does_not_grow_with_the_sols(tmp_path):
    """Checkpointed at every sol, the -wal file is reused instead of growing."""
    path = tmp_path / "mission.db"
    wal = Path(f"{path}-wal")
    with open_store(path) as store:
        store.create_run(scenario="default", seed=7, config={}, run_id="k")
        point = dict(east_m=1.0, north_m=2.0, elevation_m=-2569.0, drive_mode="blind")
        sizes = []
        for sol in range(30):
            with store.sol_transaction("k", sol) as writer:
                writer.add_traverse([dict(seq=i, **point) for i in range(200)])
            sizes.append(wal.stat().st_size)
    assert max(sizes) < 4 * sizes[2], sizes


# -- 10: --db values that cannot be a mission run's database ------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://u@[::1/db",
        "postgresql://u@host:abc/db",
        "postgresql://u:secret@host:abc/db",
        "://nothing",
        "postgresql://u:secret@[::1/db",
    ],
)
def test_unparsable_url_is_one_line_without_the_password(url):
    with pytest.raises(StoreError) as err:
        open_store(url)
    message = _one_line(err)
    assert "secret" not in message
    assert url.split("://")[0] + "://" in message


def test_empty_db_says_what_is_wrong():
    for readonly in (False, True):
        with pytest.raises(StoreError) as err:
            open_store("", readonly=readonly)
        assert _one_line(err) == "--db '': empty; give a file path or a database URL"


IN_MEMORY = [
    ":memory:",
    "sqlite://",
    "sqlite:///:memory:",
    "sqlite+pysqlite://",
    "file::memory:",
    "file::memory:?cache=shared",
    "sqlite:///file::memory:?uri=true",
    "sqlite:///file:scratch?mode=memory&uri=true",
]


@pytest.mark.parametrize("target", IN_MEMORY)
def test_a_durable_store_is_never_in_memory(target, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(StoreError, match="in-memory") as err:
        open_store(target, durable=True)
    assert target in _one_line(err)
    assert list(tmp_path.iterdir()) == []  # no file named after it either


@pytest.mark.parametrize("target", [":memory:", "sqlite://", "sqlite:///:memory:"])
def test_a_throwaway_store_may_be_in_memory(target):
    with open_store(target) as store:
        store.create_run(scenario="default", seed=7, config={}, run_id="m")
        assert store.run("m").seed == 7


@pytest.mark.parametrize("query", ["mode=ro", "immutable=1", "mode=ro&uri=true"])
def test_a_read_only_url_is_refused_for_writing(tmp_path, query):
    path = tmp_path / "mission.db"
    _make_run(path, "r")
    url = f"sqlite:///{path}?{query}"
    with pytest.raises(StoreError, match="read-only") as err:
        open_store(url)
    assert str(path) in _one_line(err)
    with pytest.raises(StoreError, match="read-only"):
        open_store(url, durable=True)
    with open_store(url, readonly=True) as store:  # reading is what it says
        assert store.run("r").status == "complete"


def test_a_durable_file_store_still_works(tmp_path):
    with open_store(tmp_path / "mission.db", durable=True) as store:
        store.create_run(scenario="default", seed=7, config={}, run_id="d")
    with open_store(f"sqlite:///{tmp_path / 'mission.db'}", durable=True) as store:
        assert store.run("d").seed == 7


# -- 13: tampered rows -----------------------------------------------------------------------

#: (table, SET clause) of one tampered value each, and the read that meets it.
TAMPERED = [
    ("runs", "config = '{not json'", "run"),
    ("runs", "checkpoint = '[1, 2'", "run"),
    ("runs", "created_utc = 'yesterday'", "run"),
    ("runs", "created_utc = 12", "run"),
    ("runs", "finished_utc = '2021-13-45 99:00:00'", "run"),
    ("runs", "last_committed_sol = 'four'", "run"),
    ("runs", "seed = 'seven'", "run"),
    ("sols", "utc_start = 'noon'", "sols"),
    ("events", "payload = '{'", "events"),
]


def _tamper(path: Path, table: str, assignment: str) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute(f"UPDATE {table} SET {assignment}")
    conn.close()


@pytest.mark.parametrize(("table", "assignment", "read"), TAMPERED)
def test_a_tampered_row_is_one_line_naming_the_database_and_table(
    tmp_path, table, assignment, read
):
    path = tmp_path / "mission.db"
    _make_run(path, "r")
    _tamper(path, table, assignment)
    for readonly in (True, False):
        with open_store(path, create=False, readonly=readonly) as store:
            with pytest.raises(StoreError) as err:
                getattr(store, read)("r")
            message = _one_line(err)
            assert str(path) in message and table in message
            if table == "runs":
                reads = [store.list_runs, store.latest_run]
                for other in reads if readonly else [*reads, lambda: store.claim("r")]:
                    with pytest.raises(StoreError, match=table):
                        other()


@pytest.mark.parametrize("version", ["'abc'", "2.5", "x'00'", "'v3'"])
def test_a_tampered_schema_version_is_one_line(tmp_path, version):
    path = tmp_path / "mission.db"
    _make_run(path, "r")
    _tamper(path, "schema_version", f"version = {version}")
    for readonly in (True, False):
        with pytest.raises(StoreError) as err:
            open_store(path, create=False, readonly=readonly)
        message = _one_line(err)
        assert str(path) in message and "schema_version" in message


def test_a_tampered_id_is_one_line_when_writing(tmp_path):
    path = tmp_path / "mission.db"
    _make_run(path, "r", finish=False)
    _tamper(path, "events", "id = 'x' WHERE id = 2")
    with open_store(path) as store:
        store.claim("r")
        with pytest.raises(StoreError, match="table events of run r holds the id 'x'") as err:
            _write_sol(store, "r", 2)
        _one_line(err)
        assert store.last_committed_sol("r") == 1


def test_runs_list_skips_a_tampered_database_and_lists_the_rest(tmp_path, monkeypatch):
    from perseverance.cli.records import runs_app

    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    app.add_typer(runs_app, name="runs")
    monkeypatch.chdir(tmp_path)
    for run_id in ("a1", "b2", "c3"):
        _make_run(run_db_path(run_id), run_id)
    bad = run_db_path("b2")
    _tamper(bad, "runs", "config = 'oops'")

    problems: list[str] = []
    assert [r.run.id for r in list_all_runs(problems=problems)] == ["a1", "c3"]
    assert len(problems) == 1 and str(bad) in problems[0]
    store, run = open_run(None)  # the latest readable one
    store.close()
    assert run.id in ("a1", "c3")

    result = CliRunner().invoke(app, ["runs", "list", "--json"])
    assert result.exit_code == 0, result.output
    assert '"a1"' in result.stdout and '"c3"' in result.stdout and '"b2"' not in result.stdout
    (warning,) = result.stderr.strip().splitlines()
    assert warning.startswith("warning:") and str(bad) in warning and "runs" in warning

    result = CliRunner().invoke(app, ["runs", "list"])
    assert result.exit_code == 0 and "a1" in result.stdout and "Traceback" not in result.output


# -- 16: reading a finished run from a read-only folder ------------------------------------


#: A reader run as nobody: it warms up as root (so every module it needs is imported:
#: the interpreter may be in a folder nobody may enter), drops to nobody, then reads.
_READER = """
import os, shutil, sys, tempfile
from perseverance.errors import StoreError
from perseverance.store import open_store
from perseverance.store.locate import list_all_runs, open_run

def summary(runs, run_id):
    store, run = open_run(run_id, runs_dir=runs)
    with store:
        mode = "immutable" if store.engine.url.query.get("immutable") else "ro"
        ids = [a.id for a in store.activities(run.id)]
        return f"{run.id} {run.status} {run.last_committed_sol} {ids} {mode}"

def read(what, runs, run_id):
    try:
        if what == "list":
            listed = [located.run.id for located in list_all_runs(runs_dir=runs)]
            store, latest = open_run(None, runs_dir=runs)
            store.close()
            return f"{summary(runs, run_id)} {listed} {latest.id}"
        return summary(runs, run_id)
    except StoreError as e:
        return f"StoreError: {e}"

what, runs, run_id, nobody = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
warm = tempfile.mkdtemp()
with open_store(os.path.join(warm, "w", "mission.db")) as store:
    store.create_run(scenario="default", seed=7, config={}, run_id="w")
    with store.sol_transaction("w", 0) as writer:
        writer.add_activities([{"kind": "k", "name": "n", "start_s": 0, "duration_s": 1,
                                "energy_j": 1}])
    store.finish_run("w")
read(what, warm, "w")
shutil.rmtree(warm)
if os.geteuid() == 0:
    os.setgroups([])
    os.setgid(nobody)
    os.setuid(nobody)
print(read(what, runs, run_id))
"""


def _as_nobody(what: str, runs: Path, run_id: str) -> str:
    """What the reader prints, run as user nobody (as this user when not root): permission
    bits apply to it. ``what``: ``summary`` of the run, or ``list`` (every run, the latest).
    """
    if os.name != "posix":
        pytest.skip("POSIX permissions")
    done = subprocess.run(
        [sys.executable, "-c", _READER, what, str(runs), run_id, str(NOBODY)],
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT_S,
        env=os.environ | {"PYTHONDONTWRITEBYTECODE": "1"},
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A folder that nobody can reach (tmp_path is under a folder only root may enter)."""
    folder = Path(tempfile.mkdtemp(prefix="perseverance-ro-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        for p in [folder, *folder.rglob("*")]:
            if p.is_dir():
                p.chmod(0o755)
        shutil.rmtree(folder)


def _read_only(folder: Path) -> None:
    for p in folder.rglob("*"):
        p.chmod(0o555 if p.is_dir() else 0o444)


def test_a_finished_run_leaves_its_main_file_complete(tmp_path):
    path = tmp_path / "mission.db"
    wal = Path(f"{path}-wal")
    with open_store(path) as store:
        store.create_run(scenario="default", seed=7, config={}, run_id="r")
        _write_sol(store, "r", 0)
        store.finish_run("r")
        assert not wal.exists() or wal.stat().st_size == 0  # the writer is still open
        shutil.copy(path, tmp_path / "copy.db")  # the main file alone
    with open_store(tmp_path / "copy.db", create=False, readonly=True) as copy:
        assert copy.run("r").status == "complete"
        assert len(copy.activities("r")) == 2


def test_a_finished_run_in_a_read_only_folder_can_be_read(shared_dir):
    runs = shared_dir / "runs"
    _make_run(run_db_path("r", runs), "r")
    _make_run(run_db_path("s", runs), "s")
    assert sorted(p.name for p in (runs / "r").iterdir()) == ["mission.db"]
    _read_only(shared_dir)
    summary = "r complete 1 [1, 2, 3, 4] immutable"
    assert _as_nobody("list", runs, "r") == f"{summary} ['r', 's'] s"
    assert sorted(p.name for p in (runs / "r").iterdir()) == ["mission.db"]


def _killed_run(path: Path, sols: int) -> None:
    """A run whose writer was killed after committing ``sols`` sols (-wal and -shm left)."""
    script = textwrap.dedent(
        f"""
        import os, signal
        from perseverance.store import open_store

        store = open_store({str(path)!r})
        store.create_run(scenario="default", seed=7, config={{}}, run_id="k")
        for sol in range({sols}):
            with store.sol_transaction("k", sol) as writer:
                writer.add_activities([{_activity("x")!r}])
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == -signal.SIGKILL, done.stderr


def test_a_killed_run_in_a_read_only_folder_can_be_read(shared_dir):
    """A writer killed mid-run leaves -wal and -shm: not immutable, read with mode=ro."""
    _killed_run(run_db_path("k", shared_dir / "runs"), 3)
    _read_only(shared_dir)
    assert _as_nobody("summary", shared_dir / "runs", "k") == "k running 2 [1, 2, 3] ro"


def test_a_wal_that_cannot_be_read_in_a_read_only_folder_is_one_line(shared_dir):
    """A -wal file without its -shm (copied, or cleaned up) in a read-only folder."""
    path = run_db_path("k", shared_dir / "runs")
    _killed_run(path, 3)
    Path(f"{path}-shm").unlink()
    _read_only(shared_dir)
    message = _as_nobody("summary", shared_dir / "runs", "k")
    assert message.startswith("StoreError: ") and str(path) in message and "-shm" in message


def test_a_read_only_file_in_a_writable_folder_can_be_read(shared_dir):
    path = run_db_path("r", shared_dir / "runs")
    _make_run(path, "r")
    path.chmod(0o444)
    path.parent.chmod(0o777)
    assert _as_nobody("summary", shared_dir / "runs", "r") == "r complete 1 [1, 2, 3, 4] ro"


def test_a_reader_of_a_writable_folder_sees_later_commits(tmp_path):
    """Not immutable there: a run being written is read as it grows."""
    path = tmp_path / "mission.db"
    with open_store(path) as writer:
        writer.create_run(scenario="default", seed=7, config={}, run_id="r")
        _write_sol(writer, "r", 0)
        with open_store(path, create=False, readonly=True) as reader:
            assert reader.last_committed_sol("r") == 0
            _write_sol(writer, "r", 1)
            assert reader.last_committed_sol("r") == 1


# -- 17: ids from the simulation, not from sequences ---------------------------------------


def test_ids_are_numbered_per_run_from_one(db_url):
    with open_store(db_url) as store:
        for run_id in ("first", "second"):
            store.create_run(scenario="default", seed=7, config={}, run_id=run_id)
            _write_sol(store, run_id, 0)
        for run_id in ("first", "second"):
            assert _ids(store, run_id) == {
                "activities": [1, 2],
                "events": [1],
                "custody": [1],
                "products": [1],
            }


def test_a_rolled_back_sol_leaves_no_gap_in_the_ids(db_url):
    with open_store(db_url) as store:
        store.create_run(scenario="default", seed=7, config={}, run_id="r")
        _write_sol(store, "r", 0)
        with pytest.raises(RuntimeError), store.sol_transaction("r", 1) as w:
            w.add_activities([_activity("lost")] * 5)
            w.add_events([{"name": "lost"}] * 5)
            raise RuntimeError("killed")
    with open_store(db_url) as store:  # as a --resume would
        store.claim("r")
        _write_sol(store, "r", 1)
        with store.transaction("r") as w:
            w.add_events([{"name": "report"}])
        assert _ids(store, "r") == {
            "activities": [1, 2, 3, 4],
            "events": [1, 2, 3],
            "custody": [1, 2],
            "products": [1, 2],
        }
        assert [e.name for e in store.events("r")] == ["drive_end", "drive_end", "report"]


def test_a_writer_killed_after_its_inserts_leaves_no_gap_in_the_ids(db_url):
    """SIGKILL between a sol's inserts and its commit: a sequence would have moved on."""
    script = textwrap.dedent(
        f"""
        import os, signal
        from perseverance.store import open_store

        activity = {_activity("x")!r}
        store = open_store({db_url!r})
        store.create_run(scenario="default", seed=7, config={{}}, run_id="k")
        for sol in range(3):
            with store.sol_transaction("k", sol) as writer:
                writer.add_activities([activity] * 3)
                writer.add_events([{{"name": "e"}}] * 2)
                if sol == 2:
                    os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == -signal.SIGKILL, done.stderr
    with open_store(db_url) as store:
        assert store.last_committed_sol("k") == 1
        store.claim("k")
        with store.sol_transaction("k", 2) as writer:
            writer.add_activities([_activity("x")] * 3)
            writer.add_events([{"name": "e"}] * 2)
        assert [a.id for a in store.activities("k")] == list(range(1, 10))
        assert [e.id for e in store.events("k")] == list(range(1, 7))


def test_ids_are_not_the_writers_to_choose(store):
    store.create_run(scenario="default", seed=7, config={}, run_id="r")
    with pytest.raises(TypeError, match="unknown column"), store.transaction("r") as w:
        w.add_activities([_activity("x") | {"id": 7}])
    with pytest.raises(TypeError, match="unknown column"), store.transaction("r") as w:
        w.add_product(kind="image", path="x.png", id=7)


def test_a_version_2_database_is_refused(db_url):
    assert SCHEMA_VERSION == 6
    with open_store(db_url) as store:
        store.create_run(scenario="default", seed=7, config={})
        with store.engine.begin() as conn:
            conn.execute(update(TABLES["schema_version"].__table__).values(version=2))
    with pytest.raises(StoreError) as err:
        open_store(db_url)
    assert "has schema version 2; this program reads version 6" in _one_line(err)


def test_deleting_a_run_deletes_its_numbered_rows(db_url):
    with open_store(db_url) as store:
        _make_run_in(store, "gone")
        _make_run_in(store, "kept")
        with store.engine.begin() as conn:
            conn.execute(TABLES["runs"].__table__.delete().where(TABLES["runs"].id == "gone"))
        with pytest.raises(StoreError, match="no run gone"):
            store.events("gone")
        assert _ids(store, "kept")["events"] == [1]


def _make_run_in(store: Store, run_id: str) -> None:
    store.create_run(
        scenario="default", seed=7, config={}, run_id=run_id, created_utc=T0 + timedelta(hours=1)
    )
    _write_sol(store, run_id, 0)
