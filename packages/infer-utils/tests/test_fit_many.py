"""fit_many: many independent fits in compiled, sharded chunks.

References: closed-form modes, covariances and evidences of Gaussian log densities; the
closed-form MLE of a normal sample (mean, root mean square deviation) with a bounded scale;
``fit`` (scipy L-BFGS-B and the eager Laplace) run on each object alone; a subprocess with
four forced host devices against one device.
"""

import os
import subprocess
import sys
import textwrap

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxstro.infer_utils import FIT_MANY_METHODS, FitManyResult, fit, fit_many

N_OBJ, DIM = 5, 3
NAN_OBJ = 3  # the object whose datum is NaN


def _gaussians(n, seed):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(n, DIM, DIM))
    cov = a @ a.transpose(0, 2, 1) + 0.5 * np.eye(DIM)
    return {"mu": rng.normal(size=(n, DIM)), "prec": np.linalg.inv(cov)}, cov


def gauss_logp(p, d):
    """Unnormalised N(mu, prec^-1) over {"x": (3,)}: mode mu, Laplace cov exact."""
    r = p["x"] - d["mu"]
    return -0.5 * r @ d["prec"] @ r


def normal_sample_logp(p, d):
    """Normal log likelihood of a sample y (flat prior): MAP mu = mean, sigma = rms deviation."""
    z = (d["y"] - p["mu"]) / p["sigma"]
    return jnp.sum(-0.5 * z**2 - jnp.log(p["sigma"]))


BOUNDS = {"sigma": (1e-3, 10.0)}


class CompileCounter:
    """Counts XLA backend compilations while active."""

    def __enter__(self):
        self.count = 0
        jax.monitoring.register_event_duration_secs_listener(self._listen)
        return self

    def _listen(self, event, duration, **kwargs):
        if event.endswith("backend_compile_duration"):
            self.count += 1

    def __exit__(self, *exc):
        jax.monitoring.unregister_event_duration_listener(self._listen)


@pytest.fixture(scope="module")
def gauss_laplace():
    """Laplace over 5 Gaussians in chunks of 2 (2 full chunks + 1 padded), one NaN datum."""
    data, cov = _gaussians(N_OBJ, seed=0)
    data["mu"][NAN_OBJ, 1] = np.nan
    with CompileCounter() as counter:
        res = fit_many(
            gauss_logp, data, {"x": np.zeros(DIM)}, "laplace", chunk_size=2, progress=False
        )
    return res, data, cov, counter.count


def test_gaussian_laplace_closed_form(gauss_laplace):
    res, data, cov, _ = gauss_laplace
    assert isinstance(res, FitManyResult) and res.method == "laplace"
    ok = np.arange(N_OBJ) != NAN_OBJ
    # mode = mean: L-BFGS stops at max|grad| <= 1e-8 or relative f change <= 1e-12
    np.testing.assert_allclose(res.params["x"][ok], data["mu"][ok], rtol=0, atol=1e-6)
    # the Hessian of a quadratic is exact at any point: covariance to round-off
    np.testing.assert_allclose(res.cov[ok], cov[ok], rtol=0, atol=1e-6)
    log_z = 0.5 * np.linalg.slogdet(2 * np.pi * cov)[1]  # of the unnormalised density
    np.testing.assert_allclose(res.log_evidence[ok], log_z[ok], rtol=0, atol=1e-6)
    np.testing.assert_allclose(res.log_density[ok], 0.0, atol=1e-12)
    assert res.converged[ok].all() and (res.iterations[ok] >= 1).all()
    assert res.names == ("x[0]", "x[1]", "x[2]")
    assert res.chunk_size == 2 and res.num_devices == len(jax.local_devices())


def test_nan_object_flagged_not_dropped(gauss_laplace):
    res, *_ = gauss_laplace
    assert res.params["x"].shape == (N_OBJ, DIM) and res.cov.shape == (N_OBJ, DIM, DIM)
    np.testing.assert_array_equal(res.failed, np.arange(N_OBJ) == NAN_OBJ)
    assert not np.isfinite(res.log_density[NAN_OBJ])


def test_compiled_once_for_all_chunks(gauss_laplace):
    # 2 full chunks and a padded last one: one program, nothing compiled eagerly around it
    assert gauss_laplace[3] == 1


