# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # Emission retrieval: CO + H2-H2 CIA at R ~ 10^6, every inference backend
#
# ExoJAX's get-started tutorial on the project's shipped data: an ESLOG grid of 3,500 points
# over 22920-23000 Angstrom, CO lines from the shipped ExoMol (Li 2015) sample with PreMODIT
# cross sections (robust range 500-1500 K), H2-H2 collision-induced absorption, 100 layers
# from 1e1 to 1e-5 bar with a power-law T-P profile T0 (P / 1 bar)^alpha clipped to
# 500-1500 K, 8-stream intensity-based emission, rigid rotation, a Gaussian instrumental
# profile (R = 70,000) and a radial-velocity shift onto the observed grid (every 5th model
# point without the last 50). The forward model is ``examples/_emission.py`` (linedb ->
# opacity -> rtransfer -> specops), checked against ExoJAX 2.6 in
# ``integration_tests/test_emission_pipeline.py``.
#
# A mock spectrum (truth: 1 R_J, 10 M_J, RV 40 km/s, CO mass mixing ratio 0.01, T0 1200 K,
# alpha 0.1, vsini 10 km/s; Gaussian noise 500 in the flux units of the model,
# erg s^-1 cm^-2 (cm^-1)^-1, as ExoJAX's) is retrieved with one log density - priors
# logg ~ U(4, 5), RV ~ U(35, 45), MMR ~ U(0, 0.015), T0 ~ U(1000, 1500), alpha ~ U(0.05, 0.2),
# vsini ~ U(5, 15), sigma ~ Exponential(1e-3) - by MAP (L-BFGS-B), Laplace, SVI
# (AutoMultivariateNormal and AutoBNAFNormal, Adam 0.01), NUTS and nested sampling (with the
# evidence), all through ``jaxstro.infer_utils.fit``.
#
# Run: ``python examples/emission_retrieval.py [--quick]``. The full run retrieves on the
# tutorial's model and takes hours on a 2-core CPU (one gradient of the log density costs
# ~0.85 s; see ``benchmarks/bench_emission_gradient.py``); ``--quick`` retrieves on a reduced
# model (500 points over 22960-23000 Angstrom, 10 layers). Measured 2026-12-03 on the shared
# 2-core machine under load (~4): 25 min, of which NUTS 11 min (47 leapfrog steps per draw:
# the logg-MMR-T0 degeneracy) and nested sampling 9.5 min - still far from the few minutes
# a CI smoke run should take (open).

# %%
import time
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import numpyro.distributions as dist
from _common import figure_path, parse_args, print_result
from _emission import PARAMS, PRIOR_RANGES, TRUTH, EmissionModel, build_model

import jaxstro.infer_utils as iu
import jaxstro.rtransfer as rt

jax.config.update("jax_enable_x64", True)
args = parse_args(__doc__ or "emission retrieval")
result = {"quick": bool(args.quick)}
stage_s = {}
t_start = time.perf_counter()
warnings.filterwarnings("ignore", message=".*broad.*", category=UserWarning)  # .def fallback

# %% [markdown]
# ## The forward model at the tutorial's size
# ``build_model`` prepares every table once (line list, PreMODIT density, CIA, rotation and
# instrument kernels, resampler) and checks the prior box against the model (the RV range
# against the grid ends, the temperatures against the robust range) before compiling anything.

