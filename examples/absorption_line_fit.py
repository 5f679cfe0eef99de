# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # A differentiable absorption line: from one Voigt profile to the CO band head
#
# A single line seen in absorption, ``f(nu) = exp(-N sigma(nu))`` with
# ``sigma = S V(nu - nu0; beta, gamma)`` (``jaxstro.opacity.voigt``), observed with Gaussian
# noise. We map chi^2 over (log10 N, log10 beta) with ``vmap``, follow steepest descent and
# Adam over that map, then sample the posterior with NUTS and fit it with SVI
# (``jaxstro.infer_utils``) and compare both with the truth. Finally the real thing: CO
# cross sections at 500 K and 1500 K around the 2-0 band head from the HITEMP sample.
#
# Run: ``python examples/absorption_line_fit.py [--quick]``.

# %%
import time

import jax
import jax.numpy as jnp
import numpy as np
import optax
from _common import figure_path, parse_args, print_result

import jaxstro.infer_utils as iu
from jaxstro.linedb import datasets, read_hitran
from jaxstro.opacity import make_calculator, voigt, wavenumber_grid

jax.config.update("jax_enable_x64", True)
args = parse_args(__doc__ or "absorption line fit")
result = {}

# %% [markdown]
# ## Synthetic data
# Line strength S = 1e-20 cm/molecule, Lorentz HWHM gamma = 0.01 cm^-1 (known); unknown
# column N and Doppler sigma beta. Noise 1 % of the continuum.

# %%
S, GAMMA, NOISE = 1e-20, 0.01, 0.01
TRUTH = {"log_n": 19.3, "log_beta": -1.3}
nu = jnp.linspace(-0.6, 0.6, 241)


def model_flux(p):
    sigma = S * voigt(nu, 10.0 ** p["log_beta"], GAMMA)
    return jnp.exp(-(10.0 ** p["log_n"]) * sigma)


key = jax.random.key(3)
data = model_flux(TRUTH) + NOISE * jax.random.normal(key, nu.shape)


def chi2(p):
    return jnp.sum(((data - model_flux(p)) / NOISE) ** 2)


BOUNDS = {"log_n": (18.0, 21.0), "log_beta": (-2.5, -0.5)}


def log_posterior(p):
    # flat priors; the posterior sits deep inside BOUNDS (used by the SVI model's supports)
    return -0.5 * chi2(p)


# %% [markdown]
# ## The chi^2 map (vmap over a 120 x 120 grid)

# %%
ln_grid = jnp.linspace(18.6, 20.0, 120)
lb_grid = jnp.linspace(-1.8, -0.8, 120)
t0 = time.perf_counter()
chi2_map = jax.jit(
    jax.vmap(jax.vmap(lambda a, b: chi2({"log_n": a, "log_beta": b}), (None, 0)), (0, None))
)(ln_grid, lb_grid).block_until_ready()
result["chi2_map_s"] = time.perf_counter() - t0
i, j = np.unravel_index(np.argmin(np.asarray(chi2_map)), chi2_map.shape)
result["chi2_map_min"] = {"log_n": float(ln_grid[i]), "log_beta": float(lb_grid[j])}

# %% [markdown]
# ## Steepest descent and Adam on the same surface
# Both start from the same poor guess; the loss is chi^2 / n_points.

# %%
start = {"log_n": jnp.asarray(18.8), "log_beta": jnp.asarray(-1.0)}
n = nu.size
steps = 300 if args.quick else 1500
sd_run = iu.minimize_optax(lambda p: chi2(p) / n, start, optax.sgd(1e-4), steps)
adam_run = iu.minimize_optax(lambda p: chi2(p) / n, start, optax.adam(2e-2), steps)
fit = iu.minimize_lbfgs(lambda p: chi2(p) / n, adam_run.params)
for name, r in (("steepest_descent", sd_run), ("adam", adam_run)):
    result[name] = {k: float(v) for k, v in r.params.items()}
    result[name + "_final_chi2"] = float(chi2(r.params))
result["map"] = {k: float(v) for k, v in fit.params.items()}
result["map_chi2"] = float(chi2(fit.params))

# %% [markdown]
# ## NUTS (blackjax, through infer-utils) and SVI (numpyro AutoMultivariateNormal)

# %%
warm, draws, chains = (200, 300, 2) if args.quick else (1000, 2000, 4)
t0 = time.perf_counter()
post = iu.run_nuts(
    log_posterior,
    fit.params,
    jax.random.key(11),
    num_warmup=warm,
    num_samples=draws,
    num_chains=chains,
    progress_bar=not args.quick,
)
result["nuts_s"] = time.perf_counter() - t0
tab = iu.summary(post.samples, is_divergent=post.is_divergent)
print(iu.format_summary(tab))
svi_model = iu.model_from_logdensity(log_posterior, fit.params, bounds=BOUNDS)
svi = iu.run_svi(
    svi_model,
    jax.random.key(12),
    guide="AutoMultivariateNormal",
    num_steps=4000 if args.quick else 10000,
    learning_rate=1e-2,
    num_samples=2000,
    init_params=fit.params,
    progress_bar=not args.quick,
)
nuts_mean, nuts_sd, svi_mean, svi_sd, pulls = {}, {}, {}, {}, {}
for k in TRUTH:
    d = np.asarray(post.samples[k]).ravel()
    s = np.asarray(svi.samples[k]).ravel()
    nuts_mean[k], nuts_sd[k] = float(d.mean()), float(d.std())
    svi_mean[k], svi_sd[k] = float(s.mean()), float(s.std())
    pulls[k] = (nuts_mean[k] - TRUTH[k]) / nuts_sd[k]
