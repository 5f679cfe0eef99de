"""Property-based tests of sedphys' public numerical helpers (hypothesis).

For random valid inputs: float64 and float32 inputs give the same result to float32
precision, integer inputs give the float result, and outputs obey their physics (distances
grow with z, ages fall, attenuation within (0, 1], SFRs >= 0). For random invalid inputs:
a ValueError naming the argument when concrete, NaN under jit and vmap.
Profiles: "ci" (25 derandomised examples) here, "fuzz" (400) in ``nox -s fuzz``.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from jaxstro import sedphys as sp

finite = dict(allow_nan=False, allow_infinity=False)


def _arr(xs, dtype):
    return jnp.asarray(np.asarray(xs, np.float64), dtype)


# (name, fn, strategies of the valid arguments (first: an array of 3), float32 rtol)
# ``fn`` is called as fn(x, *scalars); the jitted versions compile once per dtype
SPECS = {
    "luminosity_distance_mpc": (sp.luminosity_distance_mpc, [st.floats(0.0, 10.0, **finite)], []),
    "comoving_distance_mpc": (sp.comoving_distance_mpc, [st.floats(0.0, 10.0, **finite)], []),
    "age_at_z_gyr": (sp.age_at_z_gyr, [st.floats(0.0, 10.0, **finite)], []),
    "calzetti_transmission": (
        sp.calzetti_transmission,
        [st.floats(1200.0, 22000.0, **finite)],
        [st.floats(0.0, 4.0, **finite)],
    ),
    "power_law_tau": (
        sp.power_law_tau,
        [st.floats(900.0, 30000.0, **finite)],
        [st.floats(0.0, 4.0, **finite), st.floats(-1.5, 0.0, **finite)],
    ),
    "igm_transmission_madau": (
        sp.igm_transmission_madau,
        [st.floats(800.0, 12000.0, **finite)],
        [st.floats(0.0, 6.0, **finite)],
    ),
    "sfr_delayed_tau": (
        sp.sfr_delayed_tau,
        [st.floats(0.0, 13.0, **finite)],
        [st.floats(0.05, 10.0, **finite), st.floats(0.0, 5.0, **finite)],
    ),
    "sfr_double_power_law": (
        sp.sfr_double_power_law,
        [st.floats(0.01, 13.0, **finite)],
        [
            st.floats(-2.0, 2.0, **finite),
            st.floats(0.1, 12.0, **finite),
            st.floats(0.1, 10.0, **finite),
            st.floats(0.1, 10.0, **finite),
        ],
    ),
    "sfr_lognormal": (
        sp.sfr_lognormal,
        [st.floats(0.01, 13.0, **finite)],
        [st.floats(0.1, 12.0, **finite), st.floats(0.05, 2.0, **finite)],
    ),
}
IDS = list(SPECS)
_JIT = {name: jax.jit(fn) for name, (fn, _, _) in SPECS.items()}


def _draw(data, name):
    _, xs, scalars = SPECS[name]
    x = data.draw(st.lists(xs[0], min_size=3, max_size=3), label="x")
    s = [data.draw(g, label=f"scalar {i}") for i, g in enumerate(scalars)]
    return x, s


@pytest.mark.parametrize("name", IDS)
@given(data=st.data())
def test_fuzz_dtypes_agree(name, data):
    x, s = _draw(data, name)
    f = _JIT[name]
    out64 = np.asarray(f(_arr(x, jnp.float64), *[jnp.float64(v) for v in s]))
    out32 = f(_arr(x, jnp.float32), *[jnp.float32(v) for v in s])
    assert out32.dtype == jnp.float32
    assert np.all(np.isfinite(out64))
    scale = np.max(np.abs(out64)) + 1e-30
    # float32 rounding of the inputs moves steep functions (exp of a power law, IGM edges)
    # by more than eps: 2e-3 of the array's scale bounds it for every function here
    np.testing.assert_allclose(np.asarray(out32, np.float64), out64, rtol=2e-3, atol=2e-3 * scale)
    # the eager public call (boundary checks + the same computation) equals the jitted one
    eager = np.asarray(SPECS[name][0](np.asarray(x), *s))
    np.testing.assert_allclose(eager, out64, rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize("name", ["luminosity_distance_mpc", "age_at_z_gyr", "calzetti_k"])
@given(ints=st.lists(st.integers(1, 6), min_size=3, max_size=3))
def test_fuzz_integer_inputs_match_float(name, ints):
    fn = getattr(sp, name)
    x = np.asarray(ints) * (2000 if name == "calzetti_k" else 1)
    out_int = np.asarray(fn(x))
    out_f = np.asarray(fn(x.astype(np.float64)))
    assert np.issubdtype(out_int.dtype, np.floating)
    np.testing.assert_allclose(out_int, out_f, rtol=1e-15)


@given(n=st.lists(st.integers(0, 1000), min_size=2, max_size=6, unique=True))
def test_fuzz_distances_and_ages_monotonic(n):
    z = np.sort(np.asarray(n)) / 100.0  # redshifts 0..10, at least 0.01 apart
    d_l = np.asarray(sp.luminosity_distance_mpc(z))
    d_c = np.asarray(sp.comoving_distance_mpc(z))
    age = np.asarray(sp.age_at_z_gyr(z))
    assert np.all(np.diff(d_l) > 0) and np.all(np.diff(d_c) > 0) and np.all(np.diff(age) < 0)
    np.testing.assert_allclose(d_l, (1 + z) * d_c, rtol=1e-12)  # flat Planck 2018
    assert np.all(age > 0) and np.all(age < 13.9)


@given(
    w=st.lists(st.floats(1200.0, 22000.0, **finite), min_size=3, max_size=3),
    av=st.floats(0.0, 5.0, **finite),
)
def test_fuzz_attenuation_in_unit_interval(w, av):
    t = np.asarray(sp.calzetti_transmission(np.asarray(w), av))
    assert np.all((t > 0) & (t <= 1))
    # more dust, less light
    assert np.all(np.asarray(sp.calzetti_transmission(np.asarray(w), av + 0.5)) <= t)


BAD = st.one_of(st.sampled_from([np.nan, np.inf, -np.inf]), st.floats(-100.0, -1e-3, **finite))
# the age at z is defined for z > -1 (the future included, tested against astropy)
BAD_AGE = st.one_of(st.sampled_from([np.nan, np.inf, -np.inf]), st.floats(-100.0, -1.0, **finite))
# (function, valid args, index of the argument made bad, its name[, bad strategy]); each
# argument's domain excludes every value of its bad strategy (default BAD: < 0, NaN, inf)
BAD_CASES = [
    (sp.luminosity_distance_mpc, (0.5,), 0, "z"),
    (sp.age_at_z_gyr, (0.5,), 0, "z", BAD_AGE),
    (sp.calzetti_transmission, (np.array([3000.0, 6000.0]), 0.5), 1, "av"),
    (sp.calzetti_k, (np.array([3000.0, 6000.0]),), 0, "wave_aa"),
    (sp.sfr_delayed_tau, (np.array([1.0, 2.0]), 2.0, 1.0), 1, "tau_gyr"),
    (sp.sfr_lognormal, (np.array([1.0, 2.0]), 4.0, 0.5), 2, "sigma"),
]


@pytest.mark.parametrize("case", BAD_CASES, ids=[c[3] + "-" + c[0].__name__ for c in BAD_CASES])
@given(data=st.data())
def test_fuzz_bad_values_raise_or_nan(case, data):
    fn, good, i, arg = case[:4]
    bad = data.draw(case[4] if len(case) > 4 else BAD, label="bad value")
    args = list(good)
    args[i] = np.full(np.shape(good[i]), bad) if np.ndim(good[i]) else bad
    with pytest.raises(ValueError, match=arg):
        fn(*args)
    traced = jax.jit(fn)(*[jnp.asarray(a) for a in args])
    assert np.all(np.isnan(np.asarray(traced)))
