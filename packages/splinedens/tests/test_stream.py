import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import reference_stream as ref
from jax.test_util import check_grads
from scipy import stats

from jaxstro import splinedens as sd


@pytest.fixture(scope="module")
def gd1():
    return sd.datasets.load_gd1()


@pytest.fixture(scope="module")
def model(gd1):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return sd.prepare_stream_model(
            gd1.phi1,
            gd1.phi2,
            amp_knots=ref.AMP_KNOTS,
            track_knots=ref.TRACK_KNOTS,
            bg_knots=ref.BG_KNOTS,
        )


def _random_params(seed):
    rng = np.random.default_rng(seed)
    return {
        "ln_amp": rng.uniform(0, 3, 31),
        "track": rng.uniform(-2, 1, 17),
        "ln_width": rng.uniform(-1.5, 0, 17),
        "ln_bg": rng.uniform(-1, 1, 7),
    }


def test_gd1_dataset():
    assert len(sd.datasets.load_gd1().phi1) == 2960
    full = sd.datasets.load_gd1(phi2_min=None)
    assert len(full.phi1) == 3369 and "source_id" in full.table.colnames
    assert np.isclose(full.phi2.max(), 5.01699, atol=1e-4)


def test_corrupt_dataset_is_detected(monkeypatch):
    monkeypatch.setattr(sd.datasets, "_GD1_SHA256", "0" * 64)
    with pytest.raises(OSError, match="corrupt"):
        sd.datasets.load_gd1()


def test_objective_matches_independent_scipy_reference(gd1, model):
    for seed in (0, 1):
        p = _random_params(seed)
        expect = ref.objective(p, gd1.phi1, gd1.phi2)
        got = sd.stream_objective({k: jnp.asarray(v) for k, v in p.items()}, model)
        np.testing.assert_allclose(got, expect, rtol=1e-11)


def test_histogram_init_is_finite_and_close_to_stream(gd1, model):
    p0 = sd.stream_histogram_init(gd1.phi1, gd1.phi2, model)
    sd.check_stream_params(p0, model)
    assert np.isfinite(sd.stream_objective(p0, model))
    # the stream is near phi2 ~ 0 at phi1 ~ -40 (Koposov et al. 2010 frame)
    k = int(np.argmin(np.abs(ref.TRACK_KNOTS + 40)))
    assert abs(float(p0["track"][k])) < 1.0


def test_gradients_jit_vmap(gd1):
    # a reduced model (coarse grid, first 300 stars) keeps the finite-difference check fast
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        small = sd.prepare_stream_model(
            gd1.phi1[:300],
            gd1.phi2[:300],
            amp_knots=ref.AMP_KNOTS,
            track_knots=ref.TRACK_KNOTS,
            bg_knots=ref.BG_KNOTS,
            grid_step=1.0,
        )
    p = {k: jnp.asarray(v) for k, v in _random_params(3).items()}
    check_grads(lambda q: sd.stream_objective(q, small), (p,), order=1, modes=("fwd", "rev"))
    f = jax.jit(sd.stream_objective)
    np.testing.assert_allclose(f(p, small), sd.stream_objective(p, small), rtol=1e-13)
    batch = {k: jnp.stack([v, v + 0.1]) for k, v in p.items()}
    vm = jax.vmap(lambda q: sd.stream_objective(q, small))(batch)
    loop = [sd.stream_objective({k: v[i] for k, v in batch.items()}, small) for i in range(2)]
    np.testing.assert_allclose(vm, loop, rtol=1e-12)
    gv = jax.vmap(jax.grad(lambda q: sd.stream_objective(q, small)))(batch)
    g1 = jax.grad(lambda q: sd.stream_objective(q, small))({k: v[1] for k, v in batch.items()})
    np.testing.assert_allclose(gv["track"][1], g1["track"], rtol=1e-12)


