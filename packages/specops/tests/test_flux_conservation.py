"""Flux conservation of rotation and the instrumental profile to <= 1e-10 relative: exact when
nothing crosses the grid's ends, and otherwise equal to the numpy bookkeeping of what the edge
treatment lets in or out (zero padding: the kernel mass that falls beyond the ends is lost;
"extend": the repeated end values spill in)."""

import numpy as np
import pytest

from jaxstro.specops import prepare_instrumental_profile, prepare_rotation


def edge_bookkeeping(f, kernel, edge):
    """sum_j out_j in numpy float64: each source pixel i (padded pixels included for "extend")
    contributes s_i times the kernel mass that lands on the grid, W_i = sum_k K_k [0 <= i+k < n]
    (out_j = sum_k s_{j-k} K_k, k = -h..h)."""
    n, h = f.size, (kernel.size - 1) // 2
    i = np.arange(-h, n + h)
    s = (
        f[np.clip(i, 0, n - 1)]
        if edge == "extend"
        else np.where((i >= 0) & (i < n), f[np.clip(i, 0, n - 1)], 0.0)
    )
    w = np.zeros(i.size)
    for k in range(-h, h + 1):
        w += kernel[k + h] * ((i + k >= 0) & (i + k < n))
    return float(np.sum(s * w))


@pytest.fixture(scope="module")
def spectra(grid):
    rng = np.random.default_rng(17)
    x = np.arange(grid.size)
    emission = np.zeros(grid.size)  # lines well inside: nothing reaches the ends
    for c in rng.uniform(200, grid.size - 200, 30):
        emission += rng.uniform(0.1, 1.0) * np.exp(-0.5 * ((x - c) / rng.uniform(0.5, 5.0)) ** 2)
    full = 1.0 + 0.3 * np.sin(x / 50.0) + 0.2 * rng.random(grid.size)  # flux up to the ends
    return emission, full


@pytest.mark.parametrize("kernel", ["integrated", "sampled"])
def test_rotation_conserves_flux(grid, spectra, kernel):
    emission, full = spectra
    for edge in ("zero", "extend"):
        op = prepare_rotation(grid, vsini_max_kms=40.0, kernel=kernel, edge=edge)
        for vsini, u1, u2 in [(0.7, 0.6, 0.0), (8.0, 0.3, 0.2), (39.9, 0.0, 0.0), (25.0, 0.1, 0.6)]:
            out = np.asarray(op.apply(emission, vsini, u1, u2))
            assert abs(out.sum() / emission.sum() - 1) <= 1e-10  # measured ~1e-15
            k = np.asarray(op.kernel_weights(vsini, u1, u2))
            assert abs(k.sum() - 1) <= 1e-13
            out = np.asarray(op.apply(full, vsini, u1, u2))
            ref = edge_bookkeeping(full, k, edge)
            assert abs(out.sum() / ref - 1) <= 1e-10
            if edge == "zero" and vsini > 5:
                assert out.sum() < full.sum() * (1 - 1e-4)  # the ends do lose flux


@pytest.mark.parametrize("kernel", ["integrated", "sampled"])
def test_instrumental_profile_conserves_flux(grid, spectra, kernel):
    emission, full = spectra
    for edge in ("zero", "extend"):
        ip = prepare_instrumental_profile(grid, resolving_power_min=2e4, kernel=kernel, edge=edge)
        for r in (2e4, 7e4, 3e5):
            out = np.asarray(ip.apply(emission, r))
            assert abs(out.sum() / emission.sum() - 1) <= 1e-10
            k = np.asarray(ip.kernel_weights(r))
            out = np.asarray(ip.apply(full, r))
            assert abs(out.sum() / edge_bookkeeping(full, k, edge) - 1) <= 1e-10
