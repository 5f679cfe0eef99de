"""Nested sampling (blackjax nested slice sampling) with evidence, draws and checkpoints.

The sampler runs in the unit hypercube: each named parameter has a proper prior, a box
``(lower, upper)`` or a numpyro distribution with an inverse CDF, and a point ``u`` of the
cube maps to parameters by ``icdf(u)``. The run is cut into chunks of ``chunk_size``
nested-sampling steps, each one compiled ``lax.scan``; between chunks the progress bar moves
and, if asked, the sampler state and the dead points so far are written atomically to a
checkpoint. The key of step ``i`` is ``fold_in(run_key, i)``, so a resumed run reproduces the
uninterrupted one exactly, whatever the chunking.

Why blackjax and not jaxns
--------------------------
Both were measured on this module's test problem (3-D Gaussian likelihood, sd 0.5, in the
uniform box [-5, 5]^3; exact ln Z = -6.9078), CPU, float64, 2 shared cores, same session
(``benchmarks/bench_nested.py`` reruns it):

=========================  ===========  ==============  =============  ========  ==========
sampler                    ln Z error   |dev|/err RMS   likelihood     run [s]   compile [s]
                           (reported)   (10 seeds)      evaluations
=========================  ===========  ==============  =============  ========  ==========
jaxns 3.0.0, defaults      0.22-0.23    0.85 (8 seeds)  40 000-96 000  1.3-2.7   53-180
blackjax 1.7.1 nss,        0.25-0.27    1.18            45 000         0.1-0.4   17-31
100 live, 10 deleted/step
blackjax nss, 200 live     0.17-0.18    --              90 000         0.7       17-23
=========================  ===========  ==============  =============  ========  ==========

Per likelihood evaluation the two reach the same evidence accuracy (err^2 x evaluations
~2 700-3 000 for blackjax, ~3 700 for jaxns), both errors are calibrated, but blackjax
compiles 3-6x faster (what dominates a CI run and any small problem), runs 5-10x faster once
compiled, is already a dependency of this package, and lets us drive the loop ourselves
(chunks, progress, our checkpoint format, exact resume). jaxns 3 needs tfp-nightly. So the
backend is blackjax's ``nss`` and the ``nested`` extra needs nothing beyond the base install.

The evidence error is the scatter of ln Z over ``num_volume_samples`` simulated prior-volume
shrinkage sequences (Skilling 2006; the anesthetic convention); posterior weights are the
mean over those simulations of ``L_i dX_i / Z``.
"""

from __future__ import annotations

import functools
import json
import math
import os
import pathlib
import time
import warnings
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import blackjax
import jax
import jax.numpy as jnp
import numpy as np
import numpyro.distributions as dist

from jaxstro.infer_utils._checkpoint import load_checkpoint, save_checkpoint
from jaxstro.infer_utils._params import ParamLayout, make_layout

__all__ = ["NestedResult", "run_nested", "prior_transform"]


class NestedResult(NamedTuple):
    """Output of :func:`run_nested`.

    ``samples`` are equally weighted posterior draws (leaves (num_draws, ...)); the
    ``weighted_samples`` are all dead points plus the final live points, with normalised
    ``log_weights`` (``sum(exp(log_weights)) == 1``).
    """

    log_evidence: float  # ln Z [nats]
    log_evidence_err: float  # standard deviation of ln Z [nats]
    samples: Any  # dict, leaves (num_draws, ...), equally weighted
    weighted_samples: Any  # dict, leaves (n_points, ...)
    log_weights: jax.Array  # (n_points,) normalised posterior log weights
    log_likelihood: jax.Array  # (n_points,) [nats]
    ess: float  # Kish effective sample size of the weights
    information_nats: float  # KL(posterior || prior) [nats]
    num_likelihood_evals: int
    num_steps: int  # nested-sampling iterations (each deletes num_delete points)
    converged: bool  # the remaining-evidence criterion was met (not max_steps)
    wall_time_s: float  # whole run, compile included
    compile_time_s: float
    layout: ParamLayout


