"""MEDA's per-sol products: the Parquet table of the sessions' samples and the summary."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from perseverance.mars.constants import LMST_HOUR_S
from perseverance.mission.clock import MissionClock
from perseverance.mission.meda_products import (
    COLUMNS,
    PRESSURE_NOISE_PA,
    TABLE_KIND,
    VORTEX_MIN_DROP_PA,
    MedaRecorder,
)
from perseverance.store.schema import WeatherSolRow
from perseverance.weather.model import Weather

SEED = 11
HOURLY = [(h * LMST_HOUR_S, 300.0) for h in range(24)]
#: One sample interval at MEDA's 1 Hz [h of LMST], and a little slack for float32.
STEP_H = 1.0 / LMST_HOUR_S
FLOAT32_H = 1e-5


@pytest.fixture(scope="module")
def weather() -> Weather:
    return Weather(SEED)


def recorder(weather: Weather, folder: Path, seed: int = SEED) -> MedaRecorder:
    clock = MissionClock(weather.landing_utc, weather.longitude_east_deg)
    return MedaRecorder(weather, clock, folder, seed=seed)


def read(folder: Path, sol: int):
    return pq.read_table(folder / f"weather/sol_{sol:04d}/meda.parquet")


def test_rows_are_the_sessions_at_the_sample_rate(weather, tmp_path):
    sessions = [(10 * LMST_HOUR_S, 300.0), (13.5 * LMST_HOUR_S, 120.0)]
    out = recorder(weather, tmp_path).sol(20, sessions)
    table = read(tmp_path, 20)
    rate = weather.params.cadence.sample_rate_hz
    assert table.num_rows == round((300.0 + 120.0) * rate)
    assert table.column_names == ["utc", "lmst_h", *COLUMNS]
    assert str(table.schema.field("utc").type) == "timestamp[us, tz=UTC]"
    lmst = table.column("lmst_h").to_numpy()
    assert lmst[0] == pytest.approx(10.0, abs=FLOAT32_H)
    assert lmst[300] == pytest.approx(13.5, abs=FLOAT32_H)
    utc = table.column("utc").to_numpy().astype("datetime64[us]").astype(np.int64)
    assert np.all(np.diff(utc[:300]) == round(1e6 / rate))
    (row,) = out.products
    assert row["kind"] == TABLE_KIND and row["status"] == "ok"
    assert row["path"] == "weather/sol_0020/meda.parquet"
    assert row["lmst"] == "10:00:00" and row["instrument"] == "MEDA"
    assert row["bytes"] == (tmp_path / row["path"]).stat().st_size


def test_summary_matches_the_parquet(weather, tmp_path):
    out = recorder(weather, tmp_path).sol(40, HOURLY)
    table = read(tmp_path, 40)
    col = {n: table.column(n).to_numpy().astype(np.float64) for n in COLUMNS}
    s = out.summary
    assert s is not None
    columns = {c.name for c in WeatherSolRow.__table__.columns} - {"run_id", "sol"}
    assert set(s) == columns
    assert s["samples"] == table.num_rows == 24 * 300
    assert s["pressure_min_pa"] == col["pressure_pa"].min()
    assert s["pressure_max_pa"] == col["pressure_pa"].max()
    assert s["pressure_mean_pa"] == pytest.approx(col["pressure_pa"].mean(), rel=1e-12)
    assert s["air_temperature_min_k"] == col["air_temperature_k"].min()
    assert s["air_temperature_max_k"] == col["air_temperature_k"].max()
    assert s["air_temperature_mean_k"] == pytest.approx(col["air_temperature_k"].mean())
    assert s["ground_temperature_max_k"] == col["ground_temperature_k"].max()
    assert s["peak_wind_mps"] == col["wind_speed_mps"].max()
    assert s["mean_wind_mps"] == pytest.approx(col["wind_speed_mps"].mean())
    assert s["dust_tau"] == pytest.approx(col["dust_tau"].mean())
    # the measurements follow the weather model (pressure within a few noise sigmas)
    truth = weather.sol_summary(40, cadence_s=600.0)
    assert s["pressure_mean_pa"] == pytest.approx(truth.pressure_mean_pa, rel=0.01)
    assert s["ls_deg"] == pytest.approx(truth.ls_deg, abs=0.5)
    assert 0 <= s["dusty_vortex_count"] <= s["vortex_count"]


def test_same_seed_same_bytes(weather, tmp_path):
    paths = []
    for name, seed in (("a", SEED), ("b", SEED), ("c", SEED + 1)):
        recorder(weather, tmp_path / name, seed).sol(30, HOURLY[:4])
        paths.append(tmp_path / name / "weather/sol_0030/meda.parquet")
    a, b, c = (p.read_bytes() for p in paths)
    assert a == b
    assert a != c  # another seed: another sensor noise


def test_a_sol_without_sessions_writes_nothing(weather, tmp_path):
    rec = recorder(weather, tmp_path)
    rec.sol(5, HOURLY[:2])
    assert (tmp_path / "weather/sol_0005/meda.parquet").is_file()
    out = rec.sol(5, [])  # the sol flown again without MEDA: the old table goes
    assert out.products == [] and out.summary is None
    assert not (tmp_path / "weather/sol_0005").exists()
    assert rec.sol(6, [(3600.0, 0.0)]).summary is None


def test_a_write_failure_is_a_failed_product(weather, tmp_path):
    (tmp_path / "weather").write_text("in the way")
    out = recorder(weather, tmp_path).sol(16, HOURLY)
    (row,) = out.products
    assert row["status"] == "failed" and row["bytes"] is None
    assert row["reason"] and "\n" not in row["reason"]
    assert out.summary is None
    assert (tmp_path / "weather").read_text() == "in the way"


def test_an_impossible_session_is_a_failed_product(weather, tmp_path):
    out = recorder(weather, tmp_path).sol(16, [(-5.0, 300.0)])
    (row,) = out.products
    assert row["status"] == "failed" and "start_s" in row["reason"]
    assert not (tmp_path / "weather/sol_0016").exists()


def test_hourly_sessions_give_24_blocks(weather, tmp_path):
    recorder(weather, tmp_path).sol(15, HOURLY)
    lmst = read(tmp_path, 15).column("lmst_h").to_numpy().astype(np.float64)
    gaps = np.flatnonzero(np.diff(lmst) > 2 * STEP_H)
    blocks = np.split(lmst, gaps + 1)
    assert len(blocks) == 24
    assert {b.size for b in blocks} == {300}
    assert np.allclose([b[0] for b in blocks], np.arange(24), atol=FLOAT32_H)


def test_a_vortex_in_a_session_is_in_the_pressure_and_counted(weather, tmp_path):
    sol, events = next(
        (s, e) for s in range(1, 200) if len(e := weather.vortices(s)) and e.drop_pa.max() > 3.0
    )
    i = int(np.argmax(events.drop_pa))
    centre_s = events.lmst_h[i] * LMST_HOUR_S
    out = recorder(weather, tmp_path).sol(sol, [(centre_s - 150.0, 300.0)])
    p = read(tmp_path, sol).column("pressure_pa").to_numpy().astype(np.float64)
    around = np.median(p)
    assert around - p.min() == pytest.approx(events.drop_pa[i], abs=1.0 + 4 * PRESSURE_NOISE_PA)
    assert np.argmin(p) == pytest.approx(150, abs=3)
    assert out.summary is not None
    seen = (np.abs(events.lmst_h * LMST_HOUR_S - centre_s) <= 150.0 + 0.5 * events.duration_s) & (
        events.drop_pa > VORTEX_MIN_DROP_PA
    )
    assert out.summary["vortex_count"] == int(seen.sum()) >= 1
    assert out.summary["dusty_vortex_count"] == int((seen & events.dusty).sum())
    far = recorder(weather, tmp_path / "night").sol(sol, [(2 * LMST_HOUR_S, 300.0)])
    assert far.summary is not None and far.summary["vortex_count"] == 0
