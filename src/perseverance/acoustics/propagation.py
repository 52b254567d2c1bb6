"""Sound in a thin CO2 atmosphere (or Earth's): speed, absorption, spreading, impedance.

The local air is plain inputs (`Air`: pressure [Pa], temperature [K], wind [m/s] and the
mole fractions of CO2, N2, O2, Ar and H2O); `mars_air` and `earth_air` build the two
cases. From it `wavenumber` gives the complex wavenumber k(f) = ω/c(f) - iα(f) [1/m]
(time convention e^{+iωt}, so a wave travelling a distance r is multiplied by
exp(-ikr)), and `propagate` moves a batch of source signals [Pa·m] to a distance r [m]
in the frequency domain: p(r, ω) = S(ω) exp(-ik(ω)r) / r (FFT, multiply, inverse FFT).

The model (Bass & Chambers 2001, JASA 109:3069; Petculescu & Lueptow 2007, Icarus
186:413 for Mars), all in units of the gas constant per mole of mixture:

- Frozen heat capacity C_v∞ = Σ x_s d_s (d = 3/2 monatomic, 5/2 linear, 3 for H2O).
- Each relaxing vibrational mode j adds C_j / (1 + iωτ_j) to C_v. For CO2's bending
  mode C_j = x_CO2 · `CO2_RELAXING_HEAT_CAPACITY_R`, which makes γ go from 9/7 below the
  relaxation frequency to 7/5 above it in pure CO2 (docs/reference/instruments.md §2a);
  its relaxation frequency scales with pressure from `CO2_RELAXATION_FREQUENCY_HZ` at
  `CO2_RELAXATION_REFERENCE_PA` (the ≈ 240 Hz transition of §2a). O2 and N2 relax with
  the Einstein heat capacity of their vibration and the relaxation frequencies of ISO
  9613-1 (docs/reference/instruments.md §2e), which is how Earth's absorption comes out.
  τ_j is set so that the absorption per wavelength of the mode alone peaks at f_j.
- γ(ω) = 1 + 1/C_v(ω), c(ω)² = γ(ω) R T, k_relax = ω / c(ω) (principal root).
- Classical and rotational absorption, added to the imaginary part: α_cl = ω²/(2ρc³) ·
  (4μ/3 + μ_B + (γ∞ - 1)κ/c_p∞) with Sutherland viscosity μ and conductivity κ
  (mole-fraction mix of CO2 and air), bulk viscosity μ_B = `BULK_VISCOSITY_RATIO` · μ.

Spherical spreading is the 1/r of a point source; `impedance` is ρc0 [Pa·s/m], and a
source of given acoustic power W gives p_rms = √(Wρc/4π)/r, so the same source is
10 log10(ρc_Mars/ρc_Earth) ≈ -20 dB quieter on Mars (§2a).

Leaves out: the temperature dependence of CO2's relaxation time (Landau-Teller), the
collision partners' effect on it, turbulence and the fast-path effect (§2b), wind
refraction, ground reflections and mast echoes, non-linear (finite-amplitude) effects.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from perseverance.errors import ConfigError

__all__ = [
    "BULK_VISCOSITY_RATIO",
    "CO2_RELAXATION_FREQUENCY_HZ",
    "CO2_RELAXATION_REFERENCE_PA",
    "CO2_RELAXING_HEAT_CAPACITY_R",
    "Air",
    "absorption_np_per_m",
    "classical_absorption_np_per_m",
    "earth_air",
    "impedance",
    "mars_air",
    "phase_speed",
    "propagate",
    "sound_speeds",
    "transfer_function",
    "wavenumber",
]

FloatArray = NDArray[np.float64]
ComplexArray = NDArray[np.complex128]

#: Universal gas constant [J/(mol K)] (CODATA 2018, exact).
R_UNIVERSAL = 8.314462618

#: Molar masses [kg/mol] (IUPAC standard atomic weights).
MOLAR_MASS = {
    "co2": 44.0095e-3,
    "n2": 28.0134e-3,
    "o2": 31.9988e-3,
    "ar": 39.948e-3,
    "h2o": 18.0153e-3,
}
#: Translational plus rotational heat capacity per molecule [R]: 3/2 for a monatomic gas,
#: 5/2 for a linear molecule, 3 for H2O (equipartition).
FROZEN_HEAT_CAPACITY_R = {"co2": 2.5, "n2": 2.5, "o2": 2.5, "ar": 1.5, "h2o": 3.0}

#: The relaxing heat capacity of CO2's bending mode [R per CO2 molecule]: 1, the value that
#: takes γ from 7/5 (frozen) to 9/7 (relaxed) in pure CO2 (docs/reference/instruments.md
#: §2a, Chide et al. LPSC 2022). The harmonic-oscillator value at 240 K (0.61 R for the
#: doubly degenerate 667 cm^-1 mode) would give a 7 m/s split instead of the ≈ 10 m/s
#: measured; we take the reference's figure.
CO2_RELAXING_HEAT_CAPACITY_R = 1.0
#: CO2's relaxation frequency at `CO2_RELAXATION_REFERENCE_PA` [Hz]: the ≈ 240 Hz
#: transition of docs/reference/instruments.md §2a.
CO2_RELAXATION_FREQUENCY_HZ = 240.0
#: The pressure at which the relaxation frequency is 240 Hz [Pa] (E: Jezero's pressure in
#: the recordings, ≈ 0.6-0.75 kPa, docs/reference/surface.md and §4); it scales as p.
CO2_RELAXATION_REFERENCE_PA = 700.0
#: Characteristic vibrational temperatures of O2 and N2 [K] (ISO 9613-1, §2e).
THETA_O2_K = 2239.1
THETA_N2_K = 3352.0

#: ISO 9613-1 reference pressure [Pa], reference temperature [K] and the triple point [K]
#: (docs/reference/instruments.md §2e).
ISO_P_REF_PA = 101_325.0
ISO_T_REF_K = 293.15
ISO_T_TRIPLE_K = 273.16

#: Sutherland's law μ = μ0 (T/T0)^1.5 (T0 + S)/(T + S), with (μ0 [Pa s] or κ0 [W/(m K)],
#: T0 [K], S [K]) (White, Viscous Fluid Flow, Tables 1-2 and 1-3; §2e).
SUTHERLAND_VISCOSITY = {"co2": (1.370e-5, 273.0, 222.0), "air": (1.716e-5, 273.0, 111.0)}
SUTHERLAND_CONDUCTIVITY = {"co2": (0.0146, 273.0, 1800.0), "air": (0.0241, 273.0, 194.0)}
#: Bulk (rotational-relaxation) viscosity over shear viscosity (E: 0.6, the ratio that
#: with the shear and conduction terms reproduces ISO 9613-1's classical coefficient
#: for air, §2e; taken for CO2 too).
BULK_VISCOSITY_RATIO = 0.6

#: The remainder of the Mars atmosphere besides CO2, as mole fractions of that remainder
#: (E: N2 and Ar in equal parts, both ≈ 2% of the air).
MARS_REMAINDER = {"n2": 0.5, "ar": 0.5}
#: Dry Earth air, mole fractions (ISO 2533 standard atmosphere composition).
EARTH_DRY_AIR = {"n2": 0.78084, "o2": 0.209476, "ar": 0.00934, "co2": 0.000344}

#: The span of inputs the model is meant for (wider than Mars and Earth both).
PRESSURE_RANGE_PA = (10.0, 200_000.0)
TEMPERATURE_RANGE_K = (100.0, 400.0)
WIND_RANGE_MPS = (0.0, 100.0)


@dataclass(frozen=True)
class Air:
    """The local atmosphere: pressure [Pa], temperature [K], wind speed [m/s] and the
    mole fractions of its gases (summing to 1). Build it with `mars_air` or `earth_air`.
    """

    pressure_pa: float
    temperature_k: float
    wind_speed_mps: float
    co2: float
    n2: float
    o2: float = 0.0
    ar: float = 0.0
    h2o: float = 0.0

    def __post_init__(self) -> None:
        _check("pressure_pa", self.pressure_pa, PRESSURE_RANGE_PA)
        _check("temperature_k", self.temperature_k, TEMPERATURE_RANGE_K)
        _check("wind_speed_mps", self.wind_speed_mps, WIND_RANGE_MPS)
        for name in MOLAR_MASS:
            _check(name, getattr(self, name), (0.0, 1.0))
        total = sum(getattr(self, name) for name in MOLAR_MASS)
        if abs(total - 1.0) > 1e-6:
            raise ConfigError(f"the air's mole fractions sum to {total:.6f} (allowed: 1)")

    def fraction(self, gas: str) -> float:
        """The mole fraction of ``gas`` (``co2``, ``n2``, ``o2``, ``ar``, ``h2o``)."""
        return float(getattr(self, gas))

    @property
    def molar_mass_kg_per_mol(self) -> float:
        """Mean molar mass [kg/mol]."""
        return sum(self.fraction(g) * m for g, m in MOLAR_MASS.items())

    @property
    def gas_constant(self) -> float:
        """Specific gas constant R [J/(kg K)]."""
        return R_UNIVERSAL / self.molar_mass_kg_per_mol

    @property
    def density_kg_m3(self) -> float:
        """Density from the ideal gas law [kg/m^3]."""
        return self.pressure_pa / (self.gas_constant * self.temperature_k)

    @property
    def dynamic_pressure_pa(self) -> float:
        """The wind's dynamic pressure ½ρv² [Pa]."""
        return 0.5 * self.density_kg_m3 * self.wind_speed_mps**2

    @property
    def frozen_heat_capacity_r(self) -> float:
        """C_v∞: translational plus rotational heat capacity per mole [R]."""
        return sum(self.fraction(g) * d for g, d in FROZEN_HEAT_CAPACITY_R.items())

    def relaxation_modes(self) -> tuple[FloatArray, FloatArray]:
        """(strengths C_j [R per mole of mixture], relaxation frequencies f_j [Hz]) of
        the CO2, O2 and N2 vibrational modes (see the module docstring)."""
        p, t = self.pressure_pa, self.temperature_k
        h_percent = 100.0 * self.h2o
        f_co2 = CO2_RELAXATION_FREQUENCY_HZ * p / CO2_RELAXATION_REFERENCE_PA
        f_o2 = (p / ISO_P_REF_PA) * (
            24.0 + 4.04e4 * h_percent * (0.02 + h_percent) / (0.391 + h_percent)
        )
        f_n2 = (
            (p / ISO_P_REF_PA)
            * (t / ISO_T_REF_K) ** -0.5
            * (9.0 + 280.0 * h_percent * math.exp(-4.170 * ((t / ISO_T_REF_K) ** (-1 / 3) - 1.0)))
        )
        strengths = np.array(
            [
                self.co2 * CO2_RELAXING_HEAT_CAPACITY_R,
                self.o2 * _einstein(THETA_O2_K / t),
                self.n2 * _einstein(THETA_N2_K / t),
            ]
        )
        return strengths, np.array([f_co2, f_o2, f_n2])

    def viscosity_pa_s(self) -> float:
        """Shear viscosity μ [Pa s]: CO2 and air by Sutherland, mixed by mole fraction."""
        return _mix(SUTHERLAND_VISCOSITY, self.co2, self.temperature_k)

    def conductivity_w_m_k(self) -> float:
        """Thermal conductivity κ [W/(m K)], mixed like the viscosity."""
        return _mix(SUTHERLAND_CONDUCTIVITY, self.co2, self.temperature_k)


