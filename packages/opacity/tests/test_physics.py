import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxstro.opacity import (
    doppler_sigma,
    line_strength,
    prepare_cia,
    pressure_gamma,
    rayleigh_cross_section,
    wavenumber_grid,
)


@pytest.mark.parametrize("unit,factor", [("AA", 1e8), ("nm", 1e7), ("um", 1e4)])
def test_wavenumber_grid_units_and_eslog(unit, factor):
    lo, hi = 22920.0 * factor / 1e8, 23000.0 * factor / 1e8
    nu, wav, r = wavenumber_grid(lo, hi, 3500, unit=unit)
    assert np.all(np.diff(nu) > 0)
    np.testing.assert_allclose(nu * wav, factor, rtol=1e-13)
    np.testing.assert_allclose(wav[[0, -1]], [hi, lo], rtol=1e-10)
    dq = np.diff(np.log(nu))
    np.testing.assert_allclose(dq, 1 / r, rtol=1e-8)  # ln of ~4000-sized numbers
    np.testing.assert_allclose(r, 3499 / np.log(hi / lo), rtol=1e-9)


def test_wavenumber_grid_esl_and_errors():
    nu, wav, r = wavenumber_grid(4100, 4400, 301, mode="esl")
    np.testing.assert_allclose(np.diff(nu), 1.0)
    assert r == pytest.approx(4101.0)  # min nu/d(nu) over the steps, at their upper ends
    nu2, _, _ = wavenumber_grid(4400, 4100, 301, mode="esl")
    np.testing.assert_allclose(nu, nu2)
    with pytest.raises(ValueError, match="unit must be one of"):
        wavenumber_grid(1, 2, 10, unit="GHz")
    with pytest.raises(ValueError, match="mode must be"):
        wavenumber_grid(1, 2, 10, mode="log")
    with pytest.raises(ValueError, match="n must be an integer >= 2"):
        wavenumber_grid(1, 2, 1)
    with pytest.raises(ValueError, match="distinct positive"):
        wavenumber_grid(-1, 2, 10)


def test_line_physics_against_closed_forms():
    # Doppler: sigma = nu sqrt(kT/(m c^2)); CO at 1000 K, 4300 cm^-1
    kb, c, amu = 1.380649e-16, 2.99792458e10, 1.66053906660e-24
    np.testing.assert_allclose(
        doppler_sigma(4300.0, 1000.0, 27.9949), 4300 * np.sqrt(kb * 1000 / (27.9949 * amu)) / c
    )
    # strength: at T_ref it is S_ref; ratio of two temperatures from the formula
    s = line_strength(296.0, 1e-20, 3000.0, 4300.0, 1.0)
    np.testing.assert_allclose(s, 1e-20, rtol=1e-12)
    c2 = 1.438776877
    expect = (
        1e-20
        * 0.5
        * np.exp(-c2 * 3000 * (1 / 1500 - 1 / 296))
        * (1 - np.exp(-c2 * 4300 / 1500))
        / (1 - np.exp(-c2 * 4300 / 296))
    )
    np.testing.assert_allclose(line_strength(1500.0, 1e-20, 3000.0, 4300.0, 0.5), expect)
    # broadener mixture 0.85 H2 + 0.15 He
    g = pressure_gamma(
        800.0, 2.0, jnp.array([[0.06, 0.03]]), jnp.array([[0.6, 0.4]]), jnp.array([0.85, 0.15])
    )
    ref = 2.0 * (0.85 * 0.06 * (296 / 800) ** 0.6 + 0.15 * 0.03 * (296 / 800) ** 0.4)
    np.testing.assert_allclose(g, [ref])


def test_rayleigh_closed_forms():
    lam_aa = np.array([4000.0, 5000.0, 10000.0])
    nu = 1e8 / lam_aa
    ref_h2 = 8.14e-13 / lam_aa**4 + 1.28e-6 / lam_aa**6 + 1.61 / lam_aa**8
    np.testing.assert_allclose(rayleigh_cross_section(nu, "H2"), ref_h2, rtol=1e-12)
    lam_cm = lam_aa * 1e-8
    ref_he = 128 * np.pi**5 * (0.2050e-24) ** 2 / (3 * lam_cm**4)
    np.testing.assert_allclose(rayleigh_cross_section(nu, "He"), ref_he, rtol=1e-12)
    # published: H2 at 5000 A is ~1.4e-27 cm^2 (Dalgarno & Williams 1962, table)
    assert 1.2e-27 < float(rayleigh_cross_section(2e4, "H2")) < 1.5e-27
    with pytest.raises(ValueError, match="species must be one of"):
        rayleigh_cross_section(nu, "N2")


def test_cia_log_linear_interpolation():
    from jaxstro.linedb import datasets, read_cia

    table = read_cia(datasets.sample_path("h2h2_cia"))
    nu = np.linspace(max(table.nu_cm1[0], 20.0), min(table.nu_cm1[-1], 5000.0), 400)
    grid = prepare_cia(table, nu)
    t = 0.5 * (table.t_k[1] + table.t_k[2])
    got = np.asarray(grid.log_coeff_vector(t))
    # independent: log-interpolate in nu per temperature, then linear in T
    with np.errstate(divide="ignore"):
        logs = [np.interp(nu, table.nu_cm1, np.log(table.coeff[k])) for k in (1, 2)]
    ref = 0.5 * (logs[0] + logs[1])
    ok = np.isfinite(ref)
    np.testing.assert_allclose(got[ok], ref[ok], rtol=1e-10)
    tl = jnp.array([table.t_k[0], t, table.t_k[-1]])
    mat = grid.log_coeff_matrix(tl)
    assert mat.shape == (3, nu.size)
    np.testing.assert_allclose(mat[1], got, rtol=1e-12)
    dg = jax.grad(lambda tt: jnp.sum(grid.log_coeff_vector(tt)))(t)
    fd = (np.sum(grid.log_coeff_vector(t + 1e-3)) - np.sum(grid.log_coeff_vector(t - 1e-3))) / 2e-3
    np.testing.assert_allclose(dg, fd, rtol=1e-6)
    with pytest.raises(ValueError, match="outside the CIA table's range"):
        grid.log_coeff_vector(table.t_k[-1] + 10.0)
    with pytest.raises(ValueError, match="outside the CIA table's range"):
        grid.log_coeff_matrix(jnp.array([table.t_k[0] - 1.0, t]))


def test_lorentz_width_split_reproduces_a_lorentzian():
    from scipy.stats import cauchy

    from jaxstro.opacity._dit import lorentz_width_weights

    h = 0.2
    x = np.concatenate([np.linspace(-5, 5, 201), [50.0, 500.0]])
    for d in (-0.5, -0.2, 0.0, 0.37, 0.5):
        gamma = 1.0
        nodes = [gamma * np.exp((m - d) * h) for m in (-1, 0, 1)]
        w = lorentz_width_weights(d, h)
        mix = sum(wi * cauchy.pdf(x, scale=g) for wi, g in zip(w, nodes, strict=True))
        exact = cauchy.pdf(x, scale=gamma)
        assert sum(w) == pytest.approx(1.0, abs=1e-12)
        # peak and far wings exact; in between within h^3-order
        np.testing.assert_allclose(mix[100], exact[100], rtol=1e-12)
        np.testing.assert_allclose(mix[-1], exact[-1], rtol=1e-5)
        assert np.max(np.abs(mix / exact - 1)) < 1.3e-3
