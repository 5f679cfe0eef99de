"""Galaxy SED pipeline end to end (reduced): SSP grid -> SEDModel -> mock SDSS photometry ->
MAP, Laplace, short NUTS, and a vmapped MAP of a batch of galaxies in one compiled call."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from jaxstro import infer_utils as iu
from jaxstro import sedphys as sp

TRUTH = sp.default_truth()


@pytest.fixture(scope="module")
def setup():
    spec = sp.default_spec(redshift=0.1)
    model = sp.SEDModel(spec, sp.load_ssp(), sp.Observation(sp.SDSS_UGRIZ))
    m = np.asarray(model.predict_photometry(TRUTH))
    err = 0.05 * m
    obs = m + err * np.asarray(jax.random.normal(jax.random.key(7), m.shape))
    bounds = spec.bounds
    names = spec.free_params

    def log_post_u(u, mags=obs, e=err):
        x = {n: iu.to_bounded(u[n], *bounds[n]) for n in names}
        jac = sum(iu.log_abs_det_jacobian(u[n], *bounds[n]) for n in names)
        return model.log_prob(x, mags, e) + jac

    return spec, model, obs, err, log_post_u


def test_map_laplace_nuts_recover_stellar_mass(setup):
    spec, model, obs, err, log_post_u = setup
    names, bounds = spec.free_params, spec.bounds
    u0 = {n: iu.to_unbounded(jnp.asarray(TRUTH[n]), *bounds[n]) * 0.5 for n in names}
    fit = iu.minimize_lbfgs(lambda u: -log_post_u(u), u0, maxiter=3000)
    x_fit = {n: iu.to_bounded(fit.params[n], *bounds[n]) for n in names}
    chi2 = float(jnp.sum(((model.predict_photometry(x_fit) - obs) / err) ** 2))
    assert chi2 < 15.0  # 5 bands: the fit reproduces the photometry
    lap = iu.laplace(lambda u: -log_post_u(u), fit.params)
    assert np.all(np.isfinite(np.asarray(lap.cov)))
    post = iu.run_nuts(
        log_post_u,
        fit.params,
        jax.random.key(1),
        num_warmup=150,
        num_samples=150,
        num_chains=2,
        max_num_doublings=7,
        progress_bar=False,
    )
    draws = {n: iu.to_bounded(post.samples[n].reshape(-1), *bounds[n]) for n in names}
    lm = np.log10(np.asarray(jax.jit(jax.vmap(lambda x: model.derived(x)["stellar_mass"]))(draws)))
    true_lm = np.log10(float(model.derived(TRUTH)["stellar_mass"]))
    # photometry pins the stellar mass: the posterior covers the truth within 4 sd
    assert abs(lm.mean() - true_lm) < 4 * lm.std() + 0.05
    assert lm.std() < 0.5


def test_batched_map_one_compiled_call(setup):
    spec, model, _, _, log_post_u = setup
    names, bounds = spec.free_params, spec.bounds
    n_gal = 16
    truths = spec.sample_batch(jax.random.key(3), n_gal)
    m = jax.vmap(model.predict_photometry)(truths)
    e = 0.05 * m
    m_obs = m + e * jax.random.normal(jax.random.key(4), m.shape)

    def fit_one(mags, errs):
        u0 = {n: jnp.zeros(()) for n in names}
        run = iu.minimize_optax(lambda u: -log_post_u(u, mags, errs), u0, optax.adam(0.05), 600)
        return {n: iu.to_bounded(run.params[n], *bounds[n]) for n in names}, run.losses

    x_fit, losses = jax.jit(jax.vmap(fit_one))(m_obs, e)
    assert losses.shape == (n_gal, 600)
    assert bool(jnp.all(losses[:, -1] < losses[:, 0]))  # every galaxy's fit improved
    chi2 = np.sum(
        (
            (np.asarray(jax.vmap(model.predict_photometry)(x_fit)) - np.asarray(m_obs))
            / np.asarray(e)
        )
        ** 2,
        axis=1,
    )
    assert np.median(chi2) < 10.0
    # the batched fit equals fitting one galaxy on its own
    one, _ = jax.jit(fit_one)(m_obs[0], e[0])
    np.testing.assert_allclose([one[n] for n in names], [x_fit[n][0] for n in names], rtol=1e-6)
