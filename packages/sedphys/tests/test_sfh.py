import jax
import jax.numpy as jnp
import numpy as np
import pytest
import reference_sed as ref
from conftest import TRUTH, UGRIZ
from jax.test_util import check_grads
from scipy import integrate

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
    shapes = [
        lambda t: sp.sfr_delayed_tau(t, 2.0, 3.0),
        lambda t: sp.sfr_constant(t, 3.0),
        lambda t: sp.sfr_lognormal(t, 4.0, 0.5),
    ]
    for f in shapes:
        m = np.asarray(sp.age_bin_masses(f, table))
        assert np.all(m >= 0) and np.isfinite(m).all() and m.sum() > 0


def test_time_table_converged(ssp, dpl_spec):
    """The documented resolution: the default 2048-point table changes magnitudes by less
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
