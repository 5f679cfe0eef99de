"""One entry point for every backend: ``fit(log_density, init, method=...)``.

The drivers (``minimize_lbfgs``, ``laplace``, ``run_pathfinder``, ``run_nuts``, ``run_svi``,
``run_nested``) stay the building blocks; ``fit`` only maps a log density of named, bounded
parameters onto each of them and returns one result type, so a pipeline switches backend by
changing one string.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from jaxstro.infer_utils._checks import check_bounds, check_finite_params, float_params
from jaxstro.infer_utils._diagnostics import ess_bulk, split_rhat
from jaxstro.infer_utils._laplace import laplace, laplace_sample
from jaxstro.infer_utils._nested import run_nested
from jaxstro.infer_utils._numpyro import model_from_logdensity, run_svi
from jaxstro.infer_utils._nuts import run_nuts
from jaxstro.infer_utils._optimize import minimize_lbfgs
from jaxstro.infer_utils._params import log_abs_det_jacobian, to_bounded, to_unbounded
from jaxstro.infer_utils._pathfinder import run_pathfinder

__all__ = ["FIT_METHODS", "FitResult", "fit"]

FIT_METHODS = ("map", "laplace", "pathfinder", "nuts", "svi", "nested", "mgvi")
"""Methods ``fit`` accepts."""

# options each method accepts (passed on to its driver), besides the common ones
_OPTIONS = {
    "map": {"maxiter", "ftol", "gtol", "maxls", "maxcor", "progress", "mode"},
    "laplace": {"num_samples", "maxiter", "ftol", "gtol"},
    "pathfinder": {"num_samples", "maxiter", "num_elbo_samples", "ftol", "gtol", "mode"},
    "nuts": {
        "num_warmup",
        "num_samples",
        "num_chains",
        "target_accept",
        "dense_mass",
        "max_num_doublings",
        "initial_step_size",
        "init_scale",
        "chunk_size",
        "checkpoint",
        "progress_bar",
        "mode",
    },
    "svi": {
        "guide",
        "num_steps",
        "learning_rate",
        "optimizer",
        "num_particles",
        "num_samples",
        "loss",
        "renyi_alpha",
        "progress_bar",
    },
    "nested": {
        "prior",
        "num_live",
        "num_delete",
        "num_inner_steps",
        "termination",
        "max_steps",
        "num_draws",
        "chunk_size",
        "checkpoint",
        "progress_bar",
    },
    "mgvi": {
        "num_samples",
        "num_iterations",
        "prior_width",
        "cg_maxiter",
        "kl_maxiter",
        "xtol",
        "mode",
    },
}


class FitResult(NamedTuple):
    """What every ``fit`` method returns.

    Attributes
    ----------
    method : str
        The method used.
    params : dict
        Point estimate by name, in the parameters' units: the MAP ("map"), the Gaussian's
        centre mapped back ("laplace"), otherwise the posterior mean of the draws.
    draws : dict or None
        Equally weighted posterior draws by name, leaves (n_chain, n_draw, ...) (one chain for
        the methods without chains); None for "map".
    weighted_draws : dict or None
        Draws with unequal weights (nested sampling's dead points), leaves (n_points, ...).
    log_weights : jax.Array or None
        (n_points,) normalised log weights of ``weighted_draws``.
    log_evidence, log_evidence_err : float or None
        ln Z [nats] of ``log_density`` (normalised as given) and its standard deviation, where
        the method estimates one (Laplace: no error; nested: yes).
    diagnostics : dict
        Method-specific figures: R-hat and bulk ESS per parameter and divergences (NUTS),
        ELBO (Pathfinder), final loss (SVI), objective and convergence (MAP), ...
    wall_time_s : float
        Wall time of the whole call [s], compilation included.
    options : dict
        The options used (the method's defaults filled in are those of its driver).
    raw : Any
        The driver's own result (``MinimizeResult``, ``NUTSResult``, ...).
    """

    method: str
    params: dict
    draws: dict | None
    weighted_draws: dict | None
    log_weights: jax.Array | None
    log_evidence: float | None
    log_evidence_err: float | None
    diagnostics: dict
    wall_time_s: float
    options: dict
    raw: Any

    def to_arviz(self):
        """The equally weighted draws as ArviZ ``InferenceData`` (needs the arviz extra)."""
        from jaxstro.infer_utils._arviz import to_arviz

        if self.draws is None:
            raise ValueError(f"method {self.method!r} has no draws to convert")
        return to_arviz({k: np.asarray(v) for k, v in self.draws.items()})


class _Bounded:
    """Named parameters with bounds <-> one flat unconstrained vector."""

    def __init__(self, init: Mapping[str, Any], bounds: Mapping[str, tuple] | None):
        self.names = tuple(sorted(init))
        self.shapes = {k: tuple(np.shape(init[k])) for k in self.names}
        bounds = dict(bounds or {})
        unknown = sorted(set(bounds) - set(self.names))
        if unknown:
            raise ValueError(
                f"bounds has unknown parameter names {unknown}; accepted: {list(self.names)}"
            )
        self.lo, self.hi = {}, {}
        for k in self.names:
            lo, hi = bounds.get(k, (None, None))
            lo = -np.inf if lo is None else lo
            hi = np.inf if hi is None else hi
            check_bounds(lo, hi, argname=f"bounds[{k!r}]")
            self.lo[k], self.hi[k] = lo, hi

    def is_bounded(self, k):
        return bool(np.any(np.isfinite(self.lo[k])) or np.any(np.isfinite(self.hi[k])))

    def to_u(self, x):
        return {
            k: to_unbounded(x[k], self.lo[k], self.hi[k]) if self.is_bounded(k) else x[k]
            for k in self.names
        }

    def to_x(self, u):
        return {
            k: to_bounded(u[k], self.lo[k], self.hi[k]) if self.is_bounded(k) else u[k]
            for k in self.names
        }

    def log_jac(self, u):
        terms = [
            log_abs_det_jacobian(u[k], self.lo[k], self.hi[k])
            for k in self.names
            if self.is_bounded(k)
        ]
        return sum(terms) if terms else 0.0

    def box(self):
        """Finite boxes per name for nested sampling's default prior, or ValueError."""
        open_ = [k for k in self.names if not np.all(np.isfinite([self.lo[k], self.hi[k]]))]
        if open_:
            raise ValueError(
                f"method='nested' needs a proper prior: give finite bounds for {open_} or pass "
                "prior={name: (lower, upper) or numpyro distribution} (then log_density is "
                "the log likelihood)"
            )
        return {
            k: (
                np.broadcast_to(np.asarray(self.lo[k], float), self.shapes[k]),
                np.broadcast_to(np.asarray(self.hi[k], float), self.shapes[k]),
            )
            for k in self.names
        }


def _mean(draws):
    return {k: jnp.mean(v.reshape((-1, *v.shape[2:])), axis=0) for k, v in draws.items()}


def _chain_diagnostics(draws):
    return {
        "r_hat": {k: split_rhat(np.asarray(v)) for k, v in draws.items()},
        "ess_bulk": {k: ess_bulk(np.asarray(v)) for k, v in draws.items()},
    }


def fit(
    log_density: Callable[[dict], jax.Array],
    init: Mapping[str, Any],
    *,
    method: str,
    key: jax.Array | None = None,
    bounds: Mapping[str, tuple[Any, Any]] | None = None,
    **options,
) -> FitResult:
    """Fit ``log_density`` of named parameters with any backend; one result type for all.

    Parameters
    ----------
    log_density : callable ``(params: dict) -> () array``
        Log posterior density [nats] of a dict of named arrays, priors included (for
        ``method="nested"`` with ``prior=``: the log likelihood).
    init : dict of str to array
        Starting point (MAP start, NUTS chains' start, ...); names and shapes define the
        parameters. Must lie inside ``bounds`` and give a finite log density.
    method : str
        One of ``FIT_METHODS``: "map" (L-BFGS-B in the bounded space), "laplace" (Gaussian at
        the mode in the unconstrained space, Jacobian included), "pathfinder", "nuts"
        (blackjax), "svi" (numpyro auto-guide), "nested" (blackjax nested slice sampling),
        "mgvi" (NIFTy's MGVI with the Hessian as metric, in the unconstrained space; needs the
        geovi extra; geoVI proper needs a forward model: ``run_geovi_gaussian``).
    key : PRNG key
        Needed by every method except "map".
    bounds : dict of str to (lower, upper), optional
        Supports by name (``None`` or +-inf for an open side). The sampling methods work in
        the unconstrained space of these bounds (logit / log maps, Jacobian added) and return
        draws in the parameters' own units. "nested" uses them as a uniform prior box (all
        finite) unless ``prior=`` is given.
    **options
        Passed to the method's driver (``minimize_lbfgs``, ``laplace`` +
        ``laplace_sample``, ``run_pathfinder``, ``run_nuts``, ``run_svi``, ``run_nested``);
        see ``_OPTIONS`` for each method's list. An option the method does not take raises.

    Returns
    -------
    FitResult

    Raises
    ------
    ValueError
        Unknown method or option, bounds with lower >= upper or NaN, ``init`` outside the
        bounds or with a non-finite log density, an improper prior for "nested"; all before
        any compilation of the samplers.

    Notes
    -----
    The evidence of "nested" without ``prior`` is that of ``log_density`` itself: the uniform
    box prior's log density is added back, so it compares with "laplace"'s estimate.
    """
    if method not in FIT_METHODS:
        raise ValueError(f"method must be one of {FIT_METHODS}; got {method!r}")
    unknown = sorted(set(options) - _OPTIONS[method])
    if unknown:
        raise ValueError(
            f"method={method!r} does not take the option(s) {unknown}; accepted: "
            f"{sorted(_OPTIONS[method])}"
        )
    if method != "map" and key is None:
        raise ValueError(f"method={method!r} needs a PRNG key: fit(..., key=jax.random.key(0))")
    if not isinstance(init, Mapping) or not init:
        raise ValueError(
            f"init must be a non-empty dict of named arrays; got {type(init).__name__}"
        )
    init = float_params(dict(init))
    space = _Bounded(init, bounds)
    for k in space.names:  # concrete check: init inside its bounds, finite
        check_finite_params(jnp.ravel(init[k]), argname=f"init[{k!r}]")
        v = np.asarray(init[k], float)
        if np.any((v < space.lo[k]) | (v > space.hi[k])):
            raise ValueError(
                f"init[{k!r}] = {v} lies outside bounds[{k!r}] = ({space.lo[k]}, {space.hi[k]})"
            )
    v0 = float(jax.jit(log_density)(init))
    if not math.isfinite(v0):
        raise ValueError(f"log_density(init) = {v0} is not finite; start at a valid point")

    def log_density_u(u):
        return log_density(space.to_x(u)) + space.log_jac(u)

    def neg_log_density_u(u):
        return -log_density_u(u)

    t0 = time.perf_counter()
    ev = ev_err = None
    draws = weighted = log_w = None
    diagnostics: dict = {}
    if method == "map":
        res = minimize_lbfgs(lambda p: -log_density(p), init, bounds=bounds, **options)
        params = dict(res.params)
        diagnostics = dict(
            log_density=-res.fun, grad_norm=res.grad_norm, success=res.success, nit=res.nit
        )
    elif method == "laplace":
        num_samples = options.pop("num_samples", 1000)
        u0 = space.to_u(init)
        opt = minimize_lbfgs(neg_log_density_u, u0, **options)
        res = laplace(neg_log_density_u, opt.params)
        u_draws = laplace_sample(res, key, num_samples)
        draws = {k: v[None] for k, v in jax.vmap(space.to_x)(u_draws).items()}
        params = space.to_x(res.mean)
        ev = float(res.log_evidence)
        diagnostics = dict(map_success=opt.success, std_unconstrained=res.std)
        options["num_samples"] = num_samples
    elif method == "pathfinder":
        res = run_pathfinder(log_density_u, space.to_u(init), key, **options)
        draws = {k: v[None] for k, v in jax.vmap(space.to_x)(res.samples).items()}
        params = _mean(draws)
        diagnostics = dict(elbo=float(res.elbo))
    elif method == "nuts":
        res = run_nuts(log_density_u, space.to_u(init), key, **options)
        draws = jax.vmap(jax.vmap(space.to_x))(res.samples)
        params = _mean(draws)
        diagnostics = dict(
            _chain_diagnostics(draws),
            divergences=int(np.sum(np.asarray(res.is_divergent))),
            step_size=np.asarray(res.step_size),
            mean_num_integration_steps=float(np.mean(np.asarray(res.num_integration_steps))),
            warmup_time_s=res.warmup_time_s,
            sampling_time_s=res.sampling_time_s,
        )
    elif method == "svi":
        model = model_from_logdensity(log_density, init, bounds=bounds)
        res = run_svi(model, key, init_params=init, **options)
        draws = {k: jnp.asarray(res.samples[k])[None] for k in space.names}
        params = _mean(draws)
        diagnostics = dict(final_loss=float(res.losses[-1]))
    elif method == "mgvi":
        from jaxstro.infer_utils._geovi import run_geovi  # nifty is imported only here

        res = run_geovi(log_density_u, space.to_u(init), key, method="mgvi", **options)
        draws = {k: v[None] for k, v in jax.vmap(space.to_x)(res.samples).items()}
        params = _mean(draws)
        diagnostics = dict(kl_history=np.asarray(res.kl_history), position=space.to_x(res.position))
    else:  # nested
        prior = options.pop("prior", None)
        if prior is None:
            box = space.box()
            log_volume = float(sum(np.sum(np.log(hi - lo)) for lo, hi in box.values()))
            # uniform prior 1/V on the box: likelihood = density * V, Z(density) = Z(L)
            res = run_nested(lambda p: log_density(p) + log_volume, box, key, **options)
        else:
            res = run_nested(log_density, prior, key, **options)
            options["prior"] = prior
        ev, ev_err = float(res.log_evidence), float(res.log_evidence_err)
        draws = {k: jnp.asarray(v)[None] for k, v in res.samples.items()}
        weighted, log_w = dict(res.weighted_samples), res.log_weights
        params = _mean(draws)
        diagnostics = dict(
            ess=res.ess,
            information_nats=res.information_nats,
            num_likelihood_evals=res.num_likelihood_evals,
            converged=res.converged,
            compile_time_s=res.compile_time_s,
        )
    return FitResult(
        method=method,
        params=params,
        draws=draws,
        weighted_draws=weighted,
        log_weights=log_w,
        log_evidence=ev,
        log_evidence_err=ev_err,
        diagnostics=diagnostics,
        wall_time_s=time.perf_counter() - t0,
        options=dict(options),
        raw=res,
    )
