"""Issue 10: no silently wrong number from bad input. Priors must lie inside each parameter's
physical domain (#9); every public helper follows the out-of-range policy (ValueError naming
argument, value and range when concrete; NaN output and NaN gradient when traced, per member
under vmap); integer inputs give the float result; filter names are checked."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from conftest import TRUTH, UGRIZ

from jaxstro import sedphys as sp
from jaxstro.sedphys import _cosmo, _dust, _sfh


@pytest.fixture(scope="module")
def bins(ssp):
    return sp.make_age_bins(ssp.lg_age_gyr)


# ----- #9: priors against the physical domains ---------------------------------------------------


@pytest.mark.parametrize(
    "name,prior,domain",
    [
        ("tau_diff", sp.Uniform(-2.0, 2.0), r"\[0, inf\)"),  # the issue's reproducers
        ("tau_diff", sp.Fixed(-1.0), r"\[0, inf\)"),
        ("tau_bc", sp.Normal(0.5, 0.2), r"\[0, inf\)"),
        ("logzsol", sp.Uniform(-3.0, 0.3), r"\[-2.30103, 0.69897\]"),  # beyond the BC03 grid
        ("logzsol", sp.Fixed(1.0), r"\[-2.30103, 0.69897\]"),
        ("tau_gyr", sp.Uniform(0.0, 12.0), r"\(0, inf\)"),  # tau = 0 divides by zero
        ("alpha", sp.Normal(1.0, 1.0), r"\(0, inf\)"),
        ("beta", sp.Fixed(-1.0), r"\(0, inf\)"),
    ],
)
def test_prior_outside_physical_domain_rejected(ssp, dpl_spec, name, prior, domain):
    spec = sp.ParamSpec({**dpl_spec.priors, name: prior})
    with pytest.raises(ValueError, match=rf"{type(prior).__name__}.*'{name}'.*{domain}"):
        sp.SEDModel(spec, ssp, sp.Observation(UGRIZ))


def test_metallicity_beyond_grid_was_clamped(ssp, dpl_spec):
    """Why logzsol's domain is the grid: beyond it the weights are clamped to the end point,
    so two different metallicities gave the same photometry."""
    z_max = float(ssp.lgmet[-1] - np.log10(sp.Z_SUN))
    w = [sp.metallicity_weights(ssp.lgmet, z_max + d + np.log10(sp.Z_SUN), 1e-3) for d in (1, 2)]
    np.testing.assert_array_equal(w[0], w[1])  # the helper documents the clamping ...
    spec = sp.ParamSpec({**dpl_spec.priors, "logzsol": sp.Uniform(-1.0, z_max + 1.0)})
    with pytest.raises(ValueError, match="logzsol"):  # ... the model refuses such a prior
        sp.SEDModel(spec, ssp, sp.Observation(UGRIZ))
    z_min = float(ssp.lgmet[0] - np.log10(sp.Z_SUN))
    edge = sp.ParamSpec({**dpl_spec.priors, "logzsol": sp.Uniform(z_min, z_max)})
    sp.SEDModel(edge, ssp, sp.Observation(UGRIZ))  # the whole grid is accepted


def test_unbounded_priors_where_the_domain_is_unbounded(ssp, dpl_spec):
    spec = sp.ParamSpec(
        {
            **dpl_spec.priors,
            "log_peak_sfr": sp.Normal(1.0, 1.0),
            "tau_gyr": sp.TruncatedNormal(5.0, 3.0, 0.1, np.inf),
        }
    )
    model = sp.SEDModel(spec, ssp, sp.Observation(UGRIZ))
    assert np.all(np.isfinite(model.predict_photometry(TRUTH)))
    bad = {**TRUTH, "tau_gyr": 0.05}
    assert np.all(np.isnan(jax.jit(sp.SEDModel.predict_photometry)(model, bad)))


def test_age_beyond_the_universe(ssp):
    """delayed-tau age_gyr must not exceed t_obs: at a fixed redshift through the prior, with a
    free redshift per call (raise when concrete, NaN when traced)."""
    names = sp.model_param_names("delayed_tau", "none")
    base = {"log_mass_formed": sp.Uniform(8.0, 12.0), "tau_gyr": sp.Uniform(0.1, 10.0)}
    base["logzsol"] = sp.Uniform(-1.0, 0.2)
    fixed = sp.ParamSpec({**base, "age_gyr": sp.Uniform(0.1, 13.0), "redshift": sp.Fixed(0.1)})
    assert set(fixed.names) == set(names)
    with pytest.raises(ValueError, match=r"'age_gyr'.*\(0, 12.4"):
        sp.SEDModel(fixed, ssp, sp.Observation(UGRIZ), sfh="delayed_tau", dust="none")
    t_lo = float(sp.age_at_z_gyr(0.05))
    free = sp.ParamSpec(
        {**base, "age_gyr": sp.Uniform(0.1, t_lo), "redshift": sp.Uniform(0.05, 1.0)}
    )
    model = sp.SEDModel(free, ssp, sp.Observation(UGRIZ), sfh="delayed_tau", dust="none")
    p = {"log_mass_formed": 10.0, "tau_gyr": 2.0, "logzsol": 0.0, "age_gyr": 10.0}
    assert np.all(np.isfinite(model.predict_photometry({**p, "redshift": 0.1})))
    with pytest.raises(ValueError, match="age_gyr = 10 exceeds the age of the universe"):
        model.predict_photometry({**p, "redshift": 1.0})  # t_obs(1) = 5.9 Gyr
    f = jax.jit(sp.SEDModel.predict_photometry)
    assert np.all(np.isnan(f(model, {**p, "redshift": 1.0})))
    np.testing.assert_allclose(
        f(model, {**p, "redshift": 0.1}), model.predict_photometry({**p, "redshift": 0.1})
    )


@pytest.mark.parametrize(
    "prior",
    [
        sp.Uniform(1.0, 1.0),
        sp.Uniform(0.0, np.inf),
        sp.Uniform(np.nan, 1.0),
        sp.LogUniform(0.0, 1.0),
        sp.Normal(0.0, 0.0),
        sp.Normal(np.nan, 1.0),
        sp.StudentT(0.0, 0.0, 1.0),
        sp.StudentT(2.0, 0.0, -1.0),
        sp.TruncatedNormal(0.0, 1.0, 50.0, 60.0),  # no probability in float64
        sp.Fixed(np.nan),
        sp.Fixed(np.inf),
    ],
)
def test_invalid_prior_parameters(prior):
    with pytest.raises(ValueError, match=rf"{type(prior).__name__}.*'x'.*invalid"):
        sp.ParamSpec({"x": prior})


def test_truncated_normal_half_infinite_stand_in():
    spec = sp.ParamSpec({"x": sp.TruncatedNormal(-1.0, 1.0, 0.0, np.inf)})
    ok, safe = jax.jit(spec.support_mask)({"x": jnp.asarray(-5.0)})
    assert not bool(ok) and float(safe["x"]) == 0.0  # finite, inside the support


# ----- model construction -------------------------------------------------------------------------


def test_model_constructor_bad_input(ssp, dpl_spec):
    with pytest.raises(ValueError, match=r"string 'sdss2010-r'.*\('sdss2010-r',\)"):
        sp.SEDModel(dpl_spec, ssp, sp.Observation("sdss2010-r"))
    with pytest.raises(ValueError, match="no filter names"):
        sp.SEDModel(dpl_spec, ssp, sp.Observation(()))
    with pytest.raises(ValueError, match="observation must be an Observation"):
        sp.SEDModel(dpl_spec, ssp, UGRIZ)
    with pytest.raises(ValueError, match="lgmet_scatter"):
        sp.SEDModel(dpl_spec, ssp, sp.Observation(UGRIZ), lgmet_scatter=np.inf)
    with pytest.raises(ValueError, match="n_table"):
        sp.SEDModel(dpl_spec, ssp, sp.Observation(UGRIZ), n_table=2)
    with pytest.raises(ValueError, match="finite"):
        sp.SEDModel(dpl_spec, ssp, sp.Observation(UGRIZ, np.full(5, np.nan), np.ones(5)))
    with pytest.raises(ValueError, match="maggies_err"):
        sp.SEDModel(dpl_spec, ssp, sp.Observation(UGRIZ, np.ones(5)))


def test_filter_helpers_bad_input(ssp):
    with pytest.raises(ValueError, match="no filter names"):
        sp.load_filters([])
    with pytest.raises(ValueError, match="must be a string"):
        sp.load_filters(["sdss2010-r", 3])
    (r,) = sp.load_filters("sdss2010-r")  # one name as a string is documented
    wave = np.linspace(3000.0, 11000.0, 200)
    with pytest.raises(ValueError, match="non-empty sequence of Filter"):
        sp.photometry_matrix(wave, [])
    with pytest.raises(ValueError, match="single Filter"):
        sp.photometry_matrix(wave, r)
    for bad in (wave[::-1], np.where(wave > 5000, np.nan, wave), wave - 5000.0):
        with pytest.raises(ValueError, match="wave_obs_aa"):
            sp.photometry_matrix(bad, [r])
        assert np.all(np.isnan(jax.jit(lambda w: sp.photometry_matrix(w, [r]))(bad)))
    good = jax.jit(lambda w: sp.photometry_matrix(w, [r]))(jnp.asarray(wave))
    np.testing.assert_allclose(good, sp.photometry_matrix(wave, [r]), rtol=1e-12, atol=1e-15)


# ----- helpers: the out-of-range policy -----------------------------------------------------------

T = jnp.array([0.5, 3.0, 11.0])
W = jnp.array([1500.0, 5500.0, 20000.0])


def _core_lum(z):
    return _cosmo._luminosity(z, sp.PLANCK18)


def _core_com(z):
    return _cosmo._comoving(z, sp.PLANCK18)


def _core_age(z):
    return _cosmo._age(z, sp.PLANCK18)


# (name, public function, core, good args, index of the checked argument, bad values)
CASES = [
    ("luminosity_distance_mpc", sp.luminosity_distance_mpc, _core_lum, (0.5,), 0,
     (-0.5, np.nan, np.inf)),
    ("comoving_distance_mpc", sp.comoving_distance_mpc, _core_com, (0.5,), 0,
     (-0.5, np.nan)),
    ("age_at_z_gyr", sp.age_at_z_gyr, _core_age, (0.5,), 0, (-1.0, -1.5, np.nan, np.inf)),
    ("calzetti_k", sp.calzetti_k, _dust._calzetti_k, (W,), 0, (0.0, -5.0, np.nan)),
    ("calzetti_transmission", sp.calzetti_transmission, _dust._calzetti_transmission,
     (W, 0.5), 1, (-0.1, np.nan, np.inf)),
    ("power_law_tau", sp.power_law_tau, _dust._power_law_tau, (W, 0.5, -0.7), 1,
     (-0.1, np.nan)),
    ("power_law_tau", sp.power_law_tau, _dust._power_law_tau, (W, 0.5, -0.7), 2,
     (np.nan, np.inf)),
    ("igm_transmission_madau", sp.igm_transmission_madau, _dust._igm_transmission_madau,
     (W * 3, 2.0), 1, (-0.5, np.nan)),
    ("sfr_double_power_law", sp.sfr_double_power_law, _sfh._sfr_double_power_law,
     (T, 1.0, 5.0, 3.0, 3.0), 2, (0.0, -1.0, np.nan)),
    ("sfr_double_power_law", sp.sfr_double_power_law, _sfh._sfr_double_power_law,
     (T, 1.0, 5.0, 3.0, 3.0), 3, (-1.0,)),
    ("sfr_double_power_law", sp.sfr_double_power_law, _sfh._sfr_double_power_law,
     (T, 1.0, 5.0, 3.0, 3.0), 0, (np.nan,)),  # NaN time gave SFR 0
    ("sfr_double_power_law_log_t", sp.sfr_double_power_law_log_t,
     _sfh._sfr_double_power_law_log_t, (jnp.log(T), 1.0, 5.0, 3.0, 3.0), 4, (0.0, np.nan)),
    ("sfr_delayed_tau", sp.sfr_delayed_tau, _sfh._sfr_delayed_tau, (T, 2.0, 1.0), 1,
     (0.0, -2.0)),
    ("sfr_constant", sp.sfr_constant, _sfh._sfr_constant, (T, 1.0), 0, (np.nan,)),
    ("sfr_constant", sp.sfr_constant, _sfh._sfr_constant, (T, 1.0), 1, (np.nan, np.inf)),
    ("sfr_lognormal", sp.sfr_lognormal, _sfh._sfr_lognormal, (T, 4.0, 0.5), 2, (0.0, -0.5)),
    ("sfr_lognormal", sp.sfr_lognormal, _sfh._sfr_lognormal, (T, 4.0, 0.5), 1, (-4.0,)),
    ("ab_mag", sp.ab_mag, lambda m: -2.5 * jnp.log10(m), (jnp.array([1e-9, 0.5]),), 0,
     (-1e-9, np.nan, np.inf)),
]  # fmt: skip
ARG_NAMES = {
    "luminosity_distance_mpc": ("z",),
    "comoving_distance_mpc": ("z",),
    "age_at_z_gyr": ("z",),
    "calzetti_k": ("wave_aa",),
    "calzetti_transmission": ("wave_aa", "av"),
    "power_law_tau": ("wave_aa", "tau_v", "slope"),
    "igm_transmission_madau": ("wave_obs_aa", "z"),
    "sfr_double_power_law": ("t_gyr", "log_peak_sfr", "tau_gyr", "alpha", "beta"),
    "sfr_double_power_law_log_t": ("log_t", "log_peak_sfr", "tau_gyr", "alpha", "beta"),
    "sfr_delayed_tau": ("t_gyr", "tau_gyr", "t_start_gyr"),
    "sfr_constant": ("t_gyr", "t_start_gyr"),
    "sfr_lognormal": ("t_gyr", "t0_gyr", "sigma"),
    "ab_mag": ("maggies",),
}


def _with(args, i, v):
    return args[:i] + (v,) + args[i + 1 :]


@pytest.mark.parametrize("case", CASES, ids=[f"{c[0]}-{c[4]}" for c in CASES])
def test_helper_out_of_range_policy(case):
    name, f, core, good, i, bads = case
    arg = ARG_NAMES[name][i]
    for bad in bads:
        # 1. concrete: ValueError naming the function, the argument, the value and the range
        with pytest.raises(ValueError, match=rf"{name}: {arg} = .*{bad:g}.* lies outside [\[(]"):
            f(*_with(good, i, bad))
        # 2. traced: NaN (jit), NaN exactly for the bad member (vmap)
        out = jax.jit(f)(*_with(good, i, jnp.asarray(bad)))
        assert np.all(np.isnan(np.asarray(out))), (name, bad)
        pair = jnp.array([good[i], bad]) if np.ndim(good[i]) == 0 else None
        if pair is not None:
            axes = tuple(0 if k == i else None for k in range(len(good)))
            both = np.asarray(jax.vmap(f, in_axes=axes)(*_with(good, i, pair)))
            assert np.all(np.isfinite(both[0])) and np.all(np.isnan(both[1])), (name, bad)
    if np.ndim(good[i]) == 0:
        # NaN gradient w.r.t. the offending input; in range exactly the unguarded gradient
        def total(fn, x):
            return jnp.sum(fn(*_with(good, i, x)))

        g_bad = jax.grad(lambda x: total(f, x))(jnp.asarray(bads[0], float))
        assert np.isnan(float(g_bad)), name
        x0 = jnp.asarray(float(good[i]))
        g = jax.jit(jax.grad(lambda x: total(f, x)))(x0)
        np.testing.assert_allclose(g, jax.grad(lambda x: total(core, x))(x0), rtol=1e-13)
        h = 1e-6 * max(abs(float(x0)), 1.0)
        fd = (total(core, x0 + h) - total(core, x0 - h)) / (2 * h)
        np.testing.assert_allclose(g, fd, rtol=1e-6, atol=1e-9)


def test_issue_reproducers():
    """The helpers of the issue's low list, as reported: each used to return a number."""
    with pytest.raises(ValueError, match=r"luminosity_distance_mpc: z = -0.5 .*\[0, inf\)"):
        sp.luminosity_distance_mpc(-0.5)
    # -1 < z < 0 is the future (a > 1): a defined cosmic time, later than today
    assert float(sp.age_at_z_gyr(-0.5)) > float(sp.age_at_z_gyr(0.0))
    with pytest.raises(ValueError, match=r"age_at_z_gyr: z = -1 .*\(-1, inf\)"):
        sp.age_at_z_gyr(-1.0)
    with pytest.raises(ValueError, match=r"av = -0.3"):
        sp.calzetti_transmission(W, -0.3)
    with pytest.raises(ValueError, match=r"lgmet_scatter = -0.2 .*\(0, inf\)"):
        sp.metallicity_weights(jnp.array([-3.0, -2.0, -1.0]), -2.0, -0.2)
    assert np.all(np.isnan(jax.jit(sp.metallicity_weights)(jnp.array([-3.0, -2.0]), -2.0, -0.2)))