def mars_air(
    pressure_pa: float,
    temperature_k: float,
    wind_speed_mps: float = 0.0,
    co2_fraction: float = 0.95,
) -> Air:
    """Mars near-surface air: CO2 (≈ 95%, docs/reference/surface.md), the rest N2 and Ar
    (`MARS_REMAINDER`)."""
    _check("co2_fraction", co2_fraction, (0.0, 1.0))
    rest = {g: (1.0 - co2_fraction) * share for g, share in MARS_REMAINDER.items()}
    return Air(pressure_pa, temperature_k, wind_speed_mps, co2=co2_fraction, **rest)


def earth_air(
    pressure_pa: float = ISO_P_REF_PA,
    temperature_k: float = 288.15,
    relative_humidity: float = 0.5,
    wind_speed_mps: float = 0.0,
) -> Air:
    """Earth air: the dry composition (`EARTH_DRY_AIR`) plus water vapour at the given
    relative humidity (0-1), saturation pressure as in ISO 9613-1 (§2e)."""
    _check("relative_humidity", relative_humidity, (0.0, 1.0))
    _check("temperature_k", temperature_k, TEMPERATURE_RANGE_K)
    _check("pressure_pa", pressure_pa, PRESSURE_RANGE_PA)
    p_sat = ISO_P_REF_PA * 10.0 ** (-6.8346 * (ISO_T_TRIPLE_K / temperature_k) ** 1.261 + 4.6151)
    h2o = min(relative_humidity * p_sat / pressure_pa, 0.5)
    dry = {g: (1.0 - h2o) * x for g, x in EARTH_DRY_AIR.items()}
    dry["n2"] += 1.0 - h2o - sum(dry.values())  # rounding of the table into N2
    return Air(pressure_pa, temperature_k, wind_speed_mps, h2o=h2o, **dry)


