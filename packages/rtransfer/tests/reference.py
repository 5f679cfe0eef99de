"""Independent float64 numpy/scipy references for the tests (no jaxstro code inside)."""

from __future__ import annotations

import numpy as np
from scipy.special import expn

H = 6.62607015e-27  # erg s (exact SI)
C = 2.99792458e10  # cm s^-1
K_B = 1.380649e-16  # erg K^-1 (exact SI)
M_U = 1.66053906660e-24  # g (CODATA 2018)
# ExoJAX 2.6 (CODATA 2014 h, k_B)
HC_K_EXOJAX = 1.4387773538277202
TWO_PI_HC2_EXOJAX = 3.741771790075259e-05


def pi_planck(t, nu, exojax=False):
    """pi B_nu per unit wavenumber [erg s^-1 cm^-2 (cm^-1)^-1], float64 numpy."""
    t, nu = np.asarray(t, np.float64), np.asarray(nu, np.float64)
    if exojax:
        return TWO_PI_HC2_EXOJAX * nu**3 / np.expm1(HC_K_EXOJAX * nu / t)
    return 2.0 * np.pi * H * C**2 * nu**3 / np.expm1(H * C * nu / (K_B * t))


def exact_flux(dtau, t_layers, nu, bottom=True):
    """Emergent flux of isothermal layers with the exact angular integral:
    F = sum_n S_n [2 E3(tau_n) - 2 E3(tau_{n+1})] + S_bot 2 E3(tau_N)."""
    s = pi_planck(np.asarray(t_layers)[:, None], np.asarray(nu)[None, :])
    tau = np.vstack([np.zeros(dtau.shape[1]), np.cumsum(dtau, axis=0)])
    e3 = 2.0 * expn(3, tau)
    f = np.sum(s * (e3[:-1] - e3[1:]), axis=0)
    if bottom:
        f = f + s[-1] * e3[-1]
    return f


def exojax_layer_grid(p_top, p_btm, n):
    """ExoJAX's pressure_layer_logspace (reference point 0.5): centres, dP, boundaries."""
    p = np.logspace(np.log10(p_top), np.log10(p_btm), n)
    k = 10 ** (-(np.log10(p_btm) - np.log10(p_top)) / (n - 1))
    dp = (k**-0.5 - k**0.5) * p
    pb = np.append(k**0.5 * p, k**-0.5 * p[-1])
    return p, dp, pb


def seed_atmosphere(n_layers=100, n_grid=400):
    """dict(p, dp, pb, t, nu, dtau): power law T = 1200 K P^0.1, Lorentzian 'lines'."""
    p, dp, pb = exojax_layer_grid(1e-8, 1e2, n_layers)
    t = 1200.0 * p**0.1
    nu = np.linspace(4000.0, 4100.0, n_grid)
    k = 1e-3 + sum(
        a * 0.05**2 / ((nu - c) ** 2 + 0.05**2)
        for a, c in [(10.0, 4010.0), (1.0, 4030.0), (100.0, 4050.0), (0.1, 4070.0)]
    )
    dtau = 3.0 * dp[:, None] * np.sqrt(p)[:, None] * k[None, :]
    return dict(p=p, dp=dp, pb=pb, t=t, nu=nu, dtau=dtau)


# John (1988), A&A 193, 189, typed from the paper's Table 1 and Table 3a/3b.
JOHN_BF = [152.519, 49.534, -118.858, 92.536, -34.194, 4.982]
JOHN_FF_LONG = {  # lambda > 0.3645 um; n: (A, B, C, D, E, F)
    2: (2483.346, 285.827, -2054.291, 2827.776, -1341.537, 208.952),
    3: (-3449.889, -1158.382, 8746.523, -11485.632, 5303.609, -812.939),
    4: (2200.040, 2427.719, -13651.105, 16755.524, -7510.494, 1132.738),
    5: (-696.271, -1841.400, 8624.970, -10051.530, 4400.067, -655.020),
    6: (88.283, 444.517, -1863.865, 2095.288, -901.788, 132.985),
}
JOHN_FF_SHORT = {  # 0.1823 < lambda < 0.3645 um
    1: (518.1021, -734.8666, 1021.1775, -479.0721, 93.1373, -6.4285),
    2: (473.2636, 1443.4137, -1977.3395, 922.3575, -178.9275, 12.3600),
    3: (-482.2089, -737.1616, 1096.8827, -521.1341, 101.7963, -7.0571),
    4: (115.5291, 169.6374, -245.6490, 114.2430, -21.9972, 1.5097),
}


