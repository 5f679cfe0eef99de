"""Plot of the emission contribution function (matplotlib is imported only when called)."""

from __future__ import annotations

from typing import Any

import numpy as np
from jax.typing import ArrayLike

__all__ = ["plot_contribution_function"]


def plot_contribution_function(
    cf: ArrayLike,
    p_bar: ArrayLike,
    nu_cm1: ArrayLike,
    *,
    ax: Any = None,
    x_unit: str = "cm-1",
    cmap: str = "bone_r",
    colorbar: bool = True,
) -> Any:
    """Draw a contribution function (``contribution_function``) against wavenumber and pressure.

    Requires matplotlib (``pip install jaxstro-rtransfer[plot]``); it is imported here, not
    when the package is imported.

    Parameters
    ----------
    cf : ArrayLike
        (n_layers, n_grid) contribution function, top layer first.
    p_bar : ArrayLike
        (n_layers,) layer pressures [bar] (``grid.p_bar``), increasing.
    nu_cm1 : ArrayLike
        (n_grid,) wavenumbers [cm^-1], increasing.
    ax : matplotlib.axes.Axes or None
        Axes to draw on (default: a new figure's axes).
    x_unit : str
        "cm-1" (wavenumber, default), "um" or "AA" (wavelength 1e4/nu [um] or 1e8/nu [A]).
    cmap : str
        Colour map name.
    colorbar : bool
        Add a colour bar (default True).

    Returns
    -------
    matplotlib.axes.Axes
        The axes, with a log pressure axis increasing downward.

    Raises
    ------
    ImportError
        If matplotlib is not installed.
    ValueError
        If the shapes of ``cf``, ``p_bar`` and ``nu_cm1`` disagree or ``x_unit`` is unknown.
    """
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "plot_contribution_function needs matplotlib: pip install 'jaxstro-rtransfer[plot]'"
        ) from exc
    units = {
        "cm-1": (1.0, "wavenumber [cm$^{-1}$]"),
        "um": (1.0e4, "wavelength [$\\mu$m]"),
        "AA": (1.0e8, "wavelength [$\\AA$]"),
    }
    if x_unit not in units:
        raise ValueError(f"x_unit must be one of {tuple(units)}; got {x_unit!r}")
    c = np.asarray(cf, dtype=np.float64)
    p = np.asarray(p_bar, dtype=np.float64)
    nu = np.asarray(nu_cm1, dtype=np.float64)
    if c.ndim != 2 or c.shape != (p.size, nu.size):
        raise ValueError(
            f"cf must have shape (n_layers, n_grid) = ({p.size}, {nu.size}) like p_bar and "
            f"nu_cm1; got {c.shape}"
        )
    scale, label = units[x_unit]
    x = nu if x_unit == "cm-1" else scale / nu
    if ax is None:
        _, ax = plt.subplots()
    mesh = ax.pcolormesh(x, p, c, cmap=cmap, shading="auto")
    ax.set_yscale("log")
    if not ax.yaxis_inverted():
        ax.invert_yaxis()
    ax.set_xlabel(label)
    ax.set_ylabel("pressure [bar]")
    if colorbar:
        ax.figure.colorbar(mesh, ax=ax, label="contribution function")
    return ax
