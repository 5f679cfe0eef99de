"""The emission-retrieval forward model of issue 13, built once and evaluated as a pure function.

Not an example itself (the leading underscore keeps it out of the example runs): the example
``emission_retrieval.py`` and ``integration_tests/test_emission_pipeline.py`` both import it::

    from _emission import build_model

    model = build_model()                        # prepares every table once (a few seconds)
    flux = jax.jit(EmissionModel.spectrum)(model, TRUTH)   # model passed as a pytree argument

The set-up is ExoJAX's get-started tutorial, on the project's shipped data:

* wavenumbers: the ESLOG grid over 22920-23000 Angstrom, 3,500 points (R ~ 1e6);
* CO lines from the shipped ExoMol (Li 2015) sample (``lines="hitemp"``: the HITEMP sample),
  cross sections by PreMODIT with a robust range of 500-1500 K (every line within
  ``margin_cm1`` = 25 cm^-1 of the grid contributes), H2-H2 CIA from the shipped Borysow table;
* 100 layers from 1e1 to 1e-5 bar, power-law T-P profile T0 (P / 1 bar)^alpha clipped to
  500-1500 K, constant CO mass mixing ratio, H2 volume mixing ratio 0.855, mean molecular weight
  2.33, gravity 10**logg (truth: a 1 R_J, 10 M_J planet);
* intensity-based emission with 8 streams [erg s^-1 cm^-2 (cm^-1)^-1, as ExoJAX];
* rigid rotation (u1 = u2 = 0), Gaussian instrumental profile R = 70,000, radial velocity
  shift and linear resampling onto the observed grid: every 5th model point without the last 50.

``spectrum(params)`` takes a dict with the six physical parameters (``PARAMS``) and is
jit-, vmap- and grad-safe (forward and reverse mode). Inside jit a parameter outside the range
the model was prepared for gives NaN (the packages' out-of-range policy), so a sampler rejects
the point; the prior box itself is checked once, here, when the model is built: a radial-velocity
range that would shift the observed grid off the model grid, or a robust range that does not
cover every temperature the profile can take, raises ``ValueError`` before anything is
prepared or compiled.

``conventions="exojax"`` switches every deliberate difference from ExoJAX 2.6 to ExoJAX's
choice (layer centres at the end pressures, no blackbody below the deepest layer, CODATA 2014
constants, hard temperature clip, sampled rotation / instrument kernels with zero padding and
c log1p(1/R) velocity steps); the integration tests use it against stored ExoJAX spectra.
"""

from __future__ import annotations

import dataclasses
import math

import jax
import jax.numpy as jnp
import numpy as np

import jaxstro.rtransfer as rt
from jaxstro.linedb import LineList, datasets, read_cia, read_exomol, read_hitran
from jaxstro.opacity import make_calculator, prepare_cia, wavenumber_grid
from jaxstro.specops import prepare_instrumental_profile, prepare_resampling, prepare_rotation

__all__ = [
    "PARAMS",
    "TRUTH",
    "PRIOR_RANGES",
    "EmissionModel",
    "build_model",
    "read_lines",
]

PARAMS = ("logg", "RV", "MMR", "T0", "alpha", "vsini")
"""Physical parameters of ``spectrum``: log10 gravity [cgs], radial velocity [km/s], CO mass
mixing ratio, T at 1 bar [K], power-law index, projected rotation velocity [km/s]."""

TRUTH = {
    # 1 R_J, 10 M_J: 4.394 (= log10 rt.gravity_jupiter(10.0, 1.0), without a jax call at import)
    "logg": math.log10(10.0 * rt.GM_JUP_CGS / rt.R_JUP_CM**2),
    "RV": 40.0,
    "MMR": 0.01,
    "T0": 1200.0,
    "alpha": 0.1,
    "vsini": 10.0,
}
"""The tutorial's mock-data parameters."""

PRIOR_RANGES = {
    "logg": (4.0, 5.0),
    "RV": (35.0, 45.0),
    "MMR": (0.0, 0.015),
    "T0": (1000.0, 1500.0),
    "alpha": (0.05, 0.2),
    "vsini": (5.0, 15.0),
}
"""Uniform prior bounds of the retrieval (issue 13); ``build_model`` checks that the model is
valid over all of them."""

