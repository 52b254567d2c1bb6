"""Relay passes over a site: rise, set, maximum elevation, minimum range, UHF volume.

Method
------
For each orbiter (one loop per orbiter, none per time step) the elevation of the orbiter
above the site's horizontal plane is sampled on a uniform grid (``step_s``, 20 s by
default) across the whole window; each crossing of the mask is refined by bisection to
`_REFINE_S`; the maximum elevation and minimum range are parabolas through the three
samples round the extreme. The local vertical is the radial direction (planetocentric,
as `perseverance.mars.sun`); the site sits on the areoid plus its elevation.

The data volume of a pass is the UHF rate, adapted to the slant range
(`perseverance.relay.orbits.Orbiter.rate_bps`), integrated over the pass (trapezoids on
the grid, the partial steps at rise and set at the edge rate). A pass whose rise or set
lies outside the padded window is cut at the window's edge; passes are kept when they
rise inside [start, end).

>>> from perseverance.relay.passes import find_passes
>>> passes = find_passes("2021-03-01T00:00:00Z", "2021-03-02T00:00:00Z")
>>> len(passes) > 2
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from perseverance.mars.constants import OMEGA_MARS
from perseverance.mars.frames import areoid_radius_m
from perseverance.mars.time import local_mean_solar_time_hours, mars_solar_date
from perseverance.relay.orbits import (
    Constellation,
    Orbiter,
    RotationTable,
    load_orbiters,
    mars_rotation_rad,
    seconds_since,
    to_body_fixed,
)

__all__ = ["Passes", "Site", "find_passes", "jezero", "received_on_earth_utc"]

#: Precision of the refined rise and set times [s].
_REFINE_S = 0.05
#: Padding before and after the window, so that passes rising inside it are whole [s].
_PAD_S = 3.0 * 3600.0
#: Every how many grid samples the prefilter looks at the orbiter.
_COARSE = 6
#: Samples per chunk of the grid (bounds the memory of one orbiter's geometry).
_CHUNK = 400_000


@dataclass(frozen=True)
class Site:
    """A point on Mars: planetocentric latitude, east longitude [deg], elevation [m]."""

    latitude_deg: float
    longitude_east_deg: float
    elevation_m: float = 0.0

    def position_m(self) -> NDArray[np.float64]:
        """Body-fixed position [m] (areoid radius at the latitude plus the elevation)."""
        lat, lon = math.radians(self.latitude_deg), math.radians(self.longitude_east_deg)
        radius = float(areoid_radius_m(math.sin(lat))) + self.elevation_m
        return radius * np.array(
            [math.cos(lat) * math.cos(lon), math.cos(lat) * math.sin(lon), math.sin(lat)]
        )

    def up(self) -> NDArray[np.float64]:
        """Unit radial (local vertical) vector, body-fixed."""
        lat, lon = math.radians(self.latitude_deg), math.radians(self.longitude_east_deg)
        return np.array(
            [math.cos(lat) * math.cos(lon), math.cos(lat) * math.sin(lon), math.sin(lat)]
        )


def jezero() -> Site:
    """The Mars 2020 landing point (``data/sites/jezero.toml``)."""
    from perseverance.terrain.site import load_site

    point = load_site("jezero").landing_site
    return Site(point.latitude_deg, point.longitude_deg, point.floor_elevation_m)


@dataclass(frozen=True)
class Passes:
    """Passes as columns (one row per pass, sorted by rise), with the site's LMST."""

    orbiter: NDArray[np.str_]
    """Orbiter key of each pass (``"mro"``, ...)."""
    rise_utc: NDArray[np.datetime64]
    set_utc: NDArray[np.datetime64]
    max_elevation_deg: NDArray[np.float64]
    min_range_m: NDArray[np.float64]
    volume_bits: NDArray[np.float64]
    rise_lmst_h: NDArray[np.float64]
    """Local mean solar time of the rise at the site [h]."""
    set_lmst_h: NDArray[np.float64]
    mask_deg: float = field(default=10.0)

    def __len__(self) -> int:
        return int(self.orbiter.size)

    @property
    def duration_s(self) -> NDArray[np.float64]:
        """Set minus rise [s]."""
        return np.asarray((self.set_utc - self.rise_utc) / np.timedelta64(1, "us"), float) * 1e-6

    def select(self, keep: NDArray[np.bool_]) -> Passes:
        """The passes where ``keep`` is true."""
        return Passes(
            orbiter=self.orbiter[keep],
            rise_utc=self.rise_utc[keep],
            set_utc=self.set_utc[keep],
            max_elevation_deg=self.max_elevation_deg[keep],
            min_range_m=self.min_range_m[keep],
            volume_bits=self.volume_bits[keep],
            rise_lmst_h=self.rise_lmst_h[keep],
            set_lmst_h=self.set_lmst_h[keep],
            mask_deg=self.mask_deg,
        )

    def rows(self) -> list[dict[str, Any]]:
        """One dict per pass: ISO UTC times, LMST hours, degrees, metres and bits."""
        return [
            {
                "orbiter": str(self.orbiter[i]),
                "rise_utc": _iso(self.rise_utc[i]),
                "set_utc": _iso(self.set_utc[i]),
                "rise_lmst_h": float(self.rise_lmst_h[i]),
                "set_lmst_h": float(self.set_lmst_h[i]),
                "duration_s": float(self.duration_s[i]),
                "max_elevation_deg": float(self.max_elevation_deg[i]),
                "min_range_m": float(self.min_range_m[i]),
                "volume_bits": float(self.volume_bits[i]),
            }
            for i in range(len(self))
        ]


