"""Published numbers the validation page compares against (typed in from the source, with
provenance; these are the references, never measurements of jaxstro).

GD-1 spline stream model: A. Price-Whelan, "Flexible (stellar spatial) density models with
JAX" (blog post, 2022-08-31, https://adrian.pw/blog/flexible-density-model-jax/). The
executed notebook is ``post.ipynb`` in https://github.com/adrn-blog/post--flexible-density-model-jax
(branch "executed", commit ce3693754050ce4320679eb1206f66c0d0d6b379): cell outputs of
``sco.minimize(..., method="l-bfgs-b")`` on the 2,960 stars with phi2 > -7 deg
(``res.fun``; ``opt_pars`` printed to 8 decimals). Blog names -> jaxstro names:
ln_n0 -> ln_amp, mean_phi2 -> track, ln_std_phi2 -> ln_width, ln_n0_bkg -> ln_bg.
"""

GD1_SOURCE = (
    "A. Price-Whelan (2022), 'Flexible (stellar spatial) density models with JAX', "
    "executed notebook adrn-blog/post--flexible-density-model-jax@ce36937 (post.ipynb)"
)
GD1_OBJECTIVE = -0.4172804414762403
GD1_OBJECTIVE_INIT = -0.05543877  # objective at the blog's own histogram initialisation

GD1_PARAMS = {
    "ln_amp": [
        -1.29724792,
        -1.29012651,
        -1.32220017,
        -1.01112565,
        -0.4372693,
        0.58312065,
        1.56485491,
        1.84623316,
        1.86679529,
        1.75244974,
        1.79167502,
        2.39936208,
        2.96517374,
        3.28641774,
        3.13259102,
        2.63325926,
        2.72104495,
        2.89475705,
        2.89169773,
        1.78894259,
        2.6488234,
        3.05108255,
        2.03688664,
        2.74065293,
        2.74767283,
        1.03251669,
        0.73350755,
        -0.19425672,
        -0.36811195,
        -0.38745796,
        -0.38802526,
    ],
    "track": [
        -4.32570901,
        -4.29026727,
        -4.60164536,
        -2.65188131,
        -1.68654545,
        -1.0399299,
        -0.49073281,
        0.01935266,
        0.15563387,
        0.07482995,
        0.0315922,
        -0.10760813,
        -0.75555268,
        -1.5350805,
        -1.82638106,
        -1.86999619,
        -1.86537359,
    ],
    "ln_width": [
        -1.83413212,
        -1.86183605,
        -1.61951924,
        -0.98992293,
        -0.53122539,
        -0.83928341,
        -1.24429333,
        -1.24835943,
        -1.08013281,
        -1.86097141,
        -1.66590174,
        -1.82412536,
        -1.64303541,
        -1.32500325,
        -1.95722173,
        -1.62772084,
        -1.67305163,
    ],
    "ln_bg": [
        -2.76395382,
        -0.72947985,
        -0.56382768,
        0.23704327,
        0.85720292,
        0.13801779,
        1.7967009,
    ],
}

# TIPS 2021 (Gamache et al. 2021, JQSRT 271, 107713): Q(296 K) of 12C16O, as tabulated by HITRAN
TIPS2021_Q296_CO = 107.42
