"""Many independent fits of one log density: ``fit_many(log_density, data, init, method=...)``.

Objects are fitted in chunks of a fixed size: each chunk is one call of a single compiled
program (the per-object fit under ``vmap``), its object axis sharded over the local devices
(a 1-D ``jax.sharding.Mesh``). The last chunk is padded with copies of one of its objects, so
every call has the same shape and the program compiles once; padded rows are dropped.

The per-object fit is optax's L-BFGS (zoom line search) under ``lax.while_loop`` ("map",
"laplace", then the autodiff Hessian) or blackjax's Pathfinder ("pathfinder", the same
function ``run_pathfinder`` calls), in the unconstrained space of ``bounds`` (the transforms
``fit`` uses). A failed object (non-finite data, log density or covariance; no convergence)
is flagged in the result, never dropped, and never stops the run.

With ``out_dir`` every chunk is written as its own Parquet part next to a manifest
(``_catalog_io``), and a rerun skips the chunks already written.
"""

from __future__ import annotations

import math
import numbers
import os
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

import blackjax
import jax
import jax.numpy as jnp
import numpy as np
import optax
import optax.tree_utils as otu
from jax.flatten_util import ravel_pytree
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from jaxstro.infer_utils._checks import check_count
from jaxstro.infer_utils._fit import _Bounded
from jaxstro.infer_utils._params import _leaf_names

__all__ = ["FIT_MANY_METHODS", "FitManyResult", "fit_many"]

FIT_MANY_METHODS = ("map", "laplace", "pathfinder")
"""Methods ``fit_many`` accepts."""

_MAXITER = {"map": 1000, "laplace": 1000, "pathfinder": 100}
_FTOL = {"map": 1e-12, "laplace": 1e-12, "pathfinder": 1e-6}
_AXIS = "objects"


class FitManyResult(NamedTuple):
    """What ``fit_many`` returns: numpy arrays with a leading (n_obj,) object axis.

    Attributes
    ----------
    method : str
        The method used.
    params : pytree like one object's ``init``
        Estimate per object, leaves (n_obj, ...) [the parameters' units]: the MAP ("map"),
        the Gaussian's centre mapped back to the bounded space ("laplace", as ``fit``), the
        mean of the draws ("pathfinder").
    log_density : (n_obj,) array
        ``log_density(params_i, data_i)`` at the estimate [nats].
    converged : (n_obj,) bool array
        L-BFGS stopped on its tolerances (``gtol`` or ``ftol``) before ``maxiter``.
    iterations : (n_obj,) int array
        L-BFGS iterations ("pathfinder": points on the path with a finite ELBO).
    failed : (n_obj,) bool array
        Not converged, or a non-finite estimate, log density, covariance or ELBO. The
        object's other entries are kept as computed (often NaN).
    grad_norm : (n_obj,) array
        Max |gradient| of the objective in the unconstrained space at the end [nats].
    cov : (n_obj, d, d) array or None
        "laplace": inverse Hessian of ``-(log_density + log|Jacobian|)`` at the mode, in the
        unconstrained coordinates of ``bounds`` (the parameters' own for unbounded ones);
        rows and columns ordered as ``names``.
    log_evidence : (n_obj,) array or None
        "laplace": Laplace estimate of ln Z [nats].
    draws : pytree or None
        "pathfinder": draws in the parameters' units, leaves (n_obj, num_samples, ...).
    elbo : (n_obj,) array or None
        "pathfinder": ELBO of the selected normal approximation [nats].
    names : tuple of str
        Labels of the flat parameter vector (rows of ``cov``).
    chunk_size : int
        Objects per compiled call (the requested size rounded up to a multiple of the
        device count, capped at the catalogue).
    num_devices : int
        Devices each chunk was sharded over.
    wall_time_s : float
        Wall time of the whole call [s], compilation included.
    """

    method: str
    params: Any
    log_density: np.ndarray
    converged: np.ndarray
    iterations: np.ndarray
    failed: np.ndarray
    grad_norm: np.ndarray
    cov: np.ndarray | None
    log_evidence: np.ndarray | None
    draws: Any | None
    elbo: np.ndarray | None
    names: tuple[str, ...]
    chunk_size: int
    num_devices: int
    wall_time_s: float

    @classmethod
    def _from_columns(cls, out: dict, **run) -> FitManyResult:
        """From the per-object columns of a run (in memory or read from its parts) and the
        run's ``method``, ``names``, ``chunk_size``, ``num_devices``, ``wall_time_s``."""
        return cls(
            params=out["params"],
            log_density=out["log_density"],
            converged=out["converged"],
            iterations=out["iterations"],
            failed=out["failed"],
            grad_norm=out["grad_norm"],
            cov=out.get("cov"),
            log_evidence=out.get("log_evidence"),
            draws=out.get("draws"),
            elbo=out.get("elbo"),
            **run,
        )


