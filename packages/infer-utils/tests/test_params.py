import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxstro import infer_utils as iu


def test_layout_roundtrip_and_names():
    p = {"amp": jnp.arange(3.0), "mu": jnp.asarray(2.0), "w": jnp.ones((2, 2))}
    flat, layout = iu.flatten_params(p)
    assert flat.shape == (8,) and layout.size == 8
    back = layout.unravel(flat)
    for k in p:
        np.testing.assert_array_equal(back[k], p[k])
    assert layout.names[:4] == ("amp[0]", "amp[1]", "amp[2]", "mu")


def test_check_param_names_errors():
    expected = {"a": (), "b": (3,)}
    iu.check_param_names({"a": 1.0, "b": np.zeros(3)}, expected)
    with pytest.raises(ValueError, match=r"unknown names \['c'\]"):
        iu.check_param_names({"a": 1.0, "b": np.zeros(3), "c": 1}, expected)
    with pytest.raises(ValueError, match=r"missing \['b'\]"):
        iu.check_param_names({"a": 1.0}, expected)
    with pytest.raises(ValueError, match=r"params\['b'\] must have shape \(3,\)"):
        iu.check_param_names({"a": 1.0, "b": np.zeros(4)}, expected)


LO = np.array([0.0, -np.inf, -1.0, -np.inf])
HI = np.array([2.0, 3.0, np.inf, np.inf])


def test_bounded_roundtrip_and_range():
    u = jnp.array([-3.0, 0.4, 2.0, -7.0])
    x = iu.to_bounded(u, LO, HI)
    assert 0 < x[0] < 2 and x[1] < 3 and x[2] > -1 and x[3] == -7.0
    np.testing.assert_allclose(iu.to_unbounded(x, LO, HI), u, rtol=1e-12, atol=1e-12)


def test_log_det_jacobian_matches_autodiff():
    u = jnp.array([0.3, -1.2, 0.7, 2.0])
    jac = jax.jacfwd(lambda v: iu.to_bounded(v, LO, HI))(u)
    ref = np.log(np.abs(np.linalg.det(np.asarray(jac))))
    np.testing.assert_allclose(iu.log_abs_det_jacobian(u, LO, HI), ref, rtol=1e-12)


def test_transforms_gradients_finite_everywhere():
    g = jax.grad(lambda v: jnp.sum(iu.to_bounded(v, LO, HI)) + iu.log_abs_det_jacobian(v, LO, HI))
    assert np.all(np.isfinite(g(jnp.array([30.0, -30.0, 30.0, 1.0]))))


def test_flat_bounds():
    layout = iu.make_layout({"a": 0.0, "b": jnp.zeros(2)})
    lo, hi = iu.flat_bounds({"b": (0, None)}, layout)
    np.testing.assert_array_equal(lo, [-np.inf, 0, 0])
    np.testing.assert_array_equal(hi, [np.inf] * 3)
    with pytest.raises(ValueError, match="unknown parameter names"):
        iu.flat_bounds({"zz": (0, 1)}, layout)
    with pytest.raises(ValueError, match="lower < upper"):
        iu.flat_bounds({"a": (1, 0)}, layout)


def test_transforms_float32_finite():
    u = jnp.array([-3.0, 0.4, 2.0, -7.0], dtype=jnp.float32)
    x = iu.to_bounded(u, LO, HI)
    assert x.dtype == jnp.float32 and np.all(np.isfinite(x))
