"""Gaussian instrumental profile: exact erf bin masses on a delta line, a resolved Gaussian
line, gradients in R, jit/vmap/jacfwd, float32."""

import math

import jax
import jax.numpy as jnp
import numpy as np
from jax.test_util import check_grads
from scipy import special

from jaxstro.specops import C_KMS, prepare_instrumental_profile, resolving_power_to_sigma_kms


def test_sigma_from_resolving_power():
    sigma = float(resolving_power_to_sigma_kms(50000.0))
    assert abs(sigma * 2 * math.sqrt(2 * math.log(2)) * 50000.0 / C_KMS - 1) < 1e-15


def test_delta_line_gives_erf_bin_masses(grid):
    """A one-pixel line becomes the Gaussian's exact mass per velocity bin (scipy erf)."""
    ip = prepare_instrumental_profile(grid, resolving_power_min=40000.0)
    r = 60000.0
    sigma = C_KMS / (r * 2 * np.sqrt(2 * np.log(2)))
    f = np.zeros(grid.size)
    c = grid.size // 2
    f[c] = 1.0
    out = np.asarray(ip.apply(f, r))
    k = np.arange(-ip.half, ip.half + 1)
    e = special.erf((np.append(k - 0.5, ip.half + 0.5) * ip.dv_kms) / (np.sqrt(2) * sigma))
    ref = 0.5 * np.diff(e)
    np.testing.assert_allclose(out[c - ip.half : c + ip.half + 1], ref, rtol=1e-12, atol=1e-15)
    assert abs(out.sum() - 1) < 1e-13


def test_resolved_gaussian_line(grid):
    """A Gaussian line of width s0 broadened by a Gaussian IP is a Gaussian of width
    sqrt(s0^2 + sigma^2 + dv^2 / 12) (the bin-integrated kernel adds the pixel's variance):
    checked to 2e-5 of the peak (the remaining O(dv^4) discretisation)."""
    ip = prepare_instrumental_profile(grid, resolving_power_min=20000.0, edge="zero")
    dv = ip.dv_kms
    v = (np.arange(grid.size) - grid.size // 2) * dv
    s0 = 5.0 * dv
    f = np.exp(-0.5 * (v / s0) ** 2)
    r = 30000.0
    sigma = C_KMS / (r * 2 * np.sqrt(2 * np.log(2)))
    s = np.sqrt(s0**2 + sigma**2 + dv**2 / 12)
    ref = s0 / s * np.exp(-0.5 * (v / s) ** 2)
    assert np.max(np.abs(np.asarray(ip.apply(f, r)) - ref)) < 2e-5


def test_gradient_and_transforms(grid, spectrum):
    ip = prepare_instrumental_profile(grid, resolving_power_min=20000.0)
    w = np.sin(np.arange(grid.size) / 23.0)

    def loss(r):
        return jnp.sum(w * ip.apply(spectrum, r))

    check_grads(loss, (45000.0,), order=1, modes=("fwd", "rev"), eps=1.0)
    rs = jnp.array([20000.0, 50000.0, 1e5])
    batched = jax.jit(jax.vmap(lambda r: ip.apply(spectrum, r)))(rs)
    for i, r in enumerate(rs):
        np.testing.assert_allclose(batched[i], ip.apply(spectrum, float(r)), rtol=1e-13)
    jf = jax.jacfwd(lambda r: ip.apply(spectrum, r)[700:720])(45000.0)
    fd = (ip.apply(spectrum, 45001.0) - ip.apply(spectrum, 44999.0))[700:720] / 2.0
    np.testing.assert_allclose(jf, fd, rtol=1e-5, atol=1e-13)


def test_float32(grid, spectrum):
    ip = prepare_instrumental_profile(grid.astype(np.float32), resolving_power_min=20000.0)
    out = ip.apply(spectrum.astype(np.float32), np.float32(45000.0))
    assert out.dtype == jnp.float32 and bool(jnp.all(jnp.isfinite(out)))
    ref = prepare_instrumental_profile(grid, resolving_power_min=20000.0).apply(spectrum, 45000.0)
    assert float(jnp.max(jnp.abs(out - ref))) < 2e-6
