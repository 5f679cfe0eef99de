"""Collision-induced absorption on a wavenumber grid: linear in T, logarithmic in coefficient."""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike, DTypeLike

from jaxstro.linedb import CIATable
from jaxstro.opacity._calc_common import check_grid, table_dtype
from jaxstro.opacity._checks import is_traced, nan_if_invalid, stand_in

__all__ = ["CIAGrid", "prepare_cia"]

_LOG_FLOOR = -700.0  # log of "no absorption" (exp(-700) ~ 1e-304)


@jax.tree_util.register_dataclass
@dataclasses.dataclass(frozen=True)
class CIAGrid:
    """A CIA table resampled onto ``nu_grid`` (log coefficients), ready for T interpolation.

    Valid temperatures: ``t_min <= t_k <= t_max`` [K] (the table's). Out of range follows the
    package policy: concrete values raise ``ValueError``, traced values give NaN,
    ``with_checks()`` returns a copy that raises from inside jit too.

    Attributes
    ----------
    t_k : jax.Array
        (n_T,) table temperatures [K], increasing.
    log_coeff : jax.Array
        (n_T, n_grid) natural log of the coefficient [ln(cm^5 molecule^-2)], floored at -700.
    t_min, t_max : float
        Valid temperature range [K].
    checked : bool
        Whether the in-jit check is on (``with_checks``).
    """

    t_k: jax.Array  # (n_T,)
    log_coeff: jax.Array  # (n_T, n_grid) natural log of cm^5 molecule^-2 (floored)
    t_min: float = dataclasses.field(metadata=dict(static=True))
    t_max: float = dataclasses.field(metadata=dict(static=True))
    checked: bool = dataclasses.field(default=False, metadata=dict(static=True))

    def with_checks(self, checked: bool = True) -> CIAGrid:
        """A copy that raises ``ValueError`` from inside ``jit`` for out-of-range T.

        Parameters
        ----------
        checked : bool
            True to turn the in-jit check on, False to turn it off.

        Returns
        -------
        CIAGrid
            The same tables with the check switched.
        """
        return dataclasses.replace(self, checked=bool(checked))

    def _check(self, t, name):
        if not is_traced(t):
            tv = np.asarray(t, dtype=np.float64)
            if np.any(~np.isfinite(tv)) or np.any((tv < self.t_min) | (tv > self.t_max)):
                raise ValueError(
                    f"{name}={tv} K lies outside the CIA table's range "
                    f"[{self.t_min:g}, {self.t_max:g}] K"
                )

    def _interp(self, t):
        i = jnp.clip(jnp.searchsorted(self.t_k, t, side="right") - 1, 0, self.t_k.size - 2)
        w = (t - self.t_k[i]) / (self.t_k[i + 1] - self.t_k[i])
        return (1 - w) * self.log_coeff[i] + w * self.log_coeff[i + 1]

    def _guarded(self, t_k, name):
        t = jnp.asarray(t_k, dtype=jnp.result_type(t_k, self.log_coeff.dtype))
        ok = (t >= self.t_min) & (t <= self.t_max)
        out = jax.vmap(self._interp)(jnp.atleast_1d(stand_in(ok, t, self.t_min)))
        out = out.reshape(t.shape + out.shape[-1:])
        message = (
            f"{name} out of the CIA table's range [{self.t_min:g}, {self.t_max:g}] K: {{value}}"
        )
        return nan_if_invalid(ok, out, value=t, checked=self.checked, message=message)

    def log_coeff_vector(self, t_k: ArrayLike) -> jax.Array:
        """(n_grid,) natural-log CIA coefficient [ln(cm^5 molecule^-2)] at ``t_k`` [K].

        Linear interpolation in T of the log coefficient.

        Parameters
        ----------
        t_k : ArrayLike
            Scalar temperature [K], ``t_min <= t_k <= t_max`` (an array gives its shape
            followed by n_grid).

        Returns
        -------
        jax.Array
            (n_grid,) log coefficient [ln(cm^5 molecule^-2)], -700 outside the table's
            wavenumber range; NaN for a traced out-of-range ``t_k``.

        Raises
        ------
        ValueError
            If a concrete temperature is NaN, inf or outside ``[t_min, t_max]`` (from inside
            jit too, as ``JaxRuntimeError``, after ``with_checks()``).
        """
        self._check(t_k, "t_k")
        return self._guarded(t_k, "t_k")

    def log_coeff_matrix(self, t_layers: ArrayLike) -> jax.Array:
        """(n_layers, n_grid) natural-log coefficients for temperatures ``t_layers`` [K].

        Parameters
        ----------
        t_layers : ArrayLike
            (n_layers,) temperatures [K] within ``[t_min, t_max]``.

        Returns
        -------
        jax.Array
            (n_layers, n_grid) log coefficients [ln(cm^5 molecule^-2)]; NaN rows for traced
            out-of-range layers.

        Raises
        ------
        ValueError
            If a concrete temperature is NaN, inf or outside ``[t_min, t_max]`` (from inside
            jit too, as ``JaxRuntimeError``, after ``with_checks()``).
        """
        self._check(t_layers, "t_layers")
        return self._guarded(jnp.asarray(t_layers), "t_layers")

    def coeff_vector(self, t_k: ArrayLike) -> jax.Array:
        """(n_grid,) CIA coefficient [cm^5 molecule^-2]; exactly 0 outside the table's nu range.

        The coefficients (~1e-46 to 1e-42 for H2-H2) lie below float32's smallest normal
        number (1.2e-38; XLA on CPU flushes denormals to 0): in float32 a coefficient that does
        not fit is returned as NaN, never as a silent 0. Use ``log_coeff_vector`` (what
        ``jaxstro.rtransfer`` does) and combine with number densities in log space; that works
        in float32 and float64 alike.

        Parameters
        ----------
        t_k : ArrayLike
            Scalar temperature [K], ``t_min <= t_k <= t_max``.

        Returns
        -------
        jax.Array
            (n_grid,) coefficient [cm^5 molecule^-2]; NaN for a traced out-of-range ``t_k``.

        Raises
        ------
        ValueError
            If a concrete temperature is NaN, inf or outside ``[t_min, t_max]`` (from inside
            jit too, as ``JaxRuntimeError``, after ``with_checks()``).
        """
        lc = self.log_coeff_vector(t_k)
        c = jnp.exp(lc)
        # below the dtype's normal range the value cannot be represented: NaN, not 0
        unrepresentable = (lc > _LOG_FLOOR + 1.0) & (c < jnp.finfo(c.dtype).tiny)
        c = jnp.where(unrepresentable, jnp.nan, c)
        # NaN (out of range under jit) stays NaN: the comparison is written so NaN fails it
        return jnp.where(lc <= _LOG_FLOOR + 1.0, 0.0, c)


