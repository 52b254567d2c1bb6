"""The read-side commands over the mission database: ``runs``, ``samples``, ``report``.

Registered in `perseverance.cli` (the package)::

    app.add_typer(runs_app, name="runs")
    app.add_typer(samples_app, name="samples")
    app.command()(report)

Every command reads a run from ``runs/<id>/mission.db`` (``--runs-dir`` moves that
folder) or from the database ``--db`` names (a SQLite file or any SQLAlchemy URL),
read-only. Numbers stay SI until printed. A `PerseveranceError` prints one line
on stderr and exits with code 2.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from perseverance.cli.output import Command, Group, console, fail, print_json, warn
from perseverance.errors import PerseveranceError, StoreError
from perseverance.outputs import DEFAULT_RUNS_DIR
from perseverance.places import east_north

if TYPE_CHECKING:
    from perseverance.store import CustodyRow, RunRow, SampleRow, Store, TubeRow

#: How many sample names an unknown-name error lists.
KNOWN_NAMES_SHOWN = 5

runs_app = typer.Typer(
    help="The mission runs: where they are and how far they got.",
    no_args_is_help=True,
    cls=Group,
)
samples_app = typer.Typer(
    help="The samples of a run: catalogue, tubes and chain of custody.",
    no_args_is_help=True,
    cls=Group,
)

# -- the shared options -------------------------------------------------------------

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        metavar="URL",
        help="Read this database (SQLite file or SQLAlchemy URL) instead of the run folders.",
    ),
]
RunsDirOption = Annotated[
    Path,
    typer.Option(
        "--runs-dir", metavar="DIR", help="The folder of the run folders (runs/<id>/mission.db)."
    ),
]
RunOption = Annotated[
    str | None,
    typer.Option("--run", metavar="ID", help="The run (default: the latest)."),
]
JsonOption = Annotated[
    bool, typer.Option("--json", help="Print machine-readable JSON.", metavar="")
]


@contextmanager
def _user_errors() -> Iterator[None]:
    """A `PerseveranceError` in the block becomes one line on stderr and exit code 2."""
    try:
        yield
    except PerseveranceError as exc:
        raise fail(str(exc)) from None


@contextmanager
def _opened(run: str | None, db: str | None, runs_dir: Path) -> Iterator[tuple[Store, RunRow]]:
    """The run's store (read-only) and row; the store is closed afterwards."""
    from perseverance.store.locate import open_run

    store, row = open_run(run, db=db, runs_dir=runs_dir, readonly=True)
    with store:
        yield store, row


# -- formatting at the edge ---------------------------------------------------------


def _num(value: float | None, digits: int = 1) -> str:
    """``12.3`` (thousands separated); ``—`` for a missing or non-finite value."""
    if value is None or not math.isfinite(value):
        return "—"
    return f"{value:,.{digits}f}"


def _text(value: object) -> str:
    return "—" if value is None else str(value)


def _utc(when: Any) -> str:
    return "—" if when is None else f"{when:%Y-%m-%d %H:%M:%S}"


def _iso(when: Any) -> str | None:
    return None if when is None else when.strftime("%Y-%m-%dT%H:%M:%SZ")


def _escape(value: object) -> str:
    """A database string safe to print as a rich table cell (no markup)."""
    return escape(_text(value))


def _columns(
    table: Table, names: Sequence[str], *, right: Sequence[str] = (), whole: Sequence[str] = ()
) -> None:
    """Add columns, ``right`` ones right-aligned. In a narrow terminal cells wrap (at
    spaces, else anywhere) rather than being cut short; ``whole`` ones (ids, times)
    keep their width while the others wrap."""
    for name in names:
        table.add_column(
            escape(name),  # "[m]" is a unit, not rich markup
            justify="right" if name in right else "left",
            overflow="fold",
            no_wrap=name in whole,
        )


# -- runs ---------------------------------------------------------------------------


