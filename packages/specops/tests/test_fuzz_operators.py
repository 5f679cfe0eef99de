"""Property-based tests of every public function of jaxstro.specops: never a finite wrong
number.

For random valid input the output is finite (and equal under jit and eagerly, conserving flux
where it should); for random invalid concrete input a ``ValueError`` naming the argument is
raised, and the same value traced under ``jit`` gives NaN.

The ci profile (conftest.py) runs 25 derandomised examples per test; ``HYPOTHESIS_PROFILE=fuzz``
(``nox -s fuzz``) runs 400 random ones. Shapes are fixed so each jitted function compiles once.
"""

from __future__ import annotations

import math

import jax
import numpy as np
import pytest
from conftest import eslog
from hypothesis import assume, given
from hypothesis import strategies as st

from jaxstro.specops import (
    brogi_line_loglike,
    ccf_to_loglike,
    cross_correlation,
    high_pass,
    prepare_instrumental_profile,
    prepare_resampling,
    prepare_rotation,
)

NU = eslog(4350.0, 4356.0, 400)  # dv ~ 1.03 km/s
NU_OBS = np.linspace(4351.0, 4355.0, 90)
ROT = prepare_rotation(NU, vsini_max_kms=40.0)
ROT_S = prepare_rotation(NU, vsini_max_kms=40.0, kernel="sampled", edge="zero")
IP = prepare_instrumental_profile(NU, resolving_power_min=2e4)
RS = {m: prepare_resampling(NU, NU_OBS, method=m) for m in ("linear", "flux")}

NON_FINITE = st.sampled_from([math.nan, math.inf, -math.inf])
SEEDS = st.integers(0, 2**32 - 1)


def _floats(lo, hi):
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


def _spectrum(seed, n=NU.size, emission=False):
    rng = np.random.default_rng(seed)
    f = rng.uniform(0.0, 2.0, n)
    if emission:  # zero within the widest kernel (40 km/s, 39 pixels) of the ends
        f[:60] = 0.0
        f[-60:] = 0.0
    return f


@st.composite
def limb_darkening(draw):
    """(u1, u2) in the quadratic law's physical domain (Kipping 2013)."""
    u1 = draw(_floats(0.0, 1.0))
    u2 = draw(_floats(-u1 / 2.0, 1.0 - u1))
    return u1, u2


@st.composite
def bad_limb_darkening(draw):
    u1, u2 = draw(
        st.one_of(
            st.tuples(_floats(-5.0, -1e-6), _floats(0.0, 0.5)),  # u1 < 0
            st.tuples(_floats(0.0, 1.0), _floats(1.0 + 1e-6, 5.0)),  # u1 + u2 > 1
            st.tuples(_floats(0.0, 1.0), _floats(-5.0, -0.5 - 1e-6)),  # u1 + 2 u2 < 0 (u1 <= 1)
            st.tuples(NON_FINITE, _floats(0.0, 0.5)),
            st.tuples(_floats(0.0, 0.5), NON_FINITE),
        )
    )
    assume(not (u1 >= 0 and u1 + 2 * u2 >= 0 and u1 + u2 <= 1))
    return u1, u2


_rot_jit = jax.jit(lambda op, f, v, a, b: op.apply(f, v, a, b))
_ip_jit = jax.jit(lambda op, f, r: op.apply(f, r))
_rs_jit = jax.jit(lambda op, f, v: op.apply(f, v))


@given(seed=SEEDS, vsini=_floats(0.0, 40.0), ld=limb_darkening())
def test_rotation_valid_is_finite_and_conserves_flux(seed, vsini, ld):
    f = _spectrum(seed, emission=True)
    for op in (ROT, ROT_S):
        out = np.asarray(op.apply(f, vsini, *ld))
        assert np.all(np.isfinite(out))
        assert abs(out.sum() / f.sum() - 1) <= 1e-10
        np.testing.assert_allclose(_rot_jit(op, f, vsini, *ld), out, rtol=1e-12, atol=1e-14)


