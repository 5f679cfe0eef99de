import astropy.cosmology as ac
import jax
import jax.numpy as jnp
import numpy as np
import pytest
import reference_sed as ref

from jaxstro import sedphys as sp

Z = np.array([0.001, 0.01, 0.1, 0.5, 1.0, 3.0, 8.0])


def test_distances_and_ages_match_astropy():
    """astropy (Tcmb0 = 0: no radiation, as in jax-cosmo) is the independent reference."""
    dl = np.asarray(sp.luminosity_distance_mpc(Z))
    np.testing.assert_allclose(dl, ref.ASTROPY_PLANCK18.luminosity_distance(Z).value, rtol=1e-10)
    age = np.asarray(sp.age_at_z_gyr(Z))
    np.testing.assert_allclose(age, ref.ASTROPY_PLANCK18.age(Z).value, rtol=1e-9)
    for ok in (0.1, -0.1):
        c = sp.Cosmology(Omega_k=ok)
        a = ac.LambdaCDM(H0=67.66, Om0=0.30966, Ob0=0.04897, Ode0=1 - 0.30966 - ok, Tcmb0=0)
        np.testing.assert_allclose(
            sp.luminosity_distance_mpc(Z, c), a.luminosity_distance(Z).value, rtol=1e-10
        )
        np.testing.assert_allclose(sp.age_at_z_gyr(Z, c), a.age(Z).value, rtol=1e-9)


def test_distance_gradient_and_vmap():
    g = jax.grad(lambda z: sp.luminosity_distance_mpc(z))(0.5)
    fd = (sp.luminosity_distance_mpc(0.5 + 1e-6) - sp.luminosity_distance_mpc(0.5 - 1e-6)) / 2e-6
    assert g == pytest.approx(float(fd), rel=1e-7)
    np.testing.assert_allclose(jax.vmap(sp.age_at_z_gyr)(jnp.asarray(Z)), sp.age_at_z_gyr(Z))


def test_calzetti_published_values():
    """Calzetti et al. (2000) eq. 4: k(V) ~= R_V = 4.05 at 5500 A; k(1500 A) ~= 10.33; the
    curve matches the independent numpy transcription everywhere."""
    assert float(sp.calzetti_k(5500.0)) == pytest.approx(4.05, abs=0.01)
    assert float(sp.calzetti_k(1500.0)) == pytest.approx(10.33, abs=0.02)
    lam = np.geomspace(900, 30000, 500)
    np.testing.assert_allclose(sp.calzetti_k(lam), ref.calzetti_k(lam), rtol=1e-12, atol=1e-12)
    assert float(sp.calzetti_transmission(5500.0, 1.0)) == pytest.approx(
        10**-0.4 * 4.05 / 4.05 * 1.0, rel=2e-3
    )


def test_power_law_tau():
    lam = np.array([1500.0, 5500.0, 20000.0])
    np.testing.assert_allclose(sp.power_law_tau(lam, 0.5, -0.7), 0.5 * (lam / 5500) ** -0.7)


def test_madau_igm():
    lam = np.geomspace(500, 10000, 2000)
    for z in (0.1, 1.0, 3.0, 6.0):
        np.testing.assert_allclose(sp.igm_transmission_madau(lam, z), ref.madau(lam, z), rtol=1e-12)
    # no absorption redward of Ly-alpha, none at z = 0; the Lyman-alpha forest decrement just
    # below 1216 (1 + z) at z = 3 is exp(-0.0036 * 4^3.46) = 0.647 (Madau 1995, fig. 3 region)
    assert np.all(np.asarray(sp.igm_transmission_madau(lam, 0.0)) == 1.0)
    red = lam > 1216 * 4.0
    assert np.all(np.asarray(sp.igm_transmission_madau(lam, 3.0))[red] == 1.0)
    t = float(sp.igm_transmission_madau(1215.0 * 4.0, 3.0))
    assert t == pytest.approx(np.exp(-0.0036 * (1215.0 * 4 / 1215.67) ** 3.46), rel=1e-6)
    # below the redshifted Lyman limit the IGM is opaque at z = 6
    assert float(sp.igm_transmission_madau(800.0 * 7, 6.0)) < 1e-5


# (observed wavelength [A], z): Ly-alpha only, Ly-alpha to gamma, below the redshifted Lyman
# limit (lines + continuum) at z = 0.5 to 6; T from 1e-4 to 0.73
IGM_POINTS = [
    (4500.0, 3.0),
    (3850.0, 3.0),
    (3400.0, 3.0),
    (3000.0, 3.0),
    (2000.0, 3.0),
    (1100.0, 0.5),
    (2500.0, 2.0),
    (5000.0, 4.5),
    (4000.0, 4.5),
    (7000.0, 6.0),
    (6000.0, 6.0),
]


def test_madau_igm_gradients_match_finite_differences():
    """d T / d lambda and d T / d z of the Madau (1995) transmission against float64 central
    differences (steps 1e-3 A and 1e-6) at points away from its steps (the series edges
    lambda_j, lambda_j (1 + z) and the redshifted Lyman limit). Measured agreement <= 1.6e-9
    relative (the differences' own truncation and rounding); bound 5e-9. Redward of the
    Lyman limit T does not depend on z: the gradient is exactly 0 there."""
    f = sp.igm_transmission_madau
    h_lam, h_z = 1e-3, 1e-6
    series = np.array([1215.67, 1025.72, 972.537, 949.743])
    grad = jax.jit(jax.grad(f, argnums=(0, 1)))
    for lam, z in IGM_POINTS:
        edges_lam = np.concatenate([series, series * (1 + z), [911.75 * (1 + z)]])
        edges_z = np.concatenate([lam / series - 1, [lam / 911.75 - 1]])
        assert np.min(np.abs(lam - edges_lam)) > 100 * h_lam
        assert np.min(np.abs(z - edges_z)) > 100 * h_z
        g_lam, g_z = (float(g) for g in grad(lam, z))
        fd_lam = float(f(lam + h_lam, z) - f(lam - h_lam, z)) / (2 * h_lam)
        fd_z = float(f(lam, z + h_z) - f(lam, z - h_z)) / (2 * h_z)
        assert g_lam == pytest.approx(fd_lam, rel=5e-9), (lam, z)
        if lam > 911.75 * (1 + z):
            assert g_z == 0.0 and fd_z == 0.0, (lam, z)
        else:
            assert g_z == pytest.approx(fd_z, rel=5e-9), (lam, z)
