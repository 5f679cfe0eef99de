import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.integrate import simpson
from scipy.interpolate import InterpolatedUnivariateSpline as IUS
from scipy.stats import norm

from jaxstro import splinedens as sd


def test_log_normal_and_random_walk_prior_match_scipy():
    x = np.linspace(-3, 3, 13)
    np.testing.assert_allclose(sd.log_normal(x, 0.4, 1.7), norm.logpdf(x, 0.4, 1.7), rtol=1e-13)
    v = np.array([0.1, 0.5, -0.3, 2.0])
    np.testing.assert_allclose(
        sd.random_walk_log_prior(v, 0.5), norm.logpdf(v[1:], v[:-1], 0.5).sum(), rtol=1e-13
    )


def test_poisson_mixture_membership():
    a, b = np.log(np.array([1.0, 3.0])), np.log(np.array([3.0, 1.0]))
    np.testing.assert_allclose(sd.log_mixture(a, b), np.log([4.0, 4.0]), rtol=1e-14)
    np.testing.assert_allclose(sd.log_mixture(a, b, a), np.log([5.0, 7.0]), rtol=1e-14)
    np.testing.assert_allclose(sd.membership_probability((a, b), 0), [0.25, 0.75], rtol=1e-14)
    np.testing.assert_allclose(sd.poisson_process_loglike(a, np.log(10.0)), np.sum(a) - 10.0)


def test_gaussian_rate_toy_closed_form_optimum():
    # the Poisson-process MLE of rate = n N(mu, sigma) is n = N, mu = mean, sigma = std (ddof 0)
    rng = np.random.default_rng(0)
    x = jnp.asarray(rng.normal(0.03, 0.31, 5000))
    grad = jax.grad(sd.gaussian_rate_loglike, argnums=(0, 1, 2))
    g = grad(jnp.log(5000.0), jnp.mean(x), jnp.log(jnp.std(x)), x)
    np.testing.assert_allclose(np.array(g), 0.0, atol=1e-8)


def test_spline_density_1d_matches_scipy_reference():
    rng = np.random.default_rng(1)
    x = rng.normal(0.03, 0.31, 2000)
    knots = np.linspace(-3, 3, 11)
    vals = 7.0 - 0.5 * (knots / 0.31) ** 2 / 10
    tables = sd.prepare_spline_density_1d(x, knots, n_grid=601)
    grid = np.linspace(-3, 3, 601)
    spl = IUS(knots, vals, k=3)
    expect = spl(x).sum() - simpson(np.exp(spl(grid)), x=grid)
    np.testing.assert_allclose(
        sd.spline_density_1d_loglike(jnp.asarray(vals), tables), expect, rtol=1e-12
    )
    with pytest.raises(ValueError, match="non-finite"):
        sd.prepare_spline_density_1d(np.array([0.0, np.nan]), knots)
    with pytest.raises(ValueError, match="non-empty"):
        sd.prepare_spline_density_1d(np.array([]), knots)
