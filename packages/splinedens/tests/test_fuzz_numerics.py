"""Property-based tests of every public numerical function of jaxstro.splinedens (issue 10).

For random valid input, integer, float32 and float64 inputs give the same result (to the
dtype's precision) as an independent float64 reference (scipy / numpy), eagerly and under
jit; for NaN / inf / out-of-domain input a concrete call raises ``ValueError`` naming the
argument, and the same value traced under ``jit`` (and per member under ``vmap``) gives a
non-finite result, never a finite wrong number.

The ci profile (conftest.py) runs 25 derandomised examples per test; ``HYPOTHESIS_PROFILE=fuzz``
runs 400 random ones. Shapes are fixed so each jitted function compiles once per dtype.
"""

from __future__ import annotations

import math
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats
from scipy.integrate import simpson, trapezoid
from scipy.interpolate import InterpolatedUnivariateSpline as IUS
from scipy.special import logsumexp as np_logsumexp

import jaxstro.splinedens as sd

SEEDS = st.integers(0, 2**32 - 1)
NON_FINITE = st.sampled_from([math.nan, math.inf, -math.inf])
BAD_LOG = st.sampled_from([math.nan, math.inf])  # -inf is a valid log density (zero)
DTYPES = ("int", np.float32, np.float64)
N_KNOTS, N_X, N_GRID = 7, 9, 21

# float32 tolerance: ~1e3 ulp of the result's scale (the matrix products sum ~10 terms)
RTOL32, RTOL64 = 2e-4, 1e-10


def _knots(rng):
    return np.cumsum(np.r_[rng.uniform(-5, 5), rng.uniform(0.3, 2.0, N_KNOTS - 1)])


def _cast(a, dtype):
    """``a`` (float64 numpy) as ``dtype``; 'int' rounds first (the reference uses the rounded)."""
    a = np.asarray(a)
    return np.round(a).astype(np.int64) if dtype == "int" else a.astype(dtype)


def _ref_input(a, dtype):
    return np.round(a) if dtype == "int" else np.asarray(a, dtype=dtype).astype(np.float64)


def _close(got, ref, dtype, scale=1.0):
    got = np.asarray(got)
    want_dtype = np.float32 if dtype == np.float32 else np.float64
    assert got.dtype == want_dtype, (got.dtype, dtype)
    rtol = RTOL32 if dtype == np.float32 else RTOL64
    np.testing.assert_allclose(got, ref, rtol=rtol, atol=rtol * scale)


def _nonfinite_where(got, bad):
    got = np.asarray(got)
    assert np.all(~np.isfinite(got[bad])), got
    assert np.all(np.isfinite(got[~bad])), got


_eval_jit = jax.jit(sd.spline_eval)
_integral_jit = jax.jit(sd.spline_integral)
_eval_jit_d1 = jax.jit(lambda spl, y, x: sd.spline_eval(spl, y, x, nu=1))
_eval_vmap = jax.jit(jax.vmap(sd.spline_eval, in_axes=(None, 0, None)))


# ----- splines -----------------------------------------------------------------------------


@given(SEEDS, st.sampled_from(DTYPES))
def test_spline_eval_and_integral_dtypes(seed, dtype):
    rng = np.random.default_rng(seed)
    knots = _knots(rng)
    spl = sd.make_spline(knots)
    y = rng.uniform(-20, 20, N_KNOTS)
    x = rng.uniform(knots[0], knots[-1], N_X)
    a, b = rng.uniform(knots[0], knots[-1], 2)
    yc = _cast(y, dtype)
    xc = x.astype(np.float32) if dtype == np.float32 else x
    ref = IUS(knots, _ref_input(y, dtype), k=3)
    scale = np.abs(ref(np.linspace(knots[0], knots[-1], 200))).max() + 1.0
    for f in (sd.spline_eval, _eval_jit):
        _close(f(spl, yc, xc), ref(xc.astype(np.float64)), dtype, scale)
    _close(_eval_jit_d1(spl, yc, xc), ref.derivative(1)(xc), dtype, 10 * scale)
    for f in (sd.spline_integral, _integral_jit):
        _close(f(spl, yc, a, b), ref.integral(a, b), dtype, scale * (knots[-1] - knots[0]))
    # the design-matrix fast path is the same linear map (float64 numpy)
    W = sd.spline_design_matrix(spl, x)
    np.testing.assert_allclose(W @ y, IUS(knots, y, k=3)(x), rtol=1e-10, atol=1e-10 * scale)
    G = sd.spline_integral_matrix(spl, x)
    want = [IUS(knots, y, k=3).integral(knots[0], xi) for xi in x]
    np.testing.assert_allclose(G @ y, want, rtol=1e-10, atol=1e-9 * scale)
    # vmap over a batch of knot-value vectors = loop
    ys = np.stack([y, -y, 0.5 * y])
    got = _eval_vmap(spl, ys, x)
    np.testing.assert_allclose(got, [IUS(knots, v, k=3)(x) for v in ys], rtol=1e-10, atol=1e-9)