class _Identity:
    """The transforms of ``_Bounded`` for parameters without bounds (any pytree)."""

    def to_u(self, x):
        return x

    def to_x(self, u):
        return u

    def log_jac(self, u):
        return 0.0


def _lbfgs(fun, x0, *, maxiter, gtol, ftol, maxcor, maxls):
    """Minimise ``fun`` of a flat vector with optax L-BFGS under ``lax.while_loop`` (vmappable).

    Stops when max |grad| <= gtol, or |f_k - f_(k-1)| <= ftol max(|f_k|, |f_(k-1)|, 1), or
    the objective is not finite, or after ``maxiter`` iterations. ``ftol`` is raised to 10
    machine epsilons of ``x0``'s dtype (float32: 1.2e-6): below, steps only shuffle round-off.
    Returns (x, f, grad_norm, iterations, converged).
    """
    ftol = max(ftol, 10 * float(jnp.finfo(x0.dtype).eps))
    linesearch = optax.scale_by_zoom_linesearch(
        max_linesearch_steps=maxls, initial_guess_strategy="one"
    )
    opt = optax.lbfgs(memory_size=maxcor, linesearch=linesearch)
    value_and_grad = optax.value_and_grad_from_state(fun)

    def small_steps(f_old, f_new, g):
        small_g = jnp.max(jnp.abs(g)) <= gtol
        scale = jnp.maximum(jnp.maximum(jnp.abs(f_old), jnp.abs(f_new)), 1.0)
        return small_g | (jnp.abs(f_old - f_new) <= ftol * scale)

    def body(carry):
        x, state, _, _ = carry
        f, g = value_and_grad(x, state=state)
        updates, state = opt.update(g, state, x, value=f, grad=g, value_fn=fun)
        x = optax.apply_updates(x, updates)
        f_new, g_new = otu.tree_get(state, "value"), otu.tree_get(state, "grad")
        finite = jnp.isfinite(f_new) & jnp.all(jnp.isfinite(g_new))
        converged = finite & small_steps(f, f_new, g_new)
        return x, state, converged, ~finite | converged

    def cond(carry):
        _, state, _, done = carry
        return ~done & (otu.tree_get(state, "count") < maxiter)

    init = (x0, opt.init(x0), jnp.asarray(False), jnp.asarray(False))
    x, state, converged, _ = jax.lax.while_loop(cond, body, init)
    f, g = otu.tree_get(state, "value"), otu.tree_get(state, "grad")
    return x, f, jnp.max(jnp.abs(g)), otu.tree_get(state, "count"), converged


