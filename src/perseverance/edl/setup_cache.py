"""A disk cache of an EDL system's setup: the targeted entry state and the guidance reference.

Targeting the entry point and building the reference (`perseverance.edl.reference`) take
seconds and depend only on the vehicle, its site, the terrain seed and the code. An entry
is keyed by a SHA-256 of all four (the vehicle and site as their validated JSON, the
source files of the packages that shape a trajectory), so editing any of them misses the
cache rather than reusing a stale setup.

The key also holds the versions of Python, NumPy and SciPy and the machine's
architecture: their arithmetic shapes the bits, and a cache shared by machines or kept
across upgrades must not return another machine's setup.

Where: ``edl-setup/`` in the user's cache folder (`perseverance.user_cache`:
``$PERSEVERANCE_CACHE``, ``off`` turning it off). An entry is one ``<key>.npz`` holding
its key and a SHA-256 of its arrays; one that does not open, has another key or digest,
or holds arrays of the wrong shape or non-finite values is rebuilt with a warning, never
trusted. A folder that cannot be read or written (read only, full) gives one warning per
process and the setup is computed as without a cache.
"""

from __future__ import annotations

import hashlib
import io
import platform
import sys
import warnings
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np

from perseverance.edl.guidance import EntryReference
from perseverance.edl.system import EdlSystem
from perseverance.errors import PerseveranceWarning
from perseverance.outputs import write_atomic
from perseverance.tables import UniformTable
from perseverance.user_cache import CACHE_ENV, cache_root

__all__ = [
    "CacheWarning",
    "SetupEntry",
    "cache_folder",
    "entry_path",
    "load_setup",
    "save_setup",
    "setup_key",
]

#: Bumped when the entry layout changes.
ENTRY_FORMAT = 1
#: Packages (and modules) whose source shapes a trajectory, hashed into every key.
KEYED_SOURCES = ("edl", "mars", "terrain", "tables.py")
#: Rows of the reference table (drag, hdot, range, F1, F2, F3).
REFERENCE_ROWS = 6
_FLOATS = ("entry_state", "table_values", "table_grid", "reference_scalars")


class CacheWarning(PerseveranceWarning):
    """The EDL setup cache could not be read or written; the setup was computed."""


@dataclass(frozen=True)
class SetupEntry:
    """What targeting and the reference produce for one system."""

    entry_state: np.ndarray  # (7,)
    reference: EntryReference | None  # None: the reference cannot land


def cache_folder() -> Path | None:
    """The folder of EDL setup entries, or None when the caches are turned off."""
    root = cache_root()
    return None if root is None else root / "edl-setup"


def setup_key(system: EdlSystem) -> str:
    """SHA-256 (hex) of the vehicle, its site, the terrain seed and the keyed source."""
    h = hashlib.sha256(f"format {ENTRY_FORMAT}\n".encode())
    h.update(system.vehicle.model_dump_json().encode())
    site = system.vehicle.target.site
    if site is not None:
        from perseverance.terrain.site import load_site

        h.update(load_site(site).model_dump_json().encode())
    h.update(f"\nterrain seed {system.terrain_seed}\n".encode())
    h.update(_source_digest().encode())
    h.update(_platform().encode())
    return h.hexdigest()


def _platform() -> str:
    """What else shapes the bits: the interpreter, NumPy and SciPy, the architecture."""
    import scipy

    return (
        f"python {sys.version_info[:3]} numpy {np.__version__} scipy {scipy.__version__} "
        f"{platform.machine()}"
    )


@cache
def _source_digest() -> str:
    """SHA-256 of the source files that shape a trajectory (read once per process)."""
    h = hashlib.sha256()
    root = resources.files("perseverance")
    for name in KEYED_SOURCES:
        path = Path(str(root.joinpath(name)))
        files = sorted(path.rglob("*.py")) if path.is_dir() else [path]
        for f in files:
            h.update(f.relative_to(Path(str(root))).as_posix().encode())
            h.update(f.read_bytes())
    return h.hexdigest()


def entry_path(system: EdlSystem) -> Path | None:
    """Where the setup of ``system`` is cached (``<key>.npz``), or None with no cache."""
    folder = cache_folder()
    return None if folder is None else folder / f"{setup_key(system)}.npz"


