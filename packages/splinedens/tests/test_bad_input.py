"""Bad input to the density builders (issue 10): no silently wrong number.

Each reproducer failed on the code before the fix (stated per test).
"""

import math
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.integrate import simpson
from scipy.interpolate import InterpolatedUnivariateSpline as IUS

from jaxstro import splinedens as sd

KNOTS = np.linspace(-3.0, 3.0, 11)
VALS = 7.0 - 0.5 * (KNOTS / 0.31) ** 2 / 10


def _data(n=400, seed=1):
    rng = np.random.default_rng(seed)
    return np.clip(rng.normal(0.03, 0.31, n), -2.9, 2.9)


def test_spline_density_1d_data_beyond_knots_raises():
    # issue 10 #10: one point at x = 4 (knots end at 3) was accepted and added the
    # extrapolated end cubic's log-rate at 4 to the log-likelihood, no warning
    x = _data()
    extrapolated = float(IUS(KNOTS, VALS, k=3)(4.0))
    assert abs(extrapolated) > 1.0  # the silent contribution is not small
    with pytest.raises(ValueError, match=r"outside the knot range \[-3, 3\].*first: 4"):
        sd.prepare_spline_density_1d(np.append(x, 4.0), KNOTS)
    with pytest.raises(ValueError, match="knot range"):
        sd.prepare_spline_density_1d(np.append(x, -3.0001), KNOTS)
    # on the end knots is inside
    t = sd.prepare_spline_density_1d(np.append(x, [-3.0, 3.0]), KNOTS, n_grid=601)
    spl, grid = IUS(KNOTS, VALS, k=3), np.linspace(-3, 3, 601)
    expect = spl(np.append(x, [-3.0, 3.0])).sum() - simpson(np.exp(spl(grid)), x=grid)
    np.testing.assert_allclose(sd.spline_density_1d_loglike(VALS, t), expect, rtol=1e-12)


@pytest.mark.parametrize(
    "window, match",
    [
        ((-4.0, 3.0), "beyond the knot range"),
        ((-3.0, 3.5), "beyond the knot range"),
        ((2.0, -2.0), "lower < upper"),
        ((math.nan, 2.0), "lower < upper"),
        ((-math.inf, 2.0), "lower < upper"),
        ((1.0,), "pair"),
        ("ab", "pair"),
    ],
)
def test_spline_density_1d_bad_window(window, match):
    # before: a window beyond the knots integrated the extrapolated spline; NaN/inf gave a
    # NaN grid; a reversed window a negative integral - all without an error
    with pytest.raises(ValueError, match=match) as e:
        sd.prepare_spline_density_1d(_data(), KNOTS, window=window)
    assert "window" in str(e.value)


@pytest.mark.parametrize("n_grid", [0, 2, -5, 10.5, math.nan, "101", True])
def test_spline_density_1d_bad_n_grid(n_grid):
    with pytest.raises(ValueError, match="n_grid must be an integer >= 3"):
        sd.prepare_spline_density_1d(_data(), KNOTS, n_grid=n_grid)


@pytest.mark.parametrize(
    "knots, match",
    [
        (np.array([0.0, 1.0, 2.0]), "at least 4"),
        (np.array([0.0, 1.0, 1.0, 2.0]), "strictly increasing"),
        (np.array([0.0, 2.0, 1.0, 3.0]), "strictly increasing"),
        (np.array([0.0, 1.0, np.nan, 3.0]), "finite"),
        (np.array([0.0, 1.0, 2.0, np.inf]), "finite"),
        (np.zeros((2, 4)), "1-D"),
    ],
)
def test_bad_knots_raise(knots, match):
    with pytest.raises(ValueError, match=match):
        sd.prepare_spline_density_1d(np.array([0.5]), knots)
    kw = dict(amp_knots=knots, track_knots=KNOTS, bg_knots=KNOTS)
    with pytest.raises(ValueError, match="amp_knots: .*" + match):
        sd.prepare_stream_model([0.5], [0.0], window_phi1=(-1, 1), window_phi2=(-1, 1), **kw)


def test_spline_density_1d_data_outside_window_warns_and_is_kept():
    # as prepare_stream_model: data outside the window but inside the knots are kept, with a
    # warning saying how many
    x = np.append(_data(), [2.5, 2.8])
    with pytest.warns(UserWarning, match="2 of 402 data points lie outside"):
        t = sd.prepare_spline_density_1d(x, KNOTS, window=(-2.0, 2.0), n_grid=401)
    spl, grid = IUS(KNOTS, VALS, k=3), np.linspace(-2, 2, 401)
    expect = spl(x).sum() - simpson(np.exp(spl(grid)), x=grid)
    np.testing.assert_allclose(sd.spline_density_1d_loglike(VALS, t), expect, rtol=1e-12)


def test_spline_density_1d_loglike_values():
    t = sd.prepare_spline_density_1d(_data(), KNOTS, n_grid=201)
    with pytest.raises(ValueError, match="values has 1 non-finite"):
        sd.spline_density_1d_loglike(np.where(KNOTS > 2.5, np.nan, VALS), t)
    with pytest.raises(ValueError, match=r"values must have shape \(11,\)"):
        sd.spline_density_1d_loglike(VALS[:-1], t)
    bad = jnp.asarray(VALS).at[3].set(jnp.nan)
    assert np.isnan(jax.jit(sd.spline_density_1d_loglike)(bad, t))
    g = jax.grad(sd.spline_density_1d_loglike)(bad, t)
    assert np.all(np.isnan(g))
    # integer knot values are promoted (same result as the float ones)
    ints = np.round(VALS).astype(int)
    np.testing.assert_allclose(
        sd.spline_density_1d_loglike(ints, t), sd.spline_density_1d_loglike(1.0 * ints, t)
    )


