"""The mission database on SQLite, and on PostgreSQL when a server is given.

The ``db_url`` and ``store`` fixtures are in ``conftest.py``: set
``PERSEVERANCE_TEST_POSTGRES_URL`` to run those tests on a server as well.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, func, select, text, update

from perseverance.errors import StoreError
from perseverance.store import SCHEMA_VERSION, open_store
from perseverance.store.schema import TABLES, RunRow, SampleRow

LANDING_UTC = datetime(2021, 2, 18, 20, 55, 0, tzinfo=UTC)
#: Refusing an unreachable server must not hang the CLI.
QUICKLY_S = 5.0


def _count(store, table: str, **where) -> int:
    t = TABLES[table].__table__
    stmt = select(func.count()).select_from(t)
    for key, value in where.items():
        stmt = stmt.where(t.c[key] == value)
    with store.engine.connect() as conn:
        return conn.scalar(stmt)


#: A MEDA sol summary and a MOXIE run, as the mission writes them.
WEATHER_ROW = {
    "ls_deg": 6.0, "samples": 7200, "pressure_min_pa": 700.0, "pressure_max_pa": 740.0,
    "pressure_mean_pa": 718.0, "air_temperature_min_k": 190.0,
    "air_temperature_max_k": 250.0, "air_temperature_mean_k": 215.0,
    "ground_temperature_min_k": 185.0, "ground_temperature_max_k": 265.0,
    "peak_wind_mps": 9.5, "mean_wind_mps": 3.1, "dust_tau": 0.5, "vortex_count": 2,
    "dusty_vortex_count": 0,
}  # fmt: skip
MOXIE_ROW = {
    "name": "OX1", "start_s": 36000.0, "warmup_s": 3600.0, "production_s": 3600.0,
    "grams": 5.4, "peak_g_per_h": 6.0, "purity": 0.99, "energy_j": 2.0e6,
    "peak_power_w": 300.0, "limited_by": "setpoint", "density_kg_m3": 0.016,
}  # fmt: skip


def _write_sol(writer, sol: int) -> None:
    """One row in every per-run table, for ``sol``."""
    tube = f"T{sol:02d}"
    writer.add_sol(
        utc_start=LANDING_UTC + timedelta(seconds=88775.244 * sol),
        lmst_start="05:30:00",
        energy_used_j=2.5e6,
        drive_m=12.5,
        odometry_m=12.5 * sol,
        data_bits=1_200_000_000,
    )
    writer.add_activities(
        [
            {
                "kind": "wake",
                "name": "wake",
                "start_s": 19800.0,
                "duration_s": 600.0,
                "energy_j": 1.2e5,
            },
            {
                "kind": "drive",
                "name": "drive",
                "start_s": 36000.0,
                "duration_s": 3600.0,
                "energy_j": 7.9e5,
            },
        ]
    )
    writer.add_events([{"name": "drive_end", "payload": {"odometry_m": 12.5}}])
    writer.add_weather_sol(**WEATHER_ROW)
    writer.add_moxie_run(run=sol + 1, **MOXIE_ROW)
    writer.add_traverse(
        [
            {
                "seq": i,
                "east_m": 1.0 * i,
                "north_m": -0.5 * i,
                "elevation_m": -2569.3,
                "drive_mode": "autonav",
            }
            for i in range(3)
        ]
    )
    writer.set_power(
        charge_min_j=2.1e5, charge_max_j=3.9e5, charge_end_j=3.5e5, generated_j=9.2e6, used_j=9.0e6
    )
    writer.set_tube(
        tube, kind="sample", state="sealed", designation=f"M2020-{sol:05d}-1", sample_type="igneous"
    )
    writer.add_sample(
        name=f"Rock{sol}", tube_id=tube, sample_type="igneous", east_m=10.25, north_m=-3.5
    )
    writer.add_custody(
        tube_id=tube,
        from_state="imaged",
        to_state="sealed",
        lmst="13:02:11",
        actor="sample handling arm",
        east_m=10.25,
        north_m=-3.5,
    )
    writer.add_product(
        kind="image", path=f"products/sol{sol:04d}/navcam.png", priority=2, bytes=1_048_576
    )
    writer.add_downlinks(
        [
            {
                "item": f"products/sol{sol:04d}/navcam.png",
                "kind": "image",
                "priority": 2,
                "bits": 8.0 * 1_048_576,
                "acquired_sol": sol,
                "orbiter": "mro",
                "acquired_utc": LANDING_UTC,
                "sent_utc": LANDING_UTC + timedelta(hours=2),
                "received_utc": LANDING_UTC + timedelta(hours=4, seconds=682.25),
            }
        ]
    )
    writer.set_checkpoint({"sol": sol, "battery_j": 3.5e5, "rng": 2**127 + sol})


def _one_line(error: pytest.ExceptionInfo) -> str:
    message = str(error.value)
    assert "\n" not in message and message
    return message


def test_round_trip_of_every_table(store):
    run_id = store.create_run(
        scenario="default", seed=7, config={"sols": 700, "x": [1.5, None]}, created_utc=LANDING_UTC
    )
    edl = [
        {"name": "entry_interface", "t_s": 0.0, "altitude_m": 125000.0, "mach": 30.2},
        {"name": "touchdown", "t_s": 444.125, "altitude_m": 0.0, "mach": 0.0},
    ]
    with store.sol_transaction(run_id, 0) as writer:
        writer.add_events(edl)
        _write_sol(writer, 0)

    per_run = set(TABLES) - {"runs", "schema_version"}
    assert {name for name in per_run if _count(store, name, run_id=run_id)} == per_run

    run = store.run(run_id)
    assert (run.scenario, run.seed, run.status) == ("default", 7, "running")
    assert run.config == {"sols": 700, "x": [1.5, None]}
    assert run.created_utc == LANDING_UTC
    assert store.latest_run().id == run_id == store.list_runs()[0].id
    assert store.last_committed_sol(run_id) == 0
    assert store.checkpoint(run_id) == {"sol": 0, "battery_j": 3.5e5, "rng": 2**127}
    assert "writer_token" not in run.to_dict()

    (sol,) = store.sols(run_id)
    assert sol.utc_start == LANDING_UTC and sol.data_bits == 1_200_000_000
    assert [a.name for a in store.activities(run_id, sol=0)] == ["wake", "drive"]
    events = store.events(run_id)
    assert [(e.name, e.sol, e.t_s) for e in events] == [
        ("entry_interface", 0, 0.0),
        ("touchdown", 0, 444.125),
        ("drive_end", 0, None),
    ]
    assert events[0].payload == {"altitude_m": 125000.0, "mach": 30.2}
    assert [(p.seq, p.east_m, p.drive_mode) for p in store.traverse(run_id)] == [
        (0, 0.0, "autonav"),
        (1, 1.0, "autonav"),
        (2, 2.0, "autonav"),
    ]
    assert store.power(run_id)[0].to_dict()["generated_j"] == 9.2e6
    (tube,) = store.tubes(run_id)
    assert (tube.tube_id, tube.state, tube.designation) == ("T00", "sealed", "M2020-00000-1")
    assert store.samples(run_id)[0].to_dict() == {
        "run_id": run_id,
        "name": "Rock0",
        "tube_id": "T00",
        "sol": 0,
        "sample_type": "igneous",
        "east_m": 10.25,
        "north_m": -3.5,
    }
    assert store.sample("Rock0").tube_id == "T00"
    (custody,) = store.custody(run_id, tube_id="T00")
    assert (custody.from_state, custody.to_state, custody.lmst) == ("imaged", "sealed", "13:02:11")
    (product,) = store.products(run_id, kind="image")
    assert (product.path, product.bytes, product.sol) == ("products/sol0000/navcam.png", 1048576, 0)
    (down,) = store.downlinks(run_id, acquired_sol=0)
    assert (down.item, down.orbiter, down.sol) == (product.path, "mro", 0)
    assert down.received_utc == LANDING_UTC + timedelta(hours=4, seconds=682.25)
    assert down.received_utc.tzinfo is not None

    store.finish_run(run_id)
    assert store.run("latest").status == "complete"


def test_tube_changes_state_in_place(store):
    run_id = store.create_run(scenario="default", seed=1, config={})
    with store.transaction(run_id) as writer:
        writer.set_tube("W1", kind="witness", state="empty")
    with store.sol_transaction(run_id, 3) as writer:
        writer.set_tube("W1", state="sealed")
    assert [(t.tube_id, t.kind, t.state) for t in store.tubes(run_id)] == [
        ("W1", "witness", "sealed")
    ]


def test_failed_sol_leaves_nothing_of_it(store):
    run_id = store.create_run(scenario="default", seed=7, config={})
    with store.sol_transaction(run_id, 0) as writer:
        _write_sol(writer, 0)
    with (
        pytest.raises(RuntimeError, match="battery below floor"),
        store.sol_transaction(run_id, 1) as writer,
    ):
        _write_sol(writer, 1)
        raise RuntimeError("battery below floor")

    assert store.last_committed_sol(run_id) == 0
    assert store.checkpoint(run_id)["sol"] == 0
    for table in (
        "sols",
        "activities",
        "events",
        "traverse",
        "power",
        "custody_events",
        "samples",
        "products",
    ):
        assert _count(store, table, run_id=run_id, sol=1) == 0, table
    assert [t.tube_id for t in store.tubes(run_id)] == ["T00"]

    with store.sol_transaction(run_id, 1) as writer:  # the sol can be flown again
        _write_sol(writer, 1)
    assert store.last_committed_sol(run_id) == 1


def test_a_committed_sol_is_not_written_twice(store):
    run_id = store.create_run(scenario="default", seed=7, config={})
    with store.sol_transaction(run_id, 4) as writer:
        _write_sol(writer, 4)
    with (
        pytest.raises(StoreError, match=r"sol 4 of run \S+ is already committed") as err,
        store.sol_transaction(run_id, 4),
    ):
        pass
    _one_line(err)


def test_schema_version_mismatch_is_one_line(db_url):
    with open_store(db_url) as store:
        store.create_run(scenario="default", seed=7, config={})
        with store.engine.begin() as conn:
            conn.execute(
                update(TABLES["schema_version"].__table__).values(version=SCHEMA_VERSION + 1)
            )
    with pytest.raises(StoreError) as err:
        open_store(db_url)
    expected = (
        f"has schema version {SCHEMA_VERSION + 1}; this program reads version {SCHEMA_VERSION}"
    )
    assert expected in _one_line(err)


def test_foreign_keys_are_enforced(store):
    run_id = store.create_run(scenario="default", seed=7, config={})
    with (
        pytest.raises(StoreError, match=r"(?i)foreign key"),
        store.sol_transaction(run_id, 0) as writer,
    ):
        writer.add_sample(
            name="Orphan", tube_id="T99", sample_type="igneous", east_m=0.0, north_m=0.0
        )
    assert store.last_committed_sol(run_id) is None


def test_unknown_or_missing_columns_are_refused(store):
    run_id = store.create_run(scenario="default", seed=7, config={})
    with pytest.raises(TypeError, match="unknown column"), store.sol_transaction(run_id, 0) as w:
        w.add_traverse([{"seq": 0, "east": 1.0}])
    with pytest.raises(TypeError, match="missing"), store.sol_transaction(run_id, 0) as w:
        w.set_power(charge_min_j=1.0)
    with pytest.raises(TypeError, match="sol 5"), store.sol_transaction(run_id, 0) as w:
        w.add_activities(
            [{"sol": 5, "kind": "x", "name": "x", "start_s": 0, "duration_s": 1, "energy_j": 1}]
        )


def test_unknown_run_and_sample_say_how_to_list_them(store):
    with pytest.raises(StoreError, match="holds no runs yet"):
        store.samples()
    assert store.latest_run() is None
    run_id = store.create_run(scenario="default", seed=7, config={})
    with pytest.raises(StoreError, match="runs list") as err:
        store.samples("no-such-run")
    _one_line(err)
    with pytest.raises(StoreError, match="samples list"):
        store.sample("Montdenier", run_id)


def test_sigkill_in_the_middle_of_a_sol(db_url):
    """A writer killed mid-sol leaves the last committed sol, and --resume takes over."""
    script = textwrap.dedent(
        f"""
        import os, signal
        from perseverance.store import open_store

        def drive(writer, sol):
            point = dict(east_m=1.0, north_m=2.0, elevation_m=-2569.0, drive_mode="blind")
            writer.add_traverse([dict(seq=i, **point) for i in range(100)])
            writer.set_checkpoint({{"sol": sol}})

        store = open_store({db_url!r})
        run_id = store.create_run(scenario="default", seed=7, config={{}}, run_id="killed")
        with store.sol_transaction(run_id, 0) as writer:
            drive(writer, 0)
        with store.sol_transaction(run_id, 1) as writer:
            drive(writer, 1)
            os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == -signal.SIGKILL, done.stderr
    with open_store(db_url) as store:
        assert store.last_committed_sol("killed") == 0
        assert store.checkpoint("killed") == {"sol": 0}
        assert _count(store, "traverse", run_id="killed", sol=1) == 0
        store.claim("killed")
        with store.sol_transaction("killed", 1) as writer:
            _write_sol(writer, 1)
        assert store.last_committed_sol("killed") == 1


