"""Nested sampling: jaxstro's run_nested (blackjax nested slice sampling) against jaxns 3.

Problem: a d-dimensional Gaussian likelihood N(mu, s^2 I) in a uniform prior box
[-5, 5]^d, whose evidence is exact: ln Z = sum_i ln[(Phi((5-mu_i)/s) - Phi((-5-mu_i)/s)) / 10].
For each sampler and seed: ln Z error in units of the reported standard deviation, wall time
of a second (warm, compiled) run, likelihood evaluations. Both samplers use their own
defaults (jaxns: ``NestedSampler(model)`` as its README sets it up; ours: ``run_nested``
defaults, num_live=500).

    python benchmarks/bench_nested.py            # d = 2 and 6, 3 seeds each
    python benchmarks/bench_nested.py --quick    # d = 2, 1 seed

jaxns is a benchmark-only dependency (pip install jaxns); it is not needed by infer-utils.
"""

from __future__ import annotations

import argparse
import math
import time

import jax
import jax.numpy as jnp
import numpy as np
from _timing import write_report
from scipy.stats import norm

jax.config.update("jax_enable_x64", True)

from jaxstro.infer_utils import run_nested  # noqa: E402

S = 0.4
BOX = 5.0


def problem(d):
    mu = np.linspace(-1.5, 1.5, d)

    def log_lik(x):
        r = (x - mu) / S
        return jnp.sum(-0.5 * r**2 - math.log(S) - 0.5 * math.log(2 * math.pi))

    log_z = float(
        np.sum(np.log((norm.cdf((BOX - mu) / S) - norm.cdf((-BOX - mu) / S)) / (2 * BOX)))
    )
    return mu, log_lik, log_z


def run_ours(d, log_lik, seed):
    prior = {"x": (np.full(d, -BOX), np.full(d, BOX))}

    def ll(p):  # one function object for both runs (as jaxns' one Model)
        return log_lik(p["x"])

    res = None
    times = []
    for _ in range(2):  # the second run reuses the compiled programs
        t0 = time.perf_counter()
        res = run_nested(ll, prior, jax.random.key(seed), progress_bar=False)
        times.append(time.perf_counter() - t0)
    return dict(
        log_z=res.log_evidence,
        log_z_err=res.log_evidence_err,
        wall_s=times[1],
        first_run_s=times[0],
        n_like=int(res.num_likelihood_evals),
        ess=float(res.ess),
    )


def run_jaxns(d, log_lik, seed):
    import tensorflow_probability.substrates.jax as tfp
    from jaxns.core import NestedSampler
    from jaxns.model import Model
    from jaxns.priors import Prior

    tfpd = tfp.distributions

    def prior_model():
        x = Prior(tfpd.Uniform(low=jnp.full(d, -BOX), high=jnp.full(d, BOX)), name="x").realise()
        return log_lik(x)

    model = Model(prior_model=prior_model)
    times = []
    res = None
    for _ in range(2):
        t0 = time.perf_counter()
        state = NestedSampler(model=model).run(key=jax.random.PRNGKey(seed))
        res = state.to_result().trim()
        jax.block_until_ready(res.log_Z_mean)
        times.append(time.perf_counter() - t0)
    return dict(
        log_z=float(res.log_Z_mean),
        log_z_err=float(res.log_Z_uncert),
        wall_s=times[1],
        first_run_s=times[0],
        n_like=int(res.total_num_likelihood_evaluations),
        ess=float(res.ESS) if hasattr(res, "ESS") else float("nan"),
    )


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args()
    dims = [2] if a.quick else [2, 6]
    seeds = [0] if a.quick else [0, 1, 2]
    report = {}
    for d in dims:
        _, log_lik, log_z = problem(d)
        for name, runner in [("blackjax_nss", run_ours), ("jaxns", run_jaxns)]:
            rows = []
            for seed in seeds:
                try:
                    r = runner(d, log_lik, seed)
                except Exception as exc:  # report, do not hide: a failed run is a result
                    r = dict(error=f"{type(exc).__name__}: {exc}"[:300])
                else:
                    r["z_score"] = (r["log_z"] - log_z) / r["log_z_err"]
                rows.append(r)
                print(d, name, seed, r, flush=True)
            ok = [r for r in rows if "error" not in r]
            report[f"d{d}_{name}"] = dict(
                exact_log_z=log_z,
                runs=rows,
                median_wall_s=float(np.median([r["wall_s"] for r in ok])) if ok else None,
                median_abs_err=float(np.median([abs(r["log_z"] - log_z) for r in ok]))
                if ok
                else None,
                median_reported_err=float(np.median([r["log_z_err"] for r in ok])) if ok else None,
                median_n_like=float(np.median([r["n_like"] for r in ok])) if ok else None,
            )
    write_report("nested", report)


if __name__ == "__main__":
    main()