WAV_RANGE_AA = (22920.0, 23000.0)
LINE_SAMPLES = {"exomol": ("co_exomol", read_exomol), "hitemp": ("co_hitemp", read_hitran)}

_CONVENTIONS = {
    # layer grid, bottom boundary, constants, clip, kernel, edge, velocity step
    "jaxstro": dict(
        layers="boundaries",
        bottom_boundary=True,
        constants="codata2018",
        clip="soft",
        kernel="integrated",
        edge="extend",
        velocity_step="log",
    ),
    "exojax": dict(
        layers="exojax",
        bottom_boundary=False,
        constants="exojax",
        clip="hard",
        kernel="sampled",
        edge="zero",
        velocity_step="exojax",
    ),
}


@jax.tree_util.register_dataclass
@dataclasses.dataclass(frozen=True)
class EmissionModel:
    """Every prepared piece of the forward model (a pytree: pass it to ``jax.jit``).

    Build with ``build_model``; evaluate with ``spectrum(params)`` (observed grid) or
    ``raw_spectrum(params)`` (model grid, before rotation); fluxes in
    erg s^-1 cm^-2 (cm^-1)^-1.
    """

    nu_grid: jax.Array  # (n_grid,) model wavenumbers [cm^-1], ascending
    nu_obs: jax.Array  # (n_obs,) observed wavenumbers [cm^-1], ascending
    layers: rt.LayerGrid
    opacity: object  # jaxstro.opacity calculator (PreMODIT by default)
    cia: object  # jaxstro.opacity.CIAGrid (H2-H2)
    rotation: object  # jaxstro.specops.RotationOperator
    instrument: object  # jaxstro.specops.InstrumentalProfile
    resampler: object  # jaxstro.specops.Resampler
    molmass_amu: float = dataclasses.field(metadata=dict(static=True))
    mmw: float = dataclasses.field(metadata=dict(static=True))
    vmr_h2: float = dataclasses.field(metadata=dict(static=True))
    t_clip_k: tuple = dataclasses.field(metadata=dict(static=True))
    resolving_power: float = dataclasses.field(metadata=dict(static=True))
    limb_darkening: tuple = dataclasses.field(metadata=dict(static=True))
    nstream: int = dataclasses.field(metadata=dict(static=True))
    conventions: str = dataclasses.field(metadata=dict(static=True))
    n_lines: int = dataclasses.field(metadata=dict(static=True))

    @property
    def _conv(self) -> dict:
        return _CONVENTIONS[self.conventions]

    def temperature(self, params: dict) -> jax.Array:
        """(n_layers,) layer temperatures [K]: T0 (P / 1 bar)^alpha, clipped to ``t_clip_k``."""
        t = rt.powerlaw_temperature(self.layers.p_bar, params["T0"], params["alpha"])
        return rt.clip_temperature(t, *self.t_clip_k, method=self._conv["clip"])

    def dtau(self, params: dict) -> jax.Array:
        """(n_layers, n_grid) optical depth of each layer: CO lines + H2-H2 CIA."""
        t = self.temperature(params)
        g = 10.0 ** params["logg"]
        c = self._conv["constants"]
        xs = self.opacity.xsmatrix(t, self.layers.p_bar)
        dtau_co = rt.dtau_xs(self.layers, xs, params["MMR"], self.molmass_amu, g, constants=c)
        log_k = self.cia.log_coeff_matrix(t)
        dtau_cia = rt.dtau_cia(
            self.layers, log_k, t, self.vmr_h2, self.vmr_h2, self.mmw, g, constants=c
        )
        return dtau_co + dtau_cia

    def layer_dtau(self, params: dict):
        """``(f, layer_params)`` for ``jaxstro.rtransfer.emission_flux_scan``: ``f`` maps one
        layer's (p, dp, T) to its (n_grid,) optical depth, computed from the same opacity."""
        g = 10.0 ** params["logg"]
        c = self._conv["constants"]

        def f(layer):
            p, dp, t = layer
            xs = self.opacity.xsvector(t, p)
            d = rt.dtau_xs_layer(dp, xs, params["MMR"], self.molmass_amu, g, constants=c)
            log_k = self.cia.log_coeff_vector(t)
            return d + rt.dtau_cia_layer(
                p, dp, log_k, t, self.vmr_h2, self.vmr_h2, self.mmw, g, constants=c
            )

        return f, (self.layers.p_bar, self.layers.dp_bar, self.temperature(params))

    def raw_spectrum(self, params: dict, *, layer_by_layer: bool = False) -> jax.Array:
        """(n_grid,) emergent flux on the model grid before rotation [erg s^-1 cm^-2
        (cm^-1)^-1]. ``layer_by_layer``: ``emission_flux_scan`` (memory O(n_grid))."""
        t = self.temperature(params)
        opts = dict(
            method="ibased",
            nstream=self.nstream,
            bottom_boundary=self._conv["bottom_boundary"],
            constants=self._conv["constants"],
        )
        if layer_by_layer:
            f, layer_params = self.layer_dtau(params)
            return rt.emission_flux_scan(f, layer_params, t, self.nu_grid, **opts)
        return rt.emission_flux(self.dtau(params), t, self.nu_grid, **opts)

    def observe(self, raw: jax.Array, params: dict) -> jax.Array:
        """Rotation, instrumental profile, RV shift and resampling of a model-grid spectrum."""
        u1, u2 = self.limb_darkening
        rotated = self.rotation.apply(raw, params["vsini"], u1, u2)
        broadened = self.instrument.apply(rotated, self.resolving_power)
        return self.resampler.apply(broadened, params["RV"])

    def spectrum(self, params: dict, *, layer_by_layer: bool = False) -> jax.Array:
        """(n_obs,) flux on the observed grid [erg s^-1 cm^-2 (cm^-1)^-1] for ``params``
        (a dict with the keys of ``PARAMS``; scalars)."""
        return self.observe(self.raw_spectrum(params, layer_by_layer=layer_by_layer), params)


