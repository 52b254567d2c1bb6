"""The weather at a site for any UTC: MEDA's atmosphere, seeded and reproducible.

`Weather(seed, latitude_deg, longitude_east_deg, landing_utc)` composes the models of
this package: `pressure` (seasonal CO2 cycle, tide, baroclinic waves), `temperature`
(air at 1.45 m and ground, from the Sun's elevation of `mars.sun`), `wind` (Weibull
speeds, slope flows), `vortices` (convective vortices and dust devils) and `climate`
(dust opacity, humidity), with the parameters of ``data/instruments/meda.toml``.

Units: SI (Pa, K, m/s, kg/m^3); directions in degrees from north (where the wind blows
from); LMST in hours; relative humidity as a fraction. Density and the speed of sound
follow from the ideal gas, rho = p / (R T), c = sqrt(gamma R T) (R, gamma of
`mars.constants`). The weather of a sol depends only on the seed and the sol number
(see `perseverance.weather.grid`): any sol computed alone equals the same sol in a batch.

>>> from perseverance.weather import Weather
>>> w = Weather(seed=0)
>>> day = w.sol_weather(1, cadence_s=3600.0)
>>> bool(650.0 < day["pressure_pa"].mean() < 780.0)
True
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray

from perseverance.errors import ConfigError
from perseverance.mars.constants import GAMMA_MARS, R_GAS_MARS, SOL_S
from perseverance.mars.time import parse_utc
from perseverance.seeds import check_seed
from perseverance.weather.climate import dust_tau, relative_humidity
from perseverance.weather.grid import (
    NODES_PER_SOL,
    Locator,
    SolGrid,
    Stream,
    lattice_noise,
    local_sol,
    sol_rng,
    utc_from_msd,
)
from perseverance.weather.params import Meda, load_meda
from perseverance.weather.pressure import seasonal_pressure_pa, tide_fraction, wave_pa
from perseverance.weather.temperature import temperature_nodes
from perseverance.weather.vortices import VortexEvents, draw_vortices, vortex_signal
from perseverance.weather.wind import wind_direction_deg, wind_scale_mps, wind_speed_mps

__all__ = ["JEZERO_LANDING_UTC", "QUANTITIES", "SolSummary", "Weather"]

FloatArray = NDArray[np.float64]

#: The Mars 2020 landing point and time (data/sites/jezero.toml, `landing_site`, and the
#: Mars24 worked example of mars.time): planetocentric latitude, east longitude [deg], UTC.
JEZERO_LATITUDE_DEG = 18.4446
JEZERO_LONGITUDE_DEG = 77.4509
JEZERO_LANDING_UTC = "2021-02-18T20:43:49Z"

#: The quantities `Weather.weather_at` returns, each an array of the input's length.
QUANTITIES = (
    "pressure_pa",
    "air_temperature_k",
    "ground_temperature_k",
    "wind_speed_mps",
    "wind_direction_deg",
    "relative_humidity",
    "dust_tau",
    "density_kg_m3",
    "sound_speed_mps",
    "sun_elevation_deg",
    "ls_deg",
    "lmst_h",
)

#: Sols computed together at most (bounds the noise lattices' memory).
CHUNK_SOLS = 24

_DAILY_DRAWS = 3  # temperature offset, wind factor, dust factor


@dataclass(frozen=True)
class SolSummary:
    """What one sol's weather comes to (at the cadence it was sampled)."""

    sol: int
    ls_deg: float
    pressure_min_pa: float
    pressure_max_pa: float
    pressure_mean_pa: float
    air_temperature_min_k: float
    air_temperature_max_k: float
    ground_temperature_min_k: float
    ground_temperature_max_k: float
    peak_wind_mps: float
    mean_wind_mps: float
    dust_tau: float
    vortex_count: int
    dusty_vortex_count: int
    cadence_s: float

    def as_dict(self) -> dict[str, Any]:
        """The summary as plain Python values (JSON-ready)."""
        return asdict(self)


