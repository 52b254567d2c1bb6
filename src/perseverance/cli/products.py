"""`perseverance products list`: a run's data products and where each one is on the way home.

Registered in `perseverance.cli` (the package)::

    app.add_typer(products_app, name="products")

One row per product of the ``products`` table (failed ones included), joined with the
``downlinks`` row that brought it home (``downlinks.item == products.path``) and, for an
image, the row of its thumbnail (``downlinks.item == products.thumbnail``). A product
is ``received`` (it has a downlink row), ``onboard`` (still queued in the rover's store),
``ground`` (made on Earth from data already received: plots, spectrograms, the report)
or ``failed`` (no file was made). Two queries in all, joined in dicts, so 10,000
products list in well under a second.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from perseverance.cli.output import Command, Group, console, fail, print_json
from perseverance.errors import PerseveranceError
from perseverance.outputs import DEFAULT_RUNS_DIR

if TYPE_CHECKING:
    from perseverance.store.schema import DownlinkRow, ProductRow

products_app = typer.Typer(
    help="The data products of a run: what was made, and when it reached Earth.",
    no_args_is_help=True,
    cls=Group,
)

#: Where a product is: home, still aboard, made on Earth, never made.
RECEIVED, ONBOARD, GROUND, FAILED = "received", "onboard", "ground", "failed"
#: The keys of each ``--json`` document, in order.
FIELDS = (
    "id",
    "sol",
    "kind",
    "instrument",
    "camera",
    "name",
    "path",
    "bytes",
    "priority",
    "status",
    "where",
    "acquired_utc",
    "sent_utc",
    "orbiter",
    "received_utc",
    "thumbnail",
    "thumbnail_received_utc",
)


def _iso(when: datetime | None) -> str | None:
    """``2021-02-18T20:54:45.994Z`` (milliseconds), or None."""
    if when is None:
        return None
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def product_docs(
    products: Iterable[ProductRow],
    downlinks: Iterable[DownlinkRow],
    ground_kinds: frozenset[str],
) -> list[dict[str, Any]]:
    """One dict per product (keys `FIELDS`, times as aware UTC datetimes), its downlink
    and its thumbnail's downlink joined by item path (the first row of an item wins)."""
    sent: dict[str, DownlinkRow] = {}
    for row in downlinks:
        sent.setdefault(row.item, row)
    docs = []
    for p in products:
        d = sent.get(p.path)
        t = sent.get(p.thumbnail) if p.thumbnail and p.thumbnail != p.path else None
        if p.status != "ok":
            where = FAILED
        elif d is not None:
            where = RECEIVED
        elif p.kind in ground_kinds:
            where = GROUND
        else:
            where = ONBOARD
        docs.append(
            {
                "id": p.id,
                "sol": p.sol,
                "kind": p.kind,
                "instrument": p.instrument,
                "camera": p.camera,
                "name": p.name,
                "path": p.path,
                "bytes": p.bytes,
                "priority": p.priority,
                "status": p.status,
                "where": where,
                "acquired_utc": d.acquired_utc if d else None,
                "sent_utc": d.sent_utc if d else None,
                "orbiter": d.orbiter if d else None,
                "received_utc": d.received_utc if d else None,
                "thumbnail": p.thumbnail,
                "thumbnail_received_utc": t.received_utc if t else None,
            }
        )
    return docs


def select_docs(
    docs: Iterable[dict[str, Any]],
    *,
    instrument: str | None = None,
    kind: str | None = None,
    sol: int | None = None,
    received_by: datetime | None = None,
) -> list[dict[str, Any]]:
    """The docs matching every filter given: ``instrument`` (any case), ``kind``, the
    product's ``sol``, received on Earth at or before ``received_by`` (aware UTC)."""
    want = instrument.casefold() if instrument is not None else None
    out = []
    for doc in docs:
        if want is not None and (doc["instrument"] or "").casefold() != want:
            continue
        if kind is not None and doc["kind"] != kind:
            continue
        if sol is not None and doc["sol"] != sol:
            continue
        if received_by is not None and (
            doc["received_utc"] is None or doc["received_utc"] > received_by
        ):
            continue
        out.append(doc)
    return out


def _parse_received_by(text: str) -> datetime:
    from perseverance.mars.time import parse_utc

    try:
        return parse_utc(text)
    except (PerseveranceError, OverflowError, ValueError):
        raise PerseveranceError(
            f"--received-by {text!r}: not a UTC instant; give ISO 8601, e.g. 2021-02-19T12:00:00Z"
        ) from None