result.update(
    truth=TRUTH,
    nuts_mean=nuts_mean,
    nuts_sd=nuts_sd,
    svi_mean=svi_mean,
    svi_sd=svi_sd,
    nuts_pull=pulls,
    nuts_max_rhat=float(max(np.max(tab[k]["r_hat"]) for k in TRUTH)),
    nuts_divergences=post.num_divergent,
)
print(
    {
        k: f"truth {TRUTH[k]}, NUTS {nuts_mean[k]:.4f} +- {nuts_sd[k]:.4f}, "
        f"SVI {svi_mean[k]:.4f} +- {svi_sd[k]:.4f}"
        for k in TRUTH
    }
)

# %% [markdown]
# ## The real CO band head (HITEMP sample, PreMODIT, R ~ 10^6)

# %%
lines = read_hitran(datasets.sample_path("co_hitemp"))
grid, wav, resolving_power = wavenumber_grid(22880.0, 23000.0, 6000, unit="AA")
t0 = time.perf_counter()
calc = make_calculator(lines, grid, method="premodit", robust_range=(400.0, 2000.0))
result["premodit_prepare_s"] = time.perf_counter() - t0
xs_fn = jax.jit(calc.xsmatrix)
xs = np.asarray(xs_fn(jnp.array([500.0, 1500.0]), jnp.array([1.0, 1.0])))
t0 = time.perf_counter()
xs_fn(jnp.array([500.0, 1500.0]), jnp.array([1.0, 1.0])).block_until_ready()
result["co_xsmatrix_2layers_s"] = time.perf_counter() - t0
result["co_xs_max_500K"] = float(xs[0].max())
result["co_xs_max_1500K"] = float(xs[1].max())
# band head: the shortest wavelength where the 500 K cross section reaches 10 % of its peak
strong = np.flatnonzero(xs[0] > 0.1 * xs[0].max())
result["co_500K_bluest_strong_AA"] = float(wav[strong].min())
result["resolving_power"] = resolving_power

# %% [markdown]
# ## Figures

# %%
if not args.quick:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(1, 3, figsize=(15, 4.3))
    ax[0].errorbar(nu, data, NOISE, fmt=".", ms=3, color="0.4", label="data")
    ax[0].plot(nu, model_flux(TRUTH), "k-", label="truth")
    ax[0].plot(nu, model_flux(fit.params), "C3--", label="MAP")
    ax[0].set(xlabel=r"$\nu - \nu_0$ [cm$^{-1}$]", ylabel="flux", title="one Voigt line")
    ax[0].legend()
    c = ax[1].contourf(lb_grid, ln_grid, np.log10(chi2_map), 30, cmap="viridis")
    fig.colorbar(c, ax=ax[1], label=r"log$_{10}\,\chi^2$")
    for name, r, col in (("steepest descent", sd_run, "w"), ("Adam", adam_run, "C1")):
        ax[1].plot(r.trajectory["log_beta"], r.trajectory["log_n"], color=col, label=name)
    ax[1].plot(TRUTH["log_beta"], TRUTH["log_n"], "r*", ms=12, label="truth")
    ax[1].set(xlabel=r"log$_{10}\,\beta$", ylabel=r"log$_{10}\,N$", title="chi^2 map")
    ax[1].legend(loc="lower right", fontsize=8)
    d = {k: np.asarray(post.samples[k]).ravel() for k in TRUTH}
    s = {k: np.asarray(svi.samples[k]).ravel() for k in TRUTH}
    ax[2].plot(d["log_beta"], d["log_n"], "o", ms=1.5, alpha=0.3, mew=0, label="NUTS")
    ax[2].plot(s["log_beta"], s["log_n"], "o", ms=1.5, alpha=0.3, mew=0, label="SVI (AutoMVN)")
    ax[2].plot(TRUTH["log_beta"], TRUTH["log_n"], "r*", ms=12, label="truth")
    ax[2].set(xlabel=r"log$_{10}\,\beta$", ylabel=r"log$_{10}\,N$", title="posterior")
    ax[2].tick_params(axis="x", labelrotation=30)
    ax[2].legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    fig.savefig(figure_path(args.figdir, "absorption_line_fit.png"), dpi=120)

    fig, ax = plt.subplots(figsize=(10, 4))
    for k, t in enumerate((500, 1500)):
        ax.semilogy(wav, xs[k], lw=0.6, label=f"{t} K, 1 bar")
    ax.set(
        xlabel=r"wavelength [$\AA$]",
        ylabel=r"cross section [cm$^2$]",
        title="CO 2-0 band head (HITEMP, PreMODIT)",
        ylim=(1e-26, None),
    )
    ax.legend()
    fig.tight_layout()
    fig.savefig(figure_path(args.figdir, "co_bandhead.png"), dpi=120)

print_result(result)
