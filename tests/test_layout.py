"""The README's Layout section names every package of the tree, and nothing else."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "perseverance"


def _layout_block() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Layout", 1)[1]
    return section.split("```", 2)[1]


def test_layout_lists_every_package_and_only_those():
    block = _layout_block()
    listed = set(re.findall(r"^  (\w+)/", block, flags=re.MULTILINE))
    actual = {p.parent.name for p in PACKAGE.glob("*/__init__.py")}
    actual |= {p.name for p in PACKAGE.iterdir() if p.is_dir() and p.name == "data"}
    assert listed == actual


def test_layout_lists_every_top_level_module():
    block = _layout_block()
    modules = {p.name for p in PACKAGE.glob("*.py") if p.name != "__init__.py"}
    missing = sorted(m for m in modules if m not in block)
    assert not missing
