"""The relay orbiters on Keplerian orbits with J2 secular precession, vectorised over time.

Model
-----
Each orbiter keeps the elements of ``data/orbiters/orbiters.toml`` (a, e, i, Omega,
omega, M at one epoch) and drifts under the secular J2 rates (Vallado, *Fundamentals of
Astrodynamics*, 4th ed., eqs. 9-41 and 9-42), with p = a (1 - e^2) and
k = 3/2 J2 (R/p)^2::

    dM/dt     = n [1 + k sqrt(1 - e^2) (1 - 3/2 sin^2 i)]
    dOmega/dt = -k n_bar cos i
    domega/dt =  k n_bar (2 - 5/2 sin^2 i)

A sun-synchronous orbiter (``ascending_node_lmst_h`` given) keeps its ascending node at
that local mean solar time: its node tracks the mean Sun, as the operators keep it with
inclination trims (the J2 rate of its elements is within a few per cent of the Sun's
mean motion, which the tests check). A ``frozen_periapsis`` orbit keeps omega (MRO's
periapsis stays over the south pole; J3 balances J2 there, which this model leaves out).

Frames
------
Inertial: Mars-centred, the Mars equator and equinox of date (z along the spin axis, x
toward the Sun at Ls = 0); the pole's precession (~8 arcsec/yr) is left out. The Sun
lies at (cos Ls, sin Ls cos eps, sin Ls sin eps), the declination of
`perseverance.mars.sun`. Body-fixed: the prime meridian's angle W(t) is set from the
project's Mars24 clock, W = RA_sun + 15 deg (LTST at 0 deg E - 12 h), so that the hour
angle of the Sun, hence an orbiter's local solar time at a site, is exactly the one
`perseverance.mars.time` and `perseverance.mars.sun` give. Its rate agrees with the IAU
W = 176.630 + 350.89198226 d (Archinal et al. 2018) to 1e-6 (a test).

Kernels take seconds since the file's epoch (float64 arrays) and give positions [m] with
a trailing axis of 3.

>>> from perseverance.relay.orbits import load_orbiters
>>> mro = load_orbiters().orbiter("mro")
>>> round(mro.period_s / 60.0, 1)
112.6
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from pydantic import Field, model_validator

from perseverance.datafiles import DataDate, DataModel, load_model
from perseverance.errors import ConfigError
from perseverance.mars.constants import DEG, GM_MARS, J2_MARS, OBLIQUITY_MARS_DEG, R_MARS
from perseverance.mars.time import (
    areocentric_solar_longitude_deg,
    coordinated_mars_time_hours,
    local_true_solar_time_hours,
    mars_solar_date,
)

__all__ = [
    "Constellation",
    "Orbiter",
    "OrbiterElements",
    "RotationTable",
    "load_orbiters",
    "mars_rotation_rad",
    "seconds_since",
]

PACKAGE = "perseverance.data.orbiters"

#: IAU prime-meridian rate of Mars [deg/day] (Archinal et al. 2018, Celest. Mech. 130:22).
IAU_W_RATE_DEG_PER_DAY = 350.89198226

#: Spacing of the grid on which Mars24 is evaluated and then interpolated [s]: W departs
#: from a straight line by the equation-of-time wobble only, smooth over hours.
_ROTATION_GRID_S = 3600.0

Angle = Annotated[float, Field(ge=0.0, lt=360.0)]
Rate = Annotated[float, Field(gt=0.0, le=1e9)]


class OrbiterElements(DataModel):
    """One orbiter's elements at the file's epoch, its UHF rate law and relay delay."""

    name: str = Field(min_length=1, max_length=32)
    routine: bool = True
    """Scheduled for relay passes by default (a backup orbiter only when asked)."""
    semi_major_axis_m: Annotated[float, Field(gt=3.0e6, le=1.0e8)]
    eccentricity: Annotated[float, Field(ge=0.0, lt=1.0)]
    inclination_deg: Annotated[float, Field(ge=0.0, le=180.0)]
    right_ascension_of_node_deg: Angle = 0.0
    """Ascending node at the epoch [deg] (ignored when sun-synchronous)."""
    argument_of_periapsis_deg: Angle = 0.0
    mean_anomaly_deg: Angle = 0.0
    frozen_periapsis: bool = False
    ascending_node_lmst_h: Annotated[float, Field(ge=0.0, lt=24.0)] | None = None
    """Local mean solar time of the ascending node [h]: set for a sun-synchronous orbit."""
    published_period_s: Annotated[float, Field(gt=0.0, le=1.0e6)]
    period_source: str = ""
    max_rate_bps: Rate
    """The fastest UHF return rate [bit/s]."""
    reference_rate_bps: Rate
    """The rate at ``reference_range_m`` [bit/s]; 1/r^2 beyond it, capped at the maximum."""
    reference_range_m: Annotated[float, Field(gt=0.0, le=1.0e8)]
    min_rate_bps: Rate
    """Below this rate the link is not used [bit/s]."""
    store_forward_delay_s: Annotated[float, Field(ge=0.0, le=1.0e6)]
    """Mean wait from the pass to the orbiter's next Earth contact [s]."""
    source: str = ""

    @model_validator(mode="after")
    def _rates_in_order(self) -> OrbiterElements:
        if self.min_rate_bps > self.max_rate_bps:
            raise ValueError(
                f"min_rate_bps = {self.min_rate_bps:g} is above max_rate_bps = "
                f"{self.max_rate_bps:g} (allowed: 0 < min_rate_bps <= max_rate_bps)"
            )
        return self


