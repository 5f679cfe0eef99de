# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # The GD-1 stellar stream: spline density models on Gaia DR3
#
# This notebook fits flexible (spline) density models to point data with an
# inhomogeneous Poisson-process likelihood, first on a 1-D toy and then on 2,960 Gaia DR3
# stars around the GD-1 stream. It follows the model of A. Price-Whelan's
# "Flexible (stellar spatial) density models with JAX" (2022): the stream is a spline
# log-amplitude along phi1 times a Gaussian in phi2 whose mean (the track) and log-width are
# splines of phi1; the background is a spline in phi1, flat in phi2; the rate is integrated
# over phi1 in [-100, 20], phi2 in [-7, 5] deg with Simpson's rule on a 0.1 deg grid.
#
# Packages used: `jaxstro.splinedens` (model, data) and `jaxstro.infer_utils` (L-BFGS-B, NUTS,
# diagnostics). Data: Gaia Collaboration (2023); Pan-STARRS1 (Chambers et al. 2016).
#
# Run as a script: `python examples/gd1_stream_density.py [--quick]`.

# %%
import time
import warnings

import jax
import jax.numpy as jnp
import numpy as np
from _common import figure_path, parse_args, print_result

from jaxstro import infer_utils as iu
from jaxstro import splinedens as sd

jax.config.update("jax_enable_x64", True)  # the example (the caller) chooses float64
args = parse_args("GD-1 stream density: spline models, L-BFGS, NUTS")
QUICK = args.quick
result: dict = {}

# %% [markdown]
# ## 1. A 1-D toy: 100,000 draws from N(0.03, 0.31)
#
# Gaussian model: rate(z) = N0 N(z | mu, sigma); its Poisson-process maximum is known in
# closed form (N0 = N, mu = sample mean, sigma = sample standard deviation), which checks the
# optimiser. Spline model: the log-rate is a cubic spline with 11 knots on [-3, 3],
# integrated with Simpson's rule.

# %%
rng = np.random.default_rng(42)
z = rng.normal(0.03, 0.31, size=100_000)
zj = jnp.asarray(z)
N_toy = z.size


def gauss_objective(p):
    return -sd.gaussian_rate_loglike(p["ln_n"], p["mu"], p["ln_sigma"], zj) / N_toy


fit_g = iu.minimize_lbfgs(gauss_objective, {"ln_n": 10.0, "mu": 0.0, "ln_sigma": 0.0})
result["toy_gauss_mu"] = float(fit_g.params["mu"])
result["toy_gauss_sigma"] = float(np.exp(fit_g.params["ln_sigma"]))
print(
    f"Gaussian: mu = {result['toy_gauss_mu']:.5f} (sample mean {z.mean():.5f}), "
    f"sigma = {result['toy_gauss_sigma']:.5f} (sample std {z.std():.5f}), "
    f"N0 = {float(np.exp(fit_g.params['ln_n'])):.1f}"
)

knots_toy = np.linspace(-3, 3, 11)
toy = sd.prepare_spline_density_1d(z, knots_toy, n_grid=1201)
h, edges = np.histogram(z, bins=np.linspace(-3, 3, 61))
centres = 0.5 * (edges[1:] + edges[:-1])
init_vals = np.interp(knots_toy, centres, np.log(np.maximum(h, 1) / np.diff(edges)))


def spline_objective(p):
    # Beyond |z| ~ 2 there are no data, so the outer knots are constrained only through the
    # integral: their likelihood is flat towards -inf (an improper posterior). The same
    # random-walk smoothness prior as for GD-1 (variance 1) makes it proper.
    log_post = sd.spline_density_1d_loglike(p["values"], toy) + sd.random_walk_log_prior(
        p["values"]
    )
    return -log_post / N_toy


fit_s = iu.minimize_lbfgs(spline_objective, {"values": jnp.asarray(init_vals)})
result["toy_spline_objective"] = fit_s.fun
print(f"spline: objective {fit_s.fun:.6f} after {fit_s.nit} iterations ({fit_s.message})")


def nuts_from_optimum(neg_log_post, optimum, laplace_cov, key):
    """Two chains of blackjax NUTS (500 warmup + 500 draws) started at the optimum.

    Posterior widths of the knot values span ~1e-2 (centre) to ~1 (edges): the diagonal of the
    Laplace covariance seeds the mass matrix instead of the identity.
    """
    return iu.run_nuts(
        lambda p: -neg_log_post(p),
        optimum,
        key,
        num_warmup=500,
        num_samples=500,
        num_chains=2,
        init_scale=1e-3,
        initial_inverse_mass_matrix=jnp.diag(laplace_cov),
        initial_step_size=0.5,
    )


