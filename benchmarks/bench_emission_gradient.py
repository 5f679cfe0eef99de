"""Cost of the emission retrieval's log density and its gradient (issue 13).

The example's model (``examples/_emission.py``: 3,500 ESLOG points, 100 layers, PreMODIT, CO
ExoMol sample + H2-H2 CIA, 8-stream emission, rotation, instrument, RV) and a Gaussian log
likelihood in the six physical parameters + the noise sigma. Medians of warm runs of

* the log density (forward),
* its gradient by ``jax.grad`` (reverse) and by ``jax.jacfwd`` (forward, 7 tangents),

with the opacity package's per-layer (T, P) JVP rule (``xsmatrix`` as shipped) and with plain
autodiff through the PreMODIT convolution (``lax.map`` of the bare ``_xs``: what ``xsmatrix``
did before the rule), plus the cross sections alone and the rest of the model alone.

Run: ``JAX_PLATFORMS=cpu python benchmarks/bench_emission_gradient.py [--n-grid N]
[--n-layers L] [--repeat R]``.
"""

from __future__ import annotations

import argparse
import dataclasses
import pathlib
import sys
import time
import warnings

import jax
import jax.numpy as jnp
from _timing import median_time, write_report

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "examples"))
from _emission import PARAMS, TRUTH, EmissionModel, build_model  # noqa: E402

jax.config.update("jax_enable_x64", True)


@jax.tree_util.register_dataclass
@dataclasses.dataclass(frozen=True)
class PlainXS:
    """The calculator with plain autodiff through its convolution (no per-layer rule)."""

    calc: object

    def xsmatrix(self, t, p):
        t, p = jnp.broadcast_arrays(t, p)
        return jax.lax.map(lambda tp: self.calc._xs(tp[0], tp[1]), (t, p))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n-grid", type=int, default=3500)
    ap.add_argument("--n-layers", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=7)
    a = ap.parse_args()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        model = build_model(a.n_grid, a.n_layers)
    truth = {k: jnp.asarray(v) for k, v in TRUTH.items()}
    flux = jax.jit(EmissionModel.spectrum)(model, truth)
    data = flux + 500.0 * jax.random.normal(jax.random.key(0), flux.shape)
    names = (*PARAMS, "sigma")
    x0 = jnp.array([TRUTH[k] for k in PARAMS] + [500.0])

    def log_density(m):
        def f(x):
            p = dict(zip(names, x, strict=True))
            r = (data - m.spectrum(p)) / p["sigma"]
            return -0.5 * jnp.sum(r**2) - data.size * jnp.log(p["sigma"])

        return f

    plain = dataclasses.replace(model, opacity=PlainXS(model.opacity))
    t_layers = model.temperature(truth)
    p_layers = model.layers.p_bar
    report = {
        "n_grid": a.n_grid,
        "n_layers": a.n_layers,
        "fine_fft_points": model.opacity.layout.fine.n_fft,
        "broadening_columns": int(model.opacity.log_values.shape[0]),
    }
    cases = {
        "log_density": (log_density(model), x0),
        "grad": (jax.grad(log_density(model)), x0),
        "jacfwd": (jax.jacfwd(log_density(model)), x0),
        "grad_plain": (jax.grad(log_density(plain)), x0),
        "jacfwd_plain": (jax.jacfwd(log_density(plain)), x0),
        "xsmatrix": (lambda t: model.opacity.xsmatrix(t, p_layers), t_layers),
        "xsmatrix_grad": (
            jax.grad(lambda t: jnp.sum(model.opacity.xsmatrix(t, p_layers))),
            t_layers,
        ),
        "xsmatrix_grad_plain": (
            jax.grad(lambda t: jnp.sum(PlainXS(model.opacity).xsmatrix(t, p_layers))),
            t_layers,
        ),
    }
    for name, (fn, arg) in cases.items():
        f = jax.jit(fn)
        t0 = time.perf_counter()
        jax.block_until_ready(f(arg))
        report[f"{name}_first_s"] = time.perf_counter() - t0
        report[f"{name}_s"] = median_time(f, arg, repeat=a.repeat, warmup=1)
        first, warm = report[f"{name}_first_s"], report[f"{name}_s"]
        print(f"{name:22s} first {first:6.2f} s  warm {warm:.3f} s")
    g = jax.jit(jax.grad(log_density(model)))(x0)
    gp = jax.jit(jax.grad(log_density(plain)))(x0)
    report["grad_max_rel_diff_vs_plain"] = float(jnp.max(jnp.abs(g / gp - 1.0)))
    write_report("bench_emission_gradient", report)


if __name__ == "__main__":
    main()
