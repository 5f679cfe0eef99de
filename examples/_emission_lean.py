"""The memory-lean stage of the emission retrieval (issue 13; ExoJAX's "opart" tutorial).

Not an example itself (the leading underscore keeps it out of the example runs):
``emission_retrieval.py`` calls ``run_memory_lean`` for its last section, and the function can
be run alone::

    python examples/_emission_lean.py [--quick] [--figdir DIR]

The problem: pure emission (no rotation, instrument or RV) of CO (the shipped HITEMP sample,
PreMODIT, robust range 500-1500 K) + H2-H2 CIA on an ESLOG grid of 150,000 points over
4100-4400 cm^-1, 200 layers from 1e-5 to 1e1 bar, power-law T-P (T0 = 900 K, alpha = 0.1),
CO mass mixing ratio 1e-5, Gaussian noise 1000 (ExoJAX's flux units). ExoJAX's tutorial uses
another range, in which the shipped line samples have no lines; 4100-4400 cm^-1 is the CO 2-0
band the HITEMP sample covers.

Every optical depth is computed one layer at a time inside ``jaxstro.rtransfer``'s
``emission_flux_scan``: the memory is that of a few (n_grid,) vectors per layer plus one
layer's opacity intermediates, never (n_layers, n_grid). Derivatives: forward mode
(``jax.jacfwd``, two tangents) runs alongside the scan; reverse mode rematerialises each layer
(``jax.checkpoint``), so the backward pass stores only the scan carries.

What it does, with wall times and memory:

1. the chi^2 objective and its gradient in (T0, alpha) at full size, by jacfwd and by reverse
   mode with rematerialisation (equal to rounding), the process's peak RSS, and XLA's memory
   analysis of the compiled gradient for 50, 100 and 200 layers (lean vs all layers at once);
2. a scan of the objective over T0 in 800-1000 K (alpha at its true value);
3. an optax adamw fit of (T0, alpha) from (800 K, 0.08);
4. a short NUTS run with forward-mode gradients (``jaxstro.infer_utils.run_nuts(mode=
   "forward")``).

On a 2-core CPU one full-size gradient takes minutes, so stages 3 and 4 (hundreds of
gradients) run on a reduced grid (``FIT_GRID``: 2,000 points over 4200-4210 cm^-1, 50
layers); on a GPU, pass ``fit_full=True``. Between adamw and NUTS a few Newton steps with the
2 x 2 forward-over-forward Hessian find the optimum (T0 and alpha are correlated at -0.98
along T0 P^alpha at the photosphere, a ridge adamw follows slowly); its inverse is the Laplace
covariance and NUTS's starting dense mass matrix. ``--quick`` runs every stage on 1,000
points over 4200-4205 cm^-1 and 20 layers, NUTS 2 chains x (10 + 10): a smoke run (there the
data barely constrain alpha, and the chains are too short to mix).

Measured 2026-12-03 (2 cores, idle, float64; ``/tmp``-style driver calling ``build``,
``make_objective``, ``timed`` and ``memory_vs_layers`` at ``FULL``): build 2 s (12,992 lines,
PreMODIT fine grid 607,500 points); warm objective 33.8 s, jacfwd 68.7 s, reverse + remat
94.4 s, the two gradients equal to 1.5e-15 relative; peak process RSS 1.58 GB after all three.
XLA memory of the compiled gradient at 50 / 100 / 200 layers: layer-by-layer jacfwd 0.046 /
0.046 / 0.046 GB, layer-by-layer reverse + remat 0.17 / 0.29 / 0.53 GB (the scan carries),
all layers at once (reverse) 2.0 / 4.0 / 8.0 GB.
"""

from __future__ import annotations

import resource
import time
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import optax
from _emission import build_model  # the examples folder is on sys.path (see _common.py)

import jaxstro.infer_utils as iu

jax.config.update("jax_enable_x64", True)

TRUTH_LEAN = {"T0": 900.0, "alpha": 0.1}
FIXED = {"logg": 4.394, "RV": 0.0, "MMR": 1e-5, "vsini": 10.0}  # RV, vsini unused (raw flux)
NOISE = 1000.0
FULL = dict(n_grid=150_000, n_layers=200, grid_range=(4100.0, 4400.0))
QUICK = dict(n_grid=1_000, n_layers=20, grid_range=(4200.0, 4205.0))
FIT_GRID = dict(n_grid=2_000, n_layers=50, grid_range=(4200.0, 4210.0))
T0_RANGE, ALPHA_RANGE = (800.0, 1000.0), (0.05, 0.15)
SCALE = jnp.array([1000.0, 0.1])  # the optimiser's coordinates: (T0 / 1000 K, alpha / 0.1)