def _iso(value: np.datetime64) -> str:
    return str(np.datetime_as_string(value, unit="s")) + "Z"


def _geometry(
    orb: Orbiter,
    t: NDArray[np.float64],
    site_m: NDArray[np.float64],
    up: NDArray[np.float64],
    rotation: RotationTable | None = None,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Elevation [deg] and slant range [m] of ``orb`` seen from the site at ``t`` [s]."""
    w, mean_sun = rotation(t) if rotation is not None else mars_rotation_rad(t, orb.epoch)
    rel = to_body_fixed(orb.position_inertial_m(t, mean_sun_rad=mean_sun), w)
    rel -= site_m
    rng = np.sqrt(np.einsum("...i,...i->...", rel, rel))
    sin_el = (rel @ up) / rng
    return np.degrees(np.arcsin(np.clip(sin_el, -1.0, 1.0))), rng


def _refine(
    orb: Orbiter,
    lo: NDArray[np.float64],
    hi: NDArray[np.float64],
    rising: bool,
    mask: float,
    site_m: NDArray[np.float64],
    up: NDArray[np.float64],
    rotation: RotationTable,
) -> NDArray[np.float64]:
    """Bisection of the mask crossings bracketed by [lo, hi] [s]."""
    lo, hi = lo.copy(), hi.copy()
    while lo.size and float(np.max(hi - lo)) > _REFINE_S:
        mid = 0.5 * (lo + hi)
        above = _geometry(orb, mid, site_m, up, rotation)[0] >= mask
        before = ~above if rising else above  # the crossing lies after mid
        lo = np.where(before, mid, lo)
        hi = np.where(before, hi, mid)
    return 0.5 * (lo + hi)


def _peak(y: NDArray[np.float64], i: NDArray[np.intp], sign: float) -> NDArray[np.float64]:
    """Extreme of the parabola through y[i-1], y[i], y[i+1] (sign +1 max, -1 min)."""
    i0 = np.clip(i - 1, 0, y.size - 1)
    i2 = np.clip(i + 1, 0, y.size - 1)
    y0, y1, y2 = y[i0], y[i], y[i2]
    curve = y0 - 2.0 * y1 + y2
    ok = (sign * curve < 0.0) & (i0 != i) & (i2 != i)
    safe = np.where(ok, curve, -sign)
    return np.where(ok, y1 - (y0 - y2) ** 2 / (8.0 * safe), y1)


def _segment_arg(
    values: NDArray[np.float64], starts: NDArray[np.intp], ends: NDArray[np.intp]
) -> NDArray[np.intp]:
    """Index of the maximum of ``values`` inside each [start, end] (inclusive)."""
    lengths = ends - starts + 1
    seg = np.repeat(np.arange(starts.size), lengths)
    idx = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    idx = idx + np.repeat(starts, lengths)
    order = np.lexsort((values[idx], seg))
    last = np.cumsum(lengths) - 1
    return idx[order[last]]


def _candidates(
    orb: Orbiter, t: NDArray[np.float64], mask: float, site: Site, rotation: RotationTable
) -> NDArray[np.bool_]:
    """The grid samples that may see ``orb`` above the mask (a conservative prefilter).

    The orbiter's position is taken every `_COARSE` samples; a sample is kept when the
    angle at Mars' centre between the site and the orbiter, less what the fastest
    angular motion (periapsis speed plus Mars' rotation) covers in half a coarse step and
    one fine step, is inside the widest visibility circle (at apoapsis).
    """
    el = orb.elements
    step = float(t[1] - t[0]) if t.size > 1 else 1.0
    coarse = np.arange(0, t.size, _COARSE)
    up = site.up()
    w, mean_sun = rotation(t[coarse])
    fixed = to_body_fixed(orb.position_inertial_m(t[coarse], mean_sun_rad=mean_sun), w)
    cos_angle = (fixed @ up) / np.linalg.norm(fixed, axis=-1)
    angle = np.arccos(np.clip(cos_angle, -1.0, 1.0))
    e = el.eccentricity
    fastest = orb.mean_motion_rad_s * (1.0 + e) ** 2 / (1.0 - e * e) ** 1.5 + OMEGA_MARS
    site_r = float(np.linalg.norm(site.position_m()))
    apoapsis = el.semi_major_axis_m * (1.0 + e)
    cos_mask = math.cos(math.radians(mask))
    widest = math.acos(min(1.0, site_r * cos_mask / apoapsis)) - math.radians(mask)
    keep = angle - fastest * (0.5 * _COARSE + 1.0) * step < widest
    near = np.zeros(t.size, dtype=bool)
    half = _COARSE // 2 + 1
    for offset in range(-half, half + 1):
        idx = coarse[keep] + offset
        near[idx[(idx >= 0) & (idx < t.size)]] = True
    return near


def _orbiter_passes(
    orb: Orbiter,
    t0: float,
    t1: float,
    step_s: float,
    mask: float,
    site: Site,
    rotation: RotationTable,
) -> dict[str, NDArray[Any]]:
    """Passes of one orbiter between ``t0`` and ``t1`` [s after the epoch]."""
    site_m, up = site.position_m(), site.up()
    count = math.ceil((t1 - t0) / step_s) + 1
    t = t0 + step_s * np.arange(count, dtype=float)
    elevation = np.full(count, -90.0)
    rng = np.full(count, np.inf)
    todo = np.flatnonzero(_candidates(orb, t, mask, site, rotation))
    for a in range(0, todo.size, _CHUNK):
        chunk = todo[a : a + _CHUNK]
        elevation[chunk], rng[chunk] = _geometry(orb, t[chunk], site_m, up, rotation)
    above = elevation >= mask
    edges = np.diff(above.astype(np.int8))
    first = np.flatnonzero(edges == 1) + 1  # first sample above the mask
    last = np.flatnonzero(edges == -1)  # last sample above the mask
    if above[0]:
        first = np.concatenate([[0], first])
    if above[-1]:
        last = np.concatenate([last, [count - 1]])
    rise = t[first].copy()
    inner = first > 0
    rise[inner] = _refine(
        orb, t[first[inner] - 1], t[first[inner]], True, mask, site_m, up, rotation
    )
    set_ = t[last].copy()
    inner = last < count - 1
    set_[inner] = _refine(
        orb, t[last[inner]], t[last[inner] + 1], False, mask, site_m, up, rotation
    )

    i_max = _segment_arg(elevation, first, last) if first.size else first
    i_min = _segment_arg(-rng, first, last) if first.size else first
    max_el = _peak(elevation, i_max, 1.0) if first.size else np.empty(0)
    min_rng = _peak(rng, i_min, -1.0) if first.size else np.empty(0)

    rate = np.where(above, orb.rate_bps(rng), 0.0)
    both = above[1:] & above[:-1]  # trapezoids wholly inside a pass
    whole = np.concatenate(
        [[0.0], np.cumsum(np.where(both, 0.5 * (rate[1:] + rate[:-1]), 0.0) * step_s)]
    )
    volume = whole[last] - whole[first]
    volume += rate[first] * (t[first] - rise) + rate[last] * (set_ - t[last])
    return {
        "rise": rise,
        "set": set_,
        "max_elevation_deg": max_el,
        "min_range_m": np.minimum(min_rng, rng[i_min]) if first.size else min_rng,
        "volume_bits": volume,
    }


def find_passes(
    start_utc: Any,
    end_utc: Any,
    *,
    orbiters: tuple[str, ...] | list[str] | None = None,
    site: Site | None = None,
    mask_deg: float | None = None,
    step_s: float = 20.0,
    constellation: Constellation | None = None,
) -> Passes:
    """Every pass of the orbiters over ``site`` rising in [start_utc, end_utc).

    ``orbiters``: keys (default the routine relays of ``orbiters.toml``); ``site``: default Jezero;
    ``mask_deg``: the elevation mask [deg] (default the file's); ``step_s``: the grid
    step [s] (a pass shorter than a step may be missed). Raises `ConfigError` (one line)
    for an unknown orbiter or a window that is empty or backwards.
    """
    from perseverance.errors import ConfigError

    fleet = constellation if constellation is not None else load_orbiters()
    chosen = [fleet.orbiter(k) for k in (orbiters if orbiters is not None else fleet.routine_keys)]
    place = site if site is not None else jezero()
    mask = fleet.elevation_mask_deg if mask_deg is None else float(mask_deg)
    if not 0.0 <= mask < 90.0:
        raise ConfigError(f"mask_deg = {mask:g} is out of range (0 <= mask_deg < 90)")
    if not 1.0 <= step_s <= 120.0:
        raise ConfigError(f"step_s = {step_s:g} is out of range (1..120 s)")
    t_start = float(seconds_since(start_utc, fleet.epoch))
    t_end = float(seconds_since(end_utc, fleet.epoch))
    if not t_end > t_start:
        raise ConfigError(f"the window {start_utc} .. {end_utc} is empty: end must follow start")
    columns: dict[str, list[NDArray[Any]]] = {}
    keys: list[NDArray[np.str_]] = []
    rotation = RotationTable.over(t_start - _PAD_S - 60.0, t_end + _PAD_S + 60.0, fleet.epoch)
    for orb in chosen:
        found = _orbiter_passes(
            orb, t_start - _PAD_S, t_end + _PAD_S, step_s, mask, place, rotation
        )
        keep = (found["rise"] >= t_start) & (found["rise"] < t_end)
        for name, values in found.items():
            columns.setdefault(name, []).append(values[keep])
        keys.append(np.full(int(keep.sum()), orb.key))
    rise = np.concatenate(columns["rise"])
    order = np.argsort(rise, kind="stable")
    rise = rise[order]
    set_ = np.concatenate(columns["set"])[order]
    rise_utc = fleet.epoch + np.round(rise * 1e6).astype("timedelta64[us]")
    set_utc = fleet.epoch + np.round(set_ * 1e6).astype("timedelta64[us]")
    lon = place.longitude_east_deg
    return Passes(
        orbiter=np.concatenate(keys)[order],
        rise_utc=rise_utc,
        set_utc=set_utc,
        max_elevation_deg=np.concatenate(columns["max_elevation_deg"])[order],
        min_range_m=np.concatenate(columns["min_range_m"])[order],
        volume_bits=np.concatenate(columns["volume_bits"])[order],
        rise_lmst_h=np.atleast_1d(local_mean_solar_time_hours(mars_solar_date(rise_utc), lon)),
        set_lmst_h=np.atleast_1d(local_mean_solar_time_hours(mars_solar_date(set_utc), lon)),
        mask_deg=mask,
    )


def received_on_earth_utc(
    sent_utc: Any,
    orbiter: str,
    light_time_s: Any,
    *,
    constellation: Constellation | None = None,
) -> Any:
    """When data relayed to ``orbiter`` at ``sent_utc`` reach Earth (datetime64[us]).

    sent + the orbiter's store-and-forward delay (its next Earth contact, data) + the
    one-way light time [s]; ``sent_utc`` and ``light_time_s`` broadcast (scalars or arrays).
    """
    fleet = constellation if constellation is not None else load_orbiters()
    delay_s = fleet.orbiter(orbiter).elements.store_forward_delay_s
    sent = fleet.epoch + np.round(seconds_since(sent_utc, fleet.epoch) * 1e6).astype(
        "timedelta64[us]"
    )
    total_us = np.round((delay_s + np.asarray(light_time_s, dtype=float)) * 1e6).astype(
        "timedelta64[us]"
    )
    return sent + total_us