def _one_fit(log_density, space, method, settings):
    """The fit of one object, ``(x0, data_i, index, key) -> dict``; vmapped by the caller."""

    def fit_one(x0, data_i, index, key):
        u0 = space.to_u(x0)
        flat0, unravel = ravel_pytree(u0)

        def log_density_u(u):  # with the Jacobian of the bounds (laplace, pathfinder)
            return log_density(space.to_x(u), data_i) + space.log_jac(u)

        out = {}
        if method == "pathfinder":
            k_fit, k_draw = jax.random.split(jax.random.fold_in(key, index))
            state, info = blackjax.vi.pathfinder.approximate(
                k_fit,
                log_density_u,
                u0,
                num_samples=settings["num_elbo_samples"],
                maxiter=settings["maxiter"],
                ftol=settings["ftol"],
                gtol=settings["gtol"],
                maxcor=settings["maxcor"],
                maxls=settings["maxls"],
            )
            u_draws, _ = blackjax.vi.pathfinder.sample(k_draw, state, settings["num_samples"])
            out["draws"] = jax.vmap(space.to_x)(u_draws)
            x = jax.tree_util.tree_map(lambda d: jnp.mean(d, axis=0), out["draws"])
            out["elbo"] = state.elbo
            path_len = jnp.sum(jnp.isfinite(info.path.elbo))
            out["iterations"] = path_len
            out["converged"] = jnp.isfinite(state.elbo) & (path_len < settings["maxiter"])
            out["grad_norm"] = jnp.max(jnp.abs(ravel_pytree(state.grad_position)[0]))
            bad = ~jnp.isfinite(state.elbo)
        else:
            if method == "map":  # the mode of the density itself: no Jacobian
                objective = lambda y: -log_density(space.to_x(unravel(y)), data_i)  # noqa: E731
            else:
                objective = lambda y: -log_density_u(unravel(y))  # noqa: E731
            flat, f, grad_norm, nit, converged = _lbfgs(objective, flat0, **settings["lbfgs"])
            x = space.to_x(unravel(flat))
            out.update(iterations=nit, converged=converged, grad_norm=grad_norm)
            bad = ~jnp.isfinite(f)
            if method == "laplace":
                hess = jax.hessian(objective)(flat)
                chol = jnp.linalg.cholesky(0.5 * (hess + hess.T))  # NaN unless pos. definite
                eye = jnp.eye(flat.size, dtype=flat.dtype)
                chol_inv = jax.scipy.linalg.solve_triangular(chol, eye, lower=True)
                out["cov"] = chol_inv.T @ chol_inv
                out["log_evidence"] = (
                    -f + 0.5 * flat.size * math.log(2 * math.pi) - jnp.sum(jnp.log(jnp.diag(chol)))
                )
                bad = bad | ~jnp.all(jnp.isfinite(out["cov"])) | ~jnp.isfinite(out["log_evidence"])
        out["params"] = x
        out["log_density"] = log_density(x, data_i)
        finite_x = jnp.all(jnp.isfinite(ravel_pytree(x)[0]))
        out["failed"] = bad | ~finite_x | ~jnp.isfinite(out["log_density"]) | ~out["converged"]
        return out

    return fit_one


def _leading_axes(tree, argname):
    """``{path: shape}`` of every leaf, and the leaves as numpy arrays (host side, no compile)."""
    leaves, treedef = jax.tree_util.tree_flatten_with_path(tree)
    if not leaves:
        raise ValueError(f"{argname} must be a non-empty pytree of arrays; got {tree!r}")
    shapes = {jax.tree_util.keystr(p): np.shape(v) for p, v in leaves}
    return shapes, [np.asarray(v) for _, v in leaves], treedef


def _check_data(data):
    shapes, leaves, treedef = _leading_axes(data, "data")
    heads = {k: (s[0] if s else None) for k, s in shapes.items()}
    if None in heads.values() or len(set(heads.values())) != 1 or 0 in heads.values():
        raise ValueError(
            f"data leaves must all have the same, non-zero leading object axis; got shapes {shapes}"
        )
    return jax.tree_util.tree_unflatten(treedef, leaves), next(iter(heads.values()))


def _is_per_object(log_density, init, data_0, n_obj, per_object):
    """Whether ``init`` holds one start per object; ValueError where that cannot be told."""
    shapes = _leading_axes(init, "init")[0]
    leading = all(len(s) >= 1 and s[0] == n_obj for s in shapes.values())
    if per_object is not None:
        if per_object and not leading:
            raise ValueError(
                f"init_per_object=True needs every init leaf to lead with the {n_obj} objects; "
                f"got shapes {shapes}"
            )
        return bool(per_object)
    if not leading:
        return False
    try:  # is the whole tree also a valid start of one object? (shapes only)
        shape = jax.eval_shape(log_density, init, data_0).shape
    except Exception:  # noqa: BLE001  (any failure: it is not)
        return True
    if shape != ():
        return True
    raise ValueError(
        f"init is ambiguous: every leaf leads with n_obj = {n_obj} (shapes {shapes}) and it is "
        "also a valid start of one object; pass init_per_object=True or False"
    )


