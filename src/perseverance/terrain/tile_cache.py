"""The fine tiles' disk cache: one ``.npz`` per tile in a folder keyed by what made it."""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from perseverance.outputs import write_atomic
from perseverance.terrain.landing_region import LandingRegion
from perseverance.terrain.noise import ROUGHNESS_OCTAVES
from perseverance.user_cache import cache_root

__all__ = ["CACHE_VERSION", "TileCache", "default_cache_dir"]

#: Version of the tile generator; part of the cache folder's name, so tiles written by
#: another version are never read. Bump it whenever a tile's contents would change.
CACHE_VERSION = 1

_Array = NDArray[np.float64]
#: A tile's stored arrays: elevation with its halo [m] and rock height [m].
TileArrays = tuple[_Array, NDArray[np.float32]]


def default_cache_dir() -> Path | None:
    """Where tiles are cached by default: ``terrain/`` in the user's cache folder
    (`perseverance.user_cache`), or None when ``$PERSEVERANCE_CACHE`` turns it off.

    `TileCache.open` writes into a sub-folder of it named after the site, the seed, the
    generator version and a digest of the coarse map, so tiles of another site, seed or
    generator are never read.
    """
    root = cache_root()
    return None if root is None else root / "terrain"


class TileCache:
    """Tiles of ``cells`` x ``cells`` fine cells (``halo`` more of elevation) on disk.

    ``folder`` is None once the cache is unusable (it could not be created or written);
    ``error`` then says why, reads find nothing and writes do nothing.
    """

    def __init__(self, folder: Path | None, cells: int, halo: int, error: str | None = None):
        self.folder = folder
        self.cells = cells
        self.halo = halo
        self.error = error

    @classmethod
    def open(
        cls,
        root: Path,
        coarse: LandingRegion,
        *,
        seed: int,
        tile_m: float,
        resolution_m: float,
        cells: int,
        halo: int,
    ) -> TileCache:
        """The cache in the keyed sub-folder of `root`, created; memory only if that fails."""
        site = coarse.site
        digest = hashlib.sha256()
        digest.update(f"{CACHE_VERSION}|{tile_m!r}|{resolution_m!r}|".encode())
        digest.update(repr(ROUGHNESS_OCTAVES).encode())
        digest.update(site.model_dump_json().encode())
        digest.update(np.ascontiguousarray(coarse.elevation_m).tobytes())
        digest.update(np.ascontiguousarray(coarse.rock_height_m).tobytes())
        slug = re.sub(r"[^a-z0-9]+", "-", site.name.lower()).strip("-")[:40] or "site"
        folder = root / f"{slug}-seed{seed}-v{CACHE_VERSION}-{digest.hexdigest()[:16]}"
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            return cls(None, cells, halo, f"cannot create the tile cache {folder}: {error}")
        return cls(folder, cells, halo)

    def path(self, key: tuple[int, int]) -> Path:
        """The file of tile `key` (i_east, i_north); the cache must be usable."""
        assert self.folder is not None
        return self.folder / f"tile_e{key[0]:+05d}_n{key[1]:+05d}.npz"

    def read(self, key: tuple[int, int]) -> TileArrays | None:
        """The tile's arrays; None if unusable, absent, corrupt or mismatched."""
        if self.folder is None:
            return None
        path = self.path(key)
        if not path.is_file():
            return None
        nc, halo = self.cells, self.halo
        try:
            # Our own handle: np.load leaks its own when a damaged archive fails to open.
            with open(path, "rb") as stream, np.load(stream, allow_pickle=False) as data:
                stamp = data["key"]
                elevation = data["elevation_m"]
                rock = data["rock_height_m"]
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
            return None
        expected = [CACHE_VERSION, key[0], key[1], nc, halo]
        if (
            stamp.tolist() != expected
            or elevation.shape != (nc + 2 * halo, nc + 2 * halo)
            or elevation.dtype != np.float64
            or rock.shape != (nc, nc)
            or rock.dtype != np.float32
        ):
            return None
        return elevation, rock

    def write(self, key: tuple[int, int], elevation: _Array, rock: NDArray[np.float32]) -> None:
        """Write the tile atomically; on failure the cache becomes unusable (memory only)."""
        if self.folder is None:
            return
        stamp = np.array([CACHE_VERSION, key[0], key[1], self.cells, self.halo])
        buffer = io.BytesIO()
        np.savez(buffer, key=stamp, elevation_m=elevation, rock_height_m=rock)
        try:
            write_atomic(self.path(key), buffer.getvalue())
        except OSError as error:
            self.error = f"cannot write the tile cache {self.folder}: {error}"
            self.folder = None
