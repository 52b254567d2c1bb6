"""``report.html`` of a mission run, built from the mission database.

One self-contained page: every figure inlined as a base64 PNG ``data:`` URI, the CSS
inline, no scripts and no external URL, so the file can be mailed or archived alone.
Sections: header (run, landing), summary figures, the EDL timeline and plots, the
traverse over a hillshade of the terrain, the sample table, the depot map, energy per
sol, the activity timeline, odometry, the mission events and the data products.

>>> from perseverance.store import open_store
>>> store = open_store("runs/demo/mission.db", create=False, readonly=True)  # doctest: +SKIP
>>> write_mission_report(store, "latest", Path("runs/demo"))                  # doctest: +SKIP
PosixPath('runs/demo/report.html')

A run stopped early renders too: sections with nothing in them yet say so. Every string
from the database is HTML-escaped. The EDL plot files named in the ``products`` table
are read from the run folder; one that is missing (or not a PNG inside the folder) is
left out with a note in the page rather than failing the report.
"""

from __future__ import annotations

import base64
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

import numpy as np

from perseverance.errors import PerseveranceError
from perseverance.mars.constants import LMST_HOUR_S
from perseverance.outputs import write_atomic
from perseverance.report import mission_plots as plots
from perseverance.store import (
    ActivityRow,
    CustodyRow,
    EventRow,
    PowerRow,
    ProductRow,
    RunRow,
    SampleRow,
    SolRow,
    Store,
    TubeRow,
)
from perseverance.terrain.landing_region import LandingRegion
from perseverance.terrain.site import load_site

#: The file name of the report inside the run folder.
REPORT_NAME = "report.html"
#: A product image larger than this [bytes] is not inlined (the page would balloon).
MAX_INLINE_PNG_BYTES = 4_000_000
#: At most this many surface events are listed (the rest are counted).
MAX_EVENTS_LISTED = 2000
#: Waypoints are named on the traverse map only up to this many (beyond, markers only).
MAX_WAYPOINT_LABELS = 30
#: At most this many sols in the Gantt chart of representative sols.
MAX_GANTT_SOLS = 6
#: The sections, in page order: (anchor, title).
SECTIONS = (
    ("summary", "Summary"),
    ("edl", "Entry, descent and landing"),
    ("traverse", "Traverse"),
    ("samples", "Samples"),
    ("depot", "Depot"),
    ("energy", "Energy per sol"),
    ("activities", "Activities"),
    ("odometry", "Odometry"),
    ("events", "Mission events"),
    ("products", "Data products"),
)
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: Unit suffix of a column or payload key -> (unit printed, decimals); latitude and
#: longitude get `_LATLON_DECIMALS` (0.0001° is 6 m on Mars).
_UNITS = {
    "_m": ("m", 1),
    "_km": ("km", 2),
    "_mps": ("m/s", 2),
    "_deg": ("°", 2),
    "_kg": ("kg", 1),
    "_s": ("s", 1),
    "_pa": ("Pa", 0),
    "_j": ("J", 0),
    "_w": ("W", 1),
}

