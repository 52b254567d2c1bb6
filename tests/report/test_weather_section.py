"""The weather section of ``report.html``, from a tiny store that MEDA's recorder filled:
figures, the extremes table, and notes (never errors) for missing or damaged tables."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest

from perseverance.mars.constants import LMST_HOUR_S
from perseverance.mission.clock import MissionClock
from perseverance.mission.meda_products import MedaRecorder
from perseverance.report.run_data import RunData
from perseverance.report.sections import weather as section
from perseverance.store import open_store
from perseverance.weather.model import Weather

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
HOSTILE = "<script>alert('x')</script>"
SESSIONS = [(h * LMST_HOUR_S, 60.0) for h in range(0, 24, 3)]
MEDA_SOLS = (1, 2, 3)


def build(run_dir: Path, *, meda: bool, failed_sol: bool = False) -> RunData:
    """A run of sols 0-3 in ``run_dir``; MEDA on sols 1-3 when ``meda`` (its real tables,
    rows and summaries); sol 4 a failed MEDA table when ``failed_sol``."""
    weather = Weather(5)
    clock = MissionClock(weather.landing_utc, weather.longitude_east_deg)
    recorder = MedaRecorder(weather, clock, run_dir, seed=5)
    db = run_dir / "mission.db"
    run_dir.mkdir(parents=True, exist_ok=True)
    with open_store(db) as store:
        run_id = store.create_run(scenario="default", seed=5, config={}, run_id="r1")
        for sol in range(0, 5 if failed_sol else 4):
            with store.sol_transaction(run_id, sol) as w:
                if failed_sol and sol == 4:
                    w.add_product(
                        kind="meda_table",
                        path="weather/sol_0004/meda.parquet",
                        status="failed",
                        reason=f"OSError: disk full {HOSTILE}",
                    )
                elif meda and sol in MEDA_SOLS:
                    day = recorder.sol(sol, SESSIONS)
                    for row in day.products:
                        w.add_product(**row)
                    assert day.summary is not None
                    w.add_weather_sol(**day.summary)
        store.finish_run(run_id, "complete")
    with open_store(db, create=False, readonly=True) as store:
        return RunData(store, run_id, run_dir, None)


def pngs(html: str) -> list[bytes]:
    return [base64.b64decode(m) for m in re.findall(r'src="data:image/png;base64,([^"]+)"', html)]


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> RunData:
    return build(tmp_path_factory.mktemp("runs") / "r1", meda=True)


def test_the_section_draws_the_sols_and_a_diurnal_curve(run):
    html = section.render(run)
    images = pngs(html)
    assert len(images) == 2  # per sol, and the last sol's diurnal curves
    assert all(png.startswith(PNG_SIGNATURE) and len(png) > 5_000 for png in images)
    assert "Sol 3: every MEDA sample (480)" in html
    assert "MEDA ran on 3 sols (sols 1–3)" in html
    assert "<table>" in html and "air temperature [°C]" in html
    assert 'class="note"' not in html


def test_the_extremes_table_has_the_stored_values(run):
    html = section.render(run)
    low = min(run.weather, key=lambda r: r.air_temperature_min_k)
    text = f'<td>air temperature [°C]</td><td class="n">{low.air_temperature_min_k - 273.15:,.1f}'
    assert text in html
    assert f'<td class="n">{low.sol}</td>' in html.split(text, 1)[1][:40]


def test_a_run_without_meda_says_so(tmp_path):
    data = build(tmp_path / "r1", meda=False)
    html = section.render(data)
    assert "MEDA recorded nothing in this run." in html
    assert pngs(html) == []


@pytest.mark.parametrize("damage", ["missing", "corrupt"])
def test_a_missing_or_corrupt_table_is_a_note(tmp_path, damage):
    data = build(tmp_path / "r1", meda=True)
    table = tmp_path / "r1/weather/sol_0003/meda.parquet"
    if damage == "missing":
        table.unlink()
    else:
        table.write_bytes(b"PAR1 not really a parquet file PAR1")
    html = section.render(data)
    assert len(pngs(html)) == 1  # the per-sol figure still drawn
    assert "Sol 3&#x27;s MEDA table weather/sol_0003/meda.parquet was not read" in html
    assert ("file missing" if damage == "missing" else "not a readable MEDA table") in html


def test_a_failed_table_is_a_note_and_escaped(tmp_path):
    data = build(tmp_path / "r1", meda=True, failed_sol=True)
    html = section.render(data)
    assert "1 MEDA table could not be made (first, sol 4: OSError: disk full" in html
    assert HOSTILE not in html and "&lt;script&gt;" in html
    assert len(pngs(html)) == 2  # the diurnal plot comes from sol 3, the last ok table


def test_a_table_outside_the_run_folder_is_not_read(run):
    columns, why = section.read_table(run.run_dir, "../../etc/passwd", section.DIURNAL_COLUMNS)
    assert columns is None and why == "outside the run folder"
