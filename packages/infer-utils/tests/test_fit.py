"""fit(): one entry point, every backend, against a closed-form posterior and evidence."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.stats import norm

import jaxstro.infer_utils as iu

# posterior: a ~ N(1, 0.5^2), b (2,) ~ N([3, 5], 0.7^2), each inside its box with mass
# 1 - 2e-9 at most missing, so the normalised density has ln Z = ln(mass in the box) ~ 0
MU_A, S_A = 1.0, 0.5
MU_B, S_B = np.array([3.0, 5.0]), 0.7
BOUNDS = {"a": (-5.0, 7.0), "b": (0.0, 10.0)}
INIT = {"a": 0.2, "b": jnp.array([2.0, 6.0])}
LOG_Z = float(
    np.log(norm.cdf(7, MU_A, S_A) - norm.cdf(-5, MU_A, S_A))
    + np.sum(np.log(norm.cdf(10, MU_B, S_B) - norm.cdf(0, MU_B, S_B)))
)


def _laplace_reference():
    """Laplace ln Z in logit space, per dimension, by scipy (mode search + 2nd difference)."""
    from scipy.optimize import minimize_scalar

    total = 0.0
    for mu, s, lo, hi in [(MU_A, S_A, -5, 7), (MU_B[0], S_B, 0, 10), (MU_B[1], S_B, 0, 10)]:
        w = hi - lo

        def f(u, mu=mu, s=s, lo=lo, w=w):
            x = lo + w / (1 + np.exp(-u))
            return norm.logpdf(x, mu, s) + np.log(w) - np.logaddexp(0, -u) - np.logaddexp(0, u)

        u = minimize_scalar(lambda v: -f(v), bracket=(-1, 1), tol=1e-12).x
        h = 1e-4
        curv = -(f(u + h) - 2 * f(u) + f(u - h)) / h**2
        total += f(u) + 0.5 * np.log(2 * np.pi / curv)
    return total


def log_density(p):
    return jnp.sum(jax.scipy.stats.norm.logpdf(p["a"], MU_A, S_A)) + jnp.sum(
        jax.scipy.stats.norm.logpdf(p["b"], MU_B, S_B)
    )


def _check_moments(res, tol_mean, tol_std):
    a = np.asarray(res.draws["a"]).ravel()
    b = np.asarray(res.draws["b"]).reshape(-1, 2)
    assert abs(a.mean() - MU_A) < tol_mean * S_A, (res.method, a.mean())
    np.testing.assert_array_less(np.abs(b.mean(0) - MU_B), tol_mean * S_B)
    assert abs(a.std() / S_A - 1) < tol_std, (res.method, a.std())
    np.testing.assert_array_less(np.abs(b.std(0) / S_B - 1), tol_std)


def test_map_is_the_mode():
    res = iu.fit(log_density, INIT, method="map", bounds=BOUNDS)
    assert res.method == "map" and res.draws is None
    assert float(res.params["a"]) == pytest.approx(MU_A, abs=1e-6)
    np.testing.assert_allclose(res.params["b"], MU_B, atol=1e-6)
    assert res.diagnostics["success"] and res.wall_time_s > 0


def test_laplace_evidence_and_draws():
    res = iu.fit(
        log_density, INIT, method="laplace", key=jax.random.key(0), bounds=BOUNDS, num_samples=4000
    )
    # Laplace in the unconstrained (logit) space, Jacobian included: equal to a scipy
    # re-computation of that approximation; its error against the exact ln Z (-0.064 here)
    # comes from the logit map making the posterior non-Gaussian
    assert res.log_evidence == pytest.approx(_laplace_reference(), abs=1e-6)
    assert abs(res.log_evidence - LOG_Z) < 0.1
    # a Gaussian in the logit space is skewed back in b: means shift by 0.16 sd for b[0]
    # (measured; sampling noise 0.016 sd); a wrong Hessian or transform is off by O(1)
    _check_moments(res, 0.3, 0.1)
    assert res.options["num_samples"] == 4000


def test_pathfinder():
    res = iu.fit(
        log_density,
        INIT,
        method="pathfinder",
        key=jax.random.key(1),
        bounds=BOUNDS,
        num_samples=2000,
    )
    _check_moments(res, 0.3, 0.15)  # Gaussian in logit space: as Laplace (0.19 sd measured)
    assert np.isfinite(res.diagnostics["elbo"])


def test_nuts_diagnostics_and_arviz():
    res = iu.fit(
        log_density,
        INIT,
        method="nuts",
        key=jax.random.key(2),
        bounds=BOUNDS,
        num_warmup=200,
        num_samples=300,
        num_chains=2,
        progress_bar=False,
    )
    assert res.draws["b"].shape == (2, 300, 2)
    _check_moments(res, 0.15, 0.12)
    assert max(float(np.max(v)) for v in res.diagnostics["r_hat"].values()) < 1.05
    assert res.diagnostics["divergences"] == 0
    # the draws never leave the bounds (they are mapped back from the unconstrained space)
    assert np.all((np.asarray(res.draws["b"]) > 0) & (np.asarray(res.draws["b"]) < 10))
    pytest.importorskip("arviz")  # the arviz extra is installed in the test session
    idata = res.to_arviz()
    assert set(idata.posterior.data_vars) == {"a", "b"}


def test_svi():
    res = iu.fit(
        log_density,
        INIT,
        method="svi",
        key=jax.random.key(3),
        bounds=BOUNDS,
        num_steps=3000,
        learning_rate=0.02,
        num_samples=2000,
        progress_bar=False,
    )
    _check_moments(res, 0.15, 0.2)


def test_nested_evidence_box_prior():
    res = iu.fit(
        log_density,
        INIT,
        method="nested",
        key=jax.random.key(4),
        bounds=BOUNDS,
        num_live=300,
        progress_bar=False,
    )
    assert abs(res.log_evidence - LOG_Z) < 3 * res.log_evidence_err
    assert res.log_evidence_err < 0.3
    _check_moments(res, 0.2, 0.2)
    assert res.log_weights.shape[0] == res.weighted_draws["a"].shape[0]
    np.testing.assert_allclose(float(jax.scipy.special.logsumexp(res.log_weights)), 0.0, atol=1e-9)


def test_nested_with_explicit_prior_is_likelihood_times_prior():
    # log_density as a likelihood of "a" alone under a uniform prior on (-5, 7): Z = mass / 12
    def log_lik(p):
        return jax.scipy.stats.norm.logpdf(p["a"], MU_A, S_A)

    res = iu.fit(
        log_lik,
        {"a": 0.0},
        method="nested",
        key=jax.random.key(5),
        prior={"a": (-5.0, 7.0)},
        num_live=200,
        progress_bar=False,
    )
    expected = math.log(norm.cdf(7, MU_A, S_A) - norm.cdf(-5, MU_A, S_A)) - math.log(12.0)
    assert abs(res.log_evidence - expected) < 3 * res.log_evidence_err


def test_bad_input_before_any_compile():
    with pytest.raises(ValueError, match="method must be one of"):
        iu.fit(log_density, INIT, method="hmc")
    with pytest.raises(ValueError, match=r"does not take the option\(s\) \['num_live'\]"):
        iu.fit(log_density, INIT, method="nuts", key=jax.random.key(0), num_live=10)
    with pytest.raises(ValueError, match="needs a PRNG key"):
        iu.fit(log_density, INIT, method="nuts")
    with pytest.raises(ValueError, match=r"bounds\['a'\]"):
        iu.fit(log_density, INIT, method="map", bounds={"a": (2.0, 1.0)})
    with pytest.raises(ValueError, match="unknown parameter names"):
        iu.fit(log_density, INIT, method="map", bounds={"c": (0.0, 1.0)})
    with pytest.raises(ValueError, match=r"init\['a'\] = .* lies outside"):
        iu.fit(log_density, {**INIT, "a": 9.0}, method="map", bounds=BOUNDS)
    with pytest.raises(ValueError, match=r"init\['a'\]"):
        iu.fit(log_density, {**INIT, "a": float("nan")}, method="map")
    with pytest.raises(ValueError, match="not finite"):
        iu.fit(lambda p: -jnp.inf * p["a"] ** 2, INIT, method="map")
    with pytest.raises(ValueError, match="needs a proper prior"):
        iu.fit(log_density, INIT, method="nested", key=jax.random.key(0), bounds={"b": (0.0, 10.0)})
    with pytest.raises(ValueError, match="non-empty dict"):
        iu.fit(log_density, [1.0], method="map")
