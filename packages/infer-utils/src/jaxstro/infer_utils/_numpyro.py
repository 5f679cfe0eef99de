"""numpyro back ends: NUTS (incl. forward-mode differentiation) and SVI with auto-guides."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import numpyro
import numpyro.distributions as dist
import optax
from numpyro.infer import MCMC, NUTS, SVI, RenyiELBO, Trace_ELBO, autoguide, init_to_value

from jaxstro.infer_utils._checks import (
    check_bounds,
    check_count,
    check_finite_params,
    float_params,
)

__all__ = [
    "NumpyroMCMCResult",
    "SVIResult",
    "AUTOGUIDES",
    "model_from_logdensity",
    "run_numpyro_nuts",
    "run_svi",
]

AUTOGUIDES = (
    "AutoDelta",
    "AutoNormal",
    "AutoDiagonalNormal",
    "AutoMultivariateNormal",
    "AutoLowRankMultivariateNormal",
    "AutoLaplaceApproximation",
    "AutoIAFNormal",
    "AutoBNAFNormal",
)


class NumpyroMCMCResult(NamedTuple):
    """Samples (leaves with leading (chain, draw) axes) and the numpyro MCMC object."""

    samples: dict
    diverging: jax.Array  # (chains, draws)
    mcmc: MCMC


class SVIResult(NamedTuple):
    """Fitted guide parameters, the loss trace and posterior draws from the guide."""

    params: dict
    losses: jax.Array  # (num_steps,) negative ELBO
    samples: dict  # leaves with leading num_samples axis
    guide: Any


def model_from_logdensity(
    logdensity_fn: Callable[[Any], jax.Array],
    template: Mapping[str, Any],
    *,
    bounds: Mapping[str, tuple[Any, Any]] | None = None,
) -> Callable[[], None]:
    """Wrap a log density of a parameter dict as a numpyro model.

    Every entry of ``template`` becomes a ``numpyro.sample`` site with an improper flat prior
    on its support (real line, or the interval/half-line from ``bounds``); ``logdensity_fn``
    (which must contain the priors) is added with ``numpyro.factor``. This lets SVI auto-guides
    and numpyro's NUTS work on any jaxstro objective.

    Parameters
    ----------
    logdensity_fn : callable ``(params) -> () array``
        Log posterior density of a dict of parameters [nats], priors included.
    template : dict of str to array
        Names, shapes and dtypes of the parameters.
    bounds : dict of str to (lower, upper), or None
        Supports by name [units of each parameter]; others are unbounded.

    Returns
    -------
    callable
        A numpyro model without arguments.
    """
    bounds = dict(bounds or {})
    unknown = sorted(set(bounds) - set(template))
    if unknown:
        raise ValueError(
            f"bounds has unknown parameter names {unknown}; accepted: {sorted(template)}"
        )

    for name, (lo, hi) in bounds.items():
        check_bounds(
            -np.inf if lo is None else lo, np.inf if hi is None else hi, argname=f"bounds[{name!r}]"
        )

    def support(name):
        lo, hi = bounds.get(name, (None, None))
        if lo is not None and hi is not None:
            return dist.constraints.interval(lo, hi)
        if lo is not None:
            return dist.constraints.greater_than(lo)
        if hi is not None:
            return dist.constraints.less_than(hi)
        return dist.constraints.real

    shapes = {k: tuple(np.shape(v)) for k, v in template.items()}

    def model():
        params = {
            k: numpyro.sample(k, dist.ImproperUniform(support(k), (), event_shape=shape))
            for k, shape in shapes.items()
        }
        numpyro.factor("logdensity", logdensity_fn(params))

    return model


def run_numpyro_nuts(
    model: Callable,
    key: jax.Array,
    *model_args,
    num_warmup: int = 1000,
    num_samples: int = 1000,
    num_chains: int = 1,
    target_accept: float = 0.8,
    dense_mass: bool = False,
    forward_mode_differentiation: bool = False,
    chain_method: str = "vectorized",
    init_params: Mapping[str, Any] | None = None,
    progress_bar: bool = True,
    **model_kwargs,
) -> NumpyroMCMCResult:
    """NUTS on a numpyro model.

    ``forward_mode_differentiation=True`` uses ``jax.jacfwd`` (for models with
    ``lax.while_loop``/``fori_loop`` bodies that reverse mode cannot handle, and for the
    layer-by-layer radiative transfer).

    Parameters
    ----------
    model : callable
        numpyro model, called as ``model(*model_args, **model_kwargs)``.
    key : PRNG key
        Random key.
    num_warmup, num_samples, num_chains : int
        Adaptation steps, kept draws per chain, chains.
    target_accept : float
        Target acceptance probability of the step-size adaptation.
    dense_mass : bool
        Adapt a dense (True) or diagonal inverse mass matrix.
    forward_mode_differentiation : bool
        Gradients by forward mode.
    chain_method : str
        numpyro's "vectorized", "parallel" or "sequential".
    init_params : dict or None
        Starting values of the sample sites (default: numpyro's uniform init).
    progress_bar : bool
        Show numpyro's progress bar.

    Returns
    -------
    NumpyroMCMCResult
        ``samples`` (dict, leaves (chains, draws, ...), the sites' units), ``diverging``
        (chains, draws) and the numpyro ``mcmc`` object.
    """
    for name, val, lo in [
        ("num_warmup", num_warmup, 0),
        ("num_samples", num_samples, 1),
        ("num_chains", num_chains, 1),
    ]:
        check_count(name, val, lo)
    if not 0.0 < target_accept < 1.0:
        raise ValueError(f"target_accept must lie in (0, 1); got {target_accept}")
    init_params = _float_init(init_params)
    kernel = NUTS(
        model,
        target_accept_prob=target_accept,
        dense_mass=dense_mass,
        forward_mode_differentiation=forward_mode_differentiation,
        init_strategy=init_to_value(values=init_params)
        if init_params
        else numpyro.infer.init_to_uniform,
    )
    mcmc = MCMC(
        kernel,
        num_warmup=num_warmup,
        num_samples=num_samples,
        num_chains=num_chains,
        chain_method=chain_method if num_chains > 1 else "sequential",
        progress_bar=progress_bar,
    )
    mcmc.run(key, *model_args, extra_fields=("diverging",), **model_kwargs)
    samples = mcmc.get_samples(group_by_chain=True)
    div = mcmc.get_extra_fields(group_by_chain=True)["diverging"]
    return NumpyroMCMCResult(samples=samples, diverging=div, mcmc=mcmc)


def _float_init(init_params):
    """Initial values as floats (integer starts made numpyro's gradient fail), all finite."""
    if not init_params:
        return init_params
    init_params = float_params(dict(init_params))
    for k, v in init_params.items():
        check_finite_params(jnp.ravel(jnp.asarray(v)), argname=f"init_params[{k!r}]")
    return init_params


def _make_guide(model, guide, init_params, guide_kwargs):
    if not isinstance(guide, str):
        return guide
    if guide not in AUTOGUIDES:
        raise ValueError(f"guide must be one of {AUTOGUIDES} or a numpyro guide; got {guide!r}")
    kwargs = dict(guide_kwargs or {})
    if init_params is not None:
        kwargs.setdefault("init_loc_fn", init_to_value(values=init_params))
    return getattr(autoguide, guide)(model, **kwargs)


def run_svi(
    model: Callable,
    key: jax.Array,
    *model_args,
    guide: str | Any = "AutoNormal",
    num_steps: int = 5000,
    learning_rate: float = 1e-2,
    optimizer: optax.GradientTransformation | None = None,
    num_particles: int = 1,
    num_samples: int = 1000,
    init_params: Mapping[str, Any] | None = None,
    guide_kwargs: Mapping[str, Any] | None = None,
    loss: str = "elbo",
    renyi_alpha: float = 0.5,
    progress_bar: bool = True,
    **model_kwargs,
) -> SVIResult:
    """Stochastic variational inference with a numpyro auto-guide (by name) or any guide.

    The optimizer is an optax transformation (default ``optax.adam(learning_rate)``); the
    whole optimisation runs in numpyro's compiled loop with its progress bar. ``loss="elbo"``
    minimises KL(q || p) (mode-seeking); ``loss="renyi"`` the Renyi alpha-divergence
    (``renyi_alpha`` in (0, 1): more mass-covering, for broad or multimodal posteriors; needs
    ``num_particles`` > 1).

    Parameters
    ----------
    model, key : as in :func:`run_numpyro_nuts`.
    guide : str or numpyro guide
        A name in ``AUTOGUIDES`` or a guide object.
    num_steps : int
        Optimisation steps.
    learning_rate : float
        Of the default ``optax.adam`` (ignored with ``optimizer``).
    optimizer : optax.GradientTransformation or None
        The optimiser.
    num_particles : int
        Draws per loss estimate.
    num_samples : int
        Draws from the fitted guide returned in ``samples``.
    init_params : dict or None
        Initial locations of the auto-guide.
    guide_kwargs : dict or None
        Extra arguments of the auto-guide.
    loss : str
        "elbo" or "renyi".
    renyi_alpha : float
        alpha of the Renyi divergence, in (0, 1).
    progress_bar : bool
        Show numpyro's progress bar.

    Returns
    -------
    SVIResult
        Fitted guide ``params``, ``losses`` (num_steps,) [nats], ``samples`` (dict, leading
        (num_samples,) axis, the sites' units) and the ``guide``.
    """
    for name, val in [
        ("num_steps", num_steps),
        ("num_particles", num_particles),
        ("num_samples", num_samples),
    ]:
        check_count(name, val, 1)
    if optimizer is None and not (np.isfinite(learning_rate) and learning_rate > 0):
        raise ValueError(f"learning_rate must be finite and > 0; got {learning_rate!r}")
    init_params = _float_init(init_params)
    if loss not in ("elbo", "renyi"):
        raise ValueError(f"loss must be 'elbo' or 'renyi'; got {loss!r}")
    if loss == "renyi" and (not 0 < renyi_alpha < 1 or num_particles < 2):
        raise ValueError(
            f"loss='renyi' needs 0 < renyi_alpha < 1 (got {renyi_alpha}) and num_particles >= 2 "
            f"(got {num_particles})"
        )
    g = _make_guide(model, guide, init_params, guide_kwargs)
    opt = numpyro.optim.optax_to_numpyro(optimizer or optax.adam(learning_rate))
    elbo = (
        Trace_ELBO(num_particles=num_particles)
        if loss == "elbo"
        else RenyiELBO(alpha=renyi_alpha, num_particles=num_particles)
    )
    svi = SVI(model, g, opt, loss=elbo)
    key_run, key_sample = jax.random.split(key)
    res = svi.run(key_run, num_steps, *model_args, progress_bar=progress_bar, **model_kwargs)
    if not jnp.isfinite(res.losses[-1]):
        raise FloatingPointError(
            "SVI loss became non-finite; lower learning_rate or start closer (init_params)"
        )
    samples = g.sample_posterior(
        key_sample, res.params, *model_args, sample_shape=(num_samples,), **model_kwargs
    )
    samples = {k: v for k, v in samples.items() if k != "logdensity"}
    return SVIResult(params=res.params, losses=res.losses, samples=samples, guide=g)
