"""Cross-section speed and memory: jaxstro LPF / MODIT / PreMODIT, and ExoJAX on the same input.

Grids (issue 3): (a) 22920-23000 Angstrom, 3,500 ESLOG points; (b) 4100-4400 cm^-1, 150,000
ESLOG points; CO HITEMP sample lines within 25 cm^-1 of the grid (identical for both codes).
Times are medians of repeated warm runs (compile excluded, reported separately); memory is
XLA's own accounting of the compiled program (arguments + outputs + temporaries), read with
``compiled.memory_analysis()`` - the same ruler for both codes.

ExoJAX (``pip install exojax``) is only needed here; without it the ExoJAX rows are skipped.
ExoJAX's functions are called directly (its ``Opa*`` classes want an ``mdb`` object): LPF =
``exojax.opacity.lpf.lpf.xsvector`` on its (lines x grid) ``numatrix``; MODIT =
``xsvector_zeroscan`` with the DIT grid from ``ditgrid_log_interval`` (resolution 0.2, the
ExoJAX default) computed once outside the timed call. ExoJAX PreMODIT is not yet wired in.

Run: ``python benchmarks/bench_opacity.py [--quick]`` (``--quick``: grid (a) only).
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import time

import jax
import jax.numpy as jnp
import numpy as np

jax.config.update("jax_enable_x64", True)

from jaxstro.linedb import datasets, read_hitran  # noqa: E402
from jaxstro.opacity import make_calculator, wavenumber_grid  # noqa: E402
from jaxstro.opacity._calc_common import select_lines  # noqa: E402


def median_time(fn, *args, repeat=5):
    out = fn(*args)
    jax.block_until_ready(out)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        jax.block_until_ready(fn(*args))
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def compiled_memory(fn, *args):
    """(bytes, compile seconds) of ``jax.jit(fn)`` on ``args`` by XLA's memory analysis."""
    t0 = time.perf_counter()
    comp = jax.jit(fn).lower(*args).compile()
    dt = time.perf_counter() - t0
    m = comp.memory_analysis()
    if m is None:
        return float("nan"), dt
    total = m.argument_size_in_bytes + m.output_size_in_bytes + m.temp_size_in_bytes
    return float(total - getattr(m, "alias_size_in_bytes", 0)), dt


def exojax_functions(lines, keep, nu_grid):
    """ExoJAX LPF and MODIT xsvector on the same lines; None if ExoJAX is not installed."""
    try:
        from exojax.database.core.broadening import (
            doppler_sigma,
            gamma_hitran,
            normalized_doppler_sigma,
        )
        from exojax.database.core.line_strength import line_strength
        from exojax.opacity import initspec
        from exojax.opacity._common.set_ditgrid import ditgrid_log_interval
        from exojax.opacity.lpf import lpf as ex_lpf
        from exojax.opacity.modit.modit import xsvector_zeroscan
    except ImportError:
        return None
    nu_l = jnp.asarray(lines.nu_cm1[keep])
    logsij0 = jnp.log(jnp.asarray(lines.strength_ref[keep] * lines.abundance[keep]))
    elower = jnp.asarray(lines.elower_cm1[keep])
    n_air = jnp.asarray(lines.n_temp[keep, 0])
    g_air = jnp.asarray(lines.gamma_ref[keep, 0])
    pf_t, pf_q = jnp.asarray(lines.pf_t_k), jnp.asarray(lines.pf_q)
    idx = jnp.asarray(lines.pf_index[keep])
    mass = float(np.average(lines.molmass_amu[keep], weights=lines.strength_ref[keep]))

    def qr(t):  # ExoJAX's convention: Q(T)/Q(Tref)
        q = jnp.stack([jnp.interp(t, pf_t, row) for row in pf_q])
        q0 = jnp.stack([jnp.interp(296.0, pf_t, row) for row in pf_q])
        return (q / q0)[idx]

    def lpf_factory():
        numatrix = initspec.init_lpf(nu_l, jnp.asarray(nu_grid))

        def xsv(t, p):
            s = line_strength(t, logsij0, nu_l, elower, qr(t), 296.0)
            g = gamma_hitran(p, t, 0.0, n_air, g_air, g_air)
            return ex_lpf.xsvector(numatrix, doppler_sigma(nu_l, t, mass), g, s)

        return xsv

    cont, index, r, pm = initspec.init_modit(nu_l, jnp.asarray(nu_grid))

    def modit_factory(t_all, p_all):
        g_all = np.concatenate(
            [np.asarray(gamma_hitran(p, t, 0.0, n_air, g_air, g_air)) for t, p in zip(t_all, p_all)]
        )
        ngrid = jnp.asarray(
            ditgrid_log_interval(g_all / np.tile(np.asarray(nu_l) / r, len(t_all)), 0.2)
        )

        def xsv(t, p):
            s = line_strength(t, logsij0, nu_l, elower, qr(t), 296.0)
            ng = gamma_hitran(p, t, 0.0, n_air, g_air, g_air) / (nu_l / r)
            nsd = normalized_doppler_sigma(t, mass, r)
            return xsvector_zeroscan(cont, index, r, pm, nsd, ng, s, jnp.asarray(nu_grid), ngrid)

        return xsv

    return {"lpf": lpf_factory, "modit": modit_factory}


