"""Log-pressure layer grid, gravity and hydrostatic radii of the layers."""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike, DTypeLike

from jaxstro.rtransfer._checks import (
    as_float,
    check_positive,
    float_dtype,
    nan_if_invalid,
    stand_in,
)
from jaxstro.rtransfer._constants import G_CGS, GM_JUP_CGS, R_JUP_CM, constant_set

__all__ = [
    "LayerGrid",
    "AtmosphereRadii",
    "layer_grid",
    "layer_grid_from_boundaries",
    "gravity_cgs",
    "gravity_jupiter",
    "pressure_scale_height_cm",
    "hydrostatic_radii",
]

LAYER_CONVENTIONS: tuple[str, ...] = ("boundaries", "exojax")


@jax.tree_util.register_dataclass
@dataclasses.dataclass(frozen=True)
class LayerGrid:
    """Atmospheric layers ordered from the top (low pressure) down.

    Layer ``i`` spans the boundaries ``p_boundary_bar[i]`` (its top) and
    ``p_boundary_bar[i + 1]`` (its bottom); its representative pressure ``p_bar[i]`` is the
    geometric mean of the two and ``dp_bar[i]`` their difference, so ``sum(dp_bar)`` is the
    pressure difference between the deepest and the top boundary.

    Attributes
    ----------
    p_bar : jax.Array
        (n_layers,) layer (centre) pressures [bar], increasing.
    p_boundary_bar : jax.Array
        (n_layers + 1,) boundary pressures [bar], increasing.
    dp_bar : jax.Array
        (n_layers,) pressure thickness of each layer [bar].
    convention : str
        "boundaries" or "exojax" (how ``layer_grid`` placed the layers); static.
    """

    p_bar: jax.Array
    p_boundary_bar: jax.Array
    dp_bar: jax.Array
    convention: str = dataclasses.field(default="boundaries", metadata=dict(static=True))

    @property
    def n_layers(self) -> int:
        """Number of layers."""
        return int(self.p_bar.shape[0])


def layer_grid(
    p_top_bar: float,
    p_btm_bar: float,
    n_layers: int,
    *,
    convention: str = "boundaries",
    dtype: DTypeLike | None = None,
) -> LayerGrid:
    """A grid of ``n_layers`` layers evenly spaced in log pressure.

    Parameters
    ----------
    p_top_bar, p_btm_bar : float
        Top and bottom pressures [bar], ``0 < p_top_bar < p_btm_bar``.
    n_layers : int
        Number of layers, >= 2.
    convention : str
        "boundaries" (default): ``p_top_bar`` and ``p_btm_bar`` are the outermost layer
        *boundaries*; the n_layers + 1 boundaries are log-spaced between them and each layer's
        pressure is the geometric mean of its boundaries.
        "exojax": ExoJAX's ``pressure_layer_logspace`` (reference point 0.5): the layer
        *centres* are ``logspace(log10 p_top, log10 p_btm, n_layers)``, with ratio
        ``k = 10**-dlog10P`` between neighbours, boundaries at ``sqrt(k) p`` (and the deepest
        at ``p_btm / sqrt(k)``) and ``dp = (k**-0.5 - k**0.5) p``. Identical inputs give
        ExoJAX's ``pressure``, ``dParr`` and ``pressure_boundary`` (hence identical dtau).
    dtype : DTypeLike or None
        Float dtype of the arrays (default: JAX's default float).

    Returns
    -------
    LayerGrid

    Raises
    ------
    ValueError
        If the pressures are not finite, positive and increasing, ``n_layers < 2`` or the
        convention is unknown.
    """
    if convention not in LAYER_CONVENTIONS:
        raise ValueError(f"convention must be one of {LAYER_CONVENTIONS}; got {convention!r}")
    if isinstance(n_layers, bool) or int(n_layers) != n_layers or n_layers < 2:
        raise ValueError(f"n_layers must be an integer >= 2; got {n_layers!r}")
    n_layers = int(n_layers)
    pt, pb = float(p_top_bar), float(p_btm_bar)
    if not (np.isfinite(pt) and np.isfinite(pb) and 0 < pt < pb):
        raise ValueError(
            "pressures must be finite, positive and increasing (0 < p_top_bar < p_btm_bar) "
            f"[bar]; got p_top_bar={pt:g}, p_btm_bar={pb:g}"
        )
    dt = jnp.dtype(dtype) if dtype is not None else jnp.result_type(float)
    if convention == "boundaries":
        pbnd = np.logspace(np.log10(pt), np.log10(pb), n_layers + 1)
        p = np.sqrt(pbnd[:-1] * pbnd[1:])
        dp = np.diff(pbnd)
    else:
        lt, lb = np.log10(pt), np.log10(pb)
        p = np.logspace(lt, lb, n_layers)
        k = 10 ** (-(lb - lt) / (n_layers - 1))
        dp = (k ** (0.5 - 1.0) - k**0.5) * p
        pbnd = np.append(k**0.5 * p, k ** (0.5 - 1.0) * p[-1])
    return LayerGrid(
        p_bar=jnp.asarray(p, dtype=dt),
        p_boundary_bar=jnp.asarray(pbnd, dtype=dt),
        dp_bar=jnp.asarray(dp, dtype=dt),
        convention=convention,
    )


