"""Cross-section speed and memory: jaxstro LPF / MODIT / PreMODIT, and ExoJAX on the same input.

Grids (issue 3): (a) 22920-23000 Angstrom, 3,500 ESLOG points; (b) 4100-4400 cm^-1, 150,000
ESLOG points; CO HITEMP sample lines within 25 cm^-1 of the grid (identical for both codes).
Times are medians of repeated warm runs (compile excluded, reported separately); memory is
XLA's own accounting of the compiled program (arguments + outputs + temporaries), read with
``compiled.memory_analysis()`` - the same ruler for both codes.

ExoJAX (``pip install exojax``) is only needed here; without it the ExoJAX rows are skipped.
ExoJAX LPF and MODIT are called as functions: LPF = ``exojax.opacity.lpf.lpf.xsvector`` on its
(lines x grid) ``numatrix``; MODIT = ``xsvector_zeroscan`` with the DIT grid from
``ditgrid_log_interval`` (resolution 0.2, the ExoJAX default) computed once outside the timed
call. ExoJAX PreMODIT is its ``OpaPremodit`` class on a stand-in ``mdb`` holding the same line
arrays; its HITRAN path handles one isotopologue, so that comparison (both codes) uses the
12C16O lines only, and is also run with jaxstro's internal refinement switched off
(``oversample=1``, the resolution ExoJAX works at). Each row also gives the accuracy at 1000 K,
1 bar (PreMODIT also at 1e-3 bar): median and 99th percentile relative difference from
jaxstro's LPF (itself within 1e-6 of scipy's wofz) where the cross section exceeds 1e-3 of its
maximum.

Run: ``python benchmarks/bench_opacity.py [--quick]`` (``--quick``: grid (a) only). The
PreMODIT comparison runs each code in a child process: ExoJAX's dense line-basis density for
grid (b) does not fit in 24 GB, and a killed child is reported as such.
"""

from __future__ import annotations

import argparse
import json
import time

import jax
import jax.numpy as jnp
import numpy as np

jax.config.update("jax_enable_x64", True)

from _timing import median_time, write_report  # noqa: E402

from jaxstro.linedb import datasets, read_hitran  # noqa: E402
from jaxstro.opacity import make_calculator, wavenumber_grid  # noqa: E402


def select_lines(lines, nu_grid, margin_cm1):
    """Indices of the lines centred within ``margin_cm1`` [cm^-1] of the grid's ends (the
    lines every calculator here is given, so both codes see the same input)."""
    nu = np.asarray(nu_grid)
    nu_l = np.asarray(lines.nu_cm1)
    return np.flatnonzero((nu_l >= nu[0] - margin_cm1) & (nu_l <= nu[-1] + margin_cm1))


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
    # ExoJAX's HITRAN widths are per atm (it divides P [bar] by 1.01325); LineList's are per bar
    g_air = jnp.asarray(lines.gamma_ref[keep, 0] * 1.01325)
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
            [
                np.asarray(gamma_hitran(p, t, 0.0, n_air, g_air, g_air))
                for t, p in zip(t_all, p_all, strict=True)
            ]
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


def accuracy(got, ref):
    got, ref = np.asarray(got), np.asarray(ref)
    m = ref > 1e-3 * ref.max()
    r = np.abs(got[m] / ref[m] - 1)
    return {"median_rel": float(np.median(r)), "p99_rel": float(np.percentile(r, 99))}


def subset(lines, index):
    n = lines.n_lines
    fixed = ("pf_t_k", "pf_q", "pf_isotopes", "broadener_fractions")
    return lines._replace(
        **{
            f: np.asarray(getattr(lines, f))[index]
            for f in lines._fields
            if isinstance(getattr(lines, f), np.ndarray)
            and getattr(lines, f).shape[:1] == (n,)
            and f not in fixed
        }
    )