def _check(field: str, value: float, bounds: tuple[float, float]) -> None:
    lo, hi = bounds
    if not (math.isfinite(value) and lo <= value <= hi):
        raise ConfigError(f"{field} = {value!r} is out of range ({lo:g}..{hi:g})")


def _einstein(x: float) -> float:
    """Heat capacity of one harmonic vibration [R] at θ/T = x."""
    if x > 700.0:
        return 0.0
    e = math.exp(x)
    return x * x * e / (e - 1.0) ** 2


def _mix(table: dict[str, tuple[float, float, float]], co2: float, t: float) -> float:
    def sutherland(gas: str) -> float:
        v0, t0, s = table[gas]
        return float(v0 * (t / t0) ** 1.5 * (t0 + s) / (t + s))

    return co2 * sutherland("co2") + (1.0 - co2) * sutherland("air")


def _heat_capacity(air: Air, omega: FloatArray) -> ComplexArray:
    """C_v(ω) [R per mole] with every relaxing mode; shape of ``omega``."""
    cv_inf = air.frozen_heat_capacity_r
    strengths, freqs = air.relaxation_modes()
    keep = strengths > 1e-12
    strengths, freqs = strengths[keep], freqs[keep]
    cv0 = cv_inf + strengths
    # τ such that the mode's absorption per wavelength peaks at its frequency
    tau = 1.0 / (2 * np.pi * freqs * np.sqrt((cv_inf + 1) * cv_inf / ((cv0 + 1) * cv0)))
    w = np.asarray(omega, dtype=float)[..., None]
    return np.asarray(
        cv_inf + np.sum(strengths / (1.0 + 1j * w * tau), axis=-1), dtype=np.complex128
    )


