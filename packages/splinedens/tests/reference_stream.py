"""Independent float64 reference of the GD-1 stream objective (scipy splines, numpy, Simpson).

Written from the model definition, sharing no code with jaxstro.splinedens: the rate is
evaluated on the full 2-D (phi1 x phi2) mesh and integrated with nested
``scipy.integrate.simpson``, exactly as the reference analysis does.
"""

import numpy as np
from scipy.integrate import simpson
from scipy.interpolate import InterpolatedUnivariateSpline as IUS
from scipy.stats import norm

AMP_KNOTS = np.linspace(-110, 30, 31)
TRACK_KNOTS = np.linspace(-110, 30, 17)
BG_KNOTS = np.linspace(-120, 40, 7)


def log_rate(phi1, phi2, p):
    amp = IUS(AMP_KNOTS, p["ln_amp"], k=3)(phi1)
    mean = IUS(TRACK_KNOTS, p["track"], k=3)(phi1)
    sd = np.exp(IUS(TRACK_KNOTS, p["ln_width"], k=3)(phi1))
    stream = amp + norm.logpdf(phi2, mean, sd)
    bg = IUS(BG_KNOTS, p["ln_bg"], k=3)(phi1)
    return np.logaddexp(stream, bg)


def objective(p, phi1, phi2, *, step=0.1, window=((-100.0, 20.0), (-7.0, 5.0))):
    p = {k: np.asarray(v, dtype=np.float64) for k, v in p.items()}
    g1 = np.linspace(
        window[0][0], window[0][1], int(round((window[0][1] - window[0][0]) / step)) + 1
    )
    g2 = np.linspace(
        window[1][0], window[1][1], int(round((window[1][1] - window[1][0]) / step)) + 1
    )
    P1, P2 = np.meshgrid(g1, g2, indexing="ij")
    rate = np.exp(log_rate(P1.ravel(), P2.ravel(), p)).reshape(P1.shape)
    integral = simpson(simpson(rate, x=g2, axis=1), x=g1)
    loglike = np.sum(log_rate(phi1, phi2, p)) - integral
    logprior = sum(
        np.sum(norm.logpdf(p[k][1:], p[k][:-1], 1.0)) for k in ("ln_amp", "track", "ln_width")
    )
    return -(loglike + logprior) / phi1.size