def _check_init(init, n_obj, per_object):
    """Float numpy init with a leading (n_obj,) axis (broadcast from one start if needed)."""
    shapes, leaves, treedef = _leading_axes(init, "init")
    float_dtype = jnp.result_type(float)
    leaves = [v if np.issubdtype(v.dtype, np.inexact) else v.astype(float_dtype) for v in leaves]
    if not per_object:
        leaves = [np.broadcast_to(v, (n_obj, *v.shape)) for v in leaves]
    for (name, shape), v in zip(shapes.items(), leaves, strict=True):
        bad = ~np.isfinite(v.reshape(n_obj, -1)).all(axis=1)
        if bad.any():
            raise ValueError(
                f"init{name} (shape {shape}) is not finite for object(s) "
                f"{np.flatnonzero(bad)[:5].tolist()}; every start must be finite"
            )
    return jax.tree_util.tree_unflatten(treedef, leaves)


def _check_in_bounds(init, space):
    for k in space.names:
        v = np.asarray(init[k], dtype=np.float64)
        out = (v <= space.lo[k]) | (v >= space.hi[k])
        bad = out.reshape(v.shape[0], -1).any(axis=1)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"init[{k!r}] lies outside (or on) bounds[{k!r}] = ({space.lo[k]}, "
                f"{space.hi[k]}) for {int(bad.sum())} object(s), first object {i}: {v[i]}"
            )


def _take(tree, rows):
    return jax.tree_util.tree_map(lambda v: v[rows], tree)


def _key_json(key):
    """A PRNG key (typed or raw uint32) as a list of ints, for the manifest."""
    if jnp.issubdtype(getattr(key, "dtype", np.uint32), jax.dtypes.prng_key):
        key = jax.random.key_data(key)
    return np.asarray(key).tolist()


def _fit_chunk(run_chunk, chunk, key):
    """Queue one chunk ``(init, data, rows)`` on the devices (a seam for tests and executors)."""
    return run_chunk(*chunk, key)


def _bounds_json(bounds):
    if bounds is None:
        return None
    return {
        str(k): [None if b is None else np.asarray(b, dtype=np.float64).tolist() for b in v]
        for k, v in sorted(bounds.items(), key=lambda kv: str(kv[0]))
    }


