"""PreMODIT: the line-shape density is precomputed once, so a cross section costs no per-line work.

Kawahara et al. (2023, ApJ 946, 39) precompute a "line basis density" on (q, broadening class,
E'' node): a line's E'' is split over two neighbouring E'' nodes with weights chosen so that its
Boltzmann factor exp(-c2 E''/T) is reproduced *exactly* at both ends of a robust temperature
range [T_low, T_high] (in between the error is below ``elower_tolerance``, set by the node
spacing); its Lorentz width gamma_ref (T_ref/T)^n is split bilinearly over a grid in
(ln gamma_ref, n). At run time the density is contracted with the per-node Boltzmann and
partition-function factors and convolved as in MODIT.

jaxstro stores the density sparsely - the occupied (q node, broadening class, E'' class) entries,
duplicates summed once at preparation - instead of the dense (n_q, n_broad, n_E) array: its size
is bounded both by 36 entries per line and by the dense size, so a few-thousand-line band costs
kilobytes and a 10^8-line list costs no more than the dense array would.
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
    check_grid,
    check_lines,
    select_lines,
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
    two_level_convolve_columns,
)
from jaxstro.opacity._lines import C2_CM_K, partition_ratio_core

__all__ = ["PreMODITCalculator", "prepare_premodit", "elower_node_spacing"]


@jax.tree_util.register_dataclass
@dataclasses.dataclass(frozen=True)
class PreMODITCalculator(CrossSectionAPI):
    """PreMODIT cross sections on an ESLOG grid (see ``jaxstro.opacity.make_calculator``).

    Build with ``make_calculator(lines, nu_grid, method="premodit")``.
    Evaluate with ``xsvector(t_k, p_bar)`` and ``xsmatrix(t_layers, p_layers)``
    [K, bar -> cm^2/molecule]; ``with_checks()`` for the in-jit range check (see
    ``make_calculator``). Valid temperatures: ``t_range`` [K]
    (``robust_range``).

    ``robust_range`` is the temperature range [K] within which the stated accuracy holds:
    line strengths are exact at both ends and within ``elower_tolerance`` (relative) in
    between; Lorentz widths are split over classes ``gamma_resolution`` apart in ln gamma and
    ``n_resolution`` apart in the temperature exponent.
    """

    nu_grid: jax.Array  # (n_grid,)
    # the density, one row per broadening class, each padded to the longest (padding: row
    # index n_rows, dropped by the scatter); 15 bytes per entry
    log_values: jax.Array  # (n_bcol, m) ln|S_ref x weights x exp(-c2 E_node x_mid)|
    signs: jax.Array  # (n_bcol, m) int8 +-1 or 0 (the quadratic q split has negative weights)
    q_index: jax.Array  # (n_bcol, m) LSD row of each entry
    ecol: jax.Array  # (n_bcol, m) E''-class of each entry (int16 below 32768 classes)
    e_nodes: jax.Array  # (n_ecol,) E'' of each E''-class [cm^-1]
    e_iso: jax.Array  # (n_ecol,) partition-function row of each E''-class
    b_log_gamma: jax.Array  # (n_bcol,) ln(R gamma_ref / nu) of each broadening class
    b_n: jax.Array  # (n_bcol,) temperature exponent of each broadening class
    b_group: jax.Array  # (n_bcol,) Doppler class of each broadening class
    masses: jax.Array  # (n_groups,) [amu]
    stim_ref: jax.Array  # (n_grid,) 1 - exp(-c2 nu / T_ref) on the user grid
    pf_t: jax.Array
    pf_q: jax.Array
    grid_arrays: TwoLevelArrays
    layout: TwoLevel = dataclasses.field(metadata=dict(static=True))
    t_ref: float = dataclasses.field(metadata=dict(static=True))
    x_mid: float = dataclasses.field(metadata=dict(static=True))
    robust_range: tuple = dataclasses.field(metadata=dict(static=True))
    elower_tolerance: float = dataclasses.field(metadata=dict(static=True))
    gamma_resolution: float = dataclasses.field(metadata=dict(static=True))
    n_resolution: float = dataclasses.field(metadata=dict(static=True))
    method: str = dataclasses.field(default="premodit", metadata=dict(static=True))
    checked: bool = dataclasses.field(default=False, metadata=dict(static=True))

    @property
    def t_range(self) -> tuple[float, float]:
        """Valid temperatures [K]: ``robust_range``."""
        return self.robust_range

    def _xs(self, t_k, p_bar):
        lay = self.layout
        x = 1.0 / t_k - 1.0 / self.t_ref
        q_ratio = partition_ratio_core(t_k, self.pf_t, self.pf_q, t_ref_k=self.t_ref)
        # in log space: the Boltzmann factor alone overflows float32 for E'' ~ 1e4 cm^-1
        log_factor = -C2_CM_K * self.e_nodes * (x - self.x_mid) + jnp.log(q_ratio)[self.e_iso]
        dtype = self.log_values.dtype

        def make_column(data):
            logv, sign, q, ecol = data
            vals = sign * jnp.exp(logv + log_factor[ecol])
            return jnp.zeros(lay.n_rows, dtype=dtype).at[q].add(vals, mode="drop")

        gamma_q = p_bar * jnp.exp(self.b_log_gamma + self.b_n * jnp.log(self.t_ref / t_k))
        sigma_q = doppler_sigma_q(t_k, self.masses, lay.fine.r)[self.b_group]
        columns = (self.log_values, self.signs, self.q_index, self.ecol)
        xs = two_level_convolve_columns(
            lay, self.grid_arrays, make_column, columns, sigma_q, gamma_q, self.nu_grid, dtype
        )
        # stimulated emission at the output wavenumber instead of each line centre: lines
        # within 25 cm^-1, |d ln(1 - exp(-c2 nu/T))| < c2 25 cm^-1 / T exp(-c2 nu/T) ~ 1e-5
        return xs * (-jnp.expm1(-C2_CM_K * self.nu_grid / t_k)) / self.stim_ref


def _two_node_weights(t, de, x_lo, x_hi):
    """Weights on E_k, E_k + de for E = E_k + t de, exact in exp(-c2 E x) at x_lo and x_hi."""
    a_lo, a_hi = np.exp(C2_CM_K * t * de * x_lo), np.exp(C2_CM_K * t * de * x_hi)
    b_lo, b_hi = np.exp(-C2_CM_K * (1 - t) * de * x_lo), np.exp(-C2_CM_K * (1 - t) * de * x_hi)
    det = a_lo * b_hi - a_hi * b_lo
    return (b_hi - b_lo) / det, (a_lo - a_hi) / det


def _max_relative_error(de, x_lo, x_hi):
    t = np.linspace(0.0, 1.0, 41)[:, None]
    x = np.linspace(x_lo, x_hi, 81)[None, :]
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        w0, w1 = _two_node_weights(t, de, x_lo, x_hi)
        approx = w0 * np.exp(C2_CM_K * t * de * x) + w1 * np.exp(-C2_CM_K * (1 - t) * de * x)
    err = float(np.max(np.abs(approx - 1.0)))
    return err if np.isfinite(err) else np.inf  # overflow: no good


def elower_node_spacing(
    t_low: float, t_high: float, tolerance: float, t_ref: float = 296.0
) -> float:
    """Largest E'' node spacing [cm^-1] whose two-node split errs by at most ``tolerance``.

    The relative error of the split does not depend on E'' itself, only on the spacing and the
    range of 1/T, so one spacing serves the whole line list.

    Parameters
    ----------
    t_low, t_high : float
        Robust temperature range [K], ``0 < t_low < t_high``.
    tolerance : float
        Largest relative error of the Boltzmann factor inside the range (dimensionless).
    t_ref : float
        Reference temperature of the line strengths [K].

    Returns
    -------
    float
        Node spacing [cm^-1], found by bisection between 1e-3 and 1e6 cm^-1 (1e6 when
        even that spacing meets ``tolerance``).

    Raises
    ------
    ValueError
        If ``t_low``, ``t_high`` or ``t_ref`` is not finite and positive, ``t_low >=
        t_high``, ``tolerance`` is not in (0, 1), or no spacing >= 1e-3 cm^-1 meets it.
    """
    for name, v in (("t_low", t_low), ("t_high", t_high), ("t_ref", t_ref)):
        if not (isinstance(v, (int, float, np.integer, np.floating)) and 0 < v < np.inf):
            raise ValueError(f"{name} must be a positive finite temperature [K]; got {v!r}")
    if not t_low < t_high:
        raise ValueError(f"t_low must be below t_high [K]; got t_low={t_low}, t_high={t_high}")
    if not (isinstance(tolerance, (int, float, np.integer, np.floating)) and 0 < tolerance < 1):
        raise ValueError(f"tolerance must be in (0, 1) (relative); got {tolerance!r}")
    x_lo, x_hi = 1.0 / t_high - 1.0 / t_ref, 1.0 / t_low - 1.0 / t_ref
    lo, hi = 1e-3, 1e6
    if _max_relative_error(lo, x_lo, x_hi) > tolerance:
        raise ValueError(
            f"tolerance={tolerance!r} is below what a 1e-3 cm^-1 node spacing achieves over "
            f"[{t_low}, {t_high}] K ({_max_relative_error(lo, x_lo, x_hi):.3g}); use a larger one"
        )
    if _max_relative_error(hi, x_lo, x_hi) <= tolerance:
        return hi
    for _ in range(80):
        mid = np.sqrt(lo * hi)
        lo, hi = (mid, hi) if _max_relative_error(mid, x_lo, x_hi) <= tolerance else (lo, mid)
    return lo


def prepare_premodit(
    lines: LineList,
    nu_grid: ArrayLike,
    *,
    robust_range: tuple[float, float] = (300.0, 3000.0),
    elower_tolerance: float = 1e-3,
    gamma_resolution: float = 0.2,
    n_resolution: float = 0.2,
    margin_cm1: float = 25.0,
    oversample: int | None = None,
    isotopologue_doppler: bool = False,
    dtype: DTypeLike | None = None,
) -> PreMODITCalculator:
    """PreMODIT calculator; see ``jaxstro.opacity.make_calculator`` for the options.

    Parameters
    ----------
    lines : LineList
        The line list.
    nu_grid : ArrayLike
        (n_grid,) ESLOG wavenumber grid [cm^-1].
    robust_range : tuple of float
        (T_low, T_high) [K], increasing and inside the partition-function table.
    elower_tolerance : float
        Largest relative line-strength error inside ``robust_range``, in (0, 0.1).
    gamma_resolution : float
        Step of the broadening classes in ln gamma, in (0, 1].
    n_resolution : float
        Step of the broadening classes in the temperature exponent, in (0, 1].
    margin_cm1 : float
        Lines centred up to this far outside the grid contribute [cm^-1].
    oversample : int or None
        Fine-grid refinement, an integer in [1, 64]; None picks it from
        ``robust_range[0]``.
    isotopologue_doppler : bool
        One Doppler class per isotopologue instead of the strength-weighted mean mass.
    dtype : DTypeLike or None
        Float dtype of the prepared tables (default: that of ``nu_grid``).

    Returns
    -------
    PreMODITCalculator
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
    if np.shape(robust_range) != (2,):
        raise ValueError(f"robust_range must be a pair (T_low, T_high) [K]; got {robust_range!r}")
    t_low, t_high = (float(v) for v in robust_range)
    pf_lo, pf_hi = float(lines.pf_t_k[0]), float(lines.pf_t_k[-1])
    if not (pf_lo <= t_low < t_high <= pf_hi):
        raise ValueError(
            f"robust_range={robust_range} must be increasing and inside the "
            f"partition-function table [{pf_lo:g}, {pf_hi:g}] K"
        )
    if not (0 < elower_tolerance < 0.1):
        raise ValueError(f"elower_tolerance must be in (0, 0.1); got {elower_tolerance!r}")
    for name, v in (("gamma_resolution", gamma_resolution), ("n_resolution", n_resolution)):
        if not (0 < v <= 1):
            raise ValueError(f"{name} must be in (0, 1]; got {v!r}")
    check_oversample(oversample)
    if oversample is None:
        oversample = auto_oversample(check_eslog(nu), np.max(lines.molmass_amu), t_low)
    buffer = core_buffer_steps(nu, t_high, np.min(lines.molmass_amu), margin_cm1)
    sig_min = float(doppler_sigma_q(t_low, np.max(lines.molmass_amu), check_eslog(nu) * oversample))
    lay = make_two_level(nu, margin_cm1, int(oversample), buffer, sig_min)
    t_ref = float(lines.t_ref_k)

    keep = select_lines(lines, nu, margin_cm1)
    nu_l = np.asarray(lines.nu_cm1, dtype=np.float64)[keep]
    u, on_fine, on_coarse = lay.place(nu_l)
    ok = on_fine | on_coarse
    keep, nu_l, u = keep[ok], nu_l[ok], u[ok]
    s_ref = np.asarray(lines.strength_ref, np.float64)[keep] * np.asarray(lines.abundance)[keep]
    elower = np.asarray(lines.elower_cm1, dtype=np.float64)[keep]
    iso = np.asarray(lines.pf_index)[keep].astype(np.int64)
    masses, group = mass_groups(np.asarray(lines.molmass_amu)[keep], s_ref, isotopologue_doppler)

    # broadening: the mixture sum_b x_b gamma_b (T_ref/T)^n_b as one power law, exact at both
    # ends of the robust range (exact everywhere for a single broadener)
    frac = np.asarray(lines.broadener_fractions, dtype=np.float64)
    g_b, n_b = np.asarray(lines.gamma_ref, np.float64)[keep], np.asarray(lines.n_temp)[keep]
    g_lo = np.sum(frac * g_b * (t_ref / t_low) ** n_b, axis=1)
    g_hi = np.sum(frac * g_b * (t_ref / t_high) ** n_b, axis=1)
    n_eff = np.log(g_lo / g_hi) / np.log(t_high / t_low)
    lg = np.log(g_lo) - n_eff * np.log(t_ref / t_low) + np.log(lay.fine.r / nu_l)

    def split(v, res):
        k = (v - v.min()) / res
        j = np.floor(k).astype(np.int64)
        return j, k - j, v.min() + res * np.arange(j.max() + 2)

    # widths: the exponent n is split linearly over n nodes; for each n node the line is put at
    # the ln(gamma_ref) that makes its width exact at T_mid = sqrt(T_low T_high) (so the n split
    # errs by (n - n_node) ln(T_mid / T), half the lever arm of anchoring at T_ref), then split
    # over 3 gamma nodes with the Lorentz split (peak, wings and area exact; the node ratios
    # are T-independent at fixed n, so this part holds at every T)
    jn, wn, n_nodes = split(n_eff, n_resolution)
    l_mid = np.log(t_ref) - 0.5 * (np.log(t_low) + np.log(t_high))
    lg_at = [lg + (n_eff - n_nodes[jn + dn]) * l_mid for dn in (0, 1)]
    g_min = min(v.min() for v in lg_at)
    kg = [(v - g_min) / gamma_resolution + 1.0 for v in lg_at]
    jg = [np.round(v).astype(np.int64) for v in kg]
    wg3 = [lorentz_width_weights(k - j, gamma_resolution) for k, j in zip(kg, jg, strict=True)]
    g_nodes = g_min + gamma_resolution * (np.arange(max(j.max() for j in jg) + 2) - 1.0)
    de = elower_node_spacing(t_low, t_high, elower_tolerance, t_ref)
    je, te, e_nodes = split(elower, de)
    x_lo, x_hi = 1.0 / t_high - 1.0 / t_ref, 1.0 / t_low - 1.0 / t_ref
    x_mid = 0.5 * (x_lo + x_hi)
    we0, we1 = _two_node_weights(te, de, x_lo, x_hi)
    iq, wq = quadratic_weights(u)
    iq = iq.astype(np.int64)

    # every line's 3 x 3 x 2 x 2 entries
    parts = []
    for dq, w_q in zip((-1, 0, 1), wq, strict=True):
        for dn, w_n in ((0, 1 - wn), (1, wn)):
            for dg, w_g in zip((-1, 0, 1), wg3[dn], strict=True):
                for dk, w_e in ((0, we0), (1, we1)):
                    e_node = e_nodes[je + dk]
                    log_mag = np.log(s_ref) - C2_CM_K * e_node * x_mid
                    with np.errstate(divide="ignore", under="ignore"):
                        val = np.exp(log_mag) * w_q * w_g * w_n * w_e
                    parts.append((iq + dq, jg[dn] + dg, jn + dn, je + dk, val))
    q_i, g_i, n_i, e_i, val = (np.concatenate(p) for p in zip(*parts, strict=True))
    iso_i = np.tile(iso, 36)
    grp_i = np.tile(group, 36)
    nz = val != 0.0
    q_i, g_i, n_i, e_i, val, iso_i, grp_i = (a[nz] for a in (q_i, g_i, n_i, e_i, val, iso_i, grp_i))
    # occupied broadening classes (g, n, mass group) and E'' classes (node, isotopologue)
    bkeys, bcol = np.unique(np.stack([g_i, n_i, grp_i], axis=1), axis=0, return_inverse=True)
    ekeys, ecol = np.unique(np.stack([e_i, iso_i], axis=1), axis=0, return_inverse=True)
    flat = bcol.ravel() * lay.n_rows + q_i
    # sum duplicate (q, broadening, E'') entries once, here, instead of at every evaluation
    ukeys, inv = np.unique(np.stack([flat, ecol.ravel()], axis=1), axis=0, return_inverse=True)
    values = np.bincount(inv.ravel(), weights=val, minlength=ukeys.shape[0])
    nz = values != 0.0
    ukeys, values = ukeys[nz], values[nz]
    # one padded row per broadening class (the LSD is then built and convolved class by class)
    b_of, q_of = np.divmod(ukeys[:, 0], lay.n_rows)
    n_bcol = bkeys.shape[0]
    counts = np.bincount(b_of, minlength=n_bcol)
    width = int(counts.max())
    order = np.argsort(b_of, kind="stable")
    slot = np.arange(order.size) - np.repeat(np.cumsum(counts) - counts, counts)
    pad_q = np.full((n_bcol, width), lay.n_rows, dtype=np.int64)
    pad_logv = np.zeros((n_bcol, width))
    pad_sign = np.zeros((n_bcol, width), dtype=np.int8)
    pad_e = np.zeros((n_bcol, width), dtype=np.int64)
    rows_b = b_of[order]
    pad_q[rows_b, slot] = q_of[order]
    pad_logv[rows_b, slot] = np.log(np.abs(values[order]))
    pad_sign[rows_b, slot] = np.sign(values[order])
    pad_e[rows_b, slot] = ukeys[order, 1]

    dt = table_dtype(dtype, like=nu_grid)
    return PreMODITCalculator(
        nu_grid=jnp.asarray(nu, dtype=dt),
        log_values=jnp.asarray(pad_logv, dtype=dt),
        signs=jnp.asarray(pad_sign, dtype=jnp.int8),
        q_index=jnp.asarray(pad_q, dtype=jnp.int32),
        ecol=jnp.asarray(pad_e, dtype=jnp.int16 if ekeys.shape[0] < 2**15 else jnp.int32),
        e_nodes=jnp.asarray(e_nodes[ekeys[:, 0]], dtype=dt),
        e_iso=jnp.asarray(ekeys[:, 1], dtype=jnp.int32),
        b_log_gamma=jnp.asarray(g_nodes[bkeys[:, 0]], dtype=dt),
        b_n=jnp.asarray(n_nodes[bkeys[:, 1]], dtype=dt),
        b_group=jnp.asarray(bkeys[:, 2], dtype=jnp.int32),
        masses=jnp.asarray(masses, dtype=dt),
        stim_ref=jnp.asarray(-np.expm1(-C2_CM_K * nu / t_ref), dtype=dt),
        pf_t=jnp.asarray(lines.pf_t_k, dtype=dt),
        pf_q=jnp.asarray(lines.pf_q, dtype=dt),
        grid_arrays=two_level_arrays(lay, dt),
        layout=lay,
        t_ref=t_ref,
        x_mid=float(x_mid),
        robust_range=(t_low, t_high),
        elower_tolerance=float(elower_tolerance),
        gamma_resolution=float(gamma_resolution),
        n_resolution=float(n_resolution),
    )