def peak_rss_gb() -> float:
    """Peak resident memory of this process so far [GB] (Linux ru_maxrss is in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0**2


def xla_bytes(compiled) -> float:
    """Arguments + outputs + temporaries of a compiled XLA program [bytes] (aliasing removed)."""
    m = compiled.memory_analysis()
    total = m.argument_size_in_bytes + m.output_size_in_bytes + m.temp_size_in_bytes
    return float(total - getattr(m, "alias_size_in_bytes", 0))


def build(n_grid, n_layers, grid_range):
    with warnings.catch_warnings():  # PreMODIT's note on lines outside the grid
        warnings.simplefilter("ignore", UserWarning)
        return build_model(
            n_grid,
            n_layers,
            "hitemp",
            grid_range=grid_range,
            grid_unit="cm-1",
            rv_range_kms=(0.0, 0.0),
            t0_range_k=T0_RANGE,
            alpha_range=ALPHA_RANGE,
        )


def make_objective(model, data, *, layer_by_layer=True):
    """chi^2(theta), theta = (T0 [K], alpha): the raw model-grid flux against ``data``."""

    def chi2(theta):
        p = dict(FIXED, T0=theta[0], alpha=theta[1])
        flux = model.raw_spectrum(p, layer_by_layer=layer_by_layer)
        return jnp.sum(((flux - data) / NOISE) ** 2)

    return chi2


def mock(model, key):
    p = dict(FIXED, **TRUTH_LEAN)
    flux = jax.jit(lambda m: m.raw_spectrum(p, layer_by_layer=True))(model)
    return flux, flux + NOISE * jax.random.normal(key, flux.shape)


def timed(fn, *args):
    """(result, wall seconds) of one warm call (compiled first)."""
    jax.block_until_ready(fn(*args))
    t0 = time.perf_counter()
    out = jax.block_until_ready(fn(*args))
    return out, time.perf_counter() - t0


def memory_vs_layers(size, layer_counts):
    """XLA's memory of the compiled gradient (compile only, nothing runs) for each layer count:
    layer-by-layer jacfwd, layer-by-layer reverse (remat), all layers at once reverse."""
    rows = []
    theta = jnp.array([900.0, 0.1])
    for n in layer_counts:
        model = build(size["n_grid"], n, size["grid_range"])
        data = jnp.zeros(model.nu_grid.shape)
        lean = make_objective(model, data)
        stacked = make_objective(model, data, layer_by_layer=False)
        row = {"n_layers": n}
        for name, fn in (
            ("lean_jacfwd", jax.jacfwd(lean)),
            ("lean_grad_remat", jax.grad(lean)),
            ("all_layers_grad", jax.grad(stacked)),
        ):
            row[name + "_gb"] = xla_bytes(jax.jit(fn).lower(theta).compile()) / 1e9
        rows.append(row)
    return rows


def run_memory_lean(quick: bool = False, figdir: str | None = None, *, fit_full: bool = False):
    """Run the four stages (see the module docstring); returns a dict of the figures measured
    and, with ``figdir``, writes ``emission_lean_memory.png`` and ``emission_lean_fit.png``."""
    size = QUICK if quick else FULL
    fit_size = QUICK if quick else (FULL if fit_full else FIT_GRID)
    out = {"size": dict(size), "fit_size": dict(fit_size)}
    key = jax.random.key(7)

    # 1. objective + gradient at full size, both modes; memory
    t0 = time.perf_counter()
    model = build(**size)
    out["build_s"] = time.perf_counter() - t0
    true_flux, data = mock(model, key)
    chi2 = make_objective(model, data)
    theta0 = jnp.array([850.0, 0.09])
    value, out["objective_s"] = timed(jax.jit(chi2), theta0)
    g_fwd, out["jacfwd_s"] = timed(jax.jit(jax.jacfwd(chi2)), theta0)
    g_rev, out["grad_remat_s"] = timed(jax.jit(jax.grad(chi2)), theta0)
    out["objective"] = float(value)
    out["grad_jacfwd"] = np.asarray(g_fwd).tolist()
    out["grad_remat"] = np.asarray(g_rev).tolist()
    out["grad_rel_diff"] = float(jnp.max(jnp.abs(g_fwd - g_rev) / jnp.abs(g_fwd)))
    out["peak_rss_gb_after_gradients"] = peak_rss_gb()
    print(
        f"{size['n_grid']} points x {size['n_layers']} layers: objective {out['objective_s']:.1f}"
        f" s, jacfwd {out['jacfwd_s']:.1f} s, reverse+remat {out['grad_remat_s']:.1f} s; "
        f"|fwd - rev| / |fwd| = {out['grad_rel_diff']:.1e}; peak RSS "
        f"{out['peak_rss_gb_after_gradients']:.2f} GB",
        flush=True,
    )
    counts = (10, 20) if quick else (50, 100, 200)
    out["memory_vs_layers"] = memory_vs_layers(size, counts)
    for r in out["memory_vs_layers"]:
        print(
            f"  {r['n_layers']:4d} layers: XLA memory jacfwd {r['lean_jacfwd_gb']:.3f} GB, "
            f"reverse+remat {r['lean_grad_remat_gb']:.3f} GB, all layers at once (reverse) "
            f"{r['all_layers_grad_gb']:.3f} GB",
            flush=True,
        )

    # 2. the objective over T0 (alpha true)
    t0s = np.linspace(*T0_RANGE, 5 if quick else 9)
    f = jax.jit(chi2)
    t0 = time.perf_counter()
    scan = [float(f(jnp.array([t, TRUTH_LEAN["alpha"]]))) for t in t0s]
    out["t0_scan_s"] = time.perf_counter() - t0
    out["t0_scan"] = {"T0": t0s.tolist(), "chi2": scan}
    out["t0_scan_argmin"] = float(t0s[int(np.argmin(scan))])

    # 3. adamw from (800 K, 0.08), on the fit grid, in the scaled coordinates
    if fit_size != size:
        model = build(**fit_size)
        true_flux, data = mock(model, key)
        chi2 = make_objective(model, data)
    n_obs = data.size

    def loss(z):
        return chi2(z * SCALE) / n_obs

    value_grad = jax.jit(lambda z: (loss(z), jax.jacfwd(loss)(z)))
    n_steps = 30 if quick else 150
    opt = optax.adamw(optax.cosine_decay_schedule(0.02, n_steps, alpha=0.05), weight_decay=0.0)
    z = jnp.array([800.0, 0.08]) / SCALE
    state = opt.init(z)
    path = [np.asarray(z * SCALE)]
    t0 = time.perf_counter()
    for _ in range(n_steps):
        v, g = value_grad(z)
        upd, state = opt.update(g, state, z)
        z = optax.apply_updates(z, upd)
        path.append(np.asarray(z * SCALE))
    out["adamw_s"] = time.perf_counter() - t0
    out["adamw_steps"] = n_steps
    out["adamw_final"] = {"T0": float(path[-1][0]), "alpha": float(path[-1][1])}
    print(f"adamw ({n_steps} steps, {out['adamw_s']:.0f} s): {out['adamw_final']}", flush=True)

    # Newton polish of the adamw result (2 x 2 Hessian by forward over forward mode: four
    # tangents of one layer-by-layer pass): T0 and alpha are tightly correlated (T0 P^alpha at
    # the photosphere), a ridge that adamw follows slowly; the Hessian at the optimum is also
    # the Laplace covariance and NUTS's starting mass matrix
    half_chi2 = lambda x: 0.5 * chi2(x)  # noqa: E731
    grad_hess = jax.jit(lambda x: (jax.jacfwd(half_chi2)(x), jax.jacfwd(jax.jacfwd(half_chi2))(x)))
    x = jnp.asarray(path[-1])
    t0 = time.perf_counter()
    for _ in range(8):
        g, h = grad_hess(x)
        step = jnp.linalg.solve(h, g)
        if not bool(jnp.all(jnp.linalg.eigvalsh(h) > 0)):  # outside the convex basin: a
            g_z = g * SCALE  # short steepest-descent step in the scaled coordinates instead
            step = 0.01 * g_z / jnp.linalg.norm(g_z) * SCALE
        x = x - step
        if float(jnp.max(jnp.abs(step) / SCALE)) < 1e-8:
            break
    g, h = grad_hess(x)
    cov = jnp.linalg.inv(h)
    out["newton_s"] = time.perf_counter() - t0
    out["map"] = {"T0": float(x[0]), "alpha": float(x[1])}
    out["laplace_sd"] = {"T0": float(jnp.sqrt(cov[0, 0])), "alpha": float(jnp.sqrt(cov[1, 1]))}
    out["laplace_corr"] = float(cov[0, 1] / jnp.sqrt(cov[0, 0] * cov[1, 1]))
    print(f"MAP {out['map']}, Laplace sd {out['laplace_sd']}, corr {out['laplace_corr']:.3f}")

    # 4. NUTS with forward-mode gradients, flat priors on the boxes, in the optimiser's scaled
    # coordinates, from the MAP with the Laplace covariance as the starting dense mass matrix
    lo, hi = np.array([T0_RANGE[0], ALPHA_RANGE[0]]), np.array([T0_RANGE[1], ALPHA_RANGE[1]])

    def log_post(z):
        x = z * SCALE
        inside = jnp.all((x > lo) & (x < hi))
        return jnp.where(inside, -0.5 * chi2(x), -jnp.inf)

    warm, draws = (10, 10) if quick else (100, 150)
    t0 = time.perf_counter()
    nuts = iu.run_nuts(
        log_post,
        jnp.clip(x, lo + 0.01 * (hi - lo), hi - 0.01 * (hi - lo)) / SCALE,  # MAP, in the box
        jax.random.key(8),
        num_warmup=warm,
        num_samples=draws,
        num_chains=2,
        init_scale=0.0,
        dense_mass=True,
        initial_inverse_mass_matrix=cov / jnp.outer(SCALE, SCALE),
        mode="forward",
        max_num_doublings=3 if quick else 5,  # 2-D, the mass matrix from the Laplace fit
        progress_bar=not quick,
    )
    out["nuts_s"] = time.perf_counter() - t0
    samples = {n: nuts.samples[..., i] * SCALE[i] for i, n in enumerate(("T0", "alpha"))}
    table = iu.summary(samples, is_divergent=nuts.is_divergent)
    out["nuts"] = {
        n: {
            "mean": float(np.mean(samples[n])),
            "sd": float(np.std(samples[n])),
            "r_hat": float(np.max(table[n]["r_hat"])),
            "ess_bulk": float(np.min(table[n]["ess_bulk"])),
        }
        for n in samples
    }
    out["nuts_mean_steps"] = float(np.mean(np.asarray(nuts.num_integration_steps)))
    out["nuts_divergences"] = nuts.num_divergent
    out["nuts_warmup_draws"] = [warm, draws]
    print(f"NUTS forward mode ({out['nuts_s']:.0f} s): {out['nuts']}", flush=True)
    out["peak_rss_gb"] = peak_rss_gb()

    if figdir is not None:
        _figures(out, figdir, path, np.asarray(model.nu_grid), np.asarray(data))
    return out


def _figures(out, figdir, path, nu, data):
    import matplotlib.pyplot as plt
    from _common import figure_path

    fig, ax = plt.subplots(1, 2, figsize=(11, 4))
    rows = out["memory_vs_layers"]
    n = [r["n_layers"] for r in rows]
    for k, lab in (
        ("lean_jacfwd_gb", "layer by layer, jacfwd"),
        ("lean_grad_remat_gb", "layer by layer, reverse + remat"),
        ("all_layers_grad_gb", "all layers at once, reverse"),
    ):
        ax[0].plot(n, [r[k] for r in rows], "o-", label=lab)
    ax[0].set(xlabel="layers", ylabel="XLA memory of the gradient [GB]", yscale="log")
    ax[0].set_title(f"{out['size']['n_grid']:,} points")
    ax[0].legend(fontsize=8)
    ax[1].plot(out["t0_scan"]["T0"], out["t0_scan"]["chi2"], "o-")
    ax[1].axvline(TRUTH_LEAN["T0"], color="k", ls=":", label="truth")
    ax[1].set(xlabel="T0 [K]", ylabel="chi^2", title="objective over T0 (alpha = 0.1)")
    ax[1].legend()
    fig.tight_layout()
    fig.savefig(figure_path(figdir, "emission_lean_memory.png"), dpi=110)
    plt.close(fig)

    p = np.asarray(path)
    fig, ax = plt.subplots(1, 2, figsize=(11, 4))
    ax[0].plot(p[:, 0], p[:, 1], ".-", ms=3, label="adamw path")
    ax[0].plot(*p[0], "s", label="start")
    ax[0].plot(TRUTH_LEAN["T0"], TRUTH_LEAN["alpha"], "k*", ms=12, label="truth")
    ax[0].set(xlabel="T0 [K]", ylabel="alpha", title="adamw from (800 K, 0.08)")
    ax[0].legend()
    ax[1].plot(nu, data, lw=0.3, color="0.5", label="mock data")
    ax[1].set(xlabel="wavenumber [cm^-1]", ylabel="flux", title="fit grid: mock spectrum")
    ax[1].legend()
    fig.tight_layout()
    fig.savefig(figure_path(figdir, "emission_lean_fit.png"), dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    from _common import parse_args, print_result

    args = parse_args("memory-lean emission stage")
    print_result(run_memory_lean(args.quick, args.figdir))
