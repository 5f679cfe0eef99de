"""High-pass filters, cross correlation and the Brogi & Line (2019) log-likelihood: numpy /
scipy float64 references, the CCF peak at an injected RV, gradients vs finite differences,
jit/vmap, and errors naming the argument."""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.test_util import check_grads
from scipy import ndimage

from jaxstro.specops import (
    C_KMS,
    brogi_line_loglike,
    ccf_to_loglike,
    cross_correlation,
    cross_correlation_function,
    high_pass,
    prepare_resampling,
)

LINES = [(4347.1, 0.35, 0.02), (4351.3, 0.5, 0.03), (4355.0, 0.6, 0.025), (4358.8, 0.3, 0.02)]
LINES += [(4361.2, 0.45, 0.015), (4363.4, 0.25, 0.03)]


def analytic_spectrum(nu):
    """Sloped continuum times Gaussian absorption lines (analytic in nu [cm^-1])."""
    f = 1.0 + 0.02 * (nu - 4355.0)
    for c, d, w in LINES:
        f = f - d * np.exp(-0.5 * ((nu - c) / w) ** 2)
    return f


@pytest.fixture(scope="module")
def grids():
    nu_model = np.exp(np.linspace(np.log(4340.0), np.log(4370.0), 20000))
    nu_obs = np.linspace(4345.0, 4365.0, 1500)
    return nu_model, nu_obs


@pytest.fixture(scope="module")
def small_grids():
    """3,000 model / 400 observed points (three of the lines): for the compile-heavy tests."""
    nu_model = np.exp(np.linspace(np.log(4350.0), np.log(4360.0), 3000))
    nu_obs = np.linspace(4351.0, 4359.0, 400)
    return nu_model, nu_obs


def pearson_np(f, g):
    f = f - f.mean(-1, keepdims=True)
    g = g - g.mean(-1, keepdims=True)
    return (f * g).sum(-1) / np.sqrt((f * f).sum(-1) * (g * g).sum(-1))


def brogi_line_np(f, g, a=1.0):
    """Brogi & Line (2019) eqs. 2-4 and 9, in numpy float64: logL = -N/2 log(s_f^2 - 2 a R +
    a^2 s_g^2) with mean-subtracted f, g."""
    n = f.shape[-1]
    f = f - f.mean(-1, keepdims=True)
    g = g - g.mean(-1, keepdims=True)
    sf2 = (f * f).sum(-1) / n
    sg2 = (g * g).sum(-1) / n
    r = (f * g).sum(-1) / n
    return -0.5 * n * np.log(sf2 - 2 * a * r + a * a * sg2), sf2, sg2, r


# --- cross correlation -------------------------------------------------------------------


def test_cross_correlation_vs_numpy_pearson():
    rng = np.random.default_rng(1)
    data = rng.standard_normal((3, 4, 500))  # orders x exposures x pixels
    model = 0.3 * data + rng.standard_normal((3, 4, 500))
    out = np.asarray(cross_correlation(data, model))
    np.testing.assert_allclose(out, pearson_np(data, model), rtol=1e-13)
    np.testing.assert_allclose(
        out[1, 2], np.corrcoef(data[1, 2], model[1, 2])[0, 1], rtol=1e-13
    )  # the textbook definition
    # one model broadcast against many spectra
    one = np.asarray(cross_correlation(data, model[0, 0]))
    np.testing.assert_allclose(one, pearson_np(data, model[0, 0][None, None]), rtol=1e-13)
    # invariance under affine maps of either argument, and the extremes
    np.testing.assert_allclose(cross_correlation(data, 5.0 * model - 2.0), out, rtol=1e-13)
    np.testing.assert_allclose(cross_correlation(data, data), 1.0, rtol=1e-14)
    np.testing.assert_allclose(cross_correlation(data, -data), -1.0, rtol=1e-14)


