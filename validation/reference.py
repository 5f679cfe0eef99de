"""Independent float64 references for the validation page (numpy, scipy, astropy only).

Nothing here imports jaxstro: each function is written from the published formula or reads
the shipped data files directly, so that agreement with jaxstro is evidence, not tautology.
Parts follow the test helpers of the packages (``packages/*/tests/reference_*.py``) but are
copies, not imports: this folder is not a package and does not depend on the tests.
"""

from __future__ import annotations

import bz2
import pathlib

import numpy as np
from scipy import integrate, stats
from scipy.integrate import simpson
from scipy.interpolate import InterpolatedUnivariateSpline as IUS
from scipy.special import wofz

# --- line-by-line cross sections (HITRAN definitions) ------------------------------------
C2 = 1.438776877  # cm K (CODATA 2018)
KB = 1.380649e-16  # erg/K
C_CGS = 2.99792458e10  # cm/s
AMU = 1.66053906660e-24  # g


def _q(lines, t):
    rows = np.array([np.interp(t, lines.pf_t_k, q) for q in lines.pf_q])
    return rows[lines.pf_index]


def lbl_cross_section(lines, nu_grid, t, p, chunk=400):
    """sum_l S_l(T) V(nu - nu_l; sigma_l, gamma_l) with V = Re w(z) / (sigma sqrt(2 pi)),
    w = scipy.special.wofz, per-line Doppler mass, in float64 [cm^2/molecule]."""
    nu_l = np.asarray(lines.nu_cm1, dtype=np.float64)
    s_ref = np.asarray(lines.strength_ref) * np.asarray(lines.abundance)
    e, tr = np.asarray(lines.elower_cm1), lines.t_ref_k
    s = (
        s_ref
        * _q(lines, tr)
        / _q(lines, t)
        * np.exp(-C2 * e * (1 / t - 1 / tr))
        * (1 - np.exp(-C2 * nu_l / t))
        / (1 - np.exp(-C2 * nu_l / tr))
    )
    sigma = nu_l / C_CGS * np.sqrt(KB * t / (np.asarray(lines.molmass_amu) * AMU))
    gamma = p * np.sum(
        np.asarray(lines.broadener_fractions)
        * np.asarray(lines.gamma_ref)
        * (tr / t) ** np.asarray(lines.n_temp),
        axis=1,
    )
    out = np.zeros(nu_grid.size)
    for i in range(0, nu_l.size, chunk):
        sl = slice(i, i + chunk)
        z = ((nu_grid[None, :] - nu_l[sl, None]) + 1j * gamma[sl, None]) / (
            sigma[sl, None] * np.sqrt(2)
        )
        out += s[sl] @ (wofz(z).real / (sigma[sl, None] * np.sqrt(2 * np.pi)))
    return out


# --- ExoMol .pf and HITRAN .cia files, parsed with numpy ----------------------------------
def read_pf_file(path: pathlib.Path):
    """(T, Q) columns of an ExoMol .pf(.bz2) file."""
    opener = bz2.open if str(path).endswith(".bz2") else open
    with opener(path, "rt") as fh:
        a = np.loadtxt(fh)
    return a[:, 0], a[:, 1]


def read_cia_file(path: pathlib.Path):
    """Blocks of a HITRAN .cia file: list of (T, nu, coeff) straight from the text."""
    blocks = []
    opener = bz2.open if str(path).endswith(".bz2") else open
    with opener(path, "rt") as fh:
        lines = fh.read().splitlines()
    i = 0
    while i < len(lines):
        head = lines[i].split()
        if not head:
            i += 1
            continue
        n, t = int(head[3]), float(head[4])
        rows = np.array([lines[i + 1 + k].split()[:2] for k in range(n)], dtype=np.float64)
        blocks.append((t, rows[:, 0], rows[:, 1]))
        i += n + 1
    return blocks


# --- GD-1 stream objective (the reference analysis' formulation, scipy splines) ----------
AMP_KNOTS = np.linspace(-110, 30, 31)
TRACK_KNOTS = np.linspace(-110, 30, 17)
BG_KNOTS = np.linspace(-120, 40, 7)


def _gd1_log_rate(phi1, phi2, p):
    amp = IUS(AMP_KNOTS, p["ln_amp"], k=3)(phi1)
    mean = IUS(TRACK_KNOTS, p["track"], k=3)(phi1)
    sd = np.exp(IUS(TRACK_KNOTS, p["ln_width"], k=3)(phi1))
    bg = IUS(BG_KNOTS, p["ln_bg"], k=3)(phi1)
    return np.logaddexp(amp + stats.norm.logpdf(phi2, mean, sd), bg)


def gd1_objective(p, phi1, phi2, *, step=0.1, window=((-100.0, 20.0), (-7.0, 5.0))):
    """-(log L + log prior) / N with the rate integrated by nested scipy Simpson on the 2-D
    mesh and random-walk priors of variance 1 on the three stream splines."""
    p = {k: np.asarray(v, dtype=np.float64) for k, v in p.items()}
    (a1, b1), (a2, b2) = window
    g1 = np.linspace(a1, b1, int(round((b1 - a1) / step)) + 1)
    g2 = np.linspace(a2, b2, int(round((b2 - a2) / step)) + 1)
    m1, m2 = np.meshgrid(g1, g2, indexing="ij")
    rate = np.exp(_gd1_log_rate(m1.ravel(), m2.ravel(), p)).reshape(m1.shape)
    integral = simpson(simpson(rate, x=g2, axis=1), x=g1)
    loglike = np.sum(_gd1_log_rate(phi1, phi2, p)) - integral
    logprior = sum(
        np.sum(stats.norm.logpdf(p[k][1:], p[k][:-1], 1.0)) for k in ("ln_amp", "track", "ln_width")
    )
    return -(loglike + logprior) / phi1.size


