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
# The same posterior goes to MAP (L-BFGS-B), Laplace, Pathfinder, NUTS (blackjax), SVI
# (numpyro), nested sampling (blackjax, with the evidence) and geoVI (NIFTy), all through
# ``jaxstro.infer_utils``; then the same galaxy in ten bands (GALEX + SDSS + 2MASS) shows how
# the posterior tightens. Last, the batch: the forward model, its gradient and a MAP fit for
# 100 and 1,000 galaxies in single compiled calls.
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
import numpyro.distributions as dist
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


# Unconstrained coordinates. For the batch MAP fits below: u = logit of each parameter's
# position in its prior box.
def x_of_u(u):
    return {n: iu.to_bounded(u[n], *BOUNDS[n]) for n in NAMES}


def log_post_u(u, maggies=obs, maggies_err=err):
    jac = sum(iu.log_abs_det_jacobian(u[n], *BOUNDS[n]) for n in NAMES)
    return log_post(x_of_u(u), maggies, maggies_err) + jac


# For the samplers, two changes chosen by measurement (benchmarks/bench_sed_nuts.py, issue 12):
# * the SFH slopes alpha, beta have log-uniform priors over three decades: their box is taken
#   in log (where the prior is uniform), not squeezed into a corner of the linear box;
# * the SFH normalisation log_peak_sfr is replaced by (a logit-scaled) log10 of the mass
#   formed, v = u_peak + s log10 f(tau, alpha, beta), f the mass formed at log_peak_sfr = 0.
#   Photometry fixes the mass, not the peak SFR: in (u_peak, rest) the posterior is a curved
#   ridge, in (v, rest) nearly a linear one that a dense mass matrix absorbs. The map shifts
#   u_peak by a function of the other coordinates: unit Jacobian, no new bounds, exact.
LOG_BOX = {n for n in NAMES if isinstance(spec.priors[n], sp.LogUniform)}
BOX = {n: tuple(np.log(BOUNDS[n])) if n in LOG_BOX else BOUNDS[n] for n in NAMES}
S_PEAK = 4.0 / (BOUNDS["log_peak_sfr"][1] - BOUNDS["log_peak_sfr"][0])  # du/dx at the centre


def _x_of_box_u(u):
    v = {n: iu.to_bounded(u[n], *BOX[n]) for n in NAMES}
    return {n: jnp.exp(v[n]) if n in LOG_BOX else v[n] for n in NAMES}


def _log10_f(x):
    """log10 of the mass formed [M_sun] by the SFH shape of x at log_peak_sfr = 0 (any bands:
    the SFH does not depend on the observation)."""
    x0 = dict(x, log_peak_sfr=jnp.zeros_like(x["log_peak_sfr"]))
    return jnp.log10(model.derived(x0)["mass_formed"])


def _box_u_of_v(v):
    x_rest = _x_of_box_u(dict(v, log_peak_sfr=jnp.zeros_like(v["log_peak_sfr"])))
    return dict(v, log_peak_sfr=v["log_peak_sfr"] - S_PEAK * _log10_f(x_rest))


def x_of_v(v):
    """Sampler coordinates (one galaxy: scalar leaves; jax.vmap for draws) -> parameters."""
    return _x_of_box_u(_box_u_of_v(v))


def v_of_x(x):
    x = {n: jnp.asarray(x[n], dtype=float) for n in NAMES}
    u = {n: iu.to_unbounded(jnp.log(x[n]) if n in LOG_BOX else x[n], *BOX[n]) for n in NAMES}
    return dict(u, log_peak_sfr=u["log_peak_sfr"] + S_PEAK * _log10_f(x))


def make_log_post_v(model_, maggies, maggies_err):
    """Log posterior in the sampler coordinates, Jacobian of v -> x included."""

    def log_post_v(v):
        u = _box_u_of_v(v)
        jac = sum(iu.log_abs_det_jacobian(u[n], *BOX[n]) for n in NAMES)
        jac = jac + sum(iu.to_bounded(u[n], *BOX[n]) for n in LOG_BOX)  # d alpha / d log alpha
        return model_.log_prob(_x_of_box_u(u), maggies, maggies_err) + jac

    return log_post_v


log_post_v = make_log_post_v(model, obs, err)
_x_of_v_batch = jax.jit(jax.vmap(x_of_v))


