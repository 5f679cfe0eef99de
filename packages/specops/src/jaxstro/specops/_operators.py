"""Convolution operators on an ESLOG grid: rigid rotation and a Gaussian instrumental profile."""

from __future__ import annotations

import dataclasses
import math

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike, DTypeLike

from jaxstro.specops._checks import check_finite_spectrum, is_traced, nan_if_invalid, stand_in
from jaxstro.specops._convolve import EDGES, convolve_same
from jaxstro.specops._grid import (
    C_KMS,
    VELOCITY_STEPS,
    _as_grid,
    eslog_resolution,
    fwhm_to_sigma,
    velocity_step_kms,
)
from jaxstro.specops._kernels import (
    as_float,
    delta_kernel,
    gauss_kernel_integrated,
    gauss_kernel_sampled,
    ld_ok,
    rotation_kernel_integrated,
    rotation_kernel_sampled,
)

__all__ = [
    "RotationOperator",
    "InstrumentalProfile",
    "prepare_rotation",
    "prepare_instrumental_profile",
    "resolving_power_to_sigma_kms",
]

KERNELS = ("integrated", "sampled")


def resolving_power_to_sigma_kms(resolving_power: ArrayLike) -> jax.Array:
    """Gaussian standard deviation [km s^-1] of an instrument of resolving power
    ``R = lambda / FWHM``: ``c / (R 2 sqrt(2 ln 2))``."""
    return (C_KMS * fwhm_to_sigma) / as_float(resolving_power)


def _velocity_axis(half: int, dv_kms: float, dtype: DTypeLike):
    k = np.arange(-half, half + 1, dtype=np.float64)
    v = jnp.asarray(k * dv_kms, dtype=dtype)
    edges = jnp.asarray(np.append(k - 0.5, half + 0.5) * dv_kms, dtype=dtype)
    return v, edges


def _grid_dtype(nu_grid_cm1: ArrayLike, dtype: DTypeLike | None) -> DTypeLike:
    if dtype is not None:
        return jnp.dtype(dtype)
    d = np.asarray(nu_grid_cm1).dtype
    return jnp.result_type(d if np.issubdtype(d, np.floating) else float)


def _check_spectrum(spectrum, n_grid: int):
    spectrum = as_float(spectrum)
    if spectrum.ndim < 1 or spectrum.shape[-1] != n_grid:
        raise ValueError(
            f"spectrum must have shape (..., {n_grid}) (the grid the operator was prepared "
            f"on); got shape {spectrum.shape}"
        )
    check_finite_spectrum(spectrum)
    return spectrum


def _check_scalar(x, name: str):
    if jnp.ndim(x) != 0:
        raise ValueError(
            f"{name} must be a scalar; got shape {jnp.shape(x)} (use jax.vmap for batches)"
        )


def _concrete(x) -> float | None:
    return None if is_traced(x) else float(np.asarray(x, dtype=np.float64))


def _check_options(kernel: str, edge: str, velocity_step: str):
    if kernel not in KERNELS:
        raise ValueError(f"kernel must be one of {KERNELS}; got {kernel!r}")
    if edge not in EDGES:
        raise ValueError(f"edge must be one of {EDGES}; got {edge!r}")
    if velocity_step not in VELOCITY_STEPS:
        raise ValueError(f"velocity_step must be one of {VELOCITY_STEPS}; got {velocity_step!r}")


