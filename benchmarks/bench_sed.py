"""sedphys vs DSPS: forward photometry, its gradient and vmapped throughput on the same SSP
grid (BC03, packaged), SFH (double power law), metallicity (Gaussian in log Z, 0.2 dex), dust
(Charlot & Fall), IGM (Madau) and filters (SDSS ugriz) at z = 0.1, in the same process.

DSPS (installed only in the benchmark environment) runs as its users run it: the SFH
tabulated on a cosmic-time table (``--dsps-table`` points, default 100 as in the DSPS
examples), ``calc_ssp_weights_sfh_table_lognormal_mdf`` for the SSP weights, the weighted SSP
sum as DSPS writes it (broadcast multiply + sum; once for stars younger and once for stars
older than 10 Myr, so the birth-cloud dust can act), and ``calc_obs_mag`` per filter. The
attenuation and IGM factors are the same jnp expressions in both. Medians of repeated warm
runs; compile time is the first call minus a warm call.

    python benchmarks/bench_sed.py [--quick]
"""

from __future__ import annotations

import argparse
import time

import jax
import jax.numpy as jnp
import numpy as np
from _timing import median_time, write_report

from jaxstro import sedphys as sp

jax.config.update("jax_enable_x64", True)

FILTERS = sp.SDSS_UGRIZ
Z = 0.1
TRUTH = sp.default_truth()


def make_dsps(ssp, model, n_table):
    from dsps import calc_obs_mag, calc_ssp_weights_sfh_table_lognormal_mdf
    from dsps.utils import cumulative_mstar_formed

    wave = jnp.asarray(ssp.wave_aa)
    flux = jnp.asarray(ssp.flux)
    young = jnp.asarray(10.0**ssp.lg_age_gyr < 0.01)
    t_obs = float(sp.age_at_z_gyr(Z))
    c = sp.PLANCK18
    om0 = c.Omega_c + c.Omega_b
    filt = [(jnp.asarray(f.wave_aa), jnp.asarray(f.response)) for f in model.filters]
    igm = sp.igm_transmission_madau(wave * (1 + Z), Z)

    def mags(p):
        t_table = jnp.linspace(0.01, t_obs, n_table)
        sfr = sp.sfr_double_power_law(
            t_table, p["log_peak_sfr"], p["tau_gyr"], p["alpha"], p["beta"]
        )
        lgmet = p["logzsol"] + np.log10(sp.Z_SUN)
        w = calc_ssp_weights_sfh_table_lognormal_mdf(
            t_table, sfr, lgmet, 0.2, jnp.asarray(ssp.lgmet), jnp.asarray(ssp.lg_age_gyr), t_obs
        ).weights
        mstar = cumulative_mstar_formed(t_table, sfr)[-1]
        wy = w * young[None, :]
        sed_y = jnp.sum(flux * wy[:, :, None], axis=(0, 1))
        sed_o = jnp.sum(flux * (w - wy)[:, :, None], axis=(0, 1))
        bc = jnp.exp(-sp.power_law_tau(wave, p["tau_bc"], -0.7))
        diff = jnp.exp(-sp.power_law_tau(wave, p["tau_diff"], -0.7))
        lum = mstar * diff * (bc * sed_y + sed_o) * igm
        return jnp.stack(
            [calc_obs_mag(wave, lum, fw, ft, Z, om0, c.w0, c.wa, c.h) for fw, ft in filt]
        )

    return mags


def timings(name, f_single, f_grad, f_batch, p, batches, report, repeat):
    row = {}
    for label, fn, arg in [("forward", f_single, p), ("gradient", f_grad, p)]:
        t0 = time.perf_counter()
        jax.block_until_ready(fn(arg))
        first = time.perf_counter() - t0
        warm = median_time(fn, arg, repeat=repeat)
        row[f"{label}_ms"] = warm * 1e3
        row[f"{label}_compile_s"] = first - warm
    for n, b in batches.items():
        t0 = time.perf_counter()
        jax.block_until_ready(f_batch(b))
        first = time.perf_counter() - t0
        warm = median_time(f_batch, b, repeat=max(3, repeat // 5))
        row[f"vmap{n}_ms_per_galaxy"] = warm * 1e3 / n
        row[f"vmap{n}_compile_s"] = first - warm
    report[name] = row
    print(name, {k: round(v, 4) for k, v in row.items()}, flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--dsps-table", type=int, default=100)
    args = parser.parse_args()
    repeat = 5 if args.quick else 30
    ssp = sp.load_ssp()
    model = sp.SEDModel(sp.default_spec(redshift=Z), ssp, sp.Observation(FILTERS))
    spec = model.spec
    batches = {n: spec.sample_batch(jax.random.PRNGKey(n), n) for n in (100, 1000)}
    if args.quick:
        batches = {100: batches[100]}
    p = {k: jnp.asarray(v) for k, v in TRUTH.items()}

    def ours(q):
        return sp.ab_mag(model.predict_photometry(q))

    report = {"n_wave": int(ssp.wave_aa.size), "n_ssp": int(ssp.flux.shape[0] * ssp.flux.shape[1])}
    fns = {"jaxstro": ours}
    try:
        fns["dsps"] = make_dsps(ssp, model, args.dsps_table)
    except ImportError:
        print("DSPS not installed: jaxstro timings only")
    for name, f in fns.items():
        timings(
            name,
            jax.jit(f),
            jax.jit(jax.grad(lambda q, f=f: jnp.sum(f(q)))),
            jax.jit(jax.vmap(f)),
            p,
            batches,
            report,
            repeat,
        )
    if "dsps" in fns:
        d = np.asarray(jax.jit(fns["dsps"])(p)) - np.asarray(jax.jit(ours)(p))
        report["dsps_minus_jaxstro_mag"] = d.tolist()
        a, b = report["jaxstro"], report["dsps"]
        report["speedup"] = {k: b[k] / a[k] for k in a if k.endswith("ms") or "per_galaxy" in k}
    j = report["jaxstro"]
    report["jaxstro_gradient_over_forward"] = j["gradient_ms"] / j["forward_ms"]
    write_report("sed_photometry", report)


if __name__ == "__main__":
    main()
