"""posterior_predictive, predictive_bands / hpdi / weighted_quantile, plotting helpers.

References: the closed-form predictive of a linear model under a Gaussian posterior, closed-form
HPDIs (Gaussian: equal to the equal-tailed interval; exponential: [0, -ln(1 - p)]), arviz.hdi,
numpy.quantile(method="hazen") and a brute-force search of the shortest weighted interval.
Monte Carlo tolerances are 5 standard errors.
"""

import math

import jax
import jax.numpy as jnp
import matplotlib
import numpy as np
import pytest
from scipy.stats import norm

import jaxstro.infer_utils as iu
from jaxstro.infer_utils._geovi import GeoVIResult
from jaxstro.infer_utils._laplace import LaplaceResult
from jaxstro.infer_utils._nested import NestedResult
from jaxstro.infer_utils._numpyro import SVIResult
from jaxstro.infer_utils._nuts import NUTSResult
from jaxstro.infer_utils._pathfinder import PathfinderResult

matplotlib.use("Agg")  # headless (nox also sets MPLBACKEND=Agg)

# Gaussian posterior of (a, b) for y = a x + b
MU = np.array([1.5, -0.5])
COV = np.array([[0.04, -0.03], [-0.03, 0.09]])
X = np.linspace(-2.0, 3.0, 6)
PRED_MEAN = MU[0] * X + MU[1]
PRED_SD = np.sqrt(X**2 * COV[0, 0] + 2 * X * COV[0, 1] + COV[1, 1])


def line(p):
    return p["a"] * jnp.asarray(X) + p["b"]


def gaussian_draws(n, seed=0, scale=1.0):
    ab = np.random.default_rng(seed).multivariate_normal(MU, scale**2 * COV, size=n)
    return {"a": ab[:, 0], "b": ab[:, 1]}


def log_post(p):
    r = jnp.stack([p["a"], p["b"]]) - MU
    return -0.5 * r @ jnp.linalg.solve(COV, r)


def log_gauss(ab, scale):
    """log N(ab; MU, scale^2 COV), numpy, rows of ab."""
    c = scale**2 * COV
    r = ab - MU
    return -0.5 * np.einsum("ni,ij,nj->n", r, np.linalg.inv(c), r) - 0.5 * np.log(
        np.linalg.det(2 * np.pi * c)
    )


def check_closed_form(y, w=None):
    """Mean, sd, median and 95 % ETI/HDI of predictive draws y (n, 6) vs the closed form."""
    n = y.shape[0]
    ess = n if w is None else 1.0 / np.sum(np.asarray(w) ** 2)
    wn = np.full(n, 1.0 / n) if w is None else np.asarray(w)
    mean = wn @ y
    sd = np.sqrt(wn @ (y - mean) ** 2)
    se_mean = PRED_SD / math.sqrt(ess)
    np.testing.assert_array_less(np.abs(mean - PRED_MEAN), 5 * se_mean)
    # sample sd of a Gaussian: relative standard error 1/sqrt(2 ess)
    np.testing.assert_array_less(np.abs(sd / PRED_SD - 1), 5 / math.sqrt(2 * ess))
    b = iu.predictive_bands(y, weights=w, probs=(0.95,))
    z = norm.ppf(0.975)
    # quantile q of a Gaussian: standard error sqrt(q (1 - q) / ess) / pdf(z_q)
    se_med = math.sqrt(0.25 / ess) / norm.pdf(0) * PRED_SD
    se_tail = math.sqrt(0.025 * 0.975 / ess) / norm.pdf(z) * PRED_SD
    np.testing.assert_array_less(np.abs(b.median - PRED_MEAN), 5 * se_med)
    for lo, hi in [(b.eti_lower[0], b.eti_upper[0]), (b.hdi_lower[0], b.hdi_upper[0])]:
        np.testing.assert_array_less(np.abs(lo - (PRED_MEAN - z * PRED_SD)), 5 * se_tail)
        np.testing.assert_array_less(np.abs(hi - (PRED_MEAN + z * PRED_SD)), 5 * se_tail)


# --------------------------------------------------------------------------- predictive


def test_linear_model_closed_form_plain_draws():
    pred = iu.posterior_predictive(line, gaussian_draws(20_000))
    assert pred.weights is None and pred.draws.shape == (20_000, X.size)
    check_closed_form(np.asarray(pred.draws))