def test_ccf_peaks_at_injected_rv(grids):
    """Data: the analytic spectrum Doppler-shifted by rv_true (evaluated in closed form at
    nu_obs (1 + rv / c), not with the resampler), high-pass filtered. The CCF of the model
    shifted over a 0.5 km/s grid peaks at rv_true; a parabola through the three highest points
    locates it to < 0.05 km/s (one observed pixel is 1.0 km/s)."""
    nu_model, nu_obs = grids
    rs = prepare_resampling(nu_model, nu_obs)
    hp = functools.partial(high_pass, degree=3)
    for rv_true in (-23.4, 7.7):
        data = hp(analytic_spectrum(nu_obs * (1 + rv_true / C_KMS)))
        rv = np.arange(-40.0, 40.01, 0.5)
        ccf = np.asarray(
            cross_correlation_function(rs, data, analytic_spectrum(nu_model), rv, filter=hp)
        )
        k = int(np.argmax(ccf))
        assert abs(rv[k] - rv_true) <= 0.25
        y0, y1, y2 = ccf[k - 1 : k + 2]
        peak = rv[k] + 0.5 * 0.5 * (y0 - y2) / (y0 - 2 * y1 + y2)
        assert abs(peak - rv_true) < 0.05
        assert ccf[k] > 0.99 and np.min(ccf) < 0.5


def test_ccf_equals_pointwise_cross_correlation(small_grids):
    """The CCF at each velocity is cross_correlation of the data with the shifted model, also
    for a (2, n_obs) stack of spectra and under jit with the velocities traced."""
    nu_model, nu_obs = small_grids
    rs = prepare_resampling(nu_model, nu_obs, method="flux")
    model = analytic_spectrum(nu_model)
    data = np.stack([analytic_spectrum(nu_obs * (1 + v / C_KMS)) for v in (3.0, -4.0)])
    rv = np.array([-5.0, 0.0, 2.5, 9.0])
    ccf = np.asarray(cross_correlation_function(rs, data, model, rv))
    assert ccf.shape == (2, 4)
    for j, v in enumerate(rv):
        np.testing.assert_allclose(
            ccf[:, j], pearson_np(data, np.asarray(rs.apply(model, v))[None]), rtol=1e-12
        )
    jitted = jax.jit(lambda r: cross_correlation_function(rs, data, model, r))(jnp.asarray(rv))
    np.testing.assert_allclose(jitted, ccf, rtol=1e-12)
    # traced out-of-range velocity: NaN in that column only
    bad = jax.jit(lambda r: cross_correlation_function(rs, data, model, r))(jnp.array([0.0, 1e4]))
    assert np.all(np.isfinite(bad[:, 0])) and np.all(np.isnan(bad[:, 1]))


# --- high-pass filters ---------------------------------------------------------------------


@pytest.mark.parametrize("degree", [0, 1, 3, 6])
def test_polynomial_filter_removes_polynomial_exactly(degree):
    n = 800
    i = np.arange(n)
    rng = np.random.default_rng(degree)
    coef = rng.uniform(-1, 1, degree + 1)
    poly = 3.0 + np.polynomial.polynomial.polyval((i - 400.0) / 400.0, coef)
    np.testing.assert_allclose(high_pass(poly, degree=degree, mode="subtract"), 0.0, atol=1e-12)
    np.testing.assert_allclose(high_pass(poly, degree=degree), 1.0, rtol=1e-12)
    # on poly + signal the residual is the signal minus its least-squares polynomial
    # (numpy.polyfit in the pixel index: an independent fit)
    signal = 0.1 * np.sin(i / 7.0) + 0.05 * rng.standard_normal(n)
    y = poly + signal
    ref = y - np.polyval(np.polyfit(i, y, degree), i)
    np.testing.assert_allclose(high_pass(y, degree=degree, mode="subtract"), ref, atol=1e-10)
    ref_div = y / np.polyval(np.polyfit(i, y, degree), i)
    np.testing.assert_allclose(high_pass(y, degree=degree), ref_div, rtol=1e-10)