def test_sqlite_runs_with_wal_and_foreign_keys(tmp_path):
    with open_store(tmp_path / "mission.db") as store, store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_read_only_sqlite_file_is_one_line(tmp_path):
    path = tmp_path / "mission.db"
    with open_store(path) as store:
        store.create_run(scenario="default", seed=7, config={}, run_id="r1")
    path.chmod(0o444)
    with pytest.raises(StoreError, match="read-only") as err:
        open_store(path)
    _one_line(err)
    with open_store(path, readonly=True) as store:  # reading it still works
        assert store.run("r1").seed == 7
        with pytest.raises(StoreError, match="opened read-only"):
            store.create_run(scenario="default", seed=8, config={})


def test_missing_file_without_create(tmp_path):
    with pytest.raises(StoreError, match="no mission database at"):
        open_store(tmp_path / "nothing.db", create=False)
    assert not (tmp_path / "nothing.db").exists()


def test_foreign_database_is_refused(tmp_path):
    path = tmp_path / "other.db"
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE runs (x INTEGER)"))
    engine.dispose()
    with pytest.raises(StoreError, match="not a perseverance mission database"):
        open_store(path)


def test_unreachable_postgres_is_one_line_and_quick():
    pytest.importorskip("psycopg")
    start = time.monotonic()
    with pytest.raises(StoreError, match="cannot connect to") as err:
        open_store("postgresql://perseverance:secret@127.0.0.1:1/mission?connect_timeout=3")
    assert time.monotonic() - start < QUICKLY_S
    message = _one_line(err)
    assert "secret" not in message