def _cell(value: object) -> str:
    return "—" if value is None else escape(str(value))


def _when(value: datetime | None) -> str:
    return "—" if value is None else f"{value:%Y-%m-%d %H:%M:%S}"


def _print_table(run_id: str, docs: list[dict[str, Any]], total: int) -> None:
    shown = f"{len(docs):,}" if len(docs) == total else f"{len(docs):,} of {total:,}"
    table = Table(
        title=f"Products of run {escape(run_id)} ({shown})",
        box=None,
        pad_edge=False,
        title_justify="left",
        header_style="bold",
    )
    right = {"id", "sol", "bytes", "prio"}
    names = ("id", "sol", "kind", "instrument", "camera", "name", "bytes", "prio",
             "acquired (UTC)", "orbiter", "received (UTC)", "thumbnail received")  # fmt: skip
    for name in names:
        table.add_column(name, justify="right" if name in right else "left", overflow="fold")
    for d in docs:
        received = _when(d["received_utc"]) if d["where"] == RECEIVED else d["where"]
        table.add_row(
            str(d["id"]),
            _cell(d["sol"]),
            _cell(d["kind"]),
            _cell(d["instrument"]),
            _cell(d["camera"]),
            _cell(d["name"] or d["path"]),
            "—" if d["bytes"] is None else f"{d['bytes']:,}",
            _cell(d["priority"]),
            _when(d["acquired_utc"]),
            _cell(d["orbiter"]),
            received,
            _when(d["thumbnail_received_utc"]) if d["thumbnail"] else "",
        )
    console.print(table)
    counts = {w: sum(d["where"] == w for d in docs) for w in (RECEIVED, ONBOARD, GROUND, FAILED)}
    console.print(", ".join(f"{n:,} {w}" for w, n in counts.items()), highlight=False)


@products_app.command("list", cls=Command)
def list_products(
    run: Annotated[
        str | None, typer.Option("--run", metavar="ID", help="The run (default: the latest).")
    ] = None,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            metavar="URL",
            help="Read this database (SQLite file or SQLAlchemy URL) instead of the run folders.",
        ),
    ] = None,
    runs_dir: Annotated[
        Path,
        typer.Option(
            "--runs-dir",
            metavar="DIR",
            help="The folder of the run folders (runs/<id>/mission.db).",
        ),
    ] = DEFAULT_RUNS_DIR,
    instrument: Annotated[
        str | None, typer.Option(metavar="X", help="Only this instrument (any case).")
    ] = None,
    kind: Annotated[str | None, typer.Option(metavar="K", help="Only this product kind.")] = None,
    sol: Annotated[
        int | None, typer.Option(metavar="N", help="Only products made on sol N.")
    ] = None,
    received_by: Annotated[
        str | None,
        typer.Option(metavar="UTC", help="Only products received on Earth by then (ISO 8601)."),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print machine-readable JSON.", metavar="")
    ] = False,
) -> None:
    """The run's data products, one row each: what made it, its size and priority, and
    when it was made, sent (by which orbiter) and received on Earth; ``onboard`` while it
    waits in the rover's store, ``ground`` for what Earth made from received data."""
    from perseverance.mission.data_return import GROUND_KINDS
    from perseverance.store.locate import open_run

    try:
        if sol is not None and sol < 0:
            raise PerseveranceError(f"--sol {sol}: a sol is 0 (the landing sol) or later")
        by = _parse_received_by(received_by) if received_by is not None else None
        store, row = open_run(run, db=db, runs_dir=runs_dir, readonly=True)
        with store:
            products = store.products(row.id)
            downlinks = store.downlinks(row.id)
    except PerseveranceError as exc:
        raise fail(str(exc)) from None
    docs = product_docs(products, downlinks, GROUND_KINDS)
    chosen = select_docs(docs, instrument=instrument, kind=kind, sol=sol, received_by=by)
    if as_json:
        print_json([{k: _iso(v) if isinstance(v, datetime) else v for k, v in d.items()}
                    for d in chosen])  # fmt: skip
        return
    if not docs:
        console.print(f"Run {escape(row.id)} has no products yet.", highlight=False)
        return
    _print_table(row.id, chosen, len(docs))
