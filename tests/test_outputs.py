"""Output folders appear whole or not at all."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from perseverance.errors import ConfigError
from perseverance.outputs import staged_directory


def test_success_replaces_the_folder(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "summary.json").write_text("old")
    with staged_directory(out) as stage:
        (stage / "new.txt").write_text("new")
    assert sorted(p.name for p in out.iterdir()) == ["new.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_failure_leaves_the_folder_as_it_was(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "summary.json").write_text("old")
    with pytest.raises(RuntimeError), staged_directory(out) as stage:
        (stage / "half.txt").write_text("half")
        raise RuntimeError("boom")
    assert sorted(p.name for p in out.iterdir()) == ["summary.json"]
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_a_folder_of_other_files_is_never_replaced(tmp_path):
    out = tmp_path / "documents"
    out.mkdir()
    (out / "thesis.tex").write_text("precious")
    with pytest.raises(ConfigError, match="holds other files"), staged_directory(out) as stage:
        (stage / "summary.json").write_text("{}")
    assert (out / "thesis.tex").read_text() == "precious"


def test_a_failed_swap_puts_the_old_folder_back(tmp_path, monkeypatch):
    out = tmp_path / "out"
    out.mkdir()
    (out / "summary.json").write_text("old")
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
    with pytest.raises(ConfigError, match="writing failed"), staged_directory(out) as stage:
        (stage / "summary.json").write_text("new")
    assert (out / "summary.json").read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]
