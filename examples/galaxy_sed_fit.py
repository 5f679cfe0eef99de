# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # Galaxy SED fitting: one model, every inference backend, thousands of galaxies
#
# A galaxy at z = 0.1 observed in SDSS ugriz with 5 % errors. The forward model
# (``jaxstro.sedphys.SEDModel``) integrates a double-power-law star-formation history into the
# BC03 SSP ages, weights metallicities by a Gaussian in log Z, attenuates young stars by their
# birth clouds and all stars by diffuse dust (Charlot & Fall 2000, slope -0.7), applies Madau
# IGM absorption, redshifts with a Planck 2018 cosmology and integrates the filters. Seven free
# parameters: log_peak_sfr, tau_gyr, alpha, beta (the SFH), logzsol, tau_bc, tau_diff.
#
# The same log posterior goes to MAP (L-BFGS-B), Laplace, Pathfinder, NUTS (blackjax) and SVI
# (numpyro), all through ``jaxstro.infer_utils``. Then the batch: the forward model, its
# gradient and a MAP fit for 100 and 1,000 galaxies in single compiled calls.
#
# Run: ``python examples/galaxy_sed_fit.py [--quick] [--compile-cache DIR]``.
# ``--compile-cache`` (or ``JAXSTRO_COMPILE_CACHE``) switches on JAX's persistent compilation
# cache: a second run loads the compiled programs instead of compiling them.

# %%
import argparse
import os
import time

import jax
import jax.numpy as jnp
import numpy as np
import optax
from _common import figure_path, parse_args, print_result

import jaxstro.infer_utils as iu
from jaxstro import sedphys as sp

args = parse_args(__doc__ or "galaxy SED fit")
extra = argparse.ArgumentParser()
extra.add_argument("--compile-cache", default=os.environ.get("JAXSTRO_COMPILE_CACHE"))
cache_dir = extra.parse_known_args()[0].compile_cache
if cache_dir:
    # opt-in persistent compilation cache (an application setting, never set by the library)
    jax.config.update("jax_compilation_cache_dir", cache_dir)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", -1)
jax.config.update("jax_enable_x64", True)
result = {"compile_cache": bool(cache_dir)}
t_start = time.perf_counter()

# %% [markdown]
# ## The model and the mock observation

# %%
# the package's standard setup: SDSS ugriz, the 7-parameter priors and the mock "truth"
BANDS = sp.SDSS_UGRIZ
spec = sp.default_spec(redshift=0.1)
ssp = sp.load_ssp()
model = sp.SEDModel(spec, ssp, sp.Observation(BANDS))
TRUTH = sp.default_truth()
NAMES = spec.free_params
BOUNDS = spec.bounds
true_maggies = np.asarray(model.predict_photometry(TRUTH))
err = 0.05 * true_maggies
obs = true_maggies + err * np.asarray(jax.random.normal(jax.random.key(42), true_maggies.shape))
print("true ugriz:", np.round(np.asarray(sp.ab_mag(true_maggies)), 3))
print("observed  :", np.round(np.asarray(sp.ab_mag(obs)), 3))


def log_post(x, maggies=obs, maggies_err=err):
    return model.log_prob(x, maggies, maggies_err)


# unconstrained coordinates for the samplers: every free parameter has a bounded prior
def x_of_u(u):
    return {n: iu.to_bounded(u[n], *BOUNDS[n]) for n in NAMES}


def u_of_x(x):
    return {n: iu.to_unbounded(jnp.asarray(x[n]), *BOUNDS[n]) for n in NAMES}


def log_post_u(u, maggies=obs, maggies_err=err):
    jac = sum(iu.log_abs_det_jacobian(u[n], *BOUNDS[n]) for n in NAMES)
    return log_post(x_of_u(u), maggies, maggies_err) + jac


def draws_x(samples_u):
    """Unconstrained draws (any leading axes) -> dict of flat numpy arrays of the parameters."""
    return {n: np.asarray(iu.to_bounded(samples_u[n], *BOUNDS[n])).ravel() for n in NAMES}


# %% [markdown]
# ## MAP: L-BFGS-B from several prior draws (the SFH posterior is multimodal)

# %%
t0 = time.perf_counter()
starts = spec.sample_batch(jax.random.key(0), 4 if args.quick else 12)
fits = []


