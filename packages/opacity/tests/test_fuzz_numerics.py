"""Property-based tests (issue 10) for every public numerical function of jaxstro.opacity.

For each function and random in-range arguments:

* integer, float32 and float64 inputs give the same result (integers exactly as the floats
  they equal; float32 to its precision against float64 evaluated at the float32-rounded
  arguments);
* one out-of-range argument (NaN, +-inf, or outside the documented range) follows the
  out-of-range policy: eagerly a ``ValueError`` naming the argument; under ``jit`` NaN in
  every output element that depends on it and, in every other element, exactly the value
  computed without it (never a finite wrong number); under ``vmap`` NaN for the offending
  member only.

The ci profile (conftest.py) runs 25 derandomised examples per test; ``HYPOTHESIS_PROFILE=fuzz``
(``nox -s fuzz``) runs 400 random ones. Shapes are fixed so that each jitted function compiles
once per dtype.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.special import wofz

from jaxstro.linedb import datasets, read_cia, read_hitran
from jaxstro.opacity import (
    doppler_sigma,
    elower_node_spacing,
    faddeeva,
    line_strength,
    partition_ratio,
    prepare_cia,
    pressure_gamma,
    rayleigh_cross_section,
    voigt,
    voigt_hjerting,
    wavenumber_grid,
)
from jaxstro.opacity._premodit import _max_relative_error

NAN, INF = float("nan"), float("inf")
NON_FINITE = st.sampled_from([NAN, INF, -INF])


def _floats(lo, hi):
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


@dataclasses.dataclass(frozen=True)
class In:
    """One argument: its shape, in-range float and integer strategies, out-of-range values."""

    name: str
    shape: tuple
    valid: st.SearchStrategy
    valid_int: st.SearchStrategy
    bad: st.SearchStrategy
    # output elements that depend on element ``pos`` of this argument (None: all of them)
    depends: Callable[[tuple, tuple], np.ndarray] | None = None


def _elementwise(pos, out_shape):
    m = np.zeros(out_shape, bool)
    m[pos] = True
    return m


def _row(pos, out_shape):
    m = np.zeros(out_shape, bool)
    m[pos[0]] = True
    return m


@dataclasses.dataclass(frozen=True)
class Spec:
    name: str
    fn: Callable
    args: tuple[In, ...]
    rtol32: float  # float32 against float64 at the rounded arguments, relative
    atol32: float = 0.0  # ... and absolute, relative to the largest |value|

    def __post_init__(self):
        object.__setattr__(self, "jit", jax.jit(self.fn))
        object.__setattr__(self, "vmap", jax.jit(jax.vmap(self.fn)))


def _pos(x):
    return _floats(x, x * 1e3)


def _partition_ratio(t):
    # the table in t's precision (numpy float64 tables promote a float32 t to float64)
    dt = t.dtype if jnp.issubdtype(t.dtype, jnp.floating) else np.float64
    return partition_ratio(t, _PF_T.astype(dt), _PF_Q.astype(dt))


_CO = read_hitran(datasets.sample_path("co_hitemp"))
_PF_T, _PF_Q = np.asarray(_CO.pf_t_k), np.asarray(_CO.pf_q)  # 1 - 9000 K, 6 isotopologues


_GAMMA_REF = np.array([[0.06, 0.03], [0.05, 0.02]])

SPECS = [
    Spec(
        "voigt",
        voigt,
        (
            In("x_cm1", (4,), _floats(-5, 5), st.integers(-5, 5), NON_FINITE, _elementwise),
            In(
                "sigma_cm1",
                (),
                _floats(0.01, 3),
                st.integers(1, 3),
                st.one_of(NON_FINITE, _floats(-3, 0)),
            ),
            In(
                "gamma_cm1",
                (),
                _floats(0, 3),
                st.integers(0, 3),
                st.one_of(NON_FINITE, _floats(-3, -1e-6)),
            ),
        ),
        rtol32=2e-4,
        atol32=1e-5,
    ),
    Spec(
        "voigt_hjerting",
        voigt_hjerting,
        (
            In("u", (4,), _floats(-30, 30), st.integers(-30, 30), NON_FINITE, _elementwise),
            In(
                "a",
                (),
                _floats(0, 30),
                st.integers(0, 30),
                st.one_of(NON_FINITE, _floats(-30, -1e-6)),
            ),
        ),
        rtol32=2e-4,
        atol32=1e-5,
    ),
    Spec(
        "doppler_sigma",
        doppler_sigma,
        (
            In(
                "nu_cm1",
                (4,),
                _floats(100, 1e5),
                st.integers(100, 100_000),
                st.one_of(NON_FINITE, _floats(-1e5, 0)),
                _elementwise,
            ),
            In(
                "t_k",
                (),
                _floats(10, 1e4),
                st.integers(10, 10_000),
                st.one_of(NON_FINITE, _floats(-1e4, 0)),
            ),
            In(
                "molmass_amu",
                (),
                _floats(1, 300),
                st.integers(1, 300),
                st.one_of(NON_FINITE, _floats(-300, 0)),
            ),
        ),
        rtol32=1e-6,
    ),
    Spec(
        "line_strength",
        line_strength,
        (
            In(
                "t_k",
                (),
                _floats(300, 4000),
                st.integers(300, 4000),
                st.one_of(NON_FINITE, _floats(-1e4, 0)),
            ),
            In(
                "strength_ref",
                (4,),
                _floats(1e-25, 1e-18),
                st.integers(0, 5),
                st.one_of(NON_FINITE, _floats(-1e-18, -1e-30)),
                _elementwise,
            ),
            In(
                "elower_cm1",
                (4,),
                _floats(0, 1e4),
                st.integers(0, 10_000),
                NON_FINITE,
                _elementwise,
            ),
            In(
                "nu_cm1",
                (4,),
                _floats(100, 1e4),
                st.integers(100, 10_000),
                st.one_of(NON_FINITE, _floats(-1e4, 0)),
                _elementwise,
            ),
            In(
                "q_ratio",
                (),
                _floats(0.01, 10),
                st.integers(1, 10),
                st.one_of(NON_FINITE, _floats(-10, 0)),
            ),
        ),
        rtol32=1e-4,
    ),
    Spec(
        "pressure_gamma",
        lambda t, p, g, n, x: pressure_gamma(t, p, g, n, x),
        (
            In(
                "t_k",
                (),
                _floats(100, 5000),
                st.integers(100, 5000),
                st.one_of(NON_FINITE, _floats(-5000, 0)),
            ),
            In(
                "p_bar",
                (),
                _floats(0, 100),
                st.integers(0, 100),
                st.one_of(NON_FINITE, _floats(-100, -1e-9)),
            ),
            In(
                "gamma_ref",
                (2, 2),
                _floats(0, 0.2),
                st.integers(0, 1),
                st.one_of(NON_FINITE, _floats(-0.2, -1e-9)),
                _row,
            ),
            In("n_temp", (2, 2), _floats(-1, 1), st.integers(-1, 1), NON_FINITE, _row),
            In(
                "fractions",
                (2,),
                _floats(0, 1),
                st.integers(0, 1),
                st.one_of(NON_FINITE, _floats(-1, -1e-9)),
            ),
        ),
        rtol32=2e-6,
    ),
    Spec(
        "partition_ratio",
        _partition_ratio,
        (
            In(
                "t_k",
                (),
                _floats(1, 9000),
                st.integers(1, 9000),
                st.one_of(NON_FINITE, _floats(-1e4, 0.999), _floats(9000.01, 1e5)),
            ),
        ),
        rtol32=1e-5,
    ),
    Spec(
        "rayleigh_h2",
        lambda nu: rayleigh_cross_section(nu, "H2"),
        (
            In(
                "nu_cm1",
                (4,),
                _floats(200, 1e5),
                st.integers(200, 100_000),
                st.one_of(NON_FINITE, _floats(-1e5, 0), _floats(1.0001e5, 1e7)),
                _elementwise,
            ),
        ),
        rtol32=2e-6,
    ),
    Spec(
        "rayleigh_he",
        lambda nu: rayleigh_cross_section(nu, "He"),
        (
            In(
                "nu_cm1",
                (4,),
                _floats(200, 1e6),
                st.integers(200, 1_000_000),
                st.one_of(NON_FINITE, _floats(-1e5, 0)),
                _elementwise,
            ),
        ),
        rtol32=2e-6,
    ),
]
IDS = [s.name for s in SPECS]


def _draw(data, spec, kind):
    out = []
    for a in spec.args:
        strat = a.valid if kind == "float" else a.valid_int
        n = math.prod(a.shape)
        vals = data.draw(st.lists(strat, min_size=n, max_size=n), label=a.name)
        dtype = np.float64 if kind == "float" else np.int64
        out.append(np.asarray(vals, dtype=dtype).reshape(a.shape))
    return out


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
@given(data=st.data())
def test_fuzz_integer_float32_float64_agree(spec, data):
    ints = _draw(data, spec, "int")
    got_int = np.asarray(spec.jit(*ints))
    ref_int = np.asarray(spec.jit(*(x.astype(np.float64) for x in ints)))
    assert got_int.dtype == np.float64  # x64 on: the default float
    np.testing.assert_allclose(got_int, ref_int, rtol=1e-13, atol=0)

    floats = _draw(data, spec, "float")
    f32 = [x.astype(np.float32) for x in floats]
    got32 = spec.jit(*f32)
    assert got32.dtype == jnp.float32, got32.dtype
    got32 = np.asarray(got32, dtype=np.float64)
    ref = np.asarray(spec.jit(*(x.astype(np.float64) for x in f32)))
    assert np.all(np.isfinite(ref))
    # values below float32's normal range (1.2e-38) flush to 0 on CPU
    atol = spec.atol32 * np.max(np.abs(ref)) + 1e-36
    np.testing.assert_allclose(got32, ref, rtol=spec.rtol32, atol=atol)


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
@given(data=st.data())
def test_fuzz_out_of_range_policy(spec, data):
    args = _draw(data, spec, "float")
    k = data.draw(st.integers(0, len(spec.args) - 1), label="which argument")
    a = spec.args[k]
    pos = tuple(int(data.draw(st.integers(0, s - 1), label="position")) for s in a.shape)
    bad_value = data.draw(a.bad, label="bad value")
    bad = [x.copy() for x in args]
    bad[k][pos] = bad_value

    # eager: ValueError naming the argument and showing the value
    with pytest.raises(ValueError, match=rf"\b{a.name} must be") as err:
        spec.fn(*bad)
    assert f"{bad_value:.6g}" in str(err.value)

    # jit: NaN where the output depends on the bad element, the clean value elsewhere
    clean = np.asarray(spec.jit(*args))
    out = np.asarray(spec.jit(*bad))
    assert np.all(np.isfinite(clean))
    mask = np.ones(out.shape, bool) if a.depends is None else a.depends(pos, out.shape)
    assert np.all(np.isnan(out[mask])), (out, mask)
    np.testing.assert_array_equal(out[~mask], clean[~mask])

    # vmap over (clean, bad): NaN for the bad member only
    batch = [np.stack([c, b]) for c, b in zip(args, bad, strict=True)]
    both = np.asarray(spec.vmap(*batch))
    np.testing.assert_allclose(both[0], clean, rtol=1e-14)
    assert np.all(np.isnan(both[1][mask]))


# ------------------------------------------------------------------------------------------
# faddeeva (complex input: the whole plane, against scipy.special.wofz)

_faddeeva_jit = jax.jit(faddeeva)
_faddeeva_vmap = jax.jit(jax.vmap(faddeeva))


@st.composite
def _z(draw, box=30.0):
    re = draw(st.lists(_floats(-box, box), min_size=4, max_size=4))
    im = draw(st.lists(_floats(-box, box), min_size=4, max_size=4))
    z = np.asarray(re) + 1j * np.asarray(im)
    # keep |w| ~ exp(Im^2 - Re^2) in the lower half plane inside float32's range
    im_c = np.where(np.imag(z) < 0, -np.sqrt(np.maximum(np.real(z) ** 2 + 60.0, 0)), -np.inf)
    return np.real(z) + 1j * np.maximum(np.imag(z), im_c)


@given(z=_z(), ints=st.lists(st.integers(-30, 30), min_size=4, max_size=4))
def test_fuzz_faddeeva_whole_plane_and_dtypes(z, ints):
    ref = wofz(z)
    got = np.asarray(_faddeeva_jit(z))
    np.testing.assert_allclose(got, ref, rtol=1e-7, atol=1e-300)
    # complex64 against complex128 at the rounded arguments; in the lower half plane the
    # phase 2 x y of exp(-z^2) is rounded in float32 (absolute ~ |2 x y| 6e-8)
    z64 = z.astype(np.complex64)
    got64 = np.asarray(_faddeeva_jit(z64))
    assert got64.dtype == np.complex64
    ref64 = wofz(z64.astype(np.complex128))
    tol = 2e-4 + 2.0 * np.abs(np.real(z64) * np.imag(z64)) * 1.2e-7 * (np.imag(z64) < 0)
    assert np.all(np.abs(got64 - ref64) <= tol * np.abs(ref64) + 1e-30), (z64, got64, ref64)
    # integers and float32 reals
    zi = np.asarray(ints)
    np.testing.assert_array_equal(_faddeeva_jit(zi), _faddeeva_jit(zi.astype(np.float64)))
    np.testing.assert_allclose(
        np.asarray(_faddeeva_jit(zi.astype(np.float32))), wofz(zi + 0j), rtol=2e-4, atol=1e-30
    )


@given(
    z=_z(box=10.0),
    k=st.integers(0, 3),
    bad=st.sampled_from(
        [complex(NAN, 0), complex(INF, 0), complex(0, -INF), complex(1, NAN), complex(INF, INF)]
    ),
)
def test_fuzz_faddeeva_non_finite(z, k, bad):
    zb = z.copy()
    zb[k] = bad
    with pytest.raises(ValueError, match="z must be finite"):
        faddeeva(zb)
    clean, out = np.asarray(_faddeeva_jit(z)), np.asarray(_faddeeva_jit(zb))
    assert np.isnan(out[k])
    others = np.arange(4) != k
    np.testing.assert_array_equal(out[others], clean[others])
    both = np.asarray(_faddeeva_vmap(np.stack([z, zb])))
    assert np.all(np.isfinite(both[0])) and np.isnan(both[1, k])


# ------------------------------------------------------------------------------------------
# calculators: T and P (a prepared calculator per method and dtype, conftest.tiny_calcs)

METHODS = ("lpf", "modit", "premodit")


@pytest.fixture(scope="module")
def calc_fns(tiny_calcs):
    """Jitted, vmapped xsvector of each float64 / float32 calculator (compiled once per dtype
    of the arguments)."""
    out = {}
    for m, (c64, c32) in tiny_calcs.items():
        out[m] = (c64, c32, jax.jit(jax.vmap(c64.xsvector)), jax.jit(jax.vmap(c32.xsvector)))
    return out


def _tp(data, calc, integer=False, physical=False):
    lo, hi = calc.t_range
    if physical:  # where the methods are meant to be accurate
        lo, hi = max(lo, 300.0), min(hi, 3000.0)
    if integer:
        t = data.draw(st.lists(st.integers(math.ceil(lo), math.floor(hi)), min_size=3, max_size=3))
        p = data.draw(st.lists(st.integers(1, 10), min_size=3, max_size=3))
        return np.asarray(t), np.asarray(p)
    t = data.draw(st.lists(_floats(lo, hi), min_size=3, max_size=3))
    p = data.draw(st.lists(_floats(1e-3, 10.0), min_size=3, max_size=3))
    return np.asarray(t), np.asarray(p)


@pytest.mark.parametrize("method", METHODS)
@given(data=st.data())
def test_fuzz_calculator_dtypes(calc_fns, method, data):
    c64, c32, f64, f32 = calc_fns[method]
    ti, pi = _tp(data, c64, integer=True)
    np.testing.assert_array_equal(f64(ti, pi), f64(ti.astype(float), pi.astype(float)))
    t, p = _tp(data, c64, physical=True)
    t32, p32 = t.astype(np.float32), p.astype(np.float32)
    got = f32(t32, p32)
    assert got.dtype == jnp.float32
    ref = np.asarray(f64(t32.astype(float), p32.astype(float)))
    got = np.asarray(got, dtype=np.float64)
    # float32 tables and arithmetic: measured <= 2e-5 relative where the cross section exceeds
    # 1e-3 of its maximum (test_xsection.test_float32_path); here 10x that, per spectrum
    for g, r in zip(got, ref, strict=True):
        keep = r > 1e-3 * r.max()
        np.testing.assert_allclose(g[keep], r[keep], rtol=2e-4)
        assert np.all(np.abs(g - r) <= 2e-4 * r.max())


@pytest.mark.parametrize("method", METHODS)
@given(
    data=st.data(),
    which=st.sampled_from(["t", "p"]),
    bad=st.sampled_from(["nan", "inf", "-inf", "below", "above"]),
)
def test_fuzz_calculator_out_of_range(calc_fns, method, data, which, bad):
    c64, _, f64, _ = calc_fns[method]
    t, p = _tp(data, c64)
    lo, hi = c64.t_range
    if which == "t":
        value = {"nan": NAN, "inf": INF, "-inf": -INF, "below": None, "above": None}[bad]
        if bad == "below":
            value = data.draw(_floats(-1e4, lo - 1e-6 * lo))
        elif bad == "above":
            value = data.draw(_floats(hi + 1e-6 * hi, 1e6))
    else:
        value = {"nan": NAN, "inf": INF, "-inf": -INF}.get(bad)
        if value is None:
            value = data.draw(_floats(-10.0, 0.0))  # p <= 0
    tb, pb = t.copy(), p.copy()
    (tb if which == "t" else pb)[1] = value
    with pytest.raises(ValueError, match="t_k" if which == "t" else "p_bar"):
        c64.xsvector(tb[1], pb[1])
    with pytest.raises(ValueError, match="t_layers" if which == "t" else "p_layers"):
        c64.xsmatrix(tb, pb)
    out = np.asarray(f64(tb, pb))
    assert np.all(np.isnan(out[1]))
    np.testing.assert_array_equal(out[[0, 2]], np.asarray(f64(t, p))[[0, 2]])
    assert np.all(np.isfinite(out[[0, 2]]))


# ------------------------------------------------------------------------------------------
# CIA


@pytest.fixture(scope="module")
def cia_fns():
    table = read_cia(datasets.sample_path("h2h2_cia"))
    nu, _, _ = wavenumber_grid(2000.0, 2600.0, 64)
    g64, g32 = prepare_cia(table, nu), prepare_cia(table, nu, dtype=np.float32)
    vec = lambda g: jax.jit(jax.vmap(g.log_coeff_vector))  # noqa: E731
    return g64, g32, vec(g64), vec(g32), jax.jit(jax.vmap(g64.coeff_vector))


@given(data=st.data(), bad=st.one_of(NON_FINITE, _floats(-1e4, 59.0), _floats(7001.0, 1e6)))
def test_fuzz_cia(cia_fns, data, bad):
    g64, g32, f64, f32, coeff64 = cia_fns
    ti = np.asarray(data.draw(st.lists(st.integers(60, 7000), min_size=3, max_size=3)))
    np.testing.assert_array_equal(f64(ti), f64(ti.astype(float)))
    t = np.asarray(data.draw(st.lists(_floats(60.0, 7000.0), min_size=3, max_size=3)))
    t32 = t.astype(np.float32)
    ref = np.asarray(f64(t32.astype(float)))
    got = f32(t32)
    assert got.dtype == jnp.float32
    # log coefficients ~ -100: float32 keeps ~1e-5 absolute of them
    np.testing.assert_allclose(np.asarray(got, dtype=float), ref, rtol=1e-6, atol=3e-4)
    np.testing.assert_allclose(
        np.asarray(coeff64(t)), np.exp(np.asarray(f64(t))), rtol=1e-12, atol=1e-300
    )
    with pytest.raises(ValueError, match="t_k"):
        g64.log_coeff_vector(bad)
    with pytest.raises(ValueError, match="t_layers"):
        g64.log_coeff_matrix(np.array([t[0], bad]))
    tb = t.copy()
    tb[1] = bad
    out = np.asarray(f64(tb))
    assert np.all(np.isnan(out[1])) and np.all(np.isnan(np.asarray(coeff64(tb))[1]))
    np.testing.assert_array_equal(out[[0, 2]], np.asarray(f64(t))[[0, 2]])


# ------------------------------------------------------------------------------------------
# eager helpers: a valid grid / spacing or a ValueError, never a bad result

_ANY = st.one_of(
    _floats(-1e5, 1e5), _floats(1e-3, 1e6), NON_FINITE, st.integers(-10, 10**5), st.just(0.0)
)


@given(
    start=_ANY,
    stop=_ANY,
    n=st.one_of(st.integers(-3, 5000), _floats(-10, 5000), NON_FINITE, st.booleans()),
    unit=st.sampled_from(["cm-1", "AA", "nm", "um", "Hz"]),
    mode=st.sampled_from(["eslog", "esl", "log"]),
)
def test_fuzz_wavenumber_grid(start, stop, n, unit, mode):
    try:
        nu, wav, r = wavenumber_grid(start, stop, n, unit=unit, mode=mode)
    except ValueError as err:
        names = ("start", "stop", "n must", "unit must", "mode must", "distinct")
        assert any(s in str(err) for s in names), err
        return
    assert not isinstance(n, bool) and int(n) == n >= 2 and unit != "Hz" and mode != "log"
    assert nu.shape == wav.shape == (int(n),)
    assert np.all(np.isfinite(nu)) and np.all(np.diff(nu) > 0) and np.isfinite(r) and r > 0
    lo, hi = sorted((float(start), float(stop)))
    if unit == "cm-1":
        np.testing.assert_allclose(nu[[0, -1]], [lo, hi], rtol=1e-9)
    else:
        np.testing.assert_allclose(wav[[-1, 0]], [lo, hi], rtol=1e-9)
    if mode == "eslog" and nu.size > 2:
        dq = np.diff(np.log(nu))
        np.testing.assert_allclose(dq, 1.0 / r, rtol=1e-6, atol=2e-15)  # float64 rounding of nu


@given(
    t_low=st.one_of(_floats(-100, 5000), NON_FINITE),
    t_high=st.one_of(_floats(-100, 5000), NON_FINITE),
    tol=st.one_of(_floats(-1, 1.5), NON_FINITE),
)
def test_fuzz_elower_node_spacing(t_low, t_high, tol):
    try:
        de = elower_node_spacing(t_low, t_high, tol)
    except ValueError as err:
        assert any(s in str(err) for s in ("t_low", "t_high", "tolerance")), err
        return
    assert 0 < t_low < t_high < INF and 0 < tol < 1
    x_lo, x_hi = 1 / t_high - 1 / 296.0, 1 / t_low - 1 / 296.0
    assert 1e-3 <= de <= 1e6
    assert _max_relative_error(de, x_lo, x_hi) <= tol
