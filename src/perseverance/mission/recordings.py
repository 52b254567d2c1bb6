"""The mission's microphone recordings: the scenario's schedule recorded in the sol's air.

After a sol's activities, `SolRecorder.sol` makes the recordings of
`mission.recording_schedule` that fall on it: at their LMST, or at the start of the
first activity of their ``on`` kind that ran. The air is the weather's at that instant
(`perseverance.weather`: pressure, temperature and wind, the one weather source), the
sources are `perseverance.acoustics.sources` objects, and the recording is
`perseverance.acoustics.record`'s. Each recording is a 16-bit WAV at the microphone
mode's rate (kind ``audio``) and its spectrogram PNG (kind ``spectrogram``) under
``audio/sol_NNNN/``, both written atomically; one that cannot be made is a failed
``audio`` row with its reason and no file. The EDL microphone heard nothing during the
descent: `edl_event` says so (`acoustics.record_during_edl`).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from perseverance.acoustics.microphones import MicrophoneCatalogue, load_microphones
from perseverance.acoustics.products import spectrogram_png, wav_bytes
from perseverance.acoustics.propagation import mars_air
from perseverance.acoustics.recording import Recording, record, record_during_edl
from perseverance.acoustics.sources import (
    Ingenuity,
    LaserSpark,
    RoverDrive,
    Source,
    WindNoise,
    moxie_compressor,
)
from perseverance.mars.constants import LMST_HOUR_S, SOL_S
from perseverance.mission.clock import MissionClock, lmst_text
from perseverance.mission.recording_schedule import RecordingRequest, RecordingSchedule
from perseverance.mission.sol_files import AUDIO_DIR, sol_dir
from perseverance.outputs import write_atomic
from perseverance.weather.model import Weather

__all__ = ["SPARK_DISTANCE_M", "SolRecorder", "microphone_label"]

#: The SuperCam laser's target distance for a recorded spark [m] (A: LIBS at 2-5 m, §2).
SPARK_DISTANCE_M = 3.0
#: Seed stream of the recordings (wind, clicks, self-noise).
_STREAM = 0x50554E44
_LABELS = {"supercam": "SuperCam mic", "edl": "EDL mic"}


def microphone_label(name: str) -> str:
    """The instrument name of a microphone's products."""
    return _LABELS.get(name, name)[:32]


def _sources(names: tuple[str, ...]) -> list[Source]:
    made: dict[str, Source] = {
        "wind": WindNoise(),
        "spark": LaserSpark(distance_m=SPARK_DISTANCE_M),
        "drive": RoverDrive(),
        "moxie": moxie_compressor(),
        "ingenuity": Ingenuity(),
    }
    return [made[n] for n in names]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")[:60] or "recording"


class SolRecorder:
    """Makes a run's scheduled recordings sol by sol (see the module)."""

    def __init__(
        self,
        schedule: RecordingSchedule,
        weather: Weather,
        clock: MissionClock,
        run_folder: Path,
        *,
        seed: int,
        catalogue: MicrophoneCatalogue | None = None,
    ) -> None:
        self.schedule = schedule
        self.weather = weather
        self.clock = clock
        self.run_folder = Path(run_folder)
        self.seed = int(seed)
        self.catalogue = catalogue or load_microphones()

    def edl_event(self) -> dict[str, Any]:
        """The sol-0 event saying what the EDL microphone heard during the descent."""
        none = record_during_edl(self.catalogue.microphone("edl"))
        return {
            "name": "edl_microphone",
            "sol": 0,
            "payload": {"heard": False, "microphone": none.microphone, "reason": none.reason},
        }

    def air_at(self, sol: int, lmst_s: float) -> Any:
        """The air at the microphone at ``lmst_s`` of ``sol`` (from the weather)."""
        w = self.weather.at(self.clock.utc(sol, lmst_s))
        return mars_air(
            w["pressure_pa"], w["air_temperature_k"], wind_speed_mps=w["wind_speed_mps"]
        )

    def sol(self, sol: int, starts: Mapping[str, float]) -> list[dict[str, Any]]:
        """The product rows of ``sol``'s recordings; ``starts``: activity kind -> the LMST
        [s] its first run that sol started (kinds that did not run are absent)."""
        rows: list[dict[str, Any]] = []
        for index, req in enumerate(self.schedule.recordings):
            if not req.runs_on(sol):
                continue
            start = req.lmst_hours * LMST_HOUR_S if req.on is None else starts.get(req.on)
            if start is None:
                continue
            rows += self._make(sol, index, req, float(start))
        return rows

    def _make(
        self, sol: int, index: int, req: RecordingRequest, start_s: float
    ) -> list[dict[str, Any]]:
        stem = f"{sol_dir(AUDIO_DIR, sol)}/{index:02d}_{_slug(req.name)}"
        base = {
            "sol": sol,
            "priority": req.priority,
            "name": req.name,
            "instrument": microphone_label(req.microphone),
            "lmst": lmst_text(min(start_s, SOL_S - 1.0)),
        }
        try:
            rec = self.recording(sol, index, req, start_s)
            wav, _ = wav_bytes(rec, self.catalogue.microphone(req.microphone).full_scale_pa)
            png = spectrogram_png(rec, title=f"sol {sol}: {req.name}")
            (self.run_folder / sol_dir(AUDIO_DIR, sol)).mkdir(parents=True, exist_ok=True)
            write_atomic(self.run_folder / f"{stem}.wav", wav)
            write_atomic(self.run_folder / f"{stem}.png", png)
        except Exception as exc:  # a failed recording is a row, the sol goes on
            for suffix in (".wav", ".png"):
                with contextlib.suppress(OSError):
                    (self.run_folder / f"{stem}{suffix}").unlink(missing_ok=True)
            reason = " ".join(str(exc).split())[:500] or type(exc).__name__
            return [base | {"kind": "audio", "path": f"{stem}.wav", "status": "failed",
                            "reason": reason}]  # fmt: skip
        return [
            base | {"kind": "audio", "path": f"{stem}.wav", "bytes": len(wav),
                    "thumbnail": f"{stem}.png"},
            base | {"kind": "spectrogram", "path": f"{stem}.png", "bytes": len(png)},
        ]  # fmt: skip

    def recording(self, sol: int, index: int, req: RecordingRequest, start_s: float) -> Recording:
        """The recording ``req`` (the ``index``-th of the schedule) made at ``start_s``."""
        band = tuple(req.band_hz) if req.band_hz is not None else None
        return record(
            self.catalogue.microphone(req.microphone),
            _sources(tuple(req.sources)),
            self.air_at(sol, start_s),
            duration_s=req.duration_s,
            rng=np.random.default_rng([self.seed, sol, index, _STREAM]),
            mode=req.mode,
            band_hz=(band[0], band[1]) if band is not None else None,
        )