@pytest.mark.parametrize("window", [3, 21, 101])
def test_median_filter_vs_scipy(window):
    rng = np.random.default_rng(window)
    y = 2.0 + np.sin(np.arange(700) / 40.0) + 0.1 * rng.standard_normal(700)
    trend = ndimage.median_filter(y, size=window, mode="nearest")
    out = np.asarray(high_pass(y, method="median", window=window, mode="subtract"))
    np.testing.assert_array_equal(out, y - trend)
    np.testing.assert_allclose(high_pass(y, method="median", window=window), y / trend, rtol=1e-15)
    # along the last axis of a stack
    stack = np.stack([y, 2 * y])
    out2 = np.asarray(high_pass(stack, method="median", window=window, mode="subtract"))
    np.testing.assert_allclose(out2[1], 2 * (y - trend), rtol=1e-14, atol=1e-14)


def test_high_pass_gradient_and_jit():
    rng = np.random.default_rng(0)
    y = 2.0 + 0.1 * rng.standard_normal(120)
    w = np.cos(np.arange(120) / 9.0)
    for kw in (dict(degree=2), dict(degree=2, mode="subtract"), dict(method="median", window=9)):
        check_grads(
            jax.jit(lambda v, kw=kw: jnp.sum(w * high_pass(v, **kw))),
            (y,),
            1,
            ("fwd", "rev"),
            eps=1e-6,
        )
        np.testing.assert_allclose(
            jax.jit(lambda v, kw=kw: high_pass(v, **kw))(y), high_pass(y, **kw), rtol=1e-14
        )


# --- Brogi & Line log-likelihood -----------------------------------------------------------


def test_brogi_line_vs_numpy_formula():
    rng = np.random.default_rng(5)
    model = rng.standard_normal((2, 3, 400))
    data = 0.7 * model + 0.5 * rng.standard_normal((2, 3, 400)) + 3.0
    for a in (1.0, 0.4, 2.5):
        ref, sf2, sg2, r = brogi_line_np(data, model, a)
        per = np.asarray(brogi_line_loglike(data, model, scale=a, per_spectrum=True))
        np.testing.assert_allclose(per, ref, rtol=1e-12)
        np.testing.assert_allclose(brogi_line_loglike(data, model, scale=a), ref.sum(), rtol=1e-12)
        # the same through the CCF mapping (eq. 9)
        c = pearson_np(data, model)
        np.testing.assert_allclose(ccf_to_loglike(c, sf2, sg2, 400, scale=a), ref, rtol=1e-12)


def test_brogi_line_maximum_in_scale():
    """logL(a) is maximal at a = R / s_g^2 (the least-squares scale): the gradient vanishes
    there and logL is lower on either side."""
    rng = np.random.default_rng(6)
    model = rng.standard_normal(300)
    data = 0.6 * model + 0.3 * rng.standard_normal(300)
    _, _, sg2, r = brogi_line_np(data, model)
    a_best = r / sg2
    g = jax.grad(lambda a: brogi_line_loglike(data, model, scale=a))(a_best)
    assert abs(float(g)) < 1e-9
    best = float(brogi_line_loglike(data, model, scale=a_best))
    for da in (-0.05, 0.05):
        assert float(brogi_line_loglike(data, model, scale=a_best + da)) < best


