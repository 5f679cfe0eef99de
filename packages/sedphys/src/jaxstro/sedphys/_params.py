"""Parameter specifications with priors: sample, batch, log-density, bounds and checks."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

__all__ = [
    "Uniform",
    "Normal",
    "LogUniform",
    "TruncatedNormal",
    "StudentT",
    "Fixed",
    "ParamSpec",
]

_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)  # a Python float: the input's dtype decides


class Uniform(NamedTuple):
    """Uniform density on [low, high].

    Attributes
    ----------
    low, high : float
        Bounds [units of the parameter], ``low <= high``.
    """

    low: float
    high: float

    @property
    def support(self) -> tuple[float, float]:
        """(low, high) as floats [units of the parameter]."""
        return (float(self.low), float(self.high))

    def sample(self, key: jax.Array, shape: tuple[int, ...] = ()) -> jax.Array:
        """Draw ``shape`` samples uniformly on [low, high).

        Parameters
        ----------
        key : jax.Array
            PRNG key.
        shape : tuple of int
            Sample shape (``()`` for one value).

        Returns
        -------
        jax.Array
            ``shape`` draws [units of the parameter], JAX's default float dtype.
        """
        return jax.random.uniform(key, shape, minval=self.low, maxval=self.high)

    def log_prob(self, x: ArrayLike) -> jax.Array:
        """Log density; -inf outside [low, high].

        Parameters
        ----------
        x : ArrayLike
            (...) parameter value [units of the parameter].

        Returns
        -------
        jax.Array
            (...) ``-log(high - low)`` inside the support, -inf outside; floating dtype of ``x``.
        """
        x = jnp.asarray(x)
        inside = (x >= self.low) & (x <= self.high)
        log_p = jnp.full_like(x, -math.log(self.high - self.low), dtype=jnp.result_type(x, float))
        return jnp.where(inside, log_p, -jnp.inf)


class LogUniform(NamedTuple):
    """Density proportional to 1/x on [low, high] (low > 0): uniform in log x.

    Attributes
    ----------
    low, high : float
        Bounds [units of the parameter], ``0 < low <= high``.
    """

    low: float
    high: float

    @property
    def support(self) -> tuple[float, float]:
        """(low, high) as floats [units of the parameter]."""
        return (float(self.low), float(self.high))

    def sample(self, key: jax.Array, shape: tuple[int, ...] = ()) -> jax.Array:
        """Draw ``shape`` samples uniformly in log x on [low, high).

        Parameters
        ----------
        key : jax.Array
            PRNG key.
        shape : tuple of int
            Sample shape (``()`` for one value).

        Returns
        -------
        jax.Array
            ``shape`` draws [units of the parameter], JAX's default float dtype.
        """
        u = jax.random.uniform(key, shape, minval=math.log(self.low), maxval=math.log(self.high))
        return jnp.exp(u)

    def log_prob(self, x: ArrayLike) -> jax.Array:
        """Log density ``-log x - log log(high / low)``; -inf outside [low, high].

        Parameters
        ----------
        x : ArrayLike
            (...) parameter value [units of the parameter].

        Returns
        -------
        jax.Array
            (...) log density [log of 1/units of x], -inf outside the support.
        """
        inside = (x >= self.low) & (x <= self.high)
        xs = jnp.where(inside, x, self.low)
        return jnp.where(inside, -jnp.log(xs) - math.log(math.log(self.high / self.low)), -jnp.inf)


class Normal(NamedTuple):
    """Gaussian density.

    Attributes
    ----------
    loc : float
        Mean [units of the parameter].
    scale : float
        Standard deviation [units of the parameter], ``> 0``.
    """

    loc: float
    scale: float

    @property
    def support(self) -> tuple[float, float]:
        """(-inf, inf)."""
        return (-np.inf, np.inf)

    def sample(self, key: jax.Array, shape: tuple[int, ...] = ()) -> jax.Array:
        """Draw ``shape`` samples from the Gaussian.

        Parameters
        ----------
        key : jax.Array
            PRNG key.
        shape : tuple of int
            Sample shape (``()`` for one value).

        Returns
        -------
        jax.Array
            ``shape`` draws [units of the parameter], JAX's default float dtype.
        """
        return self.loc + self.scale * jax.random.normal(key, shape)

    def log_prob(self, x: ArrayLike) -> jax.Array:
        """Gaussian log density.

        Parameters
        ----------
        x : ArrayLike
            (...) parameter value [units of the parameter].

        Returns
        -------
        jax.Array
            (...) log density [log of 1/units of x].
        """
        return -0.5 * ((x - self.loc) / self.scale) ** 2 - math.log(self.scale) - _LOG_SQRT_2PI


class TruncatedNormal(NamedTuple):
    """Gaussian density truncated to [low, high] and renormalised.

    Attributes
    ----------
    loc, scale : float
        Mean and standard deviation of the untruncated Gaussian [units of the parameter],
        ``scale > 0``.
    low, high : float
        Truncation bounds [units of the parameter], ``low <= high``.
    """

    loc: float
    scale: float
    low: float
    high: float

    @property
    def support(self) -> tuple[float, float]:
        """(low, high) as floats [units of the parameter]."""
        return (float(self.low), float(self.high))

    def _log_norm(self):
        a, b = (self.low - self.loc) / self.scale, (self.high - self.loc) / self.scale
        return math.log(0.5 * (math.erf(b / math.sqrt(2.0)) - math.erf(a / math.sqrt(2.0))))

    def sample(self, key: jax.Array, shape: tuple[int, ...] = ()) -> jax.Array:
        """Draw ``shape`` samples from the truncated Gaussian.

        Parameters
        ----------
        key : jax.Array
            PRNG key.
        shape : tuple of int
            Sample shape (``()`` for one value).

        Returns
        -------
        jax.Array
            ``shape`` draws [units of the parameter], JAX's default float dtype.
        """
        a, b = (self.low - self.loc) / self.scale, (self.high - self.loc) / self.scale
        return self.loc + self.scale * jax.random.truncated_normal(key, a, b, shape)

    def log_prob(self, x: ArrayLike) -> jax.Array:
        """Renormalised Gaussian log density; -inf outside [low, high].

        Parameters
        ----------
        x : ArrayLike
            (...) parameter value [units of the parameter].

        Returns
        -------
        jax.Array
            (...) log density [log of 1/units of x], -inf outside the support.
        """
        inside = (x >= self.low) & (x <= self.high)
        lp = Normal(self.loc, self.scale).log_prob(x) - self._log_norm()
        return jnp.where(inside, lp, -jnp.inf)


class StudentT(NamedTuple):
    """Student-t (the continuity prior on log SFR ratios: df = 2, scale = 0.3, Leja 2019).

    Attributes
    ----------
    df : float
        Degrees of freedom, ``> 0``.
    loc, scale : float
        Location and scale [units of the parameter], ``scale > 0``.
    """

    df: float
    loc: float
    scale: float

    @property
    def support(self) -> tuple[float, float]:
        """(-inf, inf)."""
        return (-np.inf, np.inf)

    def sample(self, key: jax.Array, shape: tuple[int, ...] = ()) -> jax.Array:
        """Draw ``shape`` samples from the Student-t.

        Parameters
        ----------
        key : jax.Array
            PRNG key.
        shape : tuple of int
            Sample shape (``()`` for one value).

        Returns
        -------
        jax.Array
            ``shape`` draws [units of the parameter], JAX's default float dtype.
        """
        return self.loc + self.scale * jax.random.t(key, self.df, shape)

    def log_prob(self, x: ArrayLike) -> jax.Array:
        """Student-t log density.

        Parameters
        ----------
        x : ArrayLike
            (...) parameter value [units of the parameter].

        Returns
        -------
        jax.Array
            (...) log density [log of 1/units of x].
        """
        return jax.scipy.stats.t.logpdf(x, self.df, self.loc, self.scale)


class Fixed(NamedTuple):
    """A parameter held at ``value`` (not free, not sampled).

    Attributes
    ----------
    value : float
        The fixed value [units of the parameter].
    """

    value: float

    @property
    def support(self) -> tuple[float, float]:
        """(value, value) as floats."""
        return (float(self.value), float(self.value))


_PRIORS = (Uniform, LogUniform, Normal, TruncatedNormal, StudentT, Fixed)


def _stand_in_value(prior) -> float:
    """A value inside the support (finite), used in place of an out-of-range one."""
    if isinstance(prior, Normal | StudentT):
        return float(prior.loc)
    if isinstance(prior, Fixed):
        return float(prior.value)
    lo, hi = prior.support
    if isinstance(prior, TruncatedNormal):  # bounds may be infinite
        return min(max(float(prior.loc), lo), hi)
    return math.sqrt(lo * hi) if isinstance(prior, LogUniform) else 0.5 * (lo + hi)


def _prior_problem(prior) -> str | None:
    """Why a prior's parameters are invalid (None if they are fine)."""
    vals = [float(v) for v in prior]
    if isinstance(prior, TruncatedNormal):
        if not all(math.isfinite(v) for v in vals[:2]) or any(math.isnan(v) for v in vals[2:]):
            return "loc and scale must be finite, low and high not NaN"
    elif not all(math.isfinite(v) for v in vals):
        return "its parameters must be finite"
    if isinstance(prior, Uniform | LogUniform | TruncatedNormal) and not prior.low < prior.high:
        return "low < high is needed (use Fixed for a single value)"
    if isinstance(prior, LogUniform) and not prior.low > 0:
        return "LogUniform needs 0 < low"
    if isinstance(prior, Normal | TruncatedNormal | StudentT) and not prior.scale > 0:
        return "scale > 0 is needed"
    if isinstance(prior, StudentT) and not prior.df > 0:
        return "df > 0 is needed"
    if isinstance(prior, TruncatedNormal):
        try:
            prior._log_norm()
        except ValueError:
            return "[low, high] holds no probability of the untruncated Gaussian (in float64)"
    return None


