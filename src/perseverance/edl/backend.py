"""Which RK4 step flies EDL: NumPy (always there) or Numba (the ``fast`` extra).

``auto`` (the default, or ``$PERSEVERANCE_EDL_BACKEND``) takes Numba when it imports
and NumPy otherwise. The two agree to round-off (bit for bit on the machines we test
on: `tests/edl/test_backend.py`), so the choice moves speed, not results; each is
deterministic.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from functools import cache

import numpy as np
from numpy.typing import NDArray

from perseverance.edl.dynamics import Controls, Environment, Planet, rk4_step
from perseverance.errors import ScenarioError
from perseverance.user_cache import cache_root

__all__ = [
    "BACKENDS",
    "BACKEND_ENV",
    "Stepper",
    "numba_available",
    "numba_problem",
    "resolve_backend",
    "stepper",
]

_NUMBA_LOCK = threading.Lock()
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
    problem = numba_problem()
    if problem is None:
        return "numba"
    if chosen == "numba":
        raise ScenarioError(
            f"backend 'numba' cannot run here: {problem}; "
            "pip install 'perseverance[fast]', or use --backend numpy"
        )
    return "numpy"


def numba_available() -> bool:
    """Whether the compiled step imports (Numba installed and able to keep its cache)."""
    return numba_problem() is None


@cache
def numba_problem() -> str | None:
    """Why the compiled step does not import, or None when it does.

    Numba keeps its compiled code in ``numba/`` of the user's cache folder (unless
    ``$NUMBA_CACHE_DIR`` says otherwise); one it cannot write is a reason to fly NumPy's.
    """
    root = cache_root()
    if root is not None:
        os.environ.setdefault("NUMBA_CACHE_DIR", str(root / "numba"))
    try:
        import perseverance.edl.rk4_numba  # noqa: F401
    except ImportError:
        return "Numba is not installed"
    except Exception as exc:
        return f"Numba does not start ({str(exc).splitlines()[0] if str(exc) else exc!r})"
    return None


def stepper(backend: str) -> Stepper:
    """The RK4 step of a resolved backend."""
    if backend != "numba":
        return rk4_step
    from perseverance.edl.rk4_numba import rk4_step_numba

    def compiled(
        state: Floats, t: Floats, dt: Floats, env: Environment, ctl: Controls, planet: Planet
    ) -> Floats:
        # one thread at a time: Numba's fallback threading layer (workqueue) aborts the
        # process when two threads (e.g. of a Dask worker) launch its parallel loop at once
        with _NUMBA_LOCK:
            return rk4_step_numba(state, t, dt, ctl, planet)  # each stage makes its env

    return compiled
