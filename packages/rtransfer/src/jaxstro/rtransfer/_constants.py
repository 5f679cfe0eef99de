"""Physical constants (cgs, Python floats) and the two constant sets the solvers accept.

``"codata2018"`` (the default) uses the exact SI values of h and k_B (2019 redefinition) and
the CODATA 2018 atomic mass unit. ``"exojax"`` reproduces ExoJAX 2.6: CODATA 2014 h and k_B
(hc/k_B = 1.4387773538277202 cm K, 2 pi h c^2 = 3.741771790075259e-5 erg cm^2 s^-1), the
CODATA 2014 m_u in optical depths and the CODATA 2022 m_u in scale heights. The two sets move
pi B_nu by 2-4e-6 (relative) and optical depths by 1.6e-8.
"""

from __future__ import annotations

import math

__all__ = [
    "C_CGS",
    "G_CGS",
    "GM_JUP_CGS",
    "H_CGS",
    "K_B_CGS",
    "M_JUP_G",
    "M_U_G",
    "R_JUP_CM",
    "constant_set",
]

H_CGS = 6.62607015e-27
"""Planck constant [erg s] (exact, SI 2019)."""
C_CGS = 2.99792458e10
"""Speed of light [cm s^-1] (exact)."""
K_B_CGS = 1.380649e-16
"""Boltzmann constant [erg K^-1] (exact, SI 2019)."""
M_U_G = 1.66053906660e-24
"""Atomic mass unit [g] (CODATA 2018)."""
G_CGS = 6.67430e-8
"""Newtonian constant of gravitation [cm^3 g^-1 s^-2] (CODATA 2018)."""
GM_JUP_CGS = 1.2668653e23
"""Nominal Jovian mass parameter G M_J [cm^3 s^-2] (IAU 2015 Resolution B3)."""
R_JUP_CM = 7.1492e9
"""Nominal Jovian equatorial radius [cm] (IAU 2015 Resolution B3)."""
M_JUP_G = GM_JUP_CGS / G_CGS
"""Jovian mass [g] = GM_JUP_CGS / G_CGS (1.89813e30 g)."""
BAR_CGS = 1.0e6  # dyn cm^-2 per bar

_SETS = {
    "codata2018": dict(
        hc_over_k=H_CGS * C_CGS / K_B_CGS,
        two_pi_hc2=2.0 * math.pi * H_CGS * C_CGS**2,
        k_b=K_B_CGS,
        m_u=M_U_G,
        m_u_scale_height=M_U_G,
    ),
    "exojax": dict(
        hc_over_k=1.4387773538277202,
        two_pi_hc2=3.741771790075259e-05,
        k_b=1.38064852e-16,
        m_u=1.66053904e-24,
        m_u_scale_height=1.66053906892e-24,
    ),
}

CONSTANT_SETS: tuple[str, ...] = tuple(_SETS)


def constant_set(name: str) -> dict[str, float]:
    """The constants of set ``name`` ("codata2018" or "exojax") as a dict of Python floats.

    Parameters
    ----------
    name : str
        "codata2018" (exact SI h, k_B; CODATA 2018 m_u) or "exojax" (ExoJAX 2.6's values).

    Returns
    -------
    dict
        ``hc_over_k`` [cm K], ``two_pi_hc2`` [erg cm^2 s^-1], ``k_b`` [erg K^-1], ``m_u`` [g]
        (optical depths), ``m_u_scale_height`` [g] (hydrostatic heights).

    Raises
    ------
    ValueError
        If ``name`` is not one of ``CONSTANT_SETS``.
    """
    if name not in _SETS:
        raise ValueError(f"constants must be one of {CONSTANT_SETS}; got {name!r}")
    return dict(_SETS[name])
