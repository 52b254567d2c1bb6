"""The report's RIMFAX section: the joined radargram, links, notes, nothing yet."""

from __future__ import annotations

from perseverance.mission.radargrams import RimfaxSounder
from perseverance.report.run_data import RunData
from perseverance.report.sections import radar
from perseverance.rover.rimfax import load_rimfax
from perseverance.store import open_store


def _run(folder, drives):
    sounder = RimfaxSounder(load_rimfax(), folder, seed=0)
    with open_store(folder / "mission.db") as store:
        rid = store.create_run(scenario="default", seed=0, config={}, run_id="r")
        for sol, pts in drives.items():
            tr = [
                {"sol": sol, "seq": i, "east_m": e, "north_m": n, "elevation_m": 0.0,
                 "drive_mode": "blind"}
                for i, (e, n) in enumerate(pts)
            ]  # fmt: skip
            rows = sounder.sol(sol, [{"east_m": e, "north_m": n} for e, n in pts])
            with store.sol_transaction(rid, sol) as w:
                w.add_traverse(tr)
                for r in rows:
                    w.add_product(**r)
        return RunData(store, rid, folder, None)


def test_radargrams_are_joined_and_linked(tmp_path):
    data = _run(tmp_path, {3: [(0, 0), (30, 0)], 4: [(30, 0), (30, 25)]})
    html = radar.render(data)
    assert "data:image/png;base64," in html
    assert 'href="rimfax/sol_0003/radargram_sol_0003.png"' in html
    assert 'href="rimfax/sol_0004/radargram_sol_0004.parquet"' in html
    assert "2 drives sounded over 0.05 km" in html


def test_a_missing_file_is_a_note(tmp_path):
    data = _run(tmp_path, {3: [(0, 0), (30, 0)], 4: [(30, 0), (30, 25)]})
    (tmp_path / "rimfax/sol_0004/radargram_sol_0004.parquet").unlink()
    (tmp_path / "rimfax/sol_0003/radargram_sol_0003.parquet").write_bytes(b"junk")
    html = radar.render(data)
    assert "file missing" in html and "unreadable" in html
    assert "No radargram of the run could be read" in html


def test_no_radargrams_says_so(tmp_path):
    assert "No radargrams" in radar.render(_run(tmp_path, {1: []}))
