"""Line physics: temperature-dependent intensity, Doppler and pressure widths."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from jaxstro.opacity._checks import (
    Arg,
    _format,
    apply_domain,
    finite,
    float_dtype,
    is_traced,
    nonnegative,
    positive,
    stand_in,
)

__all__ = [
    "line_strength",
    "doppler_sigma",
    "pressure_gamma",
    "partition_ratio",
    "C2_CM_K",
    "K_B_CGS",
    "C_CGS",
    "AMU_G",
]

C2_CM_K = 1.438776877  # h c / k_B [cm K]
K_B_CGS = 1.380649e-16  # erg / K
C_CGS = 2.99792458e10  # cm / s
AMU_G = 1.66053906660e-24  # g


def line_strength(
    t_k: ArrayLike,
    strength_ref: ArrayLike,
    elower_cm1: ArrayLike,
    nu_cm1: ArrayLike,
    q_ratio: ArrayLike,
    *,
    t_ref_k: float = 296.0,
) -> jax.Array:
    """Line intensity at ``t_k`` [cm/molecule] from its value at ``t_ref_k``.

    ``S(T) = S_ref q exp(-c2 E'' (1/T - 1/T_ref)) (1 - e^{-c2 nu/T}) / (1 - e^{-c2 nu/T_ref})``
    with ``q = q_ratio = Q(T_ref)/Q(T)`` per line.

    Parameters
    ----------
    t_k : ArrayLike
        Temperature [K], ``> 0``: a scalar (or an array broadcasting with the line arrays).
    strength_ref : ArrayLike
        (n_lines,) line intensities at ``t_ref_k`` [cm/molecule], ``>= 0`` (a zero stays
        zero).
    elower_cm1 : ArrayLike
        (n_lines,) lower-state energies [cm^-1].
    nu_cm1 : ArrayLike
        (n_lines,) line-centre wavenumbers [cm^-1], ``> 0``.
    q_ratio : ArrayLike
        (n_lines,) or scalar partition-function ratio ``Q(t_ref_k) / Q(t_k)``
        (dimensionless) of each line's isotopologue, e.g. ``partition_ratio(...)`` indexed
        with ``LineList.pf_index``.
    t_ref_k : float
        Reference temperature of ``strength_ref`` [K] (``LineList.t_ref_k``, 296 K).

    Returns
    -------
    jax.Array
        (n_lines,) line intensities at ``t_k`` [cm/molecule] (the broadcast shape of the
        inputs, their promoted floating dtype).

    Raises
    ------
    ValueError
        If a concrete argument is outside its range (``t_k``, ``nu_cm1``, ``q_ratio``,
        ``t_ref_k`` > 0; ``strength_ref`` >= 0; ``elower_cm1`` any; all finite). Traced: NaN
        there, with a NaN gradient (the package's out-of-range policy).
    """
    return apply_domain(
        lambda t, s, e, nu, q, tr: line_strength_log(t, jnp.log(s), e, nu, q, t_ref_k=tr),
        Arg("t_k", t_k, positive, "> 0 and finite [K]", safe=296.0),
        Arg("strength_ref", strength_ref, nonnegative, ">= 0 and finite [cm/molecule]"),
        Arg("elower_cm1", elower_cm1, finite, "finite [cm^-1]", safe=0.0),
        Arg("nu_cm1", nu_cm1, positive, "> 0 and finite [cm^-1]"),
        Arg("q_ratio", q_ratio, positive, "> 0 and finite (dimensionless)"),
        Arg("t_ref_k", t_ref_k, positive, "> 0 and finite [K]", safe=296.0),
    )


def line_strength_log(t_k, log_strength_ref, elower_cm1, nu_cm1, q_ratio, *, t_ref_k=296.0):
    """:func:`line_strength` from ln S_ref: hot lines have S_ref ~ 1e-50 at 296 K (below the
    float32 range) yet matter at 1500 K, and their Boltzmann factor alone overflows float32, so
    the two are combined in log space."""
    log_boltz = -C2_CM_K * elower_cm1 * (1.0 / t_k - 1.0 / t_ref_k)
    stim = jnp.expm1(-C2_CM_K * nu_cm1 / t_k) / jnp.expm1(-C2_CM_K * nu_cm1 / t_ref_k)
    return jnp.exp(log_strength_ref + log_boltz) * q_ratio * stim


def doppler_sigma(nu_cm1: ArrayLike, t_k: ArrayLike, molmass_amu: ArrayLike) -> jax.Array:
    """Gaussian standard deviation of thermal Doppler broadening [cm^-1]: nu sqrt(kT/(m c^2)).

    This is the standard deviation, not the half width (HWHM = sqrt(2 ln 2) sigma).

    Parameters
    ----------
    nu_cm1 : ArrayLike
        (n_lines,) line-centre wavenumbers [cm^-1].
    t_k : ArrayLike
        Temperature [K], ``0 < t_k < inf``: a scalar (or an array broadcasting with
        ``nu_cm1``).
    molmass_amu : ArrayLike
        (n_lines,) or scalar mass of the absorbing molecule [amu], ``> 0``
        (``LineList.molmass_amu``).

    Returns
    -------
    jax.Array
        (n_lines,) Doppler sigma [cm^-1] (the broadcast shape of the inputs, their promoted
        floating dtype).

    Raises
    ------
    ValueError
        If a concrete argument is not positive and finite. Traced: NaN there, with a NaN
        gradient (the package's out-of-range policy).
    """
    return apply_domain(
        _doppler_sigma,
        Arg("nu_cm1", nu_cm1, positive, "> 0 and finite [cm^-1]"),
        Arg("t_k", t_k, positive, "> 0 and finite [K]", safe=296.0),
        Arg("molmass_amu", molmass_amu, positive, "> 0 and finite [amu]"),
    )


def _doppler_sigma(nu_cm1, t_k, molmass_amu):
    return nu_cm1 * jnp.sqrt(K_B_CGS * t_k / (molmass_amu * AMU_G)) / C_CGS


def pressure_gamma(
    t_k: ArrayLike,
    p_bar: ArrayLike,
    gamma_ref: ArrayLike,
    n_temp: ArrayLike,
    fractions: ArrayLike,
    *,
    t_ref_k: float = 296.0,
) -> jax.Array:
    """Lorentz HWHM [cm^-1]: ``P sum_b x_b gamma_ref_b (T_ref/T)^n_b``.

    Parameters
    ----------
    t_k : ArrayLike
        Scalar temperature [K], ``0 < t_k < inf``.
    p_bar : ArrayLike
        Scalar total pressure [bar], ``0 <= p_bar < inf``.
    gamma_ref : ArrayLike
        (n_lines, n_broadener) pressure-broadening HWHM at ``t_ref_k`` and 1 bar of each
        broadener [cm^-1/bar], ``>= 0`` (``LineList.gamma_ref``).
    n_temp : ArrayLike
        (n_lines, n_broadener) temperature exponents of the widths (dimensionless, finite;
        ``LineList.n_temp``).
    fractions : ArrayLike
        (n_broadener,) volume mixing ratios ``x_b`` of the broadeners, ``>= 0``
        (``LineList.broadener_fractions``).
    t_ref_k : float
        Reference temperature of ``gamma_ref`` [K] (296 K), ``> 0``.

    Returns
    -------
    jax.Array
        (n_lines,) Lorentzian half width at half maximum [cm^-1], in the promoted floating
        dtype of the inputs.

    Raises
    ------
    ValueError
        If a concrete argument is outside its range above (NaN and inf included). Traced: NaN
        where an input is out of range (a bad ``t_k``, ``p_bar``, fraction or ``t_ref_k``:
        every line; a bad ``gamma_ref`` / ``n_temp`` row: that line), with a NaN gradient
        (the package's out-of-range policy).
    """
    return apply_domain(
        _pressure_gamma,
        Arg("t_k", t_k, positive, "> 0 and finite [K]", safe=296.0, core_ndim=None),
        Arg("p_bar", p_bar, nonnegative, ">= 0 and finite [bar]", core_ndim=None),
        Arg("gamma_ref", gamma_ref, nonnegative, ">= 0 and finite [cm^-1/bar]", core_ndim=1),
        Arg("n_temp", n_temp, finite, "finite (dimensionless)", safe=0.5, core_ndim=1),
        Arg("fractions", fractions, nonnegative, ">= 0 and finite", core_ndim=None),
        Arg("t_ref_k", t_ref_k, positive, "> 0 and finite [K]", safe=296.0, core_ndim=None),
    )


def _pressure_gamma(t_k, p_bar, gamma_ref, n_temp, fractions, t_ref_k=296.0):
    return p_bar * jnp.sum(fractions * gamma_ref * (t_ref_k / t_k) ** n_temp, axis=-1)


def partition_ratio(
    t_k: ArrayLike, pf_t_k: ArrayLike, pf_q: ArrayLike, *, t_ref_k: float = 296.0
) -> jax.Array:
    """Q(T_ref)/Q(T) for each tabulated isotopologue (rows of ``pf_q``), linear interpolation.

    Parameters
    ----------
    t_k : ArrayLike
        (...) temperature [K], usually a scalar, within ``[pf_t_k[0], pf_t_k[-1]]``. Out of
        the table (NaN and inf included) follows the package's out-of-range policy: a
        concrete value raises ``ValueError``, a traced one gives NaN.
    pf_t_k : ArrayLike
        (n_T,) strictly increasing, finite, positive table temperatures [K], n_T >= 2
        (``LineList.pf_t_k``); may be traced (a calculator passed to jit as an argument).
    pf_q : ArrayLike
        (n_iso, n_T) partition function of each isotopologue on ``pf_t_k``, positive and
        finite (dimensionless; ``LineList.pf_q``).
    t_ref_k : float
        Reference temperature [K] (296 K), inside the table.

    Returns
    -------
    jax.Array
        (n_iso, ...) ``Q(t_ref_k) / Q(t_k)`` (dimensionless), one row per isotopologue, in
        the promoted floating dtype of ``t_k`` and the table.

    Raises
    ------
    ValueError
        If a concrete ``t_k`` is outside the table (NaN, inf included), or a concrete table
        is malformed (shapes, order, non-finite or non-positive values, ``t_ref_k`` outside
        it). Traced: NaN (everywhere for a bad table), with a NaN gradient.
    """
    pf_t, q_tab = jnp.asarray(pf_t_k), jnp.asarray(pf_q)
    if pf_t.ndim != 1 or pf_t.shape[0] < 2 or q_tab.ndim != 2 or q_tab.shape[1] != pf_t.shape[0]:
        raise ValueError(
            f"pf_t_k must be (n_T,) with n_T >= 2 and pf_q (n_iso, n_T); got shapes "
            f"{pf_t.shape} and {q_tab.shape}"
        )
    if not is_traced(pf_t_k):
        tab = np.asarray(pf_t_k, dtype=np.float64)
        if not (np.all(np.isfinite(tab)) and tab[0] > 0 and np.all(np.diff(tab) > 0)):
            raise ValueError(
                f"pf_t_k must be finite, positive and strictly increasing [K]; got {tab}"
            )
        if not tab[0] <= float(t_ref_k) <= tab[-1]:
            raise ValueError(
                f"t_ref_k={t_ref_k} K lies outside the partition-function table "
                f"[{tab[0]:g}, {tab[-1]:g}] K"
            )
    if not is_traced(pf_q):
        q = np.asarray(pf_q, dtype=np.float64)
        if not np.all(np.isfinite(q) & (q > 0)):
            raise ValueError(
                f"pf_q must be positive and finite; got {q[~(np.isfinite(q) & (q > 0))]}"
            )
    if not is_traced(t_k, pf_t_k):  # (a traced table's range is known only inside jit)
        t = np.asarray(t_k, dtype=np.float64)
        lo, hi = (float(v) for v in np.asarray(pf_t_k, dtype=np.float64)[[0, -1]])
        bad = ~np.isfinite(t) | (t < lo) | (t > hi)
        if np.any(bad):
            raise ValueError(
                f"t_k must be finite and within the partition-function table [{lo:g}, {hi:g}] "
                f"K; got {_format(t[bad])} K"
            )
    dtype = float_dtype(t_k, pf_t, q_tab)
    pf_t, q_tab = pf_t.astype(dtype), q_tab.astype(dtype)
    table_ok = (
        jnp.all(jnp.diff(pf_t) > 0)
        & (pf_t[0] > 0)
        & jnp.all(positive(pf_t))
        & jnp.all(positive(q_tab))
        & (pf_t[0] <= t_ref_k)
        & (t_ref_k <= pf_t[-1])
    )
    t = jnp.asarray(t_k, dtype=dtype)
    out = partition_ratio_core(t, pf_t, q_tab, t_ref_k=t_ref_k)
    # NaN gradient with respect to an out-of-table t (the ratio itself is NaN there already)
    poison = jnp.where((t >= pf_t[0]) & (t <= pf_t[-1]), jnp.zeros((), dtype), jnp.nan) * t
    return jnp.where(table_ok, out, jnp.nan) + poison


def partition_ratio_core(t_k, pf_t, q_tab, *, t_ref_k=296.0):
    """:func:`partition_ratio` without the concrete checks (tables checked by the caller):
    NaN where ``t_k`` is outside the table, computed at an in-range stand-in there."""
    t = jnp.asarray(t_k)
    ok = (t >= pf_t[0]) & (t <= pf_t[-1])
    t_safe = stand_in(ok, t, t_ref_k)
    q_t = jnp.stack([jnp.interp(t_safe, pf_t, row) for row in q_tab])
    q_ref = jnp.stack([jnp.interp(jnp.asarray(t_ref_k, q_t.dtype), pf_t, row) for row in q_tab])
    ratio = q_ref.reshape(q_ref.shape + (1,) * t.ndim) / q_t
    return jnp.where(ok, ratio, jnp.nan)
