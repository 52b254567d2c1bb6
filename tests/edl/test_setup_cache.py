"""The disk cache of the EDL setup: what it returns is what computing gives, bit for bit;
a damaged entry is rebuilt, an unwritable folder warns, and a changed input misses."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from perseverance.edl.api import prepare_edl
from perseverance.edl.dispersions import sample_runs
from perseverance.edl.sequence import fly
from perseverance.edl.setup_cache import CacheWarning, cache_folder, setup_key
from perseverance.edl.system import EdlSystem
from perseverance.edl.vehicle import load_vehicle
from perseverance.user_cache import CACHE_ENV


@pytest.fixture
def folder(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    return tmp_path / "cache" / "edl-setup"


@pytest.fixture(scope="module")
def msl_computed() -> EdlSystem:
    return prepare_edl("msl", use_cache=False)


def _same(a: EdlSystem, b: EdlSystem) -> None:
    assert a.entry_state is not None and b.entry_state is not None
    np.testing.assert_array_equal(a.entry_state, b.entry_state)
    assert (a.reference is None) == (b.reference is None)
    if a.reference is not None and b.reference is not None:
        np.testing.assert_array_equal(a.reference.table.values, b.reference.table.values)
        np.testing.assert_array_equal(a.reference.table.slopes, b.reference.table.slopes)
        assert (a.reference.table.x0, a.reference.table.dx) == (
            b.reference.table.x0,
            b.reference.table.dx,
        )
        assert a.reference.vertical_lift_to_drag == b.reference.vertical_lift_to_drag
        assert a.reference.range_trigger_m == b.reference.range_trigger_m


def _entries(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.npz"))


def test_a_cached_m2020_setup_is_the_computed_one_and_flies_the_same(m2020, folder):
    first = prepare_edl("m2020", terrain_seed=0)  # computes and stores
    assert len(_entries(folder)) == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cached = prepare_edl("m2020", terrain_seed=0)  # reads
    _same(m2020, first)
    _same(m2020, cached)
    runs = sample_runs(m2020, 1, 0, 64)
    a, b = fly(m2020, runs), fly(cached, sample_runs(cached, 1, 0, 64))
    np.testing.assert_array_equal(a.status, b.status)
    for key, value in a.touchdown.items():
        np.testing.assert_array_equal(value, b.touchdown[key])


@pytest.mark.parametrize("damage", ["truncate", "flip", "garbage", "rename", "npy", "digest"])
def test_a_damaged_entry_is_rebuilt_with_a_warning(msl_computed, folder, damage):
    prepare_edl("msl")
    (entry,) = _entries(folder)
    data = bytearray(entry.read_bytes())
    if damage == "truncate":
        entry.write_bytes(data[: len(data) // 2])
    elif damage == "flip":  # one byte inside the stored arrays
        data[len(data) // 2] ^= 0xFF
        entry.write_bytes(bytes(data))
    elif damage == "garbage":
        entry.write_bytes(b"not a cache entry")
    elif damage == "npy":  # a plain array where an archive should be
        with entry.open("wb") as fh:
            np.save(fh, np.zeros(3))
    elif damage == "digest":  # a whole archive whose arrays are not what its digest says
        with np.load(entry) as npz:
            arrays = {name: npz[name] for name in npz.files}
        arrays["entry_state"] = arrays["entry_state"] + 1.0
        with entry.open("wb") as fh:
            np.savez(fh, **arrays)
    else:  # another system's entry under this name: its key is not its name
        other = prepare_edl("msl", terrain_seed=3)
        (moved,) = [p for p in _entries(folder) if p != entry]
        moved.replace(entry)
        _same(other, msl_computed)  # flat terrain: the seed does not move MSL's setup
    with pytest.warns(CacheWarning, match="damaged"):
        rebuilt = prepare_edl("msl")
    _same(rebuilt, msl_computed)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _same(prepare_edl("msl"), msl_computed)  # the rebuilt entry is whole again


def test_an_unwritable_folder_warns_and_computes(msl_computed, tmp_path, monkeypatch):
    blocker = tmp_path / "a_file"
    blocker.write_text("a file where the cache folder should be\n")
    monkeypatch.setenv(CACHE_ENV, str(blocker / "cache"))
    with pytest.warns(CacheWarning, match=f"cannot write the EDL setup cache.*{CACHE_ENV}"):
        system = prepare_edl("msl")
    _same(system, msl_computed)
    assert blocker.read_text().startswith("a file")  # nothing of ours written over it


def test_an_entry_that_cannot_be_read_is_one_warning(msl_computed, folder):
    prepare_edl("msl")
    (entry,) = _entries(folder)
    entry.unlink()
    entry.mkdir()  # reading it fails, and so does writing it
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        system = prepare_edl("msl")
    assert [type(w.message) for w in caught] == [CacheWarning]
    assert "cannot read the EDL setup cache" in str(caught[0].message)
    _same(system, msl_computed)


def test_off_turns_the_cache_off(tmp_path, monkeypatch):
    for value in ("off", "", " OFF "):
        monkeypatch.setenv(CACHE_ENV, value)
        assert cache_folder() is None
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    assert cache_folder() == tmp_path / "edl-setup"


def test_the_key_follows_the_vehicle_the_site_and_the_seed():
    m2020 = load_vehicle("m2020")
    base = setup_key(EdlSystem.assemble(m2020, 0))
    assert setup_key(EdlSystem.assemble(m2020, 0)) == base
    assert setup_key(EdlSystem.assemble(m2020, 1)) != base
    heavier = m2020.model_copy(
        update={"masses": m2020.masses.model_copy(update={"rover_kg": m2020.masses.rover_kg + 1})}
    )
    assert setup_key(EdlSystem.assemble(heavier, 0)) != base
    assert setup_key(EdlSystem.assemble(load_vehicle("msl"), 0)) != base