_LATLON_DECIMALS = 4

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;margin:0;
color:#222;background:#faf8f5;line-height:1.4}
main{max-width:1100px;margin:0 auto;padding:0 1.2em 3em}
header{background:#3b2a20;color:#f4e9dc;padding:1.2em 0}
header .inner{max-width:1100px;margin:0 auto;padding:0 1.2em}
header h1{margin:0 0 .2em;font-size:1.7em}
header table{color:#f4e9dc}header td,header th{border:none;padding:.1em .8em .1em 0}
nav{font-size:.9em;margin:.8em 0}nav a{margin-right:1em;color:#8a3b12}
h2{border-bottom:2px solid #c1440e;padding-bottom:.2em;margin-top:2em;color:#5a2a10}
h3{color:#5a2a10;margin-top:1.4em}
table{border-collapse:collapse;font-size:.88em;margin:.5em 0}
th,td{border:1px solid #ddd;padding:.25em .6em;text-align:left;vertical-align:top}
th{background:#efe6dc}tr:nth-child(even) td{background:#f6f1ea}
td.n{text-align:right;font-variant-numeric:tabular-nums}
.cards{display:flex;flex-wrap:wrap;gap:.7em}
.card{background:#fff;border:1px solid #e2d6c8;border-radius:6px;padding:.6em .9em;min-width:10em}
.card .v{font-size:1.35em;font-weight:600;color:#8a3b12}.card .k{font-size:.8em;color:#666}
.card .d{font-size:.78em;color:#444}
figure{margin:1em 0}figure img{max-width:100%;height:auto;border:1px solid #e2d6c8}
figcaption{font-size:.82em;color:#555}
.note{color:#7a5a00;background:#fff6d6;border-left:3px solid #e0b000;padding:.3em .6em}
.none{color:#666;font-style:italic}
"""


# ----------------------------------------------------------------------- entry points


def write_mission_report(
    store: Store, run_id: str, run_dir: Path | str, *, terrain: LandingRegion | None = None
) -> Path:
    """Write ``run_dir / "report.html"`` for one run and return its path.

    Parameters
    ----------
    store
        The mission database (read-only is enough).
    run_id
        The run (``"latest"``: the most recent).
    run_dir
        The run folder: the report goes there, and product paths are relative to it.
    terrain
        The landing region under the traverse; None rebuilds it from the run's config
        (``site``, ``terrain_seed``; ~0.6 s), or draws plain maps if that fails.

    The page is written to a temporary name in the same folder and renamed over
    ``report.html``, so a reader never sees half a report and a failure leaves the
    previous one in place.
    """
    run_dir = Path(run_dir)
    text = mission_report_html(store, run_id, run_dir, terrain=terrain)
    path = run_dir / REPORT_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, text)
    return path


def mission_report_html(
    store: Store, run_id: str, run_dir: Path | str, *, terrain: LandingRegion | None = None
) -> str:
    """The report page as a string (what `write_mission_report` writes; same arguments)."""
    return _Report(store, run_id, Path(run_dir), terrain).render()


def _terrain_from_config(config: Mapping[str, Any], notes: list[str]) -> LandingRegion | None:
    """The run's landing region from ``config["site"]`` and ``config["terrain_seed"]``."""
    site, seed = config.get("site"), config.get("terrain_seed")
    if site is None or seed is None:
        notes.append("The run's config names no site or terrain seed: maps have no terrain.")
        return None
    try:
        return LandingRegion.generate(load_site(str(site)), int(seed))
    except (PerseveranceError, TypeError, ValueError) as e:
        notes.append(f"The terrain could not be rebuilt ({e}): maps have no terrain.")
        return None


# ----------------------------------------------------------------------- formatting
# Every string from the database is escaped where it enters the page: in `_table`,
# `_card`, `_figure`, `_p`; the helpers before them return plain text.


def _finite(*values: object) -> bool:
    """Whether every value is a finite int or float (not a bool)."""
    return all(
        isinstance(v, int | float) and not isinstance(v, bool) and np.isfinite(v) for v in values
    )


def _num(value: object, decimals: int = 1) -> str | None:
    """A number with thousands separators; None stays None, anything else its ``str``."""
    if value is None:
        return None
    return f"{float(value):,.{decimals}f}" if _finite(value) else str(value)  # type: ignore[arg-type]


def _quantity(key: str, value: object) -> tuple[str, str]:
    """(label, text) of a named value, its unit read from the name's suffix (``_m``...)."""
    if value is None:
        return key.replace("_", " "), "—"
    for suffix, (unit, decimals) in _UNITS.items():
        if key.endswith(suffix) and _finite(value):
            if key in ("latitude_deg", "longitude_deg"):
                decimals = _LATLON_DECIMALS
            sep = "" if unit == "°" else " "
            return key[: -len(suffix)].replace("_", " "), f"{_num(value, decimals)}{sep}{unit}"
    text = _num(value, 3) if isinstance(value, float) else str(value)
    return key.replace("_", " "), str(text)


def _details(payload: Mapping[str, Any] | None) -> str:
    """An event payload as ``label: value; ...``."""
    return "; ".join(": ".join(_quantity(str(k), v)) for k, v in (payload or {}).items())


def _counts(counter: Mapping[str, int]) -> str:
    """``name n, name n`` from the most to the least frequent."""
    return ", ".join(f"{k} {n}" for k, n in sorted(counter.items(), key=lambda kv: -kv[1]))


def _distance(metres: float) -> str:
    return f"{metres / 1e3:,.2f} km" if abs(metres) >= 1000 else f"{metres:,.1f} m"


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def _latlon(lat: object, lon: object) -> str:
    if not _finite(lat, lon):
        return "–"
    ns, ew = ("N" if lat >= 0 else "S"), ("E" if lon >= 0 else "W")  # type: ignore[operator]
    return f"{abs(lat):.4f}° {ns}, {abs(lon):.4f}° {ew}"  # type: ignore[arg-type]


def _sample_state(tube: TubeRow | None) -> str | None:
    """Where a sample is: ``in depot``, ``discarded`` or ``aboard`` (None: no tube row)."""
    if tube is None:
        return None
    return {"deposited": "in depot", "discarded": "discarded"}.get(tube.state, "aboard")


def _cell(value: object) -> str:
    return "–" if value is None else escape(str(value), quote=True)


def _table(header: str, rows: Iterable[Sequence[object]], numeric: Collection[int] = ()) -> str:
    """A table: column titles separated by ``|``; every cell is escaped here (None: "–"),
    the columns in ``numeric`` right-aligned."""
    head = "".join(f"<th>{_cell(h)}</th>" for h in header.split("|"))
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="n">{_cell(c)}</td>' if i in numeric else f"<td>{_cell(c)}</td>"
            for i, c in enumerate(row)
        )
        + "</tr>\n"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>\n{body}</tbody></table>\n"


def _figure(png: bytes, alt: str, caption: str = "") -> str:
    data = base64.b64encode(png).decode("ascii")
    cap = f"<figcaption>{_cell(caption)}</figcaption>" if caption else ""
    return f'<figure><img src="data:image/png;base64,{data}" alt="{_cell(alt)}">{cap}</figure>\n'


def _p(text: str, cls: str = "") -> str:
    """A paragraph of plain text; ``cls`` ``none`` for "nothing yet", ``note`` for a warning."""
    return f'<p class="{cls}">{_cell(text)}</p>\n' if cls else f"<p>{_cell(text)}</p>\n"


def _h3(text: str) -> str:
    return f"<h3>{_cell(text)}</h3>\n"


def _card(label: str, value: str, detail: str = "") -> str:
    d = f'<div class="d">{_cell(detail)}</div>' if detail else ""
    k, v = f'<div class="k">{_cell(label)}</div>', f'<div class="v">{_cell(value)}</div>'
    return f'<div class="card">{k}{v}{d}</div>'


# ----------------------------------------------------------------------- the report


@dataclass(frozen=True)
class _Drop:
    """A tube laid in the depot, where [m east/north of the landing site] and when."""

    tube_id: str | None
    designation: str | None
    sample: str | None
    sample_type: str | None
    sol: int | None
    lmst: str | None
    east_m: float
    north_m: float


class _Report:
    """One run's rows, read once from the store, and the sections of its page."""

    def __init__(
        self, store: Store, run_id: str, run_dir: Path, terrain: LandingRegion | None
    ) -> None:
        self.run: RunRow = store.run(run_id)
        rid = self.run.id
        self.config: dict[str, Any] = self.run.config if isinstance(self.run.config, dict) else {}
        self.sols: list[SolRow] = store.sols(rid)
        self.activities: list[ActivityRow] = store.activities(rid)
        self.events: list[EventRow] = store.events(rid)
        self.power: list[PowerRow] = store.power(rid)
        self.tubes: dict[str, TubeRow] = {t.tube_id: t for t in store.tubes(rid)}
        self.samples: list[SampleRow] = store.samples(rid)
        self.custody: list[CustodyRow] = store.custody(rid)
        self.products: list[ProductRow] = store.products(rid)
        self.run_dir = run_dir
        self.notes: list[str] = []
        self.terrain = (
            terrain if terrain is not None else _terrain_from_config(self.config, self.notes)
        )

        edl = [e for e in self.events if e.sol in (0, None) and e.t_s is not None]
        edl = [e for e in edl if e.name != "landing"]
        self.edl_events = sorted(edl, key=lambda e: e.t_s)  # stable: ties keep write order
        landing = [e for e in self.events if e.name == "landing"]
        self.landing: dict[str, Any] = dict(landing[0].payload or {}) if landing else {}
        skip = {id(e) for e in edl + landing}
        self.surface_events = [e for e in self.events if id(e) not in skip]
        points = [(p.east_m, p.north_m, p.sol) for p in store.traverse(rid)]
        path = np.array([p for p in points if _finite(*p)], dtype=float).reshape(-1, 3)
        self.east, self.north, self.path_sol = path.T
        self.drops = self._drops()

    def _drops(self) -> list[_Drop]:
        """Deposited tubes in drop order, from the custody records (``to_state ==
        "deposited"``) or, without any, from the ``tube_deposited`` events."""
        samples = {s.tube_id: s for s in self.samples}
        out = []
        for c in self.custody:
            if c.to_state == "deposited" and _finite(c.east_m, c.north_m):
                tube, sample = self.tubes.get(c.tube_id), samples.get(c.tube_id)
                kind = sample.sample_type if sample else getattr(tube, "sample_type", None)
                name, designation = (
                    getattr(sample, "name", None),
                    getattr(tube, "designation", None),
                )
                out.append(
                    _Drop(c.tube_id, designation, name, kind, c.sol, c.lmst, c.east_m, c.north_m)
                )
        for e in [] if out else self.events:
            p = e.payload or {}
            if e.name == "tube_deposited" and _finite(p.get("east_m"), p.get("north_m")):
                who = (p.get("tube_id"), p.get("designation"), p.get("name"), p.get("sample_type"))
                out.append(_Drop(*who, e.sol, p.get("lmst"), p["east_m"], p["north_m"]))
        return out

    def render(self) -> str:
        title = self.config.get("title") or self.run.scenario
        body = [
            self._summary(),
            self._edl(),
            self._traverse(),
            self._samples(),
            self._depot(),
            self._energy(),
            self._activities(),
            self._odometry(),
            self._events(),
            self._products(),
        ]
        nav = "".join(f'<a href="#{a}">{_cell(t)}</a>' for a, t in SECTIONS)
        notes = "".join(_p(n, "note") for n in self.notes)
        sections = "".join(
            f'<section id="{a}"><h2>{_cell(t)}</h2>\n{html}</section>\n'
            for (a, t), html in zip(SECTIONS, body, strict=True)
        )
        return (
            '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{_cell(title)}: mission report {_cell(self.run.id)}</title>\n"
            f"<style>{_CSS}</style>\n</head>\n<body>\n"
            f"{self._header(title)}<main>\n<nav>{nav}</nav>\n{notes}{sections}</main>\n"
            "</body>\n</html>\n"
        )

    # -- header and summary ---------------------------------------------------

    def _sols_flown(self) -> str:
        last, planned = self.run.last_committed_sol, self.config.get("last_sol")
        of = f" of 0–{planned} planned" if planned is not None else ""
        return f"none committed yet{of}" if last is None else f"{last + 1:,} (sols 0–{last}){of}"

    def _header(self, title: str) -> str:
        run, land = self.run, self.landing
        rows = [
            ("run", run.id),
            ("scenario", run.scenario),
            ("seed", run.seed),
            ("status", run.status),
            ("sols flown", self._sols_flown()),
            ("landed", f"{land.get('utc')} ({land.get('lmst')} LMST)" if land else "not recorded"),
        ]
        if land:
            rows.append(
                ("landing site", _latlon(land.get("latitude_deg"), land.get("longitude_deg")))
            )
        table = "".join(f"<tr><th>{_cell(k)}</th><td>{_cell(v)}</td></tr>" for k, v in rows)
        return (
            f'<header><div class="inner"><h1>{_cell(title)}</h1>'
            f"<div>Mars 2020 mission report</div><table>{table}</table></div></header>\n"
        )

    def _summary(self) -> str:
        odo = sum(s.odometry_m for s in self.sols if _finite(s.odometry_m))
        good = sum(s.drive_m for s in self.sols if _finite(s.drive_m))
        cards = [
            _card("sols flown", self._sols_flown()),
            _card("wheel odometry", _distance(odo)),
            _card("distance made good", _distance(good)),
        ]
        if self.east.size:
            e, n = self.east[-1], self.north[-1]
            where = f"{e:,.0f} m E, {n:,.0f} m N"
            cards.append(_card("last position from landing", _distance(np.hypot(e, n)), where))
        by_type = Counter(s.sample_type for s in self.samples)
        detail = _counts(by_type) if by_type else "none yet"
        failed = sum(1 for e in self.events if e.name == "core_failed")
        if failed:
            detail += f"; {_plural(failed, 'failed coring attempt')}"
        cards.append(_card("samples sealed", str(len(self.samples)), detail))
        in_depot = Counter(str(x.sample_type) for x in self.drops)
        value = _plural(len(self.drops), "tube") if self.drops else "none yet"
        cards.append(_card("depot", value, _counts(in_depot)))
        states = [_sample_state(self.tubes.get(s.tube_id)) for s in self.samples]
        cards.append(_card("samples aboard", str(states.count("aboard"))))
        soc = self._soc_min()
        if soc is not None:
            cards.append(_card("lowest state of charge", f"{soc[0]:.0f}%", f"sol {soc[1]}"))
        bits = sum(s.data_bits for s in self.sols if s.data_bits)
        if bits:
            cards.append(_card("data returned", f"{bits / 1e9:,.1f} Gbit"))
        skipped = sum(1 for a in self.activities if (a.outcome or "").startswith("skipped"))
        cards.append(_card("activities skipped", f"{skipped:,}", f"of {len(self.activities):,}"))
        return f'<div class="cards">{"".join(cards)}</div>\n'

    # -- EDL -----------------------------------------------------------------

    def _edl(self) -> str:
        events = self.edl_events
        out = []
        if events:
            keys = {
                "altitude_m": 0,
                "velocity_mps": 1,
                "mach": 2,
                "dynamic_pressure_pa": 0,
                "g_load": 2,
            }
            rows = [
                [e.name.replace("_", " "), _num(e.t_s)]
                + [_num((e.payload or {}).get(k), d) for k, d in keys.items()]
                for e in events
            ]
            header = "event|T+ [s]|altitude [m]|speed [m/s]|Mach|dynamic pressure [Pa]|g-load [g]"
            out += [_h3("Timeline"), _table(header, rows, range(1, 7))]
        else:
            out.append(_p("No EDL events recorded.", "none"))
        if self.landing:
            rows = [_quantity(str(k), v) for k, v in self.landing.items()]
            out += [_h3("Touchdown"), _table("quantity|value", rows)]
        pay = [e.payload or {} for e in events]
        profile = [
            (e, p)
            for e, p in zip(events, pay, strict=True)
            if _finite(p.get("altitude_m"), p.get("velocity_mps"))
        ]
        if len(profile) >= 2:
            png = plots.edl_profile(
                [e.t_s for e, _ in profile],
                [p["altitude_m"] for _, p in profile],
                [p["velocity_mps"] for _, p in profile],
                [e.name for e, _ in profile],
            )
            out.append(_figure(png, "EDL events", "Altitude and speed at each EDL event."))
        files = [
            p.path
            for p in self.products
            if p.kind == "edl_plot"
            or (p.path.startswith("edl/") and p.path.lower().endswith(".png"))
        ]
        out += [_h3("EDL plots")] if files else []
        for rel in files:
            png, why = self._product_png(rel)
            out.append(
                _p(f"{rel}: {why}; left out.", "note") if png is None else _figure(png, rel, rel)
            )
        return "".join(out)

    def _product_png(self, rel: str) -> tuple[bytes | None, str]:
        """A product PNG read from the run folder, or (None, why not)."""
        root = self.run_dir.resolve()
        path = (root / rel).resolve()
        if not path.is_relative_to(root):
            return None, "outside the run folder"
        if not path.is_file():
            return None, "file missing from the run folder"
        if (size := path.stat().st_size) > MAX_INLINE_PNG_BYTES:
            return None, f"{size:,} bytes, too large to inline"
        data = path.read_bytes()
        return (data, "") if data.startswith(_PNG_SIGNATURE) else (None, "not a PNG file")

    # -- traverse --------------------------------------------------------------

    def _waypoints(self) -> list[tuple[int, str, float, float]]:
        """(sol, waypoint, east_m, north_m) of each first ``arrived`` event: at the payload's
        ``east_m``/``north_m`` if it has them, else where the path ended on that sol."""
        out, seen = [], set()
        for e in self.surface_events:
            p = e.payload or {}
            name = p.get("waypoint")
            if e.name != "arrived" or name is None or name in seen or e.sol is None:
                continue
            before = np.flatnonzero(self.path_sol <= e.sol)
            if _finite(p.get("east_m"), p.get("north_m")):
                out.append((e.sol, str(name), float(p["east_m"]), float(p["north_m"])))
            elif before.size:
                i = before[-1]
                out.append((e.sol, str(name), float(self.east[i]), float(self.north[i])))
            else:
                continue
            seen.add(name)
        return out

    def _traverse(self) -> str:
        waypoints = self._waypoints()
        named = len(waypoints) <= MAX_WAYPOINT_LABELS
        marks = [plots.Mark(name if named else "", e, n, "waypoint") for _, name, e, n in waypoints]
        marks += [
            plots.Mark(s.name, s.east_m, s.north_m, s.sample_type)
            for s in self.samples
            if _finite(s.east_m, s.north_m)
        ]
        if self.drops:
            centre = np.mean([(x.east_m, x.north_m) for x in self.drops], axis=0)
            marks.append(plots.Mark("depot", float(centre[0]), float(centre[1]), "depot"))
        out = [] if self.east.size else [_p("No traverse yet: the rover has not driven.", "none")]
        land = self.landing
        landing_en = (0.0, 0.0)
        if _finite(land.get("east_m"), land.get("north_m")):
            landing_en = (float(land["east_m"]), float(land["north_m"]))
        png = plots.traverse_map(
            self.east,
            self.north,
            self.path_sol,
            terrain=self.terrain,
            marks=marks,
            landing_en=landing_en,
        )
        n_sols = len(set(self.path_sol.tolist()))
        caption = (
            f"{self.east.size:,} path points over {_plural(n_sols, 'sol')}; "
            "star: the simulated touchdown."
        )
        out.append(_figure(png, "traverse map", caption))
        if waypoints:
            rows = [(sol, name, _num(e), _num(n)) for sol, name, e, n in waypoints]
            out += [
                _h3("Waypoints reached"),
                _table("sol|waypoint|east [m]|north [m]", rows, {0, 2, 3}),
            ]
        return "".join(out)

    # -- samples and depot -----------------------------------------------------

    def _samples(self) -> str:
        if not self.samples:
            return _p("No samples yet.", "none")
        rows = []
        for k, s in enumerate(self.samples, 1):
            tube = self.tubes.get(s.tube_id)
            where = (_num(s.east_m), _num(s.north_m), _sample_state(tube))
            rows.append(
                (
                    k,
                    s.name,
                    getattr(tube, "designation", None),
                    s.sample_type,
                    s.sol,
                    s.tube_id,
                    *where,
                )
            )
        header = "#|name|designation|type|sol|tube|east [m]|north [m]|state"
        out = [_table(header, rows, {0, 4, 6, 7})]
        failed = [
            (e.sol, (e.payload or {}).get("name"), (e.payload or {}).get("outcome"))
            for e in self.events
            if e.name == "core_failed"
        ]
        if failed:
            out += [_h3("Failed coring attempts"), _table("sol|name|outcome", failed, {0})]
        return "".join(out)

    def _depot(self) -> str:
        if not self.drops:
            return _p("No tube deposited yet.", "none")
        label = [str(x.designation or x.tube_id or "?") for x in self.drops]
        marks = [
            plots.Mark(t, x.east_m, x.north_m, "depot")
            for t, x in zip(label, self.drops, strict=True)
        ]
        png = plots.depot_map(marks, self.east, self.north, terrain=self.terrain)
        rows, prev = [], None
        for k, x in enumerate(self.drops, 1):
            gap = (
                None
                if prev is None
                else _num(float(np.hypot(x.east_m - prev[0], x.north_m - prev[1])))
            )
            prev = (x.east_m, x.north_m)
            who = (x.designation, x.tube_id, x.sample, x.sample_type, x.sol, x.lmst)
            rows.append((k, *who, _num(x.east_m), _num(x.north_m), gap))
        header = "#|designation|tube|sample|type|sol|LMST|east [m]|north [m]|from previous [m]"
        caption = "Drops numbered in order, joined to show the zigzag; bar: 5 m."
        return _figure(png, "depot map", caption) + _table(header, rows, {0, 5, 7, 8, 9})

    # -- energy, activities, odometry --------------------------------------------

    def _capacity_j(self) -> float | None:
        """100% state of charge [J]: the config's capacity, else the highest charge seen."""
        cap = self.config.get("battery_capacity_j")
        if _finite(cap) and cap > 0:  # type: ignore[operator]
            return float(cap)  # type: ignore[arg-type]
        tops = [p.charge_max_j for p in self.power if _finite(p.charge_max_j)]
        return max(tops) if tops and max(tops) > 0 else None

    def _soc_min(self) -> tuple[float, int] | None:
        """(lowest state of charge [%], its sol), or None without power records."""
        cap = self._capacity_j()
        rows = [p for p in self.power if _finite(p.charge_min_j)]
        if cap is None or not rows:
            return None
        low = min(rows, key=lambda p: p.charge_min_j)
        return 100.0 * low.charge_min_j / cap, low.sol

    def _energy(self) -> str:
        power, cap = self.power, self._capacity_j()
        if not power or cap is None:
            return _p("No energy records yet.", "none")
        out = []
        if not _finite(self.config.get("battery_capacity_j")):
            out.append(
                _p("The config gives no battery capacity: 100% is the highest charge seen.", "note")
            )
        floor = self.config.get("battery_floor_j")
        png = plots.energy_per_sol(
            [p.sol for p in power],
            [p.charge_min_j for p in power],
            [p.charge_max_j for p in power],
            [p.charge_end_j for p in power],
            [p.generated_j for p in power],
            [p.used_j for p in power],
            capacity_j=cap,
            floor_j=float(floor) if _finite(floor) else None,  # type: ignore[arg-type]
        )
        caption = f"State of charge against a capacity of {cap / 3.6e6:.2f} kWh; energy in kWh."
        out.append(_figure(png, "energy per sol", caption))
        gen = sum(p.generated_j for p in power) / 3.6e6
        used = sum(p.used_j for p in power) / 3.6e6
        text = f"Over {_plural(len(power), 'sol')}: {gen:,.1f} kWh generated, {used:,.1f} kWh used"
        if (low := self._soc_min()) is not None:
            text += f"; lowest state of charge {low[0]:.0f}% on sol {low[1]}"
        return "".join(out) + _p(text + ".")

    def _activities(self) -> str:
        acts = self.activities
        if not acts:
            return _p("No activities yet.", "none")
        by_kind: dict[str, list[ActivityRow]] = defaultdict(list)
        for a in acts:
            by_kind[a.kind].append(a)
        hours = {k: sum(a.duration_s for a in v) / LMST_HOUR_S for k, v in by_kind.items()}
        kinds = sorted(hours, key=lambda k: (k != "sleep", -hours[k], k))
        colours = plots.kind_colours(kinds)
        sols = sorted({a.sol for a in acts})
        col, row = {s: i for i, s in enumerate(sols)}, {k: i for i, k in enumerate(kinds)}
        grid = np.zeros((len(kinds), len(sols)))
        for a in acts:
            grid[row[a.kind], col[a.sol]] += a.duration_s / LMST_HOUR_S
        png = plots.activity_hours(sols, kinds, grid, colours)
        out = [_figure(png, "activity hours per sol", "LMST hours per sol by kind of activity.")]
        chosen = set(self._representative_sols())
        picked = [a for a in acts if a.sol in chosen]
        png = plots.activity_gantt(
            [a.sol for a in picked],
            [a.kind for a in picked],
            [a.start_s for a in picked],
            [a.duration_s for a in picked],
            [(a.outcome or "").startswith("skipped") for a in picked],
            colours,
        )
        out.append(
            _figure(png, "activities of representative sols", "Start times from LMST midnight.")
        )
        rows = [
            (
                k,
                len(by_kind[k]),
                _num(hours[k]),
                _num(sum(a.energy_j for a in by_kind[k]) / 3.6e6, 2),
                _counts(Counter(a.outcome or "–" for a in by_kind[k])),
            )
            for k in kinds
        ]
        out.append(_table("kind|activities|LMST hours|energy [kWh]|outcomes", rows, {1, 2, 3}))
        return "".join(out)

    def _representative_sols(self) -> list[int]:
        """Up to `MAX_GANTT_SOLS` sols for the Gantt chart: the first with activities, the
        first with a drive, a coring, a depot drop, a skipped activity, the first sol of a
        phase named ``*conjunction*``, and the last."""
        acts = self.activities
        sols = sorted({a.sol for a in acts})
        picks = [
            min((a.sol for a in acts if a.kind == k), default=None)
            for k in ("drive", "core", "depot")
        ]
        picks.append(
            min((a.sol for a in acts if (a.outcome or "").startswith("skipped")), default=None)
        )
        picks.append(
            min((s.sol for s in self.sols if "conjunction" in (s.phase or "")), default=None)
        )
        chosen = list(dict.fromkeys(s for s in [sols[0], *picks, sols[-1]] if s in sols))
        return sorted(chosen[:MAX_GANTT_SOLS])

    def _odometry(self) -> str:
        if not self.sols:
            return _p("No sols yet.", "none")
        png = plots.odometry(
            [s.sol for s in self.sols],
            [s.odometry_m if _finite(s.odometry_m) else 0.0 for s in self.sols],
            [s.drive_m if _finite(s.drive_m) else 0.0 for s in self.sols],
            sample_sols=[s.sol for s in self.samples],
        )
        return _figure(png, "odometry against sol", "Cumulative; triangles: samples taken.")

    # -- events and products -----------------------------------------------------

    def _events(self) -> str:
        events = self.surface_events
        if not events:
            return _p("No surface events yet.", "none")
        out = []
        phases = [e for e in events if e.name == "phase_start"]
        if phases:
            rows = [
                (e.sol, (e.payload or {}).get("phase"), (e.payload or {}).get("title"))
                for e in phases
            ]
            out += [_h3("Phases"), _table("sol|phase|title", rows, {0})]
        out.append(
            _p(f"{_plural(len(events), 'event')}: {_counts(Counter(e.name for e in events))}.")
        )
        listed = events[:MAX_EVENTS_LISTED]
        table = _table(
            "sol|event|details", [(e.sol, e.name, _details(e.payload)) for e in listed], {0}
        )
        more = len(events) - len(listed)
        tail = _p(f"{more:,} more not listed.") if more > 0 else ""
        return "".join(out) + f"<details><summary>All events</summary>\n{table}{tail}</details>\n"

    def _products(self) -> str:
        if not self.products:
            return _p("No data products recorded.", "none")
        by_kind: dict[str, list[ProductRow]] = defaultdict(list)
        for p in self.products:
            by_kind[p.kind].append(p)
        rows = []
        for kind, items in sorted(by_kind.items()):
            size = sum(p.bytes for p in items if p.bytes)
            rows.append((kind, len(items), f"{size / 1e6:,.1f}" if size else None, items[0].path))
        return _table("kind|files|MB|e.g.", rows, {1, 2})
