"""``report.html`` from a synthetic mission database: self-contained, escaped, complete,
written atomically, and still rendered for a run stopped before anything happened."""

from __future__ import annotations

import base64
import io
import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from matplotlib.figure import Figure

from perseverance import outputs
from perseverance.report import run_data
from perseverance.report.mission_report import SECTIONS, write_mission_report
from perseverance.store import open_store
from perseverance.terrain.landing_region import LandingRegion
from perseverance.terrain.site import load_site

SOL_S = 88_775.244
LANDING_UTC = datetime(2021, 2, 18, 20, 43, 24, tzinfo=UTC)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
HOSTILE = "<script>alert('x')</script>"
#: Elements that never have an end tag.
VOID = {"meta", "img", "br", "hr", "link", "input", "col", "wbr", "source"}

EDL = [
    ("entry_interface", 0.0, 129_888.0, 5374.0, 28.98, 0.0, 0.0),
    ("peak_deceleration", 84.1, 27_586.0, 3817.7, 17.70, 12_000.0, 9.95),
    ("parachute_deploy", 238.8, 12_378.0, 455.8, 1.95, 620.0, 0.47),
    ("powered_descent_start", 345.0, 2007.0, 89.2, 0.37, 40.0, 0.02),
    ("touchdown", 405.7, 0.0, 0.7, 0.0, 0.0, 0.38),
]
SAMPLES = [
    # name, tube, designation, type, sol, east, north
    ("Montdenier", "T01", "M2020-00002-01", "igneous", 2, 40.0, 25.0),
    ("Rochette <b>", "T02", "M2020-00003-02", "sedimentary", 3, 70.0, 35.0),
]
DROPS = [("T01", 62.0, 40.0), ("T02", 70.0, 44.0)]


def small_terrain() -> LandingRegion:
    """A 600 m square of gentle relief at 10 m, no rocks."""
    axis = np.arange(-300.0, 301.0, 10.0)
    east, north = np.meshgrid(axis, axis)
    elevation = -2569.0 + 4.0 * np.sin(east / 80.0) * np.cos(north / 60.0)
    return LandingRegion(
        site=load_site("jezero"),
        east_m=axis,
        north_m=axis,
        elevation_m=elevation,
        rock_height_m=np.zeros_like(elevation),
    )


def tiny_png() -> bytes:
    fig = Figure(figsize=(1, 1))
    fig.subplots().plot([0, 1], [0, 1])
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=20)
    return buf.getvalue()


def _config(title: str, last_sol: int) -> dict:
    return {
        "scenario": "default",
        "title": title,
        "last_sol": last_sol,
        "seed": 7,
        "vehicle": "m2020",
        "site": "jezero",
        "terrain_seed": 3,
        "battery_capacity_j": 43.0 * 3600 * 28,
        "battery_floor_j": 0.4 * 43.0 * 3600 * 28,
    }


def _sol(writer, sol: int, phase: str, drive_m: float) -> None:
    writer.add_sol(
        phase=phase,
        utc_start=LANDING_UTC + timedelta(seconds=SOL_S * sol),
        lmst_start="00:00:00",
        energy_used_j=2.5e6,
        drive_m=drive_m,
        odometry_m=1.1 * drive_m,
        data_bits=400_000_000,
    )
    cap = 43.0 * 3600 * 28
    writer.set_power(
        charge_min_j=0.55 * cap - 1e4 * sol,
        charge_max_j=0.95 * cap,
        charge_end_j=0.8 * cap,
        generated_j=2.6e6,
        used_j=2.5e6,
    )
    hour = SOL_S / 24
    acts = [
        ("sleep", "sleep", 0.0, 9 * hour, "done"),
        ("wake", "wake", 9 * hour, 0.5 * hour, "done"),
        ("meda", "MEDA", 10 * hour, 1 * hour, "done"),
        ("uhf_relay", "relay", 16 * hour, 0.3 * hour, "skipped: energy" if sol == 2 else "done"),
    ]
    if drive_m:
        acts.append(("drive", "drive to waypoint", 11 * hour, 2 * hour, "done"))
    writer.add_activities(
        {"kind": k, "name": n, "start_s": s, "duration_s": d, "energy_j": 1e5, "outcome": o}
        for k, n, s, d, o in acts
    )


