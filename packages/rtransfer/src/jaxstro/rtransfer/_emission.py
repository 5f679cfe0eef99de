"""Thermal emission of a layered atmosphere, pure absorption: all-layers and layer-by-layer.

Layers are ordered from the top down; layer n lies between the cumulative optical depths
tau_n (its top) and tau_{n+1} = tau_n + dtau_n (its bottom), tau_0 = 0.

* ``"ibased"`` (intensity-based n-stream, isothermal layers): the emergent intensity at
  mu_i is I_i = sum_n S_n [exp(-tau_n/mu_i) - exp(-tau_{n+1}/mu_i)] + S_bot exp(-tau_N/mu_i),
  the flux F = sum_i 2 mu_i w_i I_i with Gauss-Legendre nodes on [0, 1] (nstream/2 of them).
  Summed by parts (one exponential per boundary and angle):
  F = sum_{n=0}^{N} (S_n - S_{n-1}) G(tau_n), G(tau) = sum_i 2 mu_i w_i exp(-tau/mu_i),
  with S_{-1} = 0 and S_N = S_bot (0 without a bottom boundary).
* ``"ibased_linsap"``: source linear in tau inside each layer between the boundary values
  (Olson & Kunasz 1987): a layer adds exp(-tau_n/mu) (beta S_top + gamma S_btm) with
  x = dtau/mu, beta = 1 - (1 - e^-x)/x, gamma = (1 - e^-x)/x - e^-x.
* ``"fbased2st"`` (flux-based two-stream): each layer transmits the diffuse flux by
  T_n = 2 E3(dtau_n) and emits (1 - T_n) pi B_n:
  F = sum_n S_n (1 - T_n) prod_{m<n} T_m + S_bot prod_m T_m.

S = pi B_nu(T), so fluxes are in erg s^-1 cm^-2 (cm^-1)^-1 (ExoJAX's unit). The bottom
boundary (default on) is a blackbody at the deepest layer's temperature (at the deepest
boundary's temperature for linsap); ``bottom_boundary=False`` reproduces ExoJAX, which has none.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from jaxstro.rtransfer._checks import float_dtype, is_traced, nan_if_invalid, stand_in
from jaxstro.rtransfer._constants import constant_set
from jaxstro.rtransfer._expint import slab_coefficient, slab_pair, slab_transmission
from jaxstro.rtransfer._layers import LayerGrid
from jaxstro.rtransfer._planck import _pi_b, _pi_b_log_prefactor, _pi_b_pre

__all__ = [
    "EMISSION_METHODS",
    "gauss_legendre_mu",
    "emission_flux",
    "emission_intensity",
    "emission_flux_scan",
    "contribution_function",
]

EMISSION_METHODS: tuple[str, ...] = ("ibased", "ibased_linsap", "fbased2st")
"""Solvers of ``emission_flux`` and ``emission_flux_scan``."""

_SERIES_X = 1.0e-3  # linsap coefficients from their Taylor series below this dtau/mu


# ----------------------------------------------------------------------------- validation
def gauss_legendre_mu(nstream: int) -> tuple[np.ndarray, np.ndarray]:
    """Gauss-Legendre nodes and weights on mu in [0, 1] for an n-stream solver.

    Parameters
    ----------
    nstream : int
        Even number of streams, 2 <= nstream <= 16 (nstream / 2 upward directions).

    Returns
    -------
    mu, weight : numpy.ndarray
        (nstream/2,) float64 nodes (cos of the zenith angle) and weights; the weights sum to 1,
        so sum(2 mu w) = 1 and an isothermal atmosphere gives exactly pi B.

    Raises
    ------
    ValueError
        If ``nstream`` is not an even integer in [2, 16].
    """
    if (
        isinstance(nstream, bool)
        or not isinstance(nstream, (int, np.integer))
        or nstream % 2
        or not 2 <= nstream <= 16
    ):
        raise ValueError(f"nstream must be an even integer in [2, 16]; got {nstream!r}")
    x, w = np.polynomial.legendre.leggauss(int(nstream) // 2)
    return 0.5 * (x + 1.0), 0.5 * w


def _check_method(method, nstream):
    if method not in EMISSION_METHODS:
        raise ValueError(f"method must be one of {EMISSION_METHODS}; got {method!r}")
    if method == "fbased2st":
        if nstream not in (None, 2):
            raise ValueError(f"nstream must be 2 (or None) for method='fbased2st'; got {nstream!r}")
        return 2
    nstream = 8 if nstream is None else nstream
    gauss_legendre_mu(nstream)
    return nstream


def _check_nu(nu_cm1, n_grid=None):
    nu = jnp.asarray(nu_cm1)
    if nu.ndim != 1 or (n_grid is not None and nu.shape[0] != n_grid):
        want = f"(n_grid,) = ({n_grid},)" if n_grid is not None else "(n_grid,)"
        raise ValueError(f"nu_cm1 must have shape {want} like dtau's last axis; got {nu.shape}")
    if not is_traced(nu):
        v = np.asarray(nu, dtype=np.float64)
        if not (np.all(np.isfinite(v)) and np.all(v > 0)):
            raise ValueError(f"nu_cm1 must be finite and > 0 [cm^-1]; got {v[~(v > 0)][:6]}")
    return nu


def _check_temperatures(name, t, n):
    t = jnp.asarray(t)
    if t.shape != (n,):
        raise ValueError(
            f"{name} must have shape ({n},): the layer counts of {name} and dtau (or the grid) "
            f"disagree; got {t.shape}"
        )
    if not is_traced(t):
        v = np.asarray(t, dtype=np.float64)
        bad = ~(np.isfinite(v) & (v > 0))
        if np.any(bad):
            raise ValueError(f"{name} must be finite and > 0 [K]; got {v[bad][:6]}")
    return t


def _check_dtau(dtau):
    d = jnp.asarray(dtau)
    if d.ndim != 2 or d.shape[0] < 1:
        raise ValueError(f"dtau must have shape (n_layers, n_grid); got {d.shape}")
    if not is_traced(d):
        v = np.asarray(d)
        bad = ~(np.isfinite(v) & (v >= 0))
        if np.any(bad):
            raise ValueError(
                f"dtau must be finite and >= 0; got {v[bad][:6]} at "
                f"{np.argwhere(bad)[:3].tolist()} (layer, grid index)"
            )
    return d


def _boundary_temperatures(t_layers, t_boundaries, n):
    """(n+1,) boundary temperatures: given, or linear in layer index between the centres
    (= linear in log P on an even log-pressure grid), extrapolated at both ends but never below
    half the end layer's temperature (a steep end gradient would otherwise extrapolate to
    T <= 0 and a NaN flux for valid input)."""
    if t_boundaries is not None:
        return _check_temperatures("t_boundaries_k", t_boundaries, n + 1)
    if n == 1:
        return jnp.concatenate([t_layers, t_layers])
    mid = 0.5 * (t_layers[1:] + t_layers[:-1])
    top = jnp.maximum(1.5 * t_layers[0] - 0.5 * t_layers[1], 0.5 * t_layers[0])
    btm = jnp.maximum(1.5 * t_layers[-1] - 0.5 * t_layers[-2], 0.5 * t_layers[-1])
    return jnp.concatenate([top[None], mid, btm[None]])


# ----------------------------------------------------------------------------- kernels
def _linsap_coeffs(x):
    """beta, gamma of the linear-source layer for x = dtau/mu >= 0 (series near 0)."""
    small = x < _SERIES_X
    xs = jnp.where(small, 1.0, x)
    fac = -jnp.expm1(-xs) / xs
    e = jnp.exp(-x)
    beta = jnp.where(small, x * (0.5 + x * (-1.0 / 6.0 + x / 24.0)), 1.0 - fac)
    gamma = jnp.where(small, x * (0.5 + x * (-1.0 / 3.0 + x / 8.0)), fac - e)
    return beta, gamma


def _ibased_intensity(dtau, s_layers, s_bot, mu):
    """(n_mu, n_grid) emergent intensities, isothermal layers, summed by parts."""
    tau = jnp.concatenate([jnp.zeros_like(dtau[:1]), jnp.cumsum(dtau, axis=0)])  # (N+1, G)
    s_ext = jnp.concatenate([jnp.zeros_like(s_layers[:1]), s_layers, s_bot[None]])
    ds = s_ext[1:] - s_ext[:-1]  # (N+1, G): S_n - S_{n-1}
    return jnp.stack([jnp.sum(ds * jnp.exp(-tau / float(m)), axis=0) for m in mu])


def _linsap_intensity(dtau, s_bnd, s_bot, mu):
    tau_top = jnp.concatenate([jnp.zeros_like(dtau[:1]), jnp.cumsum(dtau[:-1], axis=0)])
    tau_n = tau_top[-1] + dtau[-1]
    out = []
    for m in map(float, mu):
        beta, gamma = _linsap_coeffs(dtau / m)
        di = jnp.exp(-tau_top / m) * (beta * s_bnd[:-1] + gamma * s_bnd[1:])
        out.append(jnp.sum(di, axis=0) + s_bot * jnp.exp(-tau_n / m))
    return jnp.stack(out)


def _prepare(dtau, t_layers_k, nu_cm1, method, nstream, t_boundaries_k, constants):
    c = constant_set(constants)
    nstream = _check_method(method, nstream)
    d = _check_dtau(dtau)
    n, n_grid = d.shape
    t = _check_temperatures("t_layers_k", t_layers_k, n)
    nu = _check_nu(nu_cm1, n_grid)
    dt = float_dtype(d, t, nu, t_boundaries_k)
    d, t, nu = d.astype(dt), t.astype(dt), nu.astype(dt)
    tb = None
    if method == "ibased_linsap":
        tb = _boundary_temperatures(t, t_boundaries_k, n).astype(dt)
    temps = t if tb is None else jnp.concatenate([t, tb])
    ok_t = jnp.all((temps > 0) & jnp.isfinite(temps))
    ok_d, d_sum = _column_checks(d)
    t = stand_in(ok_t, t, 1000.0)
    if tb is not None:
        tb = stand_in(ok_t, tb, 1000.0)
    # no stand-in for dtau: every solver is column by column, so a bad entry reaches only its
    # own column, which nan_if_invalid sets to NaN (value and gradient) through ok_d
    return c, nstream, d, t, tb, nu, ok_t & ok_d, jnp.sum(temps) + d_sum


def _column_checks(d):
    """(n_grid,) column checks of dtau (all entries finite and >= 0) and column sums (the
    poison value: a NaN gradient reaches every offending input), by a scan over the rows:
    elementwise work, several times faster on CPU than XLA's axis-0 reductions of a large
    (n_layers, n_grid) matrix."""

    def body(carry, row):
        ok, acc = carry
        return (ok & (row >= 0) & (row < jnp.inf), acc + row), None

    init = (jnp.ones(d.shape[1:], dtype=bool), jnp.zeros(d.shape[1:], dtype=d.dtype))
    (ok, acc), _ = jax.lax.scan(body, init, d)
    return ok, acc


def _source(t, nu, c):
    return _pi_b(t[:, None], nu[None, :], c["hc_over_k"], c["two_pi_hc2"])


def emission_flux(
    dtau: ArrayLike,
    t_layers_k: ArrayLike,
    nu_cm1: ArrayLike,
    *,
    method: str = "ibased",
    nstream: int | None = None,
    t_boundaries_k: ArrayLike | None = None,
    bottom_boundary: bool = True,
    constants: str = "codata2018",
) -> jax.Array:
    """Emergent flux of a layered atmosphere with pure absorption.

    Parameters
    ----------
    dtau : ArrayLike
        (n_layers, n_grid) optical depth of each layer, top first, >= 0.
    t_layers_k : ArrayLike
        (n_layers,) layer temperatures [K], > 0.
    nu_cm1 : ArrayLike
        (n_grid,) wavenumbers [cm^-1], > 0.
    method : str
        "ibased" (default, intensity-based n-stream, isothermal layers), "ibased_linsap"
        (intensity-based, source linear in tau within layers) or "fbased2st" (flux-based
        two-stream).
    nstream : int or None
        Even number of streams in [2, 16] for the ibased methods (default 8); must be None or 2
        for fbased2st.
    t_boundaries_k : ArrayLike or None
        (n_layers + 1,) boundary temperatures [K] for "ibased_linsap" (e.g. a T-P profile
        evaluated at ``grid.p_boundary_bar``). Default: midpoints of neighbouring layer
        temperatures, linearly extrapolated at the top and bottom (at least half the end
        layer's temperature). Ignored by the other methods.
    bottom_boundary : bool
        Add a blackbody at the deepest layer's (linsap: deepest boundary's) temperature below
        the atmosphere (default True). False reproduces ExoJAX (no bottom source).
    constants : str
        "codata2018" (default) or "exojax" (ExoJAX's CODATA 2014 h and k_B).

    Returns
    -------
    jax.Array
        (n_grid,) flux [erg s^-1 cm^-2 (cm^-1)^-1]. NaN where a traced input is out of range
        (temperature <= 0, negative or non-finite dtau in that column).

    Raises
    ------
    ValueError
        Bad method / nstream, layer counts of dtau, t_layers_k (and t_boundaries_k) that
        disagree, a grid length that disagrees with dtau, or concrete out-of-range values.
    """
    c, nstream, d, t, tb, nu, ok, poison = _prepare(
        dtau, t_layers_k, nu_cm1, method, nstream, t_boundaries_k, constants
    )
    # one layer at a time (lax.scan over the rows of dtau): the same sums as the matrix
    # formulas in the module docstring, with O(n_grid) temporaries (1.5-4x faster on CPU
    # than the (n_layers, n_grid) form, which is memory bound). fbased2st evaluates the slab
    # coefficient C = slab_coefficient(dtau) on the whole matrix first: one large elementwise
    # kernel that XLA splits across threads (~2x faster than 100 small ones in the scan body)
    if method == "fbased2st":
        layer_params, layer_fn = (d, slab_coefficient(d)), lambda dc: slab_pair(*dc)
    else:
        layer_params, layer_fn = d, lambda row: row
    f = _scan_flux(
        layer_fn, layer_params, t, tb, nu, d.dtype, c, method, nstream, bottom_boundary, False,
        slab_given=method == "fbased2st",
    )  # fmt: skip
    return nan_if_invalid(ok, f, value=poison)


def emission_intensity(
    dtau: ArrayLike,
    t_layers_k: ArrayLike,
    nu_cm1: ArrayLike,
    *,
    method: str = "ibased",
    nstream: int | None = None,
    t_boundaries_k: ArrayLike | None = None,
    bottom_boundary: bool = True,
    constants: str = "codata2018",
) -> tuple[np.ndarray, jax.Array]:
    """Emergent intensities at the Gauss-Legendre angles (ibased methods).

    Parameters
    ----------
    dtau, t_layers_k, nu_cm1, nstream, t_boundaries_k, bottom_boundary, constants
        As in ``emission_flux``.
    method : str
        "ibased" or "ibased_linsap".

    Returns
    -------
    mu : numpy.ndarray
        (nstream/2,) cos of the zenith angles.
    intensity : jax.Array
        (nstream/2, n_grid) intensities times pi [erg s^-1 cm^-2 (cm^-1)^-1 sr^-1 x pi], i.e.
        in the unit of the flux, so ``sum(2 mu w I) = emission_flux``.
    """
    if method == "fbased2st":
        raise ValueError("method must be 'ibased' or 'ibased_linsap' for intensities")
    c, nstream, d, t, tb, nu, ok, poison = _prepare(
        dtau, t_layers_k, nu_cm1, method, nstream, t_boundaries_k, constants
    )
    mu, _ = gauss_legendre_mu(nstream)
    if method == "ibased":
        s = _source(t, nu, c)
        s_bot = s[-1] if bottom_boundary else jnp.zeros_like(s[-1])
        i = _ibased_intensity(d, s, s_bot, mu)
    else:
        sb = _source(tb, nu, c)
        s_bot = sb[-1] if bottom_boundary else jnp.zeros_like(sb[-1])
        i = _linsap_intensity(d, sb, s_bot, mu)
    return mu, nan_if_invalid(ok, i.T, value=poison).T


# ----------------------------------------------------------------------------- layer by layer
def emission_flux_scan(
    layer_dtau: Callable[[Any], jax.Array],
    layer_params: Any,
    t_layers_k: ArrayLike,
    nu_cm1: ArrayLike,
    *,
    method: str = "ibased",
    nstream: int | None = None,
    t_boundaries_k: ArrayLike | None = None,
    bottom_boundary: bool = True,
    constants: str = "codata2018",
    remat: bool = True,
) -> jax.Array:
    """Emergent flux computed one layer at a time (``lax.scan``): memory O(n_grid).

    The optical depth of layer n is ``layer_dtau(params_n)`` where ``params_n`` is
    ``layer_params`` with its leading (layer) axis indexed at n; it is computed inside the scan
    body and never stored for all layers. The scan carries the optical depth above the current
    layer (for fbased2st: the product of the layer transmissions above it), the previous
    layer's source and the flux, each (n_grid,). The result equals ``emission_flux`` on the
    stacked dtau to rounding (<= 1e-12 relative in float64).

    Differentiation: forward mode (``jax.jvp``, ``jax.jacfwd``) runs alongside the scan in
    O(n_grid) memory. Reverse mode (``jax.grad``) with ``remat=True`` (default) rematerialises
    the body (``jax.checkpoint``): the backward pass stores only the carries of each layer
    (a few n_grid vectors per layer) and recomputes ``layer_dtau``, so the intermediates of the
    opacity calculation (e.g. lines x grid) are never kept for all layers.

    Parameters
    ----------
    layer_dtau : callable
        Pure function ``params_of_one_layer -> (n_grid,) dtau``.
    layer_params : pytree
        Arrays with a leading axis of length n_layers (top layer first).
    t_layers_k : ArrayLike
        (n_layers,) layer temperatures [K] (the source function; pass them inside
        ``layer_params`` too if ``layer_dtau`` needs them).
    nu_cm1 : ArrayLike
        (n_grid,) wavenumbers [cm^-1].
    method, nstream, t_boundaries_k, bottom_boundary, constants
        As in ``emission_flux``.
    remat : bool
        Rematerialise the scan body in reverse mode (default True).

    Returns
    -------
    jax.Array
        (n_grid,) flux [erg s^-1 cm^-2 (cm^-1)^-1].

    Raises
    ------
    ValueError
        Bad method / nstream, or layer counts of ``layer_params`` leaves, ``t_layers_k`` (and
        ``t_boundaries_k``) that disagree, or concrete non-positive temperatures.
    """
    c = constant_set(constants)
    nstream = _check_method(method, nstream)
    leaves = jax.tree_util.tree_leaves(layer_params)
    if not leaves:
        raise ValueError("layer_params must hold at least one array with a leading layer axis")
    n = jnp.shape(leaves[0])[0] if jnp.ndim(leaves[0]) else 0
    for leaf in leaves:
        if jnp.ndim(leaf) == 0 or jnp.shape(leaf)[0] != n:
            raise ValueError(
                "every leaf of layer_params must have the same leading (layer) axis; got shapes "
                f"{[jnp.shape(x) for x in leaves]}"
            )
    t = _check_temperatures("t_layers_k", t_layers_k, n)
    nu = _check_nu(nu_cm1)
    dt = float_dtype(t, nu, t_boundaries_k)
    t, nu = t.astype(dt), nu.astype(dt)
    tb = None
    if method == "ibased_linsap":
        tb = _boundary_temperatures(t, t_boundaries_k, n).astype(dt)
    temps = t if tb is None else jnp.concatenate([t, tb])
    ok_t = jnp.all((temps > 0) & jnp.isfinite(temps))
    t = stand_in(ok_t, t, 1000.0)
    if tb is not None:
        tb = stand_in(ok_t, tb, 1000.0)
    flux = _scan_flux(
        layer_dtau, layer_params, t, tb, nu, dt, c, method, nstream, bottom_boundary, remat
    )
    return nan_if_invalid(ok_t, flux, value=jnp.sum(temps))


def _scan_flux(
    layer_dtau, layer_params, t, tb, nu, dt, c, method, nstream, bottom_boundary, remat,
    slab_given=False,
):  # fmt: skip
    """The layer scan shared by ``emission_flux`` (layer_dtau = identity on dtau rows) and
    ``emission_flux_scan``; inputs already validated and stood in. With ``slab_given``
    (fbased2st), ``layer_dtau`` returns the slab's (T, A) = (2 E3(dtau), 1 - 2 E3(dtau))."""
    hck = c["hc_over_k"]
    log_pref = _pi_b_log_prefactor(nu, c["two_pi_hc2"])  # (n_grid,), once for all layers

    def src(tk):
        return _pi_b_pre(tk, nu, log_pref, hck)

    zeros = jnp.zeros(nu.shape, dtype=dt)
    if method == "ibased":
        mu, w = gauss_legendre_mu(nstream)
        coef = [(float(m), float(2.0 * m * wi)) for m, wi in zip(mu, w, strict=True)]

        def g_of(tau):
            return sum(cw * jnp.exp(-tau / m) for m, cw in coef)

        def body(carry, x):
            tau, s_prev, flux = carry
            params, tk = x
            s = src(tk)
            flux = flux + (s - s_prev) * g_of(tau)
            d = jnp.asarray(layer_dtau(params), dtype=dt)
            return (tau + d, s, flux), None

        xs = (layer_params, t)
        init = (zeros, zeros, zeros)
    elif method == "ibased_linsap":
        mu, w = gauss_legendre_mu(nstream)
        coef = [(float(m), float(2.0 * m * wi)) for m, wi in zip(mu, w, strict=True)]

        def body(carry, x):
            tau, _, flux = carry
            params, t_top, t_btm = x
            s_top, s_btm = src(t_top), src(t_btm)
            d = jnp.asarray(layer_dtau(params), dtype=dt)
            for m, cw in coef:
                beta, gamma = _linsap_coeffs(d / m)
                flux = flux + cw * jnp.exp(-tau / m) * (beta * s_top + gamma * s_btm)
            return (tau + d, s_btm, flux), None

        xs = (layer_params, tb[:-1], tb[1:])
        init = (zeros, zeros, zeros)
    else:

        def body(carry, x):
            trans, s_prev, flux = carry
            params, tk = x
            s = src(tk)
            if slab_given:
                t_layer, a = layer_dtau(params)
            else:
                t_layer, a = slab_transmission(jnp.asarray(layer_dtau(params), dtype=dt))
            flux = flux + s * a * trans
            return (trans * t_layer, s, flux), None

        xs = (layer_params, t)
        init = (jnp.ones(nu.shape, dtype=dt), zeros, zeros)

    step = jax.checkpoint(body) if remat else body
    (acc, s_last, flux), _ = jax.lax.scan(step, init, xs)
    if method == "ibased":
        # closing by-parts term (S_bot - S_{N-1}) G(tau_N): zero with the bottom boundary
        if not bottom_boundary:
            flux = flux - s_last * g_of(acc)
    elif bottom_boundary:
        if method == "ibased_linsap":
            flux = flux + s_last * sum(cw * jnp.exp(-acc / m) for m, cw in coef)
        else:
            flux = flux + s_last * acc
    return flux


# ----------------------------------------------------------------------------- contribution
def contribution_function(
    dtau: ArrayLike,
    t_layers_k: ArrayLike,
    nu_cm1: ArrayLike,
    grid: LayerGrid,
    *,
    normalize: bool = True,
    constants: str = "codata2018",
) -> jax.Array:
    """Emission contribution function per layer and wavenumber, normalised as in ExoJAX.

    cf_n(nu) = exp(-tau_{n+1}) dtau_n (P_n / dP_n) nu^3 / expm1(h c nu / k_B T_n), with
    tau_{n+1} the optical depth to the bottom of layer n (ExoJAX's ``plotcf``): the
    contribution per unit ln P of the vertical (mu = 1) ray, in units where the Planck factor
    is nu^3 / expm1. With ``normalize`` (default) each column sums to 1 over the layers.

    Parameters
    ----------
    dtau : ArrayLike
        (n_layers, n_grid) layer optical depths.
    t_layers_k : ArrayLike
        (n_layers,) temperatures [K].
    nu_cm1 : ArrayLike
        (n_grid,) wavenumbers [cm^-1].
    grid : LayerGrid
        The layers (``p_bar`` and ``dp_bar``).
    normalize : bool
        Divide each column by its sum over the layers (default True).
    constants : str
        "codata2018" or "exojax" (h c / k_B).

    Returns
    -------
    jax.Array
        (n_layers, n_grid) contribution function.
    """
    c = constant_set(constants)
    d = _check_dtau(dtau)
    n, n_grid = d.shape
    if grid.n_layers != n:
        raise ValueError(f"grid has {grid.n_layers} layers but dtau has {n}")
    t = _check_temperatures("t_layers_k", t_layers_k, n)
    nu = _check_nu(nu_cm1, n_grid)
    dt = float_dtype(d, t, nu)
    d, t, nu = d.astype(dt), t.astype(dt), nu.astype(dt)
    tau = jnp.cumsum(d, axis=0)
    x = c["hc_over_k"] * nu[None, :] / t[:, None]
    ratio = (grid.p_bar / grid.dp_bar).astype(dt)[:, None]
    cf = jnp.exp(-tau + 3.0 * jnp.log(nu)[None, :]) * d * ratio / jnp.expm1(x)
    if normalize:
        cf = cf / jnp.sum(cf, axis=0, keepdims=True)
    return cf