def neg_log_post(x):
    return -log_post(x)


for i in range(len(starts[NAMES[0]])):  # one objective object: compiled once for all starts
    x0 = {n: float(starts[n][i]) for n in NAMES}
    fits.append(iu.minimize_lbfgs(neg_log_post, x0, bounds=BOUNDS, maxiter=2000, ftol=1e-14))
best = min(fits, key=lambda f: f.fun)
x_map = {n: float(v) for n, v in best.params.items()}
result["map_s"] = time.perf_counter() - t0
result["map"] = x_map
result["map_chi2"] = float(np.sum(((np.asarray(model.predict_photometry(x_map)) - obs) / err) ** 2))
print(f"MAP ({result['map_s']:.1f} s):", {k: round(v, 3) for k, v in x_map.items()})
print(f"chi^2 at MAP: {result['map_chi2']:.2f} for 5 bands")

# %% [markdown]
# ## Laplace (in the unconstrained coordinates, so the draws respect the prior bounds)

# %%
# the x-space MAP may sit on a prior bound (tau_bc = 0, the SFH slopes at their limits):
# start the unconstrained fit just inside; the Jacobian keeps its mode inside
inside = {
    n: float(
        np.clip(
            v,
            BOUNDS[n][0] + 1e-3 * (BOUNDS[n][1] - BOUNDS[n][0]),
            BOUNDS[n][1] - 1e-3 * (BOUNDS[n][1] - BOUNDS[n][0]),
        )
    )
    for n, v in x_map.items()
}
u_fit = iu.minimize_lbfgs(lambda u: -log_post_u(u), u_of_x(inside), maxiter=2000)
lap = iu.laplace(lambda u: -log_post_u(u), u_fit.params)
post = {"Laplace": draws_x(iu.laplace_sample(lap, jax.random.key(1), 4000))}

# %% [markdown]
# ## Pathfinder, NUTS and SVI

# %%
t0 = time.perf_counter()
pf = iu.run_pathfinder(log_post_u, u_fit.params, jax.random.key(2), num_samples=4000)
post["Pathfinder"] = draws_x(pf.samples)
result["pathfinder_s"] = time.perf_counter() - t0

warm, draws, chains = (200, 200, 2) if args.quick else (1000, 1000, 4)
t0 = time.perf_counter()
nuts = iu.run_nuts(
    log_post_u,
    u_fit.params,
    jax.random.key(3),
    num_warmup=warm,
    num_samples=draws,
    num_chains=chains,
    init_scale=0.1,
    target_accept=0.95,  # mass piles up against prior bounds: small steps, few divergences
    max_num_doublings=8,
    progress_bar=not args.quick,
)
result["nuts_s"] = time.perf_counter() - t0
post["NUTS"] = draws_x(nuts.samples)
table = iu.summary(
    {n: iu.to_bounded(nuts.samples[n], *BOUNDS[n]) for n in NAMES}, is_divergent=nuts.is_divergent
)
print(iu.format_summary(table))
result["nuts_max_rhat"] = float(max(np.max(table[n]["r_hat"]) for n in NAMES))
result["nuts_min_ess"] = float(min(np.min(table[n]["ess_bulk"]) for n in NAMES))
result["nuts_divergences"] = nuts.num_divergent

# SVI starts from the centre of the Laplace approximation (the x-space MAP sits on bounds).
# The posterior is broad and multimodal (dust, age and metallicity trade off with 5 bands):
# the usual KL(q || p) fit locks onto one mode and excludes the truth in tau_diff, so we
# minimise the mass-covering Renyi divergence (alpha = 0.01, 32 particles) instead.
x_lap = {n: float(v) for n, v in x_of_u(u_fit.params).items()}
t0 = time.perf_counter()
svi = iu.run_svi(
    iu.model_from_logdensity(lambda x: log_post(x), x_lap, bounds=BOUNDS),
    jax.random.key(4),
    guide="AutoMultivariateNormal",
    num_steps=4000,
    learning_rate=5e-3,
    num_particles=32,
    loss="renyi",
    renyi_alpha=0.01,
    num_samples=4000,
    init_params=x_lap,
    progress_bar=not args.quick,
)
post["SVI"] = {n: np.asarray(svi.samples[n]).ravel() for n in NAMES}
result["svi_s"] = time.perf_counter() - t0