if not QUICK:
    toy_neg_log_post = lambda p: N_toy * spline_objective(p)
    lap_toy = iu.laplace(toy_neg_log_post, fit_s.params)
    toy_nuts = nuts_from_optimum(toy_neg_log_post, fit_s.params, lap_toy.cov, jax.random.key(1))
    tab = iu.summary(toy_nuts.samples, is_divergent=toy_nuts.is_divergent)
    print(iu.format_summary(tab))
    result["toy_nuts_max_rhat"] = float(np.max(tab["values"]["r_hat"]))

# %%
if not QUICK:
    import matplotlib.pyplot as plt

    from jaxstro.splinedens import make_spline, spline_eval

    grid = np.linspace(-3, 3, 601)
    fig, ax = plt.subplots(figsize=(6, 4), constrained_layout=True)
    ax.stairs(h / np.diff(edges), edges, color="0.6", label="data (histogram)")
    g = fit_g.params
    ax.plot(
        grid,
        np.exp(g["ln_n"]) * np.exp(sd.log_normal(grid, g["mu"], np.exp(g["ln_sigma"]))),
        label="Gaussian MAP",
    )
    draws = np.asarray(toy_nuts.samples["values"]).reshape(-1, knots_toy.size)
    curves = np.exp(np.asarray(spline_eval(make_spline(knots_toy), draws, grid)))
    lo, mid, hi = np.percentile(curves, [16, 50, 84], axis=0)
    ax.fill_between(grid, lo, hi, alpha=0.4, color="tab:orange", lw=0)
    ax.plot(grid, mid, color="tab:orange", label="spline (NUTS 16-84%)")
    ax.set_yscale("log")
    ax.set_ylim(1, None)
    ax.set_xlabel("z")
    ax.set_ylabel("rate n(z)")
    ax.legend()
    fig.savefig(figure_path(args.figdir, "gd1_toy_density.png"), dpi=120)

# %% [markdown]
# ## 2. GD-1 on Gaia DR3
#
# The standard cut phi2 > -7 leaves 2,960 stars; one of them (phi2 = 5.02) sits just outside
# the integration window and is kept, as in the reference analysis (the model warns).
# Knots: stream log-amplitude 31 on [-110, 30]; track mean and log-width 17 on [-110, 30];
# background 7 on [-120, 40]. Random-walk priors (variance 1) tie neighbouring knots of the
# three stream splines. Objective = -(log L + log prior) / N.

# %%
gd1 = sd.datasets.load_gd1()
knots = sd.datasets.gd1_knots()  # the reference analysis' knots, as listed above
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    model = sd.prepare_stream_model(gd1.phi1, gd1.phi2, **knots)
for w in caught:
    print("note:", w.message)
p0 = sd.stream_histogram_init(gd1.phi1, gd1.phi2, model)
objective = jax.jit(sd.stream_objective)
result["n_stars"] = int(gd1.phi1.size)
result["objective_init"] = float(objective(p0, model))

t0 = time.perf_counter()
fit = iu.minimize_lbfgs(sd.stream_objective, p0, args=(model,), progress=not QUICK)
result["lbfgs_wall_s"] = time.perf_counter() - t0
result["objective_opt"] = fit.fun
result["lbfgs_nit"] = fit.nit
result["lbfgs_success"] = fit.success
print(
    f"L-BFGS: {result['objective_init']:.6f} -> {fit.fun:.6f} in {fit.nit} iterations, "
    f"{fit.nfev} evaluations, {result['lbfgs_wall_s']:.2f} s ({fit.message})"
)

members = np.asarray(sd.stream_membership(fit.params, model))
result["n_members_p50"] = int(np.sum(members > 0.5))
result["expected_stream_stars"] = float(np.sum(members))
print(
    f"{result['n_members_p50']} stars with stream membership probability > 0.5; "
    f"expected number of stream stars {result['expected_stream_stars']:.1f}"
)

# %% [markdown]
# ## 3. Posterior with NUTS
#
# Two chains of blackjax NUTS (Stan window adaptation) start from the L-BFGS optimum. The
# diagonal of the Laplace covariance at the optimum seeds the mass matrix, which spares the
# first warmup steps the very long trajectories an identity metric gives (the knot values'
# posterior widths span a factor ~100).

