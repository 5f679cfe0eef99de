"""Emission radiative transfer: jaxstro.rtransfer vs ExoJAX 2.6 on identical dtau.

Rows (100 layers, 1e-8..1e2 bar on ExoJAX's grid, float64, CPU):

* emission, all layers: ``emission_flux`` (ibased, nstream 8; fbased2st) vs
  ``ArtEmisPure.run`` on the same (n_layers, n_grid) dtau, 3,500 and 150,000 points;
* layer scan: ``emission_flux_scan`` vs ``OpartEmisPure`` with the same per-layer opacity
  function (eight Lorentzian lines whose widths depend on T, computed inside the scan body);
* scan memory vs n_layers (50-400) for both at 150,000 points.

Both codes are jitted as a whole; times are medians of warm runs (compile excluded); memory is
XLA's accounting of the compiled program (arguments + outputs + temporaries) from
``compiled.memory_analysis()``, the same ruler for both. ExoJAX runs in a child process under
its own environment (``--exojax-python``, default /work/venv-exojax/bin/python; rows are
skipped if it is missing) on inputs written to a temporary .npz; the outputs are compared
(max relative difference) in this process. Our solvers run with ``bottom_boundary=False`` and
``constants="exojax"`` so both compute the same quantity.

    python benchmarks/bench_rtransfer.py [--quick] [--exojax-python PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import subprocess
import tempfile
import time

import jax
import jax.numpy as jnp
import numpy as np
from _timing import median_time, write_report

import jaxstro.rtransfer as rt

jax.config.update("jax_enable_x64", True)

LINES = (
    (0.13, 10.0),
    (0.27, 1.0),
    (0.41, 100.0),
    (0.55, 0.1),
    (0.62, 3.0),
    (0.71, 30.0),
    (0.83, 0.3),
    (0.94, 5.0),
)  # (position as a fraction of the band, strength)


def layer_opacity_source(lo, hi):
    """Source of the per-layer opacity function (identical text runs in both processes)."""
    lines = ", ".join(f"({lo + f * (hi - lo)!r}, {a!r})" for f, a in LINES)
    return f"""
def layer_dtau(nu, t, p, dp):
    w = 0.05 * jnp.sqrt(t / 1000.0)
    k = 1e-3
    for c, a in ({lines},):
        k = k + a * w * w / ((nu - c) ** 2 + w * w)
    return 3.0 * dp * jnp.sqrt(p) * k
"""


CHILD = r"""
import json, sys, time
import numpy as np
import jax
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp
from exojax.rt import ArtEmisPure, OpartEmisPure

cfg = json.loads(sys.argv[1])
exec(cfg["layer_src"])
inp = np.load(cfg["inputs"])
out, res = {}, {}