# ----- stream model ------------------------------------------------------------------------

RNG = np.random.default_rng(0)
P1, P2 = RNG.uniform(-5, 5, 50), RNG.uniform(-1, 1, 50)
KW = dict(
    amp_knots=np.linspace(-6, 6, 5),
    track_knots=np.linspace(-6, 6, 5),
    bg_knots=np.linspace(-6, 6, 5),
    window_phi1=(-5.5, 5.5),
    window_phi2=(-2.0, 2.0),
)


@pytest.mark.parametrize(
    "step",
    # 0 raised ZeroDivisionError / OverflowError, NaN "cannot convert float NaN to integer",
    # "0.1" a TypeError, negative and inf "fewer than 3 grid points"
    [0, 0.0, np.float64(0.0), -0.1, math.nan, math.inf, -math.inf, "0.1", None, True],
)
def test_stream_grid_step_rejected(step):
    with pytest.raises(ValueError, match=r"grid_step must be a finite number > 0 \[deg\]"):
        sd.prepare_stream_model(P1, P2, grid_step=step, **KW)


def test_stream_grid_step_size_limits():
    with pytest.raises(ValueError, match=r"grid_step=3 leaves fewer than 3.*grid_step <= 2"):
        sd.prepare_stream_model(P1, P2, grid_step=3.0, **KW)
    # 1e-6 deg would be an 11-million-point axis (a 2e13-point mesh): refused, not a hang
    with pytest.raises(ValueError, match="at most 100000 points"):
        sd.prepare_stream_model(P1, P2, grid_step=1e-6, **KW)
    m = sd.prepare_stream_model(P1, P2, grid_step=0.3, **KW)  # rounded to divide the window
    np.testing.assert_allclose(np.diff(np.asarray(m.grid_phi2)), 4.0 / 13, rtol=1e-12)


@pytest.mark.parametrize(
    "name, window, match",
    [
        ("window_phi1", (5.0, -5.0), "lower < upper"),
        ("window_phi1", (math.nan, 5.0), "lower < upper"),
        ("window_phi1", (-math.inf, 5.0), "lower < upper"),  # was OverflowError
        ("window_phi2", (-2.0, math.inf), "lower < upper"),
        ("window_phi2", (1.0, 2.0, 3.0), "pair"),
        ("window_phi1", (-10.0, 5.0), "beyond the amp_knots range"),  # was extrapolated
    ],
)
def test_stream_bad_window(name, window, match):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the error comes before any data-outside warning
        with pytest.raises(ValueError, match=name + ".*" + match):
            sd.prepare_stream_model(P1, P2, **{**KW, name: window})


def test_stream_data_beyond_knots_raise():
    # before: a star beyond the knots got an extrapolated stream/background rate, no warning
    kw = {**KW, "window_phi1": (-5.0, 5.0), "bg_knots": np.linspace(-5, 5, 5)}
    with pytest.raises(ValueError, match=r"1 of 51 stars have phi1 outside the bg_knots"):
        sd.prepare_stream_model(np.append(P1, 5.5), np.append(P2, 0.0), **kw)
    # inside the knots but outside the window: kept, with the documented warning
    with pytest.warns(UserWarning, match="1 of 51 data points lie outside"):
        sd.prepare_stream_model(np.append(P1, 5.8), np.append(P2, 0.0), **KW)


@pytest.mark.parametrize("prior_sigma", [0.0, -1.0, math.nan, math.inf, "1"])
def test_stream_bad_prior_sigma(prior_sigma):
    # inf was accepted (every log prior -inf)
    with pytest.raises(ValueError, match="prior_sigma must be a finite number > 0"):
        sd.prepare_stream_model(P1, P2, prior_sigma=prior_sigma, **KW)


def test_log_integrate_2d_integer_log_f():
    # found while auditing: integer log_f cast the Simpson weights to int (log 4 -> 0.0)
    x = np.arange(3.0)
    got = sd.log_integrate_2d(np.zeros((3, 3), dtype=int), x, x)
    np.testing.assert_allclose(got, np.log(simpson(np.ones(3), x=x) ** 2), rtol=1e-12)
    assert jnp.issubdtype(got.dtype, jnp.floating)


@pytest.mark.parametrize(
    "grid, match",
    [
        ([0.0, 1.0, np.inf], "finite grid"),
        ([0.0, np.nan, 2.0], "finite grid"),
        ([0.0, 2.0, 1.0], r"x\[1\] = 2 >= x\[2\] = 1"),
    ],
)
def test_quadrature_grid_checked(grid, match):
    # [0, 1, inf] passed the "increasing" check and gave weights [-inf, nan, inf]
    for f in (sd.simpson_weights, sd.trapezoid_weights):
        with pytest.raises(ValueError, match=match):
            f(grid)
    with pytest.raises(ValueError, match=match):
        sd.log_simpson(np.zeros(3), grid)