# --- galaxy SED (published formulas; scipy.quad age bins, astropy distances) -------------
L_SUN = 3.826e33
MPC_CM = 3.0856775814913673e24


def astropy_planck18():
    from astropy.cosmology import FlatLambdaCDM

    # jaxstro's PLANCK18 (h 0.6766, Omega_c 0.26069, Omega_b 0.04897, flat, no radiation)
    return FlatLambdaCDM(H0=67.66, Om0=0.26069 + 0.04897, Ob0=0.04897, Tcmb0=0.0)


def sfr_dpl(t, log_peak_sfr, tau, alpha, beta):
    t = np.asarray(t, float)
    with np.errstate(divide="ignore", over="ignore"):
        out = 10.0**log_peak_sfr / ((t / tau) ** alpha + (t / tau) ** -beta)
    return np.where(t > 0, out, 0.0)


def bin_masses(sfr, lg_age_gyr, t_obs):
    mid = 10 ** (0.5 * (lg_age_gyr[1:] + lg_age_gyr[:-1]))
    e = np.minimum(np.concatenate([[0.0], mid, [np.inf]]), t_obs)
    out = np.zeros(lg_age_gyr.size)
    for i in range(lg_age_gyr.size):
        if e[i + 1] > e[i]:
            out[i] = integrate.quad(
                lambda tau: sfr(t_obs - tau), e[i], e[i + 1], epsrel=1e-10, limit=200
            )[0]
    return out * 1e9


def met_weights(grid, mu, sig):
    mid = 0.5 * (grid[1:] + grid[:-1])
    cdf = np.concatenate([[0.0], stats.norm.cdf(mid, mu, sig), [1.0]])
    return np.diff(cdf)


def madau(lam_obs, z):
    tau = np.zeros_like(lam_obs)
    for a, lj in [(3.6e-3, 1215.67), (1.7e-3, 1025.72), (1.2e-3, 972.537), (9.3e-4, 949.743)]:
        tau += np.where((lam_obs < lj * (1 + z)) & (lam_obs > lj), a * (lam_obs / lj) ** 3.46, 0)
    xc, xe = np.maximum(lam_obs / 911.75, 1.0), 1 + z
    cont = (
        0.25 * xc**3 * (xe**0.46 - xc**0.46)
        + 9.4 * xc**1.5 * (xe**0.18 - xc**0.18)
        - 0.7 * xc**3 * (xc**-1.32 - xe**-1.32)
        - 0.023 * (xe**1.68 - xc**1.68)
    )
    tau += np.where(lam_obs < 911.75 * xe, np.maximum(cont, 0), 0)
    return np.exp(-tau)


def ab_maggies_dense(lam_obs, fnu_maggies, f_wave, f_resp, step_aa=0.25):
    """Photon-counting AB maggies: trapezoid of f_nu T / lambda on a uniform 0.25 A grid."""
    g = np.arange(f_wave[0], f_wave[-1] + step_aa, step_aa)
    t = np.interp(g, f_wave, f_resp, left=0, right=0)
    f = np.interp(g, lam_obs, fnu_maggies)
    return np.trapezoid(f * t / g, g) / np.trapezoid(t / g, g)


def sed_model(ssp, filters, p, *, z, lgmet_scatter=0.2):
    """Double power law + Charlot & Fall + Madau at fixed z: (maggies, lam_obs, fnu)."""
    cosmo = astropy_planck18()
    t_obs = cosmo.age(z).value
    d_l = cosmo.luminosity_distance(z).value * MPC_CM
    masses = bin_masses(
        lambda t: sfr_dpl(t, p["log_peak_sfr"], p["tau_gyr"], p["alpha"], p["beta"]),
        ssp.lg_age_gyr,
        t_obs,
    )
    wm = met_weights(ssp.lgmet, p["logzsol"] + np.log10(0.02), lgmet_scatter)
    young = 10**ssp.lg_age_gyr < 0.01
    lam = np.asarray(ssp.wave_aa, dtype=np.float64)
    flux = np.asarray(ssp.flux, dtype=np.float64)
    bc = np.exp(-p["tau_bc"] * (lam / 5500) ** p["dust_slope"])
    dif = np.exp(-p["tau_diff"] * (lam / 5500) ** p["dust_slope"])
    w = wm[:, None] * masses[None, :]
    lnu = dif * (
        bc * np.einsum("ma,mal->l", w * young, flux) + np.einsum("ma,mal->l", w * ~young, flux)
    )
    lam_obs = lam * (1 + z)
    fnu = (1 + z) * lnu * L_SUN / (4 * np.pi * d_l**2) / 3631e-23 * madau(lam_obs, z)
    maggies = np.array([ab_maggies_dense(lam_obs, fnu, f.wave_aa, f.response) for f in filters])
    return maggies, lam_obs, fnu
