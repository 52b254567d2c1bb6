"""Mars time: the Mars24 algorithm of Allison & McEwen (2000), vectorised.

Follows NASA GISS "Mars24 Sunclock: Algorithm and Worked Examples"
(https://www.giss.nasa.gov/tools/mars24/help/algorithm.html), step by step:
A (days since J2000 TT), B (Ls), C (clocks). Names keep Mars24's vocabulary.

Every function taking ``utc`` accepts a ``datetime`` (timezone-aware, or naive
meaning UTC), a ``numpy.datetime64`` or an array of them. A scalar in gives a
Python ``float`` out; an array in gives an array of the same shape.

>>> from perseverance.mars.time import mars_clock
>>> clock = mars_clock("2021-02-18T20:43:49Z", longitude_east_deg=77.4509,
...                    landing_utc="2021-02-18T20:43:49Z")
>>> clock["lmst"], clock["sol"]
('15:53:26', 0)
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from perseverance.errors import ConfigError

__all__ = [
    "areocentric_solar_longitude_deg",
    "coordinated_mars_time_hours",
    "equation_of_time_deg",
    "julian_date_utc",
    "local_mean_solar_time_hours",
    "local_true_solar_time_hours",
    "mars_clock",
    "mars_solar_date",
    "mission_sol",
    "parse_utc",
    "tt_minus_utc_s",
]

_DAY_S = 86_400.0
_JD_J2000 = 2_451_545.0  # Julian date of J2000.0, 2000-01-01 12:00 TT
_J2000 = np.datetime64("2000-01-01T12:00:00", "us")
_ONE_SECOND = np.timedelta64(1, "s")

# (first UTC day of each TAI - UTC step, TT - UTC from that day [s]); TT = TAI + 32.184 s.
# IERS Bulletin C; no leap second has been announced after 2017-01-01 (checked 2026).
# fmt: off
_LEAP_TABLE = [
    ("1972-01-01", 42.184), ("1972-07-01", 43.184), ("1973-01-01", 44.184),
    ("1974-01-01", 45.184), ("1975-01-01", 46.184), ("1976-01-01", 47.184),
    ("1977-01-01", 48.184), ("1978-01-01", 49.184), ("1979-01-01", 50.184),
    ("1980-01-01", 51.184), ("1981-07-01", 52.184), ("1982-07-01", 53.184),
    ("1983-07-01", 54.184), ("1985-07-01", 55.184), ("1988-01-01", 56.184),
    ("1990-01-01", 57.184), ("1991-01-01", 58.184), ("1992-07-01", 59.184),
    ("1993-07-01", 60.184), ("1994-07-01", 61.184), ("1996-01-01", 62.184),
    ("1997-07-01", 63.184), ("1999-01-01", 64.184), ("2006-01-01", 65.184),
    ("2009-01-01", 66.184), ("2012-07-01", 67.184), ("2015-07-01", 68.184),
    ("2017-01-01", 69.184),
]
# fmt: on
_LEAP_DAYS = np.array([day for day, _ in _LEAP_TABLE], dtype="datetime64[us]")
_LEAP_TT_MINUS_UTC_S = np.array([offset for _, offset in _LEAP_TABLE])

# B-1 .. B-4 coefficients [deg, deg/day]; the seven planetary perturbers of B-3 (A_i [deg],
# tau_i [Julian years], phi_i [deg]).
_M0_DEG, _M_RATE_DEG_PER_DAY = 19.3871, 0.52402073
_FMS0_DEG, _FMS_RATE_DEG_PER_DAY = 270.3871, 0.524038496
_PBS_A_DEG = np.array([0.0071, 0.0057, 0.0039, 0.0037, 0.0021, 0.0020, 0.0018])
_PBS_TAU_YR = np.array([2.2353, 2.7543, 1.1177, 15.7866, 2.1354, 2.4694, 32.8493])
_PBS_PHI_DEG = np.array([49.409, 168.173, 191.837, 21.736, 15.704, 95.528, 49.095])
_PBS_RATE_DEG_PER_DAY = 0.985626

# C-2: Earth days per sol (Mars24's ratio; constants.SOL_S is this times 86,400 s, rounded
# to the millisecond) and the MSD epoch terms.
_EARTH_DAYS_PER_SOL = 1.0274912517
_MSD_AT_EPOCH = 44_796.0 - 0.0009626
_MSD_EPOCH_DAYS = 4.5


def parse_utc(text: str) -> datetime:
    """Read an ISO 8601 UTC time, e.g. ``"2021-02-18T20:43:49"`` or with a trailing ``Z``.

    A numeric offset (``+01:00``) is converted to UTC; no offset means UTC.
    Returns a timezone-aware ``datetime`` in UTC. Raises ``ConfigError`` otherwise.
    """
    try:
        parsed = datetime.fromisoformat(text.strip())
    except (AttributeError, ValueError) as exc:
        raise ConfigError(
            f"Cannot read the UTC time {text!r} ({exc}): expected ISO 8601 "
            "'YYYY-MM-DDTHH:MM:SS' with an optional 'Z', e.g. '2021-02-18T20:43:49Z'."
        ) from None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _as_datetime64(utc: Any) -> NDArray[np.datetime64]:
    """UTC input of any accepted kind as a ``datetime64[us]`` array (0-d for a scalar)."""
    if isinstance(utc, str):
        utc = parse_utc(utc)
    if isinstance(utc, datetime):
        if utc.tzinfo is not None:
            utc = utc.astimezone(UTC).replace(tzinfo=None)
        return np.asarray(np.datetime64(utc, "us"))
    array = np.asarray(utc)
    if array.dtype.kind in "OU":  # a sequence of datetimes or ISO 8601 strings
        return np.vectorize(_as_datetime64, otypes=["datetime64[us]"])(array)
    if not np.issubdtype(array.dtype, np.datetime64):
        raise TypeError(
            f"UTC must be a datetime, an ISO 8601 string or numpy datetime64, not {array.dtype}"
        )
    return array.astype("datetime64[us]")


def _wrap(value: ArrayLike, period: float) -> NDArray[np.float64]:
    """``value`` modulo ``period`` in [0, period); np.mod alone can round up to ``period``."""
    wrapped = np.mod(value, period)
    return np.where(wrapped >= period, 0.0, wrapped)


def _out(value: NDArray[Any]) -> Any:
    """A 0-d result as a Python scalar; arrays unchanged."""
    return value.item() if np.ndim(value) == 0 else value


def _seconds_since_j2000_utc(utc: Any) -> NDArray[np.float64]:
    """Seconds of UTC (no leap seconds counted, as Mars24 A-1) since 2000-01-01 12:00."""
    return (_as_datetime64(utc) - _J2000) / _ONE_SECOND


def julian_date_utc(utc: Any) -> Any:
    """Julian date in UTC, JD_UT [days] (Mars24 A-2)."""
    return _out(_JD_J2000 + _seconds_since_j2000_utc(utc) / _DAY_S)


def _tt_minus_utc_s(utc64: NDArray[np.datetime64]) -> NDArray[np.float64]:
    index = np.searchsorted(_LEAP_DAYS, utc64, side="right") - 1
    from_table = _LEAP_TT_MINUS_UTC_S[np.maximum(index, 0)]
    # Before 1972: Mars24 A-4 polynomial in Julian centuries T from J2000.
    t = (utc64 - _J2000) / _ONE_SECOND / (_DAY_S * 36_525.0)
    before_1972 = 64.184 + 59.0 * t - 51.2 * t**2 - 67.1 * t**3 - 16.4 * t**4
    return np.where(index >= 0, from_table, before_1972)


def tt_minus_utc_s(utc: Any) -> Any:
    """TT - UTC [s] (Mars24 A-4): 32.184 s + TAI - UTC from the IERS leap-second table.

    69.184 s since 2017-01-01; the Mars24 polynomial before 1972.
    """
    return _out(_tt_minus_utc_s(_as_datetime64(utc)))


def _delta_t_j2000_days(utc: Any) -> NDArray[np.float64]:
    """Days of TT since J2000.0, Delta t_J2000 (Mars24 A-5, A-6)."""
    utc64 = _as_datetime64(utc)
    return ((utc64 - _J2000) / _ONE_SECOND + _tt_minus_utc_s(utc64)) / _DAY_S


def _delta_t_j2000_from_msd(msd: ArrayLike) -> NDArray[np.float64]:
    """Inverse of Mars24 C-2: days of TT since J2000.0 from the Mars Solar Date."""
    return (np.asarray(msd, dtype=float) - _MSD_AT_EPOCH) * _EARTH_DAYS_PER_SOL + _MSD_EPOCH_DAYS


def _orbit_deg(dt_days: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Ls and the equation of centre nu - M [deg] (Mars24 B-1 .. B-5)."""
    mean_anomaly = np.radians(_M0_DEG + _M_RATE_DEG_PER_DAY * dt_days)  # B-1
    alpha_fms_deg = _FMS0_DEG + _FMS_RATE_DEG_PER_DAY * dt_days  # B-2
    pbs_phase = _PBS_RATE_DEG_PER_DAY * dt_days[..., None] / _PBS_TAU_YR + _PBS_PHI_DEG
    pbs_deg = np.sum(_PBS_A_DEG * np.cos(np.radians(pbs_phase)), axis=-1)  # B-3
    nu_minus_m_deg = (  # B-4
        (10.691 + 3.0e-7 * dt_days) * np.sin(mean_anomaly)
        + 0.623 * np.sin(2.0 * mean_anomaly)
        + 0.050 * np.sin(3.0 * mean_anomaly)
        + 0.005 * np.sin(4.0 * mean_anomaly)
        + 0.0005 * np.sin(5.0 * mean_anomaly)
        + pbs_deg
    )
    return _wrap(alpha_fms_deg + nu_minus_m_deg, 360.0), nu_minus_m_deg  # B-5