def _logsumexp(a: np.ndarray, axis: int) -> np.ndarray:
    m = np.max(a, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    with np.errstate(divide="ignore"):
        return np.squeeze(m, axis=axis) + np.log(np.sum(np.exp(a - m), axis=axis))


def _check_int(name: str, val: Any, lo: int) -> int:
    if isinstance(val, bool) or int(val) != val or val < lo:
        raise ValueError(f"{name} must be an integer >= {lo}; got {val!r}")
    return int(val)


def _parse_prior(prior: Any) -> dict[str, dist.Distribution]:
    """Validate a prior dict and turn every entry into a univariate numpyro distribution."""
    if not isinstance(prior, Mapping) or not prior:
        raise TypeError(
            "prior must be a non-empty dict {name: (lower, upper) or numpyro distribution}; "
            f"got {type(prior).__name__}"
        )
    out: dict[str, dist.Distribution] = {}
    for name, spec in prior.items():
        if not isinstance(name, str):
            raise TypeError(f"prior names must be strings; got {name!r}")
        if isinstance(spec, dist.Distribution):
            if isinstance(spec, dist.ImproperUniform):
                raise ValueError(
                    f"prior[{name!r}] is an ImproperUniform: nested sampling needs a proper "
                    "prior (a finite box (lower, upper) or a normalisable distribution)"
                )
            if spec.event_shape != ():
                raise ValueError(
                    f"prior[{name!r}] has event shape {spec.event_shape}; nested sampling "
                    "needs independent univariate priors (use a batch of them, e.g. "
                    "dist.Normal(jnp.zeros(3), 1.0))"
                )
            try:
                med = np.asarray(spec.icdf(jnp.full(spec.batch_shape, 0.5)))
            except NotImplementedError:
                raise ValueError(
                    f"prior[{name!r}] = {type(spec).__name__} has no inverse CDF (icdf); "
                    "nested sampling maps the unit cube through it. Use a box "
                    "(lower, upper) or a distribution with icdf"
                ) from None
            if not np.all(np.isfinite(med)):
                raise ValueError(
                    f"prior[{name!r}] = {type(spec).__name__}: its median icdf(0.5) = {med} is "
                    "not finite; is the distribution proper?"
                )
            out[name] = spec
        elif isinstance(spec, tuple | list) and len(spec) == 2:
            lo, hi = spec
            if lo is None or hi is None:
                raise ValueError(
                    f"prior[{name!r}] = {tuple(spec)} is not proper: nested sampling needs "
                    "finite lower and upper bounds (or a normalisable distribution)"
                )
            lo_a = np.asarray(lo, dtype=float)
            hi_a = np.asarray(hi, dtype=float)
            if not (np.all(np.isfinite(lo_a)) and np.all(np.isfinite(hi_a))):
                raise ValueError(
                    f"prior[{name!r}] = ({lo}, {hi}) is not proper: nested sampling needs "
                    "finite lower and upper bounds (or a normalisable distribution)"
                )
            if np.any(lo_a >= hi_a):
                raise ValueError(f"prior[{name!r}] = ({lo}, {hi}) must have lower < upper")
            out[name] = dist.Uniform(jnp.asarray(lo_a), jnp.asarray(hi_a))
        else:
            raise TypeError(
                f"prior[{name!r}] must be a (lower, upper) pair or a numpyro distribution; "
                f"got {spec!r}"
            )
    return out


def prior_transform(prior: Mapping[str, Any], u: jax.Array) -> dict[str, jax.Array]:
    """Map a point of the unit hypercube to parameters through each prior's inverse CDF.

    Parameters
    ----------
    prior : dict of str to (lower, upper) or numpyro distribution
        As in :func:`run_nested` (validated here too).
    u : (d,) array in [0, 1]
        Flat point of the cube, parameters in sorted-name order (as ``ravel_pytree``).

    Returns
    -------
    dict of str to array
        Parameters [each prior's units], shapes the priors' batch shapes.
    """
    dists = _parse_prior(prior)
    return _transform(dists, _layout_of(dists), u)


def _layout_of(dists: Mapping[str, dist.Distribution]) -> ParamLayout:
    return make_layout({k: jnp.zeros(d.batch_shape) for k, d in dists.items()})


def _transform(dists, layout: ParamLayout, u):
    tree = layout.unravel(u)
    return {k: dists[k].icdf(tree[k]).astype(u.dtype) for k in tree}


def _build_algo(log_likelihood, unravel, num_inner_steps, num_delete):
    def loglik_u(u, dists):
        ll = log_likelihood({k: dists[k].icdf(v).astype(u.dtype) for k, v in unravel(u).items()})
        return jnp.where(jnp.isnan(ll), -jnp.inf, ll)

    def logprior_u(u):
        inside = jnp.all((u > 0.0) & (u < 1.0))
        return jnp.where(inside, jnp.zeros((), u.dtype), -jnp.inf)

    return loglik_u, logprior_u


@functools.partial(
    jax.jit,
    static_argnames=("log_likelihood", "unravel", "num_inner_steps", "num_delete"),
)
def _ns_chunk(state, dists, key, steps, *, log_likelihood, unravel, num_inner_steps, num_delete):
    loglik_u, logprior_u = _build_algo(log_likelihood, unravel, num_inner_steps, num_delete)
    algo = blackjax.nss(
        logprior_u,
        lambda u: loglik_u(u, dists),
        num_inner_steps=num_inner_steps,
        num_delete=num_delete,
    )

    def body(st, i):
        st, info = algo.step(jax.random.fold_in(key, i), st)
        upd = info.update_info
        evals = jnp.sum(2 + upd.num_expansions + upd.num_shrink)
        dead = info.particles
        return st, (dead.position, dead.loglikelihood, dead.loglikelihood_birth, evals)

    return jax.lax.scan(body, state, steps)


@functools.partial(
    jax.jit, static_argnames=("log_likelihood", "unravel", "num_inner_steps", "num_delete")
)
def _ns_init(u0, dists, key, *, log_likelihood, unravel, num_inner_steps, num_delete):
    loglik_u, logprior_u = _build_algo(log_likelihood, unravel, num_inner_steps, num_delete)
    algo = blackjax.nss(
        logprior_u,
        lambda u: loglik_u(u, dists),
        num_inner_steps=num_inner_steps,
        num_delete=num_delete,
    )
    return algo.init(u0, key)


def _num_live(ll: np.ndarray, birth: np.ndarray) -> np.ndarray:
    """Live points at each death, deaths sorted by ln L (Fowlie, Handley & Su 2021).

    Births are +1 events at the birth contour (NaN for the initial live points, which sort
    first), deaths -1 events at the point's ln L; at equal ln L a death precedes a birth.
    """
    logl = np.concatenate([birth, ll])
    n = np.concatenate([np.ones(birth.shape, int), -np.ones(ll.shape, int)])
    order = np.lexsort((n, np.nan_to_num(logl, nan=-np.inf), ~np.isnan(logl)))
    n_sorted = n[order]
    count = np.maximum(np.cumsum(n_sorted), 0)
    return count[n_sorted == -1] + 1


def _log_weights(ll, birth, num_volume_samples: int, rng: np.random.Generator) -> np.ndarray:
    """ln(L_i dX_i) for ``num_volume_samples`` simulated shrinkage sequences, (n, S)."""
    order = np.argsort(ll, kind="stable")
    ll_s, birth_s = ll[order], birth[order]
    nlive = _num_live(ll_s, birth_s)
    t = np.log1p(-rng.uniform(size=(ll.shape[0], num_volume_samples))) / nlive[:, None]
    log_x = np.cumsum(t, axis=0)
    log_xp = np.concatenate([np.zeros((1, num_volume_samples)), log_x[:-1]])
    log_xm = np.concatenate([log_x[1:], np.full((1, num_volume_samples), -np.inf)])
    with np.errstate(divide="ignore"):
        # trapezoid dX_i = (X_{i-1} - X_{i+1}) / 2
        log_dx = log_xp + np.log(-np.expm1(np.minimum(log_xm - log_xp, -1e-300))) - np.log(2.0)
        lw = log_dx + ll_s[:, None]
    out = np.empty_like(lw)
    out[order] = lw
    return out


@functools.partial(jax.jit, static_argnames=("unravel",))
def _to_params(all_u, dists, *, unravel):
    return jax.vmap(lambda u: {k: dists[k].icdf(v).astype(u.dtype) for k, v in unravel(u).items()})(
        all_u
    )


@functools.partial(jax.jit, static_argnums=3)
def _resample(key, w, weighted, n_draws):
    idx = jax.random.choice(key, w.shape[0], (n_draws,), replace=True, p=w)
    return jax.tree_util.tree_map(lambda a: a[idx], weighted)


# compiled chunks, kept across calls: {(static settings, argument avals): executable}.
# (``jit(...).lower().compile()`` alone compiles afresh every call: 5-7 s per run of a 2-D
# problem on a 2-core CPU, most of a warm run's time; benchmarks/bench_nested.py)
_CHUNKS: dict = {}


def _avals(tree):
    leaves, treedef = jax.tree_util.tree_flatten(tree)
    return treedef, tuple((tuple(jnp.shape(x)), str(getattr(x, "dtype", type(x)))) for x in leaves)


def _compiled_chunk(state, dists, key, steps, static):
    cache_key = (tuple(sorted(static.items())), _avals((state, dists, key, steps)))
    try:
        hash(cache_key)
    except TypeError:  # unhashable settings or leaves: compile for this call only
        return _ns_chunk.lower(state, dists, key, steps, **static).compile()
    if cache_key not in _CHUNKS:
        if len(_CHUNKS) >= 32:  # bounded: drop the oldest
            _CHUNKS.pop(next(iter(_CHUNKS)))
        _CHUNKS[cache_key] = _ns_chunk.lower(state, dists, key, steps, **static).compile()
    return _CHUNKS[cache_key]


class _Unravel:
    """Hashable wrapper of a layout's unravel (static argument of the compiled chunk)."""

    def __init__(self, layout: ParamLayout, names: tuple[str, ...], shapes: tuple):
        self._unravel = layout.unravel
        self._key = (names, shapes)

    def __call__(self, u):
        return self._unravel(u)

    def __hash__(self):
        return hash(self._key)

    def __eq__(self, other):
        return isinstance(other, _Unravel) and other._key == self._key


def _key_meta(key) -> list[int]:
    try:
        data = jax.random.key_data(key)
    except (TypeError, ValueError):
        data = key
    return [int(v) for v in np.asarray(data).ravel()]


def _peek_num_dead(path: pathlib.Path) -> int:
    """Number of dead points stored in a checkpoint (0 if the header cannot be read)."""
    try:
        with np.load(path, allow_pickle=False) as data:
            header = json.loads(bytes(data["__header__"]).decode())
        return int(header["meta"]["n_dead"])
    except Exception:  # noqa: BLE001 - load_checkpoint reports the real problem
        return 0


def run_nested(
    log_likelihood: Callable[[dict], jax.Array],
    prior: Mapping[str, Any],
    key: jax.Array,
    *,
    num_live: int = 500,
    num_delete: int | None = None,
    num_inner_steps: int | None = None,
    termination: float = 1e-3,
    max_steps: int = 100_000,
    num_draws: int | None = None,
    num_volume_samples: int = 200,
    chunk_size: int = 50,
    checkpoint: str | os.PathLike | None = None,
    progress_bar: bool = True,
    callback: Callable[[dict], None] | None = None,
) -> NestedResult:
    """Nested sampling of ``log_likelihood`` under a proper ``prior``: evidence and posterior.

    Nested slice sampling (blackjax ``nss``: hit-and-run slice moves shaped by the covariance
    of the live points, in the unit hypercube of the prior).

    Parameters
    ----------
    log_likelihood : callable ``(params: dict) -> () array``
        Log likelihood [nats] of a parameter dict (the names of ``prior``). NaN is treated as
        ``-inf`` (zero likelihood).
    prior : dict of str to (lower, upper) or numpyro distribution
        One proper prior per named parameter: a finite box ``(lower, upper)`` (uniform;
        arrays broadcast to the parameter's shape) or a univariate numpyro distribution with
        an inverse CDF (``Uniform``, ``Normal``, ``LogUniform``, ``LogNormal``, ``Beta``,
        ``Gamma``, ...; its batch shape is the parameter's shape). An improper prior (an
        infinite or missing bound, ``ImproperUniform``, no ``icdf``) raises ValueError
        naming the parameter, before anything is compiled.
    key : PRNG key
    num_live : int
        Live points. The ln Z error scales as ``sqrt(H / num_live)`` (H the information).
    num_delete : int or None
        Points replaced per iteration (in parallel, ``vmap``); default ``num_live // 10``.
    num_inner_steps : int or None
        Slice steps per replacement; default ``max(5, 2 * d)`` (blackjax's advice).
    termination : float
        Stop when the live points could add at most this fraction to Z
        (``Z_live / Z < termination``).
    max_steps : int
        Hard limit on iterations; reaching it sets ``converged=False`` and warns.
    num_draws : int or None
        Equally weighted draws to return; default the Kish ESS of the weights.
    num_volume_samples : int
        Simulated shrinkage sequences for the ln Z error and the weights.
    chunk_size : int
        Iterations per compiled chunk; progress and checkpoints happen between chunks.
    checkpoint : path or None
        If the file exists (written by a run with the same settings, prior size and key) the
        run resumes from it; it is rewritten atomically after every chunk. A resumed run
        equals the uninterrupted one.
    progress_bar : bool
        tqdm bar with ln Z and the remaining-evidence estimate.
    callback : callable or None
        Called after every chunk with ``{"step", "log_evidence", "log_remaining"}``.

    Returns
    -------
    NestedResult
        ``log_evidence`` ln Z and ``log_evidence_err`` [nats], equally weighted ``samples``,
        ``weighted_samples`` with ``log_weights``, ``num_likelihood_evals``, ``ess``,
        ``information_nats``, timings.

    References
    ----------
    Skilling (2006), Bayesian Analysis 1, 833. Yallup, Kroupa & Handley (2026),
    arXiv:2601.23252 (nested slice sampling).
    """
    dists = _parse_prior(prior)
    if not callable(log_likelihood):
        raise TypeError(f"log_likelihood must be callable; got {type(log_likelihood).__name__}")
    num_live = _check_int("num_live", num_live, 2)
    if num_delete is None:
        num_delete = max(1, num_live // 10)
    num_delete = _check_int("num_delete", num_delete, 1)
    if num_delete >= num_live:
        raise ValueError(f"num_delete must be < num_live={num_live}; got {num_delete}")
    max_steps = _check_int("max_steps", max_steps, 1)
    chunk_size = _check_int("chunk_size", chunk_size, 1)
    num_volume_samples = _check_int("num_volume_samples", num_volume_samples, 2)
    if num_draws is not None:
        num_draws = _check_int("num_draws", num_draws, 1)
    if not (isinstance(termination, int | float) and 0.0 < termination < 1.0):
        raise ValueError(f"termination must be a float in (0, 1); got {termination!r}")

    t_start = time.perf_counter()
    layout = _layout_of(dists)
    dim = layout.size
    if num_inner_steps is None:
        num_inner_steps = max(5, 2 * dim)
    num_inner_steps = _check_int("num_inner_steps", num_inner_steps, 1)
    dtype = jnp.asarray(0.0).dtype
    names = tuple(sorted(dists))
    unravel = _Unravel(layout, names, tuple(tuple(dists[k].batch_shape) for k in names))

    # the log likelihood at the prior median: shape and NaN checks before any compile
    x_med = jax.jit(functools.partial(_transform, layout=layout))(
        dists, u=jnp.full((dim,), 0.5, dtype=dtype)
    )
    ll_med = jax.jit(log_likelihood)(x_med)
    if np.shape(ll_med) != ():
        raise ValueError(
            f"log_likelihood must return a scalar; got shape {np.shape(ll_med)} at the prior median"
        )
    ll_med = float(ll_med)
    if math.isnan(ll_med) or ll_med == math.inf:
        raise ValueError(
            f"log_likelihood is {ll_med} at the prior median "
            f"{ {k: np.asarray(v).tolist() for k, v in x_med.items()} }; it must be finite "
            "or -inf"
        )
    try:
        hash(log_likelihood)
        ll_static = log_likelihood
    except TypeError:  # unhashable callable: wrap it (no compile cache across calls)
        ll_static = lambda p: log_likelihood(p)  # noqa: E731
    static = dict(
        log_likelihood=ll_static,
        unravel=unravel,
        num_inner_steps=num_inner_steps,
        num_delete=num_delete,
    )

    key_init, key_state, key_run, key_post = jax.random.split(key, 4)
    u0 = jax.random.uniform(key_init, (num_live, dim), dtype=dtype)
    state = _ns_init(u0, dists, key_state, **static)
    if not np.any(np.isfinite(np.asarray(state.particles.loglikelihood))):
        raise ValueError(
            "log_likelihood is -inf or NaN at every initial live point; "
            "the prior misses the likelihood's support"
        )

    settings = dict(
        num_live=num_live,
        num_delete=num_delete,
        num_inner_steps=num_inner_steps,
        termination=float(termination),
        dim=dim,
        names=list(names),
        key=_key_meta(key),
        dtype=str(dtype),
    )
    dead_u: list[np.ndarray] = []
    dead_ll: list[np.ndarray] = []
    dead_birth: list[np.ndarray] = []
    n_evals = num_live
    step = 0
    ckpt_path = pathlib.Path(checkpoint) if checkpoint is not None else None
    if ckpt_path is not None and ckpt_path.exists():
        n_dead = _peek_num_dead(ckpt_path)
        template = {
            "state": state,
            "dead_u": np.zeros((n_dead, dim), dtype=dtype),
            "dead_ll": np.zeros((n_dead,), dtype=dtype),
            "dead_birth": np.zeros((n_dead,), dtype=dtype),
        }
        tree, meta = load_checkpoint(ckpt_path, template, expected_meta=settings)
        state = tree["state"]
        dead_u, dead_ll, dead_birth = [tree["dead_u"]], [tree["dead_ll"]], [tree["dead_birth"]]
        n_evals, step = int(meta["n_evals"]), int(meta["step"])

    def log_remaining(st) -> float:
        return float(st.integrator.logZ_live - st.integrator.logZ)

    def save():
        if ckpt_path is None:
            return
        du = np.concatenate(dead_u) if dead_u else np.zeros((0, dim), dtype=dtype)
        dl = np.concatenate(dead_ll) if dead_ll else np.zeros((0,), dtype=dtype)
        db = np.concatenate(dead_birth) if dead_birth else np.zeros((0,), dtype=dtype)
        save_checkpoint(
            ckpt_path,
            {"state": state, "dead_u": du, "dead_ll": dl, "dead_birth": db},
            dict(settings, step=step, n_evals=n_evals, n_dead=int(dl.shape[0])),
        )

    steps0 = jnp.arange(chunk_size)
    t_c0 = time.perf_counter()
    chunk = _compiled_chunk(state, dists, key_run, steps0, static)
    compile_time = time.perf_counter() - t_c0

    bar = None
    if progress_bar:
        from tqdm.auto import tqdm

        bar = tqdm(desc=f"nested sampling {num_live} live", initial=step, unit="step", leave=False)
    threshold = math.log(termination)
    converged = log_remaining(state) < threshold and step > 0
    try:
        while not converged and step < max_steps:
            state, (du, dl, db, ev) = chunk(state, dists, key_run, steps0 + step)
            dead_u.append(np.asarray(du).reshape(-1, dim))
            dead_ll.append(np.asarray(dl).reshape(-1))
            dead_birth.append(np.asarray(db).reshape(-1))
            n_evals += int(np.sum(np.asarray(ev)))
            step += chunk_size
            rem = log_remaining(state)
            converged = rem < threshold
            save()
            logz = float(state.integrator.logZ)
            if bar is not None:
                bar.update(chunk_size)
                bar.set_postfix(logZ=f"{logz:.3f}", remaining=f"{rem:.2f}")
            if callback is not None:
                callback({"step": step, "log_evidence": logz, "log_remaining": rem})
    finally:
        if bar is not None:
            bar.close()
    if not converged:
        warnings.warn(
            f"nested sampling stopped at max_steps={max_steps} before the remaining evidence "
            f"fell below termination={termination} (ln Z_live/Z = {log_remaining(state):.2f})",
            RuntimeWarning,
            stacklevel=2,
        )

    all_u = np.concatenate(dead_u + [np.asarray(state.particles.position)])
    all_ll = np.concatenate(dead_ll + [np.asarray(state.particles.loglikelihood)])
    all_birth = np.concatenate(dead_birth + [np.asarray(state.particles.loglikelihood_birth)])
    k_vol, k_draw = jax.random.split(key_post)
    rng = np.random.default_rng(_key_meta(k_vol))
    lw = _log_weights(
        all_ll.astype(np.float64), all_birth.astype(np.float64), num_volume_samples, rng
    )
    logz_sims = _logsumexp(lw, axis=0)
    logz, logz_err = float(np.mean(logz_sims)), float(np.std(logz_sims))
    lw_mean = np.mean(lw, axis=-1)
    log_w = lw_mean - _logsumexp(lw_mean, axis=0)
    w = np.exp(log_w)
    ess = float(1.0 / np.sum(w**2))
    keep = np.isfinite(all_ll) & (w > 0)
    information = float(np.sum(w[keep] * all_ll[keep]) - logz)
    n_draws = num_draws if num_draws is not None else max(1, int(ess))
    weighted = _to_params(jnp.asarray(all_u), dists, unravel=unravel)
    draws = _resample(k_draw, jnp.asarray(w, dtype=dtype), weighted, n_draws)
    return NestedResult(
        log_evidence=logz,
        log_evidence_err=logz_err,
        samples=draws,
        weighted_samples=weighted,
        log_weights=jnp.asarray(log_w, dtype=dtype),
        log_likelihood=jnp.asarray(all_ll),
        ess=ess,
        information_nats=information,
        num_likelihood_evals=n_evals,
        num_steps=step,
        converged=bool(converged),
        wall_time_s=time.perf_counter() - t_start,
        compile_time_s=compile_time,
        layout=layout,
    )
