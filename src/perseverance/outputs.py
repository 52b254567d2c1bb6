"""Writing output folders all at once: nothing half-written is ever left behind.

`staged_directory` hands out a temporary folder beside the destination; only
when the block finishes without error is it moved into place (an existing
destination is replaced). On any error the temporary folder is removed and the
destination is left as it was.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from perseverance.errors import ConfigError


@contextmanager
def staged_directory(destination: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary folder that becomes ``destination`` when the block succeeds."""
    dest = Path(destination).resolve()
    if dest.exists() and not dest.is_dir():
        raise ConfigError(f"--out {destination}: exists and is not a folder")
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        stage = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
    except OSError as exc:
        raise ConfigError(f"--out {destination}: cannot write there ({exc.strerror})") from None
    try:
        yield stage
        old = None
        if dest.exists():
            old = dest.with_name(f".{dest.name}.old-{os.getpid()}")
            os.replace(dest, old)
        os.replace(stage, dest)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        if stage.exists():
            shutil.rmtree(stage, ignore_errors=True)
