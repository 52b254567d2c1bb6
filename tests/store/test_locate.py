"""Finding runs: run folders, the latest run over several databases, one-line errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from perseverance.errors import StoreError
from perseverance.outputs import DEFAULT_RUNS_DIR
from perseverance.store import open_store
from perseverance.store.locate import (
    list_all_runs,
    open_run,
    run_db_path,
    run_dir,
)

T0 = datetime(2021, 2, 18, 20, 55, 0, tzinfo=UTC)


def _make_run(db: Path | str, run_id: str, created: datetime, *, seed: int = 7) -> None:
    """A finished run with one committed sol in the database ``db`` (created if needed)."""
    with open_store(db) as store:
        store.create_run(
            scenario="default", seed=seed, config={}, run_id=run_id, created_utc=created
        )
        with store.sol_transaction(run_id, 0) as sol:
            sol.set_checkpoint({"sol": 0})
        store.finish_run(run_id)


def _one_line(error: pytest.ExceptionInfo) -> str:
    message = str(error.value)
    assert message and "\n" not in message
    return message


@pytest.fixture
def runs(tmp_path) -> Path:
    """Two run folders whose names sort the other way round from their creation times."""
    folder = tmp_path / "runs"
    _make_run(run_db_path("zz-old", folder), "zz-old", T0, seed=1)
    _make_run(run_db_path("aa-new", folder), "aa-new", T0 + timedelta(hours=1), seed=2)
    return folder


def test_run_paths():
    assert Path("runs") == DEFAULT_RUNS_DIR
    assert run_dir("r1") == Path("runs/r1")
    assert run_db_path("r1", Path("/data/runs")) == Path("/data/runs/r1/mission.db")


@pytest.mark.parametrize("bad", ["", ".", "..", "a/b", "../x", "a\\b", "/etc"])
def test_run_id_with_a_path_is_refused(bad):
    with pytest.raises(StoreError, match="not a run id") as err:
        run_dir(bad)
    _one_line(err)


def test_latest_is_the_most_recently_created_over_folders(runs):
    store, run = open_run(None, runs_dir=runs)
    with store:
        assert (run.id, run.seed) == ("aa-new", 2)
        assert store.readonly
    store, run = open_run("latest", runs_dir=runs)
    store.close()
    assert run.id == "aa-new"


def test_a_run_by_id(runs):
    store, run = open_run("zz-old", runs_dir=runs)
    with store:
        assert (run.id, run.seed, run.last_committed_sol) == ("zz-old", 1, 0)
        assert store.name == str(runs / "zz-old" / "mission.db")


def test_a_database_holding_several_runs(tmp_path):
    db = tmp_path / "all.db"
    _make_run(db, "first", T0)
    _make_run(db, "second", T0 + timedelta(days=1))
    for run, expected in ((None, "second"), ("latest", "second"), ("first", "first")):
        store, found = open_run(run, db=str(db))
        store.close()
        assert found.id == expected
    url = f"sqlite:///{db}"
    store, found = open_run("first", db=url)
    store.close()
    assert found.id == "first"
    with pytest.raises(StoreError, match="no run third in") as err:
        open_run("third", db=str(db))
    _one_line(err)


def test_no_runs_yet(tmp_path):
    for folder in (tmp_path / "missing", tmp_path):
        with pytest.raises(StoreError, match=r"no runs in .*perseverance mission") as err:
            open_run(None, runs_dir=folder)
        assert str(folder) in _one_line(err)
    assert list_all_runs(runs_dir=tmp_path / "missing") == []


def test_unknown_run_names_where_it_looked(runs):
    with pytest.raises(StoreError, match="no run r9 in ") as err:
        open_run("r9", runs_dir=runs)
    message = _one_line(err)
    assert str(runs / "r9") in message and "runs list" in message
    (runs / "r8").mkdir()
    with pytest.raises(StoreError, match=r"no mission\.db in it"):
        open_run("r8", runs_dir=runs)
    with pytest.raises(StoreError, match="not a run id"):
        open_run("../runs/aa-new", runs_dir=runs)


def test_missing_db_file(tmp_path):
    with pytest.raises(StoreError, match="no mission database at") as err:
        open_run(None, db=str(tmp_path / "nothing.db"))
    _one_line(err)
    assert not (tmp_path / "nothing.db").exists()


def test_unreadable_databases_are_passed_over_only_if_another_works(runs):
    broken = runs / "broken" / "mission.db"
    broken.parent.mkdir()
    broken.write_bytes(b"this is not a database" * 100)
    store, run = open_run(None, runs_dir=runs)
    store.close()
    assert run.id == "aa-new"
    problems: list[str] = []
    located = list_all_runs(runs_dir=runs, problems=problems)
    assert [r.run.id for r in located] == ["zz-old", "aa-new"]  # oldest first
    assert len(problems) == 1 and "broken" in problems[0]
    with pytest.raises(StoreError, match="1 of 3 database"):
        list_all_runs(runs_dir=runs)  # without `problems`, any failure is an error

    only_broken = broken.parent.parent.parent / "only"
    (only_broken / "x").mkdir(parents=True)
    (only_broken / "x" / "mission.db").write_bytes(b"garbage" * 100)
    with pytest.raises(StoreError, match="no readable run") as err:
        open_run(None, runs_dir=only_broken)
    _one_line(err)
    with pytest.raises(StoreError, match="1 of 1 database"):
        list_all_runs(runs_dir=only_broken, problems=[])


def test_list_all_runs(runs, tmp_path):
    located = list_all_runs(runs_dir=runs)
    assert [(r.run.id, Path(r.location).parent.name) for r in located] == [
        ("zz-old", "zz-old"),
        ("aa-new", "aa-new"),
    ]
    db = runs / "aa-new" / "mission.db"
    assert [r.run.id for r in list_all_runs(str(db))] == ["aa-new"]


def test_read_only_file(runs):
    db = runs / "aa-new" / "mission.db"
    db.chmod(0o444)
    store, run = open_run(None, runs_dir=runs)
    with store:
        assert run.id == "aa-new"
        with pytest.raises(StoreError, match="read-only"):
            store.create_run(scenario="x", seed=1, config={})


def test_open_for_writing(runs):
    store, run = open_run(None, runs_dir=runs, readonly=False)
    with store:
        assert run.id == "aa-new" and not store.readonly
        store.claim(run.id)
        with store.sol_transaction(run.id, 1) as sol:
            sol.set_checkpoint({"sol": 1})
    store, run = open_run("aa-new", runs_dir=runs)
    store.close()
    assert run.last_committed_sol == 1