def phase_speed(freq_hz: FloatArray | float, air: Air) -> FloatArray:
    """Phase speed ω/Re(k) [m/s] at each frequency [Hz] (at 0 Hz: the relaxed c0)."""
    f = np.maximum(np.asarray(freq_hz, dtype=float), 1e-9)
    k = wavenumber(f, air)
    return np.asarray(2 * np.pi * f / k.real, dtype=float)


def sound_speeds(air: Air) -> tuple[float, float]:
    """(c0, c∞): the relaxed (low-frequency) and frozen (high-frequency) speeds [m/s]."""
    cv_inf = air.frozen_heat_capacity_r
    cv0 = cv_inf + float(np.sum(air.relaxation_modes()[0]))
    rt = air.gas_constant * air.temperature_k
    return math.sqrt((1 + 1 / cv0) * rt), math.sqrt((1 + 1 / cv_inf) * rt)


def impedance(air: Air) -> float:
    """Characteristic acoustic impedance ρc0 [Pa s/m]."""
    return air.density_kg_m3 * sound_speeds(air)[0]


def classical_absorption_np_per_m(
    freq_hz: FloatArray | float,
    *,
    density_kg_m3: float,
    sound_speed_mps: float,
    viscosity_pa_s: float,
    bulk_viscosity_pa_s: float,
    conductivity_w_m_k: float,
    gamma: float,
    cp_j_kg_k: float,
) -> FloatArray:
    """Classical plus rotational absorption α_cl = ω²/(2ρc³)(4μ/3 + μ_B + (γ-1)κ/c_p)
    [Np/m] (Stokes-Kirchhoff; docs/reference/instruments.md §2c without μ_B)."""
    w = 2 * np.pi * np.asarray(freq_hz, dtype=float)
    losses = (
        4 * viscosity_pa_s / 3
        + bulk_viscosity_pa_s
        + ((gamma - 1) * conductivity_w_m_k / cp_j_kg_k)
    )
    return np.asarray(w**2 / (2 * density_kg_m3 * sound_speed_mps**3) * losses, dtype=float)