def test_linear_model_closed_form_fit_result():
    """A FitResult (Laplace of the exact Gaussian posterior, 4000 draws) end to end."""
    init = {"a": jnp.asarray(1.0), "b": jnp.asarray(0.0)}
    res = iu.fit(log_post, init, method="laplace", key=jax.random.key(1), num_samples=4000)
    pred = iu.posterior_predictive(line, res, batch_size=512)
    assert pred.draws.shape == (4000, X.size)
    check_closed_form(np.asarray(pred.draws))
    # the FitResult's draws equal those of its (chain, draw, ...) dict
    again = iu.posterior_predictive(line, res.draws, sample_ndim=2)
    np.testing.assert_array_equal(again.draws, pred.draws)


def test_every_result_type_gives_its_draws():
    """Each result type hands its draws (flattened chain-major) to model_fn."""
    d = gaussian_draws(60, seed=3)
    chains = {k: v.reshape(3, 20) for k, v in d.items()}
    ref = np.stack([d["a"][i] * X + d["b"][i] for i in range(60)])

    def make(cls, **fields):
        return cls(**{f: None for f in cls._fields} | fields)

    cases = [
        make(NUTSResult, samples=chains),
        make(iu.NumpyroMCMCResult, samples=chains),
        make(NestedResult, samples=d),
        make(PathfinderResult, samples=d),
        make(SVIResult, samples=d),
        make(GeoVIResult, samples=d),
        make(iu.FitResult, method="nuts", draws=chains),
    ]
    for res in cases:
        out = iu.posterior_predictive(line, res)
        np.testing.assert_allclose(out.draws, ref, rtol=1e-14, err_msg=type(res).__name__)
    # an array of draws (n, 2) with an array model
    arr = np.stack([d["a"], d["b"]], axis=-1)
    out = iu.posterior_predictive(lambda t: t[0] * jnp.asarray(X) + t[1], arr)
    np.testing.assert_allclose(out.draws, ref, rtol=1e-14)


def test_laplace_result_draws_with_key():
    mode = {"a": jnp.asarray(MU[0]), "b": jnp.asarray(MU[1])}  # laplace() takes the mode
    res = iu.laplace(lambda p: -log_post(p), mode)
    assert isinstance(res, LaplaceResult)
    pred = iu.posterior_predictive(line, res, key=jax.random.key(2), num_draws=20_000)
    check_closed_form(np.asarray(pred.draws))
    with pytest.raises(ValueError, match="key"):
        iu.posterior_predictive(line, res)


def test_weighted_equals_resampled_statistically():
    """Importance draws from a wider Gaussian: the weighted path and the resampled path both
    reproduce the closed form, and agree with each other within their Monte Carlo errors."""
    n = 40_000
    q = gaussian_draws(n, seed=5, scale=1.6)
    ab = np.stack([q["a"], q["b"]], axis=-1)
    logw = log_gauss(ab, 1.0) - log_gauss(ab, 1.6)
    w = np.exp(logw - logw.max())
    w /= w.sum()
    weighted = iu.posterior_predictive(line, q, weights=w * 7.0)  # any normalisation
    np.testing.assert_allclose(weighted.weights, w, rtol=1e-12)
    check_closed_form(np.asarray(weighted.draws), np.asarray(weighted.weights))

    # the same points as a nested-sampling result with its own log weights
    nested = NestedResult(**{f: None for f in NestedResult._fields})._replace(
        samples=gaussian_draws(100, seed=9), weighted_samples=q, log_weights=jnp.log(w)
    )
    kept = iu.posterior_predictive(line, nested, weights="weighted")
    np.testing.assert_allclose(kept.draws, weighted.draws, rtol=1e-14)
    res = iu.posterior_predictive(
        line, nested, weights="resample", key=jax.random.key(4), num_draws=20_000
    )
    assert res.weights is None and res.draws.shape == (20_000, X.size)
    check_closed_form(np.asarray(res.draws))
    # weighted mean vs resampled mean: difference within 5 combined standard errors
    ess = 1 / np.sum(w**2)
    diff = np.asarray(res.draws).mean(0) - w @ np.asarray(kept.draws)
    np.testing.assert_array_less(np.abs(diff), 5 * PRED_SD * math.sqrt(1 / ess + 1 / 20_000))
    # default: the equally weighted samples
    eq = iu.posterior_predictive(line, nested)
    assert eq.weights is None and eq.draws.shape == (100, X.size)
    # FitResult with weighted draws
    fr = iu.FitResult(**{f: None for f in iu.FitResult._fields})._replace(
        method="nested", draws={k: v[None] for k, v in gaussian_draws(50).items()},
        weighted_draws=q, log_weights=jnp.log(w),
    )  # fmt: skip
    np.testing.assert_allclose(
        iu.posterior_predictive(line, fr, weights="weighted").draws, weighted.draws, rtol=1e-14
    )