def median_time(fn, *args, repeat, warmup=2):
    for _ in range(warmup):
        jax.block_until_ready(fn(*args))
    ts = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        jax.block_until_ready(fn(*args))
        ts.append(time.perf_counter() - t0)
    ts.sort()
    return ts[len(ts) // 2]

def memory(fn, *args):
    m = jax.jit(fn).lower(*args).compile().memory_analysis()
    return float(m.argument_size_in_bytes + m.output_size_in_bytes + m.temp_size_in_bytes
                 - getattr(m, "alias_size_in_bytes", 0))

for g in cfg["grids"]:
    nu, dtau = jnp.asarray(inp[f"nu_{g}"]), jnp.asarray(inp[f"dtau_{g}"])
    t = jnp.asarray(inp["t"])
    n = int(t.shape[0])
    for solver, ns in (("ibased", 8), ("fbased2st", 2)):
        art = ArtEmisPure(pressure_top=1e-8, pressure_btm=1e2, nlayer=n, nu_grid=nu,
                          rtsolver=solver, nstream=ns)
        f = jax.jit(lambda d, t, art=art: art.run(d, t))
        t0 = time.perf_counter()
        y = jax.block_until_ready(f(dtau, t))
        c = time.perf_counter() - t0
        res[f"emis_{solver}_{g}"] = dict(
            time=median_time(f, dtau, t, repeat=cfg["repeat"]), compile=c,
            memory=memory(lambda d, t, art=art: art.run(d, t), dtau, t))
        out[f"emis_{solver}_{g}"] = np.asarray(y)

    class OpaLayer:
        def __init__(self, nu):
            self.nu_grid = nu
        def __call__(self, params):
            t, p, dp = params
            return layer_dtau(self.nu_grid, t, p, dp)

    for nl in [n] + ([m for m in cfg["scan_layers"] if m != n] if g == max(cfg["grids"]) else []):
        opart = OpartEmisPure(OpaLayer(nu), pressure_top=1e-8, pressure_btm=1e2, nlayer=nl,
                              nstream=8)
        p = jnp.asarray(opart.pressure); dp = jnp.asarray(opart.dParr)
        tl = 1200.0 * p ** 0.1
        # the user-written scan body of ExoJAX's opart documentation
        def update(carry, params, opart=opart):
            return opart.update_layer(carry, params), None
        f = jax.jit(lambda tl, p, dp, update=update, opart=opart: opart([tl, p, dp], update))
        key = f"scan_{g}_{nl}"
        if nl == n:
            t0 = time.perf_counter()
            y = jax.block_until_ready(f(tl, p, dp))
            c = time.perf_counter() - t0
            res[key] = dict(time=median_time(f, tl, p, dp, repeat=cfg["repeat"]), compile=c)
            out[key] = np.asarray(y)
        else:
            res[key] = {}
        res[key]["memory"] = memory(
            lambda tl, p, dp, update=update, opart=opart: opart([tl, p, dp], update), tl, p, dp)

np.savez(cfg["outputs"], **out)
print("RESULT " + json.dumps(res))
"""


def compiled_memory(fn, *args):
    m = jax.jit(fn).lower(*args).compile().memory_analysis()
    return float(
        m.argument_size_in_bytes
        + m.output_size_in_bytes
        + m.temp_size_in_bytes
        - getattr(m, "alias_size_in_bytes", 0)
    )


def run_exojax(python, cfg):
    if not pathlib.Path(python).exists():
        print(f"ExoJAX python {python} not found: ExoJAX rows skipped")
        return None
    proc = subprocess.run(
        [python, "-c", CHILD, json.dumps(cfg)],
        capture_output=True,
        text=True,
        env={"JAX_PLATFORMS": "cpu", "PATH": "/usr/bin:/bin"},
    )
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    print(proc.stdout[-2000:], proc.stderr[-4000:])
    raise RuntimeError("the ExoJAX child failed")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="3,500 points only, fewer repeats")
    ap.add_argument(
        "--exojax-python",
        default=os.environ.get("JAXSTRO_EXOJAX_PYTHON", "/work/venv-exojax/bin/python"),
    )
    args = ap.parse_args()
    grids = [3500] if args.quick else [3500, 150000]
    repeat = 5 if args.quick else 10
    scan_layers = [50, 100, 200, 400]
    n = 100
    lo, hi = 4000.0, 4100.0
    src = layer_opacity_source(lo, hi)
    ns: dict = {"jnp": jnp}
    exec(src, ns)
    layer_dtau = ns["layer_dtau"]

    grid = rt.layer_grid(1e-8, 1e2, n, convention="exojax")
    t = 1200.0 * grid.p_bar**0.1
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="bench_rt_"))
    inputs = {"t": np.asarray(t)}
    dtaus = {}
    for g in grids:
        nu = jnp.linspace(lo, hi, g)
        d = jax.jit(jax.vmap(layer_dtau, in_axes=(None, 0, 0, 0)))(nu, t, grid.p_bar, grid.dp_bar)
        dtaus[g] = (nu, d)
        inputs[f"nu_{g}"], inputs[f"dtau_{g}"] = np.asarray(nu), np.asarray(d)
    np.savez(tmp / "inputs.npz", **inputs)
    cfg = dict(
        grids=grids,
        repeat=repeat,
        scan_layers=scan_layers,
        layer_src=src,
        inputs=str(tmp / "inputs.npz"),
        outputs=str(tmp / "outputs.npz"),
    )
    t0 = time.perf_counter()
    ex = run_exojax(args.exojax_python, cfg)
    print(f"ExoJAX child: {time.perf_counter() - t0:.0f} s")
    ex_out = dict(np.load(tmp / "outputs.npz")) if ex is not None else {}

    rows = []
    for g in grids:
        nu, d = dtaus[g]
        for method in ("ibased", "fbased2st"):

            def fn(d, t, nu=nu, method=method):
                return rt.emission_flux(
                    d, t, nu, method=method, bottom_boundary=False, constants="exojax"
                )

            f = jax.jit(fn)
            c0 = time.perf_counter()
            y = jax.block_until_ready(f(d, t))
            comp = time.perf_counter() - c0
            key = f"emis_{method}_{g}"
            row = dict(
                row=f"emission {method} (100 layers, {g} pts)",
                ours_s=median_time(f, d, t, repeat=repeat, warmup=2),
                ours_compile_s=comp,
                ours_mem=compiled_memory(fn, d, t),
            )
            if ex is not None:
                row.update(
                    exojax_s=ex[key]["time"],
                    exojax_compile_s=ex[key]["compile"],
                    exojax_mem=ex[key]["memory"],
                    max_rel_diff=float(np.max(np.abs(np.asarray(y) / ex_out[key] - 1))),
                )
            rows.append(row)

        for nl in [n] + ([m for m in scan_layers if m != n] if g == max(grids) else []):
            gl = rt.layer_grid(1e-8, 1e2, nl, convention="exojax")
            tl = 1200.0 * gl.p_bar**0.1

            def scan_fn(tl, p, dp, nu=nu):
                return rt.emission_flux_scan(
                    lambda q: layer_dtau(nu, q[0], q[1], q[2]),
                    (tl, p, dp),
                    tl,
                    nu,
                    bottom_boundary=False,
                    constants="exojax",
                )

            key = f"scan_{g}_{nl}"
            row = dict(
                row=f"layer scan ibased-8 ({nl} layers, {g} pts)",
                ours_mem=compiled_memory(scan_fn, tl, gl.p_bar, gl.dp_bar),
            )
            if nl == n:
                f = jax.jit(scan_fn)
                c0 = time.perf_counter()
                y = jax.block_until_ready(f(tl, gl.p_bar, gl.dp_bar))
                row["ours_compile_s"] = time.perf_counter() - c0
                row["ours_s"] = median_time(f, tl, gl.p_bar, gl.dp_bar, repeat=repeat, warmup=2)

                # reverse mode through the rematerialised scan (gradient w.r.t. T)
                def loss(tl, gl=gl):
                    return jnp.sum(scan_fn(tl, gl.p_bar, gl.dp_bar))

                gfn = jax.jit(jax.grad(loss))
                row["ours_grad_s"] = median_time(gfn, tl, repeat=max(3, repeat // 2), warmup=1)
                row["ours_grad_mem"] = compiled_memory(jax.grad(loss), tl)
                if ex is not None:
                    row["max_rel_diff"] = float(np.max(np.abs(np.asarray(y) / ex_out[key] - 1)))
            if ex is not None:
                row.update(
                    {
                        k2: ex[key][k1]
                        for k1, k2 in (
                            ("time", "exojax_s"),
                            ("compile", "exojax_compile_s"),
                            ("memory", "exojax_mem"),
                        )
                        if k1 in ex[key]
                    }
                )
            rows.append(row)

    print(
        f"\n{'row':44s} {'ours ms':>9s} {'ExoJAX ms':>9s} {'speedup':>7s} {'ours MB':>8s} "
        f"{'ExoJAX MB':>9s} {'max rel diff':>12s}"
    )
    for r in rows:
        o, e = r.get("ours_s"), r.get("exojax_s")
        print(
            f"{r['row']:44s} {o * 1e3 if o else float('nan'):9.2f} "
            f"{e * 1e3 if e else float('nan'):9.2f} "
            f"{(e / o) if (o and e) else float('nan'):7.2f} {r['ours_mem'] / 2**20:8.1f} "
            f"{r.get('exojax_mem', float('nan')) / 2**20:9.1f} "
            f"{r.get('max_rel_diff', float('nan')):12.2e}"
        )
    for r in rows:
        if "ours_grad_s" in r:
            print(
                f"{r['row']}: reverse-mode gradient (remat) {r['ours_grad_s'] * 1e3:.1f} ms, "
                f"{r['ours_grad_mem'] / 2**20:.1f} MB"
            )
    write_report("rtransfer", dict(rows=rows, jax=jax.__version__, quick=args.quick))


if __name__ == "__main__":
    main()