def test_age_in_the_future_matches_astropy():
    """age_at_z_gyr for -1 < z < 0 (scale factor > 1) against astropy (no radiation)."""
    from astropy.cosmology import FlatLambdaCDM

    c = sp.PLANCK18
    ref = FlatLambdaCDM(H0=100 * c.h, Om0=c.Omega_c + c.Omega_b, Tcmb0=0.0)
    z = np.array([-0.5, -0.2, 0.0, 0.5])
    np.testing.assert_allclose(sp.age_at_z_gyr(z), ref.age(z).value, rtol=1e-9)


def test_sfh_table_helpers_bad_input(ssp, bins):
    table = sp.make_time_table(bins, 12.0)
    for bad in (0.0, -1.0, np.nan):
        with pytest.raises(ValueError, match="make_time_table: t_obs_gyr"):
            sp.make_time_table(bins, bad)
    traced = jax.jit(sp.make_time_table)(bins, jnp.asarray(-1.0))
    assert np.all(np.isnan(traced.t_gyr)) and np.all(np.isnan(traced.width_gyr))
    with pytest.raises(ValueError, match="n_table"):
        sp.make_time_table(bins, 12.0, n_table=2)
    with pytest.raises(ValueError, match="bins must be AgeBins"):
        sp.make_time_table(np.asarray(bins.edges_gyr), 12.0)
    with pytest.raises(ValueError, match="lg_age_gyr"):
        sp.make_age_bins(np.array([0.0, -1.0, 1.0]))
    # negative or NaN SFR from a user's function: concrete raises, traced NaN
    with pytest.raises(ValueError, match="sfr_nodes"):
        sp.age_bin_masses(lambda t: -jnp.ones_like(t), table)
    with pytest.raises(ValueError, match="shape"):
        sp.age_bin_masses_from_nodes(jnp.ones(3), table)
    masses = jax.jit(lambda s: sp.age_bin_masses(lambda t: s * jnp.ones_like(t), table))(-1.0)
    assert np.all(np.isnan(masses))
    # piecewise-constant SFR, averages and the mass-weighted age
    edges = jnp.array([0.0, 0.1, 1.0, 13.0])
    with pytest.raises(ValueError, match="sfr_per_bin = -1"):
        sp.nonparametric_bin_masses(jnp.array([1.0, -1.0, 1.0]), edges, bins, 12.0)
    with pytest.raises(ValueError, match="sfh_edges_gyr"):
        sp.nonparametric_bin_masses(jnp.ones(3), edges[::-1], bins, 12.0)
    with pytest.raises(ValueError, match="must start at 0"):
        sp.nonparametric_bin_masses(jnp.ones(3), edges + 0.05, bins, 12.0)
    with pytest.raises(ValueError, match=r"\(n_bin,\)"):
        sp.nonparametric_bin_masses(jnp.ones(2), edges, bins, 12.0)
    with pytest.raises(ValueError, match="window_gyr = 0"):
        sp.sfr_averaged(lambda t: jnp.ones_like(t), 12.0, 0.0)
    with pytest.raises(ValueError, match="n_nodes"):
        sp.sfr_averaged(lambda t: jnp.ones_like(t), 12.0, 0.1, n_nodes=0)
    m = sp.age_bin_masses(lambda t: jnp.ones_like(t), table)
    with pytest.raises(ValueError, match="masses = -1"):
        sp.mass_weighted_age_gyr(m.at[3].set(-1.0), bins, 12.0)
    with pytest.raises(ValueError, match="masses has shape"):
        sp.mass_weighted_age_gyr(m[:-1], bins, 12.0)
    assert np.isnan(float(jax.jit(sp.mass_weighted_age_gyr)(m.at[3].set(np.nan), bins, 12.0)))
    with pytest.raises(ValueError, match="lgmet_grid"):
        sp.metallicity_weights(jnp.array([-1.0, -2.0]), -1.5, 0.2)
    with pytest.raises(ValueError, match="scalars"):
        sp.metallicity_weights(ssp.lgmet, jnp.array([-2.0, -1.0]), 0.2)


