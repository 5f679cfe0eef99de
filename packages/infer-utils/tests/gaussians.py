"""Analytic test posteriors shared by the infer-utils tests."""

import jax.numpy as jnp
import numpy as np

MEAN = np.array([1.0, -2.0, 0.5])
COV = np.array([[1.0, 0.8, 0.1], [0.8, 2.0, -0.3], [0.1, -0.3, 0.5]])
PREC = np.linalg.inv(COV)


def log_post(p):
    """Unnormalised log density of N(MEAN, COV) over {"a": scalar, "bc": (2,)}."""
    x = jnp.concatenate([jnp.atleast_1d(p["a"]), p["bc"]])
    r = x - MEAN
    return -0.5 * r @ PREC @ r


def neg_log_post(p):
    return -log_post(p)


def to_vec(samples):
    """(..., 3) array from a dict of samples with leading axes."""
    return np.concatenate([np.asarray(samples["a"])[..., None], np.asarray(samples["bc"])], axis=-1)


INIT = {"a": jnp.asarray(0.0), "bc": jnp.zeros(2)}
