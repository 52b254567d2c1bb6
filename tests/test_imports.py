"""Heavy modules are imported only by the commands that use them: the CLI and a plain EDL
flight start without Matplotlib, SciPy's statistics, Dask or Parquet."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
from scipy.stats import chi2

from perseverance.edl.montecarlo import ELLIPSE_PROBABILITY, ELLIPSE_SCALE

HEAVY = ("matplotlib", "scipy.stats", "dask", "distributed", "pyarrow", "numba")


def test_the_cli_and_a_flight_import_nothing_heavy():
    probe = (
        "import sys, perseverance.cli, perseverance.edl.api, perseverance.cli.edl;"
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.strip() == ""


def test_the_ellipse_scale_is_the_chi_square_quantile():
    assert np.isclose(ELLIPSE_SCALE, np.sqrt(chi2.ppf(ELLIPSE_PROBABILITY, 2)), rtol=1e-12)