def layer_grid_from_boundaries(
    p_boundary_bar: ArrayLike, *, dtype: DTypeLike | None = None
) -> LayerGrid:
    """A layer grid from arbitrary boundary pressures (centres = geometric means).

    Parameters
    ----------
    p_boundary_bar : ArrayLike
        (n_layers + 1,) boundary pressures [bar], positive and strictly increasing.
    dtype : DTypeLike or None
        Float dtype (default: that of ``p_boundary_bar`` if floating, else JAX's default).

    Returns
    -------
    LayerGrid
        With ``convention="boundaries"``.

    Raises
    ------
    ValueError
        If the pressures are not finite, positive and strictly increasing, or fewer than 3.
    """
    pb = np.asarray(p_boundary_bar, dtype=np.float64)
    if pb.ndim != 1 or pb.size < 3:
        raise ValueError(
            f"p_boundary_bar must be a 1-D array of >= 3 boundaries [bar]; got shape {pb.shape}"
        )
    if not (np.all(np.isfinite(pb)) and np.all(pb > 0) and np.all(np.diff(pb) > 0)):
        raise ValueError(
            "p_boundary_bar must be finite, positive and strictly increasing [bar] "
            f"(top of the atmosphere first); got {pb}"
        )
    if dtype is None:
        dtype = float_dtype(jnp.asarray(p_boundary_bar))
    return LayerGrid(
        p_bar=jnp.asarray(np.sqrt(pb[:-1] * pb[1:]), dtype=dtype),
        p_boundary_bar=jnp.asarray(pb, dtype=dtype),
        dp_bar=jnp.asarray(np.diff(pb), dtype=dtype),
    )


def gravity_cgs(mass_g: ArrayLike, radius_cm: ArrayLike) -> jax.Array:
    """Surface gravity G M / R^2 [cm s^-2].

    Parameters
    ----------
    mass_g : ArrayLike
        Mass [g], > 0.
    radius_cm : ArrayLike
        Radius [cm], > 0.

    Returns
    -------
    jax.Array
        Gravity [cm s^-2] (CODATA 2018 G).

    Raises
    ------
    ValueError
        If a concrete mass or radius is not finite and positive.
    """
    check_positive("mass_g", mass_g, " [g]")
    check_positive("radius_cm", radius_cm, " [cm]")
    m, r = as_float(mass_g), as_float(radius_cm)
    return G_CGS * m / r**2


def gravity_jupiter(mass_mjup: ArrayLike, radius_rjup: ArrayLike) -> jax.Array:
    """Surface gravity [cm s^-2] from a mass and radius in (IAU 2015 nominal) Jupiter units.

    g = GM_J (M / M_J) / (R_J R / R_J)^2 with GM_J = 1.2668653e23 cm^3 s^-2 and
    R_J = 7.1492e9 cm: a Jupiter-mass, Jupiter-radius planet has g = 2478.6 cm s^-2.

    Parameters
    ----------
    mass_mjup : ArrayLike
        Mass [M_J], > 0.
    radius_rjup : ArrayLike
        Radius [R_J], > 0.

    Returns
    -------
    jax.Array
        Gravity [cm s^-2].

    Raises
    ------
    ValueError
        If a concrete mass or radius is not finite and positive.
    """
    check_positive("mass_mjup", mass_mjup, " [M_J]")
    check_positive("radius_rjup", radius_rjup, " [R_J]")
    m, r = as_float(mass_mjup), as_float(radius_rjup)
    return (GM_JUP_CGS / R_JUP_CM**2) * m / r**2


