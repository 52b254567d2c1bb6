"""A run folder belongs to one run: the ``run.json`` marker that says which.

``runs/<id>/`` holds one run's database (by default) and products. With ``--db URL``
two databases may each hold a run of the same id; the marker (the run's id, its
database and its creation time) keeps the second from writing its products over
the first's, and a resume checks it before touching the folder.
"""

from __future__ import annotations

import contextlib
import json
from datetime import datetime
from pathlib import Path

from perseverance.errors import StoreError
from perseverance.outputs import write_atomic
from perseverance.store.locate import DB_NAME

#: The marker file in a run folder.
RUN_MARKER = "run.json"
#: Files SQLite makes beside a database.
_SQLITE_FILES = (DB_NAME, f"{DB_NAME}-wal", f"{DB_NAME}-shm", f"{DB_NAME}-journal")


def _stamp(created: datetime) -> str:
    return created.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def write_run_marker(folder: Path, run_id: str, database: str, created: datetime) -> None:
    """Say in ``folder`` that it belongs to run ``run_id`` of ``database``, made at ``created``."""
    doc = {"run_id": run_id, "database": database, "created_utc": _stamp(created)}
    try:
        write_atomic(folder / RUN_MARKER, json.dumps(doc, indent=2) + "\n")
    except OSError as exc:
        raise StoreError(f"cannot write {folder / RUN_MARKER}: {exc.strerror or exc}") from None


def _marker(folder: Path) -> dict[str, str] | None:
    try:
        doc = json.loads((folder / RUN_MARKER).read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return {}
    return doc if isinstance(doc, dict) else {}


def check_new_run_folder(folder: Path, run_id: str) -> None:
    """Refuse a folder for a new run that already holds anything."""
    if not folder.exists():
        return
    if not folder.is_dir():
        raise StoreError(
            f"the run folder {folder} exists and is not a folder: choose another --run-id"
        )
    if not any(folder.iterdir()):
        return
    marker = _marker(folder)
    if marker:
        raise StoreError(
            f"{folder} belongs to run {marker.get('run_id')} of {marker.get('database')} "
            f"(created {marker.get('created_utc')}): choose another --run-id or --runs-dir"
        )
    raise StoreError(
        f"{folder} already holds files that are not a run of ours: choose another --run-id "
        "or --runs-dir"
    )


def check_run_marker(folder: Path, run_id: str, created: datetime) -> None:
    """Refuse to resume into a folder whose marker names another run."""
    marker = _marker(folder)
    if marker is None:
        return
    if marker.get("run_id") != run_id or marker.get("created_utc") != _stamp(created):
        raise StoreError(
            f"{folder} belongs to another run (run {marker.get('run_id')} of "
            f"{marker.get('database')}, created {marker.get('created_utc')}); this run "
            f"{run_id} was created {_stamp(created)}: resume it with another --runs-dir"
        )


def forget_new_run_folder(folder: Path, *, made_folder: bool) -> None:
    """Undo what starting a run wrote in ``folder`` (the marker; the folder and the SQLite
    files too when this start made the folder) after the start failed."""
    names = [RUN_MARKER, *(_SQLITE_FILES if made_folder else ())]
    for name in names:
        with contextlib.suppress(OSError):
            (folder / name).unlink()
    if made_folder:
        with contextlib.suppress(OSError):
            folder.rmdir()