def _edl(writer) -> None:
    writer.add_events(
        {
            "name": name,
            "t_s": t,
            "altitude_m": alt,
            "velocity_mps": v,
            "mach": mach,
            "dynamic_pressure_pa": q,
            "g_load": g,
        }
        for name, t, alt, v, mach, q, g in EDL
    )
    writer.add_events(
        [
            {
                "name": "landing",
                "payload": {
                    "utc": "2021-02-18T20:43:24.000Z",
                    "lmst": "15:53:00",
                    "latitude_deg": 18.4447,
                    "longitude_deg": 77.4508,
                    "east_m": 0.0,
                    "north_m": 0.0,
                    "vertical_speed_mps": 0.74,
                    "tilt_deg": 1.2,
                    "propellant_margin_kg": 117.0,
                },
            },
            {"name": "phase_start", "payload": {"phase": "commissioning", "title": HOSTILE}},
        ]
    )


def _surface_sol(w, sol: int) -> None:
    """Sol ``sol`` of the full run: a drive to a waypoint, the samples of that sol, and on
    sol 4 a failed core, an unknown event and the depot."""
    w.add_traverse(
        {
            "seq": i,
            "east_m": 20.0 * (sol - 1) + 5.0 * i,
            "north_m": 10.0 * (sol - 1) + 2.5 * i,
            "elevation_m": -2569.0,
            "drive_mode": "autonav",
        }
        for i in range(5)
    )
    w.add_events([{"name": "arrived", "payload": {"waypoint": f"WP{sol} $x"}}])
    if sol == 2:  # a waypoint with its own position, off the path
        w.add_events(
            [{"name": "arrived", "payload": {"waypoint": "Mure", "east_m": -50.0, "north_m": 60.0}}]
        )
    for name, tube, designation, kind, at, east, north in SAMPLES:
        if at != sol:
            continue
        w.set_tube(tube, state="stored", designation=designation, sample_type=kind)
        w.add_sample(name=name, tube_id=tube, sample_type=kind, east_m=east, north_m=north)
        w.add_custody(tube_id=tube, from_state="sealed", to_state="stored", actor="arm")
        w.add_events([{"name": "sample_sealed", "payload": {"name": name}}])
    if sol == 4:
        w.add_events([{"name": "dust_<devil>", "payload": {"note": HOSTILE}}])
        w.add_events([{"name": "core_failed", "payload": {"name": "Issole"}}])
        for tube, east, north in DROPS:
            w.set_tube(tube, state="deposited")
            w.add_custody(
                tube_id=tube,
                from_state="stored",
                to_state="deposited",
                lmst="14:00:00",
                actor="rover",
                east_m=east,
                north_m=north,
            )


def build_run(db: Path, run_dir: Path, *, full: bool) -> str:
    """A run in ``db``: sols 0-4 with a traverse, samples and a depot (``full``), or sols
    0-2 with no traverse and nothing sampled; an EDL plot product in ``run_dir``, one
    missing and one outside it."""
    (run_dir / "edl").mkdir(parents=True, exist_ok=True)
    (run_dir / "edl" / "altitude_velocity.png").write_bytes(tiny_png())
    with open_store(db) as store:
        run_id = store.create_run(
            scenario="default", seed=7, config=_config(f"Jezero {HOSTILE}", 700), run_id="r1"
        )
        with store.sol_transaction(run_id, 0) as w:
            _sol(w, 0, "landing", 0.0)
            _edl(w)
            w.add_product(kind="edl_plot", path="edl/altitude_velocity.png")
            w.add_product(kind="edl_plot", path="edl/loads.png")  # never written
            w.add_product(kind="edl_plot", path="../../etc/passwd.png")
            for _, tube, *_ in SAMPLES:
                w.set_tube(tube, kind="sample", state="empty")
        for sol in range(1, 5 if full else 3):
            with store.sol_transaction(run_id, sol) as w:
                _sol(w, sol, "first_drive", 30.0 if full else 0.0)
                if full:
                    _surface_sol(w, sol)
        store.finish_run(run_id, "complete" if full else "running")
    return run_id


