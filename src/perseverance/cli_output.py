"""What every `perseverance` command prints through: the consoles and the one-line error.

Shared by `perseverance.cli` and its sub-command modules, so none of them needs to
import another (``cli`` imports the sub-commands; this module imports neither).
"""

from __future__ import annotations

import json
import math
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape

#: Tables and messages (stdout).
console = Console()
#: Errors, warnings and progress bars (stderr), so that ``--json`` output stays clean.
err_console = Console(stderr=True)


def fail(message: str) -> typer.Exit:
    """Print ``error: <message>`` on stderr; return the exit (code 2) to raise.

    The message is printed as it is (square brackets are not rich markup).

    >>> raise fail(str(exc)) from None  # doctest: +SKIP
    """
    err_console.print(f"[red]error:[/red] {escape(message)}", highlight=False, soft_wrap=True)
    return typer.Exit(code=2)


def warn(message: str) -> None:
    """Print ``warning: <message>`` on stderr."""
    err_console.print(
        f"[yellow]warning:[/yellow] {escape(message)}", highlight=False, soft_wrap=True
    )


def print_json(doc: Any) -> None:
    """Print ``doc`` as indented JSON on stdout (plain, never wrapped or coloured).

    Non-finite floats become ``null``: strict JSON has no NaN.
    """
    print(json.dumps(_finite(doc), indent=2, allow_nan=False))


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def latlon(lat_deg: float, lon_deg: float) -> str:
    """``18.4446° N, 77.4509° E``: planetocentric latitude, east longitude shown in 0-360."""
    return f"{abs(lat_deg):.4f}° {'N' if lat_deg >= 0 else 'S'}, {lon_deg % 360:.4f}° E"


def east_north(east_m: float, north_m: float, digits: int = 0) -> str:
    """``310 m W, 977 m N``: an offset in the site frame, west and south written as such
    (``—`` for a value that is not a finite number)."""
    if not (math.isfinite(east_m) and math.isfinite(north_m)):
        return "—"
    ew = f"{abs(east_m):,.{digits}f} m {'E' if east_m >= 0 else 'W'}"
    ns = f"{abs(north_m):,.{digits}f} m {'N' if north_m >= 0 else 'S'}"
    return f"{ew}, {ns}"
