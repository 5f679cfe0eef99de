"""RV shift and resampling: an analytic line shifted by RV, flux conservation of the
bin-integrated option, gradients in RV, jit/vmap/jacfwd, float32."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.test_util import check_grads
from scipy import special

from jaxstro.specops import C_KMS, bin_edges_from_centres, prepare_resampling


def line(nu, c=4355.0, w=0.03):
    return 1.0 - 0.6 * np.exp(-0.5 * ((nu - c) / w) ** 2)


def line_bin_mean(a, b, c=4355.0, w=0.03):
    """Exact mean of ``line`` over [a, b] (erf)."""
    z = lambda x: special.erf((x - c) / (np.sqrt(2) * w))  # noqa: E731
    return 1.0 - 0.6 * w * np.sqrt(np.pi / 2) * (z(b) - z(a)) / (b - a)


@pytest.fixture(scope="module")
def grids():
    nu_model = np.exp(np.linspace(np.log(4340.0), np.log(4370.0), 20000))  # dnu ~ 1.5e-3
    nu_obs = np.linspace(4345.0, 4365.0, 1200)  # dnu ~ 1.7e-2: linear, not ESLOG
    return nu_model, nu_obs


def test_linear_shift_of_analytic_line(grids):
    """The shifted observed spectrum equals the analytic line at nu_obs (1 + rv / c) within
    the linear-interpolation bound h^2 max|f''| / 8 (1.9e-4 here), and np.interp exactly."""
    nu_model, nu_obs = grids
    rs = prepare_resampling(nu_model, nu_obs)
    for rv in (-35.0, 0.0, 12.3, 80.0):
        out = np.asarray(rs.apply(line(nu_model), rv))
        ref = line(nu_obs * (1 + rv / C_KMS))
        bound = np.max(np.diff(nu_model)) ** 2 / 8 * 0.6 / 0.03**2
        assert np.max(np.abs(out - ref)) < bound
        np.testing.assert_allclose(
            out, np.interp(nu_obs * (1 + rv / C_KMS), nu_model, line(nu_model)), atol=1e-10
        )


def test_flux_shift_of_analytic_line(grids):
    """Bin-integrated: each output is the mean of the line over the shifted observed bin
    (erf), within the piecewise-linear model's bound h^2 max|f''| / 8."""
    nu_model, nu_obs = grids
    rs = prepare_resampling(nu_model, nu_obs, method="flux")
    e = bin_edges_from_centres(nu_obs)
    for rv in (-35.0, 12.3):
        b = e * (1 + rv / C_KMS)
        out = np.asarray(rs.apply(line(nu_model), rv))
        bound = np.max(np.diff(nu_model)) ** 2 / 8 * 0.6 / 0.03**2
        assert np.max(np.abs(out - line_bin_mean(b[:-1], b[1:]))) < bound


def test_flux_conservation(grids):
    """sum_j F_obs_j * (shifted bin width) equals the integral of the model's interpolant over
    the covered interval, computed independently with numpy, to <= 1e-10 relative."""
    nu_model, nu_obs = grids
    rng = np.random.default_rng(3)
    f = line(nu_model) + 0.05 * rng.standard_normal(nu_model.size)
    rs = prepare_resampling(nu_model, nu_obs, method="flux")
    e = bin_edges_from_centres(nu_obs)
    for rv in (-50.0, 0.0, 33.3):
        b = e * (1 + rv / C_KMS)
        out = np.asarray(rs.apply(f, rv))
        inside = (nu_model > b[0]) & (nu_model < b[-1])
        x = np.concatenate([[b[0]], nu_model[inside], [b[-1]]])
        y = np.interp(x, nu_model, f)
        ref = np.sum(0.5 * (y[1:] + y[:-1]) * np.diff(x))
        assert abs(np.sum(out * np.diff(b)) / ref - 1) <= 1e-10


