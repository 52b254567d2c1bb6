"""Every EDL end state in `Status` is produced by a flight, with the message it prints.

Each state comes from the packaged M2020 vehicle with one thing changed (pydantic
``model_copy``; NUMERICAL_FAILURE from a NaN in the run inputs, which no vehicle file
accepts). Edits that leave the entry alone (descent stage, sequence, terrain limits) fly
over the nominal system's targeted entry and guidance reference, to prepare it once.
The CLI check writes an edited vehicle TOML and runs ``perseverance edl --vehicle``:
exit code 1 and the one-line summary for a vehicle that does not land, no traceback.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from importlib.resources import files

import numpy as np
import pytest

from perseverance.edl.api import fly_edl, prepare_edl
from perseverance.edl.results import EdlResult
from perseverance.edl.runs import RunInputs
from perseverance.edl.sequence import DEFAULT_STEPS, TELEMETRY_STEPS, fly
from perseverance.edl.status import Status
from perseverance.edl.vehicle import load_vehicle
from perseverance.terrain.landing_region import LandingRegion

NOMINAL = load_vehicle("m2020")


def edited(part: str, **values):
    """The packaged M2020 vehicle with fields of one section replaced (not re-validated)."""
    section = getattr(NOMINAL, part).model_copy(update=values)
    return NOMINAL.model_copy(update={part: section})


@pytest.fixture(scope="module")
def system(m2020):
    """The targeted M2020 system over the seed-0 terrain (the session's, built once)."""
    return m2020


def fly_on(system, vehicle, **changes) -> EdlResult:
    """`fly_edl` over the nominal system with ``vehicle`` (and other fields) swapped in."""
    return fly_edl(system=dataclasses.replace(system, vehicle=vehicle, **changes))


@pytest.fixture(scope="module")
def nominal_and_nan(system):
    """One batch of two nominal runs, the second with a NaN in its entry state."""
    runs = RunInputs.nominal(system.entry_state, n=2)
    runs.entry_state[1, 3] = np.nan  # one velocity component
    # pytest turns warnings into errors: a NaN run must end quietly, with no RuntimeWarning
    flight = fly(system, runs, TELEMETRY_STEPS, record_telemetry=True)
    return EdlResult(system, flight, run=0), EdlResult(system, flight, run=1)


def test_nominal_lands_with_no_failure_message(nominal_and_nan):
    result, _ = nominal_and_nan
    assert result.status is Status.LANDED
    assert result.failure_message() is None
    td = result.touchdown()
    assert td["vertical_speed_mps"] <= NOMINAL.descent_stage.max_touchdown_vertical_speed_mps
    assert td["propellant_margin_kg"] > 0


def test_nan_in_the_run_inputs_is_a_numerical_failure_of_that_run_only(nominal_and_nan):
    landed, broken = nominal_and_nan
    assert broken.status is Status.NUMERICAL_FAILURE
    assert broken.touchdown() is None
    assert broken.failure_message() == "the run ended with status numerical_failure"
    assert landed.status is Status.LANDED  # the other run of the batch is unharmed


def test_a_touchdown_limit_below_the_nominal_speed_is_a_hard_touchdown(system):
    # nominal touchdown is at 0.74 m/s vertical
    result = fly_on(system, edited("descent_stage", max_touchdown_vertical_speed_mps=0.5))
    assert result.status is Status.HARD_TOUCHDOWN
    assert result.failure_message() == "the rover touched down faster than its limits allow"
    assert 0.5 < result.touchdown()["vertical_speed_mps"] < 1.5


def test_too_little_propellant_is_fuel_exhausted(system):
    result = fly_on(system, edited("masses", propellant_kg=150))
    assert result.status is Status.FUEL_EXHAUSTED
    message = result.failure_message()
    assert message == "the descent stage ran out of propellant; check masses.propellant_kg"
    assert result.touchdown()["propellant_margin_kg"] <= 0


def test_engines_that_never_light_are_a_ground_impact(system):
    # free_fall_s is at most 5 s in a vehicle file: 60 s outlasts the 2.1 km fall
    result = fly_on(system, edited("descent_stage", free_fall_s=60.0))
    assert result.status is Status.GROUND_IMPACT
    assert result.touchdown() is None
    assert result.failure_message() == "the run ended with status ground_impact"
    names = [e["name"] for e in result.events()]
    assert "backshell_separation" in names
    assert "powered_descent_start" not in names


def test_landing_where_the_site_limits_forbid_is_a_hazardous_touchdown(system):
    # the same terrain (seed) with a slope limit of 0.05 deg: nearly every cell a hazard;
    # with no LVS the vehicle lands where it was going, 0.2 deg slope
    site = system.terrain.site
    tight = site.model_copy(
        update={"hazard": site.hazard.model_copy(update={"max_slope_deg": 0.05})}
    )
    terrain = LandingRegion.generate(tight, system.terrain_seed)
    result = fly_on(system, edited("sequence", lvs=False), terrain=terrain)
    assert result.status is Status.HAZARDOUS_TOUCHDOWN
    assert result.failure_message() == (
        "the rover touched down on a hazard (a rock or slope over the site's limits)"
    )
    td = result.flight.touchdown
    east, north = td["east_m"][0], td["north_m"][0]
    assert terrain.is_hazard(east, north)
    assert not system.terrain.is_hazard(east, north)  # under the site's own limits: safe
    assert result.touchdown()["vertical_speed_mps"] < 1.5


def test_a_skip_out_entry_is_a_timeout():
    # fly_edl's 10 Hz steps take ~45 s for the 1500 s; the campaign steps say the same
    shallow = prepare_edl(edited("entry", flight_path_angle_deg=-5.0))
    assert shallow.reference is None  # its reference never lands either
    flight = fly(shallow, RunInputs.nominal(shallow.entry_state), DEFAULT_STEPS)
    result = EdlResult(shallow, flight)
    assert result.status is Status.TIMEOUT
    assert result.touchdown() is None
    assert result.failure_message() == (
        "the vehicle never came down (it skipped out or is still flying): the entry is too "
        "shallow; check entry.flight_path_angle_deg"
    )
    assert np.isnan(flight.events["parachute_deploy"]["t_s"][0])


def vehicle_file(tmp_path, old: str, new: str):
    """The packaged M2020 TOML with the one line starting ``old`` replaced by ``new``."""
    text = files("perseverance.data.vehicles").joinpath("m2020.toml").read_text()
    lines = text.splitlines()
    hits = [i for i, line in enumerate(lines) if line.startswith(old)]
    assert len(hits) == 1, old
    lines[hits[0]] = new
    path = tmp_path / f"{old.split()[0]}.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


CLI_CASES = {
    "ballistic": (
        "lift_to_drag =",
        "lift_to_drag = [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]",
        "No touchdown: parachute never reached deploy conditions (Mach ",
    ),
    "hard": (
        "max_touchdown_vertical_speed_mps =",
        "max_touchdown_vertical_speed_mps = 0.5",
        "Not landed safely: the rover touched down faster than its limits allow",
    ),
}


def test_cli_exits_1_with_a_one_line_summary_for_a_vehicle_that_does_not_land(tmp_path):
    env = {**os.environ, "COLUMNS": "400"}  # the summary is one line at any terminal width
    procs = {}
    for name, (old, new, _) in CLI_CASES.items():
        path = vehicle_file(tmp_path, old, new)
        command = [sys.executable, "-m", "perseverance.cli", "edl", "--vehicle", str(path)]
        procs[name] = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
        )
    for name, proc in procs.items():  # both fly at once
        out, err = proc.communicate(timeout=300)
        summary = CLI_CASES[name][2]
        assert proc.returncode == 1, (name, err)
        assert "Traceback" not in out + err, name
        assert [line for line in out.splitlines() if line.startswith(summary)], (name, out)
