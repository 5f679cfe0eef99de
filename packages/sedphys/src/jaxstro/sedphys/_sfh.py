"""Star-formation histories and the mass each SSP age bin receives from them.

Every SFH is a function of cosmic time t [Gyr] returning SFR [M_sun/yr]. The mass formed in
SSP age bin i is the integral of SFR over the bin's interval of lookback time (edges at the
geometric midpoints between tabulated SSP ages, the first at 0, the last clipped at t_obs),
not SFR sampled at the SSP age. The integral runs on a cosmic-time table (``make_time_table``)
holding every bin edge plus points uniform in ln t and in ln(lookback time), with 2-point
Gauss-Legendre on each segment.

Convergence (BC03 grid, SDSS ugriz + GALEX, z = 0.1, largest magnitude change against a
32768-point table; ``tests/test_sfh.py::test_time_table_converged``):

    history                                  n_table = 512   1024 (default)   2048     4096
    smooth (tau 5 Gyr, slopes 3), rising     1e-9            1e-10            1e-11    1e-12
    recent burst (slopes 300 at t_obs)       4e-9            3e-10            3e-11    1e-12
    early burst (slopes 100 at 1 Gyr)        2e-3            6e-4             1e-6     2e-8
    early burst (slopes 300 at 1 Gyr)        0.3             0.07             8e-3     8e-5
    burst (slopes 1000 at 6 Gyr)             1.0             1.3              0.1      0.03

The default (1024) changes magnitudes by less than 1e-3 mag for double-power-law slopes up
to 100; steeper bursts need n_table >= 4096 (slopes 300) or >= 16384 (slopes 1000).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from jaxstro.sedphys._checks import FINITE, NON_NEGATIVE, POSITIVE, Args, as_float, is_traced

__all__ = [
    "AgeBins",
    "TimeTable",
    "make_age_bins",
    "make_time_table",
    "sfr_double_power_law",
    "sfr_delayed_tau",
    "sfr_constant",
    "sfr_lognormal",
    "age_bin_masses",
    "age_bin_masses_from_nodes",
    "sfr_double_power_law_log_t",
    "nonparametric_bin_masses",
    "metallicity_weights",
    "sfr_averaged",
    "mass_weighted_age_gyr",
]

YR_PER_GYR = 1e9
_LN10 = math.log(10.0)  # a Python float (a numpy scalar would promote float32 to float64)
_T_WHAT = "cosmic time [Gyr], finite; the SFR is 0 before the start"


def _check_table(func: str, name: str, x) -> np.ndarray | None:
    """A concrete 1-D table must be finite and strictly increasing (traced ones pass)."""
    if is_traced(x):
        return None
    a = np.asarray(x, dtype=np.float64)
    if a.ndim != 1 or a.size < 1 or not np.all(np.isfinite(a)) or np.any(np.diff(a) <= 0):
        raise ValueError(
            f"{func}: {name} must be a finite, strictly increasing 1-D array; got shape "
            f"{a.shape}, values {np.array2string(a.ravel()[:6], precision=4)}"
        )
    return a


class AgeBins(NamedTuple):
    """Lookback-time edges of the SSP age bins (a pytree).

    Attributes
    ----------
    edges_gyr : jax.Array
        (n_age + 1,) lookback time [Gyr]; ``edges_gyr[0] = 0``, ``edges_gyr[-1] = inf``.
    """

    edges_gyr: jax.Array  # (n_age + 1,) lookback time; edges[0] = 0, edges[-1] = inf


def make_age_bins(lg_age_gyr: ArrayLike) -> AgeBins:
    """Bin edges between the SSP ages (geometric midpoints), the first at 0, the last at inf.

    Parameters
    ----------
    lg_age_gyr : ArrayLike
        (n_age,) increasing log10 SSP ages [log10 Gyr] (``SSPGrid.lg_age_gyr``).

    Returns
    -------
    AgeBins
        (n_age + 1,) lookback-time edges [Gyr].

    Raises
    ------
    ValueError
        If ``lg_age_gyr`` is traced, not 1-D, not finite or not strictly increasing.
    """
    if is_traced(lg_age_gyr):
        raise ValueError("make_age_bins: lg_age_gyr must be concrete (a table, not traced)")
    lg = _check_table("make_age_bins", "lg_age_gyr", lg_age_gyr)
    mid = 10.0 ** (0.5 * (lg[1:] + lg[:-1]))
    return AgeBins(jnp.asarray(np.concatenate([[0.0], mid, [np.inf]])))


class TimeTable(NamedTuple):
    """Cosmic-time nodes [Gyr] for the SFH integral (a pytree).

    Attributes
    ----------
    t_gyr : jax.Array
        (n_node,) cosmic time increasing from 0 to t_obs [Gyr] (see ``make_time_table``).
    edge_index : jax.Array
        (n_age + 1,) int position of each age-bin edge in ``t_gyr`` (edge 0 -> t_obs).
    nodes_gyr : jax.Array
        (n_node - 1, 2) the 2-point Gauss-Legendre nodes of every segment [Gyr].
    log_nodes : jax.Array
        (n_node - 1, 2) their natural logarithms [ln Gyr] (precomputed: the SFH formulas work
        in ln t, and with a fixed redshift this saves a log per node in every call).
    width_gyr : jax.Array
        (n_node - 1,) segment widths [Gyr].
    """

    t_gyr: jax.Array
    edge_index: jax.Array
    nodes_gyr: jax.Array
    log_nodes: jax.Array
    width_gyr: jax.Array


T_MIN_GYR = 1e-4  # lookback grid start (SSP ages begin at 7e-5 Gyr)
T_START_GYR = 1e-2  # cosmic-time grid start: no stars form in the first 10 Myr that matter
_GL2_X = np.array([0.5 - 0.5 / np.sqrt(3.0), 0.5 + 0.5 / np.sqrt(3.0)])


def make_time_table(bins: AgeBins, t_obs_gyr: ArrayLike, *, n_table: int = 1024) -> TimeTable:
    """The cosmic-time table for ``age_bin_masses`` at observation time ``t_obs_gyr``.

    Nodes: every SSP age-bin edge, ``n_table // 2`` points uniform in ln t (cosmic time,
    from T_START_GYR) and ``n_table // 2`` uniform in ln(t_obs - t) (lookback time, from
    T_MIN_GYR), so SFH features are resolved early in cosmic time and near the observation.
    With a Python or numpy ``t_obs_gyr`` (fixed redshift) this runs once in numpy; with a JAX
    array, e.g. a traced one (free redshift), it sorts with ``jnp`` inside jit.

    Parameters
    ----------
    bins : AgeBins
        SSP age-bin edges (``make_age_bins``).
    t_obs_gyr : ArrayLike
        Scalar age of the universe at observation [Gyr], ``> 0``.
    n_table : int
        Number of log-spaced nodes (half in cosmic, half in lookback time); see the
        module's convergence table.

    Returns
    -------
    TimeTable
        ``n_node = n_age + 2 + 2 (n_table // 2)`` nodes (for ``n_table >= 4``); with a traced
        ``t_obs_gyr`` outside (0, inf), NaN times.

    Raises
    ------
    ValueError
        If ``bins`` is not an ``AgeBins``, ``n_table`` is not an integer ``>= 4``, or a
        concrete ``t_obs_gyr`` is not finite and ``> 0``.
    """
    if not isinstance(bins, AgeBins):
        raise ValueError(f"make_time_table: bins must be AgeBins; got {type(bins).__name__}")
    if isinstance(n_table, bool) or not isinstance(n_table, int | np.integer) or n_table < 4:
        raise ValueError(f"make_time_table: n_table must be an integer >= 4; got {n_table!r}")
    args = Args("make_time_table")
    t_obs_gyr = args.arg("t_obs_gyr", t_obs_gyr, POSITIVE, "age of the universe [Gyr] > 0")
    table = _make_time_table(bins, t_obs_gyr, n_table=int(n_table))
    if not args.oks:  # concrete and in range
        return table
    return table._replace(
        t_gyr=args.guard(table.t_gyr),
        nodes_gyr=args.guard(table.nodes_gyr),
        log_nodes=args.guard(table.log_nodes),
        width_gyr=args.guard(table.width_gyr),
    )


def _make_time_table(bins: AgeBins, t_obs_gyr, *, n_table: int = 1024) -> TimeTable:
    xp = jnp if isinstance(t_obs_gyr, jax.Array) else np
    if xp is np:
        t_obs_gyr = float(t_obs_gyr)
    edges = np.asarray(bins.edges_gyr) if xp is np else bins.edges_gyr
    t_edges = xp.maximum(t_obs_gyr - xp.minimum(edges, t_obs_gyr), 0.0)
    u = xp.linspace(0.0, 1.0, max(n_table // 2, 2))
    cosmic = T_START_GYR * (t_obs_gyr / T_START_GYR) ** u
    lookback = T_MIN_GYR * (t_obs_gyr / T_MIN_GYR) ** u
    t = xp.concatenate([t_edges, xp.zeros(1), cosmic, t_obs_gyr - lookback])
    t = xp.clip(t, 0.0, t_obs_gyr)
    order = xp.argsort(t, kind="stable") if xp is np else xp.argsort(t, stable=True)
    rank = xp.argsort(order, kind="stable") if xp is np else xp.argsort(order, stable=True)
    t = t[order]
    h = t[1:] - t[:-1]
    nodes = t[:-1, None] + h[:, None] * xp.asarray(_GL2_X, dtype=h.dtype)
    log_nodes = xp.log(xp.maximum(nodes, 1e-30))
    return TimeTable(*(jnp.asarray(a) for a in (t, rank[: edges.shape[0]], nodes, log_nodes, h)))


def sfr_double_power_law(
    t_gyr: ArrayLike,
    log_peak_sfr: ArrayLike,
    tau_gyr: ArrayLike,
    alpha: ArrayLike,
    beta: ArrayLike,
) -> jax.Array:
    """SFR [M_sun/yr] = ``10**log_peak_sfr / ((t/tau)**alpha + (t/tau)**-beta)`` (Carnall et
    al. 2018, Bagpipes): ``alpha`` the falling slope (late times), ``beta`` the rising slope,
    ``tau`` [Gyr] the turnover time. Zero for t <= 0. Evaluated in log space (no overflow in
    float32).

    Parameters
    ----------
    t_gyr : ArrayLike
        (...) cosmic time [Gyr].
    log_peak_sfr : ArrayLike
        log10 of the SFR normalisation [log10 M_sun/yr] (the SFR at ``t = tau`` is half of
        it).
    tau_gyr : ArrayLike
        Turnover time [Gyr], ``> 0``.
    alpha, beta : ArrayLike
        Falling and rising slopes (dimensionless), ``> 0``.

    Returns
    -------
    jax.Array
        (...) SFR [M_sun/yr], the broadcast shape of the inputs; NaN where a traced argument
        lies outside its range.

    Raises
    ------
    ValueError
        If a concrete argument is NaN or inf, or ``tau_gyr``, ``alpha`` or ``beta`` is
        ``<= 0``.
    """
    args = Args("sfr_double_power_law")
    t_gyr = args.arg("t_gyr", t_gyr, FINITE, _T_WHAT)
    rest = _dpl_args(args, log_peak_sfr, tau_gyr, alpha, beta)
    return args.guard(_sfr_double_power_law(t_gyr, *rest))


def _dpl_args(args, log_peak_sfr, tau_gyr, alpha, beta):
    return (
        args.arg("log_peak_sfr", log_peak_sfr, FINITE, "log10 SFR [log10 M_sun/yr]"),
        args.arg("tau_gyr", tau_gyr, POSITIVE, "turnover time [Gyr] > 0"),
        args.arg("alpha", alpha, POSITIVE, "falling slope > 0"),
        args.arg("beta", beta, POSITIVE, "rising slope > 0"),
    )


def _sfr_double_power_law(t_gyr, log_peak_sfr, tau_gyr, alpha, beta):
    t_gyr = jnp.asarray(t_gyr)
    log_t = jnp.log(jnp.maximum(t_gyr, 1e-30))
    sfr = _sfr_double_power_law_log_t(log_t, log_peak_sfr, tau_gyr, alpha, beta)
    return jnp.where(t_gyr > 0, sfr, 0.0)


def sfr_double_power_law_log_t(
    log_t: ArrayLike,
    log_peak_sfr: ArrayLike,
    tau_gyr: ArrayLike,
    alpha: ArrayLike,
    beta: ArrayLike,
) -> jax.Array:
    """``sfr_double_power_law`` of ln t [ln Gyr] (t > 0).

    Parameters
    ----------
    log_t : ArrayLike
        (...) natural log of cosmic time [ln Gyr].
    log_peak_sfr, tau_gyr, alpha, beta : ArrayLike
        As in ``sfr_double_power_law``.

    Returns
    -------
    jax.Array
        (...) SFR [M_sun/yr]; NaN where a traced argument lies outside its range.

    Raises
    ------
    ValueError
        As ``sfr_double_power_law`` (``log_t`` must be finite).
    """
    args = Args("sfr_double_power_law_log_t")
    log_t = args.arg("log_t", log_t, FINITE, "ln cosmic time [ln Gyr]")
    rest = _dpl_args(args, log_peak_sfr, tau_gyr, alpha, beta)
    return args.guard(_sfr_double_power_law_log_t(log_t, *rest))


def _sfr_double_power_law_log_t(log_t, log_peak_sfr, tau_gyr, alpha, beta):
    lr = log_t - jnp.log(tau_gyr)
    log_denom = jnp.logaddexp(alpha * lr, -beta * lr)
    return jnp.exp(log_peak_sfr * _LN10 - log_denom)


def sfr_delayed_tau(t_gyr: ArrayLike, tau_gyr: ArrayLike, t_start_gyr: ArrayLike) -> jax.Array:
    """Unnormalised delayed-tau SFR: ((t - t_start)/tau) exp(-(t - t_start)/tau) for t > t_start.

    Parameters
    ----------
    t_gyr : ArrayLike
        (...) cosmic time [Gyr].
    tau_gyr : ArrayLike
        e-folding time [Gyr], ``> 0``.
    t_start_gyr : ArrayLike
        Cosmic time at which star formation starts [Gyr].

    Returns
    -------
    jax.Array
        (...) relative SFR (dimensionless, peak ``1/e`` at ``t = t_start + tau``; 0 before
        ``t_start``); NaN where a traced argument lies outside its range.

    Raises
    ------
    ValueError
        If a concrete argument is NaN or inf, or ``tau_gyr <= 0``.
    """
    args = Args("sfr_delayed_tau")
    t_gyr = args.arg("t_gyr", t_gyr, FINITE, _T_WHAT)
    tau_gyr = args.arg("tau_gyr", tau_gyr, POSITIVE, "e-folding time [Gyr] > 0")
    t_start_gyr = args.arg("t_start_gyr", t_start_gyr, FINITE, "start time [Gyr]")
    return args.guard(_sfr_delayed_tau(t_gyr, tau_gyr, t_start_gyr))


def _sfr_delayed_tau(t_gyr, tau_gyr, t_start_gyr):
    dt = jnp.maximum(t_gyr - t_start_gyr, 0.0)
    return dt / tau_gyr * jnp.exp(-dt / tau_gyr)


def sfr_constant(t_gyr: ArrayLike, t_start_gyr: ArrayLike) -> jax.Array:
    """Unnormalised constant SFR (1 for t > t_start, else 0).

    Parameters
    ----------
    t_gyr : ArrayLike
        (...) cosmic time [Gyr].
    t_start_gyr : ArrayLike
        Cosmic time at which star formation starts [Gyr].

    Returns
    -------
    jax.Array
        (...) relative SFR (dimensionless, 0 or 1), in the floating dtype of the inputs; NaN
        where a traced argument is NaN or inf.

    Raises
    ------
    ValueError
        If a concrete argument is NaN or inf.
    """
    args = Args("sfr_constant")
    t_gyr = args.arg("t_gyr", t_gyr, FINITE, _T_WHAT)
    t_start_gyr = args.arg("t_start_gyr", t_start_gyr, FINITE, "start time [Gyr]")
    return args.guard(_sfr_constant(t_gyr, t_start_gyr))


def _sfr_constant(t_gyr, t_start_gyr):
    dtype = jnp.result_type(t_gyr, t_start_gyr, float)
    return jnp.where(t_gyr > t_start_gyr, jnp.ones((), dtype), jnp.zeros((), dtype))


def sfr_lognormal(t_gyr: ArrayLike, t0_gyr: ArrayLike, sigma: ArrayLike) -> jax.Array:
    """Unnormalised log-normal SFR in cosmic time (Gladders et al. 2013):
    exp(-(ln t - ln t0)^2 / (2 sigma^2)) / t.

    Parameters
    ----------
    t_gyr : ArrayLike
        (...) cosmic time [Gyr].
    t0_gyr : ArrayLike
        Log-normal location ``exp(mean ln t)`` [Gyr], ``> 0``.
    sigma : ArrayLike
        Width in ln t (dimensionless), ``> 0``.

    Returns
    -------
    jax.Array
        (...) relative SFR [1/Gyr] (0 for ``t <= 0``); NaN where a traced argument lies
        outside its range.

    Raises
    ------
    ValueError
        If a concrete argument is NaN or inf, or ``t0_gyr`` or ``sigma`` is ``<= 0``.
    """
    args = Args("sfr_lognormal")
    t_gyr = args.arg("t_gyr", t_gyr, FINITE, _T_WHAT)
    t0_gyr = args.arg("t0_gyr", t0_gyr, POSITIVE, "location [Gyr] > 0")
    sigma = args.arg("sigma", sigma, POSITIVE, "width in ln t > 0")
    return args.guard(_sfr_lognormal(t_gyr, t0_gyr, sigma))


def _sfr_lognormal(t_gyr, t0_gyr, sigma):
    t_gyr = jnp.asarray(t_gyr)
    t = jnp.maximum(t_gyr, 1e-12)
    return jnp.where(t_gyr > 0, jnp.exp(-0.5 * (jnp.log(t / t0_gyr) / sigma) ** 2) / t, 0.0)


def _bin_limits(bins: AgeBins, t_obs_gyr):
    lo = jnp.minimum(bins.edges_gyr[:-1], t_obs_gyr)
    hi = jnp.minimum(bins.edges_gyr[1:], t_obs_gyr)
    return lo, hi


def age_bin_masses(sfr_fn: Callable[[jax.Array], jax.Array], table: TimeTable) -> jax.Array:
    """Mass formed [M_sun] in each SSP age bin: the integral of SFR over the bin's cosmic-time
    interval (2-point Gauss-Legendre on each segment of ``table``, whose nodes include every
    bin edge, so the bins partition the integral and sum to the mass formed since t = 0).

    Parameters
    ----------
    sfr_fn : callable
        Cosmic time [Gyr] -> SFR [M_sun/yr] (a closure over the SFH parameters), called once
        on the (n_node - 1, 2) array ``table.nodes_gyr``.
    table : TimeTable
        From ``make_time_table``.

    Returns
    -------
    jax.Array
        (n_age,) masses formed [M_sun], youngest bin first; all NaN if a traced SFR is
        negative or not finite at some node.

    Raises
    ------
    ValueError
        If ``table`` is not a ``TimeTable``, ``sfr_fn`` is not callable, or a concrete SFR
        is negative or not finite at some node.
    """
    if not callable(sfr_fn):
        raise ValueError(f"age_bin_masses: sfr_fn must be callable; got {type(sfr_fn).__name__}")
    if not isinstance(table, TimeTable):
        raise ValueError(f"age_bin_masses: table must be a TimeTable; got {type(table).__name__}")
    return age_bin_masses_from_nodes(sfr_fn(table.nodes_gyr), table)


def age_bin_masses_from_nodes(sfr_nodes: ArrayLike, table: TimeTable) -> jax.Array:
    """``age_bin_masses`` from the SFR [M_sun/yr] already evaluated at ``table.nodes_gyr``.

    Parameters
    ----------
    sfr_nodes : ArrayLike
        (n_node - 1, 2) SFR at ``table.nodes_gyr`` [M_sun/yr].
    table : TimeTable
        From ``make_time_table``.

    Returns
    -------
    jax.Array
        (n_age,) masses formed [M_sun], youngest bin first; all NaN if a traced SFR is
        negative or not finite at some node.

    Raises
    ------
    ValueError
        If ``table`` is not a ``TimeTable``, ``sfr_nodes`` does not have the shape of
        ``table.nodes_gyr``, or a concrete SFR is negative or not finite.
    """
    if not isinstance(table, TimeTable):
        raise ValueError(
            f"age_bin_masses_from_nodes: table must be a TimeTable; got {type(table).__name__}"
        )
    if jnp.shape(sfr_nodes) != jnp.shape(table.nodes_gyr):
        raise ValueError(
            f"age_bin_masses_from_nodes: sfr_nodes has shape {jnp.shape(sfr_nodes)}; expected "
            f"table.nodes_gyr's {jnp.shape(table.nodes_gyr)}"
        )
    args = Args("age_bin_masses_from_nodes")
    sfr_nodes = args.arg("sfr_nodes", sfr_nodes, NON_NEGATIVE, "SFR [M_sun/yr] >= 0")
    return args.guard(_age_bin_masses_from_nodes(jnp.asarray(sfr_nodes), table))


def _age_bin_masses_from_nodes(sfr_nodes, table):
    # 2-point Gauss-Legendre on every segment between table nodes (exact for cubics)
    # the 2-point Gauss-Legendre weights are (0.5, 0.5): written out, not as a numpy constant
    # (a module-level numpy array is converted once and then reused as float64 even when x64
    # is switched off later, which broke the float32 path after a float64 run)
    seg = table.width_gyr * (0.5 * (sfr_nodes[..., 0] + sfr_nodes[..., 1]))
    cum = jnp.concatenate([jnp.zeros(1, seg.dtype), jnp.cumsum(seg)])
    at_edges = cum[table.edge_index]  # decreasing: edge 0 is t_obs
    return (at_edges[:-1] - at_edges[1:]) * YR_PER_GYR


def nonparametric_bin_masses(
    sfr_per_bin: ArrayLike, sfh_edges_gyr: ArrayLike, bins: AgeBins, t_obs_gyr: ArrayLike
) -> jax.Array:
    """Mass formed in each SSP age bin for a piecewise-constant SFR in lookback time.

    Exact: each SSP bin gets SFR_k times its overlap with bin k (bins clipped at ``t_obs``).

    Parameters
    ----------
    sfr_per_bin : ArrayLike
        (n_bin,) SFR in each lookback bin [M_sun/yr].
    sfh_edges_gyr : ArrayLike
        (n_bin + 1,) lookback-time edges [Gyr], increasing from 0.
    bins : AgeBins
        SSP age-bin edges (``make_age_bins``).
    t_obs_gyr : ArrayLike
        Scalar age of the universe at observation [Gyr].

    Returns
    -------
    jax.Array
        (n_age,) masses formed [M_sun], youngest bin first; NaN where a traced argument lies
        outside its range.

    Raises
    ------
    ValueError
        If ``bins`` is not ``AgeBins``, ``sfh_edges_gyr`` does not increase strictly from 0
        with ``n_bin + 1`` entries, or a concrete SFR is negative or not finite or
        ``t_obs_gyr`` is not finite and ``> 0``.
    """
    if not isinstance(bins, AgeBins):
        raise ValueError(
            f"nonparametric_bin_masses: bins must be AgeBins; got {type(bins).__name__}"
        )
    e = _check_table("nonparametric_bin_masses", "sfh_edges_gyr", sfh_edges_gyr)
    if jnp.ndim(sfr_per_bin) != 1 or jnp.shape(sfh_edges_gyr) != (jnp.shape(sfr_per_bin)[0] + 1,):
        raise ValueError(
            f"nonparametric_bin_masses: sfr_per_bin {jnp.shape(sfr_per_bin)} and "
            f"sfh_edges_gyr {jnp.shape(sfh_edges_gyr)} must be (n_bin,) and (n_bin + 1,)"
        )
    if e is not None and e[0] != 0:
        raise ValueError(f"nonparametric_bin_masses: sfh_edges_gyr must start at 0; got {e[0]}")
    args = Args("nonparametric_bin_masses")
    sfr_per_bin = args.arg("sfr_per_bin", sfr_per_bin, NON_NEGATIVE, "SFR [M_sun/yr] >= 0")
    t_obs_gyr = args.arg("t_obs_gyr", t_obs_gyr, POSITIVE, "age of the universe [Gyr] > 0")
    sfh_edges_gyr = as_float(sfh_edges_gyr)
    masses = _nonparametric_bin_masses(sfr_per_bin, sfh_edges_gyr, bins, t_obs_gyr)
    return args.guard(masses)


def _nonparametric_bin_masses(sfr_per_bin, sfh_edges_gyr, bins, t_obs_gyr):
    lo, hi = _bin_limits(bins, t_obs_gyr)
    e = jnp.minimum(jnp.asarray(sfh_edges_gyr), t_obs_gyr)
    overlap = jnp.clip(
        jnp.minimum(hi[:, None], e[None, 1:]) - jnp.maximum(lo[:, None], e[None, :-1]), 0.0
    )
    return overlap @ sfr_per_bin * YR_PER_GYR


def metallicity_weights(
    lgmet_grid: ArrayLike, lgmet: ArrayLike, lgmet_scatter: ArrayLike
) -> jax.Array:
    """Weights (sum 1) of the grid metallicities for a Gaussian in log Z with mean ``lgmet`` and
    standard deviation ``lgmet_scatter`` [dex]: the Gaussian's mass between the midpoints of
    neighbouring grid values; the tails beyond the grid go to the end points.

    Parameters
    ----------
    lgmet_grid : ArrayLike
        (n_met,) increasing log10 absolute metallicities [dex] (``SSPGrid.lgmet``).
    lgmet : ArrayLike
        Scalar mean log10 Z [dex].
    lgmet_scatter : ArrayLike
        Scalar standard deviation [dex], ``> 0``.

    Returns
    -------
    jax.Array
        (n_met,) weights (dimensionless, sum 1; all 1 for a single-metallicity grid); NaN
        where a traced ``lgmet`` or ``lgmet_scatter`` lies outside its range.

    Raises
    ------
    ValueError
        If a concrete ``lgmet_grid`` is not finite and strictly increasing, a concrete
        ``lgmet`` is NaN or inf, or ``lgmet_scatter`` is not finite and ``> 0``.
    """
    _check_table("metallicity_weights", "lgmet_grid", lgmet_grid)
    if jnp.ndim(lgmet) != 0 or jnp.ndim(lgmet_scatter) != 0:
        raise ValueError(
            f"metallicity_weights: lgmet {jnp.shape(lgmet)} and lgmet_scatter "
            f"{jnp.shape(lgmet_scatter)} must be scalars (jax.vmap for a batch)"
        )
    args = Args("metallicity_weights")
    lgmet = args.arg("lgmet", lgmet, FINITE, "mean log10 Z [dex]")
    scatter = args.arg("lgmet_scatter", lgmet_scatter, POSITIVE, "width [dex] > 0")
    return args.guard(_metallicity_weights(as_float(lgmet_grid), lgmet, scatter))


def _metallicity_weights(lgmet_grid, lgmet, lgmet_scatter):
    g = jnp.asarray(lgmet_grid)
    if g.shape[0] == 1:
        return jnp.ones_like(g)
    mid = 0.5 * (g[1:] + g[:-1])
    cdf = jax.scipy.stats.norm.cdf((mid - lgmet) / lgmet_scatter)
    cdf = jnp.concatenate([jnp.zeros(1, cdf.dtype), cdf, jnp.ones(1, cdf.dtype)])
    return jnp.diff(cdf)


def sfr_averaged(
    sfr_fn: Callable[[jax.Array], jax.Array],
    t_obs_gyr: ArrayLike,
    window_gyr: ArrayLike,
    *,
    n_nodes: int = 16,
) -> jax.Array:
    """Mean SFR [M_sun/yr] over the last ``window_gyr`` (e.g. 0.01 and 0.1), by Gauss-Legendre.

    Parameters
    ----------
    sfr_fn : callable
        Cosmic time [Gyr] -> SFR [M_sun/yr], called on an (n_nodes,) array.
    t_obs_gyr : ArrayLike
        Scalar age of the universe at observation [Gyr].
    window_gyr : ArrayLike
        Averaging window in lookback time [Gyr], ``> 0``; a window longer than ``t_obs_gyr``
        counts the time before t = 0 as zero SFR.
    n_nodes : int
        Gauss-Legendre nodes over the window.

    Returns
    -------
    jax.Array
        Scalar mean SFR [M_sun/yr]; NaN where a traced ``t_obs_gyr`` or ``window_gyr`` lies
        outside (0, inf).

    Raises
    ------
    ValueError
        If ``sfr_fn`` is not callable, ``n_nodes`` is not a positive integer, or a concrete
        ``t_obs_gyr`` or ``window_gyr`` is not finite and ``> 0``.
    """
    if not callable(sfr_fn):
        raise ValueError(f"sfr_averaged: sfr_fn must be callable; got {type(sfr_fn).__name__}")
    if isinstance(n_nodes, bool) or not isinstance(n_nodes, int | np.integer) or n_nodes < 1:
        raise ValueError(f"sfr_averaged: n_nodes must be an integer >= 1; got {n_nodes!r}")
    args = Args("sfr_averaged")
    t_obs_gyr = args.arg("t_obs_gyr", t_obs_gyr, POSITIVE, "age of the universe [Gyr] > 0")
    window_gyr = args.arg("window_gyr", window_gyr, POSITIVE, "window [Gyr] > 0")
    return args.guard(_sfr_averaged(sfr_fn, t_obs_gyr, window_gyr, n_nodes=n_nodes))


def _sfr_averaged(sfr_fn, t_obs_gyr, window_gyr, *, n_nodes=16):
    x, w = np.polynomial.legendre.leggauss(n_nodes)
    width = jnp.minimum(window_gyr, t_obs_gyr)
    dtype = width.dtype
    tau = 0.5 * (jnp.asarray(x, dtype) + 1.0) * width
    return jnp.sum(0.5 * jnp.asarray(w, dtype) * sfr_fn(t_obs_gyr - tau)) * width / window_gyr


def mass_weighted_age_gyr(masses: ArrayLike, bins: AgeBins, t_obs_gyr: ArrayLike) -> jax.Array:
    """Mass-weighted age [Gyr] of the stars formed (each bin's mass at the midpoint of its
    lookback-time interval, clipped at ``t_obs_gyr``).

    Parameters
    ----------
    masses : ArrayLike
        (n_age,) mass formed per SSP age bin [M_sun] (``age_bin_masses``).
    bins : AgeBins
        SSP age-bin edges.
    t_obs_gyr : ArrayLike
        Scalar age of the universe at observation [Gyr].

    Returns
    -------
    jax.Array
        Scalar mass-weighted age [Gyr] (NaN if no mass formed); NaN where a traced argument
        lies outside its range.

    Raises
    ------
    ValueError
        If ``bins`` is not ``AgeBins``, ``masses`` does not have one entry per bin, or a
        concrete mass is negative or not finite, or ``t_obs_gyr`` is not finite and ``> 0``.
    """
    if not isinstance(bins, AgeBins):
        raise ValueError(f"mass_weighted_age_gyr: bins must be AgeBins; got {type(bins).__name__}")
    if jnp.shape(masses) != (jnp.shape(bins.edges_gyr)[0] - 1,):
        raise ValueError(
            f"mass_weighted_age_gyr: masses has shape {jnp.shape(masses)}; expected "
            f"(n_age,) = ({jnp.shape(bins.edges_gyr)[0] - 1},)"
        )
    args = Args("mass_weighted_age_gyr")
    masses = args.arg("masses", masses, NON_NEGATIVE, "mass formed [M_sun] >= 0")
    t_obs_gyr = args.arg("t_obs_gyr", t_obs_gyr, POSITIVE, "age of the universe [Gyr] > 0")
    return args.guard(_mass_weighted_age_gyr(jnp.asarray(masses), bins, t_obs_gyr))


def _mass_weighted_age_gyr(masses, bins, t_obs_gyr):
    lo, hi = _bin_limits(bins, t_obs_gyr)
    return jnp.sum(masses * 0.5 * (lo + hi)) / jnp.sum(masses)