def draws_x(samples_v):
    """Draws in the sampler coordinates (any leading axes) -> dict of flat numpy arrays."""
    flat = {n: jnp.reshape(samples_v[n], (-1,)) for n in NAMES}
    return {n: np.asarray(v) for n, v in _x_of_v_batch(flat).items()}


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
# ## Laplace (in the sampler coordinates, so the draws respect the prior bounds)


# %%
# the x-space MAP may sit on a prior bound (tau_bc = 0, the SFH slopes at their limits):
# start the unconstrained fit just inside; the Jacobian keeps its mode inside
def inside(x):
    return {
        n: float(np.clip(v, *np.add(BOUNDS[n], np.multiply(1e-3 * np.ptp(BOUNDS[n]), (1, -1)))))
        for n, v in x.items()
    }


wall = {}
t0 = time.perf_counter()
v_fit = iu.minimize_lbfgs(lambda v: -log_post_v(v), v_of_x(inside(x_map)), maxiter=2000)
lap = iu.laplace(lambda v: -log_post_v(v), v_fit.params)
post = {"Laplace": draws_x(iu.laplace_sample(lap, jax.random.key(1), 4000))}
wall["Laplace"] = time.perf_counter() - t0

# %% [markdown]
# ## Pathfinder, NUTS and SVI
# NUTS with a dense mass matrix started at the Laplace covariance: the chains take
# well-scaled steps from the first warm-up iteration, so 500 warm-up steps suffice (the mass
# matrix is still re-estimated in the warm-up's slow windows). Measured on this problem
# (benchmarks/bench_sed_nuts.py, 4 chains x 1000 draws, two seeds): see the docstring there.

# %%
t0 = time.perf_counter()
pf = iu.run_pathfinder(
    log_post_v, v_fit.params, jax.random.key(2), num_samples=1000 if args.quick else 4000
)
post["Pathfinder"] = draws_x(pf.samples)
wall["Pathfinder"] = result["pathfinder_s"] = time.perf_counter() - t0

NUTS_WARMUP, NUTS_TARGET_ACCEPT = 500, 0.95  # chosen by benchmarks/bench_sed_nuts.py


def run_nuts_v(log_density, v_start, laplace_cov, key, *, warm=NUTS_WARMUP, draws=1000, chains=4):
    if args.quick:
        warm, draws, chains = 100, 150, 2
    return iu.run_nuts(
        log_density,
        v_start,
        key,
        num_warmup=warm,
        num_samples=draws,
        num_chains=chains,
        init_scale=0.1,
        dense_mass=True,
        initial_inverse_mass_matrix=laplace_cov,
        target_accept=NUTS_TARGET_ACCEPT,
        max_num_doublings=8,
        progress_bar=not args.quick,
    )


t0 = time.perf_counter()
nuts = run_nuts_v(log_post_v, v_fit.params, lap.cov, jax.random.key(3))
wall["NUTS"] = result["nuts_s"] = time.perf_counter() - t0
post["NUTS"] = draws_x(nuts.samples)
table = iu.summary(
    {n: v.reshape(nuts.is_divergent.shape) for n, v in post["NUTS"].items()},
    is_divergent=nuts.is_divergent,
)
print(iu.format_summary(table))
result["nuts_max_rhat"] = float(max(np.max(table[n]["r_hat"]) for n in NAMES))
result["nuts_min_ess"] = float(min(np.min(table[n]["ess_bulk"]) for n in NAMES))
result["nuts_divergences"] = nuts.num_divergent
result["nuts_mean_steps"] = float(np.mean(np.asarray(nuts.num_integration_steps)))

# SVI starts from the centre of the Laplace approximation (the x-space MAP sits on bounds).
# The posterior is broad and multimodal (dust, age and metallicity trade off with 5 bands):
# the usual KL(q || p) fit locks onto one mode and excludes the truth in tau_diff, so we
# minimise the mass-covering Renyi divergence (alpha = 0.01, 32 particles) instead.
x_lap = {n: float(v) for n, v in x_of_v(v_fit.params).items()}
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
wall["SVI"] = result["svi_s"] = time.perf_counter() - t0

