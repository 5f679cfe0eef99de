import arviz as az
import numpy as np
import pytest

from jaxstro import infer_utils as iu


def _chains(seed=0, shape=(4, 500)):
    rng = np.random.default_rng(seed)
    x = np.zeros(shape)
    e = rng.normal(size=shape)
    for t in range(1, shape[1]):  # AR(1), autocorrelated
        x[:, t] = 0.7 * x[:, t - 1] + e[:, t]
    return x


def test_rhat_matches_arviz_rank_normalised():
    x = _chains()
    x[0] += 0.3  # one offset chain
    np.testing.assert_allclose(iu.split_rhat(x), az.rhat(x, method="rank"), rtol=1e-10)


def test_ess_matches_arviz_within_estimator_differences():
    x = _chains(1)
    np.testing.assert_allclose(iu.ess_bulk(x), az.ess(x, method="bulk"), rtol=0.02)
    np.testing.assert_allclose(iu.ess_tail(x), az.ess(x, method="tail"), rtol=0.03)


def test_ess_of_independent_draws_near_n_and_rhat_flags_bad_chains():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(4, 1000))
    assert 3400 < iu.ess_bulk(x) < 4600
    assert iu.split_rhat(x) < 1.01
    bad = x + np.arange(4)[:, None]
    assert iu.split_rhat(bad) > 1.5


def test_summary_table_and_format():
    samples = {"a": _chains(2), "v": np.stack([_chains(s) for s in range(3)], axis=-1)}
    tab = iu.summary(samples, is_divergent=np.zeros((4, 500), bool))
    assert tab["v"]["r_hat"].shape == (3,) and tab["_divergences"]["count"] == 0
    text = iu.format_summary(tab)
    assert "ess_bulk" in text and "v[2]" in text and "divergences: 0" in text
    with pytest.raises(ValueError, match="chains, draws"):
        iu.summary({"a": np.zeros(10)})


def test_to_arviz(tmp_path):
    import jax
    from gaussians import INIT, log_post

    res = iu.run_nuts(
        log_post,
        INIT,
        jax.random.key(0),
        num_warmup=50,
        num_samples=50,
        num_chains=2,
        progress_bar=False,
    )
    idata = iu.to_arviz(res)
    assert idata.posterior["bc"].shape[:2] == (2, 50)
    assert "diverging" in idata.sample_stats
    np.testing.assert_allclose(
        az.rhat(idata)["a"].values, iu.split_rhat(res.samples["a"]), rtol=1e-8
    )