def _equation_of_time_deg(dt_days: NDArray[np.float64]) -> NDArray[np.float64]:
    """Mars24 C-1: EOT [deg] = 2.861 sin 2Ls - 0.071 sin 4Ls + 0.002 sin 6Ls - (nu - M)."""
    ls_deg, nu_minus_m_deg = _orbit_deg(dt_days)
    ls = np.radians(ls_deg)
    return (
        2.861 * np.sin(2.0 * ls) - 0.071 * np.sin(4.0 * ls) + 0.002 * np.sin(6.0 * ls)
    ) - nu_minus_m_deg


def areocentric_solar_longitude_deg(utc: Any) -> Any:
    """Areocentric solar longitude Ls in [0, 360) [deg], perturbations included (Mars24 B-5).

    Ls = 0 is the northern spring equinox; 90, 180, 270 the following seasons.
    """
    return _out(_orbit_deg(_delta_t_j2000_days(utc))[0])


def equation_of_time_deg(utc: Any) -> Any:
    """Equation of time, true minus mean solar time, as an angle [deg] (Mars24 C-1).

    Divide by 15 for hours of Mars time.
    """
    return _out(_equation_of_time_deg(_delta_t_j2000_days(utc)))


def mars_solar_date(utc: Any) -> Any:
    """Mars Solar Date, MSD [sols] (Mars24 C-2).

    MSD = (Delta t_J2000 - 4.5) / 1.0274912517 + 44796.0 - 0.0009626.
    """
    dt_days = _delta_t_j2000_days(utc)
    return _out((dt_days - _MSD_EPOCH_DAYS) / _EARTH_DAYS_PER_SOL + _MSD_AT_EPOCH)