def test_batch_size_identical_to_unbatched():
    d = gaussian_draws(1001, seed=7)

    def model(p):  # nonlinear, with a reduction and a pytree output
        y = jnp.sin(p["a"] * jnp.asarray(X)) * jnp.exp(p["b"])
        return {"y": y, "s": jnp.sum(y**2)}

    ref = iu.posterior_predictive(model, d)
    for bs in (1, 7, 1000, 5000):
        out = iu.posterior_predictive(model, d, batch_size=bs)
        # the same computation; XLA may order the sum's additions by batch shape (1 ulp)
        jax.tree_util.tree_map(
            lambda a, b: np.testing.assert_allclose(a, b, rtol=4e-16, atol=0), out.draws["y"],
            ref.draws["y"],
        )  # fmt: skip
        np.testing.assert_allclose(out.draws["s"], ref.draws["s"], rtol=1e-15)
    assert ref.draws["y"].shape == (1001, X.size) and ref.draws["s"].shape == (1001,)

    class Unhashable:  # a callable that cannot be a static jit argument
        __hash__ = None

        def __call__(self, p):
            return model(p)

    out = iu.posterior_predictive(Unhashable(), d, batch_size=7)
    np.testing.assert_allclose(out.draws["y"], ref.draws["y"], rtol=4e-16, atol=0)


def test_subsampling():
    d = gaussian_draws(100, seed=8)
    full = np.asarray(iu.posterior_predictive(line, d).draws)
    thin = np.asarray(iu.posterior_predictive(line, d, num_draws=10).draws)
    np.testing.assert_array_equal(thin, full[np.round(np.linspace(0, 99, 10)).astype(int)])
    sub = np.asarray(iu.posterior_predictive(line, d, num_draws=30, key=jax.random.key(0)).draws)
    rows = [np.flatnonzero(np.all(full == r, axis=1)) for r in sub]
    assert all(r.size == 1 for r in rows) and len({int(r[0]) for r in rows}) == 30
    # weighted subset: weights renormalised over the subset
    w = np.arange(1.0, 101.0)
    ws = iu.posterior_predictive(line, d, num_draws=30, key=jax.random.key(0), weights=w)
    idx = [int(np.flatnonzero(np.all(full == r, axis=1))[0]) for r in np.asarray(ws.draws)]
    np.testing.assert_allclose(ws.weights, w[idx] / w[idx].sum(), rtol=1e-12)


def test_predictive_bad_input():
    d = gaussian_draws(20)
    with pytest.raises(ValueError, match="num_draws=50 exceeds"):
        iu.posterior_predictive(line, d, num_draws=50)
    with pytest.raises(ValueError, match="num_draws"):
        iu.posterior_predictive(line, d, num_draws=0)
    with pytest.raises(ValueError, match="batch_size"):
        iu.posterior_predictive(line, d, batch_size=2.5)
    with pytest.raises(ValueError, match="weighted draws"):
        iu.posterior_predictive(line, d, weights="resample")
    with pytest.raises(ValueError, match="weights must be None"):
        iu.posterior_predictive(line, d, weights="bogus")
    for bad in (np.ones(19), -np.ones(20), np.full(20, np.nan), np.zeros(20)):
        with pytest.raises(ValueError, match="weights"):
            iu.posterior_predictive(line, d, weights=bad)
    with pytest.raises(ValueError, match="leading sample axes"):
        iu.posterior_predictive(line, {"a": np.zeros(3), "b": np.zeros(4)})
    with pytest.raises(ValueError, match="no posterior draws"):
        iu.posterior_predictive(line, iu.FitResult(**{f: None for f in iu.FitResult._fields}))
    with pytest.raises(TypeError, match="result_or_draws"):
        iu.posterior_predictive(line, 3.0)
    with pytest.raises(TypeError, match="model_fn"):
        iu.posterior_predictive("line", d)


def test_float32_follows_inputs():
    d = {k: v.astype(np.float32) for k, v in gaussian_draws(500).items()}
    pred = iu.posterior_predictive(lambda p: p["a"] * jnp.asarray(X, jnp.float32) + p["b"], d)
    assert pred.draws.dtype == jnp.float32
    b = iu.predictive_bands(pred, weights=np.ones(500))
    for v in (b.median, b.mean, b.eti_lower, b.hdi_upper):
        assert v.dtype == jnp.float32 and np.all(np.isfinite(v))