# %%
posterior = None
n_data = model.n_data
neg_logpost = lambda p: n_data * sd.stream_objective(p, model)
lap = iu.laplace(neg_logpost, fit.params)
track_sd_laplace = np.asarray(lap.std["track"])
result["laplace_track_sd_median_deg"] = float(np.median(track_sd_laplace))
print(f"Laplace: median track uncertainty {result['laplace_track_sd_median_deg']:.3f} deg")
if not QUICK:
    posterior = nuts_from_optimum(neg_logpost, fit.params, lap.cov, jax.random.key(2024))
    tab = iu.summary(posterior.samples, is_divergent=posterior.is_divergent)
    print(iu.format_summary(tab, max_rows=20))
    rhat = np.concatenate([np.ravel(tab[k]["r_hat"]) for k in sd.STREAM_PARAM_NAMES])
    ess = np.concatenate([np.ravel(tab[k]["ess_bulk"]) for k in sd.STREAM_PARAM_NAMES])
    result.update(
        nuts_max_rhat=float(rhat.max()),
        nuts_min_ess_bulk=float(ess.min()),
        nuts_divergences=posterior.num_divergent,
        nuts_samples_per_s=posterior.samples_per_second,
        nuts_wall_s=posterior.warmup_time_s + posterior.sampling_time_s,
    )
    post_members = jax.vmap(lambda p: sd.stream_membership(p, model))(
        jax.tree_util.tree_map(lambda a: a.reshape(-1, *a.shape[2:]), posterior.samples)
    )
    members = np.asarray(post_members.mean(axis=0))
    result["n_members_p50_posterior"] = int(np.sum(members > 0.5))

# %% [markdown]
# ## 4. Figures: data and model density, track and width, linear density

# %%
if not QUICK:
    import matplotlib.pyplot as plt

    from jaxstro.splinedens import make_spline, spline_eval

    ls, lb, lt = (np.asarray(a) for a in sd.stream_density_grid(fit.params, model))
    g1, g2 = np.asarray(model.grid_phi1), np.asarray(model.grid_phi2)
    fig, axes = plt.subplots(3, 1, figsize=(11, 8), sharex=True, constrained_layout=True)
    axes[0].scatter(gd1.phi1, gd1.phi2, s=2, c="k", alpha=0.4)
    axes[0].set_title("Gaia DR3 stars (phi2 > -7)")
    axes[1].pcolormesh(g1, g2, np.exp(lt).T, cmap="Blues", shading="auto")
    axes[1].set_title("MAP model rate")
    sc = axes[2].scatter(gd1.phi1, gd1.phi2, s=3, c=members, cmap="magma_r", vmin=0, vmax=1)
    fig.colorbar(sc, ax=axes[2], label="stream membership probability")
    for ax in axes:
        ax.set_ylabel("phi2 [deg]")
        ax.set_ylim(-7, 5)
    axes[-1].set_xlabel("phi1 [deg]")
    axes[-1].set_xlim(-100, 20)
    fig.savefig(figure_path(args.figdir, "gd1_density_map.png"), dpi=120)

    flat = jax.tree_util.tree_map(
        lambda a: np.asarray(a).reshape(-1, *a.shape[2:]), posterior.samples
    )
    grid = np.linspace(-100, 20, 601)
    track = np.asarray(spline_eval(make_spline(knots["track_knots"]), flat["track"], grid))
    width = np.exp(
        np.asarray(spline_eval(make_spline(knots["track_knots"]), flat["ln_width"], grid))
    )
    lin = np.exp(np.asarray(spline_eval(make_spline(knots["amp_knots"]), flat["ln_amp"], grid)))
    fig, axes = plt.subplots(2, 1, figsize=(10, 6), sharex=True, constrained_layout=True)
    axes[0].scatter(gd1.phi1, gd1.phi2, s=2, c="0.6")
    for band, colour in [
        (track, "tab:red"),
        (track - width, "tab:blue"),
        (track + width, "tab:blue"),
    ]:
        lo, mid, hi = np.percentile(band, [5, 50, 95], axis=0)
        axes[0].fill_between(grid, lo, hi, color=colour, alpha=0.35, lw=0)
        axes[0].plot(grid, mid, color=colour, lw=1)
    axes[0].set_ylabel("phi2 [deg]")
    axes[0].set_title("track (red) and track +/- width (blue), 5-95% posterior")
    lo, mid, hi = np.percentile(lin, [5, 50, 95], axis=0)
    axes[1].fill_between(grid, lo, hi, alpha=0.4, lw=0)
    axes[1].plot(grid, mid)
    axes[1].set_ylabel("stream stars per deg")
    axes[1].set_xlabel("phi1 [deg]")
    axes[1].set_title("linear density along the stream")
    fig.savefig(figure_path(args.figdir, "gd1_track_density.png"), dpi=120)
    print(f"figures written to {args.figdir}")

# %%
print_result(result)