@given(SEEDS, NON_FINITE, st.sampled_from(["y", "x", "a", "b"]))
def test_spline_non_finite_input(seed, bad_value, where):
    rng = np.random.default_rng(seed)
    spl = sd.make_spline(_knots(rng))
    y = rng.uniform(-5, 5, N_KNOTS)
    x = rng.uniform(spl.knots[0], spl.knots[-1], N_X)
    a, b = spl.knots[0], spl.knots[-1]
    i = int(rng.integers(N_X))
    if where == "y":
        y[int(rng.integers(N_KNOTS))] = bad_value
    elif where == "x":
        x[i] = bad_value
    elif where == "a":
        a = bad_value
    else:
        b = bad_value
    if where in ("y", "x"):
        with pytest.raises(ValueError, match=f"spline_eval: {where} has 1 non-finite"):
            sd.spline_eval(spl, y, x)
        got = _eval_jit(spl, y, x)
        bad = np.ones(N_X, bool) if where == "y" else np.arange(N_X) == i
        _nonfinite_where(got, bad)
        got = jax.vmap(_eval_jit, in_axes=(None, None, 0))(spl, y, x[:, None])[:, 0]
        _nonfinite_where(got, bad)
    if where != "x":
        with pytest.raises(ValueError, match=f"spline_integral: {where} has 1 non-finite"):
            sd.spline_integral(spl, y, a, b)
        assert not np.isfinite(_integral_jit(spl, y, a, b))


# ----- quadrature --------------------------------------------------------------------------


@st.composite
def grids(draw, n=N_GRID):
    rng = np.random.default_rng(draw(SEEDS))
    uniform = draw(st.booleans())
    # adjacent spacings within a factor 2: Simpson's weights stay >= 0 (beyond, the rule can
    # give a negative integral of a positive function, and log_simpson NaN, like scipy's)
    scale = rng.uniform(0.05, 1.0)
    h = scale * (np.ones(n - 1) if uniform else rng.uniform(0.5, 1.0, n - 1))
    x0 = rng.uniform(-10, 10)
    if draw(st.booleans()):  # integer grids (promoted)
        return np.arange(n) + int(x0)
    return np.cumsum(np.r_[x0, h])


_log_integrate_jit = jax.jit(sd.log_integrate)


@given(grids(), SEEDS, st.sampled_from(DTYPES))
def test_log_quadrature_dtypes(x, seed, dtype):
    rng = np.random.default_rng(seed)
    log_f = rng.uniform(-30, 30, N_GRID)
    log_f[rng.integers(N_GRID)] = -np.inf  # f = 0 somewhere is valid
    lf = np.where(np.isinf(log_f), -np.inf, _cast(np.where(np.isinf(log_f), 0, log_f), dtype))
    lf = lf if dtype != "int" else np.where(np.isinf(log_f), -(10**6), lf).astype(np.int64)
    ref_lf = np.where(np.isinf(log_f), -np.inf, _ref_input(np.nan_to_num(log_f), dtype))
    if dtype == "int":
        ref_lf = np.where(np.isinf(log_f), -1e6, ref_lf)
    xs = np.asarray(x, dtype=np.float64)
    c = ref_lf.max()
    for rule, wf, ref_rule in (
        ("simpson", sd.simpson_weights, simpson),
        ("trapezoid", sd.trapezoid_weights, trapezoid),
    ):
        w = wf(x)
        np.testing.assert_allclose(
            w @ np.cos(xs), ref_rule(np.cos(xs), x=xs), rtol=1e-12, atol=1e-12
        )
        ref = c + np.log(ref_rule(np.exp(ref_lf - c), x=xs))
        f = sd.log_simpson if rule == "simpson" else sd.log_trapezoid
        _close(f(lf, x), ref, dtype, abs(ref))
        _close(_log_integrate_jit(lf, w), ref, dtype, abs(ref))
        # 2-D: tensor product; integer / float32 log_f keep their meaning (issue 10 find)
        lf2 = lf[:, None] + lf[None, :5]
        ref2 = (
            np.log(
                ref_rule(
                    ref_rule(np.exp(ref_lf[:, None] + ref_lf[None, :5] - 2 * c), x=xs[:5], axis=1),
                    x=xs,
                )
            )
            + 2 * c
        )
        _close(sd.log_integrate_2d(lf2, x, x[:5], rule=rule), ref2, dtype, abs(ref2))


