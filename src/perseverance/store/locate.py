"""Where mission runs live, and opening one of them for reading.

Each run has its own folder, ``runs/<run id>/``, holding its database
``mission.db`` and its data products (paths in the ``products`` table are
relative to that folder). ``--db URL`` instead names one database (a SQLite file
or a server) that may hold many runs.

>>> store, run = open_run("latest")                   # doctest: +SKIP
>>> store.samples(run.id)                             # doctest: +SKIP
>>> store.close()                                     # doctest: +SKIP
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

from perseverance.errors import StoreError
from perseverance.outputs import DEFAULT_RUNS_DIR
from perseverance.store.database import Store, open_store
from perseverance.store.schema import RunRow

#: The file name of a run's database inside its folder.
DB_NAME = "mission.db"
#: What ``--run`` takes to mean the most recently created run.
LATEST = "latest"


class LocatedRun(NamedTuple):
    """A run and where it is: the database's name (file path or URL, password hidden)."""

    location: str
    run: RunRow


def _shown(folder: Path) -> str:
    """``runs/`` for messages."""
    return f"{os.fspath(folder).rstrip('/' + os.sep)}/"


def run_dir(run_id: str, runs_dir: Path | str = DEFAULT_RUNS_DIR) -> Path:
    """The folder of a run: ``runs_dir / run_id``.

    Raises
    ------
    StoreError
        The id is empty, ``.``/``..``, or holds a path separator (it must name one
        folder inside ``runs_dir``).
    """
    separators = {"/", "\\", os.sep, os.altsep or "/", "\0"}
    if run_id in ("", ".", "..") or any(s in run_id for s in separators):
        raise StoreError(
            f"{run_id!r} is not a run id (an id names one folder in {_shown(Path(runs_dir))}; "
            "`perseverance runs list` shows them)"
        )
    return Path(runs_dir) / run_id


def run_db_path(run_id: str, runs_dir: Path | str = DEFAULT_RUNS_DIR) -> Path:
    """The database file of a run: ``runs_dir / run_id / "mission.db"``."""
    return run_dir(run_id, runs_dir) / DB_NAME


def _run_databases(runs_dir: Path) -> list[Path]:
    """Every ``runs_dir/*/mission.db`` file, by folder name."""
    if not runs_dir.is_dir():
        return []
    return sorted(p for p in runs_dir.glob(f"*/{DB_NAME}") if p.is_file())


def _open_readable(path: str | os.PathLike[str], *, readonly: bool) -> Store:
    return open_store(path, create=False, readonly=readonly)


def open_run(
    run: str | None,
    *,
    db: str | os.PathLike[str] | None = None,
    runs_dir: Path | str = DEFAULT_RUNS_DIR,
    readonly: bool = True,
) -> tuple[Store, RunRow]:
    """Open the database of a run and read the run's row; the caller closes the store.

    Parameters
    ----------
    run
        The run id; None or ``"latest"`` for the most recently created run.
    db
        A SQLAlchemy URL or file path: look for the run in that database only.
        Without it, a run id opens ``runs_dir/<id>/mission.db``, and the latest
        run is the most recently created one among ``runs_dir/*/mission.db``
        (databases that cannot be read are passed over if another one can).
    runs_dir
        The folder of the run folders.
    readonly
        Open the database read-only (never created either way).

    Raises
    ------
    StoreError
        One line naming the run and where it was looked for: no runs yet, no such
        run, no database file, or a database that cannot be opened.
    """
    runs_dir = Path(runs_dir)
    latest = run in (None, LATEST)
    if db is not None:
        store = _open_readable(db, readonly=readonly)
        try:
            return store, store.run(LATEST if latest else run)  # type: ignore[arg-type]
        except BaseException:
            store.close()
            raise
    if not latest:
        assert run is not None
        path = run_db_path(run, runs_dir)
        if not path.is_file():
            where = "no such folder" if not path.parent.is_dir() else f"no {DB_NAME} in it"
            raise StoreError(
                f"no run {run} in {_shown(runs_dir)} ({path.parent}: {where}); "
                "`perseverance runs list` shows the runs"
            )
        store = _open_readable(path, readonly=readonly)
        try:
            return store, store.run(run)
        except BaseException:
            store.close()
            raise
    return _open_latest(runs_dir, readonly=readonly)