@runs_app.command("list", cls=Command)
def list_runs(
    db: DbOption = None,
    runs_dir: RunsDirOption = DEFAULT_RUNS_DIR,
    as_json: JsonOption = False,
) -> None:
    """Every run, oldest first: id, creation time, scenario, seed, status, last sol."""
    from perseverance.store.locate import list_all_runs

    problems: list[str] = []
    with _user_errors():
        located = list_all_runs(db, runs_dir, problems=problems)
    for problem in problems:
        warn(f"skipped a database that cannot be read: {problem}")
    if as_json:
        print_json([_run_doc(location, run) for location, run in located])
        return
    if not located:
        where = db if db is not None else f"{runs_dir}/"
        console.print(
            f"No runs in {_escape(where)}: `perseverance mission` makes one.", highlight=False
        )
        return
    from perseverance.store.locate import run_db_path

    # The database column only when a run's database is not in its run folder: at 80
    # columns the table then fits without wrapping an id or a time.
    default_place = db is None and all(
        _in_own_folder(location, run.id, runs_dir) for location, run in located
    )
    plural = "s" if len(located) != 1 else ""
    title = f"{len(located)} run{plural}" + ("" if db is None else f" in {_escape(located[0][0])}")
    table = Table(title=title, box=None, pad_edge=False, title_justify="left", header_style="bold")
    names = ["run", "created (UTC)", "scenario", "seed", "status", "sol"]
    if not (default_place or db is not None):
        names.append("database")
    whole = ("run", "created (UTC)", "seed", "status")
    _columns(table, names, right=("seed", "sol"), whole=whole)
    for location, run in located:
        cells = [
            _escape(run.id),
            _utc(run.created_utc),
            _escape(run.scenario),
            str(run.seed),
            _escape(_status(run)),
            _text(run.last_committed_sol),
        ]
        table.add_row(*cells, *([_escape(location)] if "database" in names else []))
    console.print(table)
    if default_place:
        where = _escape(run_db_path("<run>", runs_dir))
        console.print(f"each run's database: {where}", highlight=False)


def _in_own_folder(location: str, run_id: str, runs_dir: Path) -> bool:
    """Whether a run's database is ``runs_dir/<run id>/mission.db`` (False for an id that
    names no folder, as in a database edited by hand)."""
    from perseverance.store.locate import run_db_path

    try:
        return location == str(run_db_path(run_id, runs_dir))
    except StoreError:
        return False


def _status(run: RunRow) -> str:
    """A run's status, ``interrupted`` for a ``running`` one whose writer is gone
    (killed, or its lease expired)."""
    from perseverance.store.lease import holder_alive

    if run.status == "running" and not holder_alive(run):
        return "interrupted"
    return run.status


def _run_doc(location: str, run: RunRow) -> dict[str, Any]:
    return {
        "id": run.id,
        "created_utc": _iso(run.created_utc),
        "finished_utc": _iso(run.finished_utc),
        "scenario": run.scenario,
        "seed": run.seed,
        "status": _status(run),
        "last_committed_sol": run.last_committed_sol,
        "database": location,
    }


# -- samples ------------------------------------------------------------------------


def _sample_doc(sample: SampleRow, tube: TubeRow | None) -> dict[str, Any]:
    return {
        "name": sample.name,
        "designation": tube.designation if tube else None,
        "tube_id": sample.tube_id,
        "sample_type": sample.sample_type,
        "sol": sample.sol,
        "east_m": sample.east_m,
        "north_m": sample.north_m,
        "state": tube.state if tube else None,
    }


def _tube_doc(tube: TubeRow) -> dict[str, Any]:
    return {
        "tube_id": tube.tube_id,
        "kind": tube.kind,
        "state": tube.state,
        "designation": tube.designation,
        "sample_type": tube.sample_type,
    }


def _custody_doc(c: CustodyRow) -> dict[str, Any]:
    return {
        "sol": c.sol,
        "lmst": c.lmst,
        "from_state": c.from_state,
        "to_state": c.to_state,
        "actor": c.actor,
        "east_m": c.east_m,
        "north_m": c.north_m,
    }


@samples_app.command("list", cls=Command)
def list_samples(
    run: RunOption = None,
    db: DbOption = None,
    runs_dir: RunsDirOption = DEFAULT_RUNS_DIR,
    as_json: JsonOption = False,
) -> None:
    """The run's samples: name, designation, type, sol, place and tube state."""
    with _user_errors(), _opened(run, db, runs_dir) as (store, row):
        samples = store.samples(row.id)
        tubes = {t.tube_id: t for t in store.tubes(row.id)}
    docs = [_sample_doc(s, tubes.get(s.tube_id)) for s in samples]
    if as_json:
        print_json(docs)
        return
    if not docs:
        console.print(f"Run {_escape(row.id)} has no samples yet.", highlight=False)
        return
    table = Table(title=f"Samples of run {_escape(row.id)} ({len(docs)})")
    _columns(
        table,
        ("sample", "designation", "type", "sol", "east [m]", "north [m]", "state"),
        right=("sol", "east [m]", "north [m]"),
        whole=("designation",),
    )
    for d in docs:
        table.add_row(
            _escape(d["name"]),
            _escape(d["designation"]),
            _escape(d["sample_type"]),
            str(d["sol"]),
            _num(d["east_m"]),
            _num(d["north_m"]),
            _escape(d["state"]),
        )
    console.print(table)