class Checker(HTMLParser):
    """Collects every attribute and checks that non-void elements nest and close."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.attrs: list[tuple[str, str, str | None]] = []
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs += [(tag, k, v) for k, v in attrs]
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes {self.stack[-1:]}"
        self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def parse(page: str) -> Checker:
    checker = Checker()
    checker.feed(page)
    checker.close()
    assert checker.stack == [], f"unclosed: {checker.stack}"
    return checker


@pytest.fixture(scope="module")
def full_report(tmp_path_factory):
    """The report of the full synthetic run: (path, page, run folder)."""
    run_dir = tmp_path_factory.mktemp("runs") / "r1"
    run_id = build_run(run_dir / "mission.db", run_dir, full=True)
    with open_store(run_dir / "mission.db", create=False, readonly=True) as store:
        path = write_mission_report(store, run_id, run_dir, terrain=small_terrain())
    return path, path.read_text(encoding="utf-8"), run_dir


@pytest.fixture
def early_run(tmp_path):
    """A run stopped after sol 2: no traverse, no samples, no depot."""
    run_dir = tmp_path / "r1"
    build_run(run_dir / "mission.db", run_dir, full=False)
    return run_dir


def test_report_is_written_in_the_run_folder(full_report):
    path, page, run_dir = full_report
    assert path == run_dir / "report.html"
    assert page.startswith("<!DOCTYPE html>")


def test_report_is_self_contained(full_report):
    _, page, _ = full_report
    checker = parse(page)
    for tag, name, value in checker.attrs:
        if name in ("src", "href"):
            assert not re.match(r"\s*(https?:)?//", value or ""), (tag, name, value)
        if tag == "img":
            assert name != "src" or value.startswith("data:image/png;base64,")
    assert "script" not in checker.tags and "link" not in checker.tags
    images = [v for t, k, v in checker.attrs if t == "img" and k == "src"]
    assert len(images) >= 7  # EDL profile + product, traverse, depot, energy, 2 activity, odometry
    for src in images:
        assert base64.b64decode(src.split(",", 1)[1]).startswith(PNG_SIGNATURE)


def test_report_has_every_section_and_sample(full_report):
    _, page, _ = full_report
    text = " ".join(parse(page).text)
    for anchor, title in SECTIONS:
        assert f'id="{anchor}"' in page
        assert title in text
    for name, tube, designation, *_ in SAMPLES:
        assert name in text and designation in text and tube in text
    assert "in depot" in text
    assert "Issole" in text  # failed coring attempt
    assert "WP1 $x" in text  # waypoint reached, placed at the end of that sol's path
    assert "WP4 $x" in text and "80.0" in text
    assert re.search(r"Mure</td><td class=\"n\">-50.0</td><td class=\"n\">60.0<", page)
    assert "15:53:00" in text and "18.4447° N" in text
    assert "peak deceleration" in text


def test_strings_from_the_database_are_escaped(full_report):
    _, page, _ = full_report
    assert HOSTILE not in page and "<b>" not in page and "<devil>" not in page
    assert "&lt;script&gt;" in page
    assert "Rochette &lt;b&gt;" in page


def test_missing_or_foreign_product_is_a_note_not_an_error(full_report):
    _, page, run_dir = full_report
    assert "edl/loads.png: file missing from the run folder" in page
    assert "../../etc/passwd.png: outside the run folder" in page
    inlined = base64.b64encode((run_dir / "edl" / "altitude_velocity.png").read_bytes())
    assert inlined.decode() in page


def test_write_leaves_no_temporary_file(full_report):
    _, _, run_dir = full_report
    written = [p.name for p in run_dir.iterdir() if "mission.db" not in p.name]
    assert sorted(written) == ["edl", "report.html"]


def test_run_stopped_early_renders(early_run):
    with open_store(early_run / "mission.db", create=False, readonly=True) as store:
        path = write_mission_report(store, "latest", early_run, terrain=small_terrain())
    page = path.read_text(encoding="utf-8")
    text = " ".join(parse(page).text)
    for phrase in ("No samples yet", "No tube deposited yet", "No traverse yet"):
        assert phrase in text
    assert "3 (sols 0–2) of 0–700 planned" in text
    assert "data:image/png;base64," in page


def test_terrain_is_rebuilt_from_the_config(early_run, monkeypatch):
    asked = []

    def generate(site, seed):
        asked.append((site.name, seed))
        return small_terrain()

    monkeypatch.setattr(run_data.LandingRegion, "generate", staticmethod(generate))
    with open_store(early_run / "mission.db", create=False, readonly=True) as store:
        write_mission_report(store, "r1", early_run)
    assert asked == [(load_site("jezero").name, 3)]


def test_failed_write_keeps_the_old_report(early_run, monkeypatch):
    old = early_run / "report.html"
    old.write_text("previous report", encoding="utf-8")

    def replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(outputs.os, "replace", replace)
    with (
        open_store(early_run / "mission.db", create=False, readonly=True) as store,
        pytest.raises(OSError, match="disk full"),
    ):
        write_mission_report(store, "r1", early_run, terrain=small_terrain())
    assert old.read_text(encoding="utf-8") == "previous report"
    assert not [p for p in early_run.iterdir() if p.name.endswith(".tmp")]


def test_run_with_nothing_committed_renders_without_terrain(tmp_path):
    with open_store(tmp_path / "mission.db") as store:
        store.create_run(scenario="bare", seed=1, config={}, run_id="empty")
    with open_store(tmp_path / "mission.db", create=False, readonly=True) as store:
        page = write_mission_report(store, "empty", tmp_path).read_text(encoding="utf-8")
    text = " ".join(parse(page).text)
    assert "none committed yet" in text
    assert "names no site or terrain seed" in text
    for phrase in ("No EDL events recorded", "No samples yet", "No energy records yet"):
        assert phrase in text


class TableParents(HTMLParser):
    """The element and class around every ``<table>``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, str | None]] = []
        self.parents: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.parents.append(self.stack[-1])
        if tag not in VOID:
            self.stack.append((tag, dict(attrs).get("class")))

    def handle_endtag(self, tag):
        self.stack.pop()