@jax.tree_util.register_dataclass
@dataclasses.dataclass(frozen=True)
class RotationOperator:
    """Rigid rotation with quadratic limb darkening on one ESLOG grid (from
    ``prepare_rotation``). Pass it to ``jax.jit`` as an argument.

    Valid input: ``0 <= vsini_kms <= vsini_max_kms`` and ``(u1, u2)`` in the physical
    domain of the quadratic law (``u1 >= 0``, ``u1 + 2 u2 >= 0``, ``u1 + u2 <= 1``;
    Kipping 2013). Concrete out-of-range values raise ``ValueError``; traced ones give NaN;
    ``with_checks()`` returns a copy that raises from inside jit too.

    Attributes
    ----------
    v_kms : jax.Array
        (2 half + 1,) kernel bin centres [km s^-1].
    v_edges_kms : jax.Array
        (2 half + 2,) kernel bin edges [km s^-1].
    n_grid : int
        Length of the spectra it applies to.
    resolution : float
        ``1 / d(ln nu)`` of the grid.
    dv_kms : float
        Velocity of one grid step [km s^-1] (``velocity_step`` convention).
    vsini_max_kms : float
        Largest accepted vsini [km s^-1]; fixes the kernel length.
    half : int
        Kernel half length [pixels], ``ceil(vsini_max / dv)``.
    kernel : str
        "integrated" (exact bin masses of the kernel) or "sampled" (point values
        normalised by their sum, ExoJAX's choice).
    edge : str
        "extend" (end values repeated beyond the grid) or "zero" (ExoJAX's zero padding).
    velocity_step : str
        "log" (``c / R``) or "exojax" (``c log1p(1 / R)``).
    checked : bool
        Whether the in-jit check is on.
    """

    v_kms: jax.Array
    v_edges_kms: jax.Array
    n_grid: int = dataclasses.field(metadata=dict(static=True))
    resolution: float = dataclasses.field(metadata=dict(static=True))
    dv_kms: float = dataclasses.field(metadata=dict(static=True))
    vsini_max_kms: float = dataclasses.field(metadata=dict(static=True))
    half: int = dataclasses.field(metadata=dict(static=True))
    kernel: str = dataclasses.field(default="integrated", metadata=dict(static=True))
    edge: str = dataclasses.field(default="extend", metadata=dict(static=True))
    velocity_step: str = dataclasses.field(default="log", metadata=dict(static=True))
    checked: bool = dataclasses.field(default=False, metadata=dict(static=True))

    def with_checks(self, checked: bool = True) -> RotationOperator:
        """A copy whose out-of-range evaluation raises ``ValueError`` from inside ``jit``
        (through a host callback, surfacing as ``jax.errors.JaxRuntimeError``).

        Parameters
        ----------
        checked : bool
            True to switch the check on, False to switch it off.

        Returns
        -------
        RotationOperator
        """
        return dataclasses.replace(self, checked=bool(checked))

    def _check_concrete(self, vsini, u1, u2):
        v = _concrete(vsini)
        if v is not None and not (0.0 <= v <= self.vsini_max_kms):
            raise ValueError(
                f"vsini_kms={v!r} km/s is outside [0, {self.vsini_max_kms:g}] km/s "
                "(vsini_max_kms of this RotationOperator; prepare a larger one for faster "
                "rotators)"
            )
        a, b = _concrete(u1), _concrete(u2)
        if a is not None and b is not None and not bool(ld_ok(a, b)):
            raise ValueError(
                f"limb darkening (u1, u2)=({a!r}, {b!r}) is outside the physical domain of "
                "the quadratic law: u1 >= 0, u1 + 2 u2 >= 0, u1 + u2 <= 1"
            )

    def kernel_weights(self, vsini_kms: ArrayLike, u1: ArrayLike = 0.0, u2: ArrayLike = 0.0):
        """(2 half + 1,) the discrete kernel applied for (vsini, u1, u2); sums to 1.

        Parameters
        ----------
        vsini_kms, u1, u2 : ArrayLike
            As in ``apply``.

        Returns
        -------
        jax.Array
            Kernel weights at the velocities ``v_kms`` (no range guard; see ``apply``).
        """
        dtype = jnp.result_type(as_float(vsini_kms), u1, u2)
        vsini = jnp.asarray(vsini_kms, dtype)
        u1, u2 = jnp.asarray(u1, dtype), jnp.asarray(u2, dtype)
        moving = vsini > 0
        vs = stand_in(moving, vsini, self.vsini_max_kms)
        if self.kernel == "integrated":
            k = rotation_kernel_integrated(self.v_edges_kms.astype(dtype), vs, u1, u2)
        else:
            k = rotation_kernel_sampled(self.v_kms.astype(dtype), vs, u1, u2)
        return jnp.where(moving, k, delta_kernel(k.shape[0], dtype))

    def apply(
        self, spectrum: ArrayLike, vsini_kms: ArrayLike, u1: ArrayLike = 0.0, u2: ArrayLike = 0.0
    ) -> jax.Array:
        """Rotationally broadened spectrum.

        Parameters
        ----------
        spectrum : ArrayLike
            (..., n_grid) spectrum on the ESLOG grid (any flux unit; returned in the same).
        vsini_kms : ArrayLike
            Scalar projected equatorial velocity [km s^-1], ``0 <= vsini <= vsini_max_kms``.
        u1, u2 : ArrayLike
            Scalar quadratic limb-darkening coefficients,
            ``I(mu) / I(1) = 1 - u1 (1 - mu) - u2 (1 - mu)^2`` (u2 = 0: the linear law).

        Returns
        -------
        jax.Array
            (..., n_grid) broadened spectrum, in the spectrum's dtype; NaN for traced
            out-of-range parameters.

        Raises
        ------
        ValueError
            If the spectrum's last axis is not n_grid or a concrete spectrum holds NaN/inf,
            a parameter is not a scalar, or a concrete parameter is out of range (NaN/inf
            included).
        """
        spectrum = _check_spectrum(spectrum, self.n_grid)
        for x, name in ((vsini_kms, "vsini_kms"), (u1, "u1"), (u2, "u2")):
            _check_scalar(x, name)
        self._check_concrete(vsini_kms, u1, u2)
        dtype = jnp.result_type(spectrum, vsini_kms, u1, u2)
        return _rotate(
            self, spectrum.astype(dtype), *(jnp.asarray(x, dtype) for x in (vsini_kms, u1, u2))
        )

    __call__ = apply


