"""Output folders appear whole or not at all, and a folder is replaced only when it is ours."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from perseverance.errors import ConfigError
from perseverance.outputs import MANIFEST, foreign_file, staged_directory, write_atomic


def _ours(out: Path, **files: str) -> None:
    """Make ``out`` as `staged_directory` would, holding ``files``."""
    with staged_directory(out) as stage:
        for name, text in files.items():
            (stage / name).write_text(text)


def test_success_replaces_a_folder_of_ours(tmp_path):
    out = tmp_path / "out"
    _ours(out, **{"summary.json": "old"})
    with staged_directory(out) as stage:
        (stage / "new.txt").write_text("new")
    assert sorted(p.name for p in out.iterdir()) == [MANIFEST, "new.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["out"]
    listed = json.loads((out / MANIFEST).read_text())["files"]
    assert list(listed) == ["new.txt"] and len(listed["new.txt"]["sha256"]) == 64


def test_failure_leaves_the_folder_as_it_was(tmp_path):
    out = tmp_path / "out"
    _ours(out, **{"summary.json": "old"})
    with pytest.raises(RuntimeError), staged_directory(out) as stage:
        (stage / "half.txt").write_text("half")
        raise RuntimeError("boom")
    assert sorted(p.name for p in out.iterdir()) == [MANIFEST, "summary.json"]
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_a_folder_of_other_files_is_never_replaced(tmp_path):
    out = tmp_path / "documents"
    out.mkdir()
    (out / "thesis.tex").write_text("precious")
    with pytest.raises(ConfigError, match=r"thesis.tex"), staged_directory(out) as stage:
        (stage / "summary.json").write_text("{}")
    assert (out / "thesis.tex").read_text() == "precious"


def test_a_summary_json_does_not_make_a_folder_ours(tmp_path):
    """The outside test's case: ``{}`` in summary.json beside a precious file."""
    out = tmp_path / "d"
    out.mkdir()
    (out / "summary.json").write_text("{}")
    (out / "important.txt").write_text("precious")
    with pytest.raises(ConfigError, match=r"no manifest.json of ours"), staged_directory(out):
        pass
    assert (out / "important.txt").read_text() == "precious"
    assert sorted(p.name for p in out.iterdir()) == ["important.txt", "summary.json"]


def test_a_file_added_to_our_folder_stops_the_replacement(tmp_path):
    out = tmp_path / "out"
    _ours(out, **{"summary.json": "ours"})
    (out / "notes.txt").write_text("the user's")
    with pytest.raises(ConfigError, match=r"notes.txt, which we did not write"):
        _ours(out, **{"summary.json": "new"})
    assert (out / "notes.txt").read_text() == "the user's"


def test_a_file_changed_since_we_wrote_it_stops_the_replacement(tmp_path):
    out = tmp_path / "out"
    _ours(out, **{"summary.json": "ours"})
    (out / "summary.json").write_text("edited by hand")
    with pytest.raises(ConfigError, match=r"summary.json was changed since we wrote it"):
        _ours(out, **{"summary.json": "new"})
    assert (out / "summary.json").read_text() == "edited by hand"


def test_a_forged_manifest_that_does_not_match_stops_the_replacement(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "main.py").write_text("print('precious')")
    doc = {"written_by": "perseverance", "files": {"main.py": {"sha256": "0" * 64}}}
    (out / MANIFEST).write_text(json.dumps(doc))
    assert "changed" in (foreign_file(out) or "")
    with pytest.raises(ConfigError), staged_directory(out):
        pass
    assert (out / "main.py").exists()


def test_out_dot_in_a_project_folder_is_refused(tmp_path, monkeypatch):
    (tmp_path / "main.py").write_text("print('precious')")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match=r"main.py"), staged_directory("."):
        pass
    assert (tmp_path / "main.py").read_text() == "print('precious')"


def test_an_empty_folder_is_used(tmp_path):
    out = tmp_path / "empty"
    out.mkdir()
    _ours(out, **{"a.txt": "a"})
    assert (out / "a.txt").read_text() == "a"


def test_a_failed_swap_puts_the_old_folder_back(tmp_path, monkeypatch):
    out = tmp_path / "out"
    _ours(out, **{"summary.json": "old"})
    real_replace = os.replace

    def flaky(src, dst):
        if (
            Path(src).name.startswith(".out.")
            and ".old-" not in Path(src).name
            and Path(dst) == out
        ):
            raise PermissionError(13, "Permission denied")
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", flaky)
    with pytest.raises(ConfigError, match=r"writing failed"), staged_directory(out) as stage:
        (stage / "summary.json").write_text("new")
    assert (out / "summary.json").read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


_KILLED_WHILE_STAGING = """
import os, signal, sys
from perseverance.outputs import staged_directory
with staged_directory(sys.argv[1]) as stage:
    (stage / "half.txt").write_text("half")
    os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_staging_folder_left_by_a_killed_process_is_removed_next_time(tmp_path):
    out = tmp_path / "D"
    done = subprocess.run([sys.executable, "-c", _KILLED_WHILE_STAGING, str(out)], timeout=60)
    assert done.returncode == -9
    left = [p.name for p in tmp_path.iterdir()]
    assert len(left) == 1 and left[0].startswith(".D.")  # the outside test's .D.xxxx/
    _ours(out, **{"a.txt": "a"})
    assert [p.name for p in tmp_path.iterdir()] == ["D"]


def test_a_live_process_staging_folder_and_foreign_folders_are_kept(tmp_path):
    out = tmp_path / "D"
    foreign = tmp_path / ".D.mine"  # not ours: no marker
    foreign.mkdir()
    (foreign / "keep.txt").write_text("keep")
    with staged_directory(out) as stage:  # our own live stage is not touched by a second one
        with staged_directory(tmp_path / "other"):
            pass
        assert stage.exists()
    assert (foreign / "keep.txt").read_text() == "keep"


def test_a_folder_set_aside_by_a_killed_swap_is_put_back(tmp_path):
    out = tmp_path / "out"
    _ours(out, **{"summary.json": "old"})
    aside = tmp_path / ".out.old-999999999"  # no such process
    os.replace(out, aside)
    _ours(tmp_path / "out", **{"summary.json": "new"})  # restores, then replaces it properly
    assert (out / "summary.json").read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_write_atomic_replaces_whole_or_not_at_all(tmp_path, monkeypatch):
    path = tmp_path / "report.html"
    write_atomic(path, "one")
    write_atomic(path, b"two")
    assert path.read_text() == "two"

    def boom(*_):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        write_atomic(path, "three")
    assert path.read_text() == "two"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]