# %%
t0 = time.perf_counter()
tutorial = build_model()  # 3,500 points x 100 layers, ExoMol CO, PreMODIT
truth = {k: jnp.asarray(v) for k, v in TRUTH.items()}
spectrum = jax.jit(EmissionModel.spectrum)
raw = jax.jit(EmissionModel.raw_spectrum)
observe = jax.jit(EmissionModel.observe)
f_raw = raw(tutorial, truth)
u1, u2 = tutorial.limb_darkening
f_rot = jax.jit(lambda m, f, v: m.rotation.apply(f, v, u1, u2))(tutorial, f_raw, truth["vsini"])
f_ip = jax.jit(lambda m, f: m.instrument.apply(f, m.resolving_power))(tutorial, f_rot)
f_obs = observe(tutorial, f_raw, truth)
xs_two = jax.jit(lambda m: m.opacity.xsmatrix(jnp.array([500.0, 1500.0]), jnp.array([1.0, 1.0])))(
    tutorial
)
stage_s["tutorial_model"] = time.perf_counter() - t0
nu = np.asarray(tutorial.nu_grid)
wav_aa = 1e8 / nu
result["tutorial"] = {
    "n_grid": int(nu.size),
    "n_layers": int(tutorial.layers.p_bar.size),
    "n_lines": tutorial.n_lines,
    "n_obs": int(tutorial.nu_obs.size),
    "raw_flux_median": float(np.median(f_raw)),
    "observed_flux_median": float(np.median(f_obs)),
    "xs_max_500K": float(np.max(xs_two[0])),
    "xs_max_1500K": float(np.max(xs_two[1])),
}
print(
    f"tutorial model: {nu.size} points x {tutorial.layers.p_bar.size} layers, "
    f"{tutorial.n_lines} CO lines, {tutorial.nu_obs.size} observed points "
    f"({stage_s['tutorial_model']:.1f} s incl. compilation)"
)

# %% [markdown]
# ## The retrieval's model and mock data
# The full run retrieves on the tutorial's model itself. ``--quick`` retrieves on a reduced
# model (a narrower grid, fewer points and layers, lines within 10 cm^-1): the same code, a
# smoke test of every backend in minutes.

# %%
if args.quick:
    model = build_model(500, 10, grid_range=(22960.0, 23000.0), obs_drop=20, margin_cm1=10.0)
else:
    model = tutorial
NOISE = 500.0
clean = np.asarray(spectrum(model, truth))
data = jnp.asarray(clean + NOISE * np.asarray(jax.random.normal(jax.random.key(17), clean.shape)))
n_obs = data.size
result["retrieval_model"] = {
    "n_grid": int(model.nu_grid.size),
    "n_layers": int(model.layers.p_bar.size),
    "n_obs": int(n_obs),
    "n_lines": model.n_lines,
}
print("retrieval model:", result["retrieval_model"])

# %% [markdown]
# ## One log density
# Uniform priors (normalised, so the evidence is that of the priors as stated) on the six
# physical parameters and an exponential prior (rate 1e-3, mean 1000) on the noise sigma;
# a Gaussian likelihood. ``fit`` samples in the unconstrained space of ``BOUNDS`` and adds
# the Jacobian itself. Nested sampling takes the likelihood and the same priors as numpyro
# distributions. The noise enters as ``sigma_k`` = sigma / 1000 (prior Exponential(1), the
# same prior in other units; the evidence is unchanged): its logarithm is then of order one,
# where the normalising flow of AutoBNAFNormal starts (with sigma itself it would have to
# move the flow's base by ln 500 ~ 6 first). Tables and plots show sigma.

# %%
NAMES = (*PARAMS, "sigma_k")
SHOWN = (*PARAMS, "sigma")
SIGMA_UNIT = 1000.0  # sigma = SIGMA_UNIT * sigma_k; sigma ~ Exponential(1 / SIGMA_UNIT)
BOUNDS = {**PRIOR_RANGES, "sigma_k": (0.0, None)}
LOG_BOX = -float(sum(np.log(hi - lo) for lo, hi in PRIOR_RANGES.values()))
TRUTH_ALL = {**TRUTH, "sigma": NOISE}


def log_likelihood(p):
    sigma = SIGMA_UNIT * p["sigma_k"]
    r = (data - model.spectrum(p)) / sigma
    return -0.5 * jnp.sum(r**2) - n_obs * jnp.log(sigma) - 0.5 * n_obs * np.log(2 * np.pi)


def log_prior(p):
    return LOG_BOX - p["sigma_k"]


def log_density(p):
    return log_likelihood(p) + log_prior(p)