def test_tables_scroll_at_phone_width(full_report):
    _, page, _ = full_report
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    parents = TableParents()
    parents.feed(page)
    assert len(parents.parents) >= 8  # header, timeline, touchdown, waypoints, samples...
    assert set(parents.parents) == {("div", "scroll")}
    assert ".scroll{overflow-x:auto}" in page


def card(page: str, label: str) -> tuple[str, str]:
    """(value, detail) of the summary card ``label``."""
    found = re.search(
        rf'<div class="k">{re.escape(label)}</div><div class="v">([^<]*)</div>'
        r'<div class="d">([^<]*)</div>',
        page,
    )
    assert found, label
    return found.group(1), found.group(2)


def test_last_position_is_measured_from_the_touchdown(tmp_path):
    """The rover landed 120 m E, 80 m S of the map origin and drove 3 m E, 4 m N."""
    with open_store(tmp_path / "mission.db") as store:
        run_id = store.create_run(scenario="default", seed=7, config=_config("t", 10))
        with store.sol_transaction(run_id, 0) as w:
            _sol(w, 0, "landing", 0.0)
            landing = {"utc": "2021-02-18T20:43:24.000Z", "east_m": 120.0, "north_m": -80.0}
            w.add_events([{"name": "landing", "payload": landing}])
        with store.sol_transaction(run_id, 1) as w:
            _sol(w, 1, "first_drive", 5.0)
            w.add_traverse(
                {"seq": i, "east_m": e, "north_m": n, "elevation_m": -2569.0, "drive_mode": "auto"}
                for i, (e, n) in enumerate([(120.0, -80.0), (123.0, -76.0)])
            )
        store.finish_run(run_id, "complete")
    with open_store(tmp_path / "mission.db", create=False, readonly=True) as store:
        page = write_mission_report(store, run_id, tmp_path, terrain=small_terrain())
    value, detail = card(page.read_text(encoding="utf-8"), "last position from touchdown")
    assert (value, detail) == ("5.0 m", "3 m E, 4 m N")


def test_last_position_without_a_touchdown_is_from_the_map_origin(tmp_path):
    with open_store(tmp_path / "mission.db") as store:
        run_id = store.create_run(scenario="default", seed=7, config=_config("t", 10))
        with store.sol_transaction(run_id, 1) as w:
            _sol(w, 1, "first_drive", 5.0)
            w.add_traverse(
                [{"seq": 0, "east_m": 30.0, "north_m": 40.0, "elevation_m": 0.0, "drive_mode": "a"}]
            )
    with open_store(tmp_path / "mission.db", create=False, readonly=True) as store:
        page = write_mission_report(store, run_id, tmp_path, terrain=small_terrain())
    value, detail = card(page.read_text(encoding="utf-8"), "last position from the map origin")
    assert (value, detail) == ("50.0 m", "30 m E, 40 m N")