# %% [markdown]
# ## Nested sampling and geoVI
# Nested sampling (blackjax nested slice sampling) needs only the likelihood and the prior as
# numpyro distributions; it also gives the evidence ln Z. geoVI (NIFTy) works in nifty's
# native form: standard-normal latents xi, pushed through each prior's inverse CDF, a forward
# model of the maggies and the Gaussian noise.

# %%
PRIORS = {n: dist.LogUniform(*BOUNDS[n]) if n in LOG_BOX else BOUNDS[n] for n in NAMES}
t0 = time.perf_counter()
ns = iu.run_nested(
    lambda x: model.log_likelihood(x, obs, err),
    PRIORS,
    jax.random.key(5),
    num_live=100 if args.quick else 300,
    progress_bar=not args.quick,
)
post["Nested"] = {n: np.asarray(v).ravel() for n, v in ns.samples.items()}
wall["Nested"] = time.perf_counter() - t0
result["nested_log_evidence"] = [ns.log_evidence, ns.log_evidence_err]
print(f"nested sampling: ln Z = {ns.log_evidence:.2f} +- {ns.log_evidence_err:.2f}")


def x_of_xi(xi):
    """Standard-normal latents -> parameters through each prior's inverse CDF."""
    x = {}
    for n in NAMES:
        lo, hi = BOX[n]
        q = lo + (hi - lo) * jax.scipy.stats.norm.cdf(xi[n])
        x[n] = jnp.exp(q) if n in LOG_BOX else q
    return x


t0 = time.perf_counter()
geo = iu.run_geovi_gaussian(
    lambda xi: model.predict_photometry(x_of_xi(xi)),
    jnp.asarray(obs),
    jnp.asarray(err),
    {n: jnp.zeros(()) for n in NAMES},  # the prior median
    jax.random.key(6),
    num_samples=6 if args.quick else 50,
    num_iterations=2 if args.quick else 6,
)
post["geoVI"] = {n: np.asarray(v) for n, v in jax.vmap(x_of_xi)(geo.samples).items()}
wall["geoVI"] = time.perf_counter() - t0

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

# the backends side by side: posterior mean +- sd (the SFH slopes as log10), wall time
shown_log = {n: f"log10 {n}" if n in LOG_BOX else n for n in NAMES}
backends = {}
print(f"{'backend':11s} {'wall s':>7s}  " + "  ".join(f"{shown_log[n]:>15s}" for n in NAMES))
print(
    f"{'truth':11s} {'':>7s}  "
    + "  ".join(f"{(np.log10(TRUTH[n]) if n in LOG_BOX else TRUTH[n]):15.3f}" for n in NAMES)
)
for name, d in post.items():
    vals = {n: np.log10(d[n]) if n in LOG_BOX else d[n] for n in NAMES}
    backends[name] = {
        "wall_s": wall[name],
        "mean": {n: float(np.mean(vals[n])) for n in NAMES},
        "sd": {n: float(np.std(vals[n])) for n in NAMES},
    }
    cells = "  ".join(f"{np.mean(vals[n]):7.3f}+-{np.std(vals[n]):6.3f}" for n in NAMES)
    print(f"{name:11s} {wall[name]:7.1f}  {cells}")
result["backends"] = backends

# %% [markdown]
# ## More bands: GALEX FUV/NUV + SDSS ugriz + 2MASS JHKs
# The same galaxy observed in ten bands (5 % errors). The ultraviolet sees the young stars
# and the birth-cloud dust, the near-infrared the old stars' mass: the posterior tightens.
# WISE W1/W2 (which speclite also ships) are not used: at z = 0.1 they need rest wavelengths
# up to 4.7 um and the shipped BC03 grid ends at 3 um (the model raises rather than
# extrapolate).

# %%
BANDS10 = ("galex-fuv", "galex-nuv", *sp.SDSS_UGRIZ, "twomass-J", "twomass-H", "twomass-Ks")
model10 = sp.SEDModel(spec, ssp, sp.Observation(BANDS10))
true10 = np.asarray(model10.predict_photometry(TRUTH))
err10 = 0.05 * true10
obs10 = true10 + err10 * np.asarray(jax.random.normal(jax.random.key(43), true10.shape))
log_post_v10 = make_log_post_v(model10, obs10, err10)


def neg_log_post_v10(v):  # one objective object: compiled once for all starts
    return -log_post_v10(v)


