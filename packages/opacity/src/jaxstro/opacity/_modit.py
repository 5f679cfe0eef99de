"""MODIT: line strengths and widths per line at run time, then a discrete integral transform
over Lorentz-width classes and one FFT convolution per class (Kawahara et al. 2022, ApJS 258, 31).

Cost per (T, P): O(n_lines) for strengths and the scatter-add, plus
O(n_gamma x n_fft log n_fft) for the convolutions - independent of how far line wings reach.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike, DTypeLike

from jaxstro.linedb import LineList
from jaxstro.opacity._calc_common import (
    CrossSectionAPI,
    LineArrays,
    check_grid,
    check_lines,
    line_arrays,
    select_lines,
    strengths_widths,
    table_dtype,
)
from jaxstro.opacity._dit import (
    TwoLevel,
    TwoLevelArrays,
    auto_oversample,
    check_eslog,
    check_oversample,
    core_buffer_steps,
    doppler_sigma_q,
    eslog_float64,
    lorentz_width_weights,
    make_two_level,
    mass_groups,
    quadratic_weights,
    two_level_arrays,
    two_level_convolve,
)

__all__ = ["MODITCalculator", "prepare_modit"]


@jax.tree_util.register_dataclass
@dataclasses.dataclass(frozen=True)
class MODITCalculator(CrossSectionAPI):
    """MODIT cross sections on an ESLOG grid (see ``jaxstro.opacity.make_calculator``).

    Build with ``make_calculator(lines, nu_grid, method="modit")``.
    Evaluate with ``xsvector(t_k, p_bar)`` and ``xsmatrix(t_layers, p_layers)``
    [K, bar -> cm^2/molecule]; ``with_checks()`` for the in-jit range check (see
    ``make_calculator``). Valid temperatures: ``t_range`` [K] (the
    partition-function table's).
    """

    nu_grid: jax.Array  # (n_grid,)
    lines: LineArrays  # lines centred on the fine or the coarse grid
    q_index: jax.Array  # (n_lines,) int: nearest LSD row (fine rows, then coarse rows)
    q_offset: jax.Array  # (n_lines,) offset from that row [its grid's steps], in [-0.5, 0.5)
    r_line: jax.Array  # (n_lines,) resolving power of the line's grid (for pressure shifts)
    log_r_over_nu: jax.Array  # (n_lines,) ln(R_fine / nu_line): HWHM [cm^-1] -> fine steps
    group: jax.Array  # (n_lines,) int Doppler class
    masses: jax.Array  # (n_groups,) [amu]
    grid_arrays: TwoLevelArrays
    layout: TwoLevel = dataclasses.field(metadata=dict(static=True))
    n_gamma: int = dataclasses.field(metadata=dict(static=True))
    gamma_resolution: float = dataclasses.field(metadata=dict(static=True))
    pressure_shift: bool = dataclasses.field(metadata=dict(static=True))
    t_range: tuple = dataclasses.field(metadata=dict(static=True))
    method: str = dataclasses.field(default="modit", metadata=dict(static=True))
    checked: bool = dataclasses.field(default=False, metadata=dict(static=True))

    def _xs(self, t_k, p_bar):
        la = self.lines
        s, _, gam = strengths_widths(la, t_k, p_bar)
        n_rows = self.layout.n_rows
        n_groups = self.masses.shape[0]
        n_cols = n_groups * self.n_gamma
        # Lorentz-width classes: ln(gamma) [fine steps] on a grid of step ``gamma_resolution``
        # anchored at the narrowest line; the anchor moves with T and P, and its derivative is
        # kept so that gradients are those of the function evaluated (checked against finite
        # differences)
        lg = jnp.log(gam) + self.log_r_over_nu
        g0 = jnp.min(lg) - self.gamma_resolution
        k = (lg - g0) / self.gamma_resolution
        j = jnp.clip(jnp.round(k), 1, self.n_gamma - 2)
        wg = lorentz_width_weights(k - j, self.gamma_resolution)
        col = self.group * self.n_gamma + j.astype(jnp.int32)
        offset = self.q_offset
        idx = self.q_index
        if self.pressure_shift:
            u = offset + self.r_line * la.delta_ref * p_bar / la.nu
            shift = jnp.floor(u + 0.5)
            idx, offset = idx + shift.astype(idx.dtype), u - shift
        _, wq = quadratic_weights(offset)
        lsd = jnp.zeros(n_rows * n_cols, dtype=s.dtype)
        for dq, w in zip((-1, 0, 1), wq, strict=True):
            row = jnp.clip(idx + dq, 0, n_rows - 1)
            for dg, v in zip((-1, 0, 1), wg, strict=True):
                lsd = lsd.at[(col + dg) * n_rows + row].add(s * w * v)
        lsd = lsd.reshape(n_cols, n_rows)
        gamma_nodes = jnp.exp(g0 + self.gamma_resolution * jnp.arange(self.n_gamma, dtype=s.dtype))
        sigma_f = jnp.repeat(doppler_sigma_q(t_k, self.masses, self.layout.fine.r), self.n_gamma)
        gamma_f = jnp.tile(gamma_nodes, n_groups)
        return two_level_convolve(
            self.layout, self.grid_arrays, lsd, sigma_f, gamma_f, self.nu_grid
        )


def prepare_modit(
    lines: LineList,
    nu_grid: ArrayLike,
    *,
    margin_cm1: float = 25.0,
    gamma_resolution: float = 0.2,
    oversample: int | None = None,
    t_min_k: float = 300.0,
    isotopologue_doppler: bool = False,
    pressure_shift: bool = False,
    dtype: DTypeLike | None = None,
) -> MODITCalculator:
    """MODIT calculator; see ``jaxstro.opacity.make_calculator`` for the options.

    Parameters
    ----------
    lines : LineList
        The line list.
    nu_grid : ArrayLike
        (n_grid,) ESLOG wavenumber grid [cm^-1].
    margin_cm1 : float
        Lines centred up to this far outside the grid contribute [cm^-1].
    gamma_resolution : float
        Step of the Lorentz-width classes in ln gamma, in (0, 1].
    oversample : int or None
        Fine-grid refinement, an integer in [1, 64]; None picks it from ``t_min_k``.
    t_min_k : float
        Coldest temperature [K] whose Doppler width the automatic ``oversample`` resolves.
    isotopologue_doppler : bool
        One Doppler class per isotopologue instead of the strength-weighted mean mass.
    pressure_shift : bool
        Shift line centres by ``delta_ref * p_bar``.
    dtype : DTypeLike or None
        Float dtype of the prepared tables (default: that of ``nu_grid``).

    Returns
    -------
    MODITCalculator
        The prepared calculator (a pytree; pass it to jitted functions as an argument).

    Raises
    ------
    ValueError
        If ``nu_grid`` is not ESLOG, an option is out of its range, or no line lies within
        ``margin_cm1`` of the grid.
    """
    check_lines(lines)
    check_grid(nu_grid)
    nu = eslog_float64(nu_grid)
    if not (0 < gamma_resolution <= 1):
        raise ValueError(
            f"gamma_resolution must be in (0, 1] (step in ln gamma); got {gamma_resolution!r}"
        )
    if not (isinstance(t_min_k, (int, float, np.integer, np.floating)) and 0 < t_min_k < np.inf):
        raise ValueError(f"t_min_k must be a positive finite temperature [K]; got {t_min_k!r}")
    check_oversample(oversample)
    if oversample is None:
        oversample = auto_oversample(check_eslog(nu), np.max(lines.molmass_amu), t_min_k)
    t_range = (float(lines.pf_t_k[0]), float(lines.pf_t_k[-1]))
    buffer = core_buffer_steps(nu, t_range[1], np.min(lines.molmass_amu), margin_cm1)
    sig_min = float(
        doppler_sigma_q(t_min_k, np.max(lines.molmass_amu), check_eslog(nu) * oversample)
    )
    layout = make_two_level(nu, margin_cm1, int(oversample), buffer, sig_min)
    keep = select_lines(lines, nu, margin_cm1)
    row, on_fine, on_coarse = layout.place(np.asarray(lines.nu_cm1)[keep])
    ok = on_fine | on_coarse
    keep, row, on_fine = keep[ok], row[ok], on_fine[ok]
    i0, _ = quadratic_weights(row)
    la = line_arrays(lines, keep, dtype=table_dtype(dtype, like=nu_grid))
    nu_l = np.asarray(lines.nu_cm1, dtype=np.float64)[keep]
    weights = np.asarray(lines.strength_ref)[keep] * np.asarray(lines.abundance)[keep]
    masses, group = mass_groups(np.asarray(lines.molmass_amu)[keep], weights, isotopologue_doppler)
    # number of width classes: the largest spread of ln(gamma) over the lines at any T in
    # range (pressure scales every line alike, so it does not widen the spread)
    log_r_nu = np.log(layout.fine.r / nu_l)
    g_ref = np.asarray(lines.gamma_ref, dtype=np.float64)[keep]
    n_t = np.asarray(lines.n_temp, dtype=np.float64)[keep]
    x = np.asarray(lines.broadener_fractions, dtype=np.float64)
    spread = 0.0
    for t in np.geomspace(max(t_range[0], 100.0), t_range[1], 64):
        lg = np.log(np.sum(x * g_ref * (lines.t_ref_k / t) ** n_t, axis=1)) + log_r_nu
        spread = max(spread, float(lg.max() - lg.min()))
    n_gamma = int(np.ceil(spread / gamma_resolution)) + 3
    dt = la.nu.dtype
    return MODITCalculator(
        nu_grid=jnp.asarray(nu, dtype=dt),
        lines=la,
        q_index=jnp.asarray(i0.astype(np.int32)),
        q_offset=jnp.asarray(row - i0, dtype=dt),
        r_line=jnp.asarray(np.where(on_fine, layout.fine.r, layout.r_c), dtype=dt),
        log_r_over_nu=jnp.asarray(log_r_nu, dtype=dt),
        group=jnp.asarray(group),
        masses=jnp.asarray(masses, dtype=dt),
        grid_arrays=two_level_arrays(layout, dt),
        layout=layout,
        n_gamma=n_gamma,
        gamma_resolution=float(gamma_resolution),
        pressure_shift=bool(pressure_shift),
        t_range=t_range,
    )
