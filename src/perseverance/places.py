"""Places written for people: latitude/longitude and offsets in the site frame, with
south and west written as such (never "-1,900 m north")."""

from __future__ import annotations

import math


def latlon(lat_deg: object, lon_deg: object) -> str:
    """``18.4446° N, 77.4509° E``: planetocentric latitude, east longitude in 0-360
    (``—`` unless both are finite numbers).

    >>> latlon(-4.5895, -222.5)
    '4.5895° S, 137.5000° E'
    """
    if not (isinstance(lat_deg, int | float) and isinstance(lon_deg, int | float)):
        return "—"
    lat, lon = float(lat_deg), float(lon_deg)
    if isinstance(lat_deg, bool) or isinstance(lon_deg, bool) or not math.isfinite(lat + lon):
        return "—"
    return f"{abs(lat):.4f}° {'N' if lat >= 0 else 'S'}, {lon % 360:.4f}° E"


def east_north(east_m: float, north_m: float, digits: int = 0) -> str:
    """``310 m W, 977 m N``: an offset in the site frame (``—`` for a value that is not
    a finite number).

    >>> east_north(-310.2, -1900.0)
    '310 m W, 1,900 m S'
    """
    if not (math.isfinite(east_m) and math.isfinite(north_m)):
        return "—"
    ew = f"{abs(east_m):,.{digits}f} m {'E' if east_m >= 0 else 'W'}"
    ns = f"{abs(north_m):,.{digits}f} m {'N' if north_m >= 0 else 'S'}"
    return f"{ew}, {ns}"
