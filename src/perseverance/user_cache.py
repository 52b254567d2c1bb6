"""The user's cache folder, shared by every disk cache of the project.

``$PERSEVERANCE_CACHE`` names it (``off`` or empty turns the caches off); else it is the
user's cache folder of the OS (``platformdirs``: ``~/.cache/perseverance`` on Linux).
Each cache keeps to its own sub-folder (``terrain/``, ``edl-setup/``).
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

__all__ = ["CACHE_ENV", "cache_root"]

#: Environment variable naming the cache folder; ``off`` (or empty) disables the caches.
CACHE_ENV = "PERSEVERANCE_CACHE"


def cache_root() -> Path | None:
    """The cache folder, or None when ``$PERSEVERANCE_CACHE`` turns the caches off."""
    chosen = os.environ.get(CACHE_ENV)
    if chosen is None:
        return Path(platformdirs.user_cache_dir("perseverance"))
    if chosen.strip().lower() in ("", "off"):
        return None
    return Path(chosen).expanduser()