def pressure_scale_height_cm(
    t_k: ArrayLike, mmw: ArrayLike, gravity: ArrayLike, *, constants: str = "codata2018"
) -> jax.Array:
    """Pressure scale height k_B T / (mu m_u g) [cm].

    Parameters
    ----------
    t_k : ArrayLike
        Temperature [K], > 0.
    mmw : ArrayLike
        Mean molecular weight [amu], > 0.
    gravity : ArrayLike
        Gravity [cm s^-2], > 0.
    constants : str
        "codata2018" or "exojax" (see ``constant_set``).

    Returns
    -------
    jax.Array
        Scale height [cm], broadcast shape of the inputs.
    """
    c = constant_set(constants)
    check_positive("t_k", t_k, " [K]")
    check_positive("mmw", mmw, " [amu]")
    check_positive("gravity", gravity, " [cm s^-2]")
    t, mu, g = as_float(t_k), as_float(mmw), as_float(gravity)
    return (c["k_b"] / c["m_u_scale_height"]) * t / (mu * g)


class AtmosphereRadii(NamedTuple):
    """Hydrostatic geometry of the layers (``hydrostatic_radii``), top of the atmosphere first.

    Attributes
    ----------
    r_boundary_cm : jax.Array
        (n_layers + 1,) radius of each boundary [cm], decreasing.
    r_layer_cm : jax.Array
        (n_layers,) radius at each layer's pressure ``p_bar`` [cm].
    height_cm : jax.Array
        (n_layers,) radial thickness of each layer [cm].
    gravity_cgs : jax.Array
        (n_layers,) gravity at ``r_layer_cm`` [cm s^-2] (1/r^2).
    """

    r_boundary_cm: jax.Array
    r_layer_cm: jax.Array
    height_cm: jax.Array
    gravity_cgs: jax.Array


