"""Physical constants of Mars, each named and cited once (SI units).

Every other module imports its constants from here.
"""

from __future__ import annotations

import math

#: Gravitational parameter GM [m^3/s^2]. IAU/JPL planetary constants.
GM_MARS = 4.282837e13

#: Equatorial radius of the IAU 2015 Mars ellipsoid [m]; also the reference
#: sphere above which heights are measured unless a name says otherwise.
R_MARS = 3_396_190.0

#: Polar radius of the IAU 2000 Mars ellipsoid [m] (Seidelmann et al. 2002),
#: used as a smooth approximation of the MOLA areoid.
R_MARS_POLAR = 3_376_200.0

#: Flattening of the Mars ellipsoid (dimensionless), derived from the radii.
FLATTENING_MARS = 1.0 - R_MARS_POLAR / R_MARS

#: Second zonal harmonic J2 (dimensionless), as used in AMAT's planet data.
J2_MARS = 1.96045e-3

#: Sidereal rotation rate [rad/s] (IAU; sidereal day 88,642.66 s).
OMEGA_MARS = 7.088218e-5

#: Mean solar day, the sol [s]. Mars24 (Allison & McEwen 2000).
SOL_S = 88_775.244

#: One hour of local mean solar time (LMST) [s]: a twenty-fourth of a sol.
LMST_HOUR_S = SOL_S / 24.0

#: Obliquity of the rotation axis to the orbit plane [deg]. Mars24 (Allison & McEwen 2000,
#: Planet. Space Sci. 48:215), whose subsolar declination is arcsin(sin 25.19 deg sin Ls).
OBLIQUITY_MARS_DEG = 25.19

#: Specific gas constant of the Mars atmosphere [J/(kg K)] (~95% CO2).
R_GAS_MARS = 188.92

#: Ratio of specific heats of the Mars atmosphere (dimensionless); the
#: standard range is 1.29-1.33, we take the value for CO2 near 200 K.
GAMMA_MARS = 1.30

#: Standard gravity [m/s^2], used only to express g-loads and Isp (ISO 80000-3).
G0 = 9.80665

#: Sutton & Graves (1971) stagnation-point heating constant for Mars [SI].
SUTTON_GRAVES_K_MARS = 1.9027e-4

DEG = math.pi / 180.0