# --------------------------------------------------------------------------- bands, HPDI


def test_hpdi_gaussian_equals_equal_tailed():
    y = np.random.default_rng(11).normal(2.0, 3.0, size=(100_000, 2))
    b = iu.predictive_bands(y, probs=(0.68, 0.95))
    for i, p in enumerate(b.probs):
        z = norm.ppf(0.5 + p / 2)
        se = 3.0 * math.sqrt((1 - p) / 2 * (1 + p) / 2 / y.shape[0]) / norm.pdf(z)
        for lo, hi in [(b.hdi_lower[i], b.hdi_upper[i]), (b.eti_lower[i], b.eti_upper[i])]:
            np.testing.assert_array_less(np.abs(lo - (2 - 3 * z)), 5 * se)
            np.testing.assert_array_less(np.abs(hi - (2 + 3 * z)), 5 * se)


@pytest.mark.parametrize("p", [0.5, 0.9])
def test_hpdi_exponential_closed_form(p):
    """Exponential(1): HPDI = [0, -ln(1-p)] (ETI would be [-ln((1+p)/2), -ln((1-p)/2)])."""
    n = 100_000
    y = np.random.default_rng(12).exponential(size=n)
    lo, hi = iu.hpdi(y, p)
    se = math.sqrt(p * (1 - p) / n) / (1 - p)  # quantile p of Exp(1): density 1 - p there
    assert 0 <= lo < 10 / n and abs(hi + math.log(1 - p)) < 5 * se
    # weighted: uniform proposal on [0, 15] weighted by the exponential density
    u = np.random.default_rng(13).uniform(0, 15, size=2 * n)
    w = np.exp(-u)
    ess = w.sum() ** 2 / np.sum(w**2)
    lo_w, hi_w = iu.hpdi(u, p, weights=w)
    assert 0 <= lo_w < 10 / ess
    assert abs(hi_w + math.log(1 - p)) < 5 * math.sqrt(p * (1 - p) / ess) / (1 - p)


def test_hpdi_matches_arviz_unweighted():
    az = pytest.importorskip("arviz")  # in the arviz extra, which nox's test session installs
    rng = np.random.default_rng(14)
    y = np.concatenate(
        [rng.gamma(2.0, size=(3001, 1)), rng.normal(size=(3001, 1)), rng.beta(0.5, 2, (3001, 1))],
        axis=1,
    )
    for p in (0.5, 0.68, 0.9, 0.95):
        lo, hi = iu.hpdi(y, p)
        for j in range(y.shape[1]):
            np.testing.assert_array_equal([lo[j], hi[j]], az.hdi(y[:, j], hdi_prob=p))
        # equal weights give the same interval (p n not an integer here)
        lo_w, hi_w = iu.hpdi(y, p, weights=np.ones(y.shape[0]))
        np.testing.assert_array_equal(lo_w, lo)
        np.testing.assert_array_equal(hi_w, hi)


def test_weighted_hpdi_brute_force():
    """Shortest interval [x_i, x_j] with sum(w_i..w_j) > p, by exhaustive search."""
    rng = np.random.default_rng(15)
    for trial in range(5):
        x = rng.gamma(1.5, size=60)
        w = rng.uniform(0, 1, size=60) ** 3
        p = 0.8
        o = np.argsort(x)
        xs, ws = x[o], w[o] / w.sum()
        best = (np.inf, None)
        for i in range(60):
            for j in range(i, 60):
                if ws[i : j + 1].sum() > p and xs[j] - xs[i] < best[0]:
                    best = (xs[j] - xs[i], (xs[i], xs[j]))
        lo, hi = iu.hpdi(x, p, weights=w)
        assert (float(lo), float(hi)) == best[1], trial