def chi2(p):
    return float(jnp.sum(((data - spectrum(model, p)) / NOISE) ** 2))


PRIORS = {
    **{k: dist.Uniform(*PRIOR_RANGES[k]) for k in PARAMS},
    "sigma_k": dist.Exponential(1.0),
}


def shown(draws):
    """Draws (or a point) by parameter name, sigma in flux units: 1-D numpy arrays."""
    out = {k: np.asarray(draws[k], dtype=float).ravel() for k in PARAMS}
    out["sigma"] = SIGMA_UNIT * np.asarray(draws["sigma_k"], dtype=float).ravel()
    return out


# %% [markdown]
# ## Laplace first, then MAP (L-BFGS-B)
# L-BFGS-B in the parameters' own units is badly scaled here (MMR ~ 1e-2 next to T0 ~ 1e3):
# from the prior centre it runs MMR and alpha into their bounds and stops there
# (chi^2 ~ 2,600 for 80 points in the quick run). The Laplace fit optimises in the
# unconstrained (logit / log) space, where every parameter is of order one, and finds the
# mode from the prior centre; the MAP proper (no Jacobian) is then polished from there.

# %%
center = {k: 0.5 * (lo + hi) for k, (lo, hi) in PRIOR_RANGES.items()}
# the noise: the scatter of the data about its median, the right order of magnitude
center["sigma_k"] = float(np.std(np.asarray(data) - np.median(np.asarray(data)))) / SIGMA_UNIT
t0 = time.perf_counter()
fits = {
    "Laplace": iu.fit(
        log_density,
        center,
        method="laplace",
        key=jax.random.key(99),
        bounds=BOUNDS,
        num_samples=2000,
    )
}
stage_s["Laplace"] = time.perf_counter() - t0
lap_mode = {k: float(v) for k, v in fits["Laplace"].params.items()}
t0 = time.perf_counter()
fits["MAP"] = iu.fit(log_density, lap_mode, method="map", bounds=BOUNDS, maxiter=500)
stage_s["MAP"] = time.perf_counter() - t0
x_map = {k: float(v) for k, v in fits["MAP"].params.items()}
result["map"] = {k: float(v[0]) for k, v in shown(x_map).items()}
result["map_chi2"] = chi2({k: jnp.asarray(v) for k, v in x_map.items()})
print(f"Laplace {stage_s['Laplace']:.1f} s, MAP {stage_s['MAP']:.1f} s")
print("MAP:", {k: round(v, 4) for k, v in result["map"].items()})
print(f"chi^2 at the MAP: {result['map_chi2']:.1f} for {n_obs} points", flush=True)


# the samplers start just inside the box (a MAP on a bound has no unconstrained image)
def inside(x):
    out = dict(x)
    for k, (lo, hi) in PRIOR_RANGES.items():
        out[k] = float(np.clip(x[k], lo + 1e-3 * (hi - lo), hi - 1e-3 * (hi - lo)))
    return out


start = inside(x_map)

# %% [markdown]
# ## SVI (AutoMultivariateNormal, AutoBNAFNormal), NUTS, nested sampling
# One call each; the settings are the only difference between the quick and the full run.

# %%
Q = args.quick
SVI = dict(
    method="svi", learning_rate=0.01, num_steps=800 if Q else 5000, num_samples=2000,
    progress_bar=not Q,
)  # fmt: skip
SETTINGS = {
    "SVI MVN": dict(SVI, guide="AutoMultivariateNormal"),
    "SVI BNAF": dict(SVI, guide="AutoBNAFNormal"),
    "NUTS": dict(
        method="nuts",
        num_warmup=150 if Q else 500,
        num_samples=150 if Q else 1000,
        num_chains=2,
        dense_mass=True,
        init_scale=0.05,
        max_num_doublings=6 if Q else 8,
        progress_bar=not Q,
    ),
    "Nested": dict(
        method="nested",
        prior=PRIORS,
        num_live=40 if Q else 300,
        progress_bar=not Q,
    ),
}
for i, (name, opts) in enumerate(SETTINGS.items()):
    t0 = time.perf_counter()
    target = log_likelihood if name == "Nested" else log_density
    bounds = None if name == "Nested" else BOUNDS
    fits[name] = iu.fit(target, start, key=jax.random.key(100 + i), bounds=bounds, **opts)
    stage_s[name] = time.perf_counter() - t0
    print(f"{name}: {stage_s[name]:.1f} s", flush=True)
    print({k: round(float(np.mean(v)), 4) for k, v in shown(fits[name].params).items()})

