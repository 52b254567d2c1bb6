"""MEDA's weather products inside a mission: each sol's samples as Parquet, and its summary.

`MedaRecorder.sol(sol, sessions)` samples the run's one weather source
(`perseverance.weather.model.Weather`) at MEDA's sample rate (``sample_rate_hz`` of
``data/instruments/meda.toml`` [cadence], 1 Hz) inside each MEDA session that ran on the
sol: a session ``(start_s, duration_s)`` [s from LMST midnight, s] gives the samples
``start_s + k / rate`` for ``0 <= k / rate < duration_s`` (samples at or after the next
LMST midnight belong to the next sol and are left out). This is how MEDA's cadence
arises: the default scenario runs one hour of "MEDA first data" on sol 1 and, from sol
15, a five-minute session every LMST hour (24 blocks a sol).

What is sampled. `Weather.weather_at` already adds the convective vortices' pressure
drops and tangential winds (`weather.vortices.vortex_signal`), so the sampled pressure
holds every vortex that passes during a session. The sensor reads it with white noise of
``PRESSURE_NOISE_PA`` (seeded per sol) and every quantity is rounded to the resolution of
`RESOLUTION` before it is stored (float32).

The products. One Parquet table per sol, ``weather/sol_NNNN/meda.parquet`` (zstd; no
dictionaries; ``utc`` delta-encoded, ``lmst_h`` byte-stream-split), with the columns
``utc`` (timestamp [us], UTC), ``lmst_h`` and the measured quantities of `COLUMNS`; one
``meda_table`` product row; and a summary whose keys are the columns of
`perseverance.store.WeatherSolRow` but ``run_id`` and ``sol`` (for
``RunWriter.add_weather_sol``), computed from the stored samples. A sol without a session
writes nothing (summary None); a sol whose table cannot be made gives one ``failed``
product row (no file) and summary None, never an exception.

>>> from perseverance.mission.clock import MissionClock          # doctest: +SKIP
>>> rec = MedaRecorder(weather, clock, Path("runs/demo"), seed=7)  # doctest: +SKIP
>>> day = rec.sol(15, [(h * 3698.97, 300.0) for h in range(24)])  # doctest: +SKIP
>>> day.summary["samples"]                                      # doctest: +SKIP
7200
"""

from __future__ import annotations

import io
import json
import math
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from numpy.typing import NDArray

from perseverance.mars.constants import LMST_HOUR_S, SOL_S
from perseverance.mission.clock import MissionClock, lmst_text
from perseverance.mission.sol_files import WEATHER_DIR, sol_dir
from perseverance.mission.state import sol_rng
from perseverance.outputs import write_atomic
from perseverance.store.schema import PRODUCT_PATH_LENGTH
from perseverance.weather.model import Weather

__all__ = [
    "COLUMNS",
    "MEDA_PRIORITY",
    "PRESSURE_NOISE_PA",
    "RESOLUTION",
    "TABLE_KIND",
    "TABLE_NAME",
    "VORTEX_MIN_DROP_PA",
    "MedaRecorder",
    "MedaSol",
]

FloatArray = NDArray[np.float64]

#: The measured quantities stored per sample, in table order (names of `Weather.weather_at`).
COLUMNS = (
    "pressure_pa",
    "air_temperature_k",
    "ground_temperature_k",
    "wind_speed_mps",
    "wind_direction_deg",
    "relative_humidity",
    "dust_tau",
)

#: Stored resolution of each quantity (its unit). Pressure: the sensor's resolution,
#: 0.13 Pa (A, Harri et al., instruments.md 4 "Pressure sensor"); the others (E): well
#: below each sensor's accuracy and the model's variations (2.5 K noon turbulence, gusts
#: of 10 m/s), chosen so 700 sols of tables stay within ~25 MB.
RESOLUTION: dict[str, float] = {
    "pressure_pa": 0.13,
    "air_temperature_k": 0.1,
    "ground_temperature_k": 0.1,
    "wind_speed_mps": 0.1,
    "wind_direction_deg": 1.0,
    "relative_humidity": 0.001,
    "dust_tau": 0.001,
}

#: White noise of the pressure reading, 1 sigma [Pa] (E: the 0.13 Pa resolution, A, read
#: as the noise floor; well under the 0.5 Pa vortex threshold).
PRESSURE_NOISE_PA = 0.13

#: A vortex counts when its pressure drop exceeds this [Pa] (A: the threshold of the
#: 4.9 vortices per sol, Hueso et al. 2023, surface.md "Convective vortices").
VORTEX_MIN_DROP_PA = 0.5

