"""Writing output folders all at once: nothing half-written is ever left behind.

`staged_directory` hands out a temporary folder beside the destination; only
when the block finishes without error is it moved into place. An existing
destination is replaced only if it is empty or holds earlier output of ours
(a ``summary.json``): a folder of other files is never deleted. On any error
the temporary folder is removed and the destination is left as it was.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from perseverance.errors import ConfigError

#: The file every product folder of ours holds; its presence marks a folder we may replace.
MARKER = "summary.json"


def _replaceable(dest: Path) -> bool:
    return not dest.exists() or not any(dest.iterdir()) or (dest / MARKER).is_file()


@contextmanager
def staged_directory(destination: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary folder that becomes ``destination`` when the block succeeds."""
    dest = Path(destination).resolve()
    if dest.exists() and not dest.is_dir():
        raise ConfigError(f"--out {destination}: exists and is not a folder")
    if not _replaceable(dest):
        raise ConfigError(
            f"--out {destination}: the folder holds other files (no {MARKER}); "
            "choose a new or empty folder"
        )
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        stage = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
        umask = os.umask(0)
        os.umask(umask)
        stage.chmod(0o777 & ~umask)
    except OSError as exc:
        raise ConfigError(f"--out {destination}: cannot write there ({exc.strerror})") from None
    try:
        yield stage
        _swap_in(stage, dest, destination)
    except OSError as exc:
        raise ConfigError(f"--out {destination}: writing failed ({exc.strerror or exc})") from None
    finally:
        if stage.exists():
            shutil.rmtree(stage, ignore_errors=True)


def _swap_in(stage: Path, dest: Path, destination) -> None:
    """Move ``stage`` to ``dest``, putting any earlier ``dest`` back if that fails."""
    old = None
    if dest.exists():
        old = dest.with_name(f".{dest.name}.old-{os.getpid()}")
        os.replace(dest, old)
    try:
        os.replace(stage, dest)
    except OSError:
        if old is not None:
            os.replace(old, dest)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