@given(grids(), SEEDS, BAD_LOG)
def test_log_quadrature_bad_log_f(x, seed, bad_value):
    rng = np.random.default_rng(seed)
    log_f = rng.uniform(-5, 5, (3, N_GRID))
    row = int(rng.integers(3))
    log_f[row, rng.integers(N_GRID)] = bad_value
    for f in (sd.log_simpson, sd.log_trapezoid):
        with pytest.raises(ValueError, match="log_integrate: log_f has 1 NaN or \\+inf"):
            f(log_f, x)
    with pytest.raises(ValueError, match="log_integrate_2d: log_f has 1 NaN or \\+inf"):
        sd.log_integrate_2d(log_f.T[:N_GRID, :3], x, np.arange(3.0))
    w = sd.simpson_weights(x)
    got = _log_integrate_jit(log_f, w)  # (3,): non-finite only in the bad row
    _nonfinite_where(got, np.arange(3) == row)
    got = jax.vmap(_log_integrate_jit, in_axes=(0, None))(log_f, w)
    _nonfinite_where(got, np.arange(3) == row)


@given(grids(), NON_FINITE, st.integers(0, N_GRID - 1))
def test_quadrature_grid_non_finite_or_unsorted(x, bad_value, i):
    x = np.asarray(x, dtype=np.float64)
    bad = x.copy()
    bad[i] = bad_value
    for f in (sd.simpson_weights, sd.trapezoid_weights):
        with pytest.raises(ValueError, match="x must be a finite grid"):
            f(bad)
        with pytest.raises(ValueError, match="strictly increasing"):
            f(x[::-1])


# ----- densities ---------------------------------------------------------------------------

_log_normal_jit = jax.jit(sd.log_normal)


@given(SEEDS, st.sampled_from(DTYPES))
def test_log_normal_prior_poisson_mixture_dtypes(seed, dtype):
    rng = np.random.default_rng(seed)
    x, mu = rng.uniform(-20, 20, N_X), rng.uniform(-20, 20)
    sigma = rng.uniform(1.0, 10.0)
    xc, muc, sc = _cast(x, dtype), _cast(mu, dtype), _cast(sigma, dtype)
    rx, rmu, rs = _ref_input(x, dtype), _ref_input(mu, dtype), _ref_input(sigma, dtype)
    ref = stats.norm.logpdf(rx, rmu, rs)
    for f in (sd.log_normal, _log_normal_jit):
        _close(f(xc, muc, sc), ref, dtype, np.abs(ref).max())
    ref = stats.norm.logpdf(rx[1:], rx[:-1], rs).sum()
    _close(sd.random_walk_log_prior(xc, sc), ref, dtype, abs(ref))
    lr, li = _cast(rng.uniform(-5, 5, N_X), dtype), _cast(rng.uniform(-2, 4), dtype)
    ref = _ref_input(lr, dtype).sum() - np.exp(_ref_input(li, dtype))
    _close(sd.poisson_process_loglike(lr, li), ref, dtype, abs(ref) + 1)
    comps = [_cast(rng.uniform(-10, 10, N_X), dtype) for _ in range(3)]
    rc = np.stack([_ref_input(c, dtype) for c in comps])
    _close(sd.log_mixture(*comps), np_logsumexp(rc, axis=0), dtype, 10.0)
    _close(sd.log_mixture(*comps[:2]), np.logaddexp(rc[0], rc[1]), dtype, 10.0)
    p = sd.membership_probability(comps, 1)
    _close(p, np.exp(rc[1] - np_logsumexp(rc, axis=0)), dtype, 1.0)
    # the 1-D Gaussian rate: closed form
    ln_n, m, ln_s = (
        _cast(rng.uniform(1, 5), dtype),
        _cast(rng.uniform(-3, 3), dtype),
        (_cast(rng.uniform(0, 2), dtype)),
    )
    rn, rm, rls = (_ref_input(v, dtype) for v in (ln_n, m, ln_s))
    ref = (rn + stats.norm.logpdf(rx, rm, np.exp(rls))).sum() - np.exp(rn)
    _close(sd.gaussian_rate_loglike(ln_n, m, ln_s, xc), ref, dtype, abs(ref))


