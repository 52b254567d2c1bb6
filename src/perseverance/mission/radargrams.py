"""RIMFAX inside the mission: a radargram of every drive, over one ground under the floor.

**The ground.** One `perseverance.rover.rimfax.LayeredSite` for the whole run, drawn once
from the run's seed: parallel planar layers dipping up to 15° in one direction, in site
coordinates (east, north of the landing site), evaluated under each drive's path. A
drive's radargram therefore joins the next one's: where a sol's drive ends, the next
begins over the same layers at the same depths.

**The sounding.** The deep mode (150-600 MHz) on the crater-floor
material (depths at its ε = 7.0), soundings every ``sounding_interval_m`` (10 cm) of the
drive's path (its points joined by straight lines). Only every `STORED_EVERY`-th
sounding is synthesised and kept (one every 2 m): the default mission drives ~10 km,
and every sounding of it would be ~400 MB; the others would be
discarded, so they are not computed. The deep mode's window is cut at
`MAX_DEPTH_M` (20 m at ε = 7), past the ≈ 15 m penetration.

**Products.** Per drive, under ``rimfax/sol_NNNN/``: the radargram as Parquet
(`save_radargram`, amplitudes in float16 in units of the noise RMS: half of float32,
a relative error under 5e-4) and its PNG (`plot_radargram` at `PLOT_DPI`). Any
exception making one is a ``failed`` product row with its reason, and no file.

Budget (default mission, seed 0: 72 drives, 10.5 km): 21 s and 10.3 MB on 2 shared
cores, two thirds of the time in matplotlib drawing the 72 PNGs (sounding ~4 s).
"""

from __future__ import annotations

import shutil
import struct
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from perseverance.mission.clock import lmst_text
from perseverance.mission.sol_files import RIMFAX_DIR, sol_dir
from perseverance.rover.rimfax import (
    LayeredSite,
    Radargram,
    RimfaxConfig,
    plot_radargram,
    random_site,
    save_radargram,
    sound_path,
)

__all__ = [
    "MATERIAL",
    "MAX_DEPTH_M",
    "MODE",
    "PLOT_DPI",
    "PRIORITY",
    "STORED_EVERY",
    "RimfaxSounder",
]

#: Ground material under the traverse (data/instruments/rimfax.toml).
MATERIAL = "crater_floor"
#: Sounding mode of the drives: the lower band, which reaches the ≈ 15 m the crater
#: floor shows (A; the full band's 675 MHz centre is attenuated twice as fast and
#: reaches ≈ 9 m).
MODE = "deep"
#: The stored time window ends at this depth [m at the material's permittivity]: the
#: penetration (≈ 15 m) and a margin; the deep mode's 600 ns reach 33 m, noise below.
MAX_DEPTH_M = 20.0
#: Every this-many-th sounding is synthesised and stored (E: 2 m at the 10 cm interval,
#: set by the ≤ 30 MB budget of a default ~10 km mission; see the module).
STORED_EVERY = 20
#: Downlink priority of the radargrams (1 first; E: science data, after the engineering
#: images).
PRIORITY = 60
#: Resolution of the per-drive PNG [dots per inch] (8 x 4 in: 480 x 240 px).
PLOT_DPI = 60
#: Seed purposes: the ground (drawn once per run) and a sol's receiver noise.
_GROUND_PURPOSE = 0x52494D  # "RIM"
_NOISE_PURPOSE = 0x464158  # "FAX"
#: Longest reason kept in a failed row (the products table's limit).
_REASON_CHARS = 512


def _reason(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}".replace("\n", " ")[:_REASON_CHARS]


def _png_size(path: Path) -> tuple[int, int] | None:
    """Width and height [px] from a PNG's header, or None."""
    with path.open("rb") as fh:
        head = fh.read(24)
    if len(head) < 24 or head[:8] != b"\x89PNG\r\n\x1a\n":
        return None
    width, height = struct.unpack(">II", head[16:24])
    return int(width), int(height)


