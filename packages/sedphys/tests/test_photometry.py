import jax
import jax.numpy as jnp
import numpy as np
import pytest
import reference_sed as ref

from jaxstro import sedphys as sp

BANDS = (
    [f"sdss2010-{b}" for b in "ugriz"]
    + [f"lsst2023-{b}" for b in "ugrizy"]
    + ["twomass-J", "twomass-H", "twomass-Ks", "galex-fuv", "galex-nuv", "wise2010-W1"]
    + [f"panstarrs-{b}" for b in "grizy"]
    + ["Euclid-VIS", "Euclid-Y", "Euclid-J", "Euclid-H"]
)


def test_ab_zero_point_every_band():
    """A flat f_nu of 3631 Jy is magnitude 0 in every band."""
    filters = sp.load_filters(BANDS)
    wave = np.geomspace(1000.0, 60000.0, 3000)
    w = sp.photometry_matrix(wave, filters)
    np.testing.assert_allclose(sp.ab_mag(w @ np.ones(wave.size)), 0.0, atol=1e-12)
    wj = jax.jit(lambda w: sp.photometry_matrix(w, filters))(jnp.asarray(wave))  # traced
    np.testing.assert_allclose(wj, w, rtol=1e-10, atol=1e-16)


def test_matches_speclite_and_dense_integral(ssp):
    """A BC03 spectrum: photometry against speclite's own AB magnitudes (peer code) and a dense
    0.25 A trapezoid (independent rule)."""
    import astropy.units as u

    lam = ssp.wave_aa * 1.1
    fnu = ssp.flux[3, 150] / ssp.flux[3, 150].max() * 1e-8  # maggies
    filters = sp.load_filters(BANDS[:5])
    got = sp.ab_mag(sp.photometry_matrix(lam, filters) @ fnu)
    dense = [
        -2.5 * np.log10(ref.ab_maggies_dense(lam, fnu, f.wave_aa, f.response)) for f in filters
    ]
    np.testing.assert_allclose(got, dense, atol=5e-5)
    import speclite.filters

    flam = fnu * 3631e-23 * 2.99792458e18 / lam**2  # erg/s/cm2/A
    seq = speclite.filters.load_filters(*BANDS[:5])
    mags = seq.get_ab_magnitudes(flam * u.erg / u.s / u.cm**2 / u.AA, lam * u.AA)
    np.testing.assert_allclose(got, [mags[b][0] for b in BANDS[:5]], atol=2e-3)


def test_filter_sampling_only_is_biased(ssp):
    """Sampling the SED only at the filter's tabulated points misses SED structure; the merged
    grid does not (the reason for the merged rule)."""
    lam = ssp.wave_aa * 1.1
    fnu = ssp.flux[3, 120] * 1e8
    (u,) = sp.load_filters(["sdss2010-u"])
    ours = -2.5 * np.log10(sp.photometry_matrix(lam, [u]) @ fnu)[0]
    fi = np.interp(u.wave_aa, lam, fnu)
    only = -2.5 * np.log10(
        np.trapezoid(fi * u.response / u.wave_aa, u.wave_aa)
        / np.trapezoid(u.response / u.wave_aa, u.wave_aa)
    )
    dense = -2.5 * np.log10(ref.ab_maggies_dense(lam, fnu, u.wave_aa, u.response))
    assert abs(ours - dense) < 5e-5
    assert abs(only - dense) > 10 * abs(ours - dense)


def test_gradient_wrt_redshift_through_filters(ssp):
    filters = sp.load_filters(["sdss2010-g"])
    fnu = jnp.asarray(ssp.flux[3, 150] * 1e8)

    def mag(z):
        return sp.ab_mag(sp.photometry_matrix(jnp.asarray(ssp.wave_aa) * (1 + z), filters) @ fnu)[0]

    g = jax.grad(mag)(0.1)
    fd = (mag(0.1 + 1e-5) - mag(0.1 - 1e-5)) / 2e-5
    assert float(g) == pytest.approx(float(fd), rel=1e-3)


def test_unknown_filter():
    with pytest.raises(ValueError, match="unknown filter name 'sdss-x'"):
        sp.load_filters(["sdss-x"])
