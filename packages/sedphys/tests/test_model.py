import jax
import jax.numpy as jnp
import numpy as np
import pytest
import reference_sed as ref
from conftest import TRUTH, UGRIZ, wide_spec

from jaxstro import sedphys as sp


@pytest.fixture(scope="module")
def model(ssp, dpl_spec):
    return sp.SEDModel(dpl_spec, ssp, sp.Observation(UGRIZ))


def test_matches_float64_reference(ssp, model):
    """Full forward model (double power law, Charlot & Fall, Madau IGM, z = 0.1) against the
    independent numpy/scipy/astropy computation: spectrum to 1e-9, photometry to 5e-5 mag
    (the reference integrates on a dense 0.25 A grid instead of the merged grid)."""
    want, lam, fnu = ref.model_maggies(ssp, model.filters, {**TRUTH, "dust_slope": -0.7}, z=0.1)
    spec = model.predict_spectrum(TRUTH)
    np.testing.assert_allclose(spec.wave_obs_aa, lam, rtol=1e-14)
    np.testing.assert_allclose(spec.fnu_maggies, fnu, rtol=1e-9)
    np.testing.assert_allclose(
        sp.ab_mag(model.predict_photometry(TRUTH)), -2.5 * np.log10(want), atol=5e-5
    )


def test_derived_quantities(ssp, model):
    d = model.derived(TRUTH)
    t_obs = ref.ASTROPY_PLANCK18.age(0.1).value
    assert float(d["t_obs_gyr"]) == pytest.approx(t_obs, rel=1e-9)
    masses = ref.bin_masses(lambda t: ref.sfr_dpl(t, 1.0, 5.0, 3.0, 3.0), ssp.lg_age_gyr, t_obs)
    assert float(d["mass_formed"]) == pytest.approx(masses.sum(), rel=1e-7)
    wm = ref.met_weights(ssp.lgmet, -0.3 + np.log10(0.02), 0.2)
    assert float(d["stellar_mass"]) == pytest.approx(
        wm @ ssp.surviving_mass_frac @ masses, rel=1e-7
    )
    assert 0.4 < float(d["stellar_mass"] / d["mass_formed"]) < 0.7
    assert float(d["sfr_10myr"]) == pytest.approx(
        float(ref.sfr_dpl(t_obs - 0.005, 1.0, 5.0, 3.0, 3.0)), rel=1e-3
    )


def test_jit_vmap_grad(model, dpl_spec):
    f = jax.jit(model.predict_photometry)
    np.testing.assert_allclose(f(TRUTH), model.predict_photometry(TRUTH), rtol=1e-12)
    batch = dpl_spec.sample_batch(jax.random.PRNGKey(3), 6)
    vm = jax.vmap(model.predict_photometry)(batch)
    loop = np.stack(
        [model.predict_photometry({k: v[i] for k, v in batch.items()}) for i in range(6)]
    )
    np.testing.assert_allclose(vm, loop, rtol=1e-10)

    @jax.jit
    def mags(p):
        return jnp.sum(sp.ab_mag(model.predict_photometry(p)) * jnp.arange(1.0, 6.0))

    g = jax.grad(mags)(TRUTH)
    for k in TRUTH:
        h = 1e-5 * max(1.0, abs(TRUTH[k]))
        fd = (mags({**TRUTH, k: TRUTH[k] + h}) - mags({**TRUTH, k: TRUTH[k] - h})) / (2 * h)
        assert float(g[k]) == pytest.approx(float(fd), rel=1e-5, abs=1e-7), k
    gv = jax.vmap(jax.grad(mags))(batch)
    assert all(bool(jnp.all(jnp.isfinite(v))) for v in gv.values())


def test_free_redshift_equals_fixed(ssp, dpl_spec, model):
    spec = sp.ParamSpec({**dpl_spec.priors, "redshift": sp.Uniform(0.0, 0.5)})
    free = sp.SEDModel(spec, ssp, sp.Observation(UGRIZ))
    p = {**TRUTH, "redshift": 0.1}
    np.testing.assert_allclose(
        jax.jit(free.predict_photometry)(p), model.predict_photometry(TRUTH), rtol=1e-9
    )
    mag = jax.jit(lambda z: sp.ab_mag(free.predict_photometry({**TRUTH, "redshift": z})))
    g = jax.jit(jax.grad(lambda z: mag(z)[2]))(0.1)
    assert float(g) == pytest.approx(
        float(mag(0.1 + 1e-5)[2] - mag(0.1 - 1e-5)[2]) / 2e-5, rel=1e-4
    )
    # z = 0: absolute magnitudes at 10 pc
    mabs = mag(0.0)
    assert -24 < float(mabs[2]) < -19


def test_float32_path(ssp, dpl_spec):
    """Everything in float32 (x64 off inside the context): finite and within 2e-3 mag."""
    ssp32 = jax.tree.map(lambda a: np.asarray(a, np.float32), ssp)
    m64 = sp.SEDModel(dpl_spec, ssp, sp.Observation(UGRIZ))
    with jax.enable_x64(False):
        m32 = sp.SEDModel(dpl_spec, ssp32, sp.Observation(UGRIZ))
        p32 = {k: jnp.float32(v) for k, v in TRUTH.items()}
        mag32 = jax.jit(lambda p: sp.ab_mag(m32.predict_photometry(p)))(p32)
        g32 = jax.grad(lambda p: jnp.sum(sp.ab_mag(m32.predict_photometry(p))))(p32)
        assert mag32.dtype == jnp.float32
        assert all(bool(jnp.isfinite(v)) for v in g32.values())
    np.testing.assert_allclose(mag32, sp.ab_mag(m64.predict_photometry(TRUTH)), atol=2e-3)


