"""Bad input: clear errors naming the argument (concrete) and NaN (traced)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxstro.rtransfer as rt

NU = np.linspace(4000.0, 4100.0, 8)
D = np.full((10, 8), 0.1)
T = np.linspace(800.0, 1500.0, 10)


@pytest.mark.parametrize("nstream", [0, 1, 3, 7, 18, 20, -2, 2.0, True])
def test_nstream_odd_or_out_of_range(nstream):
    with pytest.raises(ValueError, match="nstream"):
        rt.emission_flux(D, T, NU, nstream=nstream)


def test_fbased_takes_two_streams_only():
    with pytest.raises(ValueError, match="nstream"):
        rt.emission_flux(D, T, NU, method="fbased2st", nstream=4)
    with pytest.raises(ValueError, match="method"):
        rt.emission_flux(D, T, NU, method="toon")


def test_layer_counts_disagree():
    with pytest.raises(ValueError, match="t_layers_k"):
        rt.emission_flux(D, T[:-1], NU)
    with pytest.raises(ValueError, match="t_boundaries_k"):
        rt.emission_flux(D, T, NU, method="ibased_linsap", t_boundaries_k=np.ones(10) * 900)
    with pytest.raises(ValueError, match="nu_cm1"):
        rt.emission_flux(D, T, NU[:-1])
    with pytest.raises(ValueError, match="grid"):
        rt.contribution_function(D, T, NU, rt.layer_grid(1e-6, 1e2, 11))
    with pytest.raises(ValueError, match="dtau"):
        rt.emission_flux(D[0], T, NU)


def test_concrete_values_out_of_range():
    with pytest.raises(ValueError, match="t_layers_k"):
        rt.emission_flux(D, -T, NU)
    bad = D.copy()
    bad[2, 3] = np.nan
    with pytest.raises(ValueError, match="dtau"):
        rt.emission_flux(bad, T, NU)
    with pytest.raises(ValueError, match="nu_cm1"):
        rt.emission_flux(D, T, -NU)
    with pytest.raises(ValueError, match="t_k"):
        rt.planck_pi_b(0.0, NU)
    with pytest.raises(ValueError, match="constants"):
        rt.planck_pi_b(1000.0, NU, constants="codata2010")


def test_pressures_not_increasing_or_non_positive():
    with pytest.raises(ValueError, match="p_top_bar"):
        rt.layer_grid(1e2, 1e-8, 10)
    with pytest.raises(ValueError, match="p_top_bar"):
        rt.layer_grid(-1.0, 1e2, 10)
    with pytest.raises(ValueError, match="p_boundary_bar"):
        rt.layer_grid_from_boundaries([1.0, 0.1, 10.0])


@pytest.mark.parametrize("method", ["ibased", "ibased_linsap", "fbased2st"])
def test_traced_out_of_range_gives_nan(method):
    f = jax.jit(lambda d, t: rt.emission_flux(d, t, NU, method=method))
    bad_d = D.copy()
    bad_d[4, 2] = -1.0
    out = np.asarray(f(bad_d, T))
    assert np.isnan(out[2]) and np.all(np.isfinite(np.delete(out, 2)))
    bad_t = T.copy()
    bad_t[3] = -10.0
    assert np.all(np.isnan(np.asarray(f(D, bad_t))))
    # gradient at an out-of-range temperature is NaN, at an in-range point finite
    g = jax.grad(lambda t: jnp.sum(f(D, t)))
    assert np.any(np.isnan(np.asarray(g(bad_t))))
    assert np.all(np.isfinite(np.asarray(g(jnp.asarray(T)))))