def coordinated_mars_time_hours(utc: Any) -> Any:
    """Coordinated Mars Time, MTC, the mean solar time at 0 deg E, in [0, 24) [h] (Mars24 C-2)."""
    return _out(_wrap(24.0 * np.asarray(mars_solar_date(utc)), 24.0))


def local_mean_solar_time_hours(msd: ArrayLike, longitude_east_deg: ArrayLike) -> Any:
    """Local mean solar time, LMST, in [0, 24) [h] (Mars24 C-3).

    ``msd`` is the Mars Solar Date [sols]; ``longitude_east_deg`` is planetocentric,
    positive east [deg] (Mars24 writes LMST = MTC - Lambda_west / 15). Broadcasts.
    """
    local_sols = np.asarray(msd, dtype=float) + np.asarray(longitude_east_deg) / 360.0
    return _out(_wrap(24.0 * local_sols, 24.0))


def local_true_solar_time_hours(msd: ArrayLike, longitude_east_deg: ArrayLike) -> Any:
    """Local true solar time, LTST = LMST + EOT / 15, in [0, 24) [h] (Mars24 C-4).

    Takes the Mars Solar Date [sols] and the longitude, positive east [deg], as
    ``local_mean_solar_time_hours``; the EOT is evaluated at that MSD.
    """
    eot_hours = _equation_of_time_deg(_delta_t_j2000_from_msd(msd)) / 15.0
    lmst = np.asarray(local_mean_solar_time_hours(msd, longitude_east_deg))
    return _out(_wrap(lmst + eot_hours, 24.0))