@given(SEEDS, st.sampled_from([0.0, -1.0, math.nan, math.inf, -math.inf]))
def test_log_normal_and_prior_bad_sigma(seed, sigma):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-3, 3, N_X)
    with pytest.raises(ValueError, match="log_normal: sigma = .* accepted: finite values > 0"):
        sd.log_normal(x, 0.0, sigma)
    with pytest.raises(ValueError, match="random_walk_log_prior: sigma"):
        sd.random_walk_log_prior(x, sigma)
    got = _log_normal_jit(x, 0.0, sigma)
    assert np.all(~np.isfinite(got))  # NaN (sigma <= 0, NaN) or -inf (sigma = inf)
    if not sigma > 0:  # NaN, never a number
        assert np.all(np.isnan(got))
        sig = jnp.array([1.0, sigma, 2.0])
        got = jax.vmap(_log_normal_jit, in_axes=(None, None, 0))(x, 0.0, sig)
        got = np.asarray(got)
        assert np.all(np.isnan(got[1])) and np.all(np.isfinite(got[[0, 2]]))


@given(SEEDS, NON_FINITE, st.sampled_from(["x", "mu", "ln_n", "ln_sigma"]))
def test_density_functions_non_finite(seed, bad_value, where):
    rng = np.random.default_rng(seed)
    args = {"ln_n": 2.0, "mu": 0.1, "ln_sigma": -0.5, "x": rng.normal(0, 1, N_X)}
    if where == "x":
        args["x"][rng.integers(N_X)] = bad_value
    else:
        args[where] = bad_value
    with pytest.raises(ValueError, match=f"gaussian_rate_loglike: {where} has 1 non-finite"):
        sd.gaussian_rate_loglike(**args)
    got = jax.jit(sd.gaussian_rate_loglike)(**args)
    assert not np.isfinite(got) or (where == "ln_sigma" and bad_value == math.inf)
    if where in ("x", "mu"):
        with pytest.raises(ValueError, match=f"log_normal: {where} has 1 non-finite"):
            sd.log_normal(args["x"], args["mu"], 1.0)
    lr = rng.normal(0, 1, N_X)
    lr[0] = bad_value
    if bad_value == -math.inf:  # a zero rate at a data point: log-likelihood -inf, valid
        assert sd.poisson_process_loglike(lr, 1.0) == -np.inf
        np.testing.assert_allclose(sd.membership_probability([lr, np.zeros(N_X)], 0)[0], 0.0)
    else:
        with pytest.raises(ValueError, match="log_rate_at_data has 1 NaN or \\+inf"):
            sd.poisson_process_loglike(lr, 1.0)
        with pytest.raises(ValueError, match="log_integral has 1 NaN or \\+inf"):
            sd.poisson_process_loglike(np.zeros(N_X), bad_value)
        with pytest.raises(ValueError, match=r"log_densities\[1\] has 1 NaN or \+inf"):
            sd.log_mixture(np.zeros(N_X), lr)
        with pytest.raises(ValueError, match=r"log_components\['a'\] has 1 NaN or \+inf"):
            sd.membership_probability({"b": np.zeros(N_X), "a": lr}, "b")
        assert not np.isfinite(jax.jit(sd.poisson_process_loglike)(lr, 1.0))
        p = jax.jit(lambda a, b: sd.membership_probability([a, b], 0))(lr, np.zeros(N_X))
        _nonfinite_where(p, np.arange(N_X) == 0)


