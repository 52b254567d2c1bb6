"""The report's data-return section over a tiny store filled here: the figure, the
numbers per orbiter, what is still onboard, touchdown, the quiet sols, the empty run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from perseverance.mission.data_return import GROUND_KINDS as MISSION_GROUND_KINDS
from perseverance.report.run_data import RunData
from perseverance.report.sections import data_return
from perseverance.store import open_store

T0 = datetime(2021, 2, 18, 20, 55, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
SOL = timedelta(seconds=88775.244)
TOUCHDOWN = {
    "spacecraft_utc": "2021-02-18T20:43:23.681Z",
    "earth_received_utc": "2021-02-18T20:54:45.994Z",
    "relays": ["maven", "mro"],
    "light_time_s": 682.3,
}


def _row(item: str, kind: str, bits: float, made: int, sol: int, orbiter: str, age_h: float,
         sent: datetime) -> dict:  # fmt: skip
    return {
        "item": item,
        "kind": kind,
        "priority": 20,
        "bits": bits,
        "acquired_sol": made,
        "sol": sol,
        "orbiter": orbiter,
        "acquired_utc": sent + timedelta(minutes=20) - age_h * HOUR,
        "sent_utc": sent,
        "received_utc": sent + timedelta(minutes=20),
    }


def _store(tmp_path: Path, rows_by_sol: dict[int, list[dict]], last_sol: int = 6) -> RunData:
    store = open_store(tmp_path / "mission.db")
    store.create_run(scenario="default", seed=0, config={}, run_id="d", created_utc=T0)
    for sol in range(last_sol + 1):
        with store.sol_transaction("d", sol) as w:
            phase = "solar_conjunction" if 3 <= sol <= 4 else "surface"
            w.add_sol(phase=phase, utc_start=T0 + sol * SOL, energy_used_j=0.0, drive_m=0.0,
                      odometry_m=0.0)  # fmt: skip
            if sol == 0:
                w.add_events([{"name": "touchdown_confirmed", "sol": 0, "payload": TOUCHDOWN}])
                w.add_product(kind="edl_plot", path="edl/loads.png", sol=0, bytes=100)
            if sol == 1:
                w.add_product(kind="image", path="img/a.png", sol=1, priority=40, bytes=1000,
                              thumbnail="img/a_thumb.png", instrument="navcam")  # fmt: skip
                w.add_product(kind="image", path="img/b.png", sol=1, priority=50, bytes=2000,
                              thumbnail="img/b_thumb.png", instrument="navcam")  # fmt: skip
                w.add_product(kind="spectrogram", path="audio/s.png", sol=1, priority=60,
                              bytes=50)  # fmt: skip
            if rows_by_sol.get(sol):
                w.add_downlinks(rows_by_sol[sol])
    return RunData(store, "d", tmp_path, terrain=None)


def _rows() -> dict[int, list[dict]]:
    day1 = T0 + SOL
    return {
        1: [
            _row("img/a_thumb.png", "image_thumbnail", 8e4, 1, 1, "mro", 2.0, day1),
            _row("img/b_thumb.png", "image_thumbnail", 9e4, 1, 1, "mro", 2.5, day1),
            _row("img/a.png", "image", 8e6, 1, 1, "odyssey", 6.0, day1 + 3 * HOUR),
        ],
        6: [_row("activity/sol_0001/000", "drive", 3.5e6, 1, 6, "mro", 120.0, T0 + 6 * SOL)],
    }


def test_the_section_draws_the_figure_and_tabulates_each_orbiter(tmp_path: Path) -> None:
    rows = _rows()
    data = _store(tmp_path, rows)
    html = data_return.render(data)
    assert html.count('<img src="data:image/png;base64,') == 1
    flat = [r for sol_rows in rows.values() for r in sol_rows]
    for orbiter in ("mro", "odyssey"):
        mbit = sum(r["bits"] for r in flat if r["orbiter"] == orbiter) / 1e6
        ages = [
            (r["received_utc"] - r["acquired_utc"]).total_seconds() / 3600
            for r in flat
            if r["orbiter"] == orbiter
        ]
        assert f'<td class="n">{mbit:,.2f}</td>' in html
        assert f'<td class="n">{np.median(ages):,.1f}</td>' in html
    # MRO flew two passes (sol 1 and sol 6); Odyssey one
    assert '<tr><td>MRO</td><td class="n">2</td><td class="n">3</td>' in html
    assert '<tr><td>ODYSSEY</td><td class="n">1</td><td class="n">1</td>' in html
    # img/a came home; img/b waits (its thumbnail is home); the spectrogram is Earth's
    assert "1 product received, 1 product still waiting onboard" in html
    assert "sols 2–5" in html
    assert "confirmed on Earth at 2021-02-18T20:54:45.994Z" in html
    assert "MAVEN and MRO" in html


def test_a_run_without_downlinks_says_so(tmp_path: Path) -> None:
    html = data_return.render(_store(tmp_path, {}))
    assert "it has no downlinks" in html
    assert "<img" not in html and "<table" not in html


def test_quiet_spans_and_passes() -> None:
    sols = np.array([0, 1, 5, 6, 10])
    assert data_return.quiet_spans(sols, 0, 12) == [(2, 4), (7, 9)]
    assert data_return.quiet_spans(sols, 0, 7) == [(2, 4)]
    assert data_return.passes_used(np.array([0.0, 60.0, 7200.0, 7300.0, 20000.0])) == 3
    assert data_return.passes_used(np.array([])) == 0


def test_ground_kinds_are_the_missions() -> None:
    assert data_return.GROUND_KINDS == MISSION_GROUND_KINDS


def test_ten_thousand_downlinks_render_with_their_quiet_span(tmp_path: Path) -> None:
    rng = np.random.default_rng(12)
    orbiters = ("mro", "odyssey", "tgo", "maven")
    rows: dict[int, list[dict]] = {s: [] for s in range(100)}
    for i in range(10_000):
        sol = int(rng.integers(0, 100))
        if 40 <= sol < 50:
            sol = 39
        kind = ("image_thumbnail", "image", "drive")[i % 3]
        rows[sol].append(
            _row(f"p{i}", kind, float(rng.uniform(1e4, 1e7)), max(sol - 1, 0), sol,
                 orbiters[i % 4], float(rng.uniform(0.1, 100.0)), T0 + sol * SOL + i * HOUR / 500)
        )  # fmt: skip
    data = _store(tmp_path, rows, last_sol=99)
    html = data_return.render(data)
    assert "10,000 items came home" in html
    assert "sols 40–49" in html
