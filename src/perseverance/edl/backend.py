"""Which RK4 step flies EDL: NumPy (always there) or Numba (the ``fast`` extra).

``auto`` (the default, or ``$PERSEVERANCE_EDL_BACKEND``) takes Numba when it imports
and NumPy otherwise. The two agree to round-off (bit for bit on the machines we test
on: `tests/edl/test_backend.py`), so the choice moves speed, not results; each is
deterministic.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import cache

import numpy as np
from numpy.typing import NDArray

from perseverance.edl.dynamics import Controls, Environment, Planet, rk4_step
from perseverance.errors import ScenarioError

__all__ = ["BACKENDS", "BACKEND_ENV", "Stepper", "resolve_backend", "stepper"]

#: What ``--backend`` takes.
BACKENDS = ("auto", "numpy", "numba")
#: Environment variable choosing the backend when none is given.
BACKEND_ENV = "PERSEVERANCE_EDL_BACKEND"

Floats = NDArray[np.float64]
#: ``(state, t, dt, env, ctl, planet) -> new state``, as `dynamics.rk4_step`.
Stepper = Callable[[Floats, Floats, Floats, Environment, Controls, Planet], Floats]


def resolve_backend(name: str | None = None) -> str:
    """``numpy`` or ``numba`` for a requested backend (None: the environment's, or auto).

    Raises `ScenarioError` for an unknown name, or ``numba`` without Numba installed.
    """
    chosen = name or os.environ.get(BACKEND_ENV) or "auto"
    if chosen not in BACKENDS:
        gpu = " (there is no GPU backend yet)" if chosen.lower() in ("cuda", "gpu", "jax") else ""
        raise ScenarioError(f"backend = {chosen!r} is not one of {', '.join(BACKENDS)}{gpu}")
    if chosen == "numpy":
        return "numpy"
    if numba_available():
        return "numba"
    if chosen == "numba":
        raise ScenarioError(
            "backend 'numba' needs Numba, which is not installed: "
            "pip install 'perseverance[fast]', or use --backend numpy"
        )
    return "numpy"


@cache
def numba_available() -> bool:
    """Whether the compiled step imports (Numba installed and working)."""
    try:
        import perseverance.edl.rk4_numba  # noqa: F401
    except ImportError:
        return False
    return True


def stepper(backend: str) -> Stepper:
    """The RK4 step of a resolved backend."""
    if backend != "numba":
        return rk4_step
    from perseverance.edl.rk4_numba import rk4_step_numba

    def compiled(
        state: Floats, t: Floats, dt: Floats, env: Environment, ctl: Controls, planet: Planet
    ) -> Floats:
        return rk4_step_numba(state, t, dt, ctl, planet)  # each stage computes its own env

    return compiled