def read_lines(lines="exomol"):
    """The shipped CO sample: "exomol" (ExoMol Li 2015, cut down) or "hitemp" (HITEMP 2019);
    a ``jaxstro.linedb.LineList`` is passed through."""
    if isinstance(lines, LineList):
        return lines
    if lines not in LINE_SAMPLES:
        raise ValueError(f"lines must be one of {sorted(LINE_SAMPLES)}; got {lines!r}")
    name, reader = LINE_SAMPLES[lines]
    return reader(datasets.sample_path(name))


def profile_temperature_range(
    p_bar: np.ndarray, t0_range_k: tuple, alpha_range: tuple, t_clip_k: tuple, clip: str
) -> tuple[float, float]:
    """Lowest and highest layer temperature [K] over the box ``t0_range_k`` x ``alpha_range``.

    T0 P^alpha is monotonic in T0 and in alpha at each P, and the clip is monotonic, so the
    extremes sit at the corners of the box. Computed in numpy (the clip as
    ``jaxstro.rtransfer.clip_temperature`` with its default width), so that a bad
    configuration is reported before anything is compiled."""
    p = np.asarray(p_bar, dtype=np.float64)
    t = np.stack([t0 * p**a for t0 in t0_range_k for a in alpha_range])
    lo, hi = t_clip_k
    if clip == "soft":
        w = 0.01 * (hi - lo)
        t = lo + w * np.logaddexp(0.0, (t - lo) / w) - w * np.logaddexp(0.0, (t - hi) / w)
    t = np.clip(t, lo, hi)
    return float(t.min()), float(t.max())