class Weather:
    """The near-surface atmosphere at a site, for any UTC (default: Jezero, Mars 2020).

    ``seed`` picks the weather (0..2^63-1); ``params`` the MEDA file (default: packaged).
    """

    def __init__(
        self,
        seed: int = 0,
        *,
        latitude_deg: float = JEZERO_LATITUDE_DEG,
        longitude_east_deg: float = JEZERO_LONGITUDE_DEG,
        landing_utc: str | datetime = JEZERO_LANDING_UTC,
        params: Meda | None = None,
    ) -> None:
        self.seed = check_seed(seed)
        if not -90.0 <= latitude_deg <= 90.0:
            raise ConfigError(f"latitude_deg = {latitude_deg}: out of range (-90..90)")
        self.latitude_deg = float(latitude_deg)
        self.longitude_east_deg = float(longitude_east_deg)
        self.landing_utc = (
            landing_utc if isinstance(landing_utc, datetime) else parse_utc(landing_utc)
        )
        self.params = params if params is not None else load_meda()
        self._landing_sol = int(local_sol(self.landing_utc, self.longitude_east_deg)[0][0])

    # ----------------------------------------------------------------- sols and times
    def local_sol_number(self, sol: int) -> int:
        """The site's local sol number (floor(MSD + lon/360)) of mission sol ``sol``."""
        return self._landing_sol + int(sol)

    def sol_times(self, sol: int, cadence_s: float) -> NDArray[np.datetime64]:
        """UTC instants from mission sol ``sol``'s LMST midnight, every ``cadence_s`` [s]."""
        _check_sol(sol)
        if not 0.01 <= cadence_s <= SOL_S:
            raise ConfigError(f"cadence_s = {cadence_s}: out of range (0.01..{SOL_S})")
        offsets = np.arange(0.0, SOL_S, cadence_s)
        msd0 = self.local_sol_number(sol) - self.longitude_east_deg / 360.0
        start = utc_from_msd(np.asarray([msd0]))[0]
        return _after(start, offsets)

    def meda_times(self, sol: int) -> NDArray[np.datetime64]:
        """MEDA's cadence on mission sol ``sol``: a session at the start of every LMST hour
        (``session_duration_s`` at ``sample_rate_hz``), from meda.toml's [cadence]."""
        _check_sol(sol)
        c = self.params.cadence
        hours = np.arange(0.0, 24.0, c.session_every_lmst_h)
        within = np.arange(0.0, c.session_duration_s, 1.0 / c.sample_rate_hz)
        offsets = (hours[:, None] * (SOL_S / 24.0) + within[None, :]).ravel()
        offsets = offsets[offsets < SOL_S]
        msd0 = self.local_sol_number(sol) - self.longitude_east_deg / 360.0
        start = utc_from_msd(np.asarray([msd0]))[0]
        return _after(start, offsets)

    # ----------------------------------------------------------------- the weather
    def weather_at(self, utc: Any) -> dict[str, FloatArray]:
        """Every quantity of `QUANTITIES` at the instants ``utc`` (arrays, flattened)."""
        sol, phase, msd = local_sol(utc, self.longitude_east_deg)
        out = {name: np.empty(sol.size) for name in QUANTITIES}
        out["sol"] = sol - self._landing_sol  # type: ignore[assignment]
        order = np.argsort(sol, kind="stable")
        sols = np.unique(sol)
        for first in range(0, sols.size, CHUNK_SOLS):
            chunk = sols[first : first + CHUNK_SOLS]
            lo = np.searchsorted(sol[order], chunk[0], side="left")
            hi = np.searchsorted(sol[order], chunk[-1], side="right")
            pick = order[lo:hi]
            values = self._chunk(chunk, sol[pick], phase[pick], msd[pick])
            for name, value in values.items():
                out[name][pick] = value
        return out

    def _daily(self, sols: NDArray[np.int64]) -> FloatArray:
        """Per-sol unit normals (n_sols + 1, 3) at the midnights of ``sols`` and the next."""
        edges = np.append(sols, sols[-1] + 1)
        return np.stack(
            [sol_rng(self.seed, int(s), Stream.DAILY).standard_normal(_DAILY_DRAWS) for s in edges]
        )

    def _chunk(
        self, sols: NDArray[np.int64], sol: NDArray[np.int64], phase: FloatArray, msd: FloatArray
    ) -> dict[str, FloatArray]:
        p = self.params
        grid = SolGrid.build(sols, self.latitude_deg, self.longitude_east_deg)
        row = np.searchsorted(sols, sol).astype(np.intp)
        at = Locator.of(row, phase)
        # Per-sol offsets at midnights, linear across each sol (continuous at midnight).
        daily = np.stack(
            [self._daily(np.asarray([s])) for s in sols]
        )  # (n, 2, 3): this midnight and the next
        frac = np.arange(NODES_PER_SOL + 1) / NODES_PER_SOL
        ramp = daily[:, :1, :] * (1.0 - frac[None, :, None]) + daily[:, 1:, :] * frac[None, :, None]
        tau_nodes = dust_tau(p.dust, grid.ls_deg, ramp[..., 2])
        air_n, ground_n, sigma_n = temperature_nodes(
            p.temperature,
            grid,
            self.latitude_deg,
            tau_nodes,
            p.temperature.sol_to_sol_k * ramp[..., 0],
        )
        season = seasonal_pressure_pa(p.pressure, grid.ls_deg)
        smooth_p = season * (1.0 + tide_fraction(p.pressure, grid.ltst_h, tau_nodes))
        smooth_p = smooth_p + wave_pa(p.pressure, self.seed, grid.msd, grid.ls_deg)

        sin_e = at(grid.sin_elevation)
        ls = at(grid.ls_deg)
        turbulence = lattice_noise(
            self.seed, sols, Stream.TEMPERATURE, p.temperature.turbulence_step_s, row, phase
        )
        air = at(air_n) + at(sigma_n) * turbulence
        gust = lattice_noise(self.seed, sols, Stream.WIND_SPEED, p.wind.gust_step_s, row, phase)
        wander = lattice_noise(
            self.seed, sols, Stream.WIND_DIRECTION, 4.0 * p.wind.gust_step_s, row, phase
        )
        wind = wind_speed_mps(p.wind, wind_scale_mps(p.wind, sin_e), at(ramp[..., 1]), gust)
        pressure = at(smooth_p)
        density = pressure / (R_GAS_MARS * air)
        events = draw_vortices(
            p.vortices, p.wind, self.seed, sols, lambda r, f: Locator.of(r, f)(grid.sin_elevation)
        )
        dp, dv = vortex_signal(events, sol, phase, density)
        pressure = pressure + dp
        density = pressure / (R_GAS_MARS * air)
        return {
            "pressure_pa": pressure,
            "air_temperature_k": air,
            "ground_temperature_k": at(ground_n),
            "wind_speed_mps": wind + dv,
            "wind_direction_deg": wind_direction_deg(p.wind, sin_e, wander),
            "relative_humidity": relative_humidity(p.humidity, ls, pressure, air),
            "dust_tau": at(tau_nodes),
            "density_kg_m3": density,
            "sound_speed_mps": np.sqrt(GAMMA_MARS * R_GAS_MARS * air),
            "sun_elevation_deg": np.degrees(np.arcsin(np.clip(sin_e, -1.0, 1.0))),
            "ls_deg": np.mod(ls, 360.0),
            "lmst_h": 24.0 * phase,
        }

    def at(self, utc: datetime) -> dict[str, float]:
        """Every quantity of `QUANTITIES` at one instant ``utc`` (an aware datetime)."""
        when = np.array([utc.astimezone(UTC).replace(tzinfo=None)], dtype="datetime64[us]")
        return {name: float(value[0]) for name, value in self.weather_at(when).items()}

    def sol_weather(self, sol: int, cadence_s: float | None = None) -> dict[str, Any]:
        """Mission sol ``sol`` as a table (column name -> array), with ``utc``; at
        ``cadence_s`` [s] or, by default, MEDA's cadence (`meda_times`)."""
        times = self.meda_times(sol) if cadence_s is None else self.sol_times(sol, cadence_s)
        table: dict[str, Any] = {"utc": times}
        table.update(self.weather_at(times))
        return table

    def vortices(self, sol: int) -> VortexEvents:
        """The convective vortices that pass the site on mission sol ``sol``."""
        _check_sol(sol)
        sols = np.asarray([self.local_sol_number(sol)], dtype=np.int64)
        grid = SolGrid.build(sols, self.latitude_deg, self.longitude_east_deg)
        return draw_vortices(
            self.params.vortices,
            self.params.wind,
            self.seed,
            sols,
            lambda r, f: Locator.of(r, f)(grid.sin_elevation),
        )

    def sol_summary(self, sol: int, cadence_s: float | None = None) -> SolSummary:
        """Min, max and mean pressure and temperatures, peak wind and the vortex count of
        mission sol ``sol``, sampled every ``cadence_s`` [s] or at MEDA's cadence (None;
        ``cadence_s`` is then reported as 1 / sample rate)."""
        table = self.sol_weather(sol, cadence_s)
        events = self.vortices(sol)
        p, air, ground = (
            table["pressure_pa"],
            table["air_temperature_k"],
            table["ground_temperature_k"],
        )
        return SolSummary(
            sol=int(sol),
            ls_deg=float(table["ls_deg"][0]),
            pressure_min_pa=float(p.min()),
            pressure_max_pa=float(p.max()),
            pressure_mean_pa=float(p.mean()),
            air_temperature_min_k=float(air.min()),
            air_temperature_max_k=float(air.max()),
            ground_temperature_min_k=float(ground.min()),
            ground_temperature_max_k=float(ground.max()),
            peak_wind_mps=float(table["wind_speed_mps"].max()),
            mean_wind_mps=float(table["wind_speed_mps"].mean()),
            dust_tau=float(table["dust_tau"].mean()),
            vortex_count=len(events),
            dusty_vortex_count=int(events.dusty.sum()),
            cadence_s=float(
                1.0 / self.params.cadence.sample_rate_hz if cadence_s is None else cadence_s
            ),
        )


#: The furthest mission sol computed (about 15 Mars years).
MAX_SOL = 10_000


def _after(start: np.datetime64, offsets_s: FloatArray) -> NDArray[np.datetime64]:
    """``start`` plus ``offsets_s`` [s], to the microsecond."""
    steps = np.round(offsets_s * 1e6).astype(np.int64) * np.timedelta64(1, "us")
    return np.asarray(start + steps, dtype="datetime64[us]")


def _check_sol(sol: object) -> None:
    if isinstance(sol, bool) or not isinstance(sol, int | np.integer) or not 0 <= sol <= MAX_SOL:
        raise ConfigError(f"sol = {sol!r}: must be a whole number in 0..{MAX_SOL}")