def fit_many(
    log_density: Callable[[Any, Any], jax.Array],
    data: Any,
    init: Any,
    method: str = "map",
    *,
    chunk_size: int = 1024,
    bounds: Mapping[str, tuple[Any, Any]] | None = None,
    devices: Sequence[jax.Device] | None = None,
    init_per_object: bool | None = None,
    key: jax.Array | None = None,
    maxiter: int | None = None,
    gtol: float = 1e-8,
    ftol: float | None = None,
    maxcor: int = 10,
    maxls: int = 30,
    num_samples: int = 100,
    num_elbo_samples: int = 100,
    progress: bool = True,
    out_dir: str | os.PathLike | None = None,
) -> FitManyResult:
    """Fit ``log_density(params, data_i)`` to each of many independent objects.

    Parameters
    ----------
    log_density : callable ``(params, data_i) -> () array``
        Log posterior density [nats] of one object's parameters given its data (leaves of
        ``data`` without the object axis). Must be jit-, grad- and vmap-safe.
    data : pytree of arrays
        Every leaf has the same leading object axis (n_obj, ...).
    init : pytree
        One start for every object, or one per object (every leaf with a leading (n_obj,)
        axis). Must be finite and inside ``bounds``.
    method : str
        One of ``FIT_MANY_METHODS``: "map" (L-BFGS to the mode), "laplace" (the mode of the
        density in the unconstrained space, Jacobian included, and the inverse Hessian there,
        as ``fit(method="laplace")``), "pathfinder" (blackjax, as ``fit``; needs ``key``).
    chunk_size : int
        Objects per compiled call; rounded up to a multiple of the device count and capped at
        n_obj (rounded the same way). Memory grows linearly with it.
    bounds : dict of str to (lower, upper), optional
        Supports by name (``init`` a dict), ``None`` or +-inf for an open side; the fit runs
        in the logit / log coordinates of ``to_unbounded``.
    init_per_object : bool, optional
        Whether ``init`` holds one start per object. By default: when every leaf leads with
        n_obj and the whole tree is not also a valid start of one object (ValueError when it
        is: say which).
    devices : sequence of jax devices, optional
        Devices each chunk is sharded over (1-D mesh over the object axis); default all
        local devices.
    key : PRNG key
        "pathfinder" only; object ``i`` uses ``fold_in(key, i)``, so results do not depend on
        the chunking or the devices.
    maxiter : int, optional
        L-BFGS iterations per object (default 1000; "pathfinder": 100).
    gtol : float
        Converged when max |gradient| <= gtol (unconstrained space) [nats].
    ftol : float, optional
        ... or when the relative change of the objective in one iteration <= ftol
        (default 1e-12, at least 10 machine epsilons of the parameters' dtype; "pathfinder":
        1e-6, blackjax's criterion).
    maxcor, maxls : int
        L-BFGS memory and line-search steps per iteration.
    num_samples, num_elbo_samples : int
        "pathfinder": draws returned per object, draws per ELBO estimate.
    progress : bool
        A tqdm bar over chunks.
    out_dir : path, optional
        Write every chunk, as it finishes, as its own Parquet part ``part-NNNNN.parquet`` in
        this directory next to ``_manifest.json`` (needs pyarrow: the ``catalog`` extra), and
        skip the chunks already there: rerunning the same call after a killed job computes
        only the missing chunks. Parts that are truncated, corrupt or from another run are
        recomputed (RuntimeWarning), never loaded. The returned result is read back from the
        parts (the same numbers as without ``out_dir``); ``read_fit_parts(out_dir)`` reads it
        later. An option of ``fit_many`` rather than a separate function, so that a resumed
        run is the same call with the same validation, and the chunking that decides the
        part boundaries is computed in one place.

    Returns
    -------
    FitManyResult
        Numpy arrays with a leading (n_obj,) axis, padded rows dropped.

    Raises
    ------
    ValueError
        Unknown method, chunk_size < 1, leaves of ``data`` with different leading axes,
        non-finite ``init`` or outside ``bounds``, an ``init`` that could be one start or one
        per object, no ``key`` for "pathfinder", a log density that does not return a
        scalar; all before anything is compiled. An ``out_dir`` holding a run on other data,
        starts or settings (method, chunk size after rounding, bounds, tolerances, key): the
        message names ``out_dir`` and what differs.

    Notes
    -----
    One program is compiled per call (every chunk has the same shape); a second call
    compiles again. Objects run in lock step within a chunk: a chunk takes as many L-BFGS
    iterations as its slowest object (converged ones wait). The next chunk is queued on the
    devices before the previous one is copied to host: two chunks in memory at a time.

    With ``out_dir``, the manifest holds SHA-256 fingerprints of ``data`` and ``init`` and the
    settings; the log density itself is not fingerprinted (a changed model on the same data
    is not detected). If the run raises (an exception, not a kill), the chunk already queued
    on the devices is finished and written before the exception propagates.
    """
    if method not in FIT_MANY_METHODS:
        raise ValueError(f"method must be one of {FIT_MANY_METHODS}; got {method!r}")
    chunk_size = check_count("chunk_size", chunk_size, 1)
    maxiter = check_count("maxiter", _MAXITER[method] if maxiter is None else maxiter, 1)
    for name, val in [("maxcor", maxcor), ("maxls", maxls), ("num_samples", num_samples)]:
        check_count(name, val, 1)
    check_count("num_elbo_samples", num_elbo_samples, 1)
    ftol = _FTOL[method] if ftol is None else ftol
    for name, val in [("gtol", gtol), ("ftol", ftol)]:
        if not (isinstance(val, numbers.Real) and math.isfinite(val) and val >= 0):
            raise ValueError(f"{name} must be a finite number >= 0; got {val!r}")
    if method == "pathfinder" and key is None:
        raise ValueError(
            "method='pathfinder' needs a PRNG key: fit_many(..., key=jax.random.key(0))"
        )
    devices = list(jax.local_devices() if devices is None else devices)
    if not devices:
        raise ValueError("devices must be a non-empty sequence of jax devices; got []")

    data, n_obj = _check_data(data)
    per_object = _is_per_object(log_density, init, _take(data, 0), n_obj, init_per_object)
    init = _check_init(init, n_obj, per_object)
    if bounds is None:
        space = _Identity()
    elif not isinstance(init, Mapping):
        raise ValueError(f"bounds by name need init as a dict; got {type(init).__name__}")
    else:
        space = _Bounded(_take(init, 0), bounds)
        _check_in_bounds(init, space)
    try:  # shapes only: nothing is compiled
        out_shape = jax.eval_shape(log_density, _take(init, 0), _take(data, 0))
    except (TypeError, ValueError) as err:
        raise ValueError(
            f"log_density(params, data_i) fails on object 0's init and data: {err}"
        ) from err
    if getattr(out_shape, "shape", None) != ():
        raise ValueError(
            f"log_density(params, data_i) must return a scalar; got {out_shape} (is init a "
            "per-object pytree whose leading axis is not n_obj, or the other way round?)"
        )

    n_dev = len(devices)
    size = min(chunk_size, n_obj)
    size = -(-size // n_dev) * n_dev  # a multiple of the device count
    mesh = Mesh(np.asarray(devices), (_AXIS,))
    by_object = NamedSharding(mesh, PartitionSpec(_AXIS))
    replicated = NamedSharding(mesh, PartitionSpec())
    settings = dict(
        maxiter=maxiter,
        ftol=ftol,
        gtol=gtol,
        maxcor=maxcor,
        maxls=maxls,
        num_samples=num_samples,
        num_elbo_samples=num_elbo_samples,
        lbfgs=dict(maxiter=maxiter, gtol=gtol, ftol=ftol, maxcor=maxcor, maxls=maxls),
    )
    one = _one_fit(log_density, space, method, settings)
    run_chunk = jax.jit(jax.vmap(one, in_axes=(0, 0, 0, None)))
    # a placeholder when no key is used (creating one would compile outside the chunk program)
    key = jax.device_put(np.uint32(0) if key is None else key, replicated)

    t0 = time.perf_counter()
    names = tuple(_leaf_names(_take(init, 0)))
    starts = list(range(0, n_obj, size))
    n_chunks, store = len(starts), None
    if out_dir is not None:
        from jaxstro.infer_utils._catalog_io import PartStore, fingerprint

        run = dict(
            method=method,
            n_objects=n_obj,
            chunk_size=size,
            bounds=_bounds_json(bounds),
            key=None if method != "pathfinder" else _key_json(key),
            **{k: v for k, v in settings.items() if k != "lbfgs"},
        )
        info = dict(names=list(names), num_devices=n_dev)
        store = PartStore.open(out_dir, run=run, fingerprints=fingerprint(data, init), info=info)
        done = set(store.finished())
        starts = [s for s in starts if s not in done]
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(
            total=n_chunks, initial=n_chunks - len(starts), desc=f"fit_many {method}", unit="chunk"
        )

    def dispatch(start):  # asynchronous: returns before the chunk is computed
        rows = np.arange(start, start + size)
        rows[rows >= n_obj] = start  # pad with copies of the chunk's first object
        chunk = (_take(init, rows), _take(data, rows), rows)
        return start, _fit_chunk(run_chunk, jax.device_put(chunk, by_object), key)

    def collect(start, out):  # to host, padded rows dropped
        keep = min(size, n_obj - start)
        return jax.tree_util.tree_map(lambda v: np.asarray(v)[:keep], out)

    parts, n_failed, pending = [], 0, None

    def finish(start, out):
        nonlocal n_failed
        part = collect(start, out)
        if store is not None:
            store.write_part(start, part)  # on disk; all parts are read back at the end
        else:
            parts.append(part)
        n_failed += int(part["failed"].sum())
        if bar is not None:
            bar.update(1)
            bar.set_postfix(failed=n_failed)

    try:
        for start in [*starts, None]:
            # the next chunk is queued before the previous one is collected
            try:
                queued = None if start is None else dispatch(start)
            except BaseException:
                if store is not None and pending is not None:
                    try:  # keep the chunk already computing before giving up
                        finish(*pending)
                    except Exception:  # noqa: BLE001, S110  (the first error is the one to see)
                        pass
                raise
            if pending is not None:
                finish(*pending)
            pending = queued
    finally:
        if bar is not None:
            bar.close()
    if store is not None:
        out = store.read(like=_take(init, 0))
    else:
        out = jax.tree_util.tree_map(lambda *v: np.concatenate(v, axis=0), *parts)
    return FitManyResult._from_columns(
        out,
        method=method,
        names=names,
        chunk_size=size,
        num_devices=n_dev,
        wall_time_s=time.perf_counter() - t0,
    )