def test_loglike_gradients_vs_finite_differences(small_grids):
    """d logL / d(rv, scale) through resample -> high-pass -> Brogi & Line (reverse mode), and
    the gradients of the CCF mapping in (C, s_f^2, s_g^2) and of the correlation in the model
    (forward and reverse mode), against central finite differences."""
    nu_model, nu_obs = small_grids
    rs = prepare_resampling(nu_model, nu_obs, method="flux")
    model = analytic_spectrum(nu_model)
    rng = np.random.default_rng(7)
    data = high_pass(analytic_spectrum(nu_obs * (1 + 5.0 / C_KMS))) + 0.01 * rng.standard_normal(
        nu_obs.size
    )

    @jax.jit
    def logl(p):
        return brogi_line_loglike(data, high_pass(rs.apply(model, p[0])), scale=p[1])

    p = jnp.array([4.3, 0.8])
    rev = jax.jit(jax.grad(logl))(p)  # forward mode: test_resample (jacfwd) and below
    for j, h in enumerate((1e-4, 1e-6)):
        e = h * np.eye(2)[j]
        fd = (logl(p + e) - logl(p - e)) / (2 * h)
        assert abs(rev[j] / fd - 1) < 1e-6
    check_grads(
        jax.jit(lambda c, f2, g2: ccf_to_loglike(c, f2, g2, 500, scale=0.7)),
        (0.4, 1.3, 0.9),
        order=1,
        modes=("fwd", "rev"),
    )
    check_grads(
        jax.jit(lambda m: cross_correlation(data[:200], m)),
        (np.asarray(data[5:205]),),
        1,
        ("fwd", "rev"),
    )


def test_jit_and_vmap():
    rng = np.random.default_rng(8)
    model = rng.standard_normal(250)
    data = rng.standard_normal((4, 250)) + model
    scales = jnp.array([0.5, 1.0, 1.5])
    batched = jax.jit(jax.vmap(lambda a: brogi_line_loglike(data, model, scale=a)))(scales)
    for i, a in enumerate(scales):
        np.testing.assert_allclose(batched[i], brogi_line_np(data, model, float(a))[0].sum())
    per = jax.vmap(lambda d: cross_correlation(d, model))(data)
    np.testing.assert_allclose(per, pearson_np(data, model[None]), rtol=1e-13)


def test_float32():
    rng = np.random.default_rng(9)
    model = rng.standard_normal(400)
    data = 0.5 * model + rng.standard_normal(400)
    f32 = brogi_line_loglike(data.astype(np.float32), model.astype(np.float32))
    assert f32.dtype == jnp.float32
    assert abs(float(f32) / brogi_line_np(data, model)[0] - 1) < 1e-5
    c32 = cross_correlation(data.astype(np.float32), model.astype(np.float32))
    assert c32.dtype == jnp.float32 and abs(float(c32) - pearson_np(data, model)) < 1e-6
    hp = high_pass((2 + data).astype(np.float32), degree=2)
    assert hp.dtype == jnp.float32


def test_traced_out_of_range_gives_nan():
    f = jax.jit(lambda c, f2: ccf_to_loglike(c, f2, 1.0, 100))
    assert np.isnan(f(1.5, 1.0)) and np.isnan(f(0.2, -1.0)) and np.isfinite(f(0.2, 1.0))
    g = jax.grad(lambda c: ccf_to_loglike(c, 1.0, 1.0, 100))
    assert np.isnan(jax.jit(g)(1.5))
    ok = float(jax.jit(g)(0.2))
    h = 1e-6
    fd = (ccf_to_loglike(0.2 + h, 1.0, 1.0, 100) - ccf_to_loglike(0.2 - h, 1.0, 1.0, 100)) / 2 / h
    assert abs(ok / float(fd) - 1) < 1e-7
    # exactly correlated: C rounds to 1 + 2e-16 and is accepted
    x = np.linspace(0.0, 1.0, 50) ** 2
    c = cross_correlation(x, 3.0 * x)
    assert np.isfinite(float(ccf_to_loglike(c, 1.0, 2.0, 50)))


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: cross_correlation(np.ones(5), np.ones(6)), "model"),
        (lambda: cross_correlation(np.ones(1), np.ones(1)), "data"),
        (lambda: cross_correlation([1.0, np.nan, 2.0], np.ones(3)), "data"),
        (lambda: brogi_line_loglike(np.ones(3), [1.0, np.inf, 2.0]), "model"),
        (lambda: brogi_line_loglike(np.arange(3.0), np.ones(3), scale=np.nan), "scale"),
        (lambda: brogi_line_loglike(np.arange(3.0), np.ones(3), scale=[1.0, 2.0]), "scale"),
        (lambda: high_pass(np.ones(10), degree=-1), "degree"),
        (lambda: high_pass(np.ones(10), degree=10), "degree"),
        (lambda: high_pass(np.ones(10), degree=1.5), "degree"),
        (lambda: high_pass(np.ones(10), degree=np.nan), "degree"),
        (lambda: high_pass(np.ones(10), method="median", window=4), "window"),
        (lambda: high_pass(np.ones(10), method="median", window=11), "window"),
        (lambda: high_pass(np.ones(10), method="spline"), "method"),
        (lambda: high_pass(np.ones(10), mode="ratio"), "mode"),
        (lambda: high_pass(np.ones(1)), "spectrum"),
        (lambda: high_pass([1.0, np.nan, 1.0]), "spectrum"),
        (lambda: ccf_to_loglike(1.5, 1.0, 1.0, 10), "ccf"),
        (lambda: ccf_to_loglike(np.nan, 1.0, 1.0, 10), "ccf"),
        (lambda: ccf_to_loglike(0.5, -1.0, 1.0, 10), "sf2"),
        (lambda: ccf_to_loglike(0.5, 1.0, np.inf, 10), "sg2"),
        (lambda: ccf_to_loglike(0.5, 1.0, 1.0, 1), "n_pix"),
        (lambda: ccf_to_loglike(0.5, 1.0, 1.0, 10.5), "n_pix"),
        (lambda: ccf_to_loglike(0.5, 1.0, 1.0, 10, scale=np.inf), "scale"),
    ],
)
def test_bad_input_names_argument(call, name):
    with pytest.raises(ValueError, match=name):
        call()