def test_quantiles_match_numpy_hazen():
    y = np.random.default_rng(16).normal(size=(501, 3, 2))
    q = [0.025, 0.16, 0.5, 0.84, 0.975]
    ref = np.quantile(y, q, axis=0, method="hazen")
    np.testing.assert_allclose(iu.weighted_quantile(y, q), ref, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(
        iu.weighted_quantile(y, q, weights=np.full(501, 2.0)), ref, rtol=1e-12, atol=1e-14
    )
    b = iu.predictive_bands(y)
    assert b.median.shape == (3, 2) and b.hdi_lower.shape == (2, 3, 2)
    np.testing.assert_allclose(b.mean, y.mean(0), rtol=1e-13)


def test_bands_jit_and_traced_nan():
    y = jnp.asarray(np.random.default_rng(17).normal(size=(400, 3)))
    w = jnp.asarray(np.random.default_rng(18).uniform(size=400))
    eager = iu.predictive_bands(y, weights=w)
    jitted = jax.jit(lambda a, b: iu.predictive_bands(a, weights=b))(y, w)
    jax.tree_util.tree_map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-14), eager,
                           jitted)  # fmt: skip
    # traced NaN: that element's summaries are NaN, the others untouched
    out = jax.jit(lambda a: iu.predictive_bands(a))(y.at[5, 1].set(jnp.nan))
    assert np.all(np.isnan(out.median[1])) and np.all(np.isnan(out.hdi_upper[:, 1]))
    ref = np.asarray(iu.predictive_bands(y).median)
    np.testing.assert_allclose(np.asarray(out.median)[[0, 2]], ref[[0, 2]])
    # vmap over independent sets of draws
    ys = jnp.stack([y, 2 * y])
    vm = jax.vmap(lambda a: iu.predictive_bands(a).hdi_upper)(ys)
    np.testing.assert_allclose(vm[1], 2 * vm[0], rtol=1e-13)


def test_bands_bad_input():
    y = np.random.default_rng(19).normal(size=(50, 2))
    with pytest.raises(ValueError, match="non-finite"):
        iu.predictive_bands(np.where(np.arange(50)[:, None] == 3, np.nan, y))
    with pytest.raises(ValueError, match="probs"):
        iu.predictive_bands(y, probs=(0.5, 1.0))
    with pytest.raises(ValueError, match="n >= 2"):
        iu.predictive_bands(y[:1])
    with pytest.raises(ValueError, match="weights"):
        iu.predictive_bands(y, weights=np.ones(49))
    with pytest.raises(ValueError, match="prob"):
        iu.hpdi(y, 0.0)


# --------------------------------------------------------------------------- plots


def test_plot_predictive_headless():
    import matplotlib.pyplot as plt
    from matplotlib.collections import PolyCollection

    pred = iu.posterior_predictive(line, gaussian_draws(2000))
    bands = iu.predictive_bands(pred, probs=(0.68, 0.95))
    data = PRED_MEAN + 0.1
    ax = iu.plot_predictive(X, bands, data=data, data_err=np.full(X.size, 0.2))
    fills = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(fills) == 2  # one band per prob
    np.testing.assert_allclose(ax.lines[0].get_ydata(), bands.median)  # the median line
    assert len(ax.containers) == 1  # the errorbar
    fig, ax2 = plt.subplots()
    assert iu.plot_predictive(X, bands, data=data, ax=ax2, kind="eti") is ax2
    assert len(ax2.lines) == 2  # median + data markers
    plt.close("all")
    with pytest.raises(ValueError, match="x must be 1-D"):
        iu.plot_predictive(X[:3], bands)


def test_plot_pairs_and_trace_headless():
    import matplotlib.pyplot as plt

    rng = np.random.default_rng(20)
    r1 = {"a": rng.normal(size=(4, 300)), "bc": rng.normal(size=(4, 300, 2))}
    r2 = {"a": rng.normal(0.3, 1, size=(1, 500)), "bc": rng.normal(size=(1, 500, 2))}
    truth = {"a": 0.0, "bc": [0.0, 0.5]}
    fig = iu.plot_pairs({"one": r1, "two": r2}, truth=truth, sample_ndim=2)
    d = 3  # a, bc[0], bc[1]
    assert len(fig.axes) == d * (d + 1) // 2
    diag = [ax for ax in fig.axes if ax.get_subplotspec().rowspan == ax.get_subplotspec().colspan]
    assert len(diag) == d and all(len(ax.patches) == 2 for ax in diag)  # one hist per result
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["one", "two", "truth"]
    fig2 = iu.plot_pairs({"one": r1}, params=["bc"], sample_ndim=2)
    assert len(fig2.axes) == 3
    fig3 = iu.plot_trace(r1, truth=truth)
    assert len(fig3.axes) == d and all(len(ax.lines) == 4 + 1 for ax in fig3.axes)
    assert [ax.get_ylabel() for ax in fig3.axes] == ["a", "bc[0]", "bc[1]"]
    plt.close("all")
    with pytest.raises(ValueError, match="params entry 'c'"):
        iu.plot_trace(r1, params=["c"])
    with pytest.raises(ValueError, match="wrap a dict of draws"):
        iu.plot_pairs(r1)


def test_plot_import_error_names_the_extra(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"jaxstro-infer-utils\[plot\]"):
        iu.plot_trace({"a": np.zeros((1, 5))})