class OrbitersFile(DataModel):
    """``orbiters.toml``: the epoch, the altitude reference, the mask and the orbiters."""

    name: str = ""
    source: str = ""
    epoch_utc: DataDate
    reference_radius_m: Annotated[float, Field(gt=3.0e6, le=4.0e6)]
    elevation_mask_deg: Annotated[float, Field(ge=0.0, lt=90.0)]
    orbiters: dict[str, OrbiterElements] = Field(min_length=1)

    @model_validator(mode="after")
    def _periapsis_above_the_surface(self) -> OrbitersFile:
        for key, orb in self.orbiters.items():
            height = orb.semi_major_axis_m * (1.0 - orb.eccentricity) - self.reference_radius_m
            if height <= 0.0:
                raise ValueError(
                    f"orbiters.{key}: periapsis altitude a (1 - e) - R = {height / 1e3:.1f} km "
                    "is below the surface (allowed: > 0; raise semi_major_axis_m or lower "
                    "eccentricity)"
                )
        return self


def _epoch64(epoch: datetime) -> np.datetime64:
    if epoch.tzinfo is not None:
        epoch = epoch.astimezone(UTC).replace(tzinfo=None)
    return np.datetime64(epoch, "us")


def seconds_since(utc: Any, epoch: np.datetime64) -> NDArray[np.float64]:
    """UTC (datetime, ISO string, datetime64 or an array of them) as seconds after ``epoch``."""
    if isinstance(utc, str):
        from perseverance.mars.time import parse_utc

        utc = parse_utc(utc)
    if isinstance(utc, datetime):
        utc = _epoch64(utc)
    array = np.asarray(utc).astype("datetime64[us]")
    return np.asarray((array - epoch) / np.timedelta64(1, "us"), dtype=float) * 1e-6


def _utc64(t_s: NDArray[np.float64], epoch: np.datetime64) -> NDArray[np.datetime64]:
    return epoch + np.round(t_s * 1e6).astype("timedelta64[us]")


