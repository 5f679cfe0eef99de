"""membership_probability: rate_k / sum of all rates, every component counted once."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.stats import norm

from jaxstro import splinedens as sd


@pytest.fixture
def three_components():
    """Log rates of a stream, a second (cocoon) Gaussian and a linear background at 200 points,
    spanning regions where each component dominates."""
    rng = np.random.default_rng(5)
    x = rng.uniform(-4.0, 4.0, 200)
    log_stream = np.log(120.0) + norm.logpdf(x, 0.2, 0.3)
    log_cocoon = np.log(40.0) + norm.logpdf(x, -0.1, 1.2)
    log_bg = np.log(5.0 + 0.5 * (x + 4.0))
    return log_stream, log_cocoon, log_bg


def _numpy_probabilities(logs):
    # independent reference: exponentiate (the rates are O(1)-O(100)) and divide
    rates = np.exp(np.stack(logs))
    return rates / rates.sum(axis=0)


def test_three_components_sum_to_one_and_match_numpy(three_components):
    want = _numpy_probabilities(three_components)
    got = np.stack([sd.membership_probability(three_components, k) for k in range(3)])
    np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(got.sum(axis=0), 1.0, rtol=1e-14)
    # every component dominates somewhere: a double-counted component would break the sum
    assert np.all(got.max(axis=1) > 0.5)


def test_mapping_array_and_negative_index_agree(three_components):
    log_stream, log_cocoon, log_bg = three_components
    want = _numpy_probabilities(three_components)
    named = {"stream": log_stream, "cocoon": log_cocoon, "background": log_bg}
    np.testing.assert_allclose(sd.membership_probability(named, "cocoon"), want[1], rtol=1e-13)
    stacked = jnp.asarray(np.stack(three_components))
    np.testing.assert_allclose(sd.membership_probability(stacked, -1), want[2], rtol=1e-13)
    # broadcasting: a scalar log rate (flat background) against (N,) arrays
    p = sd.membership_probability((log_stream, np.log(7.0)), 1)
    np.testing.assert_allclose(p, 7.0 / (np.exp(log_stream) + 7.0), rtol=1e-13)


def test_two_components_and_stream_membership():
    a, b = np.log(np.array([1.0, 3.0])), np.log(np.array([3.0, 1.0]))
    np.testing.assert_allclose(sd.membership_probability((a, b), 0), [0.25, 0.75], rtol=1e-14)
    np.testing.assert_allclose(sd.membership_probability([a, b], 1), [0.75, 0.25], rtol=1e-14)


def test_jit_and_float32(three_components):
    f = jax.jit(sd.membership_probability, static_argnums=1)
    want = _numpy_probabilities(three_components)[0]
    np.testing.assert_allclose(f(three_components, 0), want, rtol=1e-13)
    logs32 = tuple(jnp.asarray(v, dtype=jnp.float32) for v in three_components)
    p32 = sd.membership_probability(logs32, 0)
    assert p32.dtype == jnp.float32
    np.testing.assert_allclose(p32, want, rtol=1e-5, atol=1e-7)


def test_bad_input(three_components):
    with pytest.raises(ValueError, match=r"component=3 is out of range for 3 components"):
        sd.membership_probability(three_components, 3)
    with pytest.raises(ValueError, match=r"component must be a key.*'disk'.*'stream'"):
        sd.membership_probability({"stream": three_components[0]}, "disk")
    # the old call style (component, *others) is rejected with a pointer to the new one
    with pytest.raises(ValueError, match="component must be an int index.*EVERY component"):
        sd.membership_probability(three_components[0], three_components[1])
    with pytest.raises(ValueError, match="log_components.*scalar"):
        sd.membership_probability(jnp.asarray(0.0), 0)
