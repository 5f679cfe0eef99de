"""GD-1 pipeline end to end: data -> spline stream model -> L-BFGS -> NUTS -> membership."""

import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import reference_gd1 as ref

from jaxstro import infer_utils as iu
from jaxstro import splinedens as sd


@pytest.fixture(scope="module")
def gd1_fit():
    gd1 = sd.datasets.load_gd1()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = sd.prepare_stream_model(gd1.phi1, gd1.phi2, **sd.datasets.gd1_knots())
    p0 = sd.stream_histogram_init(gd1.phi1, gd1.phi2, model)
    fit = iu.minimize_lbfgs(sd.stream_objective, p0, args=(model,))
    return gd1, model, p0, fit


def _central_gradient(f, p, h=1e-5):
    flat, layout = iu.flatten_params(p)
    flat = np.asarray(flat)
    g = np.zeros_like(flat)
    for i in range(flat.size):
        e = np.zeros_like(flat)
        e[i] = h
        g[i] = (f(layout.unravel(flat + e)) - f(layout.unravel(flat - e))) / (2 * h)
    return g


def test_lbfgs_reaches_optimum_of_independent_reference(gd1_fit):
    gd1, model, p0, fit = gd1_fit
    assert fit.success, fit.message
    f_ref = lambda p: ref.objective({k: np.asarray(v) for k, v in p.items()}, gd1.phi1, gd1.phi2)
    # the optimum's objective, recomputed with scipy splines + numpy + scipy Simpson in float64
    np.testing.assert_allclose(fit.fun, f_ref(fit.params), rtol=1e-10)
    assert f_ref(fit.params) < f_ref(p0) - 0.05
    # ... and it is a stationary point of the reference objective (finite differences), while
    # the histogram start is far from one
    g_opt = _central_gradient(f_ref, fit.params)
    g_init = np.asarray(iu.flatten_params(jax.grad(sd.stream_objective)(p0, model))[0])
    assert np.max(np.abs(g_opt)) < 1e-5, np.max(np.abs(g_opt))
    assert np.max(np.abs(g_init)) > 1e-3


def test_reduced_nuts_and_membership(gd1_fit):
    gd1, model, _, fit = gd1_fit
    neg_logpost = lambda p: model.n_data * sd.stream_objective(p, model)
    lap = iu.laplace(neg_logpost, fit.params)
    assert np.all(np.isfinite(np.asarray(lap.cov)))
    post = iu.run_nuts(
        lambda p: -neg_logpost(p),
        fit.params,
        jax.random.key(0),
        num_warmup=60,
        num_samples=40,
        num_chains=2,
        init_scale=1e-3,
        progress_bar=False,
        initial_inverse_mass_matrix=jnp.diag(lap.cov),
        initial_step_size=0.5,
    )
    assert post.samples["track"].shape == (2, 40, 17)
    assert np.all(np.isfinite(np.asarray(post.logdensity)))
    tab = iu.summary(post.samples)
    assert np.all(np.isfinite(tab["track"]["r_hat"]))
    # the posterior stays near the optimum: track within 1 deg of the MAP track
    assert (
        np.max(np.abs(np.asarray(post.samples["track"]).mean(axis=(0, 1)) - fit.params["track"]))
        < 1.0
    )
    members = jax.vmap(lambda p: sd.stream_membership(p, model))(
        jax.tree_util.tree_map(lambda a: a[0], post.samples)
    )
    assert members.shape == (40, 2960)
    assert np.all((members >= 0) & (members <= 1))
    # the expected number of stream stars is the stream integral, which is bounded by N
    assert 500 < float(jnp.sum(members[-1])) < 2960