def _is_tracer(x) -> bool:
    return isinstance(x, jax.core.Tracer)


class ParamSpec:
    """Named parameters with priors, e.g.

    ``ParamSpec({"logzsol": Uniform(-1.5, 0.3), "redshift": Fixed(0.1), ...})``.

    ``free_params`` lists the non-fixed names in order; ``sample(key)`` draws a dict of them,
    ``sample_batch(key, n)`` a dict of (n,) arrays; ``log_prior(params)`` is jit/vmap-safe and
    -inf outside the support; ``bounds`` maps every free name to its support;
    ``check(params)`` raises on missing, extra or out-of-support values (outside jit).

    Parameters
    ----------
    priors : mapping of str to prior
        Parameter name -> ``Uniform``, ``LogUniform``, ``Normal``, ``TruncatedNormal``,
        ``StudentT`` or ``Fixed``; the order is kept.

    Raises
    ------
    ValueError
        If a name is not a string, a prior is of another type, or its parameters are invalid:
        not finite (``TruncatedNormal`` bounds may be infinite), an empty or single-point
        support (``low >= high``: use ``Fixed``), ``low <= 0`` for ``LogUniform``,
        ``scale <= 0`` or ``df <= 0``, or a truncation interval holding no probability.
    """

    def __init__(self, priors: Mapping[str, object]):
        if not isinstance(priors, Mapping):
            raise ValueError(f"ParamSpec: priors must be a mapping; got {type(priors).__name__}")
        for name, prior in priors.items():
            if not isinstance(name, str):
                raise ValueError(f"ParamSpec: parameter names must be strings; got {name!r}")
            if not isinstance(prior, _PRIORS):
                raise ValueError(
                    f"ParamSpec: prior of {name!r} is {prior!r}; accepted: "
                    f"{', '.join(p.__name__ for p in _PRIORS)}"
                )
            problem = _prior_problem(prior)
            if problem:
                raise ValueError(f"ParamSpec: prior {prior!r} of {name!r} is invalid: {problem}")
        self.priors = dict(priors)

    def __repr__(self):
        return f"ParamSpec({self.priors!r})"

    def _key(self):
        # computed once: jit hashes the static part of an SEDModel on every call
        if getattr(self, "_key_cache", None) is None:
            self._key_cache = tuple(
                (n, type(p).__name__, tuple(float(v) for v in p)) for n, p in self.priors.items()
            )
            self._hash_cache = hash(self._key_cache)
        return self._key_cache

    # a ParamSpec is static configuration of an SEDModel pytree: equal specs hash equal
    def __eq__(self, other):
        return self is other or (isinstance(other, ParamSpec) and self._key() == other._key())

    def __hash__(self):
        self._key()
        return self._hash_cache

    @property
    def names(self) -> tuple[str, ...]:
        """Every parameter name, free and fixed, in order."""
        return tuple(self.priors)

    @property
    def free_params(self) -> tuple[str, ...]:
        """The names of the non-``Fixed`` parameters, in order."""
        return tuple(n for n, p in self.priors.items() if not isinstance(p, Fixed))

    @property
    def fixed_values(self) -> dict[str, float]:
        """Name -> value of each ``Fixed`` parameter."""
        return {n: p.value for n, p in self.priors.items() if isinstance(p, Fixed)}

    @property
    def bounds(self) -> dict[str, tuple[float, float]]:
        """Free name -> (low, high) support of its prior (+-inf where unbounded)."""
        return {n: self.priors[n].support for n in self.free_params}

    def sample(self, key: jax.Array) -> dict[str, jax.Array]:
        """One draw from the prior.

        Parameters
        ----------
        key : jax.Array
            PRNG key.

        Returns
        -------
        dict of str to jax.Array
            A scalar per free parameter [its units].
        """
        keys = jax.random.split(key, max(len(self.free_params), 1))
        return {n: self.priors[n].sample(k) for n, k in zip(self.free_params, keys, strict=False)}

    def sample_batch(self, key: jax.Array, n: int) -> dict[str, jax.Array]:
        """``n`` independent draws from the prior (e.g. for ``jax.vmap``).

        Parameters
        ----------
        key : jax.Array
            PRNG key.
        n : int
            Number of draws.

        Returns
        -------
        dict of str to jax.Array
            An (n,) array per free parameter [its units].
        """
        keys = jax.random.split(key, max(len(self.free_params), 1))
        return {
            name: self.priors[name].sample(k, (n,))
            for name, k in zip(self.free_params, keys, strict=False)
        }

    def log_prior(self, params: Mapping[str, ArrayLike]) -> jax.Array:
        """Sum of the free parameters' log-densities (jit/vmap-safe; -inf outside support).

        Parameters
        ----------
        params : mapping of str to ArrayLike
            Exactly the free parameters (values need not be scalars; each is summed).

        Returns
        -------
        jax.Array
            Scalar log prior density.

        Raises
        ------
        ValueError
            If a free parameter is missing or an unknown name is given.
        """
        self.check_names(params)
        return sum(jnp.sum(self.priors[n].log_prob(params[n])) for n in self.free_params)

    def check_names(self, params: Mapping[str, ArrayLike], *, what: str = "params") -> None:
        """Raise unless ``params`` holds exactly the free parameters.

        Parameters
        ----------
        params : mapping of str to ArrayLike
            Parameter values by name.
        what : str
            Name of the argument in the error message.

        Raises
        ------
        ValueError
            If a free parameter is missing or another name (e.g. a ``Fixed`` one) is given.
        """
        given = set(params)
        missing = [n for n in self.free_params if n not in given]
        extra = sorted(given - set(self.free_params))
        if missing or extra:
            fixed = [n for n in extra if n in self.priors]
            raise ValueError(
                f"{what}: missing {missing}, unexpected {extra}"
                + (f" ({fixed} are Fixed in the spec)" if fixed else "")
                + f"; the free parameters are {list(self.free_params)}"
            )

    def check(self, params: Mapping[str, ArrayLike], *, what: str = "params") -> None:
        """Names match the free parameters and every concrete value lies in its support.

        Traced values are skipped (their range is the out-of-range policy's job).

        Parameters
        ----------
        params : mapping of str to ArrayLike
            Parameter values by name [their units].
        what : str
            Name of the argument in the error message.

        Raises
        ------
        ValueError
            If the names do not match, or a concrete value is NaN, inf or outside its
            prior's support.
        """
        self.check_names(params, what=what)
        for n in self.free_params:
            v = params[n]
            if _is_tracer(v):
                continue
            lo, hi = self.priors[n].support
            arr = np.asarray(v)
            if not np.all(np.isfinite(arr)) or np.any(arr < lo) or np.any(arr > hi):
                raise ValueError(
                    f"{what}[{n!r}] = {arr if arr.size < 6 else arr[:5]} lies outside the "
                    f"support [{lo}, {hi}] of its prior {self.priors[n]!r}"
                )

    def check_scalars(self, params: Mapping[str, ArrayLike], *, what: str = "params") -> None:
        """Every free value is a scalar (also for tracers: shapes are known in jit).

        Parameters
        ----------
        params : mapping of str to ArrayLike
            Parameter values by name.
        what : str
            Name of the argument in the error message.

        Raises
        ------
        ValueError
            If a free value has a shape other than ``()``.
        """
        for n in self.free_params:
            shape = jnp.shape(params[n])
            if shape != ():
                raise ValueError(
                    f"{what}[{n!r}] has shape {shape}; each parameter must be a scalar. "
                    "For many parameter sets, jax.vmap the function over a dict of arrays "
                    "(e.g. jax.vmap(model.predict_photometry)(spec.sample_batch(key, n)))"
                )

    def support_mask(
        self, params: Mapping[str, ArrayLike]
    ) -> tuple[jax.Array, dict[str, jax.Array]]:
        """(ok, stand_in) for the out-of-range policy: ``ok`` is a boolean scalar, True when
        every free value is finite and inside its prior's support; ``stand_in`` is ``params``
        with each out-of-range value replaced by an in-range one (jit/vmap-safe).

        Parameters
        ----------
        params : mapping of str to ArrayLike
            The free parameters by name [their units].

        Returns
        -------
        ok : jax.Array
            Boolean scalar.
        stand_in : dict of str to jax.Array
            The free values, each out-of-range one replaced by an in-range value (the
            location, or the middle of a bounded support).
        """
        ok = jnp.asarray(True)
        safe = {}
        for n in self.free_params:
            prior, v = self.priors[n], jnp.asarray(params[n])
            lo, hi = prior.support
            ok_n = jnp.isfinite(v) & (v >= lo) & (v <= hi)
            ok = ok & jnp.all(ok_n)
            fill = jnp.asarray(_stand_in_value(prior), dtype=jnp.result_type(v, float))
            safe[n] = jnp.where(ok_n, v, fill)
        return ok, safe

    def complete(self, params: Mapping[str, ArrayLike]) -> dict[str, ArrayLike]:
        """The free values plus the fixed ones.

        Parameters
        ----------
        params : mapping of str to ArrayLike
            The free parameters by name.

        Returns
        -------
        dict of str to ArrayLike
            ``params`` merged with ``fixed_values`` (a given name overrides a fixed one).
        """
        return {**self.fixed_values, **params}