def test_ccf_bad_input_names_argument(grids):
    nu_model, nu_obs = grids
    rs = prepare_resampling(nu_model, nu_obs)
    data, model = np.ones(nu_obs.size), np.ones(nu_model.size)
    with pytest.raises(ValueError, match="rv_grid_kms"):
        cross_correlation_function(rs, data, model, [0.0, 1e4])
    with pytest.raises(ValueError, match="rv_grid_kms"):
        cross_correlation_function(rs, data, model, [[0.0]])
    with pytest.raises(ValueError, match="resampler"):
        cross_correlation_function(None, data, model, [0.0])
    with pytest.raises(ValueError, match="data"):
        cross_correlation_function(rs, data[:-1], model, [0.0])
    with pytest.raises(ValueError, match="spectrum"):  # the model, as the resampler names it
        cross_correlation_function(rs, data, model[:-1], [0.0])


def test_large_offset_does_not_round_the_signal_away():
    """Mean subtraction pivots on the first value: a continuum 1e12 times the signal (float64)
    or filtered float32 spectra near 1 with 1e-4 signals keep their correlation and log L
    (reference: extended precision, np.longdouble)."""
    rng = np.random.default_rng(12)
    model = rng.standard_normal(150)
    signal = 1e-6 * (0.5 * model + rng.standard_normal(150))
    data = signal + 932068.4735334944  # found by hypothesis (fuzz profile)
    f = data.astype(np.longdouble) - np.mean(data.astype(np.longdouble))
    g = model.astype(np.longdouble) - np.mean(model.astype(np.longdouble))
    ref = float(-75.0 * np.log(np.mean((f - 0.3 * g) ** 2)))
    assert abs(float(brogi_line_loglike(data, model, scale=0.3)) / ref - 1) < 1e-12
    c_ref = float(np.sum(f * g) / np.sqrt(np.sum(f * f) * np.sum(g * g)))
    assert abs(float(cross_correlation(data, model)) - c_ref) < 1e-12
    # float32: 1 + 1e-4 x signal, as high_pass(mode="divide") leaves it
    d32 = (1.0 + 1e-4 * signal / 1e-6).astype(np.float32)
    m32 = (1.0 + 1e-4 * model).astype(np.float32)
    c64 = pearson_np(d32.astype(np.float64), m32.astype(np.float64))
    assert abs(float(cross_correlation(d32, m32)) - c64) < 1e-5