#: The product kind, the file name in the sol's weather folder, and the downlink priority
#: (1 first; E: a small table, after the engineering images).
TABLE_KIND = "meda_table"
TABLE_NAME = "meda.parquet"
MEDA_PRIORITY = 40

#: ``sol_rng`` purpose of the pressure sensor's noise (distinct from the surface's 1-3).
RNG_MEDA = 0x4D454441  # "MEDA"

#: Parquet compression and level (zstd level 3, pyarrow's default).
_COMPRESSION = "zstd"


@dataclass(frozen=True)
class MedaSol:
    """One sol of MEDA: its product rows (for ``RunWriter.add_product``) and its summary
    (for ``RunWriter.add_weather_sol``; None when no sample was taken or it failed)."""

    products: list[dict[str, Any]]
    summary: dict[str, Any] | None


class MedaRecorder:
    """MEDA inside a mission: samples ``weather`` in the sessions of each sol and writes
    the tables under ``run_folder``; ``seed`` (the run's) seeds the sensor noise."""

    def __init__(
        self, weather: Weather, clock: MissionClock, run_folder: Path, *, seed: int
    ) -> None:
        self.weather = weather
        self.clock = clock
        self.run_folder = Path(run_folder)
        self.seed = int(seed)
        self.sample_rate_hz = float(weather.params.cadence.sample_rate_hz)

    def sol(self, sol: int, sessions: Sequence[tuple[float, float]]) -> MedaSol:
        """MEDA's table and summary of ``sol`` from its ``sessions`` ((start_s from LMST
        midnight, duration_s) of the MEDA activities that ran). Clears the sol's weather
        folder first; never raises (a failure is a ``failed`` product row)."""
        rel = f"{sol_dir(WEATHER_DIR, sol)}/{TABLE_NAME}"
        folder = self.run_folder / sol_dir(WEATHER_DIR, sol)
        row: dict[str, Any] = {
            "kind": TABLE_KIND,
            "path": rel,
            "sol": int(sol),
            "priority": MEDA_PRIORITY,
            "instrument": "MEDA",
        }
        try:
            shutil.rmtree(folder, ignore_errors=True)
            offsets = session_offsets(sessions, self.sample_rate_hz)
            if offsets.size == 0:
                return MedaSol([], None)
            row["lmst"] = lmst_text(float(offsets[0]))
            row["name"] = f"MEDA sol {sol}: {len(sessions)} sessions, {offsets.size} samples"
            table, summary = self._measure(sol, offsets, sessions)
            data = parquet_bytes(table, sessions)
            folder.mkdir(parents=True, exist_ok=True)
            write_atomic(folder / TABLE_NAME, data)
        except Exception as exc:  # a failed table is a failed product, never a crash
            shutil.rmtree(folder, ignore_errors=True)
            reason = f"{type(exc).__name__}: {exc}".replace("\n", " ")[:PRODUCT_PATH_LENGTH]
            row.setdefault("name", f"MEDA sol {sol}")
            return MedaSol([row | {"status": "failed", "reason": reason, "bytes": None}], None)
        return MedaSol([row | {"status": "ok", "bytes": len(data)}], summary)

    def _measure(
        self, sol: int, offsets: FloatArray, sessions: Sequence[tuple[float, float]]
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """The stored columns at ``offsets`` [s from LMST midnight] and their summary."""
        start = self.clock.utc(sol, 0.0).astimezone(UTC).replace(tzinfo=None)
        steps = np.round(offsets * 1e6).astype(np.int64) * np.timedelta64(1, "us")
        utc = np.datetime64(start, "us") + steps
        truth = self.weather.weather_at(utc)
        noise = sol_rng(self.seed, sol, RNG_MEDA).standard_normal(offsets.size)
        truth["pressure_pa"] = truth["pressure_pa"] + PRESSURE_NOISE_PA * noise
        table: dict[str, Any] = {"utc": utc, "lmst_h": (offsets / LMST_HOUR_S).astype(np.float32)}
        for name in COLUMNS:
            step = RESOLUTION[name]
            table[name] = (np.round(truth[name] / step) * step).astype(np.float32)
        if not all(np.isfinite(table[n]).all() for n in COLUMNS):
            bad = [n for n in COLUMNS if not np.isfinite(table[n]).all()]
            raise ValueError(f"the weather model gave non-finite {', '.join(bad)}")
        ls_deg = float(truth["ls_deg"][0])
        return table, self._summary(sol, table, sessions, ls_deg)

    def _summary(
        self,
        sol: int,
        table: dict[str, Any],
        sessions: Sequence[tuple[float, float]],
        ls_deg: float,
    ) -> dict[str, Any]:
        """The `WeatherSolRow` columns (but run_id, sol) from the stored samples."""
        col = {n: np.asarray(table[n], dtype=np.float64) for n in COLUMNS}
        p, air, ground, wind = (
            col["pressure_pa"],
            col["air_temperature_k"],
            col["ground_temperature_k"],
            col["wind_speed_mps"],
        )
        vortices, dusty = self.vortices_seen(sol, sessions)
        return {
            "ls_deg": ls_deg,
            "samples": int(p.size),
            "pressure_min_pa": float(p.min()),
            "pressure_max_pa": float(p.max()),
            "pressure_mean_pa": float(p.mean()),
            "air_temperature_min_k": float(air.min()),
            "air_temperature_max_k": float(air.max()),
            "air_temperature_mean_k": float(air.mean()),
            "ground_temperature_min_k": float(ground.min()),
            "ground_temperature_max_k": float(ground.max()),
            "peak_wind_mps": float(wind.max()),
            "mean_wind_mps": float(wind.mean()),
            "dust_tau": float(col["dust_tau"].mean()),
            "vortex_count": vortices,
            "dusty_vortex_count": dusty,
        }

    def vortices_seen(self, sol: int, sessions: Sequence[tuple[float, float]]) -> tuple[int, int]:
        """(vortices, dusty ones) of ``sol`` whose passage (full width at half depth,
        centred on its LMST) overlaps a session and whose drop exceeds
        `VORTEX_MIN_DROP_PA`."""
        events = self.weather.vortices(sol)
        if len(events) == 0 or not sessions:
            return 0, 0
        centre = events.lmst_h * LMST_HOUR_S
        half = 0.5 * events.duration_s
        seen = np.zeros(len(events), dtype=bool)
        for start_s, duration_s in sessions:
            seen |= (centre + half >= start_s) & (centre - half < start_s + duration_s)
        seen &= events.drop_pa > VORTEX_MIN_DROP_PA
        return int(seen.sum()), int((seen & events.dusty).sum())


def session_offsets(sessions: Sequence[tuple[float, float]], sample_rate_hz: float) -> FloatArray:
    """Sample times [s from LMST midnight] of ``sessions`` at ``sample_rate_hz``, in
    session order: ``start + k / rate`` for ``k / rate < duration``, before `SOL_S`."""
    parts = []
    for start_s, duration_s in sessions:
        if not (math.isfinite(start_s) and math.isfinite(duration_s)):
            raise ValueError(f"MEDA session ({start_s}, {duration_s}): not finite")
        if not 0.0 <= start_s < SOL_S or duration_s < 0.0:
            raise ValueError(
                f"MEDA session ({start_s}, {duration_s}): start_s must be in 0..{SOL_S} s "
                "and duration_s >= 0"
            )
        n = math.ceil(duration_s * sample_rate_hz - 1e-9)
        parts.append(start_s + np.arange(max(n, 0)) / sample_rate_hz)
    offsets = np.concatenate(parts) if parts else np.zeros(0)
    return offsets[offsets < SOL_S]


def parquet_bytes(table: dict[str, Any], sessions: Sequence[tuple[float, float]]) -> bytes:
    """The sol's table as Parquet bytes; the sessions and the units in the metadata."""
    columns: dict[str, Any] = {
        "utc": pa.array(table["utc"], type=pa.timestamp("us", tz="UTC")),
        "lmst_h": pa.array(table["lmst_h"], type=pa.float32()),
    }
    columns.update({n: pa.array(table[n], type=pa.float32()) for n in COLUMNS})
    meta = {
        "sessions": [[float(s), float(d)] for s, d in sessions],
        "resolution": RESOLUTION,
        "pressure_noise_pa": PRESSURE_NOISE_PA,
    }
    arrow = pa.table(columns).replace_schema_metadata({"meda": json.dumps(meta)})
    encoding = {"utc": "DELTA_BINARY_PACKED", "lmst_h": "BYTE_STREAM_SPLIT"}
    buffer = io.BytesIO()
    pq.write_table(
        arrow,
        buffer,
        compression=_COMPRESSION,
        use_dictionary=False,
        column_encoding=encoding,
    )
    return buffer.getvalue()