# %% [markdown]
# ## Do the posteriors cover the truth?
# For every backend: the posterior quantile of the true value (0.5 is the centre; coverage
# of the central 99 % interval means between 0.005 and 0.995), and the derived stellar mass,
# which photometry constrains far better than the individual SFH parameters.

# %%
derived = jax.jit(jax.vmap(lambda x: model.derived(x)["stellar_mass"]))
true_mstar = float(model.derived(TRUTH)["stellar_mass"])
result["truth"] = TRUTH
result["true_log_mstar"] = float(np.log10(true_mstar))
quantiles, mstar = {}, {}
for name, d in post.items():
    quantiles[name] = {n: float(np.mean(d[n] < TRUTH[n])) for n in NAMES}
    sub = {n: jnp.asarray(d[n][:1000]) for n in NAMES}
    lm = np.log10(np.asarray(derived(sub)))
    mstar[name] = [float(np.mean(lm)), float(np.std(lm))]
    q = ", ".join(f"{n} {quantiles[name][n]:.2f}" for n in NAMES)
    print(f"{name:10s} log M* = {mstar[name][0]:.3f} +- {mstar[name][1]:.3f}; truth quantiles: {q}")
print(f"true log M* = {result['true_log_mstar']:.3f}")
result["truth_quantiles"] = quantiles
result["log_mstar"] = mstar

# %% [markdown]
# ## Batch: 100 and 1,000 galaxies in one compiled call
# Forward model and gradient under ``vmap``, against a Python loop over the single-galaxy
# jitted function; then a MAP fit of every galaxy at once (Adam in the unconstrained
# coordinates under ``lax.scan``, vmapped: one compiled program).

# %%
single = jax.jit(model.predict_photometry)
batched = jax.jit(jax.vmap(model.predict_photometry))
grad_one = jax.jit(jax.grad(lambda x, m, e: log_post(x, m, e)))
batched_grad = jax.jit(jax.vmap(grad_one))
N_STEPS = 1500


def fit_one(m, e):
    u0 = {n: jnp.zeros((), m.dtype) for n in NAMES}  # the prior's centre in u
    run = iu.minimize_optax(lambda u: -log_post_u(u, m, e), u0, optax.adam(0.05), N_STEPS)
    return x_of_u(run.params), run.losses[-1]


batched_fit = jax.jit(jax.vmap(fit_one))


def timed(fn, *a, repeat=5):
    """(compile time, median warm time [s], output) of a jitted function; with repeat=1 the
    single run is the timed one."""
    t0 = time.perf_counter()
    compiled = fn.lower(*a).compile()
    compile_s = time.perf_counter() - t0
    if repeat > 1:
        jax.block_until_ready(compiled(*a))
    ts = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = jax.block_until_ready(compiled(*a))
        ts.append(time.perf_counter() - t0)
    return compile_s, float(np.median(ts)), out


batch = {}
for n_gal in (100, 1000):
    truths = spec.sample_batch(jax.random.key(n_gal), n_gal)
    m_true = jax.vmap(model.predict_photometry)(truths)
    e_true = 0.05 * m_true
    m_obs = m_true + e_true * jax.random.normal(jax.random.key(n_gal + 1), m_true.shape)
    row = {}
    row["forward_compile_s"], t, _ = timed(batched, truths)
    row["forward_ms_per_galaxy"] = t / n_gal * 1e3
    row["gradient_compile_s"], t, _ = timed(batched_grad, truths, m_obs, e_true)
    row["gradient_ms_per_galaxy"] = t / n_gal * 1e3
    if n_gal == 100:
        one = {n: truths[n][0] for n in NAMES}
        single(one).block_until_ready()
        t0 = time.perf_counter()
        for i in range(n_gal):
            single({n: truths[n][i] for n in NAMES}).block_until_ready()
        row["python_loop_ms_per_galaxy"] = (time.perf_counter() - t0) / n_gal * 1e3
        row["vmap_speedup_vs_loop"] = (
            row["python_loop_ms_per_galaxy"] / row["forward_ms_per_galaxy"]
        )
    if n_gal == 100 or not args.quick:
        row["map_compile_s"], row["map_fit_s"], (x_fit, _) = timed(
            batched_fit, m_obs, e_true, repeat=1
        )
        chi2 = np.sum(
            ((np.asarray(batched(x_fit)) - np.asarray(m_obs)) / np.asarray(e_true)) ** 2, 1
        )
        lm_fit = np.log10(np.asarray(derived(x_fit)))
        lm_true = np.log10(np.asarray(derived(truths)))
        row["map_median_chi2"] = float(np.median(chi2))
        row["map_log_mstar_median_abs_err"] = float(np.median(np.abs(lm_fit - lm_true)))
    batch[n_gal] = row
    print(n_gal, "galaxies:", {k: round(v, 4) for k, v in row.items()})