# ----- the 1-D spline density and the stream model ------------------------------------------

KNOTS_1D = np.linspace(-3.0, 3.0, N_KNOTS)


@given(SEEDS, st.sampled_from(DTYPES))
def test_spline_density_1d_dtypes(seed, dtype):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-3, 3, 30)
    vals = rng.uniform(-2, 4, N_KNOTS)
    t = sd.prepare_spline_density_1d(
        x, KNOTS_1D, n_grid=N_GRID, dtype=np.float32 if dtype == np.float32 else np.float64
    )
    spl, grid = IUS(KNOTS_1D, _ref_input(vals, dtype), k=3), np.linspace(-3, 3, N_GRID)
    ref = spl(x).sum() - simpson(np.exp(spl(grid)), x=grid)
    for f in (sd.spline_density_1d_loglike, jax.jit(sd.spline_density_1d_loglike)):
        _close(f(_cast(vals, dtype), t), ref, dtype, abs(ref) + 10)


@given(SEEDS, st.one_of(st.just(0.0), st.floats(1e-6, 10.0)), st.booleans())
def test_spline_density_1d_data_beyond_knots(seed, excess, below):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-3, 3, 20)
    x[int(rng.integers(20))] = (-3.0 - excess) if below else (3.0 + excess)
    if excess == 0.0:  # on the end knot: accepted
        sd.prepare_spline_density_1d(x, KNOTS_1D, n_grid=N_GRID)
    else:
        with pytest.raises(ValueError, match="1 of 20 data points x lie outside the knot range"):
            sd.prepare_spline_density_1d(x, KNOTS_1D, n_grid=N_GRID)


@given(SEEDS, NON_FINITE)
def test_spline_density_1d_non_finite_values(seed, bad_value):
    rng = np.random.default_rng(seed)
    t = sd.prepare_spline_density_1d(rng.uniform(-3, 3, 30), KNOTS_1D, n_grid=N_GRID)
    vals = rng.uniform(-2, 4, (3, N_KNOTS))
    row = int(rng.integers(3))
    vals[row, rng.integers(N_KNOTS)] = bad_value
    with pytest.raises(ValueError, match="spline_density_1d_loglike: values has 1 non-finite"):
        sd.spline_density_1d_loglike(vals[row], t)
    got = jax.vmap(sd.spline_density_1d_loglike, in_axes=(0, None))(vals, t)
    _nonfinite_where(got, np.arange(3) == row)


def _stream_model(dtype):
    rng = np.random.default_rng(7)
    phi1, phi2 = rng.uniform(-5, 5, 40), rng.normal(0, 0.5, 40)
    knots = np.linspace(-6, 6, 5)
    return (
        phi1,
        phi2,
        sd.prepare_stream_model(
            phi1,
            phi2,
            amp_knots=knots,
            track_knots=knots,
            bg_knots=knots,
            window_phi1=(-5.0, 5.0),
            window_phi2=(-2.0, 2.0),
            grid_step=0.25,
            dtype=dtype,
        ),
    )


STREAM = {np.float64: _stream_model(np.float64), np.float32: _stream_model(np.float32)}
STREAM["int"] = STREAM[np.float64]
_stream_fns = {
    "loglike": jax.jit(sd.stream_log_likelihood),
    "objective": jax.jit(sd.stream_objective),
    "prior": jax.jit(sd.stream_log_prior),
    "membership": jax.jit(sd.stream_membership),
}
GRID_PHI2 = np.linspace(-1.0, 1.0, 4)
_grid_jit = jax.jit(lambda p, a: sd.stream_density_grid(p, STREAM[np.float64][2], a, GRID_PHI2))


def _stream_params(rng):
    return {
        "ln_amp": rng.uniform(0, 3, 5),
        "track": rng.uniform(-1, 1, 5),
        "ln_width": rng.uniform(-1.5, 0, 5),
        "ln_bg": rng.uniform(-1, 1, 5),
    }


