"""The per-sol product folders: what a rolled-back or uncommitted sol removes, and what it
leaves (a user's files beside ours survive)."""

from __future__ import annotations

import pytest

from perseverance.errors import PerseveranceError
from perseverance.mission.sol_files import (
    SOL_PRODUCT_DIRS,
    discard_sol,
    remove_uncommitted,
    sol_dir,
)


def _ours(root, sol: int) -> None:
    for d in SOL_PRODUCT_DIRS:
        folder = root / sol_dir(d, sol)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "product.bin").write_bytes(b"ours")


def _users(root) -> list:
    files = [
        root / "notes.txt",
        root / "weather" / "my_plot.png",
        root / "audio" / "sol_x" / "a.wav",
    ]
    for f in files:
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text("the user's")
    return files


def test_a_discarded_sol_takes_only_its_own_folders(tmp_path):
    _ours(tmp_path, 5)
    _ours(tmp_path, 6)
    users = _users(tmp_path)
    discard_sol(tmp_path, 6)
    assert not any((tmp_path / sol_dir(d, 6)).exists() for d in SOL_PRODUCT_DIRS)
    assert all((tmp_path / sol_dir(d, 5) / "product.bin").exists() for d in SOL_PRODUCT_DIRS)
    assert all(f.read_text() == "the user's" for f in users)


def test_a_resume_removes_the_uncommitted_sols_and_nothing_else(tmp_path):
    for sol in (3, 4, 5):
        _ours(tmp_path, sol)
    users = _users(tmp_path)
    remove_uncommitted(tmp_path, 3)
    assert all((tmp_path / sol_dir(d, 3)).is_dir() for d in SOL_PRODUCT_DIRS)
    assert not any((tmp_path / sol_dir(d, s)).exists() for d in SOL_PRODUCT_DIRS for s in (4, 5))
    assert all(f.read_text() == "the user's" for f in users)


def test_a_linked_sol_folder_is_never_followed(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "keep.txt").write_text("not ours")
    run = tmp_path / "run"
    (run / "weather").mkdir(parents=True)
    (run / "weather" / "sol_0009").symlink_to(elsewhere, target_is_directory=True)
    discard_sol(run, 9)
    with pytest.raises(PerseveranceError, match="cannot remove the files of an uncommitted sol"):
        remove_uncommitted(run, 0)
    assert (elsewhere / "keep.txt").read_text() == "not ours"
