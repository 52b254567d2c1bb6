"""``runs list``, ``samples list/show`` and ``report`` over a mission database filled here."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from perseverance.cli.records import report, runs_app, samples_app
from perseverance.store import open_store
from perseverance.store.locate import run_db_path

# The way perseverance.cli registers them.
app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
app.add_typer(runs_app, name="runs")
app.add_typer(samples_app, name="samples")
app.command()(report)

runner = CliRunner()
T0 = datetime(2021, 2, 18, 20, 55, 0, tzinfo=UTC)
SAMPLE_KEYS = {"name", "designation", "tube_id", "sample_type", "sol", "east_m", "north_m", "state"}
# name, tube, designation, type, sol, east, north, final tube state
SAMPLES = [
    ("Montdenier", "T01", "M2020-00002-01", "igneous", 2, 40.0, 25.04, "deposited"),
    ("Rochette [b]", "T02", "M2020-00003-02", "sedimentary", 3, 70.0, 35.0, "stored"),
]
DEPOT = (62.0, 40.0)


def make_run(
    db: Path | str,
    run_id: str,
    created: datetime = T0,
    samples=SAMPLES,
    *,
    seed: int = 7,
    finish: bool = True,
) -> None:
    """A run in ``db``: the tube inventory, then one sol per sample, then the depot."""
    with open_store(db) as store:
        store.create_run(
            scenario="default", seed=seed, config={}, run_id=run_id, created_utc=created
        )
        with store.transaction(run_id) as inventory:
            for s in samples:
                inventory.set_tube(s[1], kind="sample", state="empty")
        for name, tube, designation, kind, sol, east, north, _ in samples:
            with store.sol_transaction(run_id, sol) as w:
                w.set_tube(tube, state="stored", designation=designation, sample_type=kind)
                w.add_sample(name=name, tube_id=tube, sample_type=kind, east_m=east, north_m=north)
                for from_state, to_state, lmst in (
                    ("empty", "sealed", "13:02:11"),
                    ("sealed", "stored", "13:40:00"),
                ):
                    w.add_custody(
                        tube_id=tube,
                        from_state=from_state,
                        to_state=to_state,
                        lmst=lmst,
                        actor="sample handling arm",
                        east_m=east,
                        north_m=north,
                    )
        deposited = [s for s in samples if s[7] == "deposited"]
        if deposited:
            with store.sol_transaction(run_id, max(s[4] for s in samples) + 1) as w:
                for s in deposited:
                    w.set_tube(s[1], state="deposited")
                    w.add_custody(
                        tube_id=s[1],
                        from_state="stored",
                        to_state="deposited",
                        lmst="14:10:00",
                        actor="rover",
                        east_m=DEPOT[0],
                        north_m=DEPOT[1],
                    )
        if finish:
            store.finish_run(run_id)


@pytest.fixture
def runs(tmp_path, monkeypatch) -> Path:
    """``runs/`` in the current directory: an older run and a newer one (folder names
    sort the other way round), each in its own folder."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "200")
    make_run(run_db_path("zz-old"), "zz-old", T0, SAMPLES[:1], seed=1)
    make_run(run_db_path("aa-new"), "aa-new", T0 + timedelta(hours=3), SAMPLES, seed=2)
    return Path("runs")


def invoke(*args: str):
    return runner.invoke(app, list(args))


def one_line_error(result, code: int = 2) -> str:
    """The single stderr line of a refused command (no traceback)."""
    assert result.exit_code == code, result.output
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in result.output
    return lines[0]


# -- runs list -------------------------------------------------------------------------


def test_runs_list_table(runs):
    result = invoke("runs", "list")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.index("zz-old") < out.index("aa-new")  # oldest first
    assert "2021-02-18 20:55:00" in out and "2021-02-18 23:55:00" in out
    assert "complete" in out and "default" in out
    assert f"each run's database: {Path('runs/<run>/mission.db')}" in out