def _stream_reference(p, phi1, phi2):
    """float64 numpy/scipy recomputation: scipy splines, 2-D Simpson on the same grid."""
    knots = np.linspace(-6, 6, 5)
    s = {k: IUS(knots, v, k=3) for k, v in p.items()}
    dens = lambda a, b: (
        np.exp(s["ln_amp"](a))[..., None]
        * stats.norm.pdf(b, s["track"](a)[..., None], np.exp(s["ln_width"](a))[..., None])
        + np.exp(s["ln_bg"](a))[..., None]
    )
    g1, g2 = np.linspace(-5, 5, 41), np.linspace(-2, 2, 17)
    integral = simpson(simpson(dens(g1, g2), x=g2, axis=1), x=g1)
    at = np.diag(dens(phi1, phi2))
    prior = sum(
        stats.norm.logpdf(p[k][1:], p[k][:-1], 1.0).sum() for k in ("ln_amp", "track", "ln_width")
    )
    return np.log(at).sum() - integral, prior


@given(SEEDS, st.sampled_from(DTYPES))
def test_stream_functions_dtypes(seed, dtype):
    rng = np.random.default_rng(seed)
    phi1, phi2, model = STREAM[dtype]
    p = _stream_params(rng)
    pc = {k: _cast(v, dtype) for k, v in p.items()}
    pr = {k: _ref_input(v, dtype) for k, v in p.items()}
    ll, prior = _stream_reference(pr, phi1, phi2)
    _close(_stream_fns["loglike"](pc, model), ll, dtype, abs(ll))
    _close(_stream_fns["prior"](pc, model), prior, dtype, abs(prior))
    _close(_stream_fns["objective"](pc, model), -(ll + prior) / 40, dtype, abs(ll + prior) / 40)
    m = _stream_fns["membership"](pc, model)
    assert np.all((np.asarray(m) >= 0) & (np.asarray(m) <= 1))


@given(SEEDS, NON_FINITE, st.sampled_from(list(sd.STREAM_PARAM_NAMES)))
def test_stream_functions_non_finite_params(seed, bad_value, name):
    rng = np.random.default_rng(seed)
    _, _, model = STREAM[np.float64]
    batch = [_stream_params(rng) for _ in range(3)]
    row = int(rng.integers(3))
    batch[row][name][rng.integers(5)] = bad_value
    for f in (sd.stream_log_likelihood, sd.stream_objective, sd.stream_membership):
        with pytest.raises(ValueError, match=rf"params\['{name}'\] has 1 non-finite"):
            f(batch[row], model)
    stacked = {k: np.stack([b[k] for b in batch]) for k in batch[0]}
    for key in ("loglike", "objective"):
        got = jax.vmap(_stream_fns[key], in_axes=(0, None))(stacked, model)
        _nonfinite_where(got, np.arange(3) == row)


@given(SEEDS, st.one_of(NON_FINITE, st.floats(6.0 + 1e-6, 1e3), st.floats(-1e3, -6.0 - 1e-6)))
def test_stream_density_grid_phi1_out_of_range(seed, bad_value):
    rng = np.random.default_rng(seed)
    _, _, model = STREAM[np.float64]
    p = _stream_params(rng)
    phi1 = np.linspace(-5.0, 5.0, 6)
    i = int(rng.integers(6))
    phi1[i] = bad_value
    with pytest.raises(ValueError, match="stream_density_grid: phi1 has 1 value"):
        sd.stream_density_grid(p, model, phi1, GRID_PHI2)
    good = _grid_jit(p, np.where(np.arange(6) == i, 0.0, phi1))  # all in range
    for out, g in zip(_grid_jit(p, phi1), good, strict=True):
        _nonfinite_where(out, np.broadcast_to((np.arange(6) == i)[:, None], (6, 4)))
        np.testing.assert_allclose(np.delete(out, i, 0), np.delete(g, i, 0), rtol=1e-12)


@given(
    st.one_of(
        st.floats(-10.0, 0.0),
        NON_FINITE,
        st.sampled_from(["0.1", None, True, [0.1]]),
        st.floats(1e-12, 1e-4),
        st.floats(5.0, 1e6),
    )
)
def test_stream_grid_step_rejected(step):
    phi1, phi2, _ = STREAM[np.float64]
    knots = np.linspace(-6, 6, 5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match="grid_step"):
            sd.prepare_stream_model(
                phi1,
                phi2,
                amp_knots=knots,
                track_knots=knots,
                bg_knots=knots,
                window_phi1=(-5.0, 5.0),
                window_phi2=(-2.0, 2.0),
                grid_step=step,
            )
