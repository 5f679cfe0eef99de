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

from jaxstro.opacity._calc_common import (
    LineArrays,
    check_tp,
    line_arrays,
    select_lines,
    strengths_widths,
)
from jaxstro.opacity._dit import (
    QGrid,
    auto_oversample,
    check_eslog,
    doppler_sigma_q,
    lorentz_image_kernel,
    make_qgrid,
    mass_groups,
    quadratic_weights,
    voigt_kernel_convolve,
)

__all__ = ["MODITCalculator", "prepare_modit"]


@jax.tree_util.register_dataclass
@dataclasses.dataclass(frozen=True)
class MODITCalculator:
    """MODIT cross sections on an ESLOG grid (see :func:`jaxstro.opacity.make_calculator`)."""

    nu_grid: jax.Array  # (n_grid,)
    lines: LineArrays  # lines whose centres lie on the extended grid
    q_index: jax.Array  # (n_lines,) int: nearest extended-grid node of each line centre
    q_offset: jax.Array  # (n_lines,) offset from that node [grid steps], in [-0.5, 0.5)
    log_r_over_nu: jax.Array  # (n_lines,) ln(R / nu_line): Lorentz HWHM [cm^-1] -> grid steps
    group: jax.Array  # (n_lines,) int Doppler class
    masses: jax.Array  # (n_groups,) [amu]
    image_kernel: jax.Array  # (n_fft // 2 + 1,) see _dit.lorentz_image_kernel
    qgrid: QGrid = dataclasses.field(metadata=dict(static=True))
    n_gamma: int = dataclasses.field(metadata=dict(static=True))
    gamma_resolution: float = dataclasses.field(metadata=dict(static=True))
    pressure_shift: bool = dataclasses.field(metadata=dict(static=True))
    t_range: tuple = dataclasses.field(metadata=dict(static=True))
    method: str = dataclasses.field(default="modit", metadata=dict(static=True))

    def xsvector(self, t_k, p_bar):
        """Cross section [cm^2/molecule] on ``nu_grid`` at temperature [K] and pressure [bar]."""
        check_tp(t_k, p_bar, self.t_range)
        return self._xs(t_k, p_bar)

    def xsmatrix(self, t_layers, p_layers):
        """(n_layers, n_grid) cross sections; layers run sequentially (``lax.map``)."""
        check_tp(t_layers, p_layers, self.t_range)
        t, p = jnp.broadcast_arrays(jnp.asarray(t_layers), jnp.asarray(p_layers))
        return jax.lax.map(lambda tp: self._xs(tp[0], tp[1]), (t, p))

    def _xs(self, t_k, p_bar):
        la = self.lines
        s, _, gam = strengths_widths(la, t_k, p_bar)
        qg = self.qgrid
        n_ext = qg.n_ext
        n_groups = self.masses.shape[0]
        n_cols = n_groups * self.n_gamma
        # Lorentz-width classes: ln(gamma_q) on a grid of step ``gamma_resolution`` anchored at
        # the narrowest line; the anchor moves with T and P, and its derivative is kept so that
        # gradients are those of the function evaluated (checked against finite differences)
        lg = jnp.log(gam) + self.log_r_over_nu
        g0 = jnp.min(lg)
        k = (lg - g0) / self.gamma_resolution
        j = jnp.clip(jnp.floor(k), 0, self.n_gamma - 2)
        wg = k - j
        col = self.group * self.n_gamma + j.astype(jnp.int32)
        offset = self.q_offset
        idx = self.q_index
        if self.pressure_shift:
            u = offset + self.qgrid.r * la.delta_ref * p_bar / la.nu
            shift = jnp.floor(u + 0.5)
            idx, offset = idx + shift.astype(idx.dtype), u - shift
        _, wq = quadratic_weights(offset)
        lsd = jnp.zeros(n_ext * n_cols, dtype=s.dtype)
        for dq, w in zip((-1, 0, 1), wq, strict=True):
            base = (jnp.clip(idx + dq, 0, n_ext - 1)) * n_cols + col
            lsd = lsd.at[base].add(s * w * (1.0 - wg)).at[base + 1].add(s * w * wg)
        lsd = lsd.reshape(n_ext, n_cols)
        gamma_nodes = jnp.exp(g0 + self.gamma_resolution * jnp.arange(self.n_gamma, dtype=s.dtype))
        sigma_q = jnp.repeat(doppler_sigma_q(t_k, self.masses, self.qgrid.r), self.n_gamma)
        gamma_q = jnp.tile(gamma_nodes, n_groups)
        xs_q = qg.to_user(voigt_kernel_convolve(lsd, sigma_q, gamma_q, qg.n_fft, self.image_kernel))
        return xs_q * qg.r / self.nu_grid