def _pair(name, value):
    try:
        lo, hi = (float(v) for v in value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a pair (low, high); got {value!r}") from None
    if not (np.isfinite(lo) and np.isfinite(hi) and lo <= hi):
        raise ValueError(f"{name} must be a finite pair with low <= high; got {value!r}")
    return lo, hi


def build_model(
    n_grid: int = 3500,
    n_layers: int = 100,
    lines: str | LineList = "exomol",
    *,
    method: str = "premodit",
    grid_range: tuple = WAV_RANGE_AA,
    grid_unit: str = "AA",
    robust_range: tuple = (500.0, 1500.0),
    t_clip_k: tuple = (500.0, 1500.0),
    p_range_bar: tuple = (1e-5, 1e1),
    rv_range_kms: tuple = PRIOR_RANGES["RV"],
    t0_range_k: tuple = PRIOR_RANGES["T0"],
    alpha_range: tuple = PRIOR_RANGES["alpha"],
    vsini_max_kms: float = PRIOR_RANGES["vsini"][1],
    resolving_power: float = 70000.0,
    obs_stride: int = 5,
    obs_drop: int = 50,
    vmr_h2: float = 0.855,
    mmw: float = 2.33,
    nstream: int = 8,
    limb_darkening: tuple = (0.0, 0.0),
    conventions: str = "jaxstro",
    margin_cm1: float = 25.0,
) -> EmissionModel:
    """Prepare the forward model (every table once); see the module docstring for the set-up.

    Parameters
    ----------
    n_grid : int
        Points of the ESLOG model grid over 22920-23000 Angstrom (3,500: R ~ 1e6).
    n_layers : int
        Number of layers between ``p_range_bar`` (log-spaced).
    lines : str or jaxstro.linedb.LineList
        "exomol" (shipped ExoMol CO sample), "hitemp" (shipped HITEMP CO sample) or a line
        list of CO.
    method : str
        Cross-section method of ``jaxstro.opacity.make_calculator``: "premodit" (default),
        "modit" or "lpf".
    grid_range, grid_unit : tuple, str
        Ends and unit of the ESLOG model grid (``jaxstro.opacity.wavenumber_grid``); default
        22920-23000 Angstrom.
    robust_range : tuple
        PreMODIT's (T_low, T_high) [K]; must cover every layer temperature over the prior box
        ``t0_range_k`` x ``alpha_range`` (after the clip).
    t_clip_k : tuple
        The T-P profile is clipped to this range [K].
    p_range_bar : tuple
        (top, bottom) pressures [bar]: the outermost layer boundaries, or with
        ``conventions="exojax"`` the first and last layer centres (ExoJAX's layers).
    rv_range_kms : tuple
        Radial velocities [km/s] the model must accept: the observed grid shifted by any of
        them must stay on the model grid.
    t0_range_k, alpha_range : tuple
        Ranges of T0 [K] and alpha the model must accept (checked against ``robust_range``).
    vsini_max_kms : float
        Largest vsini [km/s] (fixes the rotation kernel length).
    resolving_power : float
        Instrumental resolving power lambda / FWHM of the Gaussian profile.
    obs_stride, obs_drop : int
        Observed grid: every ``obs_stride``-th model point, without the last ``obs_drop``.
    vmr_h2, mmw : float
        H2 volume mixing ratio and mean molecular weight [amu].
    nstream : int
        Streams of the intensity-based solver.
    limb_darkening : tuple
        Quadratic limb-darkening (u1, u2) of the rotation kernel.
    conventions : str
        "jaxstro" (default) or "exojax" (ExoJAX 2.6's choices; see the module docstring).
    margin_cm1 : float
        Lines centred up to this far outside the grid contribute [cm^-1].

    Returns
    -------
    EmissionModel

    Raises
    ------
    ValueError
        A bad configuration, named by its argument, before any table is prepared: an
        ``rv_range_kms`` that shifts the observed grid off the model grid, a ``robust_range``
        that does not cover the temperatures of the profile, an unknown ``lines`` /
        ``conventions``, too small a grid; and whatever the packages raise for their own
        arguments.
    """
    if conventions not in _CONVENTIONS:
        raise ValueError(f"conventions must be one of {sorted(_CONVENTIONS)}; got {conventions!r}")
    if not isinstance(lines, LineList) and lines not in LINE_SAMPLES:
        raise ValueError(
            f"lines must be one of {sorted(LINE_SAMPLES)} or a LineList; got {lines!r}"
        )
    conv = _CONVENTIONS[conventions]
    rv_lo, rv_hi = _pair("rv_range_kms", rv_range_kms)
    t0_range_k = _pair("t0_range_k", t0_range_k)
    alpha_range = _pair("alpha_range", alpha_range)
    t_clip_k = _pair("t_clip_k", t_clip_k)
    robust = _pair("robust_range", robust_range)
    n_grid, obs_stride, obs_drop = int(n_grid), int(obs_stride), int(obs_drop)
    if obs_stride < 1 or obs_drop < 0:
        raise ValueError(f"obs_stride must be >= 1 and obs_drop >= 0; got {obs_stride}, {obs_drop}")
    nu, _, _ = wavenumber_grid(*grid_range, n_grid, unit=grid_unit)
    nu_obs = nu[::obs_stride][: len(nu[::obs_stride]) - obs_drop]
    if nu_obs.size < 2:
        raise ValueError(
            f"n_grid={n_grid} with obs_stride={obs_stride}, obs_drop={obs_drop} leaves "
            f"{nu_obs.size} observed points; need >= 2"
        )

    # 1. the observed grid must stay on the model grid for every RV of the prior
    resampler = prepare_resampling(nu, nu_obs, method="linear")
    if not (resampler.rv_min_kms <= rv_lo and rv_hi <= resampler.rv_max_kms):
        raise ValueError(
            f"rv_range_kms={tuple(rv_range_kms)} km/s shifts the observed grid "
            f"[{nu_obs[0]:.4f}, {nu_obs[-1]:.4f}] cm^-1 off the model grid "
            f"[{nu[0]:.4f}, {nu[-1]:.4f}] cm^-1; this grid accepts RV in "
            f"[{resampler.rv_min_kms:.4g}, {resampler.rv_max_kms:.4g}] km/s (widen the model "
            f"grid or drop more observed points at the ends)"
        )

    # 2. the cross sections must be valid at every temperature the profile can take
    layers = rt.layer_grid(*p_range_bar, int(n_layers), convention=conv["layers"])
    p_layers = np.asarray(layers.p_bar)  # numpy from here: nothing is compiled before the checks
    t_lo, t_hi = profile_temperature_range(
        p_layers, t0_range_k, alpha_range, t_clip_k, conv["clip"]
    )
    if method == "premodit" and not (robust[0] <= t_lo and t_hi <= robust[1]):
        raise ValueError(
            f"robust_range={tuple(robust_range)} K does not cover the layer temperatures "
            f"[{t_lo:.6g}, {t_hi:.6g}] K of the profile T0 P^alpha (T0 in {t0_range_k} K, "
            f"alpha in {alpha_range}, clipped to {t_clip_k} K) on the layers "
            f"[{p_layers[0]:.3g}, {p_layers[-1]:.3g}] bar; use a "
            f"robust_range containing it"
        )

    line_list = read_lines(lines)
    options = dict(margin_cm1=margin_cm1)
    if method == "premodit":
        options["robust_range"] = robust
    opacity = make_calculator(line_list, nu, method=method, **options)
    keep = np.abs(line_list.nu_cm1 - 0.5 * (nu[0] + nu[-1])) <= 0.5 * (nu[-1] - nu[0]) + margin_cm1
    strength = line_list.strength_ref[keep] * line_list.abundance[keep]
    molmass = float(np.average(line_list.molmass_amu[keep], weights=strength))
    cia = prepare_cia(read_cia(datasets.sample_path("h2h2_cia")), nu)
    kernel = dict(kernel=conv["kernel"], edge=conv["edge"], velocity_step=conv["velocity_step"])
    rotation = prepare_rotation(nu, vsini_max_kms=float(vsini_max_kms), **kernel)
    instrument = prepare_instrumental_profile(
        nu, resolving_power_min=float(resolving_power), **kernel
    )
    return EmissionModel(
        nu_grid=jnp.asarray(nu),
        nu_obs=jnp.asarray(nu_obs),
        layers=layers,
        opacity=opacity,
        cia=cia,
        rotation=rotation,
        instrument=instrument,
        resampler=resampler,
        molmass_amu=molmass,
        mmw=float(mmw),
        vmr_h2=float(vmr_h2),
        t_clip_k=t_clip_k,
        resolving_power=float(resolving_power),
        limb_darkening=tuple(float(u) for u in limb_darkening),
        nstream=int(nstream),
        conventions=conventions,
        n_lines=int(np.count_nonzero(keep)),
    )