def prepare_cia(table: CIATable, nu_grid: ArrayLike, *, dtype: DTypeLike | None = None) -> CIAGrid:
    """Resample a CIA table onto ``nu_grid`` (log-linear in wavenumber, done once).

    Parameters
    ----------
    table : jaxstro.linedb.CIATable
        From ``jaxstro.linedb.read_cia``.
    nu_grid : ArrayLike
        (n_grid,) strictly increasing wavenumbers [cm^-1].
    dtype : DTypeLike or None
        Float dtype of the prepared table; by default that of ``nu_grid`` when it is a
        floating array, else JAX's default float.

    Returns
    -------
    CIAGrid
        Log coefficients on ``nu_grid`` at the table's temperatures; ``_LOG_FLOOR`` (-700)
        outside the table's wavenumber range (no absorption).

    Raises
    ------
    TypeError
        ``table`` is not a ``CIATable``.
    ValueError
        A bad ``nu_grid`` (not 1-D, strictly increasing, positive and finite), a malformed
        table (fewer than 2 temperatures; temperatures or wavenumbers not finite, positive and
        strictly increasing; ``coeff`` not of shape (n_T, n_nu) or with a negative, NaN or
        infinite value: a NaN used to read as "no absorption"), or a non-floating ``dtype``.
    """
    if not isinstance(table, CIATable):
        raise TypeError(
            f"table must be a jaxstro.linedb.CIATable (read_cia); got {type(table).__name__}"
        )
    nu = check_grid(nu_grid)
    t, tab_nu, coeff = _checked_table(table)
    with np.errstate(divide="ignore"):
        logc = np.where(coeff > 0, np.log(np.maximum(coeff, 1e-300)), _LOG_FLOOR)
    out = np.full((t.size, nu.size), _LOG_FLOOR)
    inside = (nu >= tab_nu[0]) & (nu <= tab_nu[-1])
    for k in range(t.size):
        out[k, inside] = np.interp(nu[inside], tab_nu, logc[k])
    dt = table_dtype(dtype, like=nu_grid)
    return CIAGrid(
        t_k=jnp.asarray(t, dtype=dt),
        log_coeff=jnp.asarray(np.maximum(out, _LOG_FLOOR), dtype=dt),
        t_min=float(t[0]),
        t_max=float(t[-1]),
    )


def _checked_table(table: CIATable) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The table's (t_k, nu_cm1, coeff) as float64, validated (``ValueError`` naming the
    field and the first offending entry)."""
    t = np.asarray(table.t_k, dtype=np.float64)
    nu = np.asarray(table.nu_cm1, dtype=np.float64)
    coeff = np.asarray(table.coeff, dtype=np.float64)
    if t.ndim != 1 or t.size < 2:
        raise ValueError(
            f"the CIA table has {t.size} temperature(s) (shape {t.shape}); interpolation in T "
            "needs a 1-D array of >= 2"
        )
    if nu.ndim != 1 or nu.size < 2:
        raise ValueError(f"table.nu_cm1 must be 1-D with >= 2 points; got shape {nu.shape}")
    if coeff.shape != (t.size, nu.size):
        raise ValueError(
            f"table.coeff must have shape (n_T, n_nu) = {(t.size, nu.size)}; got {coeff.shape}"
        )
    for name, v, unit in (("t_k", t, "K"), ("nu_cm1", nu, "cm^-1")):
        if not (np.all(np.isfinite(v)) and v[0] > 0 and np.all(np.diff(v) > 0)):
            raise ValueError(
                f"table.{name} must be finite, positive and strictly increasing [{unit}] "
                f"(read_cia sorts); got {v[:4]}..."
            )
    bad = ~(np.isfinite(coeff) & (coeff >= 0))
    if np.any(bad):
        i, j = (int(k) for k in np.argwhere(bad)[0])
        raise ValueError(
            f"table.coeff must be finite and >= 0 [cm^5 molecule^-2]; got {coeff[i, j]:.6g} at "
            f"T = {t[i]:g} K, nu = {nu[j]:g} cm^-1 ({int(bad.sum())} bad value(s) in all)"
        )
    return t, nu, coeff