def load_setup(path: Path) -> SetupEntry | None:
    """The setup cached at ``path`` (from `entry_path`), or None (no entry, or one that
    cannot be read or is damaged: a warning says which)."""
    folder, key = path.parent, path.stem
    try:
        data = path.read_bytes()  # whole first: np.load leaves a damaged zip's file open
    except (FileNotFoundError, NotADirectoryError):  # no entry (or no folder) yet
        return None
    except OSError as exc:  # a folder we may not search, an entry we may not read
        _warn_once(
            folder,
            f"cannot read the EDL setup cache in {folder} ({_why(exc)}); computing the "
            f"setup: set {CACHE_ENV} to a folder of yours or to 'off'",
        )
        return None
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            if not isinstance(npz, np.lib.npyio.NpzFile):
                raise ValueError("it is not an .npz archive")
            arrays = {name: npz[name] for name in npz.files}
        return _entry(arrays, key)
    except Exception as exc:
        _warn_once(path, f"EDL setup cache entry {path} is damaged ({exc}); computing it again")
        return None


def save_setup(path: Path, entry: SetupEntry) -> None:
    """Write ``entry`` at ``path`` (from `entry_path`; atomically); a folder that cannot be
    written warns (once per process and folder)."""
    folder, key = path.parent, path.stem
    arrays = _arrays(entry)
    arrays["key"] = np.array(key)
    arrays["digest"] = np.array(_digest(arrays))
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)  # type: ignore[arg-type]
    try:
        folder.mkdir(parents=True, exist_ok=True)
        write_atomic(path, buffer.getvalue())
    except OSError as exc:
        _warn_once(
            folder,
            f"cannot write the EDL setup cache in {folder} ({_why(exc)}); the setup is "
            f"computed on every run: set {CACHE_ENV} to a writable folder or to 'off'",
        )


#: Folders and entries already warned about in this process: one warning each.
_WARNED: set[Path] = set()


def _warn_once(where: Path, message: str) -> None:
    if where in _WARNED or where.parent in _WARNED:
        return
    _WARNED.add(where)
    warnings.warn(message.replace("\n", " "), CacheWarning, stacklevel=3)


def _why(exc: OSError) -> str:
    return exc.strerror or str(exc)


def _arrays(entry: SetupEntry) -> dict[str, np.ndarray]:
    ref = entry.reference
    if ref is None:
        values, grid, scalars = np.zeros((REFERENCE_ROWS, 0)), np.zeros(2), np.zeros(2)
    else:
        values = np.asarray(ref.table.values, dtype=np.float64)
        grid = np.array([ref.table.x0, ref.table.dx])
        scalars = np.array([ref.vertical_lift_to_drag, ref.range_trigger_m])
    return {
        "entry_state": np.asarray(entry.entry_state, dtype=np.float64),
        "table_values": values,
        "table_grid": grid,
        "reference_scalars": scalars,
        "has_reference": np.array(ref is not None),
    }


def _digest(arrays: dict[str, np.ndarray]) -> str:
    h = hashlib.sha256()
    for name in (*_FLOATS, "has_reference", "key"):
        a = np.ascontiguousarray(arrays[name])
        h.update(f"{name}{a.dtype.str}{a.shape}".encode())
        h.update(a.tobytes())
    return h.hexdigest()


def _entry(arrays: dict[str, np.ndarray], key: str) -> SetupEntry:
    """Check a loaded entry whole; raise ValueError naming what is wrong."""
    if str(arrays["key"]) != key:
        raise ValueError("its key is not its name")
    if str(arrays["digest"]) != _digest(arrays):
        raise ValueError("its checksum does not match its contents")
    state, values = arrays["entry_state"], arrays["table_values"]
    grid, scalars = arrays["table_grid"], arrays["reference_scalars"]
    for name in _FLOATS:
        if arrays[name].dtype != np.float64 or not np.isfinite(arrays[name]).all():
            raise ValueError(f"{name} is not finite float64")
    if state.shape != (7,) or grid.shape != (2,) or scalars.shape != (2,):
        raise ValueError("an array has the wrong shape")
    if values.ndim != 2 or values.shape[0] != REFERENCE_ROWS:
        raise ValueError(f"table_values has shape {values.shape}, not ({REFERENCE_ROWS}, n)")
    if not bool(arrays["has_reference"]):
        return SetupEntry(state.copy(), None)
    if values.shape[1] < 2 or not grid[1] > 0:
        raise ValueError("the reference table is empty")
    table = UniformTable(float(grid[0]), float(grid[1]), values.copy())
    return SetupEntry(state.copy(), EntryReference(table, float(scalars[0]), float(scalars[1])))
