"""Data files: every model strict and bounded; unreadable, huge or out-of-range files give
one line naming the file and the field."""

from __future__ import annotations

import dataclasses
import importlib
import os
import pkgutil
import subprocess
import sys
import types
import typing
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import annotated_types
import numpy as np
import pytest

import perseverance
from perseverance.datafiles import MAX_DATA_FILE_BYTES, DataModel
from perseverance.edl.dispersions import sample_runs
from perseverance.edl.vehicle import Dispersions, load_vehicle
from perseverance.errors import ConfigError
from perseverance.mission.scenario import NAME_MAX_LENGTH, load_scenario
from perseverance.store.schema import PHASE_NAME_LENGTH
from perseverance.terrain.site import load_site

#: The user id of ``nobody``, which the permission test reads as when run as root.
NOBODY = 65534


def _all_models() -> list[type[DataModel]]:
    for module in pkgutil.walk_packages(perseverance.__path__, "perseverance."):
        if module.name.endswith(".__main__"):
            continue  # running it is the command line, not a module to import
        importlib.import_module(module.name)
    found: list[type[DataModel]] = []
    todo = [DataModel]
    while todo:
        for sub in todo.pop().__subclasses__():
            found.append(sub)
            todo.append(sub)
    return sorted(set(found), key=lambda c: (c.__module__, c.__qualname__))


def _float_bounds(annotation: object, markers: list[object]) -> Iterator[tuple[bool, bool]]:
    """(has a lower bound, has an upper bound) for each float inside ``annotation``."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        inner = list(markers)
        for item in annotation.__metadata__:  # type: ignore[attr-defined]
            inner += list(getattr(item, "metadata", [item]))
        yield from _float_bounds(typing.get_args(annotation)[0], inner)
    elif origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            yield from _float_bounds(arg, markers)
    elif origin in (list, tuple, dict):
        args = typing.get_args(annotation)[1:] if origin is dict else typing.get_args(annotation)
        for arg in args:
            yield from _float_bounds(arg, [])
    elif annotation is float:
        yield (
            any(isinstance(m, annotated_types.Ge | annotated_types.Gt) for m in markers),
            any(isinstance(m, annotated_types.Le | annotated_types.Lt) for m in markers),
        )


def test_every_float_field_of_every_data_model_is_bounded_both_ways():
    models = _all_models()
    assert len(models) > 30  # the walk found the vehicle, site, rover and scenario tables
    unbounded = []
    for model in models:
        for name, info in model.model_fields.items():
            for lower, upper in _float_bounds(info.annotation, list(info.metadata)):
                if not (lower and upper):
                    unbounded.append(f"{model.__module__}.{model.__qualname__}.{name}")
    assert unbounded == []


def _packaged(package: str, name: str) -> str:
    return resources.files(package).joinpath(name).read_text()


def _edited(tmp_path: Path, package: str, name: str, old: str, new: str) -> str:
    text = _packaged(package, name)
    assert old in text
    path = tmp_path / name
    path.write_text(text.replace(old, new, 1))
    return str(path)


def _one_line(info: pytest.ExceptionInfo) -> str:
    message = str(info.value)
    assert message and "\n" not in message
    return message


VEHICLES = "perseverance.data.vehicles"


def test_an_integer_is_a_float(tmp_path):
    path = _edited(tmp_path, VEHICLES, "m2020.toml", "entry_speed_mps = 1.0", "entry_speed_mps = 2")
    assert load_vehicle(path).dispersions.entry_speed_mps == 2.0


def test_dates_past_the_allowed_span_are_one_line(tmp_path):
    text = _packaged(VEHICLES, "m2020.toml")
    line = next(t for t in text.splitlines() if t.startswith("epoch_utc"))
    path = _edited(tmp_path, VEHICLES, "m2020.toml", line, "epoch_utc = 9999-12-31T23:00:00")
    with pytest.raises(ConfigError) as info:
        load_vehicle(path)
    assert "entry.epoch_utc: 9999-12-31T23:00:00 is out of range (1950-01-01..2200-01-01)" in (
        _one_line(info)
    )
    site_text = _packaged("perseverance.data.sites", "jezero.toml")
    line = next(t for t in site_text.splitlines() if t.startswith("landing_utc"))
    site = _edited(
        tmp_path,
        "perseverance.data.sites",
        "jezero.toml",
        line,
        "landing_utc = 1900-01-01T00:00:00",
    )
    with pytest.raises(ConfigError) as info:
        load_site(site)
    assert "landing_utc: 1900-01-01T00:00:00 is out of range" in _one_line(info)


SCENARIOS = "perseverance.data.scenarios"


def test_scenario_values_are_strict(tmp_path):
    path = _edited(tmp_path, SCENARIOS, "default.toml", "last_sol = 700", 'last_sol = "700"')
    with pytest.raises(ConfigError) as info:
        load_scenario(path)
    assert "last_sol = '700' is invalid" in _one_line(info)


def test_names_fit_the_database_columns(tmp_path):
    long_sample = "R" * (NAME_MAX_LENGTH + 1)
    path = _edited(
        tmp_path, SCENARIOS, "default.toml", 'name = "Roubion"', f'name = "{long_sample}"'
    )
    with pytest.raises(ConfigError) as info:
        load_scenario(path)
    message = _one_line(info)
    assert f"is {NAME_MAX_LENGTH + 1} characters long (at most {NAME_MAX_LENGTH})" in message
    assert long_sample not in message  # the value is cut short
    long_phase = "p" * (PHASE_NAME_LENGTH + 1)
    path = _edited(
        tmp_path, SCENARIOS, "default.toml", "[phases.crater_floor]", f"[phases.{long_phase}]"
    )
    with pytest.raises(ConfigError) as info:
        load_scenario(path)
    assert f"(at most {PHASE_NAME_LENGTH})" in _one_line(info)


def test_a_file_that_is_not_a_regular_file_or_too_big_is_one_line(tmp_path):
    with pytest.raises(ConfigError, match="not a regular file"):
        load_vehicle(str(tmp_path))
    with pytest.raises(ConfigError, match="not a regular file"):
        load_vehicle("/dev/zero")
    huge = tmp_path / "huge.toml"
    with huge.open("wb") as stream:
        stream.truncate(MAX_DATA_FILE_BYTES + 1)
    with pytest.raises(ConfigError) as info:
        load_vehicle(str(huge))
    assert "is over 4 MiB" in _one_line(info)


_READER = """
import sys, os
from perseverance.cli import main
import perseverance.edl.api, perseverance.report.edl_products
from perseverance.edl.vehicle import load_vehicle
load_vehicle("m2020")  # every module the command needs is imported while still root
if os.geteuid() == 0:
    os.setgid(int(sys.argv[2]))
    os.setuid(int(sys.argv[2]))
