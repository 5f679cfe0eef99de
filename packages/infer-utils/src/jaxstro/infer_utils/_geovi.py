"""geoVI and MGVI through NIFTy's JAX module (``nifty.re``, optional extra ``geovi``).

Both methods fit a posterior over standardised latent variables ``xi`` (prior N(0, 1)) by
minimising a sample estimate of KL(q || p), where q is built from antithetic pairs of samples
around the current mean: MGVI (Knollmueller & Ensslin 2019) draws them from N(mean, M^-1),
M = metric of the likelihood + 1 at the mean; geoVI (Frank, Leike & Ensslin 2021) then bends
each through the approximate normal coordinates of that Riemannian metric, so the samples
follow a curved posterior.

Two entry points:

* :func:`run_geovi_gaussian` is nifty's own form: a forward model of the latent variables
  (prior transforms inside it), data and Gaussian noise. The metric is the likelihood's Fisher
  metric ``J^T N^-1 J`` and geoVI is the published algorithm.
* :func:`run_geovi` takes any log density of a flat/unconstrained parameter pytree (MGVI with
  the Hessian as metric; see its Notes for how the density is mapped onto nifty's
  prior x likelihood form). geoVI proper needs the Fisher metric's coordinate
  transformation, which a generic density does not have.

``nifty`` is imported only when one of them runs.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from jaxstro.infer_utils._checks import (
    check_count,
    check_finite_params,
    check_finite_start,
    float_params,
)
from jaxstro.infer_utils._laplace import laplace
from jaxstro.infer_utils._optimize import minimize_lbfgs
from jaxstro.infer_utils._params import make_layout

__all__ = ["GEOVI_METHODS", "GeoVIResult", "run_geovi", "run_geovi_gaussian"]

GEOVI_METHODS = ("geovi", "mgvi")
"""Sampling schemes: "geovi" (nonlinear, curved samples) and "mgvi" (linear samples)."""


def _import_nifty():
    try:
        import nifty.re as jft
    except ImportError as err:  # pragma: no cover - exercised only without the extra
        raise ImportError(
            "geoVI/MGVI need NIFTy's JAX module: pip install 'jaxstro-infer-utils[geovi]' "
            "(package nifty>=9, module nifty.re)"
        ) from err
    return jft


class GeoVIResult(NamedTuple):
    """Outcome of :func:`run_geovi` / :func:`run_geovi_gaussian`.

    Attributes
    ----------
    samples : pytree
        Posterior draws, leaves with a leading (2 * num_samples,) axis, in the parameters'
        units (``run_geovi``) or of the latent variables (``run_geovi_gaussian``). They come
        in antithetic pairs as nifty makes them: rows 2i and 2i+1 mirror each other about the
        expansion point (exactly for MGVI, before the nonlinear update for geoVI). Equal
        weights.
    mean : pytree
        Mean of ``samples``.
    position : pytree
        The expansion point (the variational latent mean) mapped like ``samples``.
    samples_latent : (2 * num_samples, d) array
        The draws in nifty's standardised latent space.
    position_latent : (d,) array
        The expansion point there.
    kl_history : (num_iterations,) array
        Sample estimate of the KL objective (the mean energy ``-log p`` of the samples, up to
        a constant) after each iteration [nats].
    nonlinear_steps : (num_iterations, 2 * num_samples) int array or None
        Newton-CG iterations of each nonlinear sample update (geoVI), per iteration.
    method : str
        "geovi" or "mgvi".
    wall_time_s : float
        Wall time [s], compilation included.
    options : dict
        The options used.
    """

    samples: Any
    mean: Any
    position: Any
    samples_latent: jax.Array
    position_latent: jax.Array
    kl_history: jax.Array
    nonlinear_steps: jax.Array | None
    method: str
    wall_time_s: float
    options: dict


def _check_options(method, num_samples, num_iterations, cg_maxiter, newton_maxiter, kl_maxiter):
    if method not in GEOVI_METHODS:
        raise ValueError(f"method must be one of {GEOVI_METHODS}; got {method!r}")
    check_count("num_samples", num_samples, 1)
    check_count("num_iterations", num_iterations, 1)
    check_count("cg_maxiter", cg_maxiter, 1)
    check_count("newton_maxiter", newton_maxiter, 1)
    check_count("kl_maxiter", kl_maxiter, 1)


def _vi_loop(
    lh,
    xi0: jax.Array,
    key: jax.Array,
    *,
    nonlinear: bool,
    num_samples: int,
    num_iterations: int,
    cg_maxiter: int,
    newton_maxiter: int,
    kl_maxiter: int,
    xtol: float,
):
    """MGVI/geoVI iterations on a nifty ``Likelihood`` of a flat latent vector.

    One iteration: draw ``num_samples`` antithetic pairs of residuals at the current mean
    (``draw_linear_residual``, then ``nonlinearly_update_residual`` for geoVI), then minimise
    the sample-averaged energy over the mean by Newton-CG with the sample-averaged metric (as
    ``nifty.re.optimize_kl`` does). Sampling and KL step are each compiled once (fixed
    shapes), unlike ``optimize_kl`` which recompiles per iteration. The final draws are made
    afresh at the final mean.
    """
    jft = _import_nifty()
    static_cg = jft.conjugate_gradient.static_cg
    newton = jft.optimize._static_newton_cg  # returns OptimizeResults (status, nit)
    cg_kw = dict(maxiter=cg_maxiter)

    def draw(pos, keys):
        def linear(k):
            s, _ = jft.draw_linear_residual(lh, pos, k, cg=static_cg, cg_kwargs=cg_kw)
            return s

        lin = jax.lax.map(linear, keys)  # (n, d); map, not vmap: batched while loops compile slowly
        res = jnp.stack([lin, -lin], axis=1).reshape((-1, pos.size))  # pairs side by side
        if not nonlinear:
            return res, jnp.zeros(res.shape[0], dtype=jnp.int32)
        keys2 = jnp.repeat(keys, 2, axis=0)
        sign = jnp.tile(jnp.array([1.0, -1.0], dtype=pos.dtype), keys.shape[0])

        def curve(r, k, sgn):
            out, st = jft.nonlinearly_update_residual(
                lh,
                pos,
                r,
                k,
                sgn,
                minimize=newton,
                minimize_kwargs=dict(maxiter=newton_maxiter, xtol=xtol, cg_kwargs=cg_kw),
            )
            return out, jnp.asarray(st.nit, jnp.int32)

        return jax.lax.map(lambda a: curve(*a), (res, keys2, sign))

    def energy(xi):
        return lh.energy(xi) + 0.5 * jnp.vdot(xi, xi)

    def kl_step(pos, res):
        def fun_and_grad(x):
            v, g = jax.vmap(jax.value_and_grad(energy))(x + res)
            return jnp.mean(v), jnp.mean(g, axis=0)

        def hessp(x, t):
            return jnp.mean(jax.vmap(lambda s: lh.metric(x + s, t))(res), axis=0) + t

        st = newton(
            None,
            x0=pos,
            fun_and_grad=fun_and_grad,
            hessp=hessp,
            maxiter=kl_maxiter,
            xtol=xtol,
            cg_kwargs=cg_kw,
        )
        return st.x, fun_and_grad(st.x)[0]

    draw = jax.jit(draw)
    kl_step = jax.jit(kl_step)
    pos = xi0
    kl, steps = [], []
    for _ in range(num_iterations):
        key, sk = jax.random.split(key)
        res, nit = draw(pos, jax.random.split(sk, num_samples))
        pos, e = kl_step(pos, res)
        kl.append(e)
        steps.append(nit)
    key, sk = jax.random.split(key)
    res, _ = draw(pos, jax.random.split(sk, num_samples))
    return pos, pos + res, jnp.stack(kl), jnp.stack(steps) if nonlinear else None


def run_geovi_gaussian(
    forward_model: Callable[[Any], jax.Array],
    data: jax.Array,
    noise_std: jax.Array | float,
    init_latent: Any,
    key: jax.Array,
    *,
    method: str = "geovi",
    num_samples: int = 50,
    num_iterations: int = 6,
    cg_maxiter: int = 100,
    newton_maxiter: int = 20,
    kl_maxiter: int = 20,
    xtol: float = 1e-6,
) -> GeoVIResult:
    """geoVI / MGVI of a Gaussian likelihood with a forward model of standard-normal latents.

    The posterior is ``p(xi | d) ~ N(d; forward_model(xi), diag(noise_std^2)) N(xi; 0, 1)``:
    put the priors of the physical parameters into ``forward_model`` as transforms of ``xi``
    (``x = mu + sigma * xi``, ``x = exp(mu + sigma * xi)``, a uniform's inverse CDF, ...).
    This is nifty's native form, with the Fisher metric ``J^T N^-1 J`` (J the model Jacobian)
    that makes geoVI's coordinate transformation exact for a linear model.

    Parameters
    ----------
    forward_model : callable ``(xi: pytree) -> (n_data,) array``
        Model prediction in the data's units.
    data : (n_data,) array
        Observed data.
    noise_std : float or (n_data,) array
        Gaussian noise standard deviation, the data's units; must be positive and finite.
    init_latent : pytree
        Starting latent position (its structure defines the latent variables' shapes).
    key : PRNG key
    method : "geovi" or "mgvi"
    num_samples : int
        Antithetic pairs per iteration (2 * num_samples draws).
    num_iterations : int
        Sample-draw + KL-minimisation rounds.
    cg_maxiter, newton_maxiter, kl_maxiter : int
        Caps on the conjugate-gradient solves, the Newton-CG steps of each nonlinear sample
        update (geoVI) and of each KL minimisation.
    xtol : float
        Newton-CG step-size tolerance (per latent dimension).

    Returns
    -------
    GeoVIResult
        Draws of the latent variables (push them through your transforms for physical
        parameters).

    References
    ----------
    Frank, Leike & Ensslin (2021), Entropy 23, 853 (geoVI).
    Knollmueller & Ensslin (2019), arXiv:1901.11033 (MGVI).
    Edenhofer et al. (2024), JOSS 9, 6593 (NIFTy.re).
    """
    _check_options(method, num_samples, num_iterations, cg_maxiter, newton_maxiter, kl_maxiter)
    jft = _import_nifty()
    t0 = time.perf_counter()
    init_latent = float_params(init_latent)
    xi0, unravel = ravel_pytree(init_latent)
    check_finite_params(xi0, argname="init_latent")
    data = jnp.asarray(data, dtype=xi0.dtype)
    std = np.asarray(noise_std, dtype=float)
    if std.ndim > 1 or not np.all(np.isfinite(std)) or np.any(std <= 0):
        raise ValueError(
            f"noise_std must be a positive finite scalar or (n_data,) array; got {noise_std!r}"
        )
    std = jnp.broadcast_to(jnp.asarray(std, dtype=xi0.dtype), data.shape)
    model = lambda xi: forward_model(unravel(xi))  # noqa: E731
    pred = jax.eval_shape(model, xi0)
    if pred.shape != data.shape:
        raise ValueError(f"forward_model returns shape {pred.shape}; data has shape {data.shape}")
    e0, g0 = jax.value_and_grad(lambda xi: 0.5 * jnp.sum(((data - model(xi)) / std) ** 2))(xi0)
    check_finite_start(e0, g0, what="Gaussian likelihood energy", argname="init_latent")
    lh = jft.Gaussian(data, noise_std_inv=lambda r: r / std).amend(
        model, domain=jax.ShapeDtypeStruct(xi0.shape, xi0.dtype)
    )
    pos, draws, kl, steps = _vi_loop(
        lh,
        xi0,
        key,
        nonlinear=method == "geovi",
        num_samples=num_samples,
        num_iterations=num_iterations,
        cg_maxiter=cg_maxiter,
        newton_maxiter=newton_maxiter,
        kl_maxiter=kl_maxiter,
        xtol=xtol,
    )
    samples = jax.vmap(unravel)(draws)
    options = dict(
        method=method,
        num_samples=num_samples,
        num_iterations=num_iterations,
        cg_maxiter=cg_maxiter,
        newton_maxiter=newton_maxiter,
        kl_maxiter=kl_maxiter,
        xtol=xtol,
    )
    return GeoVIResult(
        samples=samples,
        mean=jax.tree_util.tree_map(lambda v: jnp.mean(v, axis=0), samples),
        position=unravel(pos),
        samples_latent=draws,
        position_latent=pos,
        kl_history=kl,
        nonlinear_steps=steps,
        method=method,
        wall_time_s=time.perf_counter() - t0,
        options=options,
    )


def _hessian_likelihood(jft, energy_lh: Callable, d: int, dtype):
    """nifty ``Likelihood`` of a generic energy whose metric is its Hessian's PSD part."""

    def sqrt_metric(xi):
        h = jax.hessian(energy_lh)(xi)
        lam, vec = jnp.linalg.eigh(0.5 * (h + h.T))
        return vec * jnp.sqrt(jnp.maximum(lam, 0.0))  # M = S S^T

    class _HessianLikelihood(jft.Likelihood):
        def __init__(self):
            shp = jax.ShapeDtypeStruct((d,), dtype)
            super().__init__(domain=shp, lsm_tangents_shape=shp)

        def energy(self, primals):
            return energy_lh(primals)

        def left_sqrt_metric(self, primals, tangents):
            return sqrt_metric(primals) @ tangents

        def right_sqrt_metric(self, primals, tangents):
            return sqrt_metric(primals).T @ tangents

        def metric(self, primals, tangents):
            s = sqrt_metric(primals)
            return s @ (s.T @ tangents)

        def normalized_residual(self, primals):
            return jnp.zeros_like(primals)

    return _HessianLikelihood()


def run_geovi(
    log_density: Callable[[Any], jax.Array],
    init_params: Any,
    key: jax.Array,
    *,
    method: str = "mgvi",
    num_samples: int = 50,
    num_iterations: int = 6,
    prior_width: float = 10.0,
    cg_maxiter: int = 100,
    kl_maxiter: int = 20,
    xtol: float = 1e-6,
    mode: str = "reverse",
) -> GeoVIResult:
    """MGVI of a generic log density of unconstrained parameters (via nifty.re).

    Parameters
    ----------
    log_density : callable ``(params) -> () array``
        Log posterior density [nats] of a pytree of unconstrained (real-valued) parameters,
        priors included, normalised or not.
    init_params : pytree
        Start of the mode search; its structure defines the parameters'.
    key : PRNG key
    method : "mgvi"
        Only MGVI: geoVI needs a likelihood with a Fisher metric and its coordinate
        transformation, which a generic density does not have; "geovi" raises ValueError
        pointing to :func:`run_geovi_gaussian`.
    num_samples : int
        Antithetic pairs per iteration (2 * num_samples draws returned).
    num_iterations : int
        Sample-draw + KL-minimisation rounds.
    prior_width : float
        Width of the standardising N(0, 1) latent prior in Laplace standard deviations (see
        Notes); > 1. Curvature below ``1 / prior_width^2`` of the mode's is not resolved.
    cg_maxiter, kl_maxiter : int
        Caps on the conjugate-gradient solves and on the Newton-CG steps of each KL
        minimisation.
    xtol : float
        Newton-CG step-size tolerance per latent dimension.
    mode : str
        Differentiation mode of the initial mode search ("reverse" or "forward").

    Returns
    -------
    GeoVIResult
        ``samples`` in the parameters' units (leading axis 2 * num_samples, antithetic pairs).

    Notes
    -----
    nifty.re fits ``p(xi) ~ L(xi) N(xi; 0, 1)`` with the likelihood's metric M; MGVI draws
    samples from N(mean, (M + 1)^-1). A generic density is mapped onto that form:

    1. Standardise: find the mode ``x*`` (L-BFGS) and the Laplace covariance ``C = L L^T``;
       set ``x = x* + w L xi`` with ``w = prior_width``. The posterior of ``xi`` is the exact
       ``p(x(xi))``, with curvature ``w^2 * 1`` at the mode.
    2. Split: prior N(xi; 0, 1), likelihood energy ``E(xi) = -log p(x(xi)) - |xi|^2 / 2``.
       Their sum is the exact posterior energy, so the KL objective nifty minimises is exact.
    3. Metric: the positive part of the Hessian of E (dense eigendecomposition), so
       ``M + 1`` is the posterior's Hessian wherever that exceeds ``1`` (``1 / w^2`` of the
       mode's curvature). For a Gaussian posterior MGVI is then exact.

    The dense Hessian costs O(d^2) memory and O(d^3) time per sample and iteration: meant for
    the tens-of-parameters posteriors of the jaxstro pipelines.
    """
    if method == "geovi":
        raise ValueError(
            "method='geovi' needs a likelihood with a Fisher metric and coordinate "
            "transformation, which a generic log density lacks: write the model as a forward "
            "model of standard-normal latents with Gaussian noise and use run_geovi_gaussian, "
            "or use method='mgvi'"
        )
    _check_options(method, num_samples, num_iterations, cg_maxiter, 1, kl_maxiter)
    if not (np.isfinite(prior_width) and prior_width > 1):
        raise ValueError(f"prior_width must be a finite number > 1; got {prior_width!r}")
    jft = _import_nifty()
    t0 = time.perf_counter()
    init_params = float_params(init_params)
    names = make_layout(init_params).names
    x0, unravel = ravel_pytree(init_params)
    check_finite_params(x0, names=names, argname="init_params")
    v0, g0 = jax.jit(jax.value_and_grad(log_density))(init_params)
    check_finite_start(v0, g0, what="log density", argname="init_params", names=names)

    def neg(p):
        return -log_density(p)

    opt = minimize_lbfgs(neg, init_params, mode=mode)
    lap = laplace(neg, opt.params)
    x_star = lap.mean_flat
    chol = jnp.linalg.cholesky(lap.cov) * prior_width

    def to_x(xi):
        return x_star + chol @ xi

    def energy_lh(xi):
        return -log_density(unravel(to_x(xi))) - 0.5 * jnp.vdot(xi, xi)

    lh = _hessian_likelihood(jft, energy_lh, x0.size, x0.dtype)
    pos, draws, kl, steps = _vi_loop(
        lh,
        jnp.zeros_like(x0),
        key,
        nonlinear=False,
        num_samples=num_samples,
        num_iterations=num_iterations,
        cg_maxiter=cg_maxiter,
        newton_maxiter=1,
        kl_maxiter=kl_maxiter,
        xtol=xtol,
    )
    samples = jax.vmap(lambda xi: unravel(to_x(xi)))(draws)
    options = dict(
        method=method,
        num_samples=num_samples,
        num_iterations=num_iterations,
        prior_width=prior_width,
        cg_maxiter=cg_maxiter,
        kl_maxiter=kl_maxiter,
        xtol=xtol,
        mode=mode,
    )
    return GeoVIResult(
        samples=samples,
        mean=jax.tree_util.tree_map(lambda v: jnp.mean(v, axis=0), samples),
        position=unravel(to_x(pos)),
        samples_latent=draws,
        position_latent=pos,
        kl_history=kl,
        nonlinear_steps=steps,
        method=method,
        wall_time_s=time.perf_counter() - t0,
        options=options,
    )
