"""The standard galaxy SED setup, defined once: SDSS ugriz, priors of the double-power-law
SFH + Charlot & Fall dust model, and a reference parameter set for mock data.

Examples, benchmarks and tests build on these, so they all fit the same model.
"""

from __future__ import annotations

import math

from jaxstro.sedphys._params import Fixed, LogUniform, ParamSpec, Uniform

__all__ = ["SDSS_UGRIZ", "default_spec", "default_truth"]

SDSS_UGRIZ = tuple(f"sdss2010-{band}" for band in "ugriz")
"""speclite names of the SDSS ugriz filters (2010 response curves)."""


def default_spec(*, redshift: float = 0.1, dust_slope: float = -0.7) -> ParamSpec:
    """Priors of the default ``SEDModel`` (double-power-law SFH, Charlot & Fall dust).

    Seven free parameters with bounded priors, redshift and dust slope held fixed:

    ============  =======================  =====================================
    name          prior                    meaning [unit]
    ============  =======================  =====================================
    log_peak_sfr  Uniform(-1, 3)           log10 peak SFR [log10 M_sun/yr]
    tau_gyr       Uniform(0.5, 12)         SFH turnover time [Gyr of cosmic time]
    alpha         LogUniform(0.1, 100)     falling (late-time) slope
    beta          LogUniform(0.1, 100)     rising (early-time) slope
    logzsol       Uniform(-1.5, 0.3)       log10 Z/Z_sun [dex]
    tau_bc        Uniform(0, 3)            birth-cloud optical depth at 5500 A
    tau_diff      Uniform(0, 2)            diffuse-dust optical depth at 5500 A
    dust_slope    Fixed(dust_slope)        power-law slope of both dust components
    redshift      Fixed(redshift)          observed redshift
    ============  =======================  =====================================

    The turnover time stays below 12 Gyr, within the 12.5 Gyr age of the universe at the
    default z = 0.1 (Planck 2018).

    Parameters
    ----------
    redshift : float
        Redshift of the galaxy, held fixed [dimensionless, >= 0].
    dust_slope : float
        Slope n of both dust optical depths, ``tau(lambda) = tau_5500 (lambda / 5500 A)**n``.

    Returns
    -------
    ParamSpec
        The priors, in the order above; ``free_params`` lists the seven free names.
    """
    if not (math.isfinite(redshift) and redshift >= 0):
        raise ValueError(f"redshift must be a finite number >= 0; got {redshift!r}")
    if not math.isfinite(dust_slope):
        raise ValueError(f"dust_slope must be a finite number; got {dust_slope!r}")
    return ParamSpec(
        {
            "log_peak_sfr": Uniform(-1.0, 3.0),
            "tau_gyr": Uniform(0.5, 12.0),
            "alpha": LogUniform(0.1, 100.0),
            "beta": LogUniform(0.1, 100.0),
            "logzsol": Uniform(-1.5, 0.3),
            "tau_bc": Uniform(0.0, 3.0),
            "tau_diff": Uniform(0.0, 2.0),
            "dust_slope": Fixed(float(dust_slope)),
            "redshift": Fixed(float(redshift)),
        }
    )


def default_truth() -> dict[str, float]:
    """A typical star-forming galaxy in the free parameters of ``default_spec``.

    Peak SFR 10 M_sun/yr at a turnover 5 Gyr after the Big Bang (slopes 3 and 3), logzsol
    -0.3 dex, tau_bc 0.7 and tau_diff 0.3: the "truth" of the mock observations in the
    examples, benchmarks and tests.

    Returns
    -------
    dict of str to float
        A fresh dict with one value per free parameter (units as in ``default_spec``).
    """
    return {
        "log_peak_sfr": 1.0,
        "tau_gyr": 5.0,
        "alpha": 3.0,
        "beta": 3.0,
        "logzsol": -0.3,
        "tau_bc": 0.7,
        "tau_diff": 0.3,
    }