# ----- integers -----------------------------------------------------------------------------------


def test_integer_inputs_match_float(ssp, bins, dpl_spec):
    model = sp.SEDModel(dpl_spec, ssp, sp.Observation(UGRIZ))
    ints = {**TRUTH, "log_peak_sfr": 1, "tau_gyr": 5, "alpha": 3, "beta": 3}
    assert all(float(ints[k]) == TRUTH[k] for k in TRUTH)
    want = model.predict_photometry(TRUTH)
    np.testing.assert_array_equal(model.predict_photometry(ints), want)
    # jit against the eager call: XLA may fuse differently (seen: 1 ulp in one band on CI),
    # so "equal" is to float64 rounding; the eager calls above and below are bit-exact
    np.testing.assert_allclose(
        jax.jit(sp.SEDModel.predict_photometry)(model, ints), want, rtol=1e-14, atol=0
    )
    np.testing.assert_array_equal(
        model.predict_photometry({k: np.asarray(v) for k, v in ints.items()}), want
    )
    assert float(dpl_spec.log_prior(ints)) == float(dpl_spec.log_prior(TRUTH))
    pairs = [
        (sp.luminosity_distance_mpc, (np.array([1, 2]),)),
        (sp.age_at_z_gyr, (np.array([0, 3]),)),
        (sp.calzetti_transmission, (np.array([1500, 5500]), 1)),
        (sp.power_law_tau, (np.array([1500, 5500]), 1, -1)),
        (sp.igm_transmission_madau, (np.arange(900, 5000, 50), 3)),
        (sp.sfr_double_power_law, (np.array([1, 5, 12]), 1, 5, 3, 3)),
        (sp.sfr_delayed_tau, (np.array([1, 5, 12]), 2, 1)),
        (sp.sfr_constant, (np.array([1, 5, 12]), 3)),
        (sp.sfr_lognormal, (np.array([1, 5, 12]), 4, 1)),
        (sp.metallicity_weights, (np.array([-4, -3, -2]), -3, 1)),
        (sp.make_time_table, (bins, 12)),
    ]
    for f, args in pairs:
        as_f = tuple(a if isinstance(a, sp.AgeBins) else np.asarray(a, np.float64) for a in args)
        # to float64 rounding: an int may take the jnp path where the float takes numpy's
        # (make_time_table), and JAX 0.10's pow differs from numpy's by 1 ulp (the segment
        # widths are differences of nodes ~ 12 Gyr: an absolute 1e-13 ~ 40 ulp of 12)
        jax.tree.map(
            lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-14, atol=1e-13),
            f(*args),
            f(*as_f),
        )
        out = f(*args)
        assert (
            all(jnp.issubdtype(x.dtype, jnp.floating) for x in jax.tree.leaves(out))
            or f is sp.make_time_table
        )
