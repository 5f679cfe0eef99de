"""Collision-induced absorption on a wavenumber grid: linear in T, logarithmic in coefficient."""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np

__all__ = ["CIAGrid", "prepare_cia"]

_LOG_FLOOR = -700.0  # log of "no absorption" (exp(-700) ~ 1e-304)


@jax.tree_util.register_dataclass
@dataclasses.dataclass(frozen=True)
class CIAGrid:
    """A CIA table resampled onto ``nu_grid`` (log coefficients), ready for T interpolation."""

    t_k: jax.Array  # (n_T,)
    log_coeff: jax.Array  # (n_T, n_grid) natural log of cm^5 molecule^-2 (floored)
    t_min: float = dataclasses.field(metadata=dict(static=True))
    t_max: float = dataclasses.field(metadata=dict(static=True))

    def _check(self, t):
        if not isinstance(t, jax.core.Tracer):
            tv = np.asarray(t)
            if np.any((tv < self.t_min) | (tv > self.t_max)):
                raise ValueError(
                    f"t_k={tv} lies outside the CIA table's range "
                    f"[{self.t_min:g}, {self.t_max:g}] K"
                )

    def log_coeff_vector(self, t_k):
        """(n_grid,) natural-log CIA coefficient at temperature ``t_k`` [K]."""
        self._check(t_k)
        t = jnp.clip(t_k, self.t_min, self.t_max)
        i = jnp.clip(jnp.searchsorted(self.t_k, t, side="right") - 1, 0, self.t_k.size - 2)
        w = (t - self.t_k[i]) / (self.t_k[i + 1] - self.t_k[i])
        return (1 - w) * self.log_coeff[i] + w * self.log_coeff[i + 1]

    def log_coeff_matrix(self, t_layers):
        """(n_layers, n_grid) natural-log coefficients for a temperature profile."""
        self._check(t_layers)
        return jax.vmap(self.log_coeff_vector)(jnp.asarray(t_layers))

    def coeff_vector(self, t_k):
        """(n_grid,) CIA coefficient [cm^5 molecule^-2]; exactly 0 outside the table's nu range."""
        lc = self.log_coeff_vector(t_k)
        return jnp.where(lc > _LOG_FLOOR + 1.0, jnp.exp(lc), 0.0)


def prepare_cia(table, nu_grid) -> CIAGrid:
    """Resample a ``jaxstro.linedb.CIATable`` onto ``nu_grid`` (log-linear in nu, once)."""
    nu_grid = np.asarray(nu_grid, dtype=np.float64)
    if nu_grid.ndim != 1 or not np.all(np.diff(nu_grid) > 0):
        raise ValueError(
            f"nu_grid must be a 1-D strictly increasing array [cm^-1]; got shape {nu_grid.shape}"
        )
    t = np.asarray(table.t_k, dtype=np.float64)
    if t.size < 2:
        raise ValueError(f"the CIA table has {t.size} temperature(s); interpolation in T needs 2")
    with np.errstate(divide="ignore"):
        logc = np.where(table.coeff > 0, np.log(np.maximum(table.coeff, 1e-300)), _LOG_FLOOR)
    out = np.full((t.size, nu_grid.size), _LOG_FLOOR)
    inside = (nu_grid >= table.nu_cm1[0]) & (nu_grid <= table.nu_cm1[-1])
    for k in range(t.size):
        out[k, inside] = np.interp(nu_grid[inside], table.nu_cm1, logc[k])
    dt = jnp.asarray(0.0).dtype
    return CIAGrid(
        t_k=jnp.asarray(t, dtype=dt),
        log_coeff=jnp.asarray(np.maximum(out, _LOG_FLOOR), dtype=dt),
        t_min=float(t[0]),
        t_max=float(t[-1]),
    )