def test_reprs():
    run = RunRow(id="r1", scenario="default", seed=7, status="running", last_committed_sol=None)
    assert repr(run) == "<Run r1: default seed 7, running, no sol committed>"
    sample = SampleRow(
        name="Roubion",
        tube_id="T03",
        sol=164,
        sample_type="atmospheric",
        east_m=512.04,
        north_m=-88.0,
    )
    assert repr(sample) == (
        "<Sample Roubion: atmospheric in tube T03, sol 164, 512.0 m E -88.0 m N>"
    )


def test_weather_and_moxie_rows_round_trip(store):
    store.create_run(scenario="default", seed=7, config={}, run_id="w")
    with store.sol_transaction("w", 60) as w:
        w.add_weather_sol(**WEATHER_ROW)
        w.add_moxie_run(run=1, **MOXIE_ROW)
    (row,) = store.weather_sols("w")
    assert row.sol == 60 and row.pressure_mean_pa == 718.0 and row.vortex_count == 2
    (run,) = store.moxie_runs("w")
    assert (run.run, run.sol, run.grams, run.limited_by) == (1, 60, 5.4, "setpoint")
    with pytest.raises(TypeError, match="missing value"), store.sol_transaction("w", 61) as w:
        w.add_weather_sol(ls_deg=6.0)