class RimfaxSounder:
    """Radargrams of a run's drives: one ground for the run (from ``seed``), files under
    ``run_folder``."""

    def __init__(self, config: RimfaxConfig, run_folder: Path, *, seed: int) -> None:
        self.config = config
        self.run_folder = Path(run_folder)
        self.seed = int(seed)
        self.site: LayeredSite = random_site(
            config.material(MATERIAL), (self.seed, _GROUND_PURPOSE)
        )

    def radargram(self, sol: int, traverse: Sequence[Mapping[str, Any]]) -> Radargram | None:
        """The radargram of ``sol``'s drive along ``traverse`` (its points in order, each
        with ``east_m`` and ``north_m``), or None if it moved less than one interval."""
        east = np.array([float(p["east_m"]) for p in traverse], dtype=np.float64)
        north = np.array([float(p["north_m"]) for p in traverse], dtype=np.float64)
        if east.size < 2:
            return None
        length = float(np.hypot(np.diff(east), np.diff(north)).sum())
        if not length >= self.config.sounding_interval_m:  # also NaN
            return None
        rng = np.random.default_rng([self.seed, sol, _NOISE_PURPOSE])
        full = sound_path(
            self.config, self.site, east, north, every=STORED_EVERY, mode=MODE, rng=rng
        )
        n = int(np.searchsorted(full.depth_m, MAX_DEPTH_M, side="right"))
        return replace(full, time_s=full.time_s[:n], amplitude=full.amplitude[:, :n])

    def sol(
        self,
        sol: int,
        traverse: Sequence[Mapping[str, Any]],
        *,
        lmst_s: float | None = None,
    ) -> list[dict[str, Any]]:
        """Sound ``sol``'s drive and write its products; their rows (none if it did not
        drive one sounding interval). ``lmst_s``: the drive's start [s from LMST
        midnight], if known. Never raises for a bad drive: a failed row instead."""
        folder_rel = sol_dir(RIMFAX_DIR, sol)
        folder = self.run_folder / folder_rel
        shutil.rmtree(folder, ignore_errors=True)  # a re-flown sol starts clean
        stem = f"radargram_sol_{sol:04d}"
        base: dict[str, Any] = {
            "sol": sol,
            "priority": PRIORITY,
            "instrument": "RIMFAX",
            "lmst": None if lmst_s is None else lmst_text(lmst_s),
        }
        data_row = base | {
            "kind": "radargram",
            "path": f"{folder_rel}/{stem}.parquet",
            "name": f"RIMFAX radargram, sol {sol}",
        }
        plot_row = base | {
            "kind": "radargram_plot",
            "path": f"{folder_rel}/{stem}.png",
            "name": f"RIMFAX radargram plot, sol {sol}",
        }
        try:
            radargram = self.radargram(sol, traverse)
            if radargram is None:
                return []
            folder.mkdir(parents=True, exist_ok=True)
            data_path = save_radargram(
                radargram, self.run_folder / data_row["path"], precision="float16"
            )
        except Exception as exc:
            shutil.rmtree(folder, ignore_errors=True)
            failed = {"status": "failed", "reason": _reason(exc), "bytes": None}
            return [data_row | failed, plot_row | failed]
        data_row |= {"status": "ok", "reason": None, "bytes": data_path.stat().st_size}
        png_path = self.run_folder / plot_row["path"]
        try:
            plot_radargram(radargram, png_path, dpi=PLOT_DPI)
            size = _png_size(png_path)
        except Exception as exc:
            png_path.unlink(missing_ok=True)
            return [
                data_row,
                plot_row | {"status": "failed", "reason": _reason(exc), "bytes": None},
            ]
        plot_row |= {"status": "ok", "reason": None, "bytes": png_path.stat().st_size}
        if size is not None:
            plot_row |= {"width_px": size[0], "height_px": size[1]}
        return [data_row, plot_row]