def test_rv_range_and_edges_argument(grids):
    nu_model, nu_obs = grids
    rs = prepare_resampling(nu_model, nu_obs)
    assert rs.rv_min_kms == pytest.approx(C_KMS * (nu_model[0] / nu_obs[0] - 1))
    assert rs.rv_max_kms == pytest.approx(C_KMS * (nu_model[-1] / nu_obs[-1] - 1))
    edges = np.linspace(4345.0, 4365.0, 11)
    rs_e = prepare_resampling(
        nu_model, 0.5 * (edges[1:] + edges[:-1]), method="flux", nu_obs_edges_cm1=edges
    )
    out = np.asarray(rs_e.apply(np.ones(nu_model.size), 0.0))
    np.testing.assert_allclose(out, 1.0, rtol=1e-12)


@pytest.mark.parametrize("method", ["linear", "flux"])
def test_gradients_jit_vmap(grids, method):
    nu_model, nu_obs = grids
    rs = prepare_resampling(nu_model, nu_obs, method=method)
    f = line(nu_model)
    w = np.cos(np.arange(nu_obs.size) / 11.0)

    def loss(rv):
        return jnp.sum(w * rs.apply(f, rv))

    # away from the kinks of the linear interpolant (a shift of 0.3 model pixels)
    check_grads(loss, (0.3 * 0.103,), order=1, modes=("fwd", "rev"), eps=1e-4)
    rvs = jnp.array([-20.0, 0.0, 15.0])
    batched = jax.jit(jax.vmap(lambda v: rs.apply(f, v)))(rvs)
    for i, v in enumerate(rvs):
        np.testing.assert_allclose(batched[i], rs.apply(f, float(v)), rtol=1e-13, atol=1e-13)
    jf = jax.jacfwd(lambda v: rs.apply(f, v))(5.0)
    assert jf.shape == (nu_obs.size,) and bool(jnp.all(jnp.isfinite(jf)))


@pytest.mark.parametrize("method", ["linear", "flux"])
def test_float32(grids, method):
    """float64 grids prepared for float32 work: offsets from a reference wavenumber keep the
    positions to ~2e-6 cm^-1 (absolute wavenumbers near 4355 would carry 2.4e-4 cm^-1, 15 % of
    a model pixel)."""
    nu_model, nu_obs = grids
    rs = prepare_resampling(nu_model, nu_obs, method=method, dtype=jnp.float32)
    out = rs.apply(line(nu_model).astype(np.float32), np.float32(10.0))
    assert out.dtype == jnp.float32 and bool(jnp.all(jnp.isfinite(out)))
    ref = prepare_resampling(nu_model, nu_obs, method=method).apply(line(nu_model), 10.0)
    assert float(jnp.max(jnp.abs(out - ref))) < 1e-4  # measured 1.6e-5 (flux), 8e-6 (linear)
    # grids already rounded to float32 carry their rounding (documented in Resampler)
    rs32 = prepare_resampling(nu_model.astype(np.float32), nu_obs.astype(np.float32), method=method)
    out32 = rs32.apply(line(nu_model).astype(np.float32), np.float32(10.0))
    assert out32.dtype == jnp.float32
    assert float(jnp.max(jnp.abs(out32 - ref))) < 5e-3  # measured 1.4e-3 / 2.5e-3


@pytest.mark.parametrize("method", ["linear", "flux"])
def test_ends_of_the_rv_range_do_not_extrapolate(grids, method):
    """At rv_min / rv_max exactly the shifted grid touches the model's end; a rounding error in
    the position must not extrapolate beyond the model's values (found by hypothesis)."""
    nu_model, nu_obs = grids
    rs = prepare_resampling(nu_model, nu_obs, method=method)
    f = np.random.default_rng(4292).uniform(0.0, 2.0, nu_model.size)
    for rv in (rs.rv_min_kms, rs.rv_max_kms):
        out = np.asarray(rs.apply(f, rv))
        assert np.all(np.isfinite(out))
        assert out.min() >= f.min() and out.max() <= f.max()
    if method == "linear":
        assert abs(float(rs.apply(f, rs.rv_min_kms)[0]) - f[0]) < 1e-9
        assert abs(float(rs.apply(f, rs.rv_max_kms)[-1]) - f[-1]) < 1e-9