def exojax_premodit(lines, nu_grid, robust_range):
    """ExoJAX OpaPremodit on ``lines`` (one isotopologue) through a stand-in mdb."""
    import types

    from exojax.opacity.premodit.api import OpaPremodit

    row = int(np.flatnonzero(lines.pf_isotopes == lines.isotope[0])[0])
    mdb = types.SimpleNamespace(
        dbtype="hitran",
        molmass=float(lines.molmass_amu[0]),
        T_gQT=jnp.asarray(lines.pf_t_k)[None, :],
        gQT=jnp.asarray(lines.pf_q[row])[None, :],
        line_strength_ref_original=np.asarray(lines.strength_ref * lines.abundance),
        isotope=int(lines.isotope[0]),
        uniqiso=np.array([int(lines.isotope[0])]),
        n_air=np.asarray(lines.n_temp[:, 0]),
        gamma_air=np.asarray(lines.gamma_ref[:, 0] * 1.01325),  # per atm, as ExoJAX expects
        nu_lines=np.asarray(lines.nu_cm1),
        elower=np.asarray(lines.elower_cm1),
    )
    return OpaPremodit(
        mdb,
        nu_grid,
        auto_trange=robust_range,
        broadening_resolution={"mode": "manual", "value": 0.2},
        wavelength_order="ascending",
    )


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
        row["xsvector_s"] = median_time(vec, 1000.0, 1.0, repeat=repeat, warmup=1)
        if method == "lpf":
            ref = vec(1000.0, 1.0)
        row.update(accuracy(vec(1000.0, 1.0), ref))
        if method != "lpf" or do_lpf_matrix:
            row["xsmatrix_s"] = median_time(mat, t_l, p_l, repeat=max(1, repeat // 2), warmup=1)
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
        row["xsvector_s"] = median_time(vec, 1000.0, 1.0, repeat=repeat, warmup=1)
        row.update(accuracy(vec(1000.0, 1.0), ref))

        def matrix(t, p, xsv=xsv):
            return jax.lax.map(lambda tp: xsv(tp[0], tp[1]), (t, p))

        if method != "lpf" or do_lpf_matrix:
            row["xsmatrix_s"] = median_time(
                jax.jit(matrix), t_l, p_l, repeat=max(1, repeat // 2), warmup=1
            )
        row["peak_bytes_xsmatrix"], _ = compiled_memory(matrix, t_m, p_m)
        out[f"exojax_{method}"] = row
        js = out[f"jaxstro_{method}"]
        row["speedup_xsvector"] = row["xsvector_s"] / js["xsvector_s"]
        if "xsmatrix_s" in row and "xsmatrix_s" in js:
            row["speedup_xsmatrix"] = row["xsmatrix_s"] / js["xsmatrix_s"]
        row["memory_ratio"] = js["peak_bytes_xsmatrix"] / row["peak_bytes_xsmatrix"]
        print(name, "exojax", method, json.dumps(row), flush=True)
    # PreMODIT: both codes on the 12C16O lines (ExoJAX's HITRAN PreMODIT takes one
    # isotopologue), each in a child process so that running out of memory is reported, not fatal
    codes = ("jaxstro", "jaxstro_oversample1", "exojax")
    rows = {code: premodit_row_in_child(name, code) for code in codes}
    if all("xsvector_s" in rows[c] for c in ("jaxstro", "exojax")):
        rows["speedup_xsvector"] = rows["exojax"]["xsvector_s"] / rows["jaxstro"]["xsvector_s"]
        rows["speedup_xsmatrix"] = rows["exojax"]["xsmatrix_s"] / rows["jaxstro"]["xsmatrix_s"]
        rows["memory_ratio"] = (
            rows["jaxstro"]["peak_bytes_xsmatrix"] / rows["exojax"]["peak_bytes_xsmatrix"]
        )
        if "xsvector_s" in rows["jaxstro_oversample1"]:
            rows["memory_ratio_oversample1"] = (
                rows["jaxstro_oversample1"]["peak_bytes_xsmatrix"]
                / rows["exojax"]["peak_bytes_xsmatrix"]
            )
    out["premodit_12C16O"] = rows
    print(name, "premodit 12C16O", json.dumps(rows), flush=True)
    return out


GRIDS = {
    "a_22920-23000AA_3500": dict(start=22920.0, stop=23000.0, n=3500, unit="AA", repeat=5),
    "b_4100-4400cm-1_150000": dict(start=4100.0, stop=4400.0, n=150_000, unit="cm-1", repeat=3),
}


def grid_of(name):
    g = GRIDS[name]
    nu, _, _ = wavenumber_grid(g["start"], g["stop"], g["n"], unit=g["unit"])
    return nu


def premodit_row_in_child(name, code):
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, __file__, "--premodit-row", name, code], capture_output=True, text=True
    )
    rows = [ln for ln in out.stdout.splitlines() if ln.startswith("ROW ")]
    if out.returncode != 0 or not rows:
        tail = (out.stderr.strip().splitlines() or [""])[-1][:200]
        return {"failed": f"exit code {out.returncode} (-9: killed, out of memory); {tail}"}
    return json.loads(rows[-1][4:])


def premodit_row(name, code):
    lines = read_hitran(datasets.sample_path("co_hitemp"))
    nu = grid_of(name)
    keep = select_lines(lines, nu, 25.0)
    main_iso = subset(lines, keep[lines.isotope[keep] == 1])
    robust = (300.0, 3000.0)
    repeat = GRIDS[name]["repeat"]
    t_l, p_l = layers(100)
    t_m, p_m = layers(200)
    if code == "jaxstro":
        xsv = make_calculator(main_iso, nu, method="premodit", robust_range=robust).xsvector
    elif code == "jaxstro_oversample1":  # ExoJAX's resolution: no refined internal grid
        calc = make_calculator(main_iso, nu, method="premodit", robust_range=robust, oversample=1)
        xsv = calc.xsvector
    else:
        xsv = exojax_premodit(main_iso, nu, robust).xsvector
    row = {}
    vec = jax.jit(xsv)
    row["xsvector_s"] = median_time(vec, 1000.0, 1.0, repeat=repeat, warmup=1)
    lpf = jax.jit(make_calculator(main_iso, nu, method="lpf").xsvector)
    row.update(accuracy(vec(1000.0, 1.0), lpf(1000.0, 1.0)))
    # at low pressure the Doppler cores dominate and the grid resolution matters most
    low_p = accuracy(vec(1000.0, 1e-3), lpf(1000.0, 1e-3))
    row.update({f"{k}_1e-3bar": v for k, v in low_p.items()})

    def matrix(t, p):
        return jax.lax.map(lambda tp: xsv(tp[0], tp[1]), (t, p))

    row["xsmatrix_s"] = median_time(jax.jit(matrix), t_l, p_l, repeat=max(1, repeat // 2), warmup=1)
    row["peak_bytes_xsmatrix"], _ = compiled_memory(matrix, t_m, p_m)
    print("ROW " + json.dumps(row), flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="grid (a) only")
    ap.add_argument("--premodit-row", nargs=2, metavar=("GRID", "CODE"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.premodit_row:
        premodit_row(*args.premodit_row)
        return
    lines = read_hitran(datasets.sample_path("co_hitemp"))
    results = []
    for name in GRIDS if not args.quick else list(GRIDS)[:1]:
        big = name.startswith("b")
        results.append(
            run_case(
                name,
                lines,
                grid_of(name),
                n_layers=100,
                mem_layers=200,
                do_lpf_matrix=not big,
                exojax_lpf=not big,
                repeat=GRIDS[name]["repeat"],
            )
        )
    write_report("bench_opacity", results)


if __name__ == "__main__":
    main()
