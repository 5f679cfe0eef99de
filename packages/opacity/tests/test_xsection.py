"""Cross sections: LPF against an independent float64 line-by-line sum; MODIT and PreMODIT
against LPF on the issue's grid (22920-23000 Angstrom, 3,500 ESLOG points)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import reference_lbl
from conftest import subset

from jaxstro.opacity import make_calculator, wavenumber_grid

CASES = [(t, p) for t in (500.0, 1000.0, 1500.0) for p in (1.0, 1e-3)]


@pytest.fixture(scope="module")
def lpf(co_lines, band_grid):
    return make_calculator(co_lines, band_grid, method="lpf")


@pytest.fixture(scope="module")
def lpf_values(lpf):
    f = jax.jit(lpf.xsvector)
    return {c: np.asarray(f(*c)) for c in CASES}


def test_lpf_matches_independent_float64_line_by_line(co_lines, band_grid, lpf_values):
    from jaxstro.opacity._calc_common import select_lines

    lines = subset(co_lines, select_lines(co_lines, band_grid, 25.0))
    for t, p in [(500.0, 1.0), (1500.0, 1e-3)]:
        ref = reference_lbl.cross_section(lines, band_grid, t, p)
        got = lpf_values[(t, p)]
        mask = ref > 1e-3 * ref.max()
        assert np.max(np.abs(got[mask] / ref[mask] - 1)) < 1e-6


@pytest.mark.parametrize("method", ["modit", "premodit"])
def test_fast_methods_against_lpf(co_lines, band_grid, lpf_values, method):
    calc = make_calculator(co_lines, band_grid, method=method)
    f = jax.jit(calc.xsvector)
    for case in CASES:
        ref = lpf_values[case]
        got = np.asarray(f(*case))
        mask = ref > 1e-3 * ref.max()
        rel = np.abs(got[mask] / ref[mask] - 1)
        assert np.median(rel) < 0.005, (case, np.median(rel))
        assert np.percentile(rel, 99) < 0.02, (case, np.percentile(rel, 99))


@pytest.mark.parametrize("method", ["lpf", "modit", "premodit"])
def test_xsmatrix_vmap_and_gradient(co_lines, method):
    nu, _, _ = wavenumber_grid(4340.0, 4345.0, 600)
    calc = make_calculator(co_lines, nu, method=method, margin_cm1=5.0)
    t = jnp.array([600.0, 900.0, 1400.0])
    p = jnp.array([0.01, 0.1, 1.0])
    mat = jax.jit(calc.xsmatrix)(t, p)
    assert mat.shape == (3, nu.size)
    vec = jax.vmap(calc.xsvector)(t, p)
    np.testing.assert_allclose(mat, vec, rtol=1e-9)
    np.testing.assert_allclose(mat[1], calc.xsvector(900.0, 0.1), rtol=1e-9)

    def loss(tp):
        return jnp.sum(jnp.log(calc.xsvector(tp[0], tp[1]) + 1e-30))

    x0 = jnp.array([1000.3, 0.3])  # off the partition-table nodes (Q is piecewise linear)
    g = jax.grad(loss)(x0)
    for i, eps in enumerate((1e-3, 1e-6)):
        dx = jnp.zeros(2).at[i].set(eps)
        fd = (loss(x0 + dx) - loss(x0 - dx)) / (2 * eps)
        np.testing.assert_allclose(g[i], fd, rtol=1e-5)


def test_float32_path(co_lines):
    nu, _, _ = wavenumber_grid(4340.0, 4345.0, 600)
    ref = make_calculator(co_lines, nu, method="lpf", margin_cm1=5.0).xsvector(1200.0, 0.5)
    with jax.enable_x64(False):
        for method in ("lpf", "modit", "premodit"):
            calc = make_calculator(co_lines, nu, method=method, margin_cm1=5.0)
            got = jax.jit(calc.xsvector)(1200.0, 0.5)
            assert got.dtype == jnp.float32
            got = np.asarray(got, dtype=np.float64)
            mask = np.asarray(ref) > 1e-3 * float(ref.max())
            rel = np.abs(got[mask] / np.asarray(ref)[mask] - 1)
            assert np.all(np.isfinite(got))
            assert np.median(rel) < (1e-4 if method == "lpf" else 5e-3), (method, np.median(rel))


def test_single_line_area_and_centre(co_lines, band_grid):
    # one strong line well inside the grid: every method conserves its strength
    inside = (co_lines.nu_cm1 > band_grid[200]) & (co_lines.nu_cm1 < band_grid[-200])
    i = int(np.argmax(np.where(inside, co_lines.strength_ref, 0)))
    one = subset(co_lines, np.array([i]))
    s = reference_lbl.cross_section(one, np.array([one.nu_cm1[0]]), 1000.0, 1e-3)  # peak
    for method in ("lpf", "modit", "premodit"):
        xs = np.asarray(make_calculator(one, band_grid, method=method).xsvector(1000.0, 1e-3))
        area = np.trapezoid(xs, band_grid)
        strength = reference_lbl.line_intensity(one, 1000.0)[0]
        np.testing.assert_allclose(area, strength, rtol=2e-3)
        k = int(np.argmin(np.abs(band_grid - one.nu_cm1[0])))
        assert np.argmax(xs) in (k - 1, k, k + 1)
        assert xs.max() <= s[0] * 1.01


def test_pressure_shift_moves_lines(co_lines):
    nu, _, _ = wavenumber_grid(4340.0, 4345.0, 2000)
    for method in ("lpf", "modit"):
        a = make_calculator(co_lines, nu, method=method, margin_cm1=5.0)
        b = make_calculator(co_lines, nu, method=method, margin_cm1=5.0, pressure_shift=True)
        xa, xb = a.xsvector(1000.0, 1.0), b.xsvector(1000.0, 1.0)
        assert not np.allclose(xa, xb, rtol=1e-3, atol=0)
        np.testing.assert_allclose(np.trapezoid(xa, nu), np.trapezoid(xb, nu), rtol=1e-2)


def test_bad_input(co_lines, band_grid):
    with pytest.raises(ValueError, match="method must be one of"):
        make_calculator(co_lines, band_grid, method="lbl")
    with pytest.raises(ValueError, match="nu_grid must be"):
        make_calculator(co_lines, band_grid[::-1], method="lpf")
    nu_lin, _, _ = wavenumber_grid(4340.0, 4345.0, 600, mode="esl")
    for method in ("modit", "premodit"):
        with pytest.raises(ValueError, match="ESLOG"):
            make_calculator(co_lines, nu_lin, method=method)
    with pytest.raises(ValueError, match="no line of `lines`"):
        make_calculator(co_lines, np.linspace(100.0, 101.0, 10), method="lpf")
    with pytest.raises(ValueError, match="robust_range"):
        make_calculator(co_lines, band_grid, method="premodit", robust_range=(1000, 500))
    calc = make_calculator(co_lines, band_grid, method="premodit", robust_range=(500, 2000))
    with pytest.raises(ValueError, match=r"t_k=.*outside the valid range \[500, 2000\]"):
        calc.xsvector(3000.0, 1.0)
    with pytest.raises(ValueError, match="p_bar must be positive"):
        calc.xsvector(1000.0, -1.0)
    with pytest.raises(ValueError, match="gamma_resolution"):
        make_calculator(co_lines, band_grid, method="modit", gamma_resolution=0.0)
    with pytest.raises(TypeError, match="LineList"):
        make_calculator({"nu": [1.0]}, band_grid, method="lpf")
