"""``products list`` over a tiny mission database filled here: the join, the filters,
the JSON shape and the one-line errors."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from perseverance.cli.products import FIELDS, product_docs, products_app
from perseverance.mission.data_return import GROUND_KINDS
from perseverance.store import open_store
from perseverance.store.locate import run_db_path

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
app.add_typer(products_app, name="products")
runner = CliRunner()

T0 = datetime(2021, 2, 18, 20, 55, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
RUN = "r1"


def _downlink(item: str, kind: str, sol: int, orbiter: str, received: datetime) -> dict:
    return {
        "item": item,
        "kind": kind,
        "priority": 10,
        "bits": 8.0e3,
        "acquired_sol": sol,
        "orbiter": orbiter,
        "acquired_utc": received - 3 * HOUR,
        "sent_utc": received - HOUR,
        "received_utc": received,
    }


@pytest.fixture
def runs_dir(tmp_path: Path) -> Path:
    """Run ``r1``: a Navcam image (full frame and thumbnail home), a Mastcam-Z image
    whose thumbnail came home but not its frame, a ground plot and a failed product."""
    db = run_db_path(RUN, tmp_path)
    db.parent.mkdir(parents=True)
    with open_store(db) as store:
        store.create_run(scenario="default", seed=1, config={}, run_id=RUN, created_utc=T0)
        with store.sol_transaction(RUN, 0) as w:
            w.add_product(kind="edl_plot", path="edl/loads.png", sol=0, bytes=500)
        with store.sol_transaction(RUN, 1) as w:
            w.add_product(
                kind="image", path="images/sol_0001/nav.png", sol=1, priority=40, bytes=9000,
                name="Navcam frame", instrument="Navcam", camera="navcam_left",
                lmst="13:00:00", thumbnail="images/sol_0001/nav_thumb.png",
            )  # fmt: skip
            w.add_product(
                kind="image", path="images/sol_0001/zcam.png", sol=1, priority=50, bytes=20000,
                name="Mastcam-Z frame", instrument="mastcamz", camera="mastcamz_left",
                lmst="14:00:00", thumbnail="images/sol_0001/zcam_thumb.png",
            )  # fmt: skip
            w.add_downlinks(
                [
                    _downlink(
                        "images/sol_0001/nav_thumb.png", "image_thumbnail", 1, "mro", T0 + 20 * HOUR
                    ),
                    _downlink(
                        "images/sol_0001/zcam_thumb.png",
                        "image_thumbnail",
                        1,
                        "mro",
                        T0 + 20 * HOUR,
                    ),
                ]
            )
        with store.sol_transaction(RUN, 2) as w:
            w.add_product(kind="audio", path="audio/sol_0002/a.flac", sol=2, status="failed",
                          reason="microphone off", instrument="SuperCam")  # fmt: skip
            w.add_downlinks(
                [_downlink("images/sol_0001/nav.png", "image", 1, "odyssey", T0 + 40 * HOUR)]
            )
    return tmp_path


def _json(args: list[str]) -> list[dict]:
    result = runner.invoke(app, ["products", "list", "--run", RUN, *args, "--json"])
    assert result.exit_code == 0, result.output
    docs = json.loads(result.stdout)
    assert isinstance(docs, list)
    return docs


def test_join_gives_each_product_its_downlink_and_thumbnail(runs_dir: Path) -> None:
    docs = {d["path"]: d for d in _json(["--runs-dir", str(runs_dir)])}
    assert len(docs) == 4
    nav = docs["images/sol_0001/nav.png"]
    assert (nav["where"], nav["orbiter"]) == ("received", "odyssey")
    assert nav["received_utc"] == "2021-02-20T12:55:00.000Z"
    assert nav["acquired_utc"] == "2021-02-20T09:55:00.000Z"
    assert nav["thumbnail_received_utc"] == "2021-02-19T16:55:00.000Z"
    zcam = docs["images/sol_0001/zcam.png"]
    assert (zcam["where"], zcam["received_utc"], zcam["orbiter"]) == ("onboard", None, None)
    assert zcam["thumbnail_received_utc"] == "2021-02-19T16:55:00.000Z"
    assert docs["edl/loads.png"]["where"] == "ground"
    assert docs["audio/sol_0002/a.flac"]["where"] == "failed"
    assert all(tuple(d) == FIELDS for d in docs.values())


@pytest.mark.parametrize(
    ("args", "paths"),
    [
        (["--instrument", "NAVCAM"], {"images/sol_0001/nav.png"}),
        (["--instrument", "supercam"], {"audio/sol_0002/a.flac"}),
        (["--kind", "image"], {"images/sol_0001/nav.png", "images/sol_0001/zcam.png"}),
        (["--sol", "0"], {"edl/loads.png"}),
        (["--sol", "7"], set()),
        (["--received-by", "2021-02-20T12:55:00Z"], {"images/sol_0001/nav.png"}),
        (["--received-by", "2021-02-20T12:54:59Z"], set()),
        (["--received-by", "2021-02-20T13:55:00+01:00"], {"images/sol_0001/nav.png"}),
    ],
)
def test_filters(runs_dir: Path, args: list[str], paths: set[str]) -> None:
    docs = _json(["--runs-dir", str(runs_dir), *args])
    assert {d["path"] for d in docs} == paths


def test_table_says_onboard_and_ground(runs_dir: Path) -> None:
    result = runner.invoke(
        app, ["products", "list", "--runs-dir", str(runs_dir)], env={"COLUMNS": "250"}
    )
    assert result.exit_code == 0, result.output
    assert "Products of run r1 (4)" in result.stdout
    assert "onboard" in result.stdout and "ground" in result.stdout
    assert "1 received, 1 onboard, 1 ground, 1 failed" in result.stdout


def test_db_option_reads_that_database(runs_dir: Path) -> None:
    docs = _json(["--db", str(run_db_path(RUN, runs_dir))])
    assert len(docs) == 4


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--received-by", "yesterday"], ("--received-by", "'yesterday'", "ISO 8601")),
        (["--sol", "-3"], ("--sol -3", "0")),
        (["--run", "nope"], ("nope",)),
    ],
)
def test_bad_input_is_one_line_and_exit_2(runs_dir: Path, args: list[str], words: tuple) -> None:
    result = runner.invoke(app, ["products", "list", "--runs-dir", str(runs_dir), *args])
    assert result.exit_code == 2
    err = result.stderr.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in result.output
    assert err.startswith("error:")
    assert all(w in err for w in words), err


class _Row:
    """A stand-in for a store row (attribute access only)."""

    def __init__(self, **kw: object) -> None:
        self.__dict__.update(kw)


def test_the_join_of_ten_thousand_products_pairs_each_with_its_downlinks() -> None:
    n = 10_000
    products = [
        _Row(id=i, sol=i // 100, kind="image", instrument="navcam", camera="navcam_left",
             name=None, path=f"p{i}", bytes=1000, priority=40, status="ok", thumbnail=f"t{i}")
        for i in range(n)
    ]  # fmt: skip
    downlinks = [
        _Row(item=f"{prefix}{i}", orbiter="mro", acquired_utc=T0, sent_utc=T0, received_utc=T0)
        for i in range(0, n, 2)
        for prefix in "pt"
    ]
    docs = product_docs(products, downlinks, GROUND_KINDS)  # type: ignore[arg-type]
    assert sum(d["where"] == "received" for d in docs) == n // 2
    assert sum(d["thumbnail_received_utc"] is not None for d in docs) == n // 2