sys.argv = ["perseverance", "edl", "--vehicle", sys.argv[1], "--out", os.devnull + "/x"]
sys.exit(main())
"""


def test_an_unreadable_vehicle_file_is_one_line_exit_2(tmp_path):
    if os.name != "posix":
        pytest.skip("POSIX permissions")
    folder = Path(os.environ.get("TMPDIR", "/tmp")) / f"perseverance-unreadable-{os.getpid()}"
    folder.mkdir(mode=0o755)
    secret = folder / "secret.toml"
    secret.write_text(_packaged(VEHICLES, "m2020.toml"))
    secret.chmod(0)
    try:
        done = subprocess.run(
            [sys.executable, "-c", _READER, str(secret), str(NOBODY)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        secret.unlink()
        folder.rmdir()
    assert done.returncode == 2, done.stderr
    assert (
        done.stderr.strip() == f"error: {secret}: cannot read the vehicle file (Permission denied)"
    )


def test_the_nominal_run_is_never_dispersed(m2020):
    widest = {
        name: float(info.metadata[-1].le)
        for name, info in Dispersions.model_fields.items()
        if any(isinstance(m, annotated_types.Le) for m in info.metadata)
    }
    assert widest["entry_speed_mps"] > 0
    vehicle = m2020.vehicle.model_copy(
        update={"dispersions": m2020.vehicle.dispersions.model_copy(update=widest)}
    )
    system = dataclasses.replace(m2020, vehicle=vehicle)
    runs = sample_runs(system, 7, 0, 2)
    np.testing.assert_allclose(runs.entry_state[0], m2020.entry_state, rtol=1e-12, atol=0)
    assert runs.drag_scale[0] == 1.0 and runs.atmosphere.wind_high_east_mps[0] == 0.0
    assert np.all(np.isfinite(runs.entry_state))
    assert runs.entry_state[1, 3] != m2020.entry_state[3]
