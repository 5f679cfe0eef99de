"""Independent float64 reference of the GD-1 stream objective for the pipeline test.

Written from the model definition with scipy's not-a-knot ``make_interp_spline`` (the library
builds its own spline matrices) and scipy's Simpson rule over the full (phi1 x phi2) mesh (the
library integrates the flat background in 1-D). Shares no code with jaxstro.splinedens.
"""

import numpy as np
from scipy.integrate import simpson
from scipy.interpolate import make_interp_spline
from scipy.stats import norm

KNOTS = {
    "ln_amp": np.linspace(-110, 30, 31),
    "track": np.linspace(-110, 30, 17),
    "ln_width": np.linspace(-110, 30, 17),
    "ln_bg": np.linspace(-120, 40, 7),
}
# the integration window [deg] and its 0.1 deg grid
PHI1_GRID = np.linspace(-100.0, 20.0, 1201)
PHI2_GRID = np.linspace(-7.0, 5.0, 121)


def _splines(params):
    return {
        k: make_interp_spline(KNOTS[k], np.asarray(v, np.float64), k=3) for k, v in params.items()
    }


def _log_rate(s, phi1, phi2):
    track = norm.logpdf(phi2, s["track"](phi1), np.exp(s["ln_width"](phi1)))
    return np.logaddexp(s["ln_amp"](phi1) + track, s["ln_bg"](phi1))


def objective(params, phi1, phi2):
    """-(Poisson-process log-likelihood + random-walk log prior (sd 1)) / N."""
    s = _splines(params)
    mesh1, mesh2 = np.meshgrid(PHI1_GRID, PHI2_GRID, indexing="ij")
    rate = np.exp(_log_rate(s, mesh1, mesh2))
    expected = simpson(simpson(rate, x=PHI2_GRID, axis=1), x=PHI1_GRID)
    log_prior = 0.0
    for name in ("ln_amp", "track", "ln_width"):
        v = np.asarray(params[name], np.float64)
        log_prior += norm.logpdf(np.diff(v), 0.0, 1.0).sum()
    log_like = _log_rate(s, phi1, phi2).sum() - expected
    return -(log_like + log_prior) / len(phi1)