def test_runs_list_fits_80_columns(runs, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    out = invoke("runs", "list").stdout
    assert all(len(line) <= 80 for line in out.splitlines()), out
    for whole in ("zz-old", "aa-new", "2021-02-18 23:55:00", "complete", "default"):
        assert whole in out


def test_runs_list_json(runs):
    result = invoke("runs", "list", "--json")
    assert result.exit_code == 0, result.output
    docs = json.loads(result.stdout)
    assert [d["id"] for d in docs] == ["zz-old", "aa-new"]
    new = docs[1]
    assert new["created_utc"] == "2021-02-18T23:55:00Z"
    assert (new["scenario"], new["seed"], new["status"]) == ("default", 2, "complete")
    assert new["last_committed_sol"] == 4  # samples on sols 2 and 3, depot on sol 4
    assert new["database"] == str(Path("runs/aa-new/mission.db"))
    assert new["finished_utc"].endswith("Z")


def test_runs_list_db_and_runs_dir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    db = tmp_path / "shared.db"
    make_run(db, "one", T0, SAMPLES[:1])
    make_run(db, "two", T0 + timedelta(days=1), [], finish=False)
    result = invoke("runs", "list", "--db", str(db), "--json")
    assert result.exit_code == 0, result.output
    docs = json.loads(result.stdout)
    # "two" never finished and its writer has gone: interrupted, not running
    assert [(d["id"], d["status"]) for d in docs] == [("one", "complete"), ("two", "interrupted")]
    assert docs[1]["last_committed_sol"] is None
    assert {d["database"] for d in docs} == {str(db)}

    elsewhere = tmp_path / "elsewhere"
    make_run(run_db_path("x1", elsewhere), "x1", T0, [])
    result = invoke("runs", "list", "--runs-dir", str(elsewhere), "--json")
    assert [d["id"] for d in json.loads(result.stdout)] == ["x1"]


def test_runs_list_without_runs_is_empty_not_an_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = invoke("runs", "list")
    assert result.exit_code == 0, result.output
    assert "No runs in runs/" in result.stdout
    result = invoke("runs", "list", "--json")
    assert result.exit_code == 0 and json.loads(result.stdout) == []


def test_runs_list_warns_about_an_unreadable_database(runs):
    broken = runs / "broken" / "mission.db"
    broken.parent.mkdir()
    broken.write_bytes(b"not a database" * 100)
    result = invoke("runs", "list", "--json")
    assert result.exit_code == 0, result.output
    assert [d["id"] for d in json.loads(result.stdout)] == ["zz-old", "aa-new"]
    assert "warning:" in result.stderr and "broken" in result.stderr


def test_runs_list_skips_a_database_with_a_tampered_row(runs):
    with sqlite3.connect(run_db_path("zz-old")) as conn:
        conn.execute("UPDATE runs SET created_utc = 'yesterday'")
    conn.close()
    result = invoke("runs", "list", "--json")
    assert result.exit_code == 0, result.output
    assert [d["id"] for d in json.loads(result.stdout)] == ["aa-new"]
    (warning,) = result.stderr.strip().splitlines()
    assert warning.startswith("warning: ") and str(run_db_path("zz-old")) in warning
    assert "table runs" in warning


@pytest.mark.parametrize(
    ("table", "assignment"),
    [("samples", "east_m = 'far'"), ("custody_events", "sol = 'x'"), ("runs", "config = '{'")],
)
def test_a_tampered_row_is_one_line(runs, table, assignment):
    with sqlite3.connect(run_db_path("aa-new")) as conn:
        conn.execute(f"UPDATE {table} SET {assignment}")
    conn.close()
    commands = [("samples", "show", "Montdenier", "--run", "aa-new"), ("report", "aa-new")]
    if table != "custody_events":  # the only command that does not read it
        commands.append(("samples", "list", "--run", "aa-new"))
    for args in commands:
        message = one_line_error(invoke(*args, "--runs-dir", str(runs)))
        assert str(run_db_path("aa-new")) in message and f"table {table}" in message, args


# -- samples list ----------------------------------------------------------------------


def test_samples_list_table_of_the_latest_run(runs):
    result = invoke("samples", "list")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Samples of run aa-new (2)" in out
    for name, _, designation, kind, _, east, north, state in SAMPLES:
        assert name in out and designation in out and kind in out
        assert state in out and f"{east:.1f}" in out and f"{north:.1f}" in out
    assert "25.0" in out and "25.04" not in out  # metres to one decimal


def test_samples_list_json(runs):
    result = invoke("samples", "list", "--json")
    assert result.exit_code == 0, result.output
    docs = json.loads(result.stdout)
    assert all(set(d) == SAMPLE_KEYS for d in docs)
    assert docs[0] == {
        "name": "Montdenier",
        "designation": "M2020-00002-01",
        "tube_id": "T01",
        "sample_type": "igneous",
        "sol": 2,
        "east_m": 40.0,
        "north_m": 25.04,
        "state": "deposited",
    }
    assert (docs[1]["name"], docs[1]["state"]) == ("Rochette [b]", "stored")


def test_samples_list_of_a_given_run_and_db(runs):
    result = invoke("samples", "list", "--run", "zz-old", "--json")
    assert [d["name"] for d in json.loads(result.stdout)] == ["Montdenier"]
    db = str(runs / "zz-old" / "mission.db")
    result = invoke("samples", "list", "--db", db, "--json")
    assert [d["name"] for d in json.loads(result.stdout)] == ["Montdenier"]
    result = invoke("samples", "list", "--db", f"sqlite:///{db}", "--run", "zz-old", "--json")
    assert result.exit_code == 0, result.output


def test_samples_list_of_a_run_without_samples(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    make_run(run_db_path("bare"), "bare", T0, [])
    result = invoke("samples", "list")
    assert result.exit_code == 0, result.output
    assert "Run bare has no samples yet" in result.stdout
    assert json.loads(invoke("samples", "list", "--json").stdout) == []


def test_read_only_database_file(runs):
    db = runs / "aa-new" / "mission.db"
    db.chmod(0o444)
    before = db.read_bytes()
    result = invoke("samples", "list", "--json")
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.stdout)) == 2
    result = invoke("samples", "show", "Montdenier")
    assert result.exit_code == 0, result.output
    assert db.read_bytes() == before


