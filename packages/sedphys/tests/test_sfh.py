import jax
import jax.numpy as jnp
import numpy as np
import pytest
import reference_sed as ref
from conftest import TRUTH, UGRIZ, wide_spec
from jax.test_util import check_grads
from scipy import integrate, stats

from jaxstro import sedphys as sp

T_OBS = 12.466


@pytest.fixture(scope="module")
def bins(ssp):
    return sp.make_age_bins(ssp.lg_age_gyr)


def dpl(*a):
    return lambda t: sp.sfr_double_power_law(t, *a)


@pytest.mark.parametrize(
    "args", [(1.0, 5.0, 3.0, 3.0), (0.5, 12.0, 30.0, 2.0), (2.0, 1.0, 50.0, 50.0)]
)
def test_age_bin_masses_match_quad(ssp, bins, args):
    """Mass per SSP age bin against scipy.quad of the independent numpy SFR, and the sum
    against the mass formed since t = 0 (4096-point table: the slope-50 burst needs it for
    1e-5 per bin; the default's magnitude error is covered by test_time_table_converged)."""
    table = sp.make_time_table(bins, T_OBS, n_table=4096)
    m = np.asarray(sp.age_bin_masses(dpl(*args), table))
    want = ref.bin_masses(lambda t: ref.sfr_dpl(t, *args), ssp.lg_age_gyr, T_OBS)
    big = want > 1e-6 * want.max()
    np.testing.assert_allclose(m[big], want[big], rtol=1e-5)
    total = integrate.quad(lambda t: ref.sfr_dpl(t, *args), 0, T_OBS, points=[args[1]], limit=500)[
        0
    ]
    assert m.sum() == pytest.approx(total * 1e9, rel=1e-7)
    assert np.all(m[10**ssp.lg_age_gyr > T_OBS * 1.2] == 0)  # older than the universe


# The other parametric shapes, written here independently of the package (numpy, Gyr, SFR
# unnormalised in M_sun/yr), with the mass formed since t = 0 in closed form.
def _np_delayed_tau(t, tau, t_start):
    x = np.maximum(np.asarray(t, float) - t_start, 0.0)
    return x / tau * np.exp(-x / tau)


def _np_lognormal(t, t0, sigma):
    t = np.maximum(np.asarray(t, float), 1e-300)
    return np.exp(-0.5 * (np.log(t / t0) / sigma) ** 2) / t


def _closed_total_delayed(tau, age):  # int_0^age (x/tau) exp(-x/tau) dx
    return tau * (1.0 - (1.0 + age / tau) * np.exp(-age / tau))


def _closed_total_lognormal(t0, sigma, t_obs):  # sigma sqrt(2 pi) Phi(ln(t_obs/t0)/sigma)
    return sigma * np.sqrt(2 * np.pi) * stats.norm.cdf(np.log(t_obs / t0) / sigma)


# (name, package SFR, numpy SFR, closed-form total [M_sun/yr Gyr], lookback start age or None,
#  rtol per bin, start-bin |error| / total, total rtol). Tolerances ~4x the errors measured
# with the default 1024-point table (comments). Bins away from the start of star formation are
# exact to quad's precision. The start time t_obs - age is not a node of make_time_table, so
# 2-point Gauss-Legendre integrates the step (constant) or kink (delayed tau) inside one
# segment: that bin is off by up to 0.6 % (constant) of its mass, 1.6e-4 of the total.
SHAPES = [
    (
        "delayed_tau(tau 2, age 8)",
        lambda t: sp.sfr_delayed_tau(t, 2.0, T_OBS - 8.0),
        lambda t: _np_delayed_tau(t, 2.0, T_OBS - 8.0),
        _closed_total_delayed(2.0, 8.0),
        8.0,
        2.5e-8,  # measured 5.8e-9
        6e-5,  # measured 1.6e-5
        6e-5,  # measured 1.6e-5
    ),
    (
        "delayed_tau(tau 0.3, age 1)",
        lambda t: sp.sfr_delayed_tau(t, 0.3, T_OBS - 1.0),
        lambda t: _np_delayed_tau(t, 0.3, T_OBS - 1.0),
        _closed_total_delayed(0.3, 1.0),
        1.0,
        2.5e-7,  # measured 5.7e-8
        1e-5,  # measured 2.3e-6
        1e-5,  # measured 2.3e-6
    ),
    (
        "constant(age 5)",
        lambda t: sp.sfr_constant(t, T_OBS - 5.0),
        lambda t: np.where(np.asarray(t) > T_OBS - 5.0, 1.0, 0.0),
        5.0,
        5.0,
        2e-10,  # measured 5.4e-11
        6e-4,  # measured 1.6e-4
        6e-4,  # measured 1.6e-4
    ),
    (
        "lognormal(t0 4, sigma 0.5)",
        lambda t: sp.sfr_lognormal(t, 4.0, 0.5),
        lambda t: _np_lognormal(t, 4.0, 0.5),
        _closed_total_lognormal(4.0, 0.5, T_OBS),
        None,
        7e-8,  # measured 1.8e-8
        None,
        5e-10,  # measured 1.2e-10
    ),
    (
        "lognormal(t0 10, sigma 0.2)",
        lambda t: sp.sfr_lognormal(t, 10.0, 0.2),
        lambda t: _np_lognormal(t, 10.0, 0.2),
        _closed_total_lognormal(10.0, 0.2, T_OBS),
        None,
        5e-6,  # measured 1.4e-6 (a tail bin 1e-6 of the largest)
        None,
        1e-9,  # measured 2.5e-10
    ),
]