@jax.jit
def _rotate(op, spectrum, vsini, u1, u2):
    """The guarded rotation, one compiled program (eager calls compile once, not per op)."""
    ok_v = (vsini >= 0) & (vsini <= op.vsini_max_kms)
    ok_ld = ld_ok(u1, u2)
    kern = op.kernel_weights(
        stand_in(ok_v, vsini, 0.0), stand_in(ok_ld, u1, 0.0), stand_in(ok_ld, u2, 0.0)
    )
    out = convolve_same(spectrum, kern, edge=op.edge)
    message = (
        f"(vsini_kms, u1, u2) out of range (0 <= vsini_kms <= {op.vsini_max_kms:g}; "
        "u1 >= 0, u1 + 2 u2 >= 0, u1 + u2 <= 1): {value}"
    )
    return nan_if_invalid(
        ok_v & ok_ld,
        out,
        value=jnp.stack([vsini, u1, u2]),
        checked=op.checked,
        message=message,
    )


def prepare_rotation(
    nu_grid_cm1: ArrayLike,
    *,
    vsini_max_kms: float,
    kernel: str = "integrated",
    edge: str = "extend",
    velocity_step: str = "log",
    dtype: DTypeLike | None = None,
) -> RotationOperator:
    """Prepare rigid-rotation broadening on an ESLOG grid.

    The kernel length ``2 ceil(vsini_max / dv) + 1`` is fixed here, so ``apply`` stays
    jit-able for every ``vsini <= vsini_max_kms``.

    Parameters
    ----------
    nu_grid_cm1 : ArrayLike
        (n_grid,) ascending ESLOG wavenumber grid [cm^-1] (concrete).
    vsini_max_kms : float
        Largest vsini [km s^-1] the operator accepts, ``> 0``.
    kernel : str
        "integrated" (default): each kernel weight is the exact integral of the limb-darkened
        rotation profile over the velocity bin ``[v_k - dv/2, v_k + dv/2]`` (closed form),
        i.e. the spectrum is treated as pixel-centred lines and the result is the pixel
        average; exact for any vsini, even a few pixels wide. "sampled": the profile sampled
        at ``v_k`` and normalised by its sum, as ExoJAX's ``SopRotation``.
    edge : str
        "extend" (default) or "zero" (ExoJAX): what lies beyond the ends of the grid.
    velocity_step : str
        "log" (default, ``dv = c / R``) or "exojax" (``dv = c log1p(1 / R)``).
    dtype : DTypeLike, optional
        Dtype of the kernel velocities (default: the grid's floating dtype as JAX holds it).

    Returns
    -------
    RotationOperator

    Raises
    ------
    ValueError
        If the grid is not ESLOG (or not 1-D, positive, increasing), ``vsini_max_kms`` is not
        a finite positive number, the kernel would be longer than the grid, or an option is
        unknown.
    """
    _check_options(kernel, edge, velocity_step)
    res = eslog_resolution(nu_grid_cm1)
    n = _as_grid(nu_grid_cm1, "nu_grid_cm1").size
    vmax = float(vsini_max_kms)
    if not (math.isfinite(vmax) and vmax > 0):
        raise ValueError(f"vsini_max_kms must be a finite number > 0 [km/s]; got {vsini_max_kms!r}")
    dv = velocity_step_kms(res, velocity_step)
    half = max(int(math.ceil(vmax / dv - 1e-9)), 1)
    if 2 * half + 1 > n:
        raise ValueError(
            f"vsini_max_kms={vmax:g} km/s spans {2 * half + 1} pixels, more than the grid's "
            f"{n} (nu_grid_cm1 too short or vsini_max_kms too large)"
        )
    v, edges = _velocity_axis(half, dv, _grid_dtype(nu_grid_cm1, dtype))
    return RotationOperator(
        v_kms=v,
        v_edges_kms=edges,
        n_grid=n,
        resolution=res,
        dv_kms=dv,
        vsini_max_kms=vmax,
        half=half,
        kernel=kernel,
        edge=edge,
        velocity_step=velocity_step,
    )