def _normal_samples(n, m=12, seed=1):
    rng = np.random.default_rng(seed)
    y = rng.normal(rng.normal(size=(n, 1)), rng.uniform(0.5, 2.0, size=(n, 1)), size=(n, m))
    return {"y": y}


def test_bounded_map_matches_closed_form_and_fit_per_object(capsys):
    data = _normal_samples(3)
    init = {"mu": np.zeros(3), "sigma": np.linspace(0.5, 2.0, 3)}  # one start per object
    res = fit_many(normal_sample_logp, data, init, "map", bounds=BOUNDS, chunk_size=2)
    assert "fit_many map" in capsys.readouterr().err  # the progress bar
    y = data["y"]
    np.testing.assert_allclose(res.params["mu"], y.mean(1), rtol=1e-7, atol=1e-7)
    np.testing.assert_allclose(res.params["sigma"], y.std(1), rtol=1e-7)
    assert res.converged.all() and not res.failed.any()
    for i in range(3):  # scipy L-BFGS-B in the bounded space, one object at a time
        one = fit(
            lambda p, i=i: normal_sample_logp(p, {"y": y[i]}),
            {"mu": 0.0, "sigma": float(init["sigma"][i])},
            method="map",
            bounds=BOUNDS,
        )
        for k in ("mu", "sigma"):
            np.testing.assert_allclose(res.params[k][i], one.params[k], rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(res.log_density[i], one.diagnostics["log_density"], rtol=1e-10)


def _bounded_laplace(**kw):
    """Laplace of 10 normal samples in chunks of 3 (the same call in the sharded subprocess)."""
    data = _normal_samples(10, seed=6)
    init = {"mu": 0.0, "sigma": 1.0}
    kw = dict(bounds=BOUNDS, chunk_size=3, progress=False, **kw)
    return data, fit_many(normal_sample_logp, data, init, "laplace", **kw)


@pytest.fixture(scope="module")
def bounded_laplace():
    return _bounded_laplace()


def test_bounded_laplace_equals_fit_per_object(bounded_laplace):
    data, res = bounded_laplace
    assert not res.failed.any() and res.names == ("mu", "sigma")
    for i in range(2):
        one = fit(
            lambda p, i=i: normal_sample_logp(p, {"y": data["y"][i]}),
            {"mu": 0.0, "sigma": 1.0},
            method="laplace",
            bounds=BOUNDS,
            key=jax.random.key(0),
            num_samples=2,
        )
        for k in ("mu", "sigma"):
            np.testing.assert_allclose(res.params[k][i], one.params[k], rtol=1e-6, atol=1e-7)
        # unconstrained (mu, logit sigma) covariance (diagonal ~0.1; the off-diagonal is 0 at
        # the exact mode): modes agree to ~1e-7, so does the Hessian
        np.testing.assert_allclose(res.cov[i], np.asarray(one.raw.cov), rtol=1e-5, atol=1e-8)
        np.testing.assert_allclose(res.log_evidence[i], float(one.log_evidence), rtol=1e-8)


def test_not_converged_is_flagged():
    data = _normal_samples(3, seed=3)
    res = fit_many(
        normal_sample_logp,
        data,
        {"mu": 0.0, "sigma": 1.0},
        bounds=BOUNDS,
        maxiter=2,
        progress=False,
    )
    np.testing.assert_array_equal(res.iterations, 2)
    assert not res.converged.any() and res.failed.all()
    assert np.isfinite(res.log_density).all()  # kept as computed


def test_float32_map_finite():
    data = _normal_samples(3, seed=7)
    y32 = data["y"].astype(np.float32)
    init = {"mu": np.float32(0.0), "sigma": np.float32(1.0)}
    res = fit_many(normal_sample_logp, {"y": y32}, init, bounds=BOUNDS, progress=False)
    assert res.params["sigma"].dtype == np.float32 and not res.failed.any()
    # float32 round-off of a 12-point sum; tolerances raised to the dtype (ftol >= 10 eps)
    np.testing.assert_allclose(res.params["sigma"], data["y"].std(1), rtol=1e-4)
    assert res.iterations.max() < 50


def test_pathfinder_gaussians():
    data, cov = _gaussians(3, seed=4)
    n_draw = 2000
    res = fit_many(
        gauss_logp,
        data,
        {"x": np.zeros(DIM)},
        "pathfinder",
        init_per_object=False,  # 3 objects, x of length 3: one start for all
        key=jax.random.key(5),
        maxiter=20,
        num_samples=n_draw,
        num_elbo_samples=50,
        progress=False,
    )
    assert res.draws["x"].shape == (3, n_draw, DIM) and not res.failed.any()
    # the draws' mean: Monte Carlo error of n_draw draws (6 standard errors)
    se = np.sqrt(np.diagonal(cov, axis1=1, axis2=2) / n_draw)
    assert np.all(np.abs(res.params["x"] - data["mu"]) < 6 * se)
    # a Gaussian target: the best normal approximation's ELBO is ln Z (Monte Carlo noise)
    log_z = 0.5 * np.linalg.slogdet(2 * np.pi * cov)[1]
    np.testing.assert_allclose(res.elbo, log_z, atol=0.1)


_SHARDED = textwrap.dedent(
    """
    import sys
    import jax
    import numpy as np
    jax.config.update("jax_enable_x64", True)
    sys.path.insert(0, sys.argv[1])
    from test_fit_many import _bounded_laplace

    _, res = _bounded_laplace()
    np.savez(sys.argv[2], mu=res.params["mu"], sigma=res.params["sigma"], cov=res.cov,
             log_evidence=res.log_evidence, iterations=res.iterations, failed=res.failed,
             chunk_size=res.chunk_size, num_devices=res.num_devices)
    """
)


def test_sharded_over_four_devices_equals_one_device(bounded_laplace, tmp_path):
    env = dict(
        os.environ,
        JAX_PLATFORMS="cpu",
        XLA_FLAGS="--xla_force_host_platform_device_count=4",
    )
    path = tmp_path / "sharded.npz"
    out = subprocess.run(
        [sys.executable, "-c", _SHARDED, os.path.dirname(__file__), str(path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    sharded, (_, one) = np.load(path), bounded_laplace
    assert one.num_devices == 1 and one.chunk_size == 3
    assert sharded["num_devices"] == 4 and sharded["chunk_size"] == 4  # 3 rounded up to 4
    # float64 round-off: the same per-object program, only the object axis is split
    for k in ("mu", "sigma"):
        np.testing.assert_allclose(sharded[k], one.params[k], rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(sharded["cov"], one.cov, rtol=1e-11, atol=1e-14)
    np.testing.assert_allclose(sharded["log_evidence"], one.log_evidence, rtol=1e-13)
    np.testing.assert_array_equal(sharded["iterations"], one.iterations)
    np.testing.assert_array_equal(sharded["failed"], one.failed)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(method="newton"), "method must be one of .*'newton'"),
        (dict(chunk_size=0), "chunk_size must be an integer >= 1; got 0"),
        (dict(chunk_size=2.5), "chunk_size must be .* got 2.5"),
        (dict(data={"mu": np.zeros((4, 3)), "prec": np.zeros((5, 3, 3))}), "leading object axis"),
        (dict(data={"mu": np.float64(1.0)}), "leading object axis"),
        (dict(init={"x": np.full(3, np.nan)}), r"init\['x'\] .* not finite"),
        (dict(method="pathfinder"), "needs a PRNG key"),
        (dict(bounds={"x": (1.0, 2.0)}), r"init\['x'\] lies outside"),
        (dict(bounds={"y": (1.0, 2.0)}), "unknown parameter names"),
        (dict(gtol=-1.0), "gtol must be"),
        (dict(maxiter=0), "maxiter must be"),
        (dict(devices=[]), "devices must be"),
        (dict(init={"x": np.zeros(2)}), "fails on object 0's init and data"),
        (dict(fn=lambda p, d: p["x"] - d["mu"]), "must return a scalar; got .*3"),
        (dict(data=_gaussians(3, seed=0)[0]), "init is ambiguous: every leaf leads with n_obj = 3"),
        (dict(init_per_object=True), "init_per_object=True needs every init leaf"),
    ],
)
def test_bad_input_before_compile(kwargs, match):
    args = dict(data=_gaussians(4, seed=0)[0], init={"x": np.zeros(DIM)}, progress=False)
    args.update(kwargs)
    fn = args.pop("fn", gauss_logp)
    with CompileCounter() as counter, pytest.raises(ValueError, match=match):
        fit_many(fn, **args)
    assert counter.count == 0


def test_methods_listed():
    assert FIT_MANY_METHODS == ("map", "laplace", "pathfinder")
