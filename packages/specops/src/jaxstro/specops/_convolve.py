"""Same-length convolution of a spectrum with a centred odd kernel, by FFT."""

from __future__ import annotations

import jax
import jax.numpy as jnp

EDGES = ("extend", "zero")


def fast_length(n: int) -> int:
    """Smallest 2^a 3^b 5^c >= n (a length the FFT handles fast)."""
    best = 1 << max(int(n - 1).bit_length(), 0)
    p5 = 1
    while p5 < best:
        p35 = p5
        while p35 < best:
            m = p35
            while m < n:
                m *= 2
            best = min(best, m)
            p35 *= 3
        p5 *= 5
    return best


def convolve_same(spectrum: jax.Array, kernel: jax.Array, *, edge: str) -> jax.Array:
    """``out[..., j] = sum_k spectrum[..., j - k] kernel[k + half]`` for ``|k| <= half``.

    ``edge`` decides what lies beyond the grid: "extend" repeats the end values (a flat
    continuum stays flat up to the ends), "zero" pads with zeros (ExoJAX's
    ``convolve_same``; the ends dim by the part of the kernel that falls outside)."""
    n = spectrum.shape[-1]
    half = (kernel.shape[-1] - 1) // 2
    width = [(0, 0)] * (spectrum.ndim - 1) + [(half, half)]
    if edge == "extend":
        padded = jnp.pad(spectrum, width, mode="edge")
    else:
        padded = jnp.pad(spectrum, width)
    length = fast_length(n + 2 * half)
    y = jnp.fft.irfft(jnp.fft.rfft(padded, length) * jnp.fft.rfft(kernel, length), length)
    return jax.lax.slice_in_dim(y, 2 * half, 2 * half + n, axis=-1).astype(spectrum.dtype)
