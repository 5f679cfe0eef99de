import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

from jaxstro import sedphys as sp

SPEC = sp.ParamSpec(
    {
        "a": sp.Uniform(-1.0, 2.0),
        "b": sp.Normal(0.5, 2.0),
        "c": sp.LogUniform(0.1, 100.0),
        "d": sp.TruncatedNormal(0.0, 1.0, -0.5, 2.0),
        "e": sp.StudentT(2.0, 0.0, 0.3),
        "f": sp.Fixed(3.0),
    }
)


def test_names_bounds_fixed():
    assert SPEC.free_params == ("a", "b", "c", "d", "e")
    assert SPEC.fixed_values == {"f": 3.0}
    assert SPEC.bounds["a"] == (-1.0, 2.0) and SPEC.bounds["b"] == (-np.inf, np.inf)
    assert SPEC.bounds["d"] == (-0.5, 2.0)


def test_log_prior_matches_scipy():
    x = {"a": 0.3, "b": -1.0, "c": 5.0, "d": 0.7, "e": 0.2}
    want = (
        stats.uniform(-1, 3).logpdf(0.3)
        + stats.norm(0.5, 2).logpdf(-1.0)
        + stats.loguniform(0.1, 100).logpdf(5.0)
        + stats.truncnorm(-0.5, 2.0).logpdf(0.7)
        + stats.t(2.0, 0.0, 0.3).logpdf(0.2)
    )
    assert float(SPEC.log_prior(x)) == pytest.approx(want, rel=1e-12)
    assert float(jax.jit(SPEC.log_prior)(x)) == pytest.approx(want, rel=1e-12)
    assert float(SPEC.log_prior({**x, "a": 3.0})) == -np.inf
    assert float(SPEC.log_prior({**x, "c": 0.01})) == -np.inf


def test_samples_follow_priors():
    s = SPEC.sample_batch(jax.random.PRNGKey(0), 20000)
    assert set(s) == set(SPEC.free_params) and s["a"].shape == (20000,)
    for name, dist in [
        ("a", stats.uniform(-1, 3)),
        ("b", stats.norm(0.5, 2)),
        ("c", stats.loguniform(0.1, 100)),
        ("d", stats.truncnorm(-0.5, 2.0)),
    ]:
        assert stats.kstest(np.asarray(s[name]), dist.cdf).pvalue > 1e-3, name
    one = SPEC.sample(jax.random.PRNGKey(1))
    SPEC.check(one)
    assert jnp.isfinite(SPEC.log_prior(one))
    lp = jax.vmap(SPEC.log_prior)(s)
    assert lp.shape == (20000,) and bool(jnp.all(jnp.isfinite(lp)))


def test_bad_params():
    good = {"a": 0.3, "b": -1.0, "c": 5.0, "d": 0.7, "e": 0.2}
    with pytest.raises(ValueError, match=r"missing \['e'\]"):
        SPEC.check({k: v for k, v in good.items() if k != "e"})
    with pytest.raises(ValueError, match=r"unexpected \['f'\].*Fixed"):
        SPEC.check({**good, "f": 3.0})
    with pytest.raises(ValueError, match=r"params\['a'\] = 5.0 lies outside the support"):
        SPEC.check({**good, "a": 5.0})
    with pytest.raises(ValueError, match="invalid: low < high is needed"):
        sp.ParamSpec({"x": sp.Uniform(2.0, 1.0)})
    with pytest.raises(ValueError, match="accepted"):
        sp.ParamSpec({"x": (0, 1)})