@jax.tree_util.register_dataclass
@dataclasses.dataclass(frozen=True)
class InstrumentalProfile:
    """Gaussian instrumental profile on one ESLOG grid (from
    ``prepare_instrumental_profile``). Pass it to ``jax.jit`` as an argument.

    Valid input: ``resolving_power >= resolving_power_min`` (a lower R would need a longer
    kernel than was prepared). Concrete out-of-range values raise ``ValueError``; traced ones
    give NaN; ``with_checks()`` raises from inside jit too.

    Attributes
    ----------
    v_kms, v_edges_kms : jax.Array
        Kernel bin centres and edges [km s^-1].
    n_grid : int
        Length of the spectra it applies to.
    resolution : float
        ``1 / d(ln nu)`` of the grid.
    dv_kms : float
        Velocity of one grid step [km s^-1].
    resolving_power_min : float
        Smallest accepted instrumental resolving power.
    n_sigma : float
        Kernel half length in standard deviations at ``resolving_power_min``.
    half : int
        Kernel half length [pixels].
    kernel, edge, velocity_step : str
        As in ``RotationOperator``.
    checked : bool
        Whether the in-jit check is on.
    """

    v_kms: jax.Array
    v_edges_kms: jax.Array
    n_grid: int = dataclasses.field(metadata=dict(static=True))
    resolution: float = dataclasses.field(metadata=dict(static=True))
    dv_kms: float = dataclasses.field(metadata=dict(static=True))
    resolving_power_min: float = dataclasses.field(metadata=dict(static=True))
    n_sigma: float = dataclasses.field(metadata=dict(static=True))
    half: int = dataclasses.field(metadata=dict(static=True))
    kernel: str = dataclasses.field(default="integrated", metadata=dict(static=True))
    edge: str = dataclasses.field(default="extend", metadata=dict(static=True))
    velocity_step: str = dataclasses.field(default="log", metadata=dict(static=True))
    checked: bool = dataclasses.field(default=False, metadata=dict(static=True))

    def with_checks(self, checked: bool = True) -> InstrumentalProfile:
        """A copy whose out-of-range evaluation raises from inside ``jit``.

        Parameters
        ----------
        checked : bool
            True to switch the check on, False to switch it off.

        Returns
        -------
        InstrumentalProfile
        """
        return dataclasses.replace(self, checked=bool(checked))

    def kernel_weights(self, resolving_power: ArrayLike) -> jax.Array:
        """(2 half + 1,) the discrete Gaussian kernel for ``resolving_power``; sums to 1.

        Parameters
        ----------
        resolving_power : ArrayLike
            As in ``apply`` (no range guard here).

        Returns
        -------
        jax.Array
        """
        r = as_float(resolving_power)
        sigma = resolving_power_to_sigma_kms(r)
        if self.kernel == "integrated":
            return gauss_kernel_integrated(self.v_edges_kms.astype(r.dtype), sigma)
        return gauss_kernel_sampled(self.v_kms.astype(r.dtype), sigma)

    def apply(self, spectrum: ArrayLike, resolving_power: ArrayLike) -> jax.Array:
        """Spectrum convolved with a Gaussian of FWHM ``lambda / resolving_power``.

        Parameters
        ----------
        spectrum : ArrayLike
            (..., n_grid) spectrum on the ESLOG grid.
        resolving_power : ArrayLike
            Scalar instrumental resolving power ``R = lambda / FWHM``,
            ``>= resolving_power_min``; the Gaussian's standard deviation is
            ``c / (R 2 sqrt(2 ln 2))`` [km s^-1].

        Returns
        -------
        jax.Array
            (..., n_grid) in the spectrum's dtype; NaN for a traced out-of-range R.

        Raises
        ------
        ValueError
            If the spectrum's last axis is not n_grid or a concrete spectrum holds NaN/inf,
            R is not a scalar, or a concrete R is ``<= 0``, below ``resolving_power_min``,
            NaN or inf.
        """
        spectrum = _check_spectrum(spectrum, self.n_grid)
        _check_scalar(resolving_power, "resolving_power")
        r = _concrete(resolving_power)
        if r is not None:
            if not (math.isfinite(r) and r > 0):
                raise ValueError(f"resolving_power must be a finite number > 0; got {r!r}")
            if r < self.resolving_power_min:
                raise ValueError(
                    f"resolving_power={r!r} is below resolving_power_min="
                    f"{self.resolving_power_min:g} of this InstrumentalProfile (its kernel "
                    "would be truncated); prepare one with a lower resolving_power_min"
                )
        dtype = jnp.result_type(spectrum, resolving_power)
        return _instrument(self, spectrum.astype(dtype), jnp.asarray(resolving_power, dtype))

    __call__ = apply


