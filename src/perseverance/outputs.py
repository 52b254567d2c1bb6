"""Writing output folders and files all at once: nothing half-written, nothing of yours lost.

`staged_directory` hands out a temporary folder beside the destination; only
when the block finishes without error is it moved into place, with a
``manifest.json`` listing every file written and its SHA-256. An existing
destination is replaced only if it is empty or provably ours: every file in it
is listed in its manifest with the same hash. Anything else (a file we did not
write, or one changed since) is refused with one line and never deleted. On any
error the temporary folder is removed and the destination is left as it was.

A process killed while staging leaves its temporary folder behind; the next
`staged_directory` for the same destination removes such folders (they carry a
marker naming the process that made them, which must be gone).

`write_atomic` writes one file through a temporary file and a rename.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import socket
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from perseverance.errors import ConfigError
from perseverance.processes import pid_alive

#: The folder of the run folders, relative to the current directory.
DEFAULT_RUNS_DIR = Path("runs")
#: The file listing what we wrote into an output folder, with hashes.
MANIFEST = "manifest.json"
#: The marker inside a staging folder: which process made it.
STAGE_MARKER = ".perseverance-stage"
#: What the manifest says wrote it.
WRITER = "perseverance"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _files(folder: Path) -> list[Path]:
    """Every file and link under ``folder`` (relative), folders left out."""
    return sorted(
        p.relative_to(folder) for p in folder.rglob("*") if p.is_symlink() or not p.is_dir()
    )


def _write_manifest(stage: Path) -> None:
    files = {
        str(rel): {"sha256": _sha256(stage / rel), "bytes": (stage / rel).stat().st_size}
        for rel in _files(stage)
        if str(rel) not in (MANIFEST, STAGE_MARKER)
    }
    doc = {"written_by": WRITER, "files": files}
    (stage / MANIFEST).write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n")


def foreign_file(folder: Path) -> str | None:
    """Why ``folder`` is not provably ours to replace (None when it is, or is empty).

    Ours means: a ``manifest.json`` written by us lists every other file in the
    folder with the SHA-256 it has now.
    """
    present = [rel for rel in _files(folder) if str(rel) not in (MANIFEST, STAGE_MARKER)]
    if not present and not (folder / MANIFEST).exists():
        return None
    try:
        doc = json.loads((folder / MANIFEST).read_text())
        listed = doc["files"] if doc.get("written_by") == WRITER else None
        if not isinstance(listed, dict):
            raise ValueError
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        first = present[0] if present else MANIFEST
        return f"it holds {first}, and no {MANIFEST} of ours lists it"
    for rel in present:
        entry = listed.get(str(rel))
        if entry is None:
            return f"it holds {rel}, which we did not write"
        path = folder / rel
        if path.is_symlink() or not path.is_file():
            return f"{rel} is not the file we wrote"
        try:
            same = isinstance(entry, dict) and _sha256(path) == entry.get("sha256")
        except OSError as exc:
            return f"{rel} cannot be read ({exc.strerror})"
        if not same:
            return f"{rel} was changed since we wrote it"
    return None


def _stage_owner_gone(folder: Path) -> bool:
    """Whether ``folder`` is a staging folder of ours whose process has ended."""
    try:
        host, pid = (folder / STAGE_MARKER).read_text().split()
        return host == socket.gethostname() and not pid_alive(int(pid))
    except (OSError, ValueError):
        return False


def clean_stale_stages(dest: Path) -> None:
    """Remove staging folders of ``dest`` (``.<name>.*`` beside it) left by killed processes.

    A folder set aside while replacing ``dest`` (``.<name>.old-<pid>``) is put back
    when ``dest`` is missing, and removed when it is still provably ours.
    """
    with contextlib.suppress(OSError):
        for folder in dest.parent.glob(f".{dest.name}.*"):
            if not folder.is_dir() or folder.is_symlink():
                continue
            if folder.name.startswith(f".{dest.name}.old-"):
                pid = folder.name.rsplit("-", 1)[-1]
                if not pid.isdigit() or pid_alive(int(pid)):
                    continue
                if not dest.exists():
                    os.replace(folder, dest)
                elif foreign_file(folder) is None:
                    shutil.rmtree(folder, ignore_errors=True)
            elif _stage_owner_gone(folder):
                shutil.rmtree(folder, ignore_errors=True)


def _describe(exc: OSError, fallback: Path | str) -> str:
    """``<file>: <reason>`` for an OSError, naming ``fallback`` when the error names no file."""
    return f"{exc.filename or fallback}: {exc.strerror or exc}"


@contextmanager
def staged_directory(destination: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary folder that becomes ``destination`` when the block succeeds.

    Raises
    ------
    ConfigError
        The destination is a file, holds files we did not write, or cannot be
        written (one line naming the file and the reason).
    """
    dest = Path(destination).resolve()
    if dest.exists() and not dest.is_dir():
        raise ConfigError(f"--out {destination}: exists and is not a folder")
    clean_stale_stages(dest)
    if dest.exists():
        why = foreign_file(dest)
        if why is not None:
            raise ConfigError(
                f"--out {destination}: {why}; choose a new or empty folder "
                "(a folder is replaced only when everything in it is output of ours)"
            )
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        stage = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
        (stage / STAGE_MARKER).write_text(f"{socket.gethostname()} {os.getpid()}\n")
        umask = os.umask(0)
        os.umask(umask)
        stage.chmod(0o777 & ~umask)
    except OSError as exc:
        raise ConfigError(
            f"--out {destination}: cannot write there ({_describe(exc, dest)})"
        ) from None
    try:
        yield stage
        _write_manifest(stage)
        _swap_in(stage, dest)
        with contextlib.suppress(OSError):
            (dest / STAGE_MARKER).unlink()
    except OSError as exc:
        raise ConfigError(f"--out {destination}: writing failed ({_describe(exc, dest)})") from None
    finally:
        if stage.exists():
            shutil.rmtree(stage, ignore_errors=True)


def _swap_in(stage: Path, dest: Path) -> None:
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


def write_atomic(path: Path, data: bytes | str) -> None:
    """Write ``data`` to ``path`` through a temporary file beside it and a rename.

    Raises OSError (the temporary file removed) when it cannot be written.
    """
    raw = data.encode() if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
            fh.flush()
            os.fsync(fh.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
