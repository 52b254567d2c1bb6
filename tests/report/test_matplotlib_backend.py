"""Importing the report modules leaves the user's matplotlib backend alone and does not
import pyplot (every plot is drawn on a `matplotlib.figure.Figure`)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import perseverance

SRC = Path(perseverance.__file__).resolve().parents[1]

_PROBE = """
import importlib, pkgutil, sys
import matplotlib
import perseverance.report as report
names = [m.name for m in pkgutil.walk_packages(report.__path__, "perseverance.report.")]
for name in names:
    importlib.import_module(name)
assert "perseverance.report.sections.edl" in names and "perseverance.report.edl_products" in names
print("pyplot" if "matplotlib.pyplot" in sys.modules else "no pyplot")
print(matplotlib.get_backend())
"""


def test_importing_report_modules_keeps_the_backend_and_skips_pyplot():
    env = {**os.environ, "MPLBACKEND": "pdf", "PYTHONPATH": str(SRC)}
    done = subprocess.run(
        [sys.executable, "-c", _PROBE], env=env, capture_output=True, text=True, check=True
    )
    assert done.stdout.split("\n")[:2] == ["no pyplot", "pdf"], done.stderr
