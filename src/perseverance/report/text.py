"""Plain-text formatting of report values: numbers with units, distances, counts, places.

These helpers return plain text; it is escaped where it enters the page (`report.html`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

#: Unit suffix of a column or payload key -> (unit printed, decimals); latitude and
#: longitude get `LATLON_DECIMALS` (0.0001° is 6 m on Mars).
UNITS = {
    "_m": ("m", 1),
    "_km": ("km", 2),
    "_mps": ("m/s", 2),
    "_deg": ("°", 2),
    "_kg": ("kg", 1),
    "_s": ("s", 1),
    "_pa": ("Pa", 0),
    "_j": ("J", 0),
    "_w": ("W", 1),
}
LATLON_DECIMALS = 4


def finite(*values: object) -> bool:
    """Whether every value is a finite int or float (not a bool)."""
    return all(
        isinstance(v, int | float) and not isinstance(v, bool) and np.isfinite(v) for v in values
    )


def num(value: object, decimals: int = 1) -> str | None:
    """A number with thousands separators; None stays None, anything else its ``str``."""
    if value is None:
        return None
    if isinstance(value, int | float) and finite(value):
        return f"{float(value):,.{decimals}f}"
    return str(value)


def quantity(key: str, value: object) -> tuple[str, str]:
    """(label, text) of a named value, its unit read from the name's suffix (``_m``...)."""
    if value is None:
        return key.replace("_", " "), "—"
    for suffix, (unit, decimals) in UNITS.items():
        if key.endswith(suffix) and finite(value):
            if key in ("latitude_deg", "longitude_deg"):
                decimals = LATLON_DECIMALS
            sep = "" if unit == "°" else " "
            return key[: -len(suffix)].replace("_", " "), f"{num(value, decimals)}{sep}{unit}"
    text = num(value, 3) if isinstance(value, float) else str(value)
    return key.replace("_", " "), str(text)


def details(payload: Mapping[str, Any] | None) -> str:
    """An event payload as ``label: value; ...``."""
    return "; ".join(": ".join(quantity(str(k), v)) for k, v in (payload or {}).items())


def counts(counter: Mapping[str, int]) -> str:
    """``name n, name n`` from the most to the least frequent."""
    return ", ".join(f"{k} {n}" for k, n in sorted(counter.items(), key=lambda kv: -kv[1]))


def distance(metres: float) -> str:
    """A distance in m, or in km from 1 km."""
    return f"{metres / 1e3:,.2f} km" if abs(metres) >= 1000 else f"{metres:,.1f} m"


def plural(n: int, word: str) -> str:
    """``1 sol``, ``2 sols``."""
    return f"{n:,} {word}{'' if n == 1 else 's'}"
