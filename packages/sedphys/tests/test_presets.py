"""The standard SED setup: default_spec, default_truth, SDSS_UGRIZ."""

import numpy as np
import pytest
import speclite.filters

from jaxstro import sedphys as sp


def test_spec_matches_the_default_model():
    spec = sp.default_spec()
    # exactly the parameters the default SEDModel (double power law, Charlot & Fall) needs
    assert set(spec.names) == set(sp.model_param_names("double_power_law", "charlot_fall"))
    assert spec.fixed_values == {"dust_slope": -0.7, "redshift": 0.1}
    assert set(spec.free_params) == set(sp.default_truth())
    # bounds as documented; the SFH turnover precedes the observation at z = 0.1
    assert spec.bounds["tau_gyr"] == (0.5, 12.0)
    assert spec.bounds["tau_gyr"][1] < float(sp.age_at_z_gyr(0.1))
    assert sp.default_spec(redshift=0.5, dust_slope=-1.0).fixed_values == {
        "dust_slope": -1.0,
        "redshift": 0.5,
    }


def test_truth_inside_the_priors_and_fresh():
    spec = sp.default_spec()
    truth = sp.default_truth()
    spec.check(truth)
    assert np.isfinite(float(spec.log_prior(truth)))
    truth["tau_gyr"] = -1.0  # a caller's edit does not leak into the next call
    assert sp.default_truth()["tau_gyr"] == 5.0


def test_sdss_filters_load():
    assert sp.SDSS_UGRIZ == tuple(f"sdss2010-{b}" for b in "ugriz")
    names = speclite.filters.load_filters(*sp.SDSS_UGRIZ).names
    assert list(names) == list(sp.SDSS_UGRIZ)


def test_bad_input():
    with pytest.raises(ValueError, match="redshift must be a finite number >= 0; got -0.1"):
        sp.default_spec(redshift=-0.1)
    with pytest.raises(ValueError, match="dust_slope must be a finite number; got nan"):
        sp.default_spec(dust_slope=float("nan"))