def prepare_modit(
    lines,
    nu_grid,
    *,
    margin_cm1=25.0,
    gamma_resolution=0.1,
    oversample=None,
    t_min_k=300.0,
    isotopologue_doppler=False,
    pressure_shift=False,
) -> MODITCalculator:
    """MODIT calculator; see :func:`jaxstro.opacity.make_calculator` for the options."""
    nu = np.asarray(nu_grid, dtype=np.float64)
    if not (0 < gamma_resolution <= 1):
        raise ValueError(
            f"gamma_resolution must be in (0, 1] (step in ln gamma); got {gamma_resolution!r}"
        )
    if oversample is None:
        oversample = auto_oversample(check_eslog(nu), np.max(lines.molmass_amu), t_min_k)
    elif int(oversample) != oversample or not 1 <= oversample <= 64:
        raise ValueError(f"oversample must be an integer in [1, 64] or None; got {oversample!r}")
    qg = make_qgrid(nu, margin_cm1, int(oversample))
    u = qg.r * np.log(np.asarray(lines.nu_cm1, dtype=np.float64)) - qg.q0
    keep = select_lines(lines, nu, margin_cm1)
    keep = keep[(u[keep] >= 1) & (u[keep] <= qg.n_ext - 2)]
    i0, _ = quadratic_weights(u[keep])
    la = line_arrays(lines, keep)
    t_range = (float(lines.pf_t_k[0]), float(lines.pf_t_k[-1]))
    nu_l = np.asarray(lines.nu_cm1, dtype=np.float64)[keep]
    weights = np.asarray(lines.strength_ref)[keep] * np.asarray(lines.abundance)[keep]
    masses, group = mass_groups(np.asarray(lines.molmass_amu)[keep], weights, isotopologue_doppler)
    # number of width classes: the largest spread of ln(gamma_q) over the lines at any T in
    # range (pressure scales every line alike, so it does not widen the spread)
    log_r_nu = np.log(qg.r / nu_l)
    g_ref = np.asarray(lines.gamma_ref, dtype=np.float64)[keep]
    n_t = np.asarray(lines.n_temp, dtype=np.float64)[keep]
    x = np.asarray(lines.broadener_fractions, dtype=np.float64)
    spread = 0.0
    for t in np.geomspace(t_range[0], t_range[1], 64):
        lg = np.log(np.sum(x * g_ref * (lines.t_ref_k / t) ** n_t, axis=1)) + log_r_nu
        spread = max(spread, float(lg.max() - lg.min()))
    n_gamma = int(np.ceil(spread / gamma_resolution)) + 2
    dt = la.nu.dtype
    return MODITCalculator(
        nu_grid=jnp.asarray(nu, dtype=dt),
        lines=la,
        q_index=jnp.asarray(i0.astype(np.int32)),
        q_offset=jnp.asarray(u[keep] - i0, dtype=dt),
        log_r_over_nu=jnp.asarray(log_r_nu, dtype=dt),
        group=jnp.asarray(group),
        masses=jnp.asarray(masses, dtype=dt),
        image_kernel=jnp.asarray(lorentz_image_kernel(qg.n_fft), dtype=dt),
        qgrid=qg,
        n_gamma=n_gamma,
        gamma_resolution=float(gamma_resolution),
        pressure_shift=bool(pressure_shift),
        t_range=t_range,
    )