def hydrostatic_radii(
    grid: LayerGrid,
    t_layers_k: ArrayLike,
    mmw: ArrayLike,
    radius_ref_cm: ArrayLike,
    gravity_ref_cgs: ArrayLike,
    *,
    p_ref_bar: float | None = None,
    constants: str = "codata2018",
) -> AtmosphereRadii:
    """Radii of the layer boundaries in hydrostatic equilibrium, isothermal layers, g ~ 1/r^2.

    Reference convention: the radius ``radius_ref_cm`` and gravity ``gravity_ref_cgs`` belong to
    the pressure ``p_ref_bar``; by default (None) that is the deepest boundary
    ``grid.p_boundary_bar[-1]`` (ExoJAX's ``radius_btm`` / ``gravity_btm``). With gravity
    G M / r^2 and layer ``i`` isothermal at ``t_layers_k[i]``, hydrostatic equilibrium makes
    1/r linear in ln P inside each layer:
    ``R_ref / r(P) = 1 + sum_i (H_i / R_ref) ln(P / P_ref)`` over the layers between P_ref and
    P, with H_i = k_B T_i / (mu_i m_u g_ref) (exact for this model, no small-height expansion;
    ExoJAX's ``normalized_layer_height`` is the same integral).

    Parameters
    ----------
    grid : LayerGrid
        The layers.
    t_layers_k : ArrayLike
        (n_layers,) layer temperatures [K], > 0.
    mmw : ArrayLike
        Scalar or (n_layers,) mean molecular weight [amu], > 0.
    radius_ref_cm : ArrayLike
        Radius at ``p_ref_bar`` [cm], > 0.
    gravity_ref_cgs : ArrayLike
        Gravity at ``radius_ref_cm`` [cm s^-2], > 0.
    p_ref_bar : float or None
        Reference pressure [bar] within the grid's boundaries (default: the deepest boundary).
    constants : str
        "codata2018" or "exojax".

    Returns
    -------
    AtmosphereRadii
        Boundary radii, layer radii (at ``grid.p_bar``), heights and layer gravities.

    Raises
    ------
    ValueError
        If the layer count of ``t_layers_k`` disagrees with the grid, or a concrete input is
        out of range (T, mmw, radius, gravity not finite and positive; ``p_ref_bar`` outside the
        grid). A traced out-of-range input gives NaN.
    """
    c = constant_set(constants)
    n = grid.n_layers
    t = jnp.asarray(t_layers_k)
    if t.shape != (n,):
        raise ValueError(
            f"t_layers_k must have shape (n_layers,) = ({n},) like the grid; got {t.shape}"
        )
    if jnp.ndim(mmw) not in (0, 1) or (jnp.ndim(mmw) == 1 and jnp.shape(mmw) != (n,)):
        raise ValueError(f"mmw must be a scalar or shape ({n},); got {jnp.shape(mmw)}")
    check_positive("t_layers_k", t_layers_k, " [K]")
    check_positive("mmw", mmw, " [amu]")
    check_positive("radius_ref_cm", radius_ref_cm, " [cm]")
    check_positive("gravity_ref_cgs", gravity_ref_cgs, " [cm s^-2]")
    dt = float_dtype(grid.p_bar, t, mmw, radius_ref_cm, gravity_ref_cgs)
    t = t.astype(dt)
    mu = jnp.broadcast_to(jnp.asarray(mmw, dtype=dt), (n,))
    r0 = jnp.asarray(radius_ref_cm, dtype=dt)
    g0 = jnp.asarray(gravity_ref_cgs, dtype=dt)
    ok = (
        jnp.all((t > 0) & jnp.isfinite(t))
        & jnp.all((mu > 0) & jnp.isfinite(mu))
        & (r0 > 0)
        & jnp.isfinite(r0)
        & (g0 > 0)
        & jnp.isfinite(g0)
    )
    t = stand_in(ok, t, 1000.0)
    mu = stand_in(ok, mu, 2.3)
    r0 = stand_in(ok, r0, 7e9)
    g0 = stand_in(ok, g0, 2000.0)

    lnpb = jnp.log(grid.p_boundary_bar.astype(dt))
    if p_ref_bar is None:
        lnpref = lnpb[-1]
    else:
        pr = float(p_ref_bar)
        pb_np = np.asarray(grid.p_boundary_bar, dtype=np.float64)
        if not (np.isfinite(pr) and pb_np[0] <= pr <= pb_np[-1]):
            raise ValueError(
                f"p_ref_bar={pr:g} bar lies outside the grid's boundaries "
                f"[{pb_np[0]:g}, {pb_np[-1]:g}] bar"
            )
        lnpref = jnp.asarray(np.log(pr), dtype=dt)
    # c_i = H_i / R_ref with H_i evaluated at g_ref
    ci = (c["k_b"] / c["m_u_scale_height"]) * t / (mu * g0 * r0)
    # u = R_ref / r at each boundary: piecewise linear in ln P with slope c_i in layer i.
    # du across layer i (top minus bottom boundary) = c_i * (ln p_top - ln p_btm) < 0
    du_layer = ci * (lnpb[:-1] - lnpb[1:])
    # cumulative from the deepest boundary upward
    u_from_btm = jnp.concatenate(
        [jnp.cumsum(du_layer[::-1])[::-1], jnp.zeros((1,), dtype=dt)]
    )  # u(boundary) - u(deepest boundary)
    # u at the reference pressure relative to the deepest boundary
    lnpref_c = jnp.clip(lnpref, lnpb[0], lnpb[-1])
    j = jnp.clip(jnp.searchsorted(lnpb, lnpref_c, side="right") - 1, 0, n - 1)
    u_ref_rel = u_from_btm[j + 1] + ci[j] * (lnpref_c - lnpb[j + 1])
    u_b = 1.0 + (u_from_btm - u_ref_rel)
    r_b = r0 / u_b
    # heights without cancellation: r_top - r_btm = R (u_btm - u_top) / (u_top u_btm)
    height = r0 * (-du_layer) / (u_b[:-1] * u_b[1:])
    u_c = u_b[1:] + ci * (jnp.log(grid.p_bar.astype(dt)) - lnpb[1:])
    r_c = r0 / u_c
    g_c = g0 * (r0 / r_c) ** 2
    value = jnp.concatenate([t, mu])
    return AtmosphereRadii(
        r_boundary_cm=nan_if_invalid(ok, r_b, value=value),
        r_layer_cm=nan_if_invalid(ok, r_c, value=value),
        height_cm=nan_if_invalid(ok, height, value=value),
        gravity_cgs=nan_if_invalid(ok, g_c, value=value),
    )
