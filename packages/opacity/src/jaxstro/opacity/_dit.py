"""Pieces shared by MODIT and PreMODIT: the extended q = R ln(nu) grid, line-shape densities and
the FFT convolution with analytic Voigt kernels.

On an ESLOG grid (evenly spaced in q = R ln nu) every line's Doppler width is the same number of
grid steps for a given isotopologue mass, and its Lorentz width R gamma / nu varies slowly, so the
cross section is a sum over a few width classes ("columns") of (line-shape density) * (Voigt
kernel), each a convolution done with one FFT (Kawahara et al. 2022, ApJS 258, 31: MODIT).
"""

from __future__ import annotations

import dataclasses

import jax.numpy as jnp
import numpy as np

from jaxstro.opacity._lines import AMU_G, C_CGS, K_B_CGS

__all__ = [
    "QGrid",
    "make_qgrid",
    "check_eslog",
    "auto_oversample",
    "doppler_sigma_q",
    "quadratic_weights",
    "voigt_kernel_convolve",
    "lorentz_image_kernel",
    "mass_groups",
]


@dataclasses.dataclass(frozen=True)
class QGrid:
    """Static description of the internal q grid (host-side numbers, not traced).

    The internal grid is the user's ESLOG grid refined ``oversample`` times and extended by
    ``margin`` internal steps on each side; user point i is internal point margin + i oversample.
    """

    r: float  # internal resolving power 1 / d(ln nu) (= oversample x the user grid's)
    q0: float  # q of internal index 0
    n_grid: int  # points of the user grid
    oversample: int
    margin: int  # extension on each side [internal steps]
    n_fft: int  # FFT length (>= 2 n_ext: linear, not circular, convolution)

    @property
    def n_ext(self) -> int:
        return (self.n_grid - 1) * self.oversample + 1 + 2 * self.margin

    def nu_ext(self) -> np.ndarray:
        return np.exp((self.q0 + np.arange(self.n_ext)) / self.r)

    def to_user(self, xs_q):
        """Internal-grid values at the user's grid points."""
        stop = self.margin + (self.n_grid - 1) * self.oversample + 1
        return xs_q[self.margin : stop : self.oversample]


def check_eslog(nu_grid) -> float:
    """Resolving power of an ESLOG grid; error if the grid is not evenly spaced in ln(nu)."""
    nu = np.asarray(nu_grid, dtype=np.float64)
    dq = np.diff(np.log(nu))
    if not np.allclose(dq, dq.mean(), rtol=1e-6, atol=0):
        raise ValueError(
            "nu_grid must be evenly spaced in ln(nu) (ESLOG) for MODIT/PreMODIT; "
            "make one with wavenumber_grid(..., mode='eslog')"
        )
    return float(1.0 / dq.mean())


def auto_oversample(r_user: float, min_mass_amu: float, t_min_k: float, min_steps=3.0) -> int:
    """Refinement that puts the narrowest Doppler sigma (at ``t_min_k``) on >= ``min_steps``.

    A line centre between nodes is spread over 3 nodes with quadratic weights; in the Gaussian
    wings at 1e-3 of the peak this is accurate to ~1 % only with >= 3 nodes per sigma.
    """
    sig = r_user * np.sqrt(K_B_CGS * t_min_k / (max(min_mass_amu, 1.0) * AMU_G)) / C_CGS
    return int(min(16, max(1, np.ceil(min_steps / sig))))


def make_qgrid(nu_grid: np.ndarray, margin_cm1: float, oversample: int) -> QGrid:
    nu = np.asarray(nu_grid, dtype=np.float64)
    r = check_eslog(nu) * oversample
    # the low side needs the most steps: R ln(nu0 / (nu0 - margin)) > R ln((nu1 + margin) / nu1)
    low = min(float(margin_cm1), 0.5 * nu[0])
    margin = int(np.ceil(-r * np.log1p(-low / nu[0]))) + 2
    n_ext = (nu.size - 1) * oversample + 1 + 2 * margin
    n_fft = _next_fast_len(2 * n_ext)
    return QGrid(
        r=float(r),
        q0=float(r * np.log(nu[0]) - margin),
        n_grid=int(nu.size),
        oversample=int(oversample),
        margin=margin,
        n_fft=n_fft,
    )


def _next_fast_len(n: int) -> int:
    """Smallest 2^a 3^b 5^c >= n (fast sizes for every FFT backend)."""
    best = 2 ** int(np.ceil(np.log2(n)))
    p5 = 1
    while p5 < 2 * n:
        p35 = p5
        while p35 < 2 * n:
            m = p35
            while m < n:
                m *= 2
            best = min(best, m)
            p35 *= 3
        p5 *= 5
    return best


