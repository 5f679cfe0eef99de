"""The package's contracts (docs/design.md): bad input raises ValueError naming the argument
(at prepare time or on concrete values), traced out-of-range values give NaN (and a NaN
gradient), ``with_checks()`` raises from inside jit, gradients at in-range points equal those
of the unguarded computation and finite differences, and operators are pytrees."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from conftest import eslog

from jaxstro.specops import (
    InstrumentalProfile,
    Resampler,
    RotationOperator,
    eslog_resolution,
    prepare_instrumental_profile,
    prepare_resampling,
    prepare_rotation,
)


@pytest.fixture(scope="module")
def small():
    nu = eslog(4350.0, 4356.0, 600)  # R ~ 4.4e5, dv ~ 0.69 km/s
    x = np.arange(nu.size)
    f = 1.0 - 0.5 * np.exp(-0.5 * ((x - 300.0) / 6.0) ** 2) + 0.001 * x
    return nu, f


@pytest.fixture(scope="module")
def ops(small):
    nu, _ = small
    return dict(
        rot=prepare_rotation(nu, vsini_max_kms=30.0),
        ip=prepare_instrumental_profile(nu, resolving_power_min=30000.0),
        rs=prepare_resampling(nu, np.linspace(4351.0, 4355.0, 100)),
    )


# --- prepare-time errors -------------------------------------------------------------------


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda nu: prepare_rotation(nu, vsini_max_kms=0.0), "vsini_max_kms"),
        (lambda nu: prepare_rotation(nu, vsini_max_kms=np.nan), "vsini_max_kms"),
        (lambda nu: prepare_rotation(nu, vsini_max_kms=1e4), "vsini_max_kms"),
        (lambda nu: prepare_rotation(nu[::-1], vsini_max_kms=10.0), "nu_grid_cm1"),
        (lambda nu: prepare_rotation(np.linspace(4350, 4356, 600), vsini_max_kms=10.0), "ESLOG"),
        (lambda nu: prepare_rotation(-nu, vsini_max_kms=10.0), "nu_grid_cm1"),
        (lambda nu: prepare_rotation(nu[:1], vsini_max_kms=10.0), "nu_grid_cm1"),
        (lambda nu: prepare_rotation(nu, vsini_max_kms=10.0, kernel="gauss"), "kernel"),
        (lambda nu: prepare_rotation(nu, vsini_max_kms=10.0, edge="wrap"), "edge"),
        (lambda nu: prepare_rotation(nu, vsini_max_kms=10.0, velocity_step="c"), "velocity_step"),
        (lambda nu: prepare_instrumental_profile(nu, resolving_power_min=0.0), "resolving_power"),
        (lambda nu: prepare_instrumental_profile(nu, resolving_power_min=-5.0), "resolving_power"),
        (lambda nu: prepare_instrumental_profile(nu, resolving_power_min=100.0), "resolving_power"),
        (
            lambda nu: prepare_instrumental_profile(nu, resolving_power_min=3e4, n_sigma=0),
            "n_sigma",
        ),
        (lambda nu: prepare_resampling(nu, np.linspace(4300.0, 4400.0, 50)), "nu_obs_cm1"),
        (lambda nu: prepare_resampling(nu, nu[::-1]), "nu_obs_cm1"),
        (lambda nu: prepare_resampling(nu[::-1], nu), "nu_model_cm1"),
        (lambda nu: prepare_resampling(nu, nu[10:-10], method="cubic"), "method"),
        (
            lambda nu: prepare_resampling(nu, nu[10:-10], method="flux", nu_obs_edges_cm1=nu[9:-9]),
            "nu_obs_edges_cm1",
        ),
    ],
)
def test_prepare_errors_name_the_argument(small, call, name):
    with pytest.raises(ValueError, match=name):
        call(small[0])


def test_eslog_resolution_matches_definition(small):
    nu, _ = small
    assert abs(eslog_resolution(nu) / ((nu.size - 1) / np.log(nu[-1] / nu[0])) - 1) < 1e-14


# --- concrete out-of-range values raise ----------------------------------------------------


def test_concrete_out_of_range_raises(small, ops):
    nu, f = small
    rot, ip, rs = ops["rot"], ops["ip"], ops["rs"]
    for vsini, u1, u2, name in [
        (31.0, 0.3, 0.1, "vsini_kms"),
        (-1.0, 0.3, 0.1, "vsini_kms"),
        (np.nan, 0.3, 0.1, "vsini_kms"),
        (np.inf, 0.3, 0.1, "vsini_kms"),
        (10.0, -0.1, 0.0, "u1"),
        (10.0, 0.8, 0.5, "u1"),
        (10.0, 0.2, -0.2, "u2"),
        (10.0, np.nan, 0.0, "u1"),
    ]:
        with pytest.raises(ValueError, match=name):
            rot.apply(f, vsini, u1, u2)
    for r in (0.0, -1e4, np.nan, np.inf, 1e4):
        with pytest.raises(ValueError, match="resolving_power"):
            ip.apply(f, r)
    for rv in (rs.rv_max_kms + 1.0, rs.rv_min_kms - 1.0, np.nan, np.inf):
        with pytest.raises(ValueError, match="rv_kms"):
            rs.apply(f, rv)
    with pytest.raises(ValueError, match="spectrum"):
        rot.apply(f[:-1], 10.0)
    with pytest.raises(ValueError, match="spectrum"):
        ip.apply(f[:-1], 5e4)
    with pytest.raises(ValueError, match="spectrum"):
        rs.apply(f[:-1], 0.0)
    with pytest.raises(ValueError, match="vsini_kms"):
        rot.apply(f, np.array([1.0, 2.0]))
    with pytest.raises(ValueError, match="resolving_power"):
        ip.apply(f, np.array([5e4, 6e4]))
    with pytest.raises(ValueError, match="rv_kms"):
        rs.apply(f, np.array([0.0, 1.0]))


# --- traced: NaN, checked mode raises, in-range gradients unaffected -----------------------


def test_traced_out_of_range_is_nan_with_nan_gradient(small, ops):
    nu, f = small
    rot, ip, rs = ops["rot"], ops["ip"], ops["rs"]
    r = jax.jit(lambda v, a, b: rot.apply(f, v, a, b))
    for args in [(31.0, 0.3, 0.1), (-1.0, 0.3, 0.1), (10.0, 0.8, 0.5), (np.nan, 0.3, 0.1)]:
        assert np.all(np.isnan(r(*args)))
    assert np.all(np.isfinite(r(10.0, 0.3, 0.1)))
    gr = jax.grad(lambda v: jnp.sum(rot.apply(f, v, 0.3, 0.1)))
    assert np.isnan(jax.jit(gr)(31.0))
    i = jax.jit(lambda q: ip.apply(f, q))
    assert np.all(np.isnan(i(1e4))) and np.all(np.isnan(i(np.inf)))
    assert np.isnan(jax.jit(jax.grad(lambda q: jnp.sum(ip.apply(f, q))))(1e4))
    s = jax.jit(lambda v: rs.apply(f, v))
    assert np.all(np.isnan(s(rs.rv_max_kms + 1.0))) and np.all(np.isfinite(s(0.0)))
    assert np.isnan(jax.jit(jax.grad(lambda v: jnp.sum(rs.apply(f, v))))(1e4))
    # per member under vmap
    out = jax.vmap(lambda v: rot.apply(f, v, 0.3, 0.1))(jnp.array([5.0, 40.0]))
    assert np.all(np.isfinite(out[0])) and np.all(np.isnan(out[1]))


def test_with_checks_raises_inside_jit(small, ops):
    nu, f = small
    rot = ops["rot"].with_checks()
    assert rot.checked and not ops["rot"].checked
    with pytest.raises(Exception, match="vsini_kms"):
        jax.block_until_ready(jax.jit(lambda v: rot.apply(f, v, 0.3, 0.1))(40.0))
    ip = ops["ip"].with_checks()
    with pytest.raises(Exception, match="resolving_power"):
        jax.block_until_ready(jax.jit(lambda q: ip.apply(f, q))(1e4))
    rs = ops["rs"].with_checks()
    with pytest.raises(Exception, match="rv_kms"):
        jax.block_until_ready(jax.jit(lambda v: rs.apply(f, v))(1e4))
    # and in range it agrees with the unchecked operator
    np.testing.assert_allclose(
        jax.jit(lambda v: rot.apply(f, v, 0.3, 0.1))(12.0), ops["rot"].apply(f, 12.0, 0.3, 0.1)
    )


def test_in_range_gradient_equals_unguarded(small, ops):
    """The guard changes nothing in range: the gradient equals that of an unguarded
    ``np.convolve``-style evaluation (jnp.convolve with the kernel weights) and FD."""
    nu, f = small
    rot, ip = ops["rot"], ops["ip"]
    w = np.cos(np.arange(nu.size) / 13.0)
    inner = slice(100, -100)  # away from the edge padding

    @jax.jit
    def guarded(p):
        return jnp.sum((w * rot.apply(f, p[0], p[1], p[2]))[inner])

    @jax.jit
    def unguarded(p):
        k = rot.kernel_weights(p[0], p[1], p[2])
        return jnp.sum((w * jnp.convolve(jnp.asarray(f), k, mode="same"))[inner])

    p = jnp.array([12.3, 0.4, 0.2])
    np.testing.assert_allclose(guarded(p), unguarded(p), rtol=1e-13)
    grad = jax.jit(jax.grad(guarded))(p)
    np.testing.assert_allclose(grad, jax.jit(jax.grad(unguarded))(p), rtol=1e-10)
    h = np.array([1e-5, 1e-6, 1e-6])
    fd = [
        (guarded(p + h[j] * np.eye(3)[j]) - guarded(p - h[j] * np.eye(3)[j])) / (2 * h[j])
        for j in range(3)
    ]
    np.testing.assert_allclose(grad, fd, rtol=1e-6)

    @jax.jit
    def guarded_ip(r):
        return jnp.sum((w * ip.apply(f, r))[inner])

    @jax.jit
    def unguarded_ip(r):
        return jnp.sum((w * jnp.convolve(jnp.asarray(f), ip.kernel_weights(r), mode="same"))[inner])

    np.testing.assert_allclose(
        jax.jit(jax.grad(guarded_ip))(4.5e4), jax.jit(jax.grad(unguarded_ip))(4.5e4), rtol=1e-10
    )


def test_operators_are_pytrees(ops):
    for op, cls in ((ops["rot"], RotationOperator), (ops["ip"], InstrumentalProfile)):
        leaves, tree = jax.tree_util.tree_flatten(op)
        assert all(isinstance(x, jax.Array) for x in leaves)
        back = jax.tree_util.tree_unflatten(tree, leaves)
        assert isinstance(back, cls) and back.half == op.half
    leaves, tree = jax.tree_util.tree_flatten(ops["rs"])
    assert isinstance(jax.tree_util.tree_unflatten(tree, leaves), Resampler)


def test_dtype_follows_inputs(small, ops):
    nu, f = small
    f32 = f.astype(np.float32)
    assert ops["rot"].apply(f32, np.float32(5.0)).dtype == jnp.float32
    assert ops["ip"].apply(f32, np.float32(5e4)).dtype == jnp.float32
    assert ops["rs"].apply(f32, np.float32(1.0)).dtype == jnp.float32
    # integers promoted to float
    assert jnp.issubdtype(ops["rot"].apply(np.ones(nu.size, int), 5).dtype, jnp.floating)
    assert jnp.issubdtype(ops["ip"].apply(np.ones(nu.size, int), 50000).dtype, jnp.floating)
    assert jnp.issubdtype(ops["rs"].apply(np.ones(nu.size, int), 1).dtype, jnp.floating)
