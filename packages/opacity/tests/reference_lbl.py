"""Independent float64 line-by-line cross sections with numpy and scipy.special.wofz.

Written from the textbook formulas (HITRAN definitions), sharing no code with jaxstro.opacity.
"""

import numpy as np
from scipy.special import wofz

C2 = 1.438776877  # cm K
KB = 1.380649e-16
C = 2.99792458e10
AMU = 1.66053906660e-24


def q_of_t(lines, t):
    """Partition function per line at t (linear interpolation of the table)."""
    rows = np.array([np.interp(t, lines.pf_t_k, q) for q in lines.pf_q])
    return rows[lines.pf_index]


def cross_section(lines, nu_grid, t, p, chunk=500):
    nu_l = np.asarray(lines.nu_cm1, dtype=np.float64)
    s_ref = np.asarray(lines.strength_ref) * np.asarray(lines.abundance)
    e = lines.elower_cm1
    tr = lines.t_ref_k
    s = (
        s_ref
        * q_of_t(lines, tr)
        / q_of_t(lines, t)
        * np.exp(-C2 * e / t)
        / np.exp(-C2 * e / tr)
        * (1 - np.exp(-C2 * nu_l / t))
        / (1 - np.exp(-C2 * nu_l / tr))
    )
    sigma = nu_l / C * np.sqrt(KB * t / (lines.molmass_amu * AMU))
    gamma = p * np.sum(
        lines.broadener_fractions * lines.gamma_ref * (tr / t) ** lines.n_temp, axis=1
    )
    out = np.zeros_like(nu_grid, dtype=np.float64)
    for i in range(0, nu_l.size, chunk):
        sl = slice(i, i + chunk)
        z = ((nu_grid[None, :] - nu_l[sl, None]) + 1j * gamma[sl, None]) / (
            sigma[sl, None] * np.sqrt(2)
        )
        prof = wofz(z).real / (sigma[sl, None] * np.sqrt(2 * np.pi))
        out += s[sl] @ prof
    return out


def line_intensity(lines, t):
    """Line intensities S(T) [cm/molecule] (HITRAN convention)."""
    nu_l = np.asarray(lines.nu_cm1, dtype=np.float64)
    s_ref = np.asarray(lines.strength_ref) * np.asarray(lines.abundance)
    tr = lines.t_ref_k
    return (
        s_ref
        * q_of_t(lines, tr)
        / q_of_t(lines, t)
        * np.exp(-C2 * lines.elower_cm1 * (1 / t - 1 / tr))
        * (1 - np.exp(-C2 * nu_l / t))
        / (1 - np.exp(-C2 * nu_l / tr))
    )
