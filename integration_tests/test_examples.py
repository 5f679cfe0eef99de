"""Every example runs headless in --quick mode and ends with a parseable RESULT line."""

import json
import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
EXAMPLES = sorted(p for p in (ROOT / "examples").glob("*.py") if not p.name.startswith("_"))


def _run(script, *args, timeout):
    env = dict(os.environ, MPLBACKEND="Agg", JAX_PLATFORMS="cpu")
    out = subprocess.run(
        [sys.executable, str(script), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        cwd=ROOT,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    last = out.stdout.strip().splitlines()[-1]
    assert last.startswith("RESULT "), last
    return json.loads(last[len("RESULT ") :])


def _check_gd1(r):
    assert r["n_stars"] == 2960 and r["lbfgs_success"]
    assert r["objective_opt"] < r["objective_init"]
    # closed-form Poisson-process MLE of the Gaussian toy: the sample mean and std of the draws
    assert abs(r["toy_gauss_mu"] - 0.02868779) < 1e-6
    assert abs(r["toy_gauss_sigma"] - 0.31114802) < 1e-6


def _check_absorption(r):
    # the posterior covers the truth (data drawn with a fixed key) and the optimisers agree
    assert all(abs(v) < 4 for v in r["nuts_pull"].values())
    assert r["nuts_max_rhat"] < 1.1
    for k, v in r["truth"].items():
        assert abs(r["svi_mean"][k] - v) < 5 * r["nuts_sd"][k] + 0.01
    assert abs(r["adam_final_chi2"] - r["map_chi2"]) < 1e-3 * r["map_chi2"]
    # 241 points, 2 parameters: chi^2 at the optimum is ~ 239 +- 22
    assert 150 < r["map_chi2"] < 330
    # hot CO: the hot bands fill in - the 1500 K band is stronger at its peak than the 500 K one
    assert r["co_xs_max_1500K"] > r["co_xs_max_500K"] > 0


def _check_sed(r):
    # 5 bands, 7 parameters: the MAP reproduces the photometry
    assert r["map_chi2"] < 15
    # every backend's posterior covers the truth: each true parameter inside the central
    # 99 % interval, the derived stellar mass within 4 sd (+0.05 dex for the model floor)
    for backend, q in r["truth_quantiles"].items():
        assert all(0.002 < v < 0.998 for v in q.values()), (backend, q)
        mean, sd = r["log_mstar"][backend]
        assert abs(mean - r["true_log_mstar"]) < 4 * sd + 0.05, backend
    fit = r["batch"]["100"]
    assert fit["map_median_chi2"] < 10 and fit["map_log_mstar_median_abs_err"] < 0.3


def _check_emission(r):
    # chi^2 of the MAP against the noise it was drawn with: n_obs +- 5 sqrt(2 n_obs) (7 fitted)
    n = r["retrieval_model"]["n_obs"]
    assert abs(r["map_chi2"] - n) < 5 * (2 * n) ** 0.5, (r["map_chi2"], n)
    # NUTS and nested sampling cover the truth: every true value inside the central 99.6 % of
    # each posterior. Not checked in --quick (reported in the RESULT): the SVI guides (800
    # steps leave AutoMultivariateNormal too narrow along the logg-MMR-T0 degeneracy and
    # AutoBNAFNormal's sigma too wide) and NUTS's R-hat (2 x 150 draws: 1.22 measured)
    for backend in ("NUTS", "Nested"):
        q = r["backends"][backend]["truth_quantile"]
        assert len(q) == 7 and all(0.002 < v < 0.998 for v in q.values()), (backend, q)
    assert r["nuts"]["divergences"] < 10, r["nuts"]
    # the evidence: nested with an error, agreeing with Laplace's to a few nats
    ln_z, err = r["nested_log_evidence"]
    assert 0 < err < 2 and abs(ln_z - r["laplace_log_evidence"]) < 5 * err + 2
    # the tutorial model: positive cross sections and fluxes
    tut = r["tutorial"]
    assert tut["xs_max_1500K"] > 0 and tut["xs_max_500K"] > 0
    assert tut["raw_flux_median"] > 0 and tut["observed_flux_median"] > 0


CHECKS = {
    "emission_retrieval": _check_emission,
    "gd1_stream_density": _check_gd1,
    "absorption_line_fit": _check_absorption,
    "galaxy_sed_fit": _check_sed,
}


# The emission retrieval's --quick run takes ~25 min on CI's 2 cores today (NUTS and nested
# sampling on the reduced model), over this job's budget: it runs in `nox -s slow` until its
# quick mode is cut down (issue 13). Its RESULT check below is the same in both sessions.
SLOW_QUICK = {"emission_retrieval"}
QUICK_PARAMS = [
    pytest.param(p, marks=pytest.mark.slow) if p.stem in SLOW_QUICK else p for p in EXAMPLES
]


@pytest.mark.parametrize("script", QUICK_PARAMS, ids=[p.stem for p in EXAMPLES])
def test_example_quick(script, tmp_path):
    timeout = 3600 if script.stem in SLOW_QUICK else 900
    result = _run(script, "--quick", "--figdir", str(tmp_path), timeout=timeout)
    assert result
    CHECKS.get(script.stem, lambda r: None)(result)


@pytest.mark.slow
def test_gd1_example_full(tmp_path):
    r = _run(ROOT / "examples" / "gd1_stream_density.py", "--figdir", str(tmp_path), timeout=3600)
    assert r["nuts_max_rhat"] < 1.1
    assert (tmp_path / "gd1_density_map.png").exists()
    assert (tmp_path / "gd1_track_density.png").exists()