def _exact_rotation(
    t_s: NDArray[np.float64], epoch: np.datetime64
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """W and the mean Sun's right ascension [rad], straight from Mars24 (unwrapped)."""
    utc = _utc64(t_s, epoch)
    msd = np.asarray(mars_solar_date(utc), dtype=float)
    ls = np.radians(np.asarray(areocentric_solar_longitude_deg(utc), dtype=float))
    eps = OBLIQUITY_MARS_DEG * DEG
    ra_sun = np.arctan2(np.sin(ls) * np.cos(eps), np.cos(ls))
    ltst0_h = np.asarray(local_true_solar_time_hours(msd, 0.0), dtype=float)
    w = np.unwrap(ra_sun + np.radians(15.0 * (ltst0_h - 12.0)))
    mtc_h = np.asarray(coordinated_mars_time_hours(utc), dtype=float)
    mean_sun = np.unwrap(w - np.radians(15.0 * (mtc_h - 12.0)))
    return w, mean_sun


@dataclass(frozen=True)
class RotationTable:
    """W and the mean Sun's right ascension from Mars24 on an hourly grid, to interpolate.

    Build it once for a span (`RotationTable.over`) and call it for any times inside.
    """

    grid_s: NDArray[np.float64]
    w_residual: NDArray[np.float64]
    sun_residual: NDArray[np.float64]
    w0: float
    w_rate: float
    sun0: float
    sun_rate: float

    @classmethod
    def over(cls, lo_s: float, hi_s: float, epoch: np.datetime64) -> RotationTable:
        """The table covering [lo_s, hi_s] [s after ``epoch``]."""
        count = max(2, math.ceil((hi_s - lo_s) / _ROTATION_GRID_S) + 2)
        grid = lo_s + _ROTATION_GRID_S * np.arange(count, dtype=float)
        w, sun = _exact_rotation(grid, epoch)
        span = grid[-1] - grid[0]
        w_rate, sun_rate = (w[-1] - w[0]) / span, (sun[-1] - sun[0]) / span
        # The departures from straight lines: W alone moves 14.6 deg an hour.
        return cls(
            grid_s=grid,
            w_residual=w - w[0] - w_rate * (grid - lo_s),
            sun_residual=sun - sun[0] - sun_rate * (grid - lo_s),
            w0=float(w[0]),
            w_rate=float(w_rate),
            sun0=float(sun[0]),
            sun_rate=float(sun_rate),
        )

    def __call__(self, t_s: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """(W, mean Sun right ascension) [rad] at ``t_s`` [s after the epoch]."""
        t = np.asarray(t_s, dtype=float)
        dt = t - self.grid_s[0]
        w = self.w0 + self.w_rate * dt + np.interp(t, self.grid_s, self.w_residual)
        sun = self.sun0 + self.sun_rate * dt + np.interp(t, self.grid_s, self.sun_residual)
        return w, sun


def mars_rotation_rad(
    t_s: ArrayLike, epoch: np.datetime64
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The prime meridian's angle W and the mean Sun's right ascension [rad] at ``t_s``.

    ``t_s`` is seconds after ``epoch`` (any shape). Both angles are in the inertial frame
    of this module, continuous (not wrapped), from Mars24 on an hourly grid, interpolated.
    """
    t = np.asarray(t_s, dtype=float)
    if t.size == 0:
        return np.zeros(t.shape), np.zeros(t.shape)
    return RotationTable.over(float(t.min()), float(t.max()), epoch)(t)


@dataclass(frozen=True)
class Orbiter:
    """One relay orbiter: its elements, derived rates, positions and UHF rate."""

    key: str
    elements: OrbiterElements
    epoch: np.datetime64
    reference_radius_m: float

    @property
    def name(self) -> str:
        return self.elements.name

    @property
    def sun_synchronous(self) -> bool:
        return self.elements.ascending_node_lmst_h is not None

    @property
    def mean_motion_rad_s(self) -> float:
        """Keplerian mean motion sqrt(GM / a^3) [rad/s]."""
        return math.sqrt(GM_MARS / self.elements.semi_major_axis_m**3)

    @property
    def period_s(self) -> float:
        """Keplerian period 2 pi sqrt(a^3 / GM) [s]."""
        return 2.0 * math.pi / self.mean_motion_rad_s

    @property
    def _k(self) -> float:
        e = self.elements
        p = e.semi_major_axis_m * (1.0 - e.eccentricity**2)
        return 1.5 * J2_MARS * (R_MARS / p) ** 2

    @property
    def mean_anomaly_rate_rad_s(self) -> float:
        """dM/dt with the J2 correction [rad/s]."""
        e = self.elements
        sin_i = math.sin(e.inclination_deg * DEG)
        root = math.sqrt(1.0 - e.eccentricity**2)
        return self.mean_motion_rad_s * (1.0 + self._k * root * (1.0 - 1.5 * sin_i**2))

    @property
    def anomalistic_period_s(self) -> float:
        """Periapsis to periapsis, 2 pi / (dM/dt) [s]."""
        return 2.0 * math.pi / self.mean_anomaly_rate_rad_s

    @property
    def j2_node_rate_rad_s(self) -> float:
        """J2 nodal precession of the elements, -k n_bar cos i [rad/s]."""
        cos_i = math.cos(self.elements.inclination_deg * DEG)
        return -self._k * self.mean_anomaly_rate_rad_s * cos_i

    @property
    def j2_periapsis_rate_rad_s(self) -> float:
        """J2 apsidal precession, k n_bar (2 - 5/2 sin^2 i) [rad/s] (0 applied if frozen)."""
        sin_i = math.sin(self.elements.inclination_deg * DEG)
        return self._k * self.mean_anomaly_rate_rad_s * (2.0 - 2.5 * sin_i**2)

    def _angles(
        self, t: NDArray[np.float64], mean_sun: NDArray[np.float64] | None
    ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
        e = self.elements
        if e.ascending_node_lmst_h is not None:
            if mean_sun is None:
                mean_sun = mars_rotation_rad(t, self.epoch)[1]
            node = mean_sun + math.radians(15.0 * (e.ascending_node_lmst_h - 12.0))
        else:
            node = e.right_ascension_of_node_deg * DEG + self.j2_node_rate_rad_s * t
        omega_rate = 0.0 if e.frozen_periapsis else self.j2_periapsis_rate_rad_s
        omega = e.argument_of_periapsis_deg * DEG + omega_rate * t
        mean_anomaly = e.mean_anomaly_deg * DEG + self.mean_anomaly_rate_rad_s * t
        return node, omega, mean_anomaly

    def position_inertial_m(
        self, t_s: ArrayLike, *, mean_sun_rad: NDArray[np.float64] | None = None
    ) -> NDArray[np.float64]:
        """Position in the Mars-centred inertial frame [m], shape ``t_s.shape + (3,)``.

        ``t_s`` is seconds after the epoch; ``mean_sun_rad`` (from `mars_rotation_rad`)
        saves recomputing the mean Sun when the caller has it.
        """
        t = np.asarray(t_s, dtype=float)
        el = self.elements
        node, omega, mean_anomaly = self._angles(t, mean_sun_rad)
        ecc = el.eccentricity
        a = el.semi_major_axis_m
        if ecc > 0.0:
            m = np.mod(mean_anomaly + np.pi, 2.0 * np.pi) - np.pi
            big_e = m + ecc * np.sin(m) * (1.0 + ecc * np.cos(m))
            for _ in range(30):  # Newton on Kepler's equation E - e sin E = M
                sin_e, cos_e = np.sin(big_e), np.cos(big_e)
                step = (big_e - ecc * sin_e - m) / (1.0 - ecc * cos_e)
                big_e = big_e - step
                if float(np.max(np.abs(step), initial=0.0)) < 1e-10:
                    break
            sin_e, cos_e = np.sin(big_e), np.cos(big_e)
            x_pf = a * (cos_e - ecc)  # perifocal coordinates [m]
            y_pf = a * math.sqrt(1.0 - ecc * ecc) * sin_e
        else:
            x_pf, y_pf = a * np.cos(mean_anomaly), a * np.sin(mean_anomaly)
        cos_w, sin_w = np.cos(omega), np.sin(omega)
        # In the node's frame: x along the node, y in the orbit plane at 90 deg.
        u_x = x_pf * cos_w - y_pf * sin_w
        u_y = x_pf * sin_w + y_pf * cos_w
        inc = el.inclination_deg * DEG
        cos_i, sin_i = math.cos(inc), math.sin(inc)
        cos_n, sin_n = np.cos(node), np.sin(node)
        plane_y = u_y * cos_i
        out = np.empty((*t.shape, 3))
        out[..., 0] = u_x * cos_n - plane_y * sin_n
        out[..., 1] = u_x * sin_n + plane_y * cos_n
        out[..., 2] = u_y * sin_i
        return out

    def position_body_fixed_m(self, t_s: ArrayLike) -> NDArray[np.float64]:
        """Position in the Mars body-fixed frame (IAU axes) [m], shape ``t_s.shape + (3,)``."""
        t = np.asarray(t_s, dtype=float)
        w, mean_sun = mars_rotation_rad(t, self.epoch)
        return to_body_fixed(self.position_inertial_m(t, mean_sun_rad=mean_sun), w)

    def rate_bps(self, range_m: ArrayLike) -> NDArray[np.float64]:
        """UHF return rate at a slant range [bit/s]: min(max, ref (r_ref/r)^2), 0 below min."""
        el = self.elements
        r = np.maximum(np.asarray(range_m, dtype=float), 1.0)
        rate = np.minimum(el.max_rate_bps, el.reference_rate_bps * (el.reference_range_m / r) ** 2)
        return np.where(rate >= el.min_rate_bps, rate, 0.0)


def to_body_fixed(inertial_m: NDArray[np.float64], w_rad: ArrayLike) -> NDArray[np.float64]:
    """Rotate inertial vectors (..., 3) into the body-fixed frame by the angle W [rad]."""
    w = np.asarray(w_rad, dtype=float)
    cos_w, sin_w = np.cos(w), np.sin(w)
    x, y, z = inertial_m[..., 0], inertial_m[..., 1], inertial_m[..., 2]
    return np.stack([cos_w * x + sin_w * y, -sin_w * x + cos_w * y, z], axis=-1)


@dataclass(frozen=True)
class Constellation:
    """All the relay orbiters of one file, at one epoch, with the pass elevation mask."""

    orbiters: tuple[Orbiter, ...]
    epoch: np.datetime64
    elevation_mask_deg: float
    reference_radius_m: float

    @property
    def keys(self) -> tuple[str, ...]:
        """Every orbiter's key, in file order."""
        return tuple(o.key for o in self.orbiters)

    @property
    def routine_keys(self) -> tuple[str, ...]:
        """The orbiters scheduled for passes by default (``routine = true``)."""
        return tuple(o.key for o in self.orbiters if o.elements.routine)

    def orbiter(self, key: str) -> Orbiter:
        """The orbiter called ``key`` (``"mro"``, ...); `ConfigError` (one line) if unknown."""
        for orb in self.orbiters:
            if orb.key == key.strip().lower():
                return orb
        raise ConfigError(f"unknown orbiter {key!r}: the orbiters are {', '.join(self.keys)}")


def load_orbiters(name_or_path: str | os.PathLike[str] = "orbiters") -> Constellation:
    """Load the shipped orbiter file (``orbiters``) or a TOML by path.

    Raises `ConfigError` with one line naming the field and its allowed range.
    """
    data = load_model(OrbitersFile, os.fspath(name_or_path), PACKAGE, "orbiter")
    epoch = _epoch64(data.epoch_utc)
    orbiters = tuple(
        Orbiter(key=k, elements=v, epoch=epoch, reference_radius_m=data.reference_radius_m)
        for k, v in data.orbiters.items()
    )
    return Constellation(
        orbiters=orbiters,
        epoch=epoch,
        elevation_mask_deg=data.elevation_mask_deg,
        reference_radius_m=data.reference_radius_m,
    )