@pytest.mark.parametrize("shape", SHAPES, ids=[s[0] for s in SHAPES])
def test_parametric_shapes_match_quad(ssp, bins, shape):
    """Mass per SSP age bin of the delayed-tau, constant and log-normal shapes on the default
    table against scipy.quad of the numpy SFR above, and the sum against the closed-form mass
    formed since t = 0 (not the normalisation SEDModel imposes)."""
    _, sfr_jax, sfr_np, total_gyr, age, rtol_bin, tol_start, rtol_total = shape
    m = np.asarray(sp.age_bin_masses(sfr_jax, sp.make_time_table(bins, T_OBS)))
    want = ref.bin_masses(sfr_np, ssp.lg_age_gyr, T_OBS)
    total = total_gyr * 1e9
    # quad per bin and the closed form agree, so the reference itself is sound
    assert want.sum() == pytest.approx(total, rel=1e-9)
    big = want > 1e-6 * want.max()
    if age is not None:
        edges = ref.bin_edges(ssp.lg_age_gyr, T_OBS)
        k = int(np.searchsorted(edges, age)) - 1  # the bin holding the start of star formation
        assert edges[k] < age < edges[k + 1]
        assert abs(m[k] - want[k]) < tol_start * total, abs(m[k] - want[k]) / total
        assert np.all(m[k + 1 :] == 0)  # nothing formed before the start
        big[k] = False
    np.testing.assert_allclose(m[big], want[big], rtol=rtol_bin)
    assert m.sum() == pytest.approx(total, rel=rtol_total)


def test_model_normalisation_against_quad(ssp):
    """SEDModel's delayed-tau, constant and log-normal histories: the SFR over the last 100
    Myr and the mass-weighted age against scipy.quad of the numpy SFR scaled to
    10**log_mass_formed independently (t_obs from astropy)."""
    t_obs = float(ref.ASTROPY_PLANCK18.age(0.1).value)
    # (sfh, parameters, numpy SFR, rtol of the mean SFR, rtol of the mass-weighted age), ~4x
    # the measured errors: the mean SFR inherits the start-bin error of the normalising sum
    # (test_parametric_shapes_match_quad); the age uses bin-centre ages (0.05 dex bins).
    cases = [
        (
            "delayed_tau",
            {"tau_gyr": 2.0, "age_gyr": 8.0},
            lambda t: _np_delayed_tau(t, 2.0, t_obs - 8.0),
            6e-5,  # measured 1.4e-5
            5e-4,  # measured 1.2e-4
        ),
        (
            "constant",
            {"age_gyr": 5.0},
            lambda t: np.where(np.asarray(t) > t_obs - 5.0, 1.0, 0.0),
            2.5e-5,  # measured 5.3e-6
            2.5e-3,  # measured 6.3e-4
        ),
        (
            "lognormal",
            {"t0_gyr": 4.0, "sigma_ln_t": 0.5},
            lambda t: _np_lognormal(t, 4.0, 0.5),
            5e-10,  # measured 1.2e-10
            4e-5,  # measured 9.7e-6
        ),
    ]
    for sfh, extra, sfr_np, rtol_sfr, rtol_age in cases:
        names = sp.model_param_names(sfh, "none")
        spec = wide_spec(names)
        model = sp.SEDModel(spec, ssp, sp.Observation(UGRIZ[:1]), sfh=sfh, dust="none")
        d = jax.jit(model.derived)({**extra, "log_mass_formed": 10.0, "logzsol": -0.2})
        kinks = [t_obs - extra["age_gyr"]] if "age_gyr" in extra else None
        total = integrate.quad(sfr_np, 0, t_obs, points=kinks, limit=200, epsrel=1e-12)[0]
        scale = 1e10 / (total * 1e9)
        for window in (0.01, 0.1):
            recent = integrate.quad(sfr_np, t_obs - window, t_obs, epsrel=1e-12)[0]
            got = float(d[f"sfr_{round(window * 1000)}myr"])
            assert got == pytest.approx(scale * recent / window, rel=rtol_sfr), (sfh, window)
        num = integrate.quad(
            lambda t, f=sfr_np: (t_obs - t) * f(t), 0, t_obs, points=kinks, limit=200, epsrel=1e-12
        )[0]
        age = float(d["mass_weighted_age_gyr"])
        assert age == pytest.approx(num / total, rel=rtol_age), sfh


