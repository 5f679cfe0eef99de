"""Integer input is promoted to a floating dtype at the boundary (issue 10 #2: integer knot
values were cast to int - [1, 9] instead of [1.96, 6.25] - and integer log_f gave -inf)."""

import jax
import numpy as np
from scipy.integrate import simpson
from scipy.interpolate import InterpolatedUnivariateSpline

import jaxstro.splinedens as sd


def test_integer_knot_values_give_float_spline():
    knots = np.array([0.0, 1.0, 2.0, 3.0, 4.0])
    y_int = np.array([0, 1, 4, 9, 16])
    spline = sd.make_spline(knots)
    x = np.array([1.4, 2.5])
    ref = InterpolatedUnivariateSpline(knots, y_int.astype(float), k=3)
    for f in (
        lambda y: sd.spline_eval(spline, y, x),
        jax.jit(lambda y: sd.spline_eval(spline, y, x)),
    ):
        got = np.asarray(f(y_int))
        assert np.issubdtype(got.dtype, np.floating)
        np.testing.assert_allclose(got, ref(x), rtol=1e-12)  # x^2: 1.96, 6.25
    got = sd.spline_integral(spline, y_int, 0.5, 3.5)
    np.testing.assert_allclose(got, ref.integral(0.5, 3.5), rtol=1e-12)


def test_integer_log_f():
    x = np.linspace(0.0, 2.0, 9)
    log_f = np.arange(9) % 3  # integers
    got = sd.log_simpson(log_f, x)
    np.testing.assert_allclose(got, np.log(simpson(np.exp(log_f.astype(float)), x=x)), rtol=1e-12)