def layers(n):
    t = jnp.linspace(600.0, 1800.0, n)
    p = jnp.logspace(-4, 1, n)
    return t, p


def run_case(name, lines, nu, *, n_layers, mem_layers, do_lpf_matrix, exojax_lpf, repeat):
    out = {"grid": name, "n_grid": int(nu.size)}
    keep = select_lines(lines, nu, 25.0)
    out["n_lines"] = int(keep.size)
    t_l, p_l = layers(n_layers)
    t_m, p_m = layers(mem_layers)
    for method in ("lpf", "modit", "premodit"):
        t0 = time.perf_counter()
        calc = make_calculator(lines, nu, method=method)
        prep = time.perf_counter() - t0
        vec = jax.jit(calc.xsvector)
        mat = jax.jit(calc.xsmatrix)
        _, compile_s = compiled_memory(calc.xsvector, 1000.0, 1.0)
        row = {"prepare_s": prep, "compile_xsvector_s": compile_s}
        row["xsvector_s"] = median_time(vec, 1000.0, 1.0, repeat=repeat)
        if method != "lpf" or do_lpf_matrix:
            row["xsmatrix_s"] = median_time(mat, t_l, p_l, repeat=max(1, repeat // 2))
        row["peak_bytes_xsmatrix"], _ = compiled_memory(calc.xsmatrix, t_m, p_m)
        out[f"jaxstro_{method}"] = row
        print(name, method, json.dumps(row), flush=True)

    ex = exojax_functions(lines, keep, nu)
    if ex is None:
        out["exojax"] = "not installed"
        return out
    factories = {"modit": lambda: ex["modit"](np.asarray(t_l), np.asarray(p_l))}
    if exojax_lpf:
        factories["lpf"] = ex["lpf"]
    else:
        out["exojax_lpf"] = (
            f"not run: its numatrix alone is {keep.size * nu.size * 8 / 1e9:.1f} GB (float64)"
        )
    for method, factory in factories.items():
        xsv = factory()
        row = {}
        vec = jax.jit(xsv)
        row["xsvector_s"] = median_time(vec, 1000.0, 1.0, repeat=repeat)

        def matrix(t, p, xsv=xsv):
            return jax.lax.map(lambda tp: xsv(tp[0], tp[1]), (t, p))

        if method != "lpf" or do_lpf_matrix:
            row["xsmatrix_s"] = median_time(jax.jit(matrix), t_l, p_l, repeat=max(1, repeat // 2))
        row["peak_bytes_xsmatrix"], _ = compiled_memory(matrix, t_m, p_m)
        out[f"exojax_{method}"] = row
        js = out[f"jaxstro_{method}"]
        row["speedup_xsvector"] = row["xsvector_s"] / js["xsvector_s"]
        if "xsmatrix_s" in row and "xsmatrix_s" in js:
            row["speedup_xsmatrix"] = row["xsmatrix_s"] / js["xsmatrix_s"]
        row["memory_ratio"] = js["peak_bytes_xsmatrix"] / row["peak_bytes_xsmatrix"]
        print(name, "exojax", method, json.dumps(row), flush=True)
    # PreMODIT against ExoJAX's MODIT (the closest ExoJAX method wired in here)
    if "exojax_modit" in out:
        jp = out["jaxstro_premodit"]
        out["premodit_vs_exojax_modit_xsvector"] = (
            out["exojax_modit"]["xsvector_s"] / jp["xsvector_s"]
        )
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    lines = read_hitran(datasets.sample_path("co_hitemp"))
    results = []
    nu_a, _, _ = wavenumber_grid(22920.0, 23000.0, 3500, unit="AA")
    results.append(
        run_case(
            "a_22920-23000AA_3500",
            lines,
            nu_a,
            n_layers=100,
            mem_layers=200,
            do_lpf_matrix=True,
            exojax_lpf=True,
            repeat=5,
        )
    )
    if not args.quick:
        nu_b, _, _ = wavenumber_grid(4100.0, 4400.0, 150_000)
        results.append(
            run_case(
                "b_4100-4400cm-1_150000",
                lines,
                nu_b,
                n_layers=100,
                mem_layers=200,
                do_lpf_matrix=False,
                exojax_lpf=False,
                repeat=3,
            )
        )
    outdir = pathlib.Path(os.environ.get("JAXSTRO_BENCHDIR", "build/bench"))
    outdir.mkdir(parents=True, exist_ok=True)
    (outdir / "bench_opacity.json").write_text(json.dumps(results, indent=1))
    print("RESULT " + json.dumps(results))


if __name__ == "__main__":
    main()