nuts = fits["NUTS"].diagnostics
result["nuts"] = {
    "max_rhat": float(max(np.max(v) for v in nuts["r_hat"].values())),
    "min_ess_bulk": float(min(np.min(v) for v in nuts["ess_bulk"].values())),
    "divergences": int(nuts["divergences"]),
    "mean_num_integration_steps": nuts["mean_num_integration_steps"],
    "warmup_s": nuts["warmup_time_s"],
    "sampling_s": nuts["sampling_time_s"],
    "r_hat": {k: float(np.max(v)) for k, v in nuts["r_hat"].items()},
    "ess_bulk": {k: float(np.min(v)) for k, v in nuts["ess_bulk"].items()},
}
print("NUTS:", {k: v for k, v in result["nuts"].items() if not isinstance(v, dict)})
ns = fits["Nested"]
result["nested_log_evidence"] = [ns.log_evidence, ns.log_evidence_err]
result["laplace_log_evidence"] = fits["Laplace"].log_evidence
print(
    f"ln Z: nested {ns.log_evidence:.2f} +- {ns.log_evidence_err:.2f}, "
    f"Laplace {fits['Laplace'].log_evidence:.2f}"
)

# %% [markdown]
# ## The backends side by side
# Posterior mean +- sd of each parameter, the quantile of the true value in each posterior
# (0.5: centred; between 0.005 and 0.995: inside the central 99 % interval) and the wall
# time of each call (compilation included).

# %%
table, posteriors = {}, {}
print(f"{'backend':9s} {'wall s':>7s}  " + "  ".join(f"{n:>22s}" for n in SHOWN))
print(f"{'truth':9s} {'':>7s}  " + "  ".join(f"{TRUTH_ALL[n]:22.5g}" for n in SHOWN))
for name, r in fits.items():
    row = {"wall_s": r.wall_time_s, "mean": {}, "sd": {}, "truth_quantile": {}}
    d = shown(r.params if r.draws is None else r.draws)  # MAP: the point estimate
    if r.draws is not None:
        posteriors[name] = d
    cells = []
    for n in SHOWN:
        row["mean"][n] = float(d[n].mean())
        if r.draws is None:
            cells.append(f"{d[n][0]:22.5g}")
            continue
        row["sd"][n] = float(d[n].std())
        row["truth_quantile"][n] = float(np.mean(d[n] < TRUTH_ALL[n]))
        cells.append(f"{d[n].mean():11.5g} +-{d[n].std():9.3g}")
    table[name] = row
    print(f"{name:9s} {r.wall_time_s:7.1f}  " + "  ".join(cells))
print("truth quantiles:")
for name, row in table.items():
    if row["truth_quantile"]:
        print(f"  {name:9s} " + ", ".join(f"{n} {q:.2f}" for n, q in row["truth_quantile"].items()))
result["backends"] = table
result["truth"] = TRUTH_ALL

# %% [markdown]
# ## The memory-lean 150,000-point problem
# The second half of issue 13 (ExoJAX's opart tutorial): 150,000 ESLOG points over
# 4100-4400 cm^-1 with the shipped HITEMP CO sample (the tutorial's own range has no lines in
# the shipped samples), 200 layers, T0 = 900 K, alpha = 0.1, MMR = 1e-5, noise 1000; every
# layer's optical depth computed inside rtransfer's layer-by-layer scan. Gradients in forward
# mode (jacfwd) and in reverse mode with rematerialisation, XLA's memory of the compiled
# gradient against the number of layers, a scan of the objective over T0, an optax adamw fit
# from (800 K, 0.08) and a short NUTS run with forward-mode gradients. The stage lives in
# ``examples/_emission_lean.py`` (runnable alone); its docstring gives the sizes.

