"""Containers that carry line lists and CIA tables across package boundaries.

Both are frozen dataclasses registered as JAX pytrees (when JAX is installed; linedb itself
does not need it): the arrays are leaves and the metadata (names, the reference temperature) is
static, so a container can be passed through ``jax.jit`` / ``vmap`` as an argument. Importing
this module does not import radis (the readers import it when they parse a file).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

try:  # linedb does not depend on JAX; with JAX installed the containers are pytrees
    import jax
except ImportError:  # pragma: no cover - exercised by the linedb-only test session
    jax = None
from numpy.typing import ArrayLike  # linedb must import without JAX

__all__ = ["LineList", "CIATable", "T_REF_K", "C2_CM_K"]

T_REF_K = 296.0
#: second radiation constant h c / k_B [cm K] (CODATA 2018)
C2_CM_K = 1.438776877


def _static(**kw) -> Any:
    return dataclasses.field(metadata=dict(static=True), **kw)


class _Container:
    """NamedTuple-compatible helpers (``_fields``, ``_replace``, ``_asdict``) for the
    dataclass containers, which replaced NamedTuples in linedb 0.2."""

    @classmethod
    def _field_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in dataclasses.fields(cls))

    @property
    def _fields(self) -> tuple[str, ...]:
        return self._field_names()

    def _replace(self, **changes):
        return dataclasses.replace(self, **changes)

    def _asdict(self) -> dict:
        return {f: getattr(self, f) for f in self._fields}


class _UnknownIsotope(ValueError, IndexError):
    """An isotope id not in ``pf_isotopes`` (a ValueError; an IndexError for 0.2.0 callers)."""


def _pytree(cls):
    return cls if jax is None else jax.tree_util.register_dataclass(cls)


@_pytree
@dataclasses.dataclass(frozen=True)
class LineList(_Container):
    """Line parameters of one molecule, ready for cross-section calculators (a pytree).

    Conventions (the same for HITRAN/HITEMP and ExoMol sources):

    * ``strength_ref`` is the line intensity at ``t_ref_k`` (296 K) **per molecule of the
      line's isotopologue** [cm / molecule]. HITRAN/HITEMP intensities include the terrestrial
      isotopic abundance; the readers divide it out and keep it in ``abundance``.
    * ``abundance`` is the isotopic abundance each line is weighted with when a cross section
      per molecule of the species is computed: the HITRAN (terrestrial) abundance for HITRAN
      sources, 1 for ExoMol (a single isotopologue). Cross sections from ``jaxstro.opacity``
      include it, so they are per molecule of the natural-mix species for HITRAN lists and per
      molecule of the isotopologue for ExoMol lists.
    * Pressure broadening: ``gamma_ref[:, b]`` [cm^-1 / bar] and ``n_temp[:, b]`` for each
      broadener ``broadeners[b]`` with volume fraction ``broadener_fractions[b]``:
      ``gamma(T, P) = P sum_b x_b gamma_ref_b (T_ref / T)^n_b`` (HWHM).
    * Partition functions: ``pf_q[k]`` tabulated on ``pf_t_k`` for isotopologue
      ``pf_isotopes[k]``; each line's row is ``pf_index``.

    As a pytree, the arrays are leaves and ``broadeners``, ``t_ref_k``, ``molecule`` and
    ``source`` are static metadata.

    Attributes
    ----------
    nu_cm1 : np.ndarray
        (n,) vacuum wavenumber [cm^-1], ascending.
    strength_ref : np.ndarray
        (n,) intensity at ``t_ref_k`` per isotopologue molecule [cm/molecule].
    elower_cm1 : np.ndarray
        (n,) lower-state energy [cm^-1].
    einstein_a : np.ndarray
        (n,) Einstein A coefficient [s^-1].
    g_upper : np.ndarray
        (n,) upper-state degeneracy.
    gamma_ref : np.ndarray
        (n, n_broadener) Lorentz HWHM at ``t_ref_k`` and 1 bar [cm^-1/bar].
    n_temp : np.ndarray
        (n, n_broadener) temperature exponents (dimensionless).
    delta_ref : np.ndarray
        (n,) pressure shift at 1 bar [cm^-1/bar] (0 if unknown).
    isotope : np.ndarray
        (n,) isotopologue id (HITRAN local id; ExoMol: 1).
    abundance : np.ndarray
        (n,) isotopic abundance weight (1 for ExoMol).
    molmass_amu : np.ndarray
        (n,) isotopologue mass [amu].
    pf_index : np.ndarray
        (n,) row of ``pf_q`` for each line.
    pf_t_k : np.ndarray
        (n_T,) partition-function temperatures [K].
    pf_q : np.ndarray
        (n_iso, n_T) partition functions (dimensionless).
    pf_isotopes : np.ndarray
        (n_iso,) isotopologue ids of the ``pf_q`` rows.
    broadeners : tuple of str
        Broadener names, e.g. ("H2", "He") (static).
    broadener_fractions : np.ndarray
        (n_broadener,) volume fractions.
    t_ref_k : float
        Reference temperature of ``strength_ref`` and ``gamma_ref`` [K] (static).
    molecule : str
        Molecule name (static).
    source : str
        "hitran" or "exomol" (static).
    """

    nu_cm1: np.ndarray  # (n,) vacuum wavenumber [cm^-1], ascending
    strength_ref: np.ndarray  # (n,) [cm/molecule] at t_ref_k, per isotopologue molecule
    elower_cm1: np.ndarray  # (n,) lower-state energy [cm^-1]
    einstein_a: np.ndarray  # (n,) [s^-1]
    g_upper: np.ndarray  # (n,) upper-state degeneracy
    gamma_ref: np.ndarray  # (n, n_broadener) HWHM at t_ref_k and 1 bar [cm^-1/bar]
    n_temp: np.ndarray  # (n, n_broadener) temperature exponents
    delta_ref: np.ndarray  # (n,) pressure shift at 1 bar [cm^-1/bar] (0 if unknown)
    isotope: np.ndarray  # (n,) isotopologue id (HITRAN local id; ExoMol: 1)
    abundance: np.ndarray  # (n,) isotopic abundance weight (1 for ExoMol)
    molmass_amu: np.ndarray  # (n,) isotopologue mass [amu]
    pf_index: np.ndarray  # (n,) row of pf_q for each line
    pf_t_k: np.ndarray  # (n_T,) partition-function temperatures [K]
    pf_q: np.ndarray  # (n_iso, n_T)
    pf_isotopes: np.ndarray  # (n_iso,) isotopologue ids of the pf_q rows
    broadeners: tuple[str, ...] = _static()  # names, e.g. ("H2", "He")
    broadener_fractions: np.ndarray = dataclasses.field(default=None)  # (n_broadener,)
    t_ref_k: float = _static(default=T_REF_K)
    molecule: str = _static(default="")
    source: str = _static(default="")  # "hitran" | "exomol"

    def __post_init__(self):
        # static metadata must be hashable for jit's cache: names as a tuple, T_ref a float
        object.__setattr__(self, "broadeners", tuple(str(b) for b in self.broadeners))
        object.__setattr__(self, "t_ref_k", float(self.t_ref_k))

    @property
    def n_lines(self) -> int:
        """Number of lines."""
        return int(np.shape(self.nu_cm1)[0])

    def partition_function(self, t_k: ArrayLike, isotope: int | None = None) -> np.ndarray:
        """Q(T) by linear interpolation of the table (numpy; raises outside the table).

        Parameters
        ----------
        t_k : ArrayLike
            (...) temperature(s) [K] within ``[pf_t_k[0], pf_t_k[-1]]``.
        isotope : int, optional
            Isotopologue id (a value of ``pf_isotopes``); the first row by default.

        Returns
        -------
        np.ndarray
            (...) Q(T) (dimensionless), the shape of ``t_k``.

        Raises
        ------
        ValueError
            If a temperature is NaN, inf or outside the table, or ``isotope`` is not in
            ``pf_isotopes`` (the error is also an ``IndexError``, what linedb 0.2.0 raised).
        """
        t = np.asarray(t_k, dtype=np.float64)
        lo, hi = float(self.pf_t_k[0]), float(self.pf_t_k[-1])
        bad = ~np.isfinite(t) | (t < lo) | (t > hi)
        if np.any(bad):
            first = float(t[bad].flat[0]) if t.ndim else float(t)
            why = "" if np.isfinite(first) else " (t_k must be a finite number)"
            raise ValueError(
                f"t_k={first} lies outside the partition-function table [{lo:g}, {hi:g}] K "
                f"of {self.molecule}{why}"
            )
        isos = np.asarray(self.pf_isotopes).tolist()
        if isotope is None:
            row = 0
        elif isotope in isos:
            row = isos.index(isotope)
        else:
            raise _UnknownIsotope(
                f"isotope={isotope!r} is not an isotopologue of this {self.molecule} line "
                f"list; pf_isotopes = {isos}"
            )
        return np.interp(t, self.pf_t_k, self.pf_q[row])


@_pytree
@dataclasses.dataclass(frozen=True)
class CIATable(_Container):
    """Collision-induced absorption coefficients on a common wavenumber grid (a pytree).

    ``coeff[i, j]`` [cm^5 molecule^-2] at ``t_k[i]`` and ``nu_cm1[j]``; zero where a
    temperature block does not cover ``nu_cm1[j]``. ``pair`` (e.g. "H2-H2") is static.

    Attributes
    ----------
    nu_cm1 : np.ndarray
        (n_nu,) wavenumber [cm^-1], ascending.
    t_k : np.ndarray
        (n_T,) temperature [K], ascending.
    coeff : np.ndarray
        (n_T, n_nu) coefficient [cm^5 molecule^-2].
    pair : str
        Collision pair, e.g. "H2-H2" (static).
    """

    nu_cm1: np.ndarray  # (n_nu,) [cm^-1], ascending
    t_k: np.ndarray  # (n_T,) [K], ascending
    coeff: np.ndarray  # (n_T, n_nu) [cm^5 molecule^-2]
    pair: str = _static(default="")  # e.g. "H2-H2"
