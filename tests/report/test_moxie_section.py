"""The report's MOXIE section: the runs' table and figures, and what it says without them."""

from __future__ import annotations

from perseverance.report.run_data import RunData
from perseverance.report.sections import moxie
from perseverance.rover.moxie import load_moxie, save_run, simulate_run
from perseverance.store import open_store


def _run_with_moxie(tmp_path, *, series: bool):
    config = load_moxie()
    run = config.campaign[0]
    result = simulate_run(
        config, run, density_kg_m3=run.density_kg_m3, pressure_pa=run.pressure_pa,
        temperature_k=run.temperature_k,
    )  # fmt: skip
    s = result.summary
    rel = "moxie/sol_0060/run_01.parquet"
    if series:
        (tmp_path / "moxie/sol_0060").mkdir(parents=True)
        save_run(result, tmp_path / rel)
    store = open_store(tmp_path / "mission.db")
    store.create_run(scenario="default", seed=0, config={}, run_id="m")
    with store.sol_transaction("m", 60) as w:
        w.add_moxie_run(
            run=1, name="MOXIE run 1", start_s=s.start_s, warmup_s=s.warmup_s,
            production_s=s.production_s, grams=s.grams, peak_g_per_h=s.peak_g_per_h,
            purity=s.purity, energy_j=s.energy_j, peak_power_w=s.peak_power_w,
            limited_by=s.limited_by, density_kg_m3=run.density_kg_m3,
        )  # fmt: skip
        w.add_product(kind="moxie_series", path=rel, name="MOXIE run 1", bytes=1)
    return RunData(store, "m", tmp_path, terrain=None), s


def test_the_section_tabulates_the_runs_and_draws_the_series(tmp_path):
    data, summary = _run_with_moxie(tmp_path, series=True)
    html = moxie.render(data)
    assert f"1 run made {summary.grams:.1f} g of oxygen" in html
    assert html.count("<figure>") == 2 and "<table>" in html
    assert f"<td>{summary.limited_by}</td>" in html


def test_a_missing_series_is_a_note(tmp_path):
    data, _ = _run_with_moxie(tmp_path, series=False)
    html = moxie.render(data)
    assert html.count("<figure>") == 1 and 'class="note"' in html and "could not be read" in html


def test_a_run_without_moxie_says_so(tmp_path):
    store = open_store(tmp_path / "mission.db")
    store.create_run(scenario="default", seed=0, config={}, run_id="e")
    assert "No MOXIE runs" in moxie.render(RunData(store, "e", tmp_path, terrain=None))
