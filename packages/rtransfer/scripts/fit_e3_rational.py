"""Fit the rationals of h(x) = x e^x E3(x) used by jaxstro.rtransfer._expint (run once; prints
the coefficients pasted there).

Reference: the continued fraction of E3 (Abramowitz & Stegun 5.1.22) at depth 4000 in numpy's
extended precision (long double, 64-bit mantissa). Fit: minimax in relative error by Lawson
iteration on a linearised least-squares problem in the Chebyshev basis (1200 Chebyshev nodes),
then converted to monomials in z and rounded to float64; the reported error is that of the
rounded coefficients on 8000 points.

    interval [1, 4):   z = (2 x - 5) / 3
    interval [4, inf): z = 8 / x - 1

    python packages/rtransfer/scripts/fit_e3_rational.py   (about a minute)
"""

import numpy as np
from numpy.polynomial import chebyshev as C
from numpy.polynomial import polynomial as Pm

L = np.longdouble


def t3_ld(x, depth=4000):
    """exp(-x) / E3(x) by the backward continued fraction, long double."""
    x = np.asarray(x, dtype=L)
    n = L(3)
    t = x + n + 2 * depth
    for k in range(depth, 0, -1):
        t = x + n + L(2 * (k - 1)) - L(k) * (n + k - 1) / t
    return t


def xmap(kind, z):
    if kind[0] == "lin":
        a, b = kind[1], kind[2]
        return (L(a) + L(b)) / 2 + (L(b) - L(a)) / 2 * z
    return L(2 * kind[1]) / (z + 1)  # z = 2 x0 / x - 1


def fit(kind, m, npts=1200, iters=60):
    z = np.cos(np.pi * (np.arange(npts) + 0.5) / npts).astype(L)
    x = xmap(kind, z)
    f = x / t3_ld(x)
    zd = np.linspace(-1, 1, 8001).astype(L)
    if kind[0] != "lin":
        zd = zd[1:]
    xd = xmap(kind, zd)
    fd = xd / t3_ld(xd)
    T = np.stack([np.cos(j * np.arccos(z.astype(float))) for j in range(m + 1)], 1).astype(L)
    q = np.ones(npts, dtype=L)
    w = np.ones(npts, dtype=L) / npts
    best = None
    for _ in range(iters):
        A = np.hstack([T[:, : m + 1], -(f[:, None] * T[:, 1 : m + 1])])
        wt = np.sqrt(w) / np.abs(q) / f
        Af, b = (A * wt[:, None]).astype(float), f * wt
        c = np.linalg.lstsq(Af, b.astype(float), rcond=None)[0].astype(L)
        for _ in range(3):  # iterative refinement in long double
            r = (b - (A * wt[:, None]) @ c).astype(float)
            c = c + np.linalg.lstsq(Af, r, rcond=None)[0].astype(L)
        pc, qc = c[: m + 1], np.concatenate([[L(1)], c[m + 1 :]])
        P, Q = C.chebval(z, pc), C.chebval(z, qc)
        err = P / Q / f - 1
        pm, qm = C.cheb2poly(pc), C.cheb2poly(qc)
        pm, qm = (pm / qm[0]).astype(float), (qm / qm[0]).astype(float)
        ed = Pm.polyval(zd, pm.astype(L)) / Pm.polyval(zd, qm.astype(L)) / fd - 1
        e = float(np.max(np.abs(ed)))
        if best is None or e < best[0]:
            best = (e, pm, qm)
        q = Q
        w = w * np.abs(err)
        w = w / w.sum()
    return best


if __name__ == "__main__":
    for kind in (("lin", 1.0, 4.0), ("inf", 4.0)):
        e, p, q = fit(kind, 8)
        print(kind, f"max relative error {e:.2e}")
        print("P", tuple(float(v) for v in p))
        print("Q", tuple(float(v) for v in q))