def _unknown_sample(name: str, run_id: str, names: Sequence[str]) -> PerseveranceError:
    """One line: the name is not in the run; what is (a few names, or a close match)."""
    if not names:
        return StoreError(f"no sample named {name!r} in run {run_id}: it has no samples yet")
    close = difflib.get_close_matches(name, names, n=3, cutoff=0.6)
    if close:
        hint = "did you mean " + " or ".join(repr(n) for n in close) + "?"
    else:
        shown = ", ".join(repr(n) for n in names[:KNOWN_NAMES_SHOWN])
        more = (
            f" and {len(names) - KNOWN_NAMES_SHOWN} more" if len(names) > KNOWN_NAMES_SHOWN else ""
        )
        hint = f"its samples are {shown}{more}"
    return StoreError(
        f"no sample named {name!r} in run {run_id}; {hint} (`perseverance samples list`)"
    )


@samples_app.command("show", cls=Command)
def show_sample(
    name: Annotated[str, typer.Argument(help="The sample's name (see `samples list`).")],
    run: RunOption = None,
    db: DbOption = None,
    runs_dir: RunsDirOption = DEFAULT_RUNS_DIR,
    as_json: JsonOption = False,
) -> None:
    """One sample: where and when it was taken, its tube, and the tube's chain of custody.

    Without --run, the newest run that has a sample of that name.
    """
    if run is None:
        from perseverance.store.locate import find_sample_run

        with _user_errors():
            run = find_sample_run(name, db, runs_dir)
    with _user_errors(), _opened(run, db, runs_dir) as (store, row):
        samples = store.samples(row.id)
        by_name = {s.name: s for s in samples}
        sample = by_name.get(name)
        if sample is None:
            raise _unknown_sample(name, row.id, [s.name for s in samples])
        tube = next((t for t in store.tubes(row.id) if t.tube_id == sample.tube_id), None)
        custody = store.custody(row.id, tube_id=sample.tube_id)
    if as_json:
        print_json(
            {
                "run": row.id,
                "sample": _sample_doc(sample, tube),
                "tube": _tube_doc(tube) if tube else None,
                "custody": [_custody_doc(c) for c in custody],
            }
        )
        return
    console.print(
        f"[bold]{_escape(sample.name)}[/bold]: {_escape(sample.sample_type)} sample taken on "
        f"sol {sample.sol}, {east_north(sample.east_m, sample.north_m, digits=1)} "
        f"of the landing site (run {_escape(row.id)})",
        highlight=False,
    )
    if tube is None:
        console.print(f"  tube {_escape(sample.tube_id)}: not in the tube inventory")
    else:
        designation = f" ({_escape(tube.designation)})" if tube.designation else ""
        console.print(
            f"  tube {_escape(tube.tube_id)}{designation}, {_escape(tube.kind)} tube, "
            f"now [bold]{_escape(tube.state)}[/bold]",
            highlight=False,
        )
    if not custody:
        console.print("  no chain-of-custody records for this tube")
        return
    table = Table(title=f"Chain of custody of tube {_escape(sample.tube_id)}")
    _columns(
        table,
        ("sol", "LMST", "change", "actor", "east [m]", "north [m]"),
        right=("sol", "east [m]", "north [m]"),
        whole=("LMST",),
    )
    for c in custody:
        change = f"{_escape(c.from_state) if c.from_state else '—'} → {_escape(c.to_state)}"
        table.add_row(
            str(c.sol),
            _escape(c.lmst),
            change,
            _escape(c.actor),
            _num(c.east_m),
            _num(c.north_m),
        )
    console.print(table)


# -- report -------------------------------------------------------------------------


def report(
    run: Annotated[
        str, typer.Argument(metavar="RUN", help="The run id, or `latest` (the default).")
    ] = "latest",
    db: DbOption = None,
    runs_dir: RunsDirOption = DEFAULT_RUNS_DIR,
    out: Annotated[
        Path | None,
        typer.Option(metavar="DIR", help="Write report.html here (default: the run folder)."),
    ] = None,
) -> None:
    """Write report.html of a run: one self-contained page of figures and tables."""
    from perseverance.report.mission_report import write_mission_report
    from perseverance.store.locate import run_dir

    with _user_errors(), _opened(run, db, runs_dir) as (store, row):
        folder = out if out is not None else run_dir(row.id, runs_dir)
        try:
            # The report only reads the database (products are read from the run folder).
            path = write_mission_report(store, row.id, folder)
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise fail(f"cannot write the report of run {row.id} to {folder}/: {reason}") from None
    console.print(f"wrote {_escape(path)}", highlight=False)