# %%
from _emission_lean import run_memory_lean  # noqa: E402

t0 = time.perf_counter()
result["memory_lean"] = run_memory_lean(args.quick, None if args.quick else args.figdir)
stage_s["memory_lean"] = time.perf_counter() - t0

# %% [markdown]
# ## Figures

# %%
if not args.quick:
    import matplotlib.pyplot as plt

    # the two cross sections (1 bar)
    fig, ax = plt.subplots(figsize=(10, 4))
    for k, t in enumerate((500, 1500)):
        ax.semilogy(wav_aa, np.asarray(xs_two[k]), lw=0.6, label=f"{t} K, 1 bar")
    ax.set(xlabel=r"wavelength [$\AA$]", ylabel=r"CO cross section [cm$^2$]", ylim=(1e-27, None))
    ax.legend()
    fig.tight_layout()
    fig.savefig(figure_path(args.figdir, "emission_cross_sections.png"), dpi=110)

    # raw, rotated, rotated + instrument; and the mock data
    fig, axes = plt.subplots(2, 1, figsize=(10, 7), sharex=True)
    axes[0].plot(wav_aa, np.asarray(f_raw), lw=0.5, color="0.6", label="raw")
    axes[0].plot(wav_aa, np.asarray(f_rot), lw=0.8, label=r"rotated ($v\sin i$ = 10 km/s)")
    axes[0].plot(wav_aa, np.asarray(f_ip), lw=0.8, label="rotated + IP (R = 70,000)")
    axes[0].set(ylabel=r"flux [erg s$^{-1}$ cm$^{-2}$ (cm$^{-1}$)$^{-1}$]")
    axes[0].legend(fontsize=8)
    wav_obs = 1e8 / np.asarray(model.nu_obs)
    axes[1].plot(wav_obs, np.asarray(data), ".", ms=2, color="k", label="mock data (noise 500)")
    axes[1].plot(wav_obs, clean, lw=0.8, color="C3", label="truth (RV 40 km/s)")
    axes[1].set(xlabel=r"wavelength [$\AA$]", ylabel="flux")
    axes[1].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(figure_path(args.figdir, "emission_spectra.png"), dpi=110)

    # contribution function of the truth
    t_true = tutorial.temperature(truth)
    cf = rt.contribution_function(tutorial.dtau(truth), t_true, tutorial.nu_grid, tutorial.layers)
    fig, ax = plt.subplots(figsize=(8, 5))
    rt.plot_contribution_function(cf, tutorial.layers.p_bar, tutorial.nu_grid, ax=ax)
    fig.tight_layout()
    fig.savefig(figure_path(args.figdir, "emission_contribution.png"), dpi=110)

    # posterior predictive of NUTS over the data: median and 90 % HPDI
    pred = iu.posterior_predictive(
        lambda p: model.spectrum(p),
        fits["NUTS"],
        num_draws=200,
        key=jax.random.key(7),
        batch_size=10,
    )
    bands = iu.predictive_bands(pred, probs=0.9)
    fig, ax = plt.subplots(figsize=(10, 4))
    iu.plot_predictive(wav_obs, bands, np.asarray(data), ax=ax, label="NUTS median, 90 % HPDI")
    ax.set(xlabel=r"wavelength [$\AA$]", ylabel="flux")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(figure_path(args.figdir, "emission_predictive.png"), dpi=110)

    fig = iu.plot_pairs(posteriors, truth=TRUTH_ALL)
    fig.savefig(figure_path(args.figdir, "emission_corner.png"), dpi=80)

stage_s["total"] = time.perf_counter() - t_start
result["stage_s"] = stage_s
print("stage times [s]:", {k: round(v, 1) for k, v in stage_s.items()})
print_result(result)