def _classical(freq_hz: FloatArray, air: Air) -> FloatArray:
    cv_inf = air.frozen_heat_capacity_r
    mu = air.viscosity_pa_s()
    return classical_absorption_np_per_m(
        freq_hz,
        density_kg_m3=air.density_kg_m3,
        sound_speed_mps=sound_speeds(air)[0],
        viscosity_pa_s=mu,
        bulk_viscosity_pa_s=BULK_VISCOSITY_RATIO * mu,
        conductivity_w_m_k=air.conductivity_w_m_k(),
        gamma=1 + 1 / cv_inf,
        cp_j_kg_k=(cv_inf + 1) * air.gas_constant,
    )


def wavenumber(freq_hz: FloatArray | float, air: Air) -> ComplexArray:
    """Complex wavenumber k = ω/c(ω) - iα [1/m] at each frequency [Hz] (f ≥ 0).

    Example: the frozen and relaxed speeds in Mars air at 235 K, 700 Pa

    >>> air = mars_air(700.0, 235.0)
    >>> [round(float(c)) for c in phase_speed(np.array([10.0, 20_000.0]), air)]
    [241, 251]
    """
    f = np.asarray(freq_hz, dtype=float)
    omega = 2 * np.pi * f
    cv = _heat_capacity(air, omega)
    c = np.sqrt((1.0 + 1.0 / cv) * air.gas_constant * air.temperature_k)
    k = omega / c
    return np.asarray(k - 1j * _classical(f, air), dtype=np.complex128)


def absorption_np_per_m(freq_hz: FloatArray | float, air: Air) -> FloatArray:
    """Absorption coefficient α = -Im k [Np/m] (×8.686 for dB/m)."""
    return np.asarray(-wavenumber(freq_hz, air).imag, dtype=float)


def transfer_function(freq_hz: ArrayLike, distance_m: ArrayLike, air: Air) -> ComplexArray:
    """exp(-ik(f)r)/r for each distance [m] (axis 0) and frequency [Hz] (axis 1)."""
    k = wavenumber(np.asarray(freq_hz, dtype=float), air)
    r = np.asarray(distance_m, dtype=float)[:, None]
    if np.any(r <= 0):
        raise ConfigError("distance_m must be above 0 (a point source needs a distance)")
    return np.asarray(np.exp(-1j * k[None, :] * r) / r, dtype=np.complex128)


def propagate(
    strength_pa_m: FloatArray,
    sample_rate_hz: float,
    distance_m: FloatArray,
    air: Air,
) -> FloatArray:
    """Pressure [Pa] at ``distance_m`` of point sources of the given strengths.

    ``strength_pa_m`` is (N, n) samples of each source's strength s(t) [Pa·m] (the
    pressure times distance it would make without delay or loss); ``distance_m`` is (N,).
    Returns (N, n): each row's FFT times exp(-ik r)/r, transformed back. The signal is
    periodic over its n samples: pad it by more than the longest travel time.
    """
    s = np.atleast_2d(np.asarray(strength_pa_m, dtype=float))
    n = s.shape[-1]
    freqs = np.fft.rfftfreq(n, 1.0 / sample_rate_hz)
    h = transfer_function(freqs, np.atleast_1d(distance_m), air)
    return np.asarray(np.fft.irfft(np.fft.rfft(s, axis=-1) * h, n=n, axis=-1), dtype=float)
