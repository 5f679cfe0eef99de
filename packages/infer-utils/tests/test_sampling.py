"""Samplers on an analytic correlated Gaussian: moments within Monte Carlo error."""

import jax
import jax.numpy as jnp
import numpy as np
import numpyro
import numpyro.distributions as dist
import optax
import pytest
from gaussians import COV, INIT, MEAN, log_post, to_vec

from jaxstro import infer_utils as iu

SD = np.sqrt(np.diag(COV))


def _check_moments(draws, ess, *, cov_atol):
    """Means within 5 Monte Carlo standard errors; covariance within cov_atol."""
    mean = draws.reshape(-1, 3).mean(0)
    mcse = SD / np.sqrt(ess)
    assert np.all(np.abs(mean - MEAN) < 5 * mcse), (mean, MEAN, mcse)
    np.testing.assert_allclose(np.cov(draws.reshape(-1, 3).T), COV, atol=cov_atol)


def _check_cov_mcse(draws, ess, k=4.0):
    """Each sample covariance entry within k of its Monte Carlo standard error,
    sqrt((S_ii S_jj + S_ij^2) / n_eff): 0.03-0.06 here, so a sign error on the 0.1 or -0.3
    entries (off by 0.2 / 0.6) fails."""
    c = np.cov(draws.reshape(-1, 3).T)
    se = np.sqrt((np.outer(np.diag(COV), np.diag(COV)) + COV**2) / np.min(ess))
    z = np.abs(c - COV) / se
    assert np.all(z < k), (np.round(c, 3), np.round(z, 2))


@pytest.fixture(scope="module")
def nuts_result():
    return iu.run_nuts(
        log_post,
        INIT,
        jax.random.key(0),
        num_warmup=400,
        num_samples=1000,
        num_chains=2,
        init_scale=1.0,
        progress_bar=False,
    )


def test_blackjax_nuts_recovers_gaussian(nuts_result):
    res = nuts_result
    assert res.flat_samples.shape == (2, 1000, 3) and res.samples["bc"].shape == (2, 1000, 2)
    v = to_vec(res.samples)
    ess = np.array([iu.ess_bulk(v[..., i]) for i in range(3)])
    assert np.all(ess > 300)
    assert np.all(iu.split_rhat(v) < 1.02)
    _check_moments(v, ess, cov_atol=0.25)
    _check_cov_mcse(v, ess)  # measured: at most 1.7 standard errors
    assert res.num_divergent == 0
    assert 0.6 < float(np.mean(res.acceptance_rate)) < 0.97
    assert res.samples_per_second > 0 and res.step_size.shape == (2,)


def test_nuts_dense_mass_matrix_adapts_to_covariance():
    res = iu.run_nuts(
        log_post,
        INIT,
        jax.random.key(3),
        num_warmup=600,
        num_samples=300,
        num_chains=1,
        dense_mass=True,
        progress_bar=False,
    )
    assert res.inverse_mass_matrix.shape == (1, 3, 3)
    # the adapted inverse mass matrix M^-1 preconditions the target: the eigenvalues of
    # M COV (all 1 for M^-1 = COV) spread by a factor 1.66 (measured; the adaptation window
    # is short and regularised), against 8.8 for the identity and >= 3.0 for M^-1 with any
    # off-diagonal sign flipped
    ev = np.linalg.eigvals(np.linalg.solve(np.asarray(res.inverse_mass_matrix[0]), COV)).real
    assert ev.max() / ev.min() < 2.2, ev
    assert np.all((ev > 0.6) & (ev < 1.7)), ev


