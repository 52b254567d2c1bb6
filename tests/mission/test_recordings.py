"""The scenario's microphone recordings: the schedule's checks, the recordings made in the
weather's air, and the report's players (docs/reference/instruments.md §2)."""

from __future__ import annotations

import wave
from datetime import UTC, datetime

import numpy as np
import pytest
from pydantic import ValidationError

from perseverance.mars.constants import LMST_HOUR_S
from perseverance.mission.clock import MissionClock
from perseverance.mission.recording_schedule import RecordingRequest, RecordingSchedule
from perseverance.mission.recordings import SolRecorder
from perseverance.mission.scenario import load_scenario
from perseverance.report.run_data import RunData
from perseverance.report.sections import sounds
from perseverance.store import open_store
from perseverance.weather.model import Weather

CLOCK = MissionClock(datetime(2021, 2, 18, 20, 43, 49, tzinfo=UTC), 77.45)
WIND = {"name": "wind", "on": "supercam", "first_sol": 1, "last_sol": 1,
        "sources": ["wind"], "duration_s": 2.0}  # fmt: skip


def _schedule(*requests: dict) -> RecordingSchedule:
    return RecordingSchedule.model_validate({"recordings": list(requests)})


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"band_hz": [20.0, 20_000.0]}, "band_hz = [20.0, 20000.0] is outside the supercam "
         "standard band (allowed: low < high within 20..12500 Hz)"),
        ({"duration_s": -1.0}, "duration_s"),
        ({"microphone": "nose"}, "microphone = 'nose' is not a microphone"),
        ({"mode": "ultra"}, "mode = 'ultra' is not a mode of supercam"),
        ({"sol": 3}, "exactly one of sol"),
    ],
)  # fmt: skip
def test_impossible_requests_are_refused_naming_the_field(change, needle):
    with pytest.raises(ValidationError) as info:
        RecordingRequest.model_validate(WIND | change)
    assert needle in str(info.value)


def test_the_default_scenario_schedules_the_first_sounds():
    recordings = load_scenario("default").acoustics.recordings
    assert recordings[0].runs_on(1) and recordings[0].sources == ("wind",)
    assert {s for r in recordings for s in r.sources} >= {"wind", "spark", "drive", "moxie"}
    assert any(r.microphone == "edl" and r.on == "drive" for r in recordings)


def _recorder(tmp_path, *requests) -> SolRecorder:
    return SolRecorder(_schedule(*requests), Weather(0), CLOCK, tmp_path, seed=0)


def test_a_recording_is_a_wav_at_the_modes_rate_and_a_spectrogram(tmp_path):
    rec = _recorder(tmp_path, WIND)
    rows = rec.sol(1, {"supercam": 11.0 * LMST_HOUR_S})
    audio, spectrogram = rows
    assert (audio["kind"], spectrogram["kind"]) == ("audio", "spectrogram")
    assert audio["instrument"] == "SuperCam mic" and audio["lmst"] == "11:00:00"
    with wave.open(str(tmp_path / audio["path"])) as w:
        assert w.getframerate() == 25_000 and w.getnframes() == 50_000  # 2 s at 25 kHz (A)
    assert (tmp_path / spectrogram["path"]).read_bytes().startswith(b"\x89PNG")
    again = _recorder(tmp_path / "b", WIND).sol(1, {"supercam": 11.0 * LMST_HOUR_S})
    assert (tmp_path / "b" / again[0]["path"]).read_bytes() == (
        tmp_path / audio["path"]
    ).read_bytes()  # the same seed, the same recording


def test_no_trigger_no_recording(tmp_path):
    rec = _recorder(tmp_path, WIND)
    assert rec.sol(1, {"drive": 40_000.0}) == []  # no SuperCam activity that sol
    assert rec.sol(2, {"supercam": 40_000.0}) == []  # outside first_sol..last_sol
    assert not (tmp_path / "audio").exists()


def test_the_wind_noise_follows_the_weathers_wind(tmp_path):
    rec = _recorder(tmp_path, WIND)
    request = rec.schedule.recordings[0]
    times = np.arange(0.0, 24.0, 0.25) * LMST_HOUR_S
    winds = [rec.air_at(30, t).wind_speed_mps for t in times]
    calm, windy = times[int(np.argmin(winds))], times[int(np.argmax(winds))]
    rms = [float(np.std(rec.recording(30, 0, request, t).samples_pa)) for t in (calm, windy)]
    assert max(winds) > 2 * min(winds) and rms[1] > 2 * rms[0]


def test_the_spark_bursts_are_impulses_over_the_noise(tmp_path):
    # arrival times and sound speeds: tests/acoustics/test_recording.py (2 m and 5 m)
    spark = WIND | {"name": "spark", "sources": ["spark"], "duration_s": 1.0}
    rec = _recorder(tmp_path, spark)
    x = rec.recording(1, 0, rec.schedule.recordings[0], 12.0 * LMST_HOUR_S).samples_pa
    assert np.abs(x).max() > 20 * np.median(np.abs(x))  # N-waves over the self-noise


def test_a_recording_that_fails_is_a_row_and_no_file(tmp_path):
    (tmp_path / "audio").write_text("a file where the folder should be")
    (row,) = _recorder(tmp_path, WIND).sol(1, {"supercam": 40_000.0})
    assert row["status"] == "failed" and row["reason"] and "\n" not in row["reason"]


def test_the_report_plays_the_recordings_and_notes_failures(tmp_path):
    rows = _recorder(tmp_path, WIND).sol(1, {"supercam": 40_000.0})
    store = open_store(tmp_path / "mission.db")
    store.create_run(scenario="default", seed=0, config={}, run_id="s")
    with store.sol_transaction("s", 1) as w:
        for row in rows:
            w.add_product(**row)
        w.add_product(kind="audio", path="audio/sol_0001/x.wav", name="lost", status="failed",
                      reason="the microphone was off")  # fmt: skip
    html = sounds.render(RunData(store, "s", tmp_path, terrain=None))
    assert html.count("<audio controls") == 1 and "00_wind.png" in html
    assert "the microphone was off" in html
    store.create_run(scenario="default", seed=0, config={}, run_id="e")
    assert "No recordings" in sounds.render(RunData(store, "e", tmp_path, terrain=None))