@jax.jit
def _instrument(op, spectrum, rp):
    """The guarded instrumental profile, one compiled program."""
    ok = (rp >= op.resolving_power_min) & jnp.isfinite(rp)
    kern = op.kernel_weights(stand_in(ok, rp, op.resolving_power_min))
    out = convolve_same(spectrum, kern, edge=op.edge)
    message = (
        f"resolving_power below resolving_power_min={op.resolving_power_min:g} "
        "(or not finite): {value}"
    )
    return nan_if_invalid(ok, out, value=rp, checked=op.checked, message=message)


def prepare_instrumental_profile(
    nu_grid_cm1: ArrayLike,
    *,
    resolving_power_min: float,
    n_sigma: float = 8.0,
    kernel: str = "integrated",
    edge: str = "extend",
    velocity_step: str = "log",
    dtype: DTypeLike | None = None,
) -> InstrumentalProfile:
    """Prepare a Gaussian instrumental profile on an ESLOG grid.

    Parameters
    ----------
    nu_grid_cm1 : ArrayLike
        (n_grid,) ascending ESLOG wavenumber grid [cm^-1] (concrete).
    resolving_power_min : float
        Smallest resolving power ``apply`` will accept, ``> 0``; with ``n_sigma`` it fixes
        the kernel length ``2 ceil(n_sigma sigma_max / dv) + 1``.
    n_sigma : float
        Kernel half length in standard deviations at ``resolving_power_min`` (default 8:
        the truncated tails hold 1.2e-15 of the area).
    kernel : str
        "integrated" (default; exact erf bin masses) or "sampled" (point values normalised
        by their sum, ExoJAX's ``ipgauss``).
    edge, velocity_step, dtype
        As in ``prepare_rotation``.

    Returns
    -------
    InstrumentalProfile

    Raises
    ------
    ValueError
        If the grid is not ESLOG, ``resolving_power_min`` or ``n_sigma`` is not a finite
        positive number, the kernel would be longer than the grid, or an option is unknown.
    """
    _check_options(kernel, edge, velocity_step)
    res = eslog_resolution(nu_grid_cm1)
    n = _as_grid(nu_grid_cm1, "nu_grid_cm1").size
    rmin = float(resolving_power_min)
    if not (math.isfinite(rmin) and rmin > 0):
        raise ValueError(
            f"resolving_power_min must be a finite number > 0; got {resolving_power_min!r}"
        )
    ns = float(n_sigma)
    if not (math.isfinite(ns) and ns > 0):
        raise ValueError(f"n_sigma must be a finite number > 0; got {n_sigma!r}")
    dv = velocity_step_kms(res, velocity_step)
    sigma_max = C_KMS * fwhm_to_sigma / rmin
    half = max(int(math.ceil(ns * sigma_max / dv)), 1)
    if 2 * half + 1 > n:
        raise ValueError(
            f"resolving_power_min={rmin:g} needs a kernel of {2 * half + 1} pixels, more than "
            f"the grid's {n} (nu_grid_cm1 too short or resolving_power_min too low)"
        )
    v, edges = _velocity_axis(half, dv, _grid_dtype(nu_grid_cm1, dtype))
    return InstrumentalProfile(
        v_kms=v,
        v_edges_kms=edges,
        n_grid=n,
        resolution=res,
        dv_kms=dv,
        resolving_power_min=rmin,
        n_sigma=ns,
        half=half,
        kernel=kernel,
        edge=edge,
        velocity_step=velocity_step,
    )
