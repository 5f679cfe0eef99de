"""Property-based tests of the public parameter transforms of jaxstro.infer_utils (issue 10).

``to_bounded`` / ``to_unbounded`` / ``log_abs_det_jacobian`` against float64 numpy closed
forms and ``jax.jacfwd``; round trips within the dtype's precision scaled by the transform's
conditioning; integer input equal to float input; NaN, out-of-bounds and bad bounds raise
``ValueError`` when concrete and give NaN when traced (jit, per entry under vmap);
``flatten_params`` / ``make_layout`` round trips for random pytrees.

The ci profile (conftest.py) runs 25 derandomised examples per test; ``HYPOTHESIS_PROFILE=fuzz``
runs 400 random ones. Shapes are fixed so each jitted function compiles once per dtype.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import jaxstro.infer_utils as iu

SEEDS = st.integers(0, 2**32 - 1)
N = 8  # entries per example: two of each kind (both bounds, lower only, upper only, none)
KINDS = np.repeat(np.arange(4), 2)

_to_b = jax.jit(iu.to_bounded)
_to_u = jax.jit(iu.to_unbounded)
_logdet = jax.jit(iu.log_abs_det_jacobian)
_logdet_each = jax.jit(jax.vmap(iu.log_abs_det_jacobian))  # per-entry log|dx/du|


def _bounds(rng, mag):
    lo = rng.uniform(-mag, mag, N)
    hi = lo + rng.uniform(1.0, mag, N)
    lo = np.where((KINDS == 2) | (KINDS == 3), -np.inf, lo)
    hi = np.where((KINDS == 1) | (KINDS == 3), np.inf, hi)
    return lo, hi


def _reference(u, lo, hi):
    """float64 numpy closed forms of x(u) and log|dx/du|."""
    u = np.asarray(u, dtype=np.float64)
    with np.errstate(invalid="ignore"):  # np.select evaluates every branch (inf bounds)
        return _reference_branches(u, lo, hi)


def _reference_branches(u, lo, hi):
    sig = 1.0 / (1.0 + np.exp(-u))
    x = np.select(
        [KINDS == 0, KINDS == 1, KINDS == 2],
        [lo + (hi - lo) * sig, lo + np.exp(u), hi - np.exp(-u)],
        u,
    )
    ld = np.select(
        [KINDS == 0, KINDS == 1, KINDS == 2],
        [np.log(hi - lo) - np.logaddexp(0.0, -u) - np.logaddexp(0.0, u), u, -u],
        0.0,
    )
    return x, ld


@given(SEEDS, st.sampled_from(["int", np.float32, np.float64]))
def test_transforms_match_closed_forms_and_round_trip(seed, dtype):
    rng = np.random.default_rng(seed)
    f32 = dtype == np.float32
    mag = 10.0 if f32 else 100.0
    lo, hi = _bounds(rng, mag)
    u = rng.uniform(-4.0, 4.0, N) if f32 else rng.uniform(-8.0, 8.0, N)
    if dtype == "int":
        u = np.round(u).astype(np.int64)
    else:
        u = u.astype(dtype)
    out_dtype = np.float32 if f32 else np.float64
    eps = np.finfo(out_dtype).eps
    x_ref, ld_ref = _reference(u, lo, hi)
    for to_b in (iu.to_bounded, _to_b):
        x = np.asarray(to_b(u, lo, hi))
        assert x.dtype == out_dtype
        scale = np.abs(np.where(np.isfinite(lo), lo, 0)) + np.abs(np.where(np.isfinite(hi), hi, 0))
        assert np.all(np.abs(x - x_ref) <= 64 * eps * (np.abs(x_ref) + scale + 1)), (x, x_ref)
        assert np.all((x > lo) & (x < hi))
    # round trip: the error of x (a few ulp of the bounds' scale) maps back through du/dx
    x = iu.to_bounded(u, lo, hi)
    back = np.asarray(_to_u(x, lo, hi))
    assert back.dtype == out_dtype
    dxdu = np.exp(ld_ref)
    tol = 64 * eps * (np.abs(np.asarray(x, np.float64)) + scale + 1) / dxdu + 64 * eps * np.abs(u)
    assert np.all(np.abs(back - np.asarray(u, np.float64)) <= tol), (back, u, tol)
    # log|det J|: closed form, per entry, and jax.jacfwd's numerical determinant
    np.testing.assert_allclose(
        _logdet(u, lo, hi), ld_ref.sum(), rtol=0, atol=64 * eps * (np.abs(ld_ref).sum() + 1)
    )
    np.testing.assert_allclose(_logdet_each(u, lo, hi), ld_ref, rtol=64 * eps, atol=64 * eps * 10)
    if not f32:
        uf = jnp.asarray(u, dtype=jnp.float64)
        jac = np.asarray(jax.jacfwd(lambda v: iu.to_bounded(v, lo, hi))(uf))
        np.testing.assert_allclose(
            iu.log_abs_det_jacobian(uf, lo, hi), np.log(abs(np.linalg.det(jac))), rtol=1e-10
        )
    # integer u is the float64 u of the same values
    if dtype == "int":
        np.testing.assert_array_equal(iu.to_bounded(u, lo, hi), iu.to_bounded(1.0 * u, lo, hi))


@given(SEEDS, st.sampled_from(["nan", "below", "above"]))
def test_to_unbounded_outside_bounds(seed, kind):
    rng = np.random.default_rng(seed)
    lo, hi = _bounds(rng, 100.0)
    x = np.array(iu.to_bounded(rng.uniform(-3, 3, N), lo, hi))
    candidates = {
        "nan": np.arange(N),
        "below": np.flatnonzero(np.isfinite(lo)),
        "above": np.flatnonzero(np.isfinite(hi)),
    }[kind]
    i = int(rng.choice(candidates))
    x[i] = {
        "nan": np.nan,
        "below": lo[i] - rng.uniform(1e-6, 10),
        "above": hi[i] + rng.uniform(1e-6, 10),
    }[kind]
    with pytest.raises(ValueError, match="x has 1 invalid value"):
        iu.to_unbounded(x, lo, hi)
    got = np.asarray(_to_u(x, lo, hi))
    assert np.isnan(got[i]) and np.all(np.isfinite(np.delete(got, i)))
    got = np.asarray(jax.vmap(_to_u)(x, lo, hi))  # per entry
    assert np.isnan(got[i]) and np.all(np.isfinite(np.delete(got, i)))


@given(SEEDS)
def test_on_the_bounds_and_infinite_u_are_the_limits(seed):
    rng = np.random.default_rng(seed)
    lo, hi = _bounds(rng, 100.0)
    both = KINDS == 0
    inside = np.asarray(iu.to_bounded(np.zeros(N), lo, hi))
    got = np.asarray(iu.to_unbounded(np.where(both, lo, inside), lo, hi))
    assert np.all(got[both] == -np.inf)
    got = np.asarray(iu.to_unbounded(np.where(both, hi, inside), lo, hi))
    assert np.all(got[both] == np.inf)
    x = np.asarray(iu.to_bounded(np.full(N, np.inf), lo, hi))
    np.testing.assert_array_equal(x, np.where(np.isfinite(hi), hi, np.inf))
    x = np.asarray(iu.to_bounded(np.full(N, -np.inf), lo, hi))
    np.testing.assert_array_equal(x, np.where(np.isfinite(lo), lo, -np.inf))


@given(SEEDS, st.sampled_from(["reversed", "equal", "nan_lo", "nan_hi", "lo_inf", "hi_minf"]))
def test_bad_bounds(seed, kind):
    rng = np.random.default_rng(seed)
    lo, hi = _bounds(rng, 100.0)
    i = int(rng.integers(N))
    lo, hi = lo.copy(), hi.copy()
    if kind == "reversed":
        lo[i], hi[i] = 1.0, -1.0
    elif kind == "equal":
        lo[i], hi[i] = 2.0, 2.0
    elif kind == "nan_lo":
        lo[i] = np.nan
    elif kind == "nan_hi":
        hi[i] = np.nan
    elif kind == "lo_inf":
        lo[i] = np.inf
    else:
        hi[i] = -np.inf
    u = rng.uniform(-3, 3, N)
    for f in (iu.to_bounded, iu.to_unbounded, iu.log_abs_det_jacobian):
        with pytest.raises(ValueError, match="lower < upper"):
            f(u if f is not iu.to_unbounded else np.zeros(N), lo, hi)
    got = np.asarray(_to_b(u, jnp.asarray(lo), jnp.asarray(hi)))  # traced bounds: NaN entry
    assert np.isnan(got[i]) and np.all(np.isfinite(np.delete(got, i)))
    assert np.isnan(_logdet(u, jnp.asarray(lo), jnp.asarray(hi)))


@given(SEEDS)
def test_nan_u(seed):
    rng = np.random.default_rng(seed)
    lo, hi = _bounds(rng, 100.0)
    u = rng.uniform(-3, 3, N)
    i = int(rng.integers(N))
    u[i] = np.nan
    for f in (iu.to_bounded, iu.log_abs_det_jacobian):
        with pytest.raises(ValueError, match="u has 1 invalid value"):
            f(u, lo, hi)
    got = np.asarray(_to_b(u, lo, hi))
    assert np.isnan(got[i]) and np.all(np.isfinite(np.delete(got, i)))
    assert np.isnan(_logdet(u, lo, hi))


@st.composite
def pytrees(draw):
    rng = np.random.default_rng(draw(SEEDS))
    n_leaves = draw(st.integers(1, 5))
    tree = {}
    for k in range(n_leaves):
        shape = draw(st.sampled_from([(), (1,), (3,), (2, 3)]))
        dtype = draw(st.sampled_from([np.float32, np.float64, np.int32]))
        v = rng.uniform(-1000, 1000, shape)
        tree[f"p{k}"] = jnp.asarray(np.round(v) if dtype == np.int32 else v, dtype=dtype)
    if draw(st.booleans()):
        tree = {"outer": tree, "z": jnp.asarray(1.5)}
    return tree


@given(pytrees())
def test_flatten_params_round_trip(tree):
    flat, layout = iu.flatten_params(tree)
    leaves = jax.tree_util.tree_leaves(tree)
    assert flat.ndim == 1 and flat.size == layout.size == sum(np.size(v) for v in leaves)
    assert len(layout.names) == layout.size and len(set(layout.names)) == layout.size
    assert layout.size == iu.make_layout(tree).size
    for back in (layout.unravel(flat), jax.jit(layout.unravel)(flat)):
        assert jax.tree_util.tree_structure(back) == jax.tree_util.tree_structure(tree)
        for a, b in zip(jax.tree_util.tree_leaves(back), leaves, strict=True):
            assert a.dtype == b.dtype and a.shape == b.shape
            np.testing.assert_array_equal(a, b)  # integers |v| <= 1000 are exact in float32
    # flat entries follow the names: each scalar leaf's entry carries its value
    for name, v in zip(layout.names, np.asarray(flat), strict=True):
        assert np.isfinite(v) and name


@given(SEEDS, st.sampled_from([math.nan, math.inf, -math.inf]))
def test_flat_bounds_reject_non_finite_pairs(seed, bad):
    layout = iu.make_layout({"a": jnp.zeros(3), "b": 0.0})
    lo_ok = -1.0 if bad != -math.inf else 0.0
    with pytest.raises(ValueError, match="lower < upper"):
        iu.flat_bounds({"a": (lo_ok, bad) if bad != math.inf else (bad, 1.0)}, layout)