def test_nuts_checkpoint_resume_reproduces_uninterrupted_run(tmp_path):
    kw = dict(
        num_warmup=150,
        num_samples=120,
        num_chains=2,
        init_scale=0.5,
        chunk_size=40,
        progress_bar=False,
    )
    ref = iu.run_nuts(log_post, INIT, jax.random.key(7), **kw)
    ckpt = tmp_path / "run.ckpt"

    class Killed(Exception):
        pass

    calls = []

    def kill_after_five(info):
        calls.append(info)
        if len(calls) == 5:  # 4 warmup chunks done, then 1 sampling chunk: "crash"
            raise Killed

    with pytest.raises(Killed):
        iu.run_nuts(
            log_post, INIT, jax.random.key(7), checkpoint=ckpt, callback=kill_after_five, **kw
        )
    assert ckpt.exists()
    resumed_calls = []
    res = iu.run_nuts(
        log_post, INIT, jax.random.key(7), checkpoint=ckpt, callback=resumed_calls.append, **kw
    )
    # only the remaining sampling chunks ran (40 of 120 draws were already on disk)
    assert [c["phase"] for c in resumed_calls] == ["sampling", "sampling"]
    np.testing.assert_allclose(res.flat_samples, ref.flat_samples, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(res.step_size, ref.step_size, rtol=1e-12)
    # a different key must not silently resume from this checkpoint
    with pytest.raises(iu.CheckpointMismatchError, match="different run"):
        iu.run_nuts(log_post, INIT, jax.random.key(8), checkpoint=ckpt, **kw)


def test_corrupt_checkpoint_is_detected(tmp_path):
    ckpt = tmp_path / "bad.ckpt"
    ckpt.write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(ValueError, match="unreadable or truncated"):
        iu.run_nuts(
            log_post,
            INIT,
            jax.random.key(0),
            num_warmup=10,
            num_samples=10,
            num_chains=1,
            checkpoint=ckpt,
            progress_bar=False,
        )


def test_nuts_bad_input():
    with pytest.raises(ValueError, match="num_chains"):
        iu.run_nuts(log_post, INIT, jax.random.key(0), num_chains=0)
    with pytest.raises(ValueError, match="target_accept"):
        iu.run_nuts(log_post, INIT, jax.random.key(0), target_accept=1.5)
    with pytest.raises(ValueError, match="log density is not finite"):
        iu.run_nuts(lambda p: jnp.log(p["x"]), {"x": -1.0}, jax.random.key(0))


def _numpyro_model():
    numpyro.sample("x", dist.MultivariateNormal(jnp.asarray(MEAN), jnp.asarray(COV)))


@pytest.mark.parametrize("forward", [False, True])
def test_numpyro_nuts_reverse_and_forward_mode(forward):
    res = iu.run_numpyro_nuts(
        _numpyro_model,
        jax.random.key(1),
        num_warmup=300,
        num_samples=800,
        num_chains=2,
        forward_mode_differentiation=forward,
        progress_bar=False,
    )
    x = np.asarray(res.samples["x"])
    assert x.shape == (2, 800, 3)
    ess = np.array([iu.ess_bulk(x[..., i]) for i in range(3)])
    _check_moments(x, ess, cov_atol=0.3)
    assert np.all(iu.split_rhat(x) < 1.03)


def _svi_gaussian(**kw):
    """AutoMultivariateNormal on the correlated Gaussian, decaying step size (so the final
    iterate is not dominated by gradient noise)."""
    return iu.run_svi(
        iu.model_from_logdensity(log_post, INIT),
        jax.random.key(2),
        guide="AutoMultivariateNormal",
        num_steps=4000,
        optimizer=optax.adam(optax.exponential_decay(0.03, 4000, 0.02)),
        num_samples=4000,
        progress_bar=False,
        **kw,
    )


@pytest.mark.parametrize(
    "kw", [dict(num_particles=4), dict(num_particles=8, loss="renyi", renyi_alpha=0.5)]
)
def test_svi_multivariate_normal_guide_recovers_covariance(kw):
    """The full-rank Gaussian guide is exact on a Gaussian target, for KL and for Renyi."""
    res = _svi_gaussian(**kw)
    v = to_vec(res.samples)
    np.testing.assert_allclose(v.mean(0), MEAN, atol=0.1)
    _check_cov_mcse(v, np.full(3, v.shape[0]), k=6.0)
    assert res.losses.shape == (4000,)


def test_svi_autonormal_gets_means_and_underestimates_correlated_variance():
    model = iu.model_from_logdensity(log_post, INIT)
    opt = optax.adam(optax.exponential_decay(0.03, transition_steps=4000, decay_rate=0.02))
    res = iu.run_svi(
        model,
        jax.random.key(2),
        guide="AutoNormal",
        num_steps=4000,
        optimizer=opt,
        num_particles=4,
        num_samples=4000,
        progress_bar=False,
    )
    v = to_vec(res.samples)
    np.testing.assert_allclose(v.mean(0), MEAN, atol=0.1)
    # the mean-field optimum has variances 1 / diag(precision) (a closed form)
    np.testing.assert_allclose(v.var(0), 1.0 / np.diag(np.linalg.inv(COV)), rtol=0.1)


def test_svi_renyi_covers_both_modes():
    """Renyi (alpha = 0.1) is mass-covering: on two modes at +-2 (sd 0.5) its Gaussian is wider
    than the KL(q || p) fit from the same start and spans both modes (on a Gaussian target it
    is exact, like KL: test_svi_multivariate_normal_guide_recovers_covariance)."""

    def bimodal(p):
        x = p["x"]
        return jnp.logaddexp(-0.5 * ((x - 2.0) / 0.5) ** 2, -0.5 * ((x + 2.0) / 0.5) ** 2)

    model = iu.model_from_logdensity(bimodal, {"x": 0.3})
    common = dict(
        guide="AutoNormal",
        num_steps=3000,
        learning_rate=0.01,
        num_particles=32,
        guide_kwargs={"init_scale": 2.0},
        num_samples=4000,
        init_params={"x": 0.3},
        progress_bar=False,
    )
    kl = np.asarray(iu.run_svi(model, jax.random.key(5), **common).samples["x"])
    renyi = np.asarray(
        iu.run_svi(model, jax.random.key(5), loss="renyi", renyi_alpha=0.1, **common).samples["x"]
    )
    assert renyi.std() > kl.std() + 0.2
    assert abs(renyi.mean()) < 0.5 and renyi.std() > 2.0  # both modes inside one sd
    gauss = iu.model_from_logdensity(log_post, INIT)
    with pytest.raises(ValueError, match="num_particles >= 2"):
        iu.run_svi(gauss, jax.random.key(0), loss="renyi")
    with pytest.raises(ValueError, match="loss must be"):
        iu.run_svi(gauss, jax.random.key(0), loss="kl")


def test_svi_bounded_model_and_bad_guide():
    model = iu.model_from_logdensity(
        lambda p: -0.5 * ((p["s"] - 2.0) / 0.3) ** 2, {"s": 1.0}, bounds={"s": (0.0, None)}
    )
    res = iu.run_svi(
        model,
        jax.random.key(0),
        guide="AutoNormal",
        num_steps=2000,
        learning_rate=0.02,
        num_samples=2000,
        progress_bar=False,
    )
    s = np.asarray(res.samples["s"])
    assert np.all(s > 0) and abs(s.mean() - 2.0) < 0.05
    with pytest.raises(ValueError, match="guide must be one of"):
        iu.run_svi(model, jax.random.key(0), guide="AutoMagic")
    with pytest.raises(ValueError, match="unknown parameter names"):
        iu.model_from_logdensity(log_post, INIT, bounds={"zz": (0, 1)})


def test_pathfinder_gaussian():
    res = iu.run_pathfinder(log_post, INIT, jax.random.key(4), num_samples=4000)
    v = to_vec(res.samples)
    np.testing.assert_allclose(v.mean(0), MEAN, atol=0.1)
    # Pathfinder's covariance is the L-BFGS inverse-Hessian estimate along a short path, not
    # exact: measured at most 0.105 off (var of the third entry 0.395 for 0.5); a sign error on
    # an off-diagonal entry is >= 0.2 off
    np.testing.assert_allclose(np.cov(v.T), COV, atol=0.15)
    assert np.isfinite(res.elbo)


def test_svi_normalizing_flow_guide_bnaf():
    # a block neural autoregressive flow guide can represent the correlated Gaussian
    model = iu.model_from_logdensity(log_post, INIT)
    opt = optax.adam(optax.exponential_decay(0.01, transition_steps=2000, decay_rate=0.05))
    res = iu.run_svi(
        model,
        jax.random.key(5),
        guide="AutoBNAFNormal",
        num_steps=2000,
        optimizer=opt,
        num_particles=2,
        num_samples=4000,
        progress_bar=False,
        guide_kwargs={"hidden_factors": [4]},
    )
    v = to_vec(res.samples)
    np.testing.assert_allclose(v.mean(0), MEAN, atol=0.15)
    np.testing.assert_allclose(np.cov(v.T), COV, atol=0.3)
    assert float(np.mean(res.losses[-100:])) < float(np.mean(res.losses[:100]))