def john1988_kappa(lam_um, t, alpha=H * C / K_B * 1e4):
    """H- bound-free + free-free absorption [cm^4 dyn^-1] per H atom per unit P_e, scalar.

    ``alpha`` = hc/k_B [um K]; the paper prints the rounded 1.439e4, which moves the
    bound-free part by ~1e-3 at 2000 K."""
    lam0 = 1.6419  # um
    kbf = 0.0
    if lam_um <= lam0:
        x = 1.0 / lam_um - 1.0 / lam0
        f = sum(c * x ** (i / 2.0) for i, c in enumerate(JOHN_BF))
        sigma = 1e-18 * lam_um**3 * x**1.5 * f
        kbf = 0.750 * t**-2.5 * np.exp(alpha / (lam0 * t)) * (1 - np.exp(-alpha / (lam_um * t)))
        kbf *= sigma
    table = JOHN_FF_LONG if lam_um > 0.3645 else JOHN_FF_SHORT
    theta = 5040.0 / t
    kff = 1e-29 * sum(
        theta ** ((n + 1) / 2.0)
        * (lam_um**2 * a + b + c / lam_um + d / lam_um**2 + e / lam_um**3 + f / lam_um**4)
        for n, (a, b, c, d, e, f) in table.items()
    )
    return kbf + kff


def matrix_flux(dtau, t, nu, method="ibased", nstream=8, bottom=True, t_bnd=None):
    """All-layers (n_layers, n_grid) numpy float64 form of the three solvers (exact SI
    constants): the reference for the layer-by-layer path."""
    dtau = np.asarray(dtau, np.float64)
    n = dtau.shape[0]
    tau = np.vstack([np.zeros(dtau.shape[1]), np.cumsum(dtau, axis=0)])  # boundaries
    if method == "fbased2st":
        s = pi_planck(np.asarray(t)[:, None], nu[None, :])
        tr = 2.0 * expn(3, dtau)
        above = np.vstack([np.ones(dtau.shape[1]), np.cumprod(tr, axis=0)])
        f = np.sum(s * (1.0 - tr) * above[:-1], axis=0)
        return f + (s[-1] * above[-1] if bottom else 0.0)
    x, w = np.polynomial.legendre.leggauss(nstream // 2)
    mu, w = 0.5 * (x + 1.0), 0.5 * w
    f = np.zeros(dtau.shape[1])
    if method == "ibased":
        s = pi_planck(np.asarray(t)[:, None], nu[None, :])
        for m, wi in zip(mu, w, strict=True):
            e = np.exp(-tau / m)
            i = np.sum(s * (e[:-1] - e[1:]), axis=0) + (s[-1] * e[-1] if bottom else 0.0)
            f += 2.0 * m * wi * i
        return f
    sb = pi_planck(np.asarray(t_bnd)[:, None], nu[None, :])
    for m, wi in zip(mu, w, strict=True):
        xx = dtau / m
        with np.errstate(divide="ignore", invalid="ignore"):
            fac = np.where(xx > 0, -np.expm1(-xx) / np.where(xx > 0, xx, 1.0), 1.0)
        beta, gamma = 1.0 - fac, fac - np.exp(-xx)
        i = np.sum(np.exp(-tau[:-1] / m) * (beta * sb[:n] + gamma * sb[1:]), axis=0)
        f += 2.0 * m * wi * (i + (sb[-1] * np.exp(-tau[-1] / m) if bottom else 0.0))
    return f
