"""SEDModel: parameters -> star-formation history -> weighted SSP sum -> dust -> IGM -> redshift
-> photometry, every step jit-, grad- and vmap-safe."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from jaxstro.sedphys._checks import (
    FINITE,
    NON_NEGATIVE,
    POSITIVE,
    Domain,
    is_traced,
    nan_if_invalid,
)
from jaxstro.sedphys._cosmo import MPC_CM, PLANCK18, Cosmology, _age, _as_float, age_at_z_gyr
from jaxstro.sedphys._cosmo import _luminosity as _dl_mpc
from jaxstro.sedphys._dust import BIRTH_CLOUD_AGE_GYR
from jaxstro.sedphys._dust import _calzetti_transmission as calzetti_transmission
from jaxstro.sedphys._dust import _igm_transmission_madau as igm_transmission_madau
from jaxstro.sedphys._dust import _power_law_tau as power_law_tau
from jaxstro.sedphys._filters import (
    AB_ZERO_JY,
    Filter,
    _photometry_matrix,
    load_filters,
    photometry_matrix,
)
from jaxstro.sedphys._params import Fixed, ParamSpec
from jaxstro.sedphys._sfh import _age_bin_masses_from_nodes as age_bin_masses_from_nodes
from jaxstro.sedphys._sfh import _make_time_table as make_time_table
from jaxstro.sedphys._sfh import _mass_weighted_age_gyr as mass_weighted_age_gyr
from jaxstro.sedphys._sfh import _metallicity_weights as metallicity_weights
from jaxstro.sedphys._sfh import _nonparametric_bin_masses as nonparametric_bin_masses
from jaxstro.sedphys._sfh import _sfr_averaged as sfr_averaged
from jaxstro.sedphys._sfh import _sfr_constant as sfr_constant
from jaxstro.sedphys._sfh import _sfr_delayed_tau as sfr_delayed_tau
from jaxstro.sedphys._sfh import _sfr_double_power_law as sfr_double_power_law
from jaxstro.sedphys._sfh import _sfr_double_power_law_log_t as sfr_double_power_law_log_t
from jaxstro.sedphys._sfh import _sfr_lognormal as sfr_lognormal
from jaxstro.sedphys._sfh import make_age_bins
from jaxstro.sedphys._ssp import SSPGrid

__all__ = ["Observation", "Spectrum", "SEDModel", "model_param_names", "Z_SUN", "L_SUN_ERG_S"]

Z_SUN = 0.02  # BC03 metallicities are absolute with Z_sun = 0.02
L_SUN_ERG_S = 3.826e33  # the BC03 grid's L_sun
TEN_PC_MPC = 1e-5
_LOG_2PI = math.log(2.0 * math.pi)
JY_CGS = 1e-23

SFH_PARAMS = {
    "double_power_law": ("log_peak_sfr", "tau_gyr", "alpha", "beta"),
    "delayed_tau": ("log_mass_formed", "tau_gyr", "age_gyr"),
    "constant": ("log_mass_formed", "age_gyr"),
    "lognormal": ("log_mass_formed", "t0_gyr", "sigma_ln_t"),
    "nonparametric": ("log_mass_formed",),  # + log_sfr_ratio_1 .. n_bin-1
}
#: physical domain of each parameter (a prior's support must lie inside it); logzsol's and
#: age_gyr's depend on the SSP grid and the redshift prior (``SEDModel._domain``)
PARAM_DOMAINS = {
    "log_peak_sfr": (FINITE, "log10 SFR normalisation [log10 M_sun/yr]"),
    "log_mass_formed": (FINITE, "log10 mass formed [log10 M_sun]"),
    "tau_gyr": (POSITIVE, "SFH time scale [Gyr] > 0"),
    "alpha": (POSITIVE, "falling slope > 0"),
    "beta": (POSITIVE, "rising slope > 0"),
    "t0_gyr": (POSITIVE, "log-normal location [Gyr] > 0"),
    "sigma_ln_t": (POSITIVE, "log-normal width > 0"),
    "log_sfr_ratio": (FINITE, "log10 SFR ratio of neighbouring bins"),
    "tau_bc": (NON_NEGATIVE, "birth-cloud optical depth >= 0"),
    "tau_diff": (NON_NEGATIVE, "diffuse-dust optical depth >= 0"),
    "dust_slope": (FINITE, "dust power-law slope"),
    "av": (NON_NEGATIVE, "V-band attenuation [mag] >= 0"),
    "redshift": (NON_NEGATIVE, "redshift >= 0"),
}

DUST_PARAMS = {
    "charlot_fall": ("tau_bc", "tau_diff", "dust_slope"),
    "calzetti": ("av",),
    "none": (),
}


def model_param_names(
    sfh: str = "double_power_law", dust: str = "charlot_fall", *, n_bins: int | None = None
) -> tuple[str, ...]:
    """The parameter names an SEDModel with this SFH and dust law needs (free or Fixed).

    Parameters
    ----------
    sfh : str
        Star-formation history, as in ``SEDModel``.
    dust : str
        Dust law, as in ``SEDModel``.
    n_bins : int or None
        Number of lookback bins; required for ``sfh="nonparametric"`` (adds
        ``log_sfr_ratio_1`` .. ``log_sfr_ratio_{n_bins - 1}``), ignored otherwise.

    Returns
    -------
    tuple of str
        SFH parameters, ``logzsol``, dust parameters, ``redshift``.

    Raises
    ------
    ValueError
        If ``sfh`` or ``dust`` is unknown.
    """
    if sfh not in SFH_PARAMS:
        raise ValueError(f"sfh must be one of {sorted(SFH_PARAMS)}; got {sfh!r}")
    if dust not in DUST_PARAMS:
        raise ValueError(f"dust must be one of {sorted(DUST_PARAMS)}; got {dust!r}")
    names = list(SFH_PARAMS[sfh])
    if sfh == "nonparametric":
        names += [f"log_sfr_ratio_{i}" for i in range(1, n_bins)]
    return tuple(names) + ("logzsol",) + DUST_PARAMS[dust] + ("redshift",)


class _ZConsts(NamedTuple):
    wave_obs: jax.Array  # (n_wave,) observed-frame wavelength [A]
    w: jax.Array  # (n_filter, n_phot) photometry matrix x IGM on the photometry slice
    t_obs: jax.Array | float  # age of the universe at z [Gyr]
    log_scale: jax.Array | float  # ln of L_nu [L_sun/Hz] -> f_nu [maggies]
    igm: jax.Array  # (n_wave,) IGM transmission
    table: object  # TimeTable


class Observation(NamedTuple):
    """What is observed: speclite filter names and optionally the measured fluxes [maggies].

    Attributes
    ----------
    filters : tuple of str
        speclite filter names (n_filter).
    maggies : np.ndarray or None
        (..., n_filter) measured fluxes [maggies = 3631 Jy].
    maggies_err : np.ndarray or None
        (..., n_filter) their 1-sigma Gaussian errors [maggies], ``> 0``.
    """

    filters: tuple
    maggies: np.ndarray | None = None
    maggies_err: np.ndarray | None = None


class Spectrum(NamedTuple):
    """An observed-frame spectrum (``SEDModel.predict_spectrum``).

    Attributes
    ----------
    wave_obs_aa : jax.Array
        (n_wave,) observed-frame wavelength [Angstrom].
    fnu_maggies : jax.Array
        (n_wave,) observed flux density [maggies = 3631 Jy].
    """

    wave_obs_aa: jax.Array  # (n_wave,) observed-frame wavelength [Angstrom]
    fnu_maggies: jax.Array  # (n_wave,) observed flux density [maggies = 3631 Jy]


@jax.tree_util.register_pytree_node_class
class SEDModel:
    """Photometry and spectra of a galaxy from a parameter dict (a pytree).

    Parameters
    ----------
    spec : ParamSpec
        Holding exactly ``model_param_names(sfh, dust)`` (free or Fixed); the redshift prior's
        support must lie at ``>= 0``.
    ssp : SSPGrid
        The SSP library (``load_ssp()``).
    observation : Observation
        Filter names; maggies and errors for ``log_likelihood``.
    sfh : str
        "double_power_law" (``10**log_peak_sfr / ((t/tau)^alpha + (t/tau)^-beta)`` M_sun/yr),
        "delayed_tau", "constant", "lognormal" (normalised to ``10**log_mass_formed`` M_sun) or
        "nonparametric" (bins ``sfh_edges_gyr`` in lookback time, log_mass_formed and
        log10 SFR ratios of neighbouring bins, youngest first, as in Prospector).
    dust : str
        "charlot_fall" (tau_bc on stars younger than 10 Myr, tau_diff on all; both times
        ``(lambda/5500 A)**dust_slope``), "calzetti" (A_V = av) or "none".
    igm : bool
        Apply Madau (1995) IGM transmission.
    cosmology : Cosmology
        Background cosmology for distances and the age at ``z`` (Planck 2018 by default).
    lgmet_scatter : float
        Width [dex] of the Gaussian metallicity distribution around logzsol, ``> 0``.
    n_table : int
        Nodes of the cosmic-time table on which the SFH is integrated into SSP age-bin
        masses (half uniform in ln t, half in ln lookback time, plus the age-bin edges; see
        ``make_time_table`` and the README's convergence table).
    sfh_edges_gyr : ArrayLike or None
        (n_bin + 1,) lookback-time bin edges [Gyr], strictly increasing from 0; required for
        ``sfh="nonparametric"``.

    Raises
    ------
    ValueError
        If ``spec`` or ``ssp`` has the wrong type, ``spec`` misses or adds parameters, the
        redshift prior allows z < 0, ``lgmet_scatter <= 0``, ``sfh_edges_gyr`` is missing or
        malformed, ``sfh`` or ``dust`` is unknown, a filter name is unknown or lies outside
        the SSP grid at the redshift prior's bounds, or the observed maggies and errors do
        not end in n_filter (or an error is ``<= 0``).

    Notes
    -----
    ``predict_photometry(params)`` -> (n_filter,) maggies; ``predict_spectrum(params)`` ->
    Spectrum; ``derived(params)`` -> stellar mass, SFR over 10/100 Myr, mass-weighted age.
    ``params`` holds the free parameters only, each a scalar (``jax.vmap`` over a batch). With
    a Fixed redshift the filters are resampled onto the observed wavelength grid once, here;
    with a free one, in every call.

    The model is a pytree: its prepared tables (SSP fluxes, filter curves, time tables) are
    leaves and its configuration (spec, SFH and dust law, cosmology, sizes) is static. Jit the
    unbound methods and pass the model as an argument, so the 7 x 221 x 1052 SSP grid is an
    input of the compiled function rather than a compile-time constant, and a new parameter
    value never retraces::

        predict = jax.jit(SEDModel.predict_photometry)
        maggies = predict(model, params)

    (``jax.jit(model.predict_photometry)`` also works but captures the tables as constants:
    ``benchmarks/bench_sed_compile.py`` measures the difference.)

    Parameters outside their prior's support follow the package's out-of-range policy:
    concrete values raise ``ValueError``; traced values give NaN outputs (``log_prob`` gives
    -inf); ``model.with_checks()`` returns a copy that also raises from inside jit.
    """

    # pytree layout: array-valued attributes are leaves, the configuration is static (hashable)
    _LEAVES = (
        "ssp",
        "bins",
        "_smf",
        "_wave",
        "_flux_yo",
        "_wave_phot",
        "_flux_yo_phot",
        "_filter_curves",
        "_maggies",
        "_maggies_err",
        "_z_consts",
    )
    _STATIC = (
        "spec",
        "sfh",
        "dust",
        "igm",
        "cosmology",
        "lgmet_scatter",
        "n_table",
        "_n_young",
        "_phot_range",
        "_fixed_z",
        "_sfh_edges_t",
        "_filter_names",
        "checked",
    )

    def tree_flatten(self) -> tuple[tuple, tuple]:
        return (
            tuple(getattr(self, k) for k in self._LEAVES),
            tuple(getattr(self, k) for k in self._STATIC),
        )

    @classmethod
    def tree_unflatten(cls, static: tuple, leaves: Sequence[Any]) -> SEDModel:
        obj = object.__new__(cls)
        for k, v in zip(cls._LEAVES, leaves, strict=True):
            object.__setattr__(obj, k, v)
        for k, v in zip(cls._STATIC, static, strict=True):
            object.__setattr__(obj, k, v)
        return obj

    def with_checks(self, checked: bool = True) -> SEDModel:
        """A copy that raises ``ValueError`` from inside ``jit`` when a parameter lies outside
        its prior's support (a host callback per call; for debugging).

        Parameters
        ----------
        checked : bool
            True to turn the in-jit check on, False to turn it off again.

        Returns
        -------
        SEDModel
            The same model (sharing its tables) with the check switched.
        """
        leaves, static = self.tree_flatten()
        static = static[:-1] + (bool(checked),)
        return self.tree_unflatten(static, leaves)

    @property
    def filters(self) -> tuple[Filter, ...]:
        """The speclite filter curves (``Filter`` tuples: name, wave_aa, response)."""
        curves = zip(self._filter_names, self._filter_curves, strict=True)
        return tuple(Filter(n, w, r) for n, (w, r) in curves)

    @property
    def observation(self) -> Observation:
        """The filter names and the measured maggies and errors (None if not given)."""
        return Observation(self._filter_names, self._maggies, self._maggies_err)

    @property
    def _phot(self) -> slice:
        return slice(*self._phot_range)

    @property
    def _sfh_edges(self) -> np.ndarray:
        return np.asarray(self._sfh_edges_t, dtype=np.float64)

    def __init__(
        self,
        spec: ParamSpec,
        ssp: SSPGrid,
        observation: Observation,
        *,
        sfh: str = "double_power_law",
        dust: str = "charlot_fall",
        igm: bool = True,
        cosmology: Cosmology = PLANCK18,
        lgmet_scatter: float = 0.2,
        n_table: int = 1024,
        sfh_edges_gyr=None,
    ):
        if not isinstance(spec, ParamSpec):
            raise ValueError(f"spec must be a ParamSpec; got {type(spec).__name__}")
        if not isinstance(ssp, SSPGrid):
            raise ValueError(f"ssp must be an SSPGrid (load_ssp()); got {type(ssp).__name__}")
        if not isinstance(observation, Observation):
            raise ValueError(
                f"observation must be an Observation; got {type(observation).__name__}"
            )
        if isinstance(observation.filters, str):
            raise ValueError(
                f"observation.filters is the string {observation.filters!r}; pass a tuple of "
                f"speclite names, e.g. ({observation.filters!r},)"
            )
        if isinstance(n_table, bool) or not isinstance(n_table, int | np.integer) or n_table < 4:
            raise ValueError(f"n_table must be an integer >= 4; got {n_table!r}")
        n_bins = None
        if sfh == "nonparametric":
            if sfh_edges_gyr is None:
                raise ValueError("sfh='nonparametric' needs sfh_edges_gyr (lookback-time edges)")
            e = np.asarray(sfh_edges_gyr, np.float64)
            if e.ndim != 1 or e.size < 2 or e[0] != 0 or np.any(np.diff(e) <= 0):
                raise ValueError(
                    f"sfh_edges_gyr must increase strictly from 0; got {sfh_edges_gyr!r}"
                )
            n_bins = e.size - 1
        else:
            e = ()
        required = model_param_names(sfh, dust, n_bins=n_bins)
        missing = [n for n in required if n not in spec.priors]
        extra = [n for n in spec.priors if n not in required]
        if missing or extra:
            raise ValueError(
                f"spec: missing parameters {missing}, unexpected parameters {extra}; "
                f"sfh={sfh!r}, dust={dust!r} need {list(required)}"
            )
        if not (np.isfinite(lgmet_scatter) and lgmet_scatter > 0):
            raise ValueError(f"lgmet_scatter must be finite and > 0 dex; got {lgmet_scatter}")
        z_lo, z_hi = spec.priors["redshift"].support
        if z_lo < 0:
            raise ValueError(
                f"redshift: the prior {spec.priors['redshift']!r} allows redshift {z_lo} < 0; "
                "redshift must be >= 0 (0 gives absolute magnitudes at 10 pc)"
            )
        self._check_domains(spec, ssp, z_lo, cosmology)
        self._sfh_edges_t = tuple(float(v) for v in e) if n_bins else None
        self.spec, self.checked = spec, False
        self.sfh, self.dust, self.igm = sfh, dust, bool(igm)
        # static (hashable) configuration: a cosmology is fixed per model
        self.cosmology = Cosmology(*(float(v) for v in cosmology))
        self.lgmet_scatter = float(lgmet_scatter)
        filters = load_filters(tuple(observation.filters))
        self._filter_names = tuple(f.name for f in filters)
        self._filter_curves = tuple(
            (jnp.asarray(f.wave_aa), jnp.asarray(f.response)) for f in filters
        )
        wave = np.asarray(ssp.wave_aa)
        for f in filters:
            lo, hi = f.support_aa
            if lo < wave[0] * (1 + z_lo) or hi > wave[-1] * (1 + z_hi):
                raise ValueError(
                    f"filters: {f.name!r} spans {lo:.0f}-{hi:.0f} A, outside the SSP grid "
                    f"observed at redshift {z_lo}-{z_hi} ({wave[0] * (1 + z_hi):.0f}-"
                    f"{wave[-1] * (1 + z_lo):.0f} A)"
                )
        if observation.maggies is not None:
            m = np.asarray(observation.maggies, dtype=np.float64)
            e = np.asarray(
                np.nan if observation.maggies_err is None else observation.maggies_err,
                dtype=np.float64,
            )
            if (
                m.ndim == 0
                or m.shape[-1] != len(filters)
                or e.shape != m.shape
                or not np.all(np.isfinite(m))
                or not np.all(np.isfinite(e) & (e > 0))
            ):
                raise ValueError(
                    f"observation: maggies {m.shape} and maggies_err {e.shape} must both end "
                    f"in n_filter = {len(filters)}, be finite, with errors > 0"
                )
            self._maggies, self._maggies_err = jnp.asarray(m), jnp.asarray(e)
        else:
            self._maggies = self._maggies_err = None

        self.bins = make_age_bins(ssp.lg_age_gyr)
        self.n_table = int(n_table)
        n_met, n_age, n_wave = ssp.flux.shape
        # SSP ages increase, so the birth-cloud (young) populations are the first n_young ages;
        # young and old are summed separately (each SSP enters one product, not two)
        young = 10.0 ** np.asarray(ssp.lg_age_gyr) < BIRTH_CLOUD_AGE_GYR
        self._n_young = int(young.sum())
        self._flux_yo = self._split_flux(ssp.flux)
        self._smf = jnp.asarray(ssp.surviving_mass_frac)
        self._wave = jnp.asarray(wave)
        # the grid as device arrays (leaves of the pytree)
        self.ssp = SSPGrid(*(jnp.asarray(a) for a in ssp))
        # photometry needs the SED only where some filter is non-zero (over the redshift
        # prior): the weighted SSP sum runs on that slice of the grid (399 of 1052 points for
        # SDSS ugriz at z = 0.1), the exact same photometry at a fraction of the memory traffic
        lo = min(f.support_aa[0] for f in filters) / (1.0 + z_hi)
        hi = max(f.support_aa[1] for f in filters) / (1.0 + z_lo)
        i0 = max(int(np.searchsorted(wave, lo)) - 2, 0)
        i1 = min(int(np.searchsorted(wave, hi)) + 2, wave.size)
        self._phot_range = (i0, i1)
        self._flux_yo_phot = self._split_flux(np.asarray(ssp.flux)[:, :, i0:i1])
        self._wave_phot = jnp.asarray(wave[i0:i1])
        self._fixed_z = isinstance(spec.priors["redshift"], Fixed)
        self._z_consts = None
        if self._fixed_z:
            z = float(spec.priors["redshift"].value)
            self._z_consts = self._redshift_consts_numpy(z, filters, wave)

    @staticmethod
    def _domain(name: str, ssp: SSPGrid, z_lo: float, cosmology) -> tuple[Domain, str]:
        """Physical domain of parameter ``name`` and its description."""
        if name == "logzsol":
            g = np.asarray(ssp.lgmet, np.float64) - math.log10(Z_SUN)
            return Domain(g[0], g[-1]), "log10 Z/Z_sun within the SSP grid's metallicities"
        if name == "age_gyr":
            t_max = float(age_at_z_gyr(z_lo, cosmology))
            return (
                Domain(0.0, t_max, lo_open=True),
                f"time since the SFH began [Gyr], > 0 and <= the age of the universe at the "
                f"redshift prior's lowest z = {z_lo:g}",
            )
        key = "log_sfr_ratio" if name.startswith("log_sfr_ratio_") else name
        return PARAM_DOMAINS[key]

    def _check_domains(self, spec, ssp, z_lo, cosmology):
        for name, prior in spec.priors.items():
            domain, what = self._domain(name, ssp, z_lo, cosmology)
            lo, hi = prior.support
            if not domain.contains_interval(lo, hi):
                raise ValueError(
                    f"spec: the prior {prior!r} of {name!r} allows values in [{lo:g}, {hi:g}], "
                    f"outside its physical domain {domain!r} ({what})"
                )

    def _split_flux(self, flux):
        n_met, _, n_wave = flux.shape
        ny = self._n_young
        young = np.ascontiguousarray(flux[:, :ny]).reshape(n_met * ny, n_wave)
        old = np.ascontiguousarray(flux[:, ny:]).reshape(-1, n_wave)
        return jnp.asarray(young), jnp.asarray(old)

    # ----- redshift-dependent constants -------------------------------------------------------
    def _redshift_consts_numpy(self, z, filters, wave):
        wave_obs = wave * (1.0 + z)
        t_obs = float(age_at_z_gyr(z, self.cosmology))
        igm = (
            np.asarray(igm_transmission_madau(wave_obs, z)) if self.igm else np.ones_like(wave_obs)
        )
        w = photometry_matrix(wave_obs, filters)
        outside = np.ones(wave_obs.size, bool)
        outside[self._phot] = False
        if np.any(w[:, outside]):  # an internal invariant: the slice holds every filter weight
            raise RuntimeError("SEDModel: the photometry slice misses filter weight (a bug)")
        return _ZConsts(
            jnp.asarray(wave_obs),
            jnp.asarray(w[:, self._phot] * igm[self._phot]),
            jnp.asarray(t_obs),
            jnp.asarray(self._log_flux_scale(jnp.asarray(z))),
            jnp.asarray(igm),
            make_time_table(self.bins, t_obs, n_table=self.n_table),
        )

    def _log_flux_scale(self, z):
        """ln of (1 + z) L_sun / (4 pi d_L^2) / 3631 Jy: L_nu [L_sun/Hz] -> f_nu [maggies]."""
        d_l = jnp.maximum(_dl_mpc(_as_float(z), self.cosmology), TEN_PC_MPC) * MPC_CM
        return (
            jnp.log1p(z)
            + np.log(L_SUN_ERG_S / (4.0 * np.pi * AB_ZERO_JY * JY_CGS))
            - 2.0 * jnp.log(d_l)
        )

    def _redshift_consts(self, z) -> _ZConsts:
        if self._fixed_z:
            return self._z_consts
        wave_obs = self._wave * (1.0 + z)
        t_obs = _age(z, self.cosmology)  # z is in range here (the model's stand-in)
        igm = igm_transmission_madau(wave_obs, z) if self.igm else jnp.ones_like(wave_obs)
        w = _photometry_matrix(wave_obs[self._phot], self.filters)
        return _ZConsts(
            wave_obs,
            w * igm[self._phot],
            t_obs,
            self._log_flux_scale(z),
            igm,
            make_time_table(self.bins, t_obs, n_table=self.n_table),
        )

    # ----- star formation ---------------------------------------------------------------------
    def _sfr_fn(self, p, t_obs):
        """(SFR function of cosmic time, normalisation): SFR = norm * fn(t) [M_sun/yr]."""
        if self.sfh == "double_power_law":
            return (
                lambda t: sfr_double_power_law(
                    t, p["log_peak_sfr"], p["tau_gyr"], p["alpha"], p["beta"]
                )
            ), None
        if self.sfh == "delayed_tau":
            return (lambda t: sfr_delayed_tau(t, p["tau_gyr"], t_obs - p["age_gyr"])), "mass"
        if self.sfh == "constant":
            return (lambda t: sfr_constant(t, t_obs - p["age_gyr"])), "mass"
        if self.sfh == "lognormal":
            return (lambda t: sfr_lognormal(t, p["t0_gyr"], p["sigma_ln_t"])), "mass"
        raise AssertionError(self.sfh)

    def _nonparam_sfr(self, p, t_obs):
        """SFR [M_sun/yr] in each lookback bin from log_mass_formed and the log ratios."""
        k = self._sfh_edges.size - 1
        ratios = jnp.stack([jnp.asarray(p[f"log_sfr_ratio_{i}"]) for i in range(1, k)])
        # log10 SFR_i - log10 SFR_{i+1} = ratio_i  =>  log10 SFR_i = log10 SFR_0 - cumsum
        log_rel = jnp.concatenate([jnp.zeros(1, ratios.dtype), -jnp.cumsum(ratios)])
        rel = 10.0**log_rel
        e = jnp.minimum(jnp.asarray(self._sfh_edges), t_obs)
        mass_rel = jnp.sum(rel * jnp.diff(e)) * 1e9
        return rel * 10.0 ** p["log_mass_formed"] / mass_rel

    def _masses_and_sfr(self, p, zc: _ZConsts):
        t_obs = zc.t_obs
        if self.sfh == "nonparametric":
            sfr_bins = self._nonparam_sfr(p, t_obs)
            masses = nonparametric_bin_masses(sfr_bins, self._sfh_edges, self.bins, t_obs)
            edges = jnp.asarray(self._sfh_edges)

            def sfr_fn(t):
                tau = t_obs - t
                idx = jnp.clip(jnp.searchsorted(edges, tau, side="right") - 1, 0, edges.size - 2)
                return jnp.where((tau >= 0) & (tau < edges[-1]), sfr_bins[idx], 0.0)

            return masses, sfr_fn
        fn, norm = self._sfr_fn(p, t_obs)
        if self.sfh == "double_power_law":  # ln t of the nodes is precomputed
            sfr_nodes = sfr_double_power_law_log_t(
                zc.table.log_nodes, p["log_peak_sfr"], p["tau_gyr"], p["alpha"], p["beta"]
            )
            masses = age_bin_masses_from_nodes(sfr_nodes, zc.table)
        else:
            masses = age_bin_masses_from_nodes(fn(zc.table.nodes_gyr), zc.table)
        if norm is None:
            return masses, fn
        scale = 10.0 ** p["log_mass_formed"] / jnp.sum(masses)
        return masses * scale, (lambda t: fn(t) * scale)

    # ----- the forward model ------------------------------------------------------------------
    def _weights(self, p, zc: _ZConsts):
        """SSP weights [M_sun] of the young (birth-cloud) and the older populations:
        (n_met * n_young,) and (n_met * (n_age - n_young),), metallicity-major."""
        masses, _ = self._masses_and_sfr(p, zc)
        lgmet = p["logzsol"] + np.log10(Z_SUN)
        w_met = metallicity_weights(self.ssp.lgmet, lgmet, self.lgmet_scatter)
        ny = self._n_young
        return jnp.outer(w_met, masses[:ny]).ravel(), jnp.outer(w_met, masses[ny:]).ravel()

    def _attenuation(self, p, wave):
        """(birth-cloud, diffuse) transmissions on the rest-frame grid."""
        one = jnp.ones_like(wave)
        if self.dust == "charlot_fall":
            bc = jnp.exp(-power_law_tau(wave, p["tau_bc"], p["dust_slope"]))
            diff = jnp.exp(-power_law_tau(wave, p["tau_diff"], p["dust_slope"]))
            return bc, diff
        if self.dust == "calzetti":
            return one, calzetti_transmission(wave, p["av"])
        return one, one

    def rest_luminosity(self, params: Mapping[str, ArrayLike]) -> jax.Array:
        """Attenuated rest-frame L_nu [L_sun/Hz] on ``ssp.wave_aa``: (n_wave,).

        Parameters
        ----------
        params : mapping of str to ArrayLike
            The free parameters of ``spec``, each a scalar [units as in the spec]; ``jax.vmap``
            for a batch.

        Returns
        -------
        jax.Array
            (n_wave,) attenuated L_nu [L_sun/Hz] (no IGM); NaN for traced out-of-range
            parameters.

        Raises
        ------
        ValueError
            If the names differ from ``spec.free_params``, a value is not a scalar, or a
            concrete value lies outside its prior's support.
        """
        ok, p = self._complete(params)
        return self._guard(ok, params, self._rest_lnu(p, self._redshift_consts(p["redshift"])))

    def _rest_lnu(self, p, zc: _ZConsts, *, phot: bool = False):
        # the weighted SSP sum is a matrix product per population, (n_met*n_young,) @
        # (n_met*n_young, n_wave) and the same for the older stars; under vmap each becomes one
        # (n_gal, .) @ (., n_wave) GEMM (not a vmapped broadcast-and-reduce)
        (fy, fo), wave = (
            (self._flux_yo_phot, self._wave_phot) if phot else (self._flux_yo, self._wave)
        )
        wy, wo = self._weights(p, zc)
        bc, diff = self._attenuation(p, wave)
        return diff * (bc * (wy.astype(fy.dtype) @ fy) + wo.astype(fo.dtype) @ fo)

    def predict_spectrum(self, params: Mapping[str, ArrayLike]) -> Spectrum:
        """Observed-frame f_nu [maggies] on ssp.wave_aa * (1 + z) [Angstrom], IGM included.

        Parameters
        ----------
        params : mapping of str to ArrayLike
            The free parameters of ``spec``, each a scalar [units as in the spec]; ``jax.vmap``
            for a batch.

        Returns
        -------
        Spectrum
            (n_wave,) ``wave_obs_aa`` [Angstrom] and ``fnu_maggies`` [maggies]; the flux is
            NaN for traced out-of-range parameters.

        Raises
        ------
        ValueError
            If the names differ from ``spec.free_params``, a value is not a scalar, or a
            concrete value lies outside its prior's support.
        """
        ok, p = self._complete(params)
        zc = self._redshift_consts(p["redshift"])
        lnu = self._rest_lnu(p, zc)
        return Spectrum(zc.wave_obs, self._guard(ok, params, lnu * jnp.exp(zc.log_scale) * zc.igm))

    def predict_photometry(self, params: Mapping[str, ArrayLike]) -> jax.Array:
        """(n_filter,) AB fluxes [maggies]; AB magnitude = -2.5 log10(maggies).

        Parameters
        ----------
        params : mapping of str to ArrayLike
            The free parameters of ``spec``, each a scalar [units as in the spec]; ``jax.vmap``
            for a batch.

        Returns
        -------
        jax.Array
            (n_filter,) band fluxes [maggies = 3631 Jy] in the order of the observation's
            filters; NaN for traced out-of-range parameters.

        Raises
        ------
        ValueError
            If the names differ from ``spec.free_params``, a value is not a scalar, or a
            concrete value lies outside its prior's support.
        """
        ok, p = self._complete(params)
        return self._guard(ok, params, self._photometry(p))

    def _photometry(self, p):
        zc = self._redshift_consts(p["redshift"])
        return zc.w @ self._rest_lnu(p, zc, phot=True) * jnp.exp(zc.log_scale)

    def derived(self, params: Mapping[str, ArrayLike]) -> dict[str, jax.Array]:
        """Mass formed and surviving stellar mass [M_sun], SFR averaged over the last 10 and
        100 Myr [M_sun/yr], mass-weighted age [Gyr], age of the universe at z [Gyr].

        Parameters
        ----------
        params : mapping of str to ArrayLike
            The free parameters of ``spec``, each a scalar [units as in the spec]; ``jax.vmap``
            for a batch.

        Returns
        -------
        dict of str to jax.Array
            Scalars ``mass_formed``, ``stellar_mass`` [M_sun], ``sfr_10myr``,
            ``sfr_100myr`` [M_sun/yr], ``mass_weighted_age_gyr``, ``t_obs_gyr`` [Gyr]; NaN
            for traced out-of-range parameters.

        Raises
        ------
        ValueError
            If the names differ from ``spec.free_params``, a value is not a scalar, or a
            concrete value lies outside its prior's support.
        """
        ok, p = self._complete(params)
        zc = self._redshift_consts(p["redshift"])
        t_obs = zc.t_obs
        masses, sfr_fn = self._masses_and_sfr(p, zc)
        lgmet = p["logzsol"] + np.log10(Z_SUN)
        w_met = metallicity_weights(self.ssp.lgmet, lgmet, self.lgmet_scatter)
        out = {
            "mass_formed": jnp.sum(masses),
            "stellar_mass": w_met @ self._smf @ masses,
            "sfr_10myr": sfr_averaged(sfr_fn, t_obs, 0.01),
            "sfr_100myr": sfr_averaged(sfr_fn, t_obs, 0.1),
            "mass_weighted_age_gyr": mass_weighted_age_gyr(masses, self.bins, t_obs),
            "t_obs_gyr": jnp.asarray(t_obs),
        }
        return {k: self._guard(ok, params, v) for k, v in out.items()}

    # ----- likelihood -------------------------------------------------------------------------
    def log_likelihood(
        self,
        params: Mapping[str, ArrayLike],
        maggies: ArrayLike | None = None,
        maggies_err: ArrayLike | None = None,
    ) -> jax.Array:
        """Gaussian log-likelihood of the observed maggies (the Observation's by default);
        NaN outside the prior support (the out-of-range policy).

        Parameters
        ----------
        params : mapping of str to ArrayLike
            The free parameters of ``spec``, each a scalar [units as in the spec]; ``jax.vmap``
            for a batch.
        maggies : ArrayLike or None
            (n_filter,) observed fluxes [maggies]; the Observation's by default.
        maggies_err : ArrayLike or None
            (n_filter,) their 1-sigma errors [maggies], ``> 0``; the Observation's by default.

        Returns
        -------
        jax.Array
            Scalar ln L, normalised (including ``-sum ln err - n/2 ln 2 pi``).

        Raises
        ------
        ValueError
            As ``predict_photometry``, or if no maggies are given and the Observation has
            none.
        """
        ok, p = self._complete(params)
        return self._guard(ok, params, self._log_likelihood(p, maggies, maggies_err))

    def _log_likelihood(self, p, maggies, maggies_err):
        m = self._maggies if maggies is None else maggies
        e = self._maggies_err if maggies_err is None else maggies_err
        if m is None:
            raise ValueError("log_likelihood: the Observation has no maggies; pass maggies=")
        r = (self._photometry(p) - m) / e
        return -0.5 * jnp.sum(r**2) - jnp.sum(jnp.log(e)) - 0.5 * r.size * _LOG_2PI

    def log_prob(
        self,
        params: Mapping[str, ArrayLike],
        maggies: ArrayLike | None = None,
        maggies_err: ArrayLike | None = None,
    ) -> jax.Array:
        """log prior + log likelihood: -inf (with a zero gradient) outside the prior support,
        the convention samplers expect for bounded priors.

        Parameters
        ----------
        params : mapping of str to ArrayLike
            The free parameters of ``spec``, each a scalar [units as in the spec]; ``jax.vmap``
            for a batch.
        maggies : ArrayLike or None
            (n_filter,) observed fluxes [maggies]; the Observation's by default.
        maggies_err : ArrayLike or None
            (n_filter,) their 1-sigma errors [maggies], ``> 0``; the Observation's by default.

        Returns
        -------
        jax.Array
            Scalar unnormalised log posterior density.

        Raises
        ------
        ValueError
            As ``log_likelihood``.
        """
        ok, p = self._complete(params)
        lp = self.spec.log_prior(params)
        ll = self._log_likelihood(p, maggies, maggies_err)
        return jnp.where(ok & jnp.isfinite(lp), lp + ll, -jnp.inf)

    def _complete(self, params: Mapping):
        """(ok, the completed parameter dict with in-range stand-ins where not ok)."""
        self.spec.check(params)
        self.spec.check_scalars(params)
        ok, safe = self.spec.support_mask(params)
        p = self.spec.complete(safe)
        if "age_gyr" in p and not self._fixed_z:
            # the SFH cannot begin before the Big Bang: age_gyr <= t_obs(z), a joint condition
            # (with a fixed redshift the prior's support already ensures it)
            t_obs = _age(_as_float(p["redshift"]), self.cosmology)
            ok_age = p["age_gyr"] <= t_obs
            given = self.spec.complete(params)
            if not is_traced(given["age_gyr"], given["redshift"]) and not bool(ok_age):
                raise ValueError(
                    f"params: age_gyr = {float(given['age_gyr']):g} exceeds the age of the "
                    f"universe {float(t_obs):.4g} Gyr at redshift {float(given['redshift']):g}"
                )
            ok = ok & ok_age
            p["age_gyr"] = jnp.where(ok_age, p["age_gyr"], 0.5 * t_obs)
        return ok, p

    def _guard(self, ok, params, out):
        names = self.spec.free_params
        values = jnp.stack([jnp.asarray(params[n], dtype=jnp.result_type(out)) for n in names])
        bounds = ", ".join(f"{n} in [{lo:g}, {hi:g}]" for n, (lo, hi) in self.spec.bounds.items())
        message = f"params outside their prior's support: {{value}} for {list(names)}; {bounds}"
        return nan_if_invalid(ok, out, value=values, checked=self.checked, message=message)
