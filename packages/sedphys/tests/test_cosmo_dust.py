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
    g = jax.grad(lambda z: sp.igm_transmission_madau(4000.0, z))(3.0)
    assert np.isfinite(g)