@given(
    vsini=st.one_of(_floats(-1e3, -1e-9), _floats(40.0 + 1e-9, 1e6), NON_FINITE),
    ld=limb_darkening(),
)
def test_rotation_bad_vsini(vsini, ld):
    f = _spectrum(0)
    with pytest.raises(ValueError, match="vsini_kms"):
        ROT.apply(f, vsini, *ld)
    assert np.all(np.isnan(_rot_jit(ROT, f, vsini, *ld)))


@given(vsini=_floats(0.0, 40.0), ld=bad_limb_darkening())
def test_rotation_bad_limb_darkening(vsini, ld):
    f = _spectrum(1)
    with pytest.raises(ValueError, match="u1"):
        ROT.apply(f, vsini, *ld)
    assert np.all(np.isnan(_rot_jit(ROT, f, vsini, *ld)))


@given(seed=SEEDS, r=_floats(2e4, 1e8))
def test_instrumental_profile_valid(seed, r):
    f = _spectrum(seed, emission=True)
    out = np.asarray(IP.apply(f, r))
    assert np.all(np.isfinite(out))
    assert abs(out.sum() / f.sum() - 1) <= 1e-10
    np.testing.assert_allclose(_ip_jit(IP, f, r), out, rtol=1e-12, atol=1e-14)


@given(r=st.one_of(_floats(-1e9, 2e4 * (1 - 1e-9)), NON_FINITE))
def test_instrumental_profile_bad_resolving_power(r):
    f = _spectrum(2)
    with pytest.raises(ValueError, match="resolving_power"):
        IP.apply(f, r)
    assert np.all(np.isnan(_ip_jit(IP, f, r)))