# -- samples show ----------------------------------------------------------------------


def test_samples_show_table(runs):
    result = invoke("samples", "show", "Montdenier")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Montdenier" in out and "igneous" in out and "sol 2" in out
    assert "40.0 m E, 25.0 m N" in out
    assert "T01 (M2020-00002-01)" in out and "deposited" in out
    assert "Chain of custody of tube T01" in out
    for change in ("empty → sealed", "sealed → stored", "stored → deposited"):
        assert change in out
    assert "13:02:11" in out and "sample handling arm" in out and "62.0" in out
    assert out.index("empty → sealed") < out.index("stored → deposited")


def test_samples_show_finds_the_sample_in_an_older_run(runs):
    make_run(run_db_path("mm-short"), "mm-short", T0 + timedelta(hours=6), [])
    result = invoke("samples", "show", "Montdenier")
    assert result.exit_code == 0, result.output
    assert "(run aa-new)" in result.stdout
    line = one_line_error(invoke("samples", "show", "Nowhere"))
    assert "Nowhere" in line


def test_samples_show_prints_names_as_they_are(runs):
    result = invoke("samples", "show", "Rochette [b]")  # not rich markup
    assert result.exit_code == 0, result.output
    assert "Rochette [b]" in result.stdout and "stored → deposited" not in result.stdout


def test_samples_show_json(runs):
    result = invoke("samples", "show", "Montdenier", "--run", "zz-old", "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["run"] == "zz-old"
    assert set(doc["sample"]) == SAMPLE_KEYS and doc["sample"]["designation"] == "M2020-00002-01"
    assert doc["tube"] == {
        "tube_id": "T01",
        "kind": "sample",
        "state": "deposited",
        "designation": "M2020-00002-01",
        "sample_type": "igneous",
    }
    assert [(c["from_state"], c["to_state"]) for c in doc["custody"]] == [
        ("empty", "sealed"),
        ("sealed", "stored"),
        ("stored", "deposited"),
    ]
    assert doc["custody"][-1] == {
        "sol": 3,
        "lmst": "14:10:00",
        "from_state": "stored",
        "to_state": "deposited",
        "actor": "rover",
        "east_m": 62.0,
        "north_m": 40.0,
    }


def test_unknown_sample_lists_known_names(runs):
    line = one_line_error(invoke("samples", "show", "Bellegarde"))
    assert "no sample named 'Bellegarde' in run aa-new" in line
    assert "'Montdenier'" in line and "'Rochette [b]'" in line
    line = one_line_error(invoke("samples", "show", "Montdenir"))
    assert "did you mean 'Montdenier'?" in line


# -- errors --------------------------------------------------------------------------


def test_no_runs_is_one_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for args in (("samples", "list"), ("samples", "show", "X"), ("report",)):
        line = one_line_error(invoke(*args))
        assert "no runs in runs/" in line and "perseverance mission" in line


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("samples", "list", "--run", "r9"), "no run r9 in runs/"),
        (("samples", "show", "Montdenier", "--run", "r9"), "no run r9 in runs/"),
        (("samples", "list", "--run", "../etc"), "not a run id"),
        (("report", "r9"), "no run r9 in runs/"),
        (("samples", "list", "--db", "nothing.db"), "no mission database at nothing.db"),
        (("runs", "list", "--db", "nothing.db"), "no mission database at nothing.db"),
        (("samples", "list", "--db", "sqlite:///x.db", "--run", "r9"), "no mission database"),
        (("samples", "list", "--db", "runs/aa-new/mission.db", "--run", "zz-old"), "no run zz-old"),
    ],
)
def test_bad_input_is_one_line(runs, args, needle):
    assert needle in one_line_error(invoke(*args))


# -- report --------------------------------------------------------------------------


def test_report_of_a_read_only_database(runs, tmp_path):
    db = runs / "zz-old" / "mission.db"
    db.chmod(0o444)
    out = tmp_path / "out"
    result = invoke("report", "zz-old", "--out", str(out))
    assert result.exit_code == 0, result.output
    page = out / "report.html"
    assert page.is_file() and f"wrote {page}" in result.stdout
    assert "Montdenier" in page.read_text(encoding="utf-8")


def test_report_goes_to_the_run_folder(runs):
    result = invoke("report")
    assert result.exit_code == 0, result.output
    assert (runs / "aa-new" / "report.html").is_file()
    assert str(Path("runs/aa-new/report.html")) in result.stdout