def _open_latest(runs_dir: Path, *, readonly: bool) -> tuple[Store, RunRow]:
    """The most recently created run among ``runs_dir/*/mission.db``, its store open."""
    paths = _run_databases(runs_dir)
    best: tuple[Store, RunRow] | None = None
    problems: list[StoreError] = []
    try:
        for path in paths:
            try:
                store = _open_readable(path, readonly=True)
            except StoreError as e:
                problems.append(e)
                continue
            try:
                found = store.latest_run()
            except StoreError as e:
                problems.append(e)
                found = None
            if found is None or (best is not None and _key(found) <= _key(best[1])):
                store.close()
                continue
            if best is not None:
                best[0].close()
            best = (store, found)
    except BaseException:
        if best is not None:
            best[0].close()
        raise
    if best is None:
        if problems:
            raise StoreError(
                f"no readable run in {_shown(runs_dir)} ({len(problems)} of {len(paths)} "
                f"database(s) could not be read; first: {problems[0]})"
            )
        raise StoreError(f"no runs in {_shown(runs_dir)}: `perseverance mission` makes one")
    store, found = best
    if readonly:
        return best
    store.close()  # reopen for writing, now that it is known which one
    store = _open_readable(run_db_path(found.id, runs_dir), readonly=False)
    try:
        return store, store.run(found.id)
    except BaseException:
        store.close()
        raise


def _key(run: RunRow) -> tuple[datetime, str]:
    return (run.created_utc, run.id)


def list_all_runs(
    db: str | os.PathLike[str] | None = None,
    runs_dir: Path | str = DEFAULT_RUNS_DIR,
    *,
    problems: list[str] | None = None,
) -> list[LocatedRun]:
    """Every run, oldest first, with the database it is in.

    With ``db``, the runs of that database; otherwise those of every
    ``runs_dir/*/mission.db`` (none when the folder does not exist).

    Parameters
    ----------
    problems
        If given, a database under ``runs_dir`` that cannot be read is passed over
        and its one-line reason appended here, as long as another one can be read.

    Raises
    ------
    StoreError
        ``db`` cannot be opened, or no database under ``runs_dir`` can be read.
    """
    if db is not None:
        with _open_readable(db, readonly=True) as store:
            return [LocatedRun(store.name, r) for r in store.list_runs()]
    paths = _run_databases(Path(runs_dir))
    found: list[LocatedRun] = []
    failed: list[str] = []
    for path in paths:
        try:
            with _open_readable(path, readonly=True) as store:
                found.extend(LocatedRun(store.name, r) for r in store.list_runs())
        except StoreError as e:
            failed.append(str(e))
    if failed and (problems is None or len(failed) == len(paths)):
        raise StoreError(
            f"{len(failed)} of {len(paths)} database(s) in {_shown(Path(runs_dir))} could not be "
            f"read; first: {failed[0]}"
        )
    if problems is not None:
        problems.extend(failed)
    return sorted(found, key=lambda located: _key(located.run))


def find_sample_run(
    name: str,
    db: str | os.PathLike[str] | None = None,
    runs_dir: Path | str = DEFAULT_RUNS_DIR,
) -> str | None:
    """The id of the newest run that has a sample named ``name`` (None if no run has one).

    Looks in ``db`` when given, otherwise in every ``runs_dir/*/mission.db``; databases
    that cannot be read are passed over.
    """
    if db is not None:
        with _open_readable(db, readonly=True) as store:
            for run in sorted(store.list_runs(), key=_key, reverse=True):
                if _has_sample(store, run.id, name):
                    return run.id
        return None
    for located in reversed(list_all_runs(None, runs_dir, problems=[])):
        try:
            with _open_readable(run_db_path(located.run.id, runs_dir), readonly=True) as store:
                if _has_sample(store, located.run.id, name):
                    return located.run.id
        except StoreError:
            continue  # unreadable: `samples show` of the latest run says why
    return None


def _has_sample(store: Store, run_id: str, name: str) -> bool:
    return any(s.name == name for s in store.samples(run_id))
