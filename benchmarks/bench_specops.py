"""Spectral operators: jaxstro.specops vs ExoJAX 2.6 ``SopRotation`` / ``SopInstProfile`` on
identical input.

Grids (as bench_opacity): (a) 22920-23000 Angstrom, 3,500 ESLOG points (R = 1.0e6,
dv = 0.30 km/s); (b) 4100-4400 cm^-1, 150,000 ESLOG points (R = 2.1e6, dv = 0.14 km/s). The
spectrum is a sloped continuum times 300 Gaussian absorption lines (depths 0.05-0.6, so
it stays positive and relative differences are meaningful; same seed in both codes).
Operations, each jitted with the operator / parameters as arguments, float64, CPU:

* rotation: vsini = 30 km/s, u1 = 0.4, u2 = 0.2, kernels prepared for vsini_max = 50 km/s;
* IP: resolving power 70,000 (ExoJAX: its standard deviation beta = 1.82 km/s), kernel
  +-8 sigma in both codes (ExoJAX vrmax = 8 beta; jaxstro n_sigma = 8);
* sampling: RV = 12.3 km/s onto every 4th model point (ExoJAX ``sampling`` = linear
  interpolation; jaxstro ``method="linear"`` and the bin-integrated ``"flux"``);
* chain: rotation -> IP -> sampling, and its value and gradient with respect to
  (vsini, u1, u2, R or beta, RV) of a squared-residual loss.

jaxstro runs twice: with its defaults (exact bin-integrated kernels, "extend" edges, c/R
velocity step) and with ExoJAX's options (``kernel="sampled", edge="zero",
velocity_step="exojax"``), which computes the same numbers as ExoJAX (max relative difference
reported as ``max_rel_diff_vs_exojax``). ExoJAX runs in a child process under its own venv
(``--exojax-python``, default /work/venv-exojax/bin/python): its rows are skipped if that
interpreter cannot import exojax.

Times are medians of warm runs (compile excluded). Because the two codes run in different
processes, each process also times a same-process baseline, a jitted real FFT round trip of
the grid's length (``fft_s``); ``ratio`` is ExoJAX time / jaxstro time, and ``ratio_fft`` the
same ratio with each time divided by its own process's baseline (it removes a change of
machine load between the processes).

Run: ``python benchmarks/bench_specops.py [--quick] [--repeat 30]`` (``--quick``: grid (a)
only).
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import subprocess
import tempfile

import jax
import jax.numpy as jnp
import numpy as np

jax.config.update("jax_enable_x64", True)
from _timing import median_time, write_report  # noqa: E402

C_KMS = 299792.458
GRIDS = {
    "a_3500": dict(lo=1e8 / 23000.0, hi=1e8 / 22920.0, n=3500, repeat=50),
    "b_150000": dict(lo=4100.0, hi=4400.0, n=150_000, repeat=20),
}
VSINI, U1, U2, VSINI_MAX = 30.0, 0.4, 0.2, 50.0
R_IP = 70000.0
BETA_KMS = C_KMS / (R_IP * 2.0 * np.sqrt(2.0 * np.log(2.0)))
N_SIGMA = 8.0
RV_KMS = 12.3
OPS = ("rotation", "ip", "sampling", "chain", "chain_grad")


def grid_and_spectrum(name):
    g = GRIDS[name]
    nu = np.exp(np.linspace(np.log(g["lo"]), np.log(g["hi"]), g["n"]))
    rng = np.random.default_rng(2026)
    x = (nu - nu.mean()) / (nu[-1] - nu[0])
    f = 1.0 + 0.1 * x
    span = nu[-1] - nu[0]
    for c, d, w in zip(
        rng.uniform(nu[0] + 0.05 * span, nu[-1] - 0.05 * span, 300),
        rng.uniform(0.05, 0.6, 300),
        rng.uniform(3.0, 30.0, 300) * (nu[1] - nu[0]),
        strict=True,
    ):
        f = f * (1.0 - d * np.exp(-0.5 * ((nu - c) / w) ** 2))  # stays positive
    nu_obs = nu[200:-200:4]
    return nu, f, nu_obs


def fft_baseline(n, repeat):
    x = jnp.asarray(np.random.default_rng(0).standard_normal(n))
    fn = jax.jit(lambda y: jnp.fft.irfft(jnp.fft.rfft(y), n))
    return median_time(fn, x, repeat=repeat)


def time_ops(fns, args, repeat):
    """{op: median seconds} and the outputs of the value ops."""
    times, outs = {}, {}
    for op in OPS:
        times[op] = median_time(fns[op], *args[op], repeat=repeat)
        if op != "chain_grad":
            outs[op] = np.asarray(fns[op](*args[op]))
    return times, outs


def exojax_child(name, out_path, repeat):
    """Runs under the ExoJAX venv: times SopRotation / SopInstProfile and saves outputs."""
    import exojax
    from exojax.postproc.specop import SopInstProfile, SopRotation

    nu, f, nu_obs = grid_and_spectrum(name)
    rot = SopRotation(jnp.asarray(nu), vsini_max=VSINI_MAX)
    ip = SopInstProfile(jnp.asarray(nu), vrmax=N_SIGMA * BETA_KMS)
    nu_obs_j, f_j = jnp.asarray(nu_obs), jnp.asarray(f)

    def chain(f, p):
        y = rot.rigid_rotation(f, p[0], p[1], p[2])
        return ip.sampling(ip.ipgauss(y, p[3]), p[4], nu_obs_j)

    p0 = jnp.array([VSINI, U1, U2, BETA_KMS, RV_KMS])
    data = chain(f_j, p0 * jnp.array([1.01, 1.0, 1.0, 0.99, 1.0]))

    fns = {
        "rotation": jax.jit(lambda f, v, a, b: rot.rigid_rotation(f, v, a, b)),
        "ip": jax.jit(lambda f, beta: ip.ipgauss(f, beta)),
        "sampling": jax.jit(lambda f, rv: ip.sampling(f, rv, nu_obs_j)),
        "chain": jax.jit(chain),
        "chain_grad": jax.jit(jax.value_and_grad(lambda p: jnp.sum((chain(f_j, p) - data) ** 2))),
    }
    args = {
        "rotation": (f_j, VSINI, U1, U2),
        "ip": (f_j, BETA_KMS),
        "sampling": (f_j, RV_KMS),
        "chain": (f_j, p0),
        "chain_grad": (p0,),
    }
    times, outs = time_ops(fns, args, repeat)
    np.savez(out_path, **outs)
    row = {"version": exojax.__version__, "fft_s": fft_baseline(nu.size, repeat), **times}
    print("ROW " + json.dumps(row), flush=True)


def jaxstro_rows(name, repeat):
    from jaxstro import specops

    nu, f, nu_obs = grid_and_spectrum(name)
    f_j = jnp.asarray(f)
    rows, outputs = {}, {}
    for label, opts in (
        ("jaxstro", {}),
        ("jaxstro_exojax_options", dict(kernel="sampled", edge="zero", velocity_step="exojax")),
    ):
        rot = specops.prepare_rotation(nu, vsini_max_kms=VSINI_MAX, **opts)
        ip = specops.prepare_instrumental_profile(
            nu, resolving_power_min=R_IP * (1 - 1e-9), n_sigma=N_SIGMA, **opts
        )
        rs = specops.prepare_resampling(nu, nu_obs)

        def chain(rot, ip, rs, f, p):
            y = rot.apply(f, p[0], p[1], p[2])
            return rs.apply(ip.apply(y, p[3]), p[4])

        p0 = jnp.array([VSINI, U1, U2, R_IP, RV_KMS])
        data = chain(rot, ip, rs, f_j, p0 * jnp.array([1.01, 1.0, 1.0, 1.01, 1.0]))
        loss = jax.jit(
            jax.value_and_grad(
                lambda p, rot, ip, rs, data: jnp.sum((chain(rot, ip, rs, f_j, p) - data) ** 2)
            )
        )
        fns = {
            "rotation": jax.jit(lambda op, f, v, a, b: op.apply(f, v, a, b)),
            "ip": jax.jit(lambda op, f, r: op.apply(f, r)),
            "sampling": jax.jit(lambda op, f, rv: op.apply(f, rv)),
            "chain": jax.jit(chain),
            "chain_grad": loss,
        }
        args = {
            "rotation": (rot, f_j, VSINI, U1, U2),
            "ip": (ip, f_j, R_IP),
            "sampling": (rs, f_j, RV_KMS),
            "chain": (rot, ip, rs, f_j, p0),
            "chain_grad": (p0, rot, ip, rs, data),
        }
        times, outs = time_ops(fns, args, repeat)
        rows[label] = {"fft_s": fft_baseline(nu.size, repeat), **times}
        outputs[label] = outs
    rs_flux = specops.prepare_resampling(nu, nu_obs, method="flux")
    rows["jaxstro"]["sampling_flux"] = median_time(
        jax.jit(lambda op, f, rv: op.apply(f, rv)), rs_flux, f_j, RV_KMS, repeat=repeat
    )
    return rows, outputs


def exojax_row_in_child(name, python, repeat):
    with tempfile.TemporaryDirectory() as tmp:
        out_path = pathlib.Path(tmp) / "exojax.npz"
        env = dict(os.environ, JAX_PLATFORMS="cpu")
        env["PYTHONPATH"] = str(pathlib.Path(__file__).parent)
        run = subprocess.run(
            [python, __file__, "--exojax-child", name, str(out_path), "--repeat", str(repeat)],
            capture_output=True,
            text=True,
            env=env,
        )
        rows = [ln for ln in run.stdout.splitlines() if ln.startswith("ROW ")]
        if run.returncode != 0 or not rows:
            tail = (run.stderr.strip().splitlines() or [""])[-1][:300]
            return {"failed": f"exit code {run.returncode}; {tail}"}, None
        return json.loads(rows[-1][4:]), dict(np.load(out_path))


def exojax_available(python):
    if not pathlib.Path(python).exists():
        return False
    run = subprocess.run([python, "-c", "import exojax"], capture_output=True)
    return run.returncode == 0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeat", type=int, default=None)
    parser.add_argument(
        "--exojax-python",
        default=os.environ.get("JAXSTRO_EXOJAX_PYTHON", "/work/venv-exojax/bin/python"),
    )
    parser.add_argument("--exojax-child", nargs=2, metavar=("GRID", "OUT"))
    args = parser.parse_args()
    if args.exojax_child:
        name, out = args.exojax_child
        exojax_child(name, out, args.repeat or GRIDS[name]["repeat"])
        return

    report = {"backend": jax.default_backend(), "device": str(jax.devices()[0])}
    have_exojax = exojax_available(args.exojax_python)
    for name in ("a_3500",) if args.quick else tuple(GRIDS):
        repeat = args.repeat or GRIDS[name]["repeat"]
        rows, outputs = jaxstro_rows(name, repeat)
        if have_exojax:
            ex, ex_out = exojax_row_in_child(name, args.exojax_python, repeat)
            rows["exojax"] = ex
            if ex_out is not None:
                ours = outputs["jaxstro_exojax_options"]
                rows["max_rel_diff_vs_exojax"] = {
                    op: float(np.max(np.abs(ours[op] / ex_out[op] - 1.0))) for op in ex_out
                }
                for label in ("jaxstro", "jaxstro_exojax_options"):
                    r = rows[label]
                    r["ratio"] = {op: ex[op] / r[op] for op in OPS}
                    r["ratio_fft"] = {
                        op: (ex[op] / ex["fft_s"]) / (r[op] / r["fft_s"]) for op in OPS
                    }
        else:
            rows["exojax"] = f"not available ({args.exojax_python})"
        report[name] = rows
        print(name, json.dumps(rows, indent=1), flush=True)
    print_table(report)
    write_report("specops", report)


def print_table(report):
    print("\nmedian warm time [ms] (ratio = ExoJAX / jaxstro; in brackets: FFT-normalised)")
    for name in GRIDS:
        if name not in report:
            continue
        rows = report[name]
        ex = rows.get("exojax")
        print(f"\n{name}")
        print(f"{'op':12s} {'jaxstro':>10s} {'jx-exoopts':>10s} {'exojax':>10s} {'ratio':>16s}")
        for op in OPS:
            a = rows["jaxstro"][op] * 1e3
            b = rows["jaxstro_exojax_options"][op] * 1e3
            if isinstance(ex, dict) and op in ex:
                c = f"{ex[op] * 1e3:10.3f}"
                r = rows["jaxstro"]["ratio"][op]
                rn = rows["jaxstro"]["ratio_fft"][op]
                ratio = f"{r:6.2f} [{rn:5.2f}]"
            else:
                c, ratio = f"{'-':>10s}", ""
            print(f"{op:12s} {a:10.3f} {b:10.3f} {c} {ratio:>16s}")
        print(f"{'sampling_flux':12s} {rows['jaxstro']['sampling_flux'] * 1e3:10.3f}")


if __name__ == "__main__":
    main()