@pytest.mark.parametrize("method", ["linear", "flux"])
@given(seed=SEEDS, t=_floats(0.0, 1.0))
def test_resampling_valid(method, seed, t):
    rs = RS[method]
    rv = rs.rv_min_kms + t * (rs.rv_max_kms - rs.rv_min_kms)
    f = _spectrum(seed)
    out = np.asarray(rs.apply(f, rv))
    assert np.all(np.isfinite(out))
    # bounded by the model's range (both methods average non-negative weights of the model)
    assert np.all(out >= f.min() - 1e-12) and np.all(out <= f.max() + 1e-12)
    np.testing.assert_allclose(_rs_jit(rs, f, rv), out, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("method", ["linear", "flux"])
@given(d=st.one_of(_floats(1e-7, 1e6), NON_FINITE), low=st.booleans())
def test_resampling_bad_rv(method, d, low):
    rs = RS[method]
    rv = d if not math.isfinite(d) else (rs.rv_min_kms - d if low else rs.rv_max_kms + d)
    f = _spectrum(3)
    with pytest.raises(ValueError, match="rv_kms"):
        rs.apply(f, rv)
    assert np.all(np.isnan(_rs_jit(rs, f, rv)))


@given(
    seed=SEEDS,
    degree=st.integers(0, 6),
    window=st.sampled_from([3, 5, 21, 41]),
    mode=st.sampled_from(["divide", "subtract"]),
)
def test_high_pass_valid(seed, degree, window, mode):
    f = 1.0 + _spectrum(seed, n=200)  # positive: the trend a divisor never reaches zero
    for out in (
        high_pass(f, degree=degree, mode=mode),
        high_pass(f, method="median", window=window, mode=mode),
    ):
        assert out.shape == f.shape and np.all(np.isfinite(np.asarray(out)))


@given(
    degree=st.one_of(st.integers(-100, -1), st.integers(200, 10**6), _floats(0.1, 0.9)),
    window=st.one_of(
        st.integers(-10, 2), st.integers(201, 10**6), st.integers(2, 100).map(lambda k: 2 * k)
    ),
)
def test_high_pass_bad_arguments(degree, window):
    f = np.ones(200)
    with pytest.raises(ValueError, match="degree"):
        high_pass(f, degree=degree)
    with pytest.raises(ValueError, match="window"):
        high_pass(f, method="median", window=window)


@given(seed=SEEDS, scale=_floats(-1e3, 1e3), shift=_floats(-1e6, 1e6), amp=_floats(1e-6, 1e6))
def test_correlation_and_loglike_valid(seed, scale, shift, amp):
    rng = np.random.default_rng(seed)
    model = rng.standard_normal(150)
    data = amp * (0.5 * model + rng.standard_normal(150)) + shift
    c = float(cross_correlation(data, model))
    assert math.isfinite(c) and abs(c) <= 1 + 1e-12
    n = 150
    # reference in extended precision: accurate even for a large offset over a small signal
    f = data.astype(np.longdouble) - np.mean(data.astype(np.longdouble))
    g = model.astype(np.longdouble) - np.mean(model.astype(np.longdouble))
    ref = float(-0.5 * n * np.log(np.mean((f - scale * g) ** 2)))
    out = float(brogi_line_loglike(data, model, scale=scale))
    assert math.isfinite(out) and abs(out - ref) <= 1e-9 * max(1.0, abs(ref))
    sf2, sg2 = float(np.mean(f * f)), float(np.mean(g * g))
    via_ccf = float(ccf_to_loglike(c, sf2, sg2, n, scale=scale))
    assert math.isfinite(via_ccf) and abs(via_ccf - ref) <= 1e-6 * max(1.0, abs(ref))


_ccf_jit = jax.jit(lambda c, f2, g2, a: ccf_to_loglike(c, f2, g2, 100, scale=a))


@given(c=_floats(-1.0, 1.0), sf2=_floats(0.0, 1e6), sg2=_floats(0.0, 1e6), a=_floats(-1e3, 1e3))
def test_ccf_to_loglike_matches_formula(c, sf2, sg2, a):
    """Any valid input: the float64 formula, +inf exactly where its bracket is 0 (a perfect
    match), never NaN."""
    bracket = sf2 + a * a * sg2 - 2 * a * math.sqrt(sf2 * sg2) * c
    out = float(ccf_to_loglike(c, sf2, sg2, 100, scale=a))
    assert not math.isnan(out)
    if bracket > 1e-300:
        scale = abs(sf2) + a * a * abs(sg2)
        # the bracket loses digits to cancellation; compare within that rounding
        tol = 50.0 * 1e-16 * scale / bracket + 1e-12
        assert abs(out - (-50.0 * math.log(bracket))) <= 50.0 * tol
    assert (
        out == float(_ccf_jit(c, sf2, sg2, a))
        or abs(out / float(_ccf_jit(c, sf2, sg2, a)) - 1) < 1e-12
    )


@given(
    bad=st.one_of(
        st.tuples(
            st.just("ccf"),
            st.one_of(_floats(1.0 + 1e-9, 1e9), _floats(-1e9, -1.0 - 1e-9), NON_FINITE),
        ),
        st.tuples(st.just("sf2"), st.one_of(_floats(-1e9, -1e-300), NON_FINITE)),
        st.tuples(st.just("sg2"), st.one_of(_floats(-1e9, -1e-300), NON_FINITE)),
        st.tuples(st.just("scale"), NON_FINITE),
    )
)
def test_ccf_to_loglike_bad_input(bad):
    name, value = bad
    args = dict(ccf=0.3, sf2=1.0, sg2=2.0, scale=1.0)
    args[name] = value
    with pytest.raises(ValueError, match=name):
        ccf_to_loglike(args["ccf"], args["sf2"], args["sg2"], 100, scale=args["scale"])
    assert math.isnan(float(_ccf_jit(args["ccf"], args["sf2"], args["sg2"], args["scale"])))


@given(
    seed=SEEDS,
    where=st.integers(0, 149),
    value=NON_FINITE,
    which=st.sampled_from(["data", "model"]),
)
def test_non_finite_spectra_raise(seed, where, value, which):
    rng = np.random.default_rng(seed)
    arrays = dict(data=rng.standard_normal(150), model=rng.standard_normal(150))
    arrays[which][where] = value
    for fn in (cross_correlation, brogi_line_loglike):
        with pytest.raises(ValueError, match=which):
            fn(arrays["data"], arrays["model"])
    with pytest.raises(ValueError, match="spectrum"):
        high_pass(arrays[which])
    f = np.resize(arrays[which], NU.size)
    for call in (
        lambda: ROT.apply(f, 5.0),
        lambda: IP.apply(f, 5e4),
        lambda: RS["linear"].apply(f, 0.0),
        lambda: RS["flux"].apply(f, 0.0),
    ):
        with pytest.raises(ValueError, match="spectrum"):
            call()
