"""Parameter pytrees <-> flat vectors, and bounded <-> unbounded transforms."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree
from jax.typing import ArrayLike

from jaxstro.infer_utils._checks import check_bounds, is_traced

__all__ = [
    "ParamLayout",
    "make_layout",
    "flatten_params",
    "flat_bounds",
    "to_unbounded",
    "to_bounded",
    "log_abs_det_jacobian",
    "check_param_names",
]


class ParamLayout(NamedTuple):
    """How a parameter pytree maps onto a flat vector.

    ``unravel(flat)`` rebuilds the pytree; ``size`` is the flat length;
    ``names`` labels each flat entry (``"amp[3]"``) for tables and plots.
    """

    unravel: Callable[[jax.Array], Any]
    size: int
    names: tuple[str, ...]
    template: Any


def _leaf_names(params: Any) -> list[str]:
    names: list[str] = []
    leaves_with_path = jax.tree_util.tree_flatten_with_path(params)[0]
    for path, leaf in leaves_with_path:
        base = (
            "".join(
                str(getattr(k, "key", getattr(k, "name", getattr(k, "idx", k))))
                if i == 0
                else f".{getattr(k, 'key', getattr(k, 'name', getattr(k, 'idx', k)))}"
                for i, k in enumerate(path)
            )
            or "x"
        )
        n = int(np.size(leaf))
        if np.ndim(leaf) == 0:
            names.append(base)
        else:
            names.extend(f"{base}[{i}]" for i in range(n))
    return names


def make_layout(params: Any) -> ParamLayout:
    """Describe the flat layout of a parameter pytree (dict of scalars/arrays).

    Parameters
    ----------
    params : pytree
        A template of the parameters (values only fix shapes and dtypes; any units).

    Returns
    -------
    ParamLayout
        ``unravel`` (flat vector -> pytree), ``size``, per-entry ``names`` and the template.
    """
    flat, unravel = ravel_pytree(params)
    return ParamLayout(
        unravel=unravel, size=int(flat.size), names=tuple(_leaf_names(params)), template=params
    )


def flatten_params(params: Any) -> tuple[jax.Array, ParamLayout]:
    """Flatten a parameter pytree to a 1-D vector; return the vector and its layout.

    Parameters
    ----------
    params : pytree
        Parameters (any units: the flat vector keeps each entry's own).

    Returns
    -------
    flat : (size,) array
        The entries, leaves in pytree order.
    layout : ParamLayout
        ``layout.unravel(flat)`` gives the pytree back.
    """
    flat, _ = ravel_pytree(params)
    return flat, make_layout(params)


def check_param_names(
    params: Mapping[str, Any], expected: Mapping[str, Any], *, argname: str = "params"
) -> None:
    """Raise ValueError naming unknown, missing or wrongly shaped entries of a parameter dict.

    Parameters
    ----------
    params : dict of str to array
        The parameters to check.
    expected : dict of str to shape
        Accepted names and the shape of each.
    argname : str
        Name of the argument in the messages.
    """
    if not isinstance(params, Mapping):
        raise TypeError(f"{argname} must be a dict of arrays; got {type(params).__name__}")
    unknown = sorted(set(params) - set(expected))
    missing = sorted(set(expected) - set(params))
    if unknown or missing:
        raise ValueError(
            f"{argname} has unknown names {unknown} and is missing {missing}; "
            f"accepted names are {sorted(expected)}"
        )
    for k, shape in expected.items():
        got = np.shape(params[k])
        if tuple(got) != tuple(shape):
            raise ValueError(f"{argname}[{k!r}] must have shape {tuple(shape)}; got {tuple(got)}")


def flat_bounds(
    bounds: Mapping[str, tuple[Any, Any]] | None, layout: ParamLayout
) -> tuple[np.ndarray, np.ndarray]:
    """Per-entry (lower, upper) arrays for a flat vector from ``{name: (lo, hi)}``.

    Names not in ``bounds`` are unbounded; ``None`` in a pair means unbounded on that side.
    Scalars broadcast over array-valued parameters.

    Parameters
    ----------
    bounds : dict of str to (lower, upper), or None
        Bounds by parameter name [units of each parameter]; None: all unbounded.
    layout : ParamLayout
        From :func:`make_layout` of a dict of parameters.

    Returns
    -------
    lower, upper : (size,) float64 numpy arrays
        Bounds of each flat entry, -inf / +inf where unbounded.
    """
    template = layout.template
    if bounds is None:
        inf = np.full(layout.size, np.inf)
        return -inf, inf
    if not isinstance(template, Mapping):
        raise TypeError("bounds given by name need a dict of parameters")
    unknown = sorted(set(bounds) - set(template))
    if unknown:
        raise ValueError(
            f"bounds has unknown parameter names {unknown}; accepted: {sorted(template)}"
        )
    lo_tree, hi_tree = {}, {}
    for k, v in template.items():
        lo, hi = bounds.get(k, (None, None))
        lo = -np.inf if lo is None else lo
        hi = np.inf if hi is None else hi
        lo_tree[k] = np.broadcast_to(np.asarray(lo, dtype=float), np.shape(v))
        hi_tree[k] = np.broadcast_to(np.asarray(hi, dtype=float), np.shape(v))
        check_bounds(lo_tree[k], hi_tree[k], argname=f"bounds[{k!r}] = {bounds.get(k)}")
    lo_flat = np.asarray(ravel_pytree(lo_tree)[0], dtype=float)
    hi_flat = np.asarray(ravel_pytree(hi_tree)[0], dtype=float)
    return lo_flat, hi_flat


def _float(v) -> jax.Array:
    v = jnp.asarray(v)
    return v if jnp.issubdtype(v.dtype, jnp.inexact) else v.astype(jnp.result_type(float))


def _check_value(name, v, lower, upper, *, closed: bool) -> None:
    """Concrete ``v``: ValueError if NaN or (``closed``) outside [lower, upper]."""
    if is_traced(v, lower, upper):
        return
    # bad bounds first: otherwise a value is blamed against a nonsense interval ("accepted:
    # [1, -1]"), found by tests/test_fuzz_transforms.py
    check_bounds(lower, upper, argname="lower, upper")
    x = np.asarray(v, dtype=np.float64)
    lo, hi = np.asarray(lower, dtype=np.float64), np.asarray(upper, dtype=np.float64)
    bad = np.isnan(x)
    if closed:
        bad = bad | (x < lo) | (x > hi)
    if np.any(bad):
        x, lo, hi, bad = np.broadcast_arrays(x, lo, hi, bad)
        i = np.flatnonzero(bad.ravel())[0]
        where = f" (accepted: [{lo.ravel()[i]:g}, {hi.ravel()[i]:g}])" if closed else ""
        raise ValueError(
            f"{name} has {int(bad.sum())} invalid value(s); first {x.ravel()[i]:g} at flat "
            f"index {i}{where}; NaN is not accepted"
        )


def _prepare(v, lower, upper):
    """Float value; bounds broadcast to it; masks of the four kinds; bounds with infinities
    replaced; a mask of valid bounds (lower < upper, no NaN; concrete bad bounds raise)."""
    v = _float(v)
    check_bounds(lower, upper, argname="lower, upper")
    lower = jnp.broadcast_to(jnp.asarray(lower, dtype=v.dtype), v.shape)
    upper = jnp.broadcast_to(jnp.asarray(upper, dtype=v.dtype), v.shape)
    valid = (lower < upper) & (lower < jnp.inf) & (upper > -jnp.inf)
    lo_fin, hi_fin = jnp.isfinite(lower), jnp.isfinite(upper)
    both, lo_only, hi_only = lo_fin & hi_fin, lo_fin & ~hi_fin, ~lo_fin & hi_fin
    lo_s = jnp.where(lo_fin, lower, 0.0)
    hi_s = jnp.where(hi_fin, upper, 1.0)
    return v, both, lo_only, hi_only, lo_s, hi_s, valid


def _nan_where_invalid(valid, out):
    return jnp.where(valid, out, jnp.asarray(jnp.nan, dtype=out.dtype))


def to_bounded(u: ArrayLike, lower: ArrayLike, upper: ArrayLike) -> jax.Array:
    """Map unbounded ``u`` into (lower, upper) elementwise.

    Both finite: ``lower + (upper - lower) * sigmoid(u)``; lower only: ``lower + exp(u)``;
    upper only: ``upper - exp(-u)``; neither: identity. Infinite bounds are allowed per entry.
    Integer ``u`` is promoted to JAX's default float. Bounds must satisfy ``lower < upper``
    with no NaN, and ``u`` must not be NaN: ValueError when the values are concrete, NaN
    output where they are traced (inside jit/vmap/grad).

    Parameters
    ----------
    u : (...) array
        Unconstrained value (dimensionless).
    lower, upper : (...) arrays or scalars
        Bounds [units of the parameter], broadcastable to the value; +-inf for no bound.

    Returns
    -------
    (...) array, dtype of ``u``
        The bounded value [units of the parameter].
    """
    _check_value("u", u, lower, upper, closed=False)
    u, both, lo_only, hi_only, lo_s, hi_s, valid = _prepare(u, lower, upper)
    x_both = lo_s + (hi_s - lo_s) * jax.nn.sigmoid(u)
    x_lo = lo_s + jnp.exp(jnp.where(lo_only, u, 0.0))
    x_hi = hi_s - jnp.exp(jnp.where(hi_only, -u, 0.0))
    out = jnp.where(both, x_both, jnp.where(lo_only, x_lo, jnp.where(hi_only, x_hi, u)))
    return _nan_where_invalid(valid, out)


def to_unbounded(x: ArrayLike, lower: ArrayLike, upper: ArrayLike) -> jax.Array:
    """Inverse of :func:`to_bounded`. ``x`` must lie strictly inside its bounds.

    On a bound it maps to -inf / +inf (the limit). Outside the bounds, NaN, or bounds without
    ``lower < upper``: ValueError when concrete, NaN where traced.

    Parameters
    ----------
    x : (...) array
        Bounded value [units of the parameter].
    lower, upper : (...) arrays or scalars
        Bounds [units of the parameter], broadcastable to the value; +-inf for no bound.

    Returns
    -------
    (...) array, dtype of ``x``
        The unconstrained value (dimensionless).
    """
    _check_value("x", x, lower, upper, closed=True)
    x, both, lo_only, hi_only, lo_s, hi_s, valid = _prepare(x, lower, upper)
    p = jnp.where(both, (x - lo_s) / (hi_s - lo_s), 0.5)
    u_both = jnp.log(p) - jnp.log1p(-p)
    u_lo = jnp.log(jnp.where(lo_only, x - lo_s, 1.0))
    u_hi = -jnp.log(jnp.where(hi_only, hi_s - x, 1.0))
    out = jnp.where(both, u_both, jnp.where(lo_only, u_lo, jnp.where(hi_only, u_hi, x)))
    return _nan_where_invalid(valid, out)


def log_abs_det_jacobian(u: ArrayLike, lower: ArrayLike, upper: ArrayLike) -> jax.Array:
    """Sum of log |dx/du| of :func:`to_bounded` (add it to a log density sampled in ``u``).

    Parameters
    ----------
    u, lower, upper : as in :func:`to_bounded`.

    Returns
    -------
    () array
        Sum over all entries of log |dx/du| [log of the parameter's units].
    """
    _check_value("u", u, lower, upper, closed=False)
    u, both, lo_only, hi_only, lo_s, hi_s, valid = _prepare(u, lower, upper)
    width = jnp.where(both, hi_s - lo_s, 1.0)
    j_both = jnp.log(width) + jax.nn.log_sigmoid(u) + jax.nn.log_sigmoid(-u)
    # an unbounded entry contributes 0, but a traced NaN there must still give NaN (it gave a
    # finite log-det; found by tests/test_fuzz_transforms.py)
    none = jnp.where(jnp.isnan(u), jnp.nan, 0.0).astype(u.dtype)
    out = jnp.where(both, j_both, jnp.where(lo_only, u, jnp.where(hi_only, -u, none)))
    return jnp.sum(_nan_where_invalid(valid, out))