def test_double_power_law_convention():
    """Bagpipes convention: alpha is the falling slope (t >> tau), beta the rising one."""
    t = np.array([1e-3, 1e3])
    s = np.asarray(sp.sfr_double_power_law(t, 0.0, 1.0, 2.0, 3.0))
    assert s[0] == pytest.approx((1e-3) ** 3, rel=1e-6)  # rising as t^beta
    assert s[1] == pytest.approx((1e3) ** -2, rel=1e-6)  # falling as t^-alpha
    assert float(sp.sfr_double_power_law(1.0, 1.0, 1.0, 2.0, 3.0)) == pytest.approx(5.0)


def test_traced_time_table_equals_numpy(bins):
    f = dpl(1.0, 5.0, 3.0, 3.0)
    want = sp.age_bin_masses(f, sp.make_time_table(bins, T_OBS))
    got = jax.jit(lambda t: sp.age_bin_masses(f, sp.make_time_table(bins, t)))(jnp.asarray(T_OBS))
    np.testing.assert_allclose(got, want, rtol=1e-10)


def test_nonparametric_bins_exact(ssp, bins):
    edges = np.array([0.0, 0.01, 0.1, 1.0, 5.0, 13.0])
    sfr = np.array([3.0, 2.0, 1.5, 1.0, 0.5])
    m = np.asarray(sp.nonparametric_bin_masses(jnp.asarray(sfr), edges, bins, T_OBS))
    want = ref.bin_masses(
        lambda t: (
            np.interp(T_OBS - t, edges, np.r_[sfr, 0.0]) * 0
            + sfr[np.clip(np.searchsorted(edges, T_OBS - t, side="right") - 1, 0, 4)]
            * (T_OBS - t < 13.0)
        ),
        ssp.lg_age_gyr,
        T_OBS,
    )
    np.testing.assert_allclose(m, want, rtol=1e-6, atol=1e-6 * want.max())
    assert m.sum() == pytest.approx(np.sum(sfr * np.diff(np.minimum(edges, T_OBS))) * 1e9)


def test_metallicity_weights(ssp):
    for mu, sig in [(-2.0, 0.2), (np.log10(0.02), 0.05), (-5.0, 0.3), (0.0, 1.0)]:
        w = np.asarray(sp.metallicity_weights(ssp.lgmet, mu, sig))
        np.testing.assert_allclose(w, ref.met_weights(ssp.lgmet, mu, sig), atol=1e-14)
        assert w.sum() == pytest.approx(1.0)
    check_grads(lambda m: sp.metallicity_weights(ssp.lgmet, m, 0.2), (-2.0,), order=1)


def test_sfr_averages_and_mass_weighted_age(bins):
    f = dpl(1.0, 5.0, 3.0, 3.0)
    for win in (0.01, 0.1):
        got = float(sp.sfr_averaged(f, T_OBS, win))
        want = integrate.quad(lambda tau: ref.sfr_dpl(T_OBS - tau, 1.0, 5.0, 3.0, 3.0), 0, win)[0]
        assert got == pytest.approx(want / win, rel=1e-10)
    m = sp.age_bin_masses(f, sp.make_time_table(bins, T_OBS))
    age = float(sp.mass_weighted_age_gyr(m, bins, T_OBS))
    num = integrate.quad(lambda tau: tau * ref.sfr_dpl(T_OBS - tau, 1.0, 5.0, 3.0, 3.0), 0, T_OBS)[
        0
    ]
    den = integrate.quad(lambda tau: ref.sfr_dpl(T_OBS - tau, 1.0, 5.0, 3.0, 3.0), 0, T_OBS)[0]
    assert age == pytest.approx(num / den, rel=2e-3)  # bin-centre ages: 0.05 dex bins


def test_sfh_gradients(bins):
    table = sp.make_time_table(bins, T_OBS)

    def total(lp, tau, a, b):
        return jnp.sum(sp.age_bin_masses(dpl(lp, tau, a, b), table)[:150]) / 1e9

    check_grads(total, (1.0, 5.0, 3.0, 3.0), order=1, modes=("fwd", "rev"), rtol=1e-6)


def test_time_table_converged(ssp, dpl_spec):
    """The documented resolution: the default 1024-point table changes magnitudes by less
    than 1e-3 mag from a 16384-point one for slopes up to 100 (a smooth history, a recent
    burst and an early burst)."""
    spec = sp.ParamSpec({**dpl_spec.priors, "tau_gyr": sp.Uniform(0.1, 13.0)})
    obs = sp.Observation(UGRIZ + ("galex-nuv",))
    coarse = sp.SEDModel(spec, ssp, obs)
    fine = sp.SEDModel(spec, ssp, obs, n_table=16384)
    cases = [
        {},
        {"tau_gyr": 12.4, "alpha": 100.0, "beta": 100.0},
        {"log_peak_sfr": 2.0, "tau_gyr": 1.0, "alpha": 100.0, "beta": 100.0},
    ]
    for c in cases:
        p = {**TRUTH, **c}
        d = sp.ab_mag(coarse.predict_photometry(p)) - sp.ab_mag(fine.predict_photometry(p))
        assert float(jnp.max(jnp.abs(d))) < 1e-3, c
