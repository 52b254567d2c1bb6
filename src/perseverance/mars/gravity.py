"""Gravity of Mars: point mass plus the J2 oblateness term, in the body-fixed frame.

Leaves out: higher harmonics (J3 and up, tesserals), whose effect over an
entry of a few minutes is far below the navigation errors.
"""

from __future__ import annotations

from perseverance.mars.constants import GM_MARS, J2_MARS, R_MARS
from perseverance.mars.frames import Real


def gravity_j2(x: Real, y: Real, z: Real) -> tuple[Real, Real, Real]:
    """Gravitational acceleration [m/s^2] at body-fixed position ``(x, y, z)`` [m].

    Standard J2 expansion (e.g. Vallado, *Fundamentals of Astrodynamics*, eq. 8-30).
    Returns ``(gx, gy, gz)``, each of the shape of the inputs.
    """
    r2 = x * x + y * y + z * z
    r = r2**0.5
    mu_r3 = GM_MARS / (r2 * r)
    k = 1.5 * J2_MARS * R_MARS * R_MARS / r2
    zz = 5.0 * z * z / r2
    horizontal = -mu_r3 * (1.0 + k * (1.0 - zz))
    return horizontal * x, horizontal * y, -mu_r3 * z * (1.0 + k * (3.0 - zz))