def test_membership_and_density_grid(gd1, model):
    pn = _random_params(0)
    p = {k: jnp.asarray(v) for k, v in pn.items()}
    prob = sd.stream_membership(p, model)
    assert prob.shape == (2960,) and np.all((prob >= 0) & (prob <= 1))
    n = 400  # the first 400 stars, for the check at the data below

    @jax.jit  # one compilation for both meshes (eager dispatch of this is ~4x slower)
    def grids(q):
        on_data = sd.stream_density_grid(q, model, phi1=gd1.phi1[:n], phi2=gd1.phi2[:n])
        return sd.stream_density_grid(q, model), on_data

    (ls, lb, lt), (ls_g, lb_g, _) = jax.tree.map(np.asarray, grids(p))
    assert ls.shape == (1201, 121)
    # the grid evaluator (spline_eval) against the likelihood's design-matrix path: the
    # model's G_* matrices times the knot values, Gaussian from scipy. Log stream rates run
    # from -560 to 4; tolerances ~4x the measured differences (comments), float64 rounding.
    g2 = np.asarray(model.grid_phi2)
    amp, mean, ln_w = (
        np.asarray(g) @ pn[k]
        for g, k in [(model.G_amp, "ln_amp"), (model.G_track, "track"), (model.G_track, "ln_width")]
    )
    ls_dm = amp[:, None] + stats.norm.logpdf(g2[None, :], mean[:, None], np.exp(ln_w)[:, None])
    lb_dm = np.broadcast_to((np.asarray(model.G_bg) @ pn["ln_bg"])[:, None], ls.shape)
    np.testing.assert_allclose(ls, ls_dm, rtol=0, atol=2.5e-12)  # measured 6.3e-13
    np.testing.assert_allclose(lb, lb_dm, rtol=0, atol=1e-15)  # measured 2.2e-16
    np.testing.assert_allclose(lt, np.logaddexp(ls_dm, lb_dm), rtol=0, atol=1.5e-14)  # 3.1e-15
    # and against the independent scipy spline reference on the whole mesh
    p1, p2 = np.meshgrid(np.asarray(model.grid_phi1), g2, indexing="ij")
    want = ref.log_rate(p1.ravel(), p2.ravel(), pn).reshape(p1.shape)
    np.testing.assert_allclose(lt, want, rtol=0, atol=2.5e-14)  # measured 5.3e-15
    # at the data (the diagonal of the mesh on the first 400 stars) the grid evaluator equals
    # the likelihood's log rates from the W_* design matrices
    ls_d, lb_d = sd.stream_log_density(p, model)
    np.testing.assert_allclose(np.diag(ls_g), ls_d[:n], rtol=0, atol=1e-12)  # measured 2.3e-13
    np.testing.assert_allclose(np.diag(lb_g), lb_d[:n], rtol=0, atol=1e-15)  # measured 2.2e-16


def test_bad_input(gd1):
    kw = dict(amp_knots=ref.AMP_KNOTS, track_knots=ref.TRACK_KNOTS, bg_knots=ref.BG_KNOTS)
    with pytest.raises(ValueError, match="phi1 and phi2 must have the same shape"):
        sd.prepare_stream_model(gd1.phi1, gd1.phi2[:-1], **kw)
    with pytest.raises(ValueError, match="phi2 contains 1 non-finite"):
        bad = gd1.phi2.copy()
        bad[3] = np.nan
        sd.prepare_stream_model(gd1.phi1, bad, **kw)
    with pytest.raises(ValueError, match="phi1 is empty"):
        sd.prepare_stream_model([], [], **kw)
    with pytest.raises(ValueError, match="knots must be strictly increasing"):
        sd.prepare_stream_model(
            gd1.phi1,
            gd1.phi2,
            amp_knots=ref.AMP_KNOTS[::-1],
            track_knots=ref.TRACK_KNOTS,
            bg_knots=ref.BG_KNOTS,
        )
    with pytest.warns(UserWarning, match="1 of 2960 data points lie outside"):
        model = sd.prepare_stream_model(gd1.phi1, gd1.phi2, grid_step=1.0, **kw)
    p = {k: jnp.asarray(v) for k, v in _random_params(0).items()}
    with pytest.raises(ValueError, match=r"unknown names \['amp'\]"):
        sd.check_stream_params({**p, "amp": 1.0}, model)
    with pytest.raises(ValueError, match=r"params\['track'\] must have shape \(17,\)"):
        sd.check_stream_params({**p, "track": jnp.zeros(16)}, model)


def test_float32_path(gd1):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m32 = sd.prepare_stream_model(
            gd1.phi1,
            gd1.phi2,
            amp_knots=ref.AMP_KNOTS,
            track_knots=ref.TRACK_KNOTS,
            bg_knots=ref.BG_KNOTS,
            dtype=jnp.float32,
        )
    p = {k: jnp.asarray(v, dtype=jnp.float32) for k, v in _random_params(0).items()}
    v, g = jax.value_and_grad(sd.stream_objective)(p, m32)
    assert v.dtype == jnp.float32 and np.isfinite(v)
    assert all(np.all(np.isfinite(x)) for x in jax.tree_util.tree_leaves(g))
    expect = ref.objective(_random_params(0), gd1.phi1, gd1.phi2)
    np.testing.assert_allclose(v, expect, rtol=1e-4)  # float32 keeps ~5 digits here
