"""SEDModel as a pytree argument vs captured as constants: compile time, memory, call time.

``jax.jit(model.predict_photometry)`` (the bound method) closes over the model, so its SSP
tables become constants of the compiled program; ``jax.jit(SEDModel.predict_photometry)``
called as ``f(model, params)`` takes them as arguments (the model is a pytree). Both run here,
in the same process, on the packaged BC03 grid with SDSS ugriz at z = 0.1 (fixed) and with a
free redshift. Reported per form: trace + compile time (median of fresh compilations after
``jax.clear_caches()``), the bytes of constants in the traced program (jaxpr consts), XLA's
memory analysis of the compiled executable (arguments, temporaries, generated code), the peak
RSS growth of the compilation, and the median warm call time.

    python benchmarks/bench_sed_compile.py [--quick]
"""

from __future__ import annotations

import argparse
import resource
import time

import jax
import numpy as np
from _timing import median_time, write_report

from jaxstro import sedphys as sp

jax.config.update("jax_enable_x64", True)


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def measure(label, fn, args, repeat):
    consts = jax.make_jaxpr(fn)(*args).consts
    const_mb = sum(np.asarray(c).nbytes for c in consts) / 1e6
    compile_s = []
    rss_before = _rss_mb()
    for _ in range(repeat):
        jax.clear_caches()
        t0 = time.perf_counter()
        compiled = jax.jit(fn).lower(*args).compile()
        compile_s.append(time.perf_counter() - t0)
    rss_growth = _rss_mb() - rss_before
    mem = compiled.memory_analysis()
    jitted = jax.jit(fn)
    call_ms = 1e3 * median_time(jitted, *args, repeat=30 if repeat > 1 else 5)
    row = {
        "compile_s": float(np.median(compile_s)),
        "jaxpr_const_mb": const_mb,
        "xla_argument_mb": mem.argument_size_in_bytes / 1e6 if mem else None,
        "xla_temp_mb": mem.temp_size_in_bytes / 1e6 if mem else None,
        "xla_generated_code_mb": mem.generated_code_size_in_bytes / 1e6 if mem else None,
        "peak_rss_growth_mb": rss_growth,
        "call_ms": call_ms,
    }
    print(f"{label:28s} " + "  ".join(f"{k}={v:.4g}" for k, v in row.items() if v is not None))
    return row


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    repeat = 1 if args.quick else 5
    ssp = sp.load_ssp()
    truth = sp.default_truth()
    report = {"jax": jax.__version__, "repeat": repeat}
    for z_label, spec in (
        ("fixed_z", sp.default_spec(redshift=0.1)),
        (
            "free_z",
            sp.ParamSpec({**sp.default_spec().priors, "redshift": sp.Uniform(0.05, 0.3)}),
        ),
    ):
        model = sp.SEDModel(spec, ssp, sp.Observation(sp.SDSS_UGRIZ))
        params = dict(truth) if z_label == "fixed_z" else {**truth, "redshift": 0.1}
        # the pytree form runs first, so the RSS peak of the captured form is not hidden by it
        arg = measure(
            f"{z_label} model as argument", sp.SEDModel.predict_photometry, (model, params), repeat
        )
        cap = measure(f"{z_label} captured (bound)", model.predict_photometry, (params,), repeat)
        np.testing.assert_allclose(
            jax.jit(sp.SEDModel.predict_photometry)(model, params),
            jax.jit(model.predict_photometry)(params),
            rtol=1e-12,
        )
        report[z_label] = {
            "argument": arg,
            "captured": cap,
            "compile_speedup": cap["compile_s"] / arg["compile_s"],
        }
    write_report("sed_compile", report)


if __name__ == "__main__":
    main()
