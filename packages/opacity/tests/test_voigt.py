import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.special import voigt_profile, wofz

from jaxstro.opacity import faddeeva, voigt, voigt_hjerting

# the range: |x| up to 1e4, a from 1e-6 to 1e4
U = np.concatenate([-np.logspace(-3, 4, 60)[::-1], [0.0], np.logspace(-3, 4, 60)])
A = np.logspace(-6, 4, 50)


def test_voigt_hjerting_float64_against_wofz():
    uu, aa = np.meshgrid(U, A)
    ref = wofz(uu + 1j * aa).real
    got = np.asarray(jax.jit(voigt_hjerting)(uu, aa))
    assert np.max(np.abs(got / ref - 1)) < 1e-6


def test_faddeeva_complex_part_against_wofz():
    uu, aa = np.meshgrid(U[::3], A[::3])
    z = uu + 1j * aa
    ref = wofz(z)
    got = np.asarray(faddeeva(jnp.asarray(z)))
    assert np.max(np.abs(got - ref) / np.abs(ref)) < 1e-6


def test_voigt_hjerting_float32_against_wofz():
    uu, aa = np.meshgrid(U, A)
    ref = wofz(uu + 1j * aa).real
    with jax.enable_x64(False):
        got = voigt_hjerting(jnp.asarray(uu, jnp.float32), jnp.asarray(aa, jnp.float32))
        assert got.dtype == jnp.float32
        got = np.asarray(got, dtype=np.float64)
    # compare with wofz at the float32-rounded arguments (the input rounding is not the
    # function's error)
    ref = wofz(uu.astype(np.float32).astype(float) + 1j * aa.astype(np.float32).astype(float)).real
    assert np.max(np.abs(got / ref - 1)) < 1e-4


def test_voigt_profile_matches_scipy_and_is_normalised():
    x = np.linspace(-3, 3, 201)
    for sigma, gamma in [(0.1, 0.0), (0.1, 1e-4), (0.05, 0.2), (1e-3, 1.0)]:
        got = np.asarray(voigt(x, sigma, gamma))
        np.testing.assert_allclose(got, voigt_profile(x, sigma, gamma), rtol=1e-7)
    # area: integral over a wide, fine grid (Lorentz wings beyond +-L hold 2 gamma / (pi L))
    xx = np.linspace(-2000, 2000, 2_000_001)
    area = np.trapezoid(np.asarray(voigt(xx, 0.3, 0.05)), xx)
    assert abs(area - (1 - 2 * 0.05 / (np.pi * 2000))) < 1e-6


def test_gradients_against_finite_differences():
    def f(p):
        return jnp.sum(voigt(jnp.linspace(-1.0, 1.0, 11) - p[0], p[1], p[2]) ** 2)

    p = jnp.array([0.1, 0.2, 0.15])
    g = jax.grad(f)(p)
    eps = 1e-6
    fd = [(f(p.at[i].add(eps)) - f(p.at[i].add(-eps))) / (2 * eps) for i in range(3)]
    np.testing.assert_allclose(g, fd, rtol=1e-6)
    # far-zone derivative (|z| >= 8) too
    gx = jax.grad(lambda x: voigt_hjerting(x, 0.5))(30.0)
    fdx = (voigt_hjerting(30.0 + 1e-5, 0.5) - voigt_hjerting(30.0 - 1e-5, 0.5)) / 2e-5
    np.testing.assert_allclose(gx, fdx, rtol=1e-6)


def test_vmap_and_jit_agree():
    x = jnp.linspace(-1, 1, 7)
    sig = jnp.array([0.1, 0.2, 0.3])
    out = jax.jit(jax.vmap(lambda s: voigt(x, s, 0.05)))(sig)
    for i, s in enumerate(sig):
        np.testing.assert_allclose(out[i], voigt(x, s, 0.05), rtol=1e-14)


@pytest.mark.parametrize("a", [0.0, 1e-6])
def test_pure_gaussian_limit(a):
    u = np.linspace(-5, 5, 41)
    np.testing.assert_allclose(voigt_hjerting(u, a), wofz(u + 1j * a).real, rtol=1e-6)