# NUTS as above, shorter (2 chains x 500 draws: the comparison needs the posterior widths, not
# the ugriz run's diagnostics);
# --quick compares the Laplace approximations instead, to stay within CI's time
REF = "Laplace" if args.quick else "NUTS"
t0 = time.perf_counter()
fits10 = [
    iu.minimize_lbfgs(
        neg_log_post_v10, v_of_x(inside({n: float(starts[n][i]) for n in NAMES})), maxiter=2000
    )
    for i in range(2 if args.quick else 4)
]
v10 = min(fits10, key=lambda f: f.fun)
lap10 = iu.laplace(neg_log_post_v10, v10.params)
bands10 = {}
if args.quick:
    post10 = draws_x(iu.laplace_sample(lap10, jax.random.key(7), 4000))
else:
    nuts10 = run_nuts_v(
        log_post_v10,
        v10.params,
        lap10.cov,
        jax.random.key(7),
        warm=300,
        draws=500,
        chains=2,
    )
    post10 = draws_x(nuts10.samples)
    tab10 = iu.summary(
        {n: v.reshape(nuts10.is_divergent.shape) for n, v in post10.items()},
        is_divergent=nuts10.is_divergent,
    )
    bands10["max_rhat"] = float(max(np.max(tab10[n]["r_hat"]) for n in NAMES))
    bands10["divergences"] = nuts10.num_divergent
lm10 = np.log10(np.asarray(derived({n: jnp.asarray(v[:1000]) for n, v in post10.items()})))
bands10.update(
    backend=REF,
    wall_s=time.perf_counter() - t0,
    truth_quantiles={n: float(np.mean(post10[n] < TRUTH[n])) for n in NAMES},
    log_mstar=[float(np.mean(lm10)), float(np.std(lm10))],
    sd_ratio_10_over_5={},
)
print(f"posterior sd, ugriz -> 10 bands ({REF}):")
for n in NAMES:
    f = np.log10 if n in LOG_BOX else (lambda a: a)
    sd5, sd10 = float(np.std(f(post[REF][n]))), float(np.std(f(post10[n])))
    bands10["sd_ratio_10_over_5"][n] = sd10 / sd5
    print(f"  {shown_log[n]:15s} {sd5:7.3f} -> {sd10:7.3f}")
print(f"  log10 M*        {mstar[REF][1]:7.3f} -> {bands10['log_mstar'][1]:7.3f}")
result["bands10"] = bands10

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

    colors = {
        "NUTS": "k",
        "Laplace": "C0",
        "Pathfinder": "C1",
        "SVI": "C2",
        "Nested": "C5",
        "geoVI": "C4",
    }
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
    fig.suptitle("Posterior of the 7-parameter SED model, every backend (red: truth)")
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

    # how the posterior tightens from 5 to 10 bands (NUTS; Laplace with --quick), with log10 M*
    fig, axes = plt.subplots(2, 4, figsize=(14, 6))
    panels = [*NAMES, "log10 M*"]
    lm5 = np.log10(np.asarray(derived({n: jnp.asarray(v[:4000]) for n, v in post[REF].items()})))
    lm10 = np.log10(np.asarray(derived({n: jnp.asarray(v[:4000]) for n, v in post10.items()})))
    for ax, n in zip(axes.ravel(), panels, strict=True):
        if n == "log10 M*":
            a5, a10, t = lm5, lm10, result["true_log_mstar"]
        else:
            a5, a10, t = shown(n, post[REF][n]), shown(n, post10[n]), shown(n, TRUTH[n])
        bins = np.linspace(min(a5.min(), a10.min()), max(a5.max(), a10.max()), 50)
        ax.hist(a5, bins=bins, histtype="step", density=True, color="C0", label="ugriz")
        ax.hist(a10, bins=bins, histtype="step", density=True, color="C3", label="10 bands")
        ax.axvline(t, color="k", lw=0.8)
        ax.set_xlabel(n if n == "log10 M*" else label(n))
    axes[0, 0].legend()
    fig.suptitle(f"{REF} posteriors: SDSS ugriz vs GALEX + ugriz + 2MASS (black: truth)")
    fig.tight_layout()
    fig.savefig(figure_path(args.figdir, "galaxy_sed_bands.png"), dpi=90)

result["total_s"] = time.perf_counter() - t_start
print_result(result)