def quadratic_weights(u):
    """Indices and weights spreading points at fractional grid positions ``u`` over 3 nodes.

    Quadratic Lagrange weights keep the zeroth, first and second moments of each line exactly:
    the plain two-point (linear) split used by MODIT broadens every line by a variance of
    d (1 - d) grid steps^2, i.e. up to 4 % too low peaks at 2 steps per Doppler sigma; this
    split adds none (measured in tests/test_modit.py).
    """
    i0 = np.floor(np.asarray(u) + 0.5) if isinstance(u, np.ndarray) else jnp.floor(u + 0.5)
    d = u - i0
    w = (0.5 * d * (d - 1.0), 1.0 - d * d, 0.5 * d * (d + 1.0))
    return i0, w


def mass_groups(molmass: np.ndarray, weights: np.ndarray, per_isotopologue: bool):
    """Doppler classes: one per distinct mass, or one strength-weighted mean mass."""
    m = np.asarray(molmass, dtype=np.float64)
    if per_isotopologue:
        masses, index = np.unique(np.round(m, 4), return_inverse=True)
        return masses, index.astype(np.int32)
    w = np.asarray(weights, dtype=np.float64)
    mean = float(np.sum(w * m) / np.sum(w)) if np.sum(w) > 0 else float(np.mean(m))
    return np.array([mean]), np.zeros(m.size, dtype=np.int32)


def doppler_sigma_q(t_k, masses_amu, r):
    """Doppler sigma in grid steps: R sqrt(kT / (m c^2)), the same for every line of one mass."""
    return r * jnp.sqrt(K_B_CGS * t_k / (jnp.asarray(masses_amu) * AMU_G)) / C_CGS


def lorentz_image_kernel(n_fft: int) -> np.ndarray:
    """rfft of c0(x) = sum_{k != 0} 1 / (pi (x + k L)^2), L = n_fft, sampled on one period.

    The FFT convolution with the analytic Voigt transform is circular: every line also gets
    periodic images L, 2L, ... away. Their Lorentz wings, gamma / (pi (x + kL)^2), are not
    small (with L = 2 n_ext a wing 40 % of the way across the grid gets a 25 % image), so
    they are removed exactly to O(gamma^2 / L^2, sigma^2 / L^2): their sum is gamma c0(x), and
    c0 is the same function for every column and temperature.
    """
    x = np.arange(n_fft, dtype=np.float64)
    x = np.where(x < n_fft / 2, x, x - n_fft)
    y = np.pi * x / n_fft
    with np.errstate(divide="ignore", invalid="ignore"):
        direct = np.pi / n_fft**2 / np.sin(y) ** 2 - 1.0 / (np.pi * x**2)
    # 1/sin^2 y - 1/y^2 = 1/3 + y^2/15 + 2 y^4/189 + ... near 0 (avoids the cancellation)
    series = (np.pi / n_fft**2) * (1.0 / 3.0 + y**2 / 15.0 + 2.0 * y**4 / 189.0)
    c0 = np.where(np.abs(y) < 1e-2, series, direct)
    return np.fft.rfft(c0).real


def voigt_kernel_convolve(lsd, sigma_q, gamma_q, n_fft: int, image_kernel):
    """sum_c (lsd[:, c] (*) Voigt(sigma_q[c], gamma_q[c])) on the grid of ``lsd`` (q units).

    The Fourier transform of an area-normalised Voigt profile is
    exp(-2 pi^2 sigma^2 f^2 - 2 pi gamma |f|). With ``n_fft >= 2 len(lsd)`` and the Lorentz
    images removed (``image_kernel`` from :func:`lorentz_image_kernel`) this is the direct,
    untruncated sum of every line's profile.
    """
    n = lsd.shape[0]
    f = jnp.fft.rfftfreq(n_fft).astype(lsd.dtype)
    spec = jnp.fft.rfft(lsd, n=n_fft, axis=0)  # (n_f, n_cols)
    # the DFT of the kernel sampled on the grid is the periodic sum of its transform (Poisson);
    # the images at f +- 1 matter only for sigma below ~1.5 steps
    kern = 0.0
    for shift in (-1.0, 0.0, 1.0):
        fs = jnp.abs(f + shift)[:, None]
        kern = kern + jnp.exp(
            -2.0 * np.pi**2 * (sigma_q**2)[None, :] * fs**2 - 2.0 * np.pi * gamma_q[None, :] * fs
        )
    total = jnp.sum(spec * kern, axis=1) - image_kernel * (spec @ gamma_q.astype(spec.dtype))
    return jnp.fft.irfft(total, n=n_fft)[:n]
