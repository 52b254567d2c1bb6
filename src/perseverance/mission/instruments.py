"""The science instruments' products of a sol, made after its activities ran.

`SolInstruments` holds the run's product makers, each fed from the one weather source
(`perseverance.weather.Weather`) and the sol's record (`surface.SolRecord`): MEDA's
table and summary from the MEDA sessions that ran (`meda_products`), and the scenario's
microphone recordings at their LMST or during the activity they follow (`recordings`),
and RIMFAX's radargram along the sol's drive (`radargrams`).
Each maker writes its files under its ``<dir>/sol_NNNN/`` (`sol_files`) and returns product rows; a
product that cannot be made is a failed row with its reason, never an exception, so
the sol goes on. The seconds each instrument takes are kept in `seconds` (for
``benchmarks/mission_wallclock.py``).
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from perseverance.mission.clock import MissionClock
from perseverance.mission.meda_products import MedaRecorder
from perseverance.mission.radargrams import RimfaxSounder
from perseverance.mission.recording_schedule import RecordingSchedule
from perseverance.mission.recordings import SolRecorder
from perseverance.mission.surface import SolRecord
from perseverance.rover.rimfax import load_rimfax
from perseverance.weather.model import Weather

__all__ = ["SolInstruments", "SolScience"]


@dataclass(frozen=True)
class SolScience:
    """What the instruments made on a sol: product rows, and MEDA's summary row (None
    when MEDA did not run)."""

    products: list[dict[str, Any]]
    weather: dict[str, Any] | None


def _done(rec: SolRecord, kind: str) -> list[dict[str, Any]]:
    return [a for a in rec.activities if a["kind"] == kind and a["outcome"] == "done"]


class SolInstruments:
    """The run's instrument product makers (see the module)."""

    def __init__(
        self,
        weather: Weather,
        clock: MissionClock,
        run_folder: Path,
        *,
        seed: int,
        recordings: RecordingSchedule,
    ) -> None:
        self.meda = MedaRecorder(weather, clock, run_folder, seed=seed)
        self.microphones = SolRecorder(recordings, weather, clock, run_folder, seed=seed)
        self.rimfax = RimfaxSounder(load_rimfax(), run_folder, seed=seed)
        #: Seconds spent per instrument.
        self.seconds: dict[str, float] = defaultdict(float)

    def sol(self, sol: int, rec: SolRecord) -> SolScience:
        """The products of ``sol`` after its activities (``rec``)."""
        t0 = time.perf_counter()
        sessions = [(float(a["start_s"]), float(a["duration_s"])) for a in _done(rec, "meda")]
        meda = self.meda.sol(sol, sessions)
        t1 = time.perf_counter()
        starts: dict[str, float] = {}
        for a in sorted(rec.activities, key=lambda a: float(a["start_s"])):
            if a["outcome"] == "done":
                starts.setdefault(str(a["kind"]), float(a["start_s"]))
        for run in rec.moxie_runs[:1]:  # the compressor spins once the warm-up is over
            starts["moxie"] = float(run["start_s"]) + float(run["warmup_s"])
        audio = self.microphones.sol(sol, starts)
        t2 = time.perf_counter()
        radar = self.rimfax.sol(sol, rec.traverse, lmst_s=starts.get("drive"))
        t3 = time.perf_counter()
        self.seconds["meda"] += t1 - t0
        self.seconds["microphones"] += t2 - t1
        self.seconds["rimfax"] += t3 - t2
        return SolScience([*meda.products, *audio, *radar], meda.summary)