def mission_sol(utc: Any, landing_utc: Any, longitude_east_deg: ArrayLike) -> Any:
    """Mission sol number: 0 on the landing sol, negative before it (an ``int``).

    A sol begins at LMST midnight at ``longitude_east_deg`` (the landing site, positive
    east [deg]): sol = floor(MSD + lambda/360) - floor(MSD_landing + lambda/360).
    """
    longitude_sols = np.asarray(longitude_east_deg) / 360.0
    now = np.floor(np.asarray(mars_solar_date(utc)) + longitude_sols)
    landed = np.floor(np.asarray(mars_solar_date(landing_utc)) + longitude_sols)
    return _out((now - landed).astype(np.int64))


def _hms(hours: float) -> str:
    """Hours in [0, 24) as a clock reading ``HH:MM:SS``, truncated to the second."""
    seconds = int(np.floor(round(hours * 3_600.0, 6))) % 86_400
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def mars_clock(utc: Any, *, longitude_east_deg: float, landing_utc: Any) -> dict[str, Any]:
    """Everything a Mars clock shows for one instant at one site.

    ``utc`` and ``landing_utc`` are one instant each (``datetime``, ``datetime64`` or an
    ISO 8601 string); ``longitude_east_deg`` is the site, positive east [deg].
    Returns ``msd`` [sols], ``mtc_hours`` [h], ``lmst`` and ``ltst`` (``"HH:MM:SS"``),
    ``ls_deg`` [deg] and ``sol`` (0 = landing sol).

    >>> mars_clock("2000-01-06T00:00:00Z", longitude_east_deg=0.0,
    ...            landing_utc="2000-01-06T00:00:00Z")["ltst"]
    '23:38:54'
    """
    if np.ndim(_as_datetime64(utc)) != 0:
        raise TypeError(
            "mars_clock() reads one instant; for arrays call mars_solar_date(), "
            "local_mean_solar_time_hours() and the other functions of this module."
        )
    msd = mars_solar_date(utc)
    return {
        "msd": msd,
        "mtc_hours": coordinated_mars_time_hours(utc),
        "lmst": _hms(local_mean_solar_time_hours(msd, longitude_east_deg)),
        "ltst": _hms(local_true_solar_time_hours(msd, longitude_east_deg)),
        "ls_deg": areocentric_solar_longitude_deg(utc),
        "sol": mission_sol(utc, landing_utc, longitude_east_deg),
    }
