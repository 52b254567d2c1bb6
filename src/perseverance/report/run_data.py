"""What ``report.html`` needs of one run, read once from the mission database.

`RunData` holds the run's rows, the EDL and surface events split apart, the traverse as
arrays, the depot drops and the terrain under the maps; the sections render from it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np
from numpy.typing import NDArray

from perseverance.errors import PerseveranceError
from perseverance.report.text import finite
from perseverance.store import (
    ActivityRow,
    CustodyRow,
    EventRow,
    MoxieRunRow,
    PowerRow,
    ProductRow,
    RunRow,
    SampleRow,
    SolRow,
    Store,
    TubeRow,
    WeatherSolRow,
)
from perseverance.store.schema import DownlinkRow
from perseverance.terrain.landing_region import LandingRegion
from perseverance.terrain.site import load_site

#: A product image larger than this [bytes] is not inlined (the page would balloon).
MAX_INLINE_PNG_BYTES = 4_000_000
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class Drop:
    """A tube laid in the depot, where [m east/north of the landing site] and when."""

    tube_id: str | None
    designation: str | None
    sample: str | None
    sample_type: str | None
    sol: int | None
    lmst: str | None
    east_m: float
    north_m: float


def terrain_from_config(config: Mapping[str, Any], notes: list[str]) -> LandingRegion | None:
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


def sample_state(tube: TubeRow | None) -> str | None:
    """Where a sample is: ``in depot``, ``discarded`` or ``aboard`` (None: no tube row)."""
    if tube is None:
        return None
    return {"deposited": "in depot", "discarded": "discarded"}.get(tube.state, "aboard")


class RunData:
    """One run's rows, read once from the store, and what the sections derive from them.

    ``terrain`` None rebuilds the landing region from the run's config (``site``,
    ``terrain_seed``), or leaves it None with a note if that fails.
    """

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
        self.weather: list[WeatherSolRow] = store.weather_sols(rid)
        self.moxie: list[MoxieRunRow] = store.moxie_runs(rid)
        self.downlinks: list[DownlinkRow] = store.downlinks(rid)
        self.run_dir = run_dir
        self.notes: list[str] = []
        self.terrain = (
            terrain if terrain is not None else terrain_from_config(self.config, self.notes)
        )

        edl = [e for e in self.events if e.sol in (0, None) and e.t_s is not None]
        edl = [e for e in edl if e.name != "landing"]
        # stable: ties keep write order
        self.edl_events: list[EventRow] = sorted(edl, key=lambda e: float(e.t_s or 0.0))
        landing = [e for e in self.events if e.name == "landing"]
        self.landing: dict[str, Any] = dict(landing[0].payload or {}) if landing else {}
        land = self.landing
        #: The simulated touchdown [m east/north of the site's origin], if recorded.
        self.touchdown_en: tuple[float, float] | None = (
            (float(land["east_m"]), float(land["north_m"]))
            if finite(land.get("east_m"), land.get("north_m"))
            else None
        )
        skip = {id(e) for e in edl + landing}
        self.surface_events = [e for e in self.events if id(e) not in skip]
        points = [(p.east_m, p.north_m, p.sol) for p in store.traverse(rid)]
        path = np.array([p for p in points if finite(*p)], dtype=float).reshape(-1, 3)
        self.east: NDArray[np.float64] = path[:, 0]
        self.north: NDArray[np.float64] = path[:, 1]
        self.path_sol: NDArray[np.float64] = path[:, 2]
        self.drops = self._drops()

    def _drops(self) -> list[Drop]:
        """Deposited tubes in drop order, from the custody records (``to_state ==
        "deposited"``) or, without any, from the ``tube_deposited`` events."""
        samples = {s.tube_id: s for s in self.samples}
        out = []
        for c in self.custody:
            if c.to_state == "deposited" and c.east_m is not None and c.north_m is not None:
                if not finite(c.east_m, c.north_m):
                    continue
                tube, sample = self.tubes.get(c.tube_id), samples.get(c.tube_id)
                kind = sample.sample_type if sample else getattr(tube, "sample_type", None)
                name, designation = (
                    getattr(sample, "name", None),
                    getattr(tube, "designation", None),
                )
                out.append(
                    Drop(c.tube_id, designation, name, kind, c.sol, c.lmst, c.east_m, c.north_m)
                )
        for e in [] if out else self.events:
            p = e.payload or {}
            if e.name == "tube_deposited" and finite(p.get("east_m"), p.get("north_m")):
                who = (p.get("tube_id"), p.get("designation"), p.get("name"), p.get("sample_type"))
                out.append(Drop(*who, e.sol, p.get("lmst"), p["east_m"], p["north_m"]))
        return out

    def sols_flown(self) -> str:
        """``5 (sols 0–4) of 0–700 planned``, or ``none committed yet``."""
        last, planned = self.run.last_committed_sol, self.config.get("last_sol")
        of = f" of 0–{planned} planned" if planned is not None else ""
        return f"none committed yet{of}" if last is None else f"{last + 1:,} (sols 0–{last}){of}"

    def capacity_j(self) -> float | None:
        """100% state of charge [J]: the config's capacity, else the highest charge seen."""
        cap = self.config.get("battery_capacity_j")
        if isinstance(cap, int | float) and finite(cap) and cap > 0:
            return float(cap)
        tops = [p.charge_max_j for p in self.power if finite(p.charge_max_j)]
        return max(tops) if tops and max(tops) > 0 else None

    def soc_min(self) -> tuple[float, int] | None:
        """(lowest state of charge [%], its sol), or None without power records."""
        cap = self.capacity_j()
        rows = [p for p in self.power if finite(p.charge_min_j)]
        if cap is None or not rows:
            return None
        low = min(rows, key=lambda p: p.charge_min_j)
        return 100.0 * low.charge_min_j / cap, low.sol

    def href(self, rel: str | None) -> str | None:
        """``rel`` as a URL relative to the report, or None if the file is not in the
        run folder."""
        if not rel:
            return None
        root = self.run_dir.resolve()
        path = (root / rel).resolve()
        if not path.is_relative_to(root) or not path.is_file():
            return None
        return quote(path.relative_to(root).as_posix())

    def product_png(self, rel: str) -> tuple[bytes | None, str]:
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