@pytest.mark.parametrize(
    "sfh,extra",
    [
        ("delayed_tau", {"log_mass_formed": 10.0, "tau_gyr": 2.0, "age_gyr": 8.0}),
        ("constant", {"log_mass_formed": 10.0, "age_gyr": 5.0}),
        ("lognormal", {"log_mass_formed": 10.0, "t0_gyr": 4.0, "sigma_ln_t": 0.5}),
        (
            "nonparametric",
            {
                "log_mass_formed": 10.0,
                "log_sfr_ratio_1": 0.1,
                "log_sfr_ratio_2": -0.2,
                "log_sfr_ratio_3": 0.0,
            },
        ),
    ],
)
def test_other_sfhs_and_calzetti(ssp, sfh, extra):
    names = sp.model_param_names(sfh, "calzetti", n_bins=4)
    p = {**extra, "logzsol": -0.2, "av": 0.5}
    spec = wide_spec(names)
    kw = {"sfh_edges_gyr": [0.0, 0.1, 1.0, 5.0, 13.0]} if sfh == "nonparametric" else {}
    model = sp.SEDModel(spec, ssp, sp.Observation(UGRIZ), sfh=sfh, dust="calzetti", **kw)
    d = model.derived(p)
    assert float(d["mass_formed"]) == pytest.approx(1e10, rel=1e-6)  # normalised to log_mass_formed
    mags = np.asarray(sp.ab_mag(jax.jit(model.predict_photometry)(p)))
    assert np.all(np.isfinite(mags)) and np.all((mags > 14) & (mags < 24))
    no_dust = sp.SEDModel(spec, ssp, sp.Observation(UGRIZ), sfh=sfh, dust="calzetti", **kw)
    redder = sp.ab_mag(no_dust.predict_photometry({**p, "av": 1.5})) - mags
    assert np.all(np.diff(np.asarray(redder)) < 0)  # more attenuation in the blue
    g = jax.grad(lambda q: jnp.sum(model.predict_photometry(q)))(p)
    assert all(np.isfinite(float(v)) for v in g.values())


def test_nonparametric_sfr_ratios(ssp):
    names = sp.model_param_names("nonparametric", "none", n_bins=3)
    spec = sp.ParamSpec(
        {
            n: (sp.Fixed(0.1) if n == "redshift" else sp.StudentT(2.0, 0.0, 0.3))
            for n in names
            if n != "logzsol"
        }
        | {"logzsol": sp.Uniform(-2.0, 0.5)}
    )
    model = sp.SEDModel(
        spec,
        ssp,
        sp.Observation(UGRIZ),
        sfh="nonparametric",
        dust="none",
        sfh_edges_gyr=[0.0, 0.1, 1.0, 13.0],
    )
    p = {"log_mass_formed": 10.0, "log_sfr_ratio_1": 0.5, "log_sfr_ratio_2": -0.3, "logzsol": 0.0}
    d = model.derived(p)
    # youngest bin: SFR_0 / SFR_1 = 10^0.5, so the 10 Myr average is SFR_0
    s0 = 1e10 / 1e9 / (0.1 + 10**-0.5 * 0.9 + 10**-0.2 * (d["t_obs_gyr"] - 1.0))
    assert float(d["sfr_10myr"]) == pytest.approx(float(s0), rel=1e-10)


def test_log_likelihood(model):
    obs_m = np.asarray(model.predict_photometry(TRUTH))
    err = 0.05 * obs_m
    ll = model.log_likelihood(TRUTH, obs_m, err)
    assert float(ll) == pytest.approx(-np.sum(np.log(err)) - 2.5 * np.log(2 * np.pi), rel=1e-12)
    lp = model.log_prob({**TRUTH, "tau_bc": 2.0}, obs_m, err)
    assert float(lp) < float(model.log_prob(TRUTH, obs_m, err))


def test_bad_input(ssp, dpl_spec, model):
    with pytest.raises(ValueError, match="unknown filter name 'sdss2010-q'"):
        sp.SEDModel(dpl_spec, ssp, sp.Observation(("sdss2010-q",)))
    with pytest.raises(ValueError, match="'wise2010-W3' spans"):
        sp.SEDModel(dpl_spec, ssp, sp.Observation(("wise2010-W3",)))
    with pytest.raises(ValueError, match=r"params\['tau_bc'\] = -1.0 lies outside"):
        model.predict_photometry({**TRUTH, "tau_bc": -1.0})
    with pytest.raises(ValueError, match=r"missing \['beta'\]"):
        model.predict_photometry({k: v for k, v in TRUTH.items() if k != "beta"})
    with pytest.raises(ValueError, match=r"unexpected \['foo'\]"):
        model.predict_photometry({**TRUTH, "foo": 1.0})
    with pytest.raises(ValueError, match=r"unexpected \['redshift'\].*Fixed"):
        model.predict_photometry({**TRUTH, "redshift": 0.2})
    with pytest.raises(ValueError, match="redshift must be >= 0"):
        sp.SEDModel(
            sp.ParamSpec({**dpl_spec.priors, "redshift": sp.Uniform(-0.1, 1.0)}),
            ssp,
            sp.Observation(UGRIZ),
        )
    with pytest.raises(ValueError, match=r"spec: missing parameters \['av'\]"):
        sp.SEDModel(dpl_spec, ssp, sp.Observation(UGRIZ), dust="calzetti")
    with pytest.raises(ValueError, match="sfh must be one of"):
        sp.SEDModel(dpl_spec, ssp, sp.Observation(UGRIZ), sfh="exponential")
    with pytest.raises(ValueError, match="observation: maggies"):
        sp.SEDModel(dpl_spec, ssp, sp.Observation(UGRIZ, np.ones(4), np.ones(4)))