result["batch"] = batch

# %% [markdown]
# ## Figures: the backends compared (corner) and the SED with the photometry

# %%
if not args.quick:
    import matplotlib.pyplot as plt

    colors = {"NUTS": "k", "Laplace": "C0", "Pathfinder": "C1", "SVI": "C2"}
    # the SFH slopes have log-uniform priors: show them as log10
    log_axes = {n for n in NAMES if isinstance(spec.priors[n], sp.LogUniform)}

    def shown(n, v):
        return np.log10(v) if n in log_axes else v

    def label(n):
        return f"log10 {n}" if n in log_axes else n

    d = len(NAMES)
    fig, axes = plt.subplots(d, d, figsize=(13, 13))
    for i, ni in enumerate(NAMES):
        for j, nj in enumerate(NAMES):
            ax = axes[i, j]
            if j > i:
                ax.axis("off")
                continue
            for name, s in post.items():
                xj, xi = shown(nj, s[nj]), shown(ni, s[ni])
                if i == j:
                    ax.hist(
                        xi, bins=40, histtype="step", density=True, color=colors[name], label=name
                    )
                else:
                    ax.plot(xj[:800], xi[:800], ".", ms=1, alpha=0.3, color=colors[name])
            ax.axvline(shown(nj, TRUTH[nj]), color="r", lw=0.8)
            if i != j:
                ax.axhline(shown(ni, TRUTH[ni]), color="r", lw=0.8)
            if i == d - 1:
                ax.set_xlabel(label(nj))
            if j == 0 and i > 0:
                ax.set_ylabel(label(ni))
    fig.legend(*axes[0, 0].get_legend_handles_labels(), loc="upper right", fontsize=10)
    fig.suptitle(
        "Posterior of the 7-parameter SED model: NUTS, Laplace, Pathfinder, SVI (red: truth)"
    )
    fig.subplots_adjust(left=0.06, right=0.98, bottom=0.05, top=0.95, wspace=0.25, hspace=0.25)
    fig.savefig(figure_path(args.figdir, "galaxy_sed_corner.png"), dpi=90)

    spec_fn = jax.jit(jax.vmap(lambda x: model.predict_spectrum(x).fnu_maggies))
    sub = {n: jnp.asarray(post["NUTS"][n][:: max(1, len(post["NUTS"][n]) // 200)]) for n in NAMES}
    seds = np.asarray(spec_fn(sub))
    lam = np.asarray(model.predict_spectrum(TRUTH).wave_obs_aa)
    lo, mid, hi = np.percentile(seds, [16, 50, 84], axis=0)
    fig, ax = plt.subplots(figsize=(9, 5))
    ax.fill_between(lam, lo, hi, color="C0", alpha=0.3, label="NUTS 68 %")
    ax.plot(lam, mid, color="C0", lw=1, label="NUTS median")
    ax.plot(lam, np.asarray(model.predict_spectrum(TRUTH).fnu_maggies), "k", lw=0.6, label="truth")
    pivots = [
        np.sqrt(
            np.trapezoid(f.response * f.wave_aa, f.wave_aa)
            / np.trapezoid(f.response / f.wave_aa, f.wave_aa)
        )
        for f in model.filters
    ]
    ax.errorbar(pivots, obs, yerr=err, fmt="o", color="r", label="observed ugriz")
    ax.set(
        xscale="log",
        yscale="log",
        xlim=(2500, 12000),
        xlabel="observed wavelength [A]",
        ylabel="f_nu [maggies]",
        ylim=(mid[(lam > 2500) & (lam < 12000)].min() / 3, hi.max() * 2),
    )
    ax.legend()
    fig.savefig(figure_path(args.figdir, "galaxy_sed_spectrum.png"), dpi=100)

result["total_s"] = time.perf_counter() - t_start
print_result(result)
