"""Layer-by-layer mode (emission_flux_scan) against the all-layers path."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.test_util import check_grads
from reference import matrix_flux

import jaxstro.rtransfer as rt

CASES = [
    ("ibased", 8, True),
    ("ibased", 4, False),
    ("ibased_linsap", 8, True),
    ("ibased_linsap", 2, False),
    ("fbased2st", None, True),
    ("fbased2st", None, False),
]


def _layer_dtau(params):
    """A pure per-layer opacity: 'lines' whose strength and width depend on T and P."""
    dp, p, t, nu = params["dp"], params["p"], params["t"], params["nu"]
    width = 0.05 * (t / 1000.0) ** 0.5 + 0.02 * p
    k = 1e-3 + 50.0 * width**2 / ((nu - 4050.0) ** 2 + width**2) * (1000.0 / t)
    return 3.0 * dp * jnp.sqrt(p) * k


def _params(seed_atmosphere, n_grid=None):
    a = seed_atmosphere
    nu = a["nu"] if n_grid is None else a["nu"][:: a["nu"].size // n_grid]
    n = a["p"].size
    params = dict(
        dp=jnp.asarray(a["dp"]),
        p=jnp.asarray(a["p"]),
        t=jnp.asarray(a["t"]),
        nu=jnp.broadcast_to(jnp.asarray(nu), (n, nu.size)),
    )
    return params, jnp.asarray(a["t"]), jnp.asarray(nu)


@pytest.mark.parametrize("method,nstream,bottom", CASES)
def test_scan_equals_all_layers(method, nstream, bottom, seed_atmosphere):
    params, t, nu = _params(seed_atmosphere)
    dtau = jax.vmap(_layer_dtau)(params)
    kw = dict(method=method, nstream=nstream, bottom_boundary=bottom)
    ref = rt.emission_flux(dtau, t, nu, **kw)
    out = jax.jit(lambda p, t: rt.emission_flux_scan(_layer_dtau, p, t, nu, **kw))(params, t)
    np.testing.assert_allclose(np.asarray(out), np.asarray(ref), rtol=1e-12)
    # and the all-layers matrix formulas, recomputed in numpy float64 (linsap with the
    # default boundary temperatures: midpoints, extrapolated at both ends)
    tl = np.asarray(t)
    tb = np.concatenate(
        [[1.5 * tl[0] - 0.5 * tl[1]], 0.5 * (tl[1:] + tl[:-1]), [1.5 * tl[-1] - 0.5 * tl[-2]]]
    )
    mat = matrix_flux(np.asarray(dtau), tl, np.asarray(nu), method, nstream or 2, bottom, tb)
    # fbased2st: 2 E3 of scipy vs ours (< 2e-13) accumulated over 100 layers
    np.testing.assert_allclose(np.asarray(out), mat, rtol=1e-12 if method != "fbased2st" else 1e-11)


@pytest.mark.parametrize(
    "method",
    [
        "ibased",
        pytest.param("ibased_linsap", marks=pytest.mark.slow),
        pytest.param("fbased2st", marks=pytest.mark.slow),
    ],
)
def test_scan_gradients_forward_and_reverse(method, seed_atmosphere):
    params, t, nu = _params(seed_atmosphere, n_grid=20)
    params = jax.tree_util.tree_map(lambda x: x[::4], params)  # 25 layers
    t = t[::4]

    def scan_flux(scale, t, remat):
        p = dict(params, t=t * scale)
        return rt.emission_flux_scan(_layer_dtau, p, t * scale, nu, method=method, remat=remat)

    def full_flux(scale, t):
        p = dict(params, t=t * scale)
        return rt.emission_flux(jax.vmap(_layer_dtau)(p), t * scale, nu, method=method)

    # forward (jvp / jacfwd) and reverse (grad, rematerialised body) give the all-layers
    # derivative, and both agree with finite differences
    jf = jax.jit(jax.jacfwd(lambda s: scan_flux(s, t, True)))(1.0)
    jr = jax.jit(jax.jacrev(lambda s: scan_flux(s, t, True)))(1.0)
    jr_plain = jax.jit(jax.jacrev(lambda s: scan_flux(s, t, False)))(1.0)
    j_ref = jax.jit(jax.jacfwd(lambda s: full_flux(s, t)))(1.0)
    np.testing.assert_allclose(jf, j_ref, rtol=1e-10)
    np.testing.assert_allclose(jr, j_ref, rtol=1e-10)
    np.testing.assert_allclose(jr_plain, j_ref, rtol=1e-10)
    check_grads(
        jax.jit(lambda s, tt: scan_flux(s, tt, True)[::5]),
        (1.0, t),
        order=1,
        modes=("fwd", "rev"),
        eps=1e-4,
    )


def test_scan_reverse_mode_memory_is_bounded():
    # the rematerialised reverse pass stores per-layer carries only, not the body's
    # intermediates: its compiled temporary memory is far below the plain scan's when the body
    # holds a large intermediate (here lines x grid)
    n_lines, n_grid, n_layers = 200, 2000, 40
    nu = jnp.linspace(4000.0, 4100.0, n_grid)
    centres = jnp.linspace(4000.0, 4100.0, n_lines)

    def layer_dtau(p):
        prof = p["w"] ** 2 / ((nu[None, :] - centres[:, None]) ** 2 + p["w"] ** 2)  # (lines, grid)
        return 1e-2 * jnp.sum(prof, axis=0) * p["dp"]

    params = dict(w=jnp.full(n_layers, 0.05), dp=jnp.geomspace(1e-6, 1.0, n_layers))
    t = jnp.linspace(800.0, 1500.0, n_layers)

    def temp_bytes(remat):
        f = jax.grad(
            lambda t: jnp.sum(rt.emission_flux_scan(layer_dtau, params, t, nu, remat=remat))
        )
        m = jax.jit(f).lower(t).compile().memory_analysis()
        return m.temp_size_in_bytes

    plain, remat = temp_bytes(False), temp_bytes(True)
    intermediate = n_lines * n_grid * 8
    assert remat < 0.25 * plain
    assert remat < n_layers * intermediate / 4  # not one lines x grid array per layer


def test_scan_float32(seed_atmosphere):
    params, t, nu = _params(seed_atmosphere, n_grid=50)
    p32 = jax.tree_util.tree_map(lambda x: x.astype(jnp.float32), params)
    out = rt.emission_flux_scan(_layer_dtau, p32, t.astype(jnp.float32), nu.astype(jnp.float32))
    ref = rt.emission_flux_scan(_layer_dtau, params, t, nu)
    assert out.dtype == jnp.float32
    # 3.7e-4 at the line centre: the float32 line profile (nu - 4050) itself, not the scan
    np.testing.assert_allclose(np.asarray(out), np.asarray(ref), rtol=1e-3)


def test_scan_bad_input(seed_atmosphere):
    params, t, nu = _params(seed_atmosphere, n_grid=10)
    with pytest.raises(ValueError, match="t_layers_k"):
        rt.emission_flux_scan(_layer_dtau, params, t[:-1], nu)
    with pytest.raises(ValueError, match="leading"):
        rt.emission_flux_scan(_layer_dtau, dict(params, p=params["p"][:-1]), t, nu)
    with pytest.raises(ValueError, match="nstream"):
        rt.emission_flux_scan(_layer_dtau, params, t, nu, nstream=3)
