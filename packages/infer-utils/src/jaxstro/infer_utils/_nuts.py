"""NUTS through blackjax with Stan window adaptation, several chains, progress and checkpoints.

The run is cut into chunks of ``chunk_size`` steps, each one compiled ``lax.scan`` over all
chains (``vmap``). Between chunks the progress bar moves and, if asked, the full sampler state
is written atomically to a checkpoint. The random key of step ``i`` is
``fold_in(phase_key, i)``, so a run resumed from a checkpoint reproduces the uninterrupted
chain exactly, whatever the chunking.

The run reads top to bottom as five parts: check the options (``_check_options``), flatten the
density and check the start (``_flat_density``), place the chains (``_chain_starts``), build
Stan's warm-up from blackjax's adaptation building blocks (``_stan_warmup``) and the two compiled
chunk functions (``_compile_chunks``), then drive the chunks with progress and checkpoints
(``_Driver``).

blackjax names used: ``blackjax.nuts`` (``init``, ``build_kernel``) and, for the warm-up,
``blackjax.adaptation.window_adaptation.build_schedule``,
``blackjax.adaptation.mass_matrix.mass_matrix_adaptation`` and
``blackjax.adaptation.step_size.dual_averaging_adaptation`` -- public functions (in their
modules' ``__all__`` and blackjax's API reference; none is deprecated in blackjax 1.7). The
one-call ``blackjax.window_adaptation(...).run`` runs the whole warm-up as a single compiled
loop, which cannot be checkpointed or report progress between windows; its deprecated
``window_adaptation.base`` is what the three building blocks replace.
"""

from __future__ import annotations

import os
import pathlib
import time
from collections.abc import Callable
from typing import Any, NamedTuple

import blackjax
import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from jaxstro.infer_utils._checkpoint import load_checkpoint, save_checkpoint
from jaxstro.infer_utils._checks import (
    check_count,
    check_finite_params,
    check_finite_start,
    float_params,
)
from jaxstro.infer_utils._modes import check_mode, forward_gradient
from jaxstro.infer_utils._params import ParamLayout, make_layout

__all__ = ["NUTSResult", "run_nuts"]


class NUTSResult(NamedTuple):
    """Draws and sampler statistics of :func:`run_nuts`; leading axes (chain, draw)."""

    samples: Any  # pytree like init_params, leaves (chains, draws, ...)
    flat_samples: jax.Array  # (chains, draws, d)
    logdensity: jax.Array  # (chains, draws)
    is_divergent: jax.Array  # (chains, draws) bool
    acceptance_rate: jax.Array  # (chains, draws)
    num_integration_steps: jax.Array  # (chains, draws)
    step_size: jax.Array  # (chains,) adapted
    inverse_mass_matrix: jax.Array  # (chains, d) or (chains, d, d)
    num_warmup_divergent: jax.Array  # (chains,)
    warmup_time_s: float
    sampling_time_s: float
    layout: ParamLayout

    @property
    def num_divergent(self) -> int:
        return int(np.sum(np.asarray(self.is_divergent)))

    @property
    def samples_per_second(self) -> float:
        """Post-warmup draws (all chains) per second of wall time, compile time included."""
        n = int(np.prod(np.shape(self.logdensity)))
        return n / self.sampling_time_s if self.sampling_time_s > 0 else float("nan")


class _Adapt(NamedTuple):
    ss: Any
    mm: Any
    step_size: jax.Array
    inverse_mass_matrix: jax.Array


def _key_meta(key) -> list[int]:
    try:
        data = jax.random.key_data(key)
    except (TypeError, ValueError):
        data = key
    return [int(v) for v in np.asarray(data).ravel()]


def run_nuts(
    logdensity_fn: Callable[[Any], jax.Array],
    init_params: Any,
    key: jax.Array,
    *,
    num_warmup: int = 1000,
    num_samples: int = 1000,
    num_chains: int = 4,
    target_accept: float = 0.8,
    dense_mass: bool = False,
    max_num_doublings: int = 10,
    initial_step_size: float = 1.0,
    initial_inverse_mass_matrix=None,
    init_scale: float = 0.0,
    chain_inits: Any = None,
    chunk_size: int = 100,
    checkpoint: str | os.PathLike | None = None,
    progress_bar: bool = True,
    callback: Callable[[dict], None] | None = None,
    mode: str = "reverse",
) -> NUTSResult:
    """Sample ``logdensity_fn(params)`` with NUTS (blackjax) after Stan's window adaptation.

    Parameters
    ----------
    logdensity_fn : log posterior density of a parameter pytree (up to a constant).
    init_params : starting pytree (e.g. the MAP); defines the structure of the samples.
    key : JAX PRNG key.
    num_warmup, num_samples, num_chains : adaptation steps, kept draws and chains.
    target_accept : dual-averaging target acceptance rate.
    dense_mass : adapt a dense (True) or diagonal (False) inverse mass matrix.
    initial_step_size : first step size of the dual averaging.
    initial_inverse_mass_matrix : (d,) or (d, d) starting inverse mass matrix (e.g. the diagonal
        of a Laplace covariance); it is replaced at the end of the first slow window, but a good
        one avoids the very long trajectories of the first warmup steps.
    init_scale : each chain starts at ``init_params + init_scale * N(0, 1)`` in flat space.
    chain_inits : pytree with a leading ``num_chains`` axis of explicit starts (overrides).
    chunk_size : steps per compiled chunk; progress and checkpoints happen between chunks.
    checkpoint : path of a checkpoint file. If it exists (and matches this run's settings and
        key) the run resumes from it; it is rewritten atomically after every chunk. A killed run
        loses at most one chunk, and the resumed chains equal the uninterrupted ones.
    callback : called after every chunk with ``{"phase", "step", "total"}``.
    mode : "reverse" (default) or "forward": the leapfrog gradients from reverse-mode autodiff
        or from jacfwd (one forward pass per parameter, memory of one evaluation; for models
        whose reverse-mode intermediates do not fit). Same chains to rounding.

    Returns
    -------
    NUTSResult
        ``samples`` (pytree like ``init_params``, leaves (chains, draws, ...), the parameters'
        units), ``flat_samples`` (chains, draws, d), ``logdensity`` [nats],
        ``is_divergent``, ``acceptance_rate``, ``num_integration_steps`` (chains, draws),
        the adapted ``step_size`` (chains,), and timings.

    Notes
    -----
    Each chain adapts its own step size and mass matrix (as Stan does).
    """
    _check_options(
        num_warmup, num_samples, num_chains, chunk_size, max_num_doublings, init_scale,
        target_accept, initial_step_size,
    )  # fmt: skip
    layout, x0, logdens_flat = _flat_density(logdensity_fn, init_params, mode)
    dim = int(x0.size)
    imm0 = _check_inverse_mass_matrix(initial_inverse_mass_matrix, dim, dense_mass, x0.dtype)
    key_init, key_warm, key_samp = jax.random.split(key, 3)
    positions = _chain_starts(key_init, x0, logdens_flat, num_chains, init_scale, chain_inits)

    warmup = _stan_warmup(target_accept, dense_mass, imm0, initial_step_size, dim, x0.dtype)
    warm_chunk, sample_chunk = _compile_chunks(
        logdens_flat, warmup, max_num_doublings, key_warm, key_samp, num_chains
    )
    states = jax.vmap(lambda x: blackjax.nuts.init(x, logdens_flat))(positions)
    adapt = jax.vmap(lambda _: warmup.init())(jnp.arange(num_chains))

    settings = dict(
        num_warmup=int(num_warmup),
        num_samples=int(num_samples),
        num_chains=int(num_chains),
        dim=dim,
        target_accept=float(target_accept),
        dense_mass=bool(dense_mass),
        max_num_doublings=int(max_num_doublings),
        initial_step_size=float(initial_step_size),
        key=_key_meta(key),
        init=[float(v) for v in np.asarray(positions).ravel()[:64]],
    )
    if mode != "reverse":  # (absent for reverse mode: earlier checkpoints stay valid)
        settings["mode"] = mode
    driver = _Driver(states, adapt, num_warmup, num_samples, dim, x0.dtype, settings, checkpoint)
    driver.run(warm_chunk, sample_chunk, warmup, chunk_size, progress_bar, callback)

    flat = jnp.asarray(driver.outputs["position"])
    return NUTSResult(
        samples=jax.vmap(jax.vmap(layout.unravel))(flat),
        flat_samples=flat,
        logdensity=jnp.asarray(driver.outputs["logdensity"]),
        is_divergent=jnp.asarray(driver.outputs["is_divergent"]),
        acceptance_rate=jnp.asarray(driver.outputs["acceptance_rate"]),
        num_integration_steps=jnp.asarray(driver.outputs["num_integration_steps"]),
        step_size=driver.adapt.step_size,
        inverse_mass_matrix=driver.adapt.inverse_mass_matrix,
        num_warmup_divergent=jnp.asarray(driver.outputs["warmup_divergent"]),
        warmup_time_s=driver.warmup_time_s,
        sampling_time_s=driver.sampling_time_s,
        layout=layout,
    )


# --- 1. options and the start -------------------------------------------------------------


def _check_options(
    num_warmup, num_samples, num_chains, chunk_size, max_num_doublings, init_scale,
    target_accept, initial_step_size,
):  # fmt: skip
    for name, val, lo in [
        ("num_warmup", num_warmup, 0),
        ("num_samples", num_samples, 1),
        ("num_chains", num_chains, 1),
        ("chunk_size", chunk_size, 1),
        ("max_num_doublings", max_num_doublings, 1),
    ]:
        check_count(name, val, lo)
    if not (np.isfinite(init_scale) and init_scale >= 0):
        raise ValueError(f"init_scale must be finite and >= 0; got {init_scale!r}")
    if not 0.0 < target_accept < 1.0:
        raise ValueError(f"target_accept must lie in (0, 1); got {target_accept}")
    if not initial_step_size > 0:
        raise ValueError(f"initial_step_size must be > 0; got {initial_step_size}")


def _flat_density(logdensity_fn, init_params, mode):
    """(layout, x0, log density of the flat vector); raises if the start is not finite."""
    init_params = float_params(init_params)
    layout = make_layout(init_params)
    x0, _ = ravel_pytree(init_params)
    check_finite_params(x0, names=layout.names)
    check_mode(mode)
    logdens_flat = lambda x: logdensity_fn(layout.unravel(x))
    if mode == "forward":
        logdens_flat = forward_gradient(logdens_flat)
    v0, g0 = jax.jit(jax.value_and_grad(logdens_flat))(x0)
    check_finite_start(v0, g0, what="log density", names=layout.names)
    return layout, x0, logdens_flat


def _check_inverse_mass_matrix(imm, dim, dense_mass, dtype):
    if imm is None:
        return None
    imm = jnp.asarray(imm, dtype=dtype)
    want = (dim, dim) if dense_mass else (dim,)
    if imm.shape != want:
        raise ValueError(
            f"initial_inverse_mass_matrix must have shape {want} "
            f"(dense_mass={dense_mass}); got {imm.shape}"
        )
    return imm


def _chain_starts(key, x0, logdens_flat, num_chains, init_scale, chain_inits):
    """(num_chains, d) starts: explicit ``chain_inits`` or ``x0 + init_scale * N(0, 1)``."""
    dim = x0.size
    if chain_inits is not None:
        positions = jax.vmap(lambda p: ravel_pytree(p)[0])(chain_inits).astype(x0.dtype)
        check_finite_params(positions, argname="chain_inits")
        if positions.shape != (num_chains, dim):
            raise ValueError(
                f"chain_inits must have a leading axis of num_chains={num_chains}; "
                f"got flat shape {positions.shape}"
            )
    else:
        noise = jax.random.normal(key, (num_chains, dim), dtype=x0.dtype)
        positions = x0[None, :] + init_scale * noise
    if not np.all(np.isfinite(np.asarray(jax.vmap(logdens_flat)(positions)))):
        raise ValueError("log density is not finite at some chain starts; reduce init_scale")
    return positions


# --- 2. Stan's window adaptation, one chain -----------------------------------------------


class _Warmup(NamedTuple):
    """Per-chain warm-up: ``init() -> _Adapt``; ``update(ad, stage, is_window_end, position,
    acceptance) -> _Adapt``; ``final_step_size(ad)``; the (num_warmup, 2) ``schedule``."""

    init: Callable
    update: Callable
    final_step_size: Callable
    schedule: Callable


def _stan_warmup(target_accept, dense_mass, imm0, initial_step_size, dim, dtype) -> _Warmup:
    """Stan's schedule: a fast window (step size only, dual averaging towards
    ``target_accept``), doubling slow windows (the mass matrix re-estimated by Welford at each
    window's end, the dual averaging restarted at the last step size), a final fast window."""
    adaptation = blackjax.adaptation
    da_init, da_update, da_final = adaptation.step_size.dual_averaging_adaptation(target_accept)
    mm_init, mm_update, mm_final = adaptation.mass_matrix.mass_matrix_adaptation(
        is_diagonal_matrix=not dense_mass
    )

    def init():
        mm = mm_init(dim) if imm0 is None else mm_init(dim, imm0)
        step0 = jnp.asarray(initial_step_size, dtype=dtype)
        return _Adapt(da_init(step0), mm, step0, mm.inverse_mass_matrix)

    def end_of_slow_window(ad):
        mm = mm_final(ad.mm)
        ss = da_init(da_final(ad.ss))
        return _Adapt(ss, mm, jnp.exp(ss.log_step_size), mm.inverse_mass_matrix)

    def update(ad, stage, is_window_end, position, acceptance_rate):
        ss = da_update(ad.ss, acceptance_rate)
        mm = jax.lax.cond(stage == 1, lambda m: mm_update(m, position), lambda m: m, ad.mm)
        ad = _Adapt(ss, mm, jnp.exp(ss.log_step_size), ad.inverse_mass_matrix)
        return jax.lax.cond(is_window_end, end_of_slow_window, lambda a: a, ad)

    def schedule(num_warmup):
        if not num_warmup:
            return np.zeros((0, 2), dtype=int)
        build = adaptation.window_adaptation.build_schedule
        return np.asarray(build(num_warmup), dtype=int).reshape(-1, 2)

    return _Warmup(init, update, lambda ad: da_final(ad.ss), schedule)


# --- 3. the compiled chunks: lax.scan over steps of vmap over chains ----------------------


def _compile_chunks(logdens_flat, warmup, max_num_doublings, key_warm, key_samp, num_chains):
    kernel = blackjax.nuts.build_kernel()

    def nuts_step(key, state, ad):
        return kernel(
            key,
            state,
            logdens_flat,
            ad.step_size,
            ad.inverse_mass_matrix,
            max_num_doublings=max_num_doublings,
        )

    def one_chain_warm(key, state, ad, stage, is_end):
        new_state, info = nuts_step(key, state, ad)
        ad = warmup.update(ad, stage, is_end, new_state.position, info.acceptance_rate)
        return new_state, ad, info.is_divergent

    def one_chain_sample(key, state, ad):
        new_state, info = nuts_step(key, state, ad)
        out = (
            new_state.position,
            new_state.logdensity,
            info.is_divergent,
            info.acceptance_rate,
            info.num_integration_steps,
        )
        return new_state, out

    @jax.jit
    def warm_chunk(states, adapt, idx, stage, is_end):
        def body(carry, xs):
            st, ad = carry
            i, sg, end = xs
            keys = jax.random.split(jax.random.fold_in(key_warm, i), num_chains)
            st, ad, div = jax.vmap(one_chain_warm, in_axes=(0, 0, 0, None, None))(
                keys, st, ad, sg, end
            )
            return (st, ad), div

        (states, adapt), divs = jax.lax.scan(body, (states, adapt), (idx, stage, is_end))
        return states, adapt, jnp.sum(divs, axis=0)

    @jax.jit
    def sample_chunk(states, adapt, idx):
        def body(st, i):
            keys = jax.random.split(jax.random.fold_in(key_samp, i), num_chains)
            return jax.vmap(one_chain_sample)(keys, st, adapt)

        states, outs = jax.lax.scan(body, states, idx)
        return states, jax.tree_util.tree_map(lambda a: jnp.swapaxes(a, 0, 1), outs)

    return warm_chunk, sample_chunk


# --- 4. the driver: chunks, progress, checkpoints -----------------------------------------

_OUTPUT_NAMES = (
    "position",
    "logdensity",
    "is_divergent",
    "acceptance_rate",
    "num_integration_steps",
)


class _Driver:
    """Runs the warm-up then the sampling in chunks; after every chunk the progress bar moves,
    the callback is called and the whole state (chains, adaptation, outputs so far, phase and
    step) is written atomically to the checkpoint, from which a new run resumes."""

    def __init__(self, states, adapt, num_warmup, num_samples, dim, dtype, settings, checkpoint):
        num_chains = settings["num_chains"]
        self.states, self.adapt = states, adapt
        self.num_warmup, self.num_samples = num_warmup, num_samples
        self.settings, self.checkpoint = settings, checkpoint
        int_dtype = jnp.asarray(0).dtype
        self.outputs = {
            "position": np.zeros((num_chains, num_samples, dim), dtype=dtype),
            "logdensity": np.zeros((num_chains, num_samples), dtype=dtype),
            "is_divergent": np.zeros((num_chains, num_samples), dtype=bool),
            "acceptance_rate": np.zeros((num_chains, num_samples), dtype=dtype),
            "num_integration_steps": np.zeros((num_chains, num_samples), dtype=int_dtype),
            "warmup_divergent": np.zeros((num_chains,), dtype=int_dtype),
        }
        self.phase, self.step = "warmup", 0
        self.warmup_time_s = self.sampling_time_s = 0.0
        if checkpoint is not None and pathlib.Path(checkpoint).exists():
            tree, meta = load_checkpoint(checkpoint, self._tree(), expected_meta=settings)
            self.states, self.adapt = tree["states"], tree["adapt"]
            self.outputs = {k: np.array(v) for k, v in tree["outputs"].items()}
            self.phase, self.step = meta["phase"], int(meta["step"])

    def _tree(self):
        return {"states": self.states, "adapt": self.adapt, "outputs": self.outputs}

    def _save(self):
        if self.checkpoint is not None:
            meta = dict(self.settings, phase=self.phase, step=self.step)
            save_checkpoint(self.checkpoint, self._tree(), meta)

    def run(self, warm_chunk, sample_chunk, warmup, chunk_size, progress_bar, callback):
        bar = None
        if progress_bar:
            from tqdm.auto import tqdm

            done = self.step if self.phase == "warmup" else self.num_warmup + self.step
            bar = tqdm(
                total=self.num_warmup + self.num_samples,
                initial=done,
                desc=f"NUTS {self.settings['num_chains']} chains",
                unit="step",
                leave=False,
            )
        try:
            t0 = time.perf_counter()
            self._warm(warm_chunk, warmup, chunk_size, bar, callback)
            t1 = time.perf_counter()
            self._sample(sample_chunk, chunk_size, bar, callback)
            self.warmup_time_s, self.sampling_time_s = t1 - t0, time.perf_counter() - t1
        finally:
            if bar is not None:
                bar.close()

    def _warm(self, warm_chunk, warmup, chunk_size, bar, callback):
        schedule = warmup.schedule(self.num_warmup)
        while self.phase == "warmup" and self.step < self.num_warmup:
            n = min(chunk_size, self.num_warmup - self.step)
            rows = schedule[self.step : self.step + n]
            self.states, self.adapt, divs = warm_chunk(
                self.states,
                self.adapt,
                jnp.arange(self.step, self.step + n),
                jnp.asarray(rows[:, 0]),
                jnp.asarray(rows[:, 1], dtype=bool),
            )
            self.outputs["warmup_divergent"] += np.asarray(divs)
            self.step += n
            self._save()
            if bar is not None:
                bar.update(n)
                bar.set_postfix(
                    phase="warmup", step_size=f"{float(jnp.mean(self.adapt.step_size)):.3g}"
                )
            if callback is not None:
                callback({"phase": "warmup", "step": self.step, "total": self.num_warmup})
        if self.phase == "warmup":  # the adapted step size: dual averaging's final average
            if self.num_warmup:
                final = jax.vmap(warmup.final_step_size)(self.adapt)
                self.adapt = self.adapt._replace(step_size=final)
            self.phase, self.step = "sampling", 0
            self._save()

    def _sample(self, sample_chunk, chunk_size, bar, callback):
        while self.step < self.num_samples:
            n = min(chunk_size, self.num_samples - self.step)
            idx = jnp.arange(self.step, self.step + n)
            self.states, outs = sample_chunk(self.states, self.adapt, idx)
            for name, arr in zip(_OUTPUT_NAMES, outs, strict=True):
                self.outputs[name][:, self.step : self.step + n] = np.asarray(arr)
            self.step += n
            self._save()
            if bar is not None:
                bar.update(n)
                n_div = int(self.outputs["is_divergent"][:, : self.step].sum())
                bar.set_postfix(phase="sampling", divergences=n_div)
            if callback is not None:
                callback({"phase": "sampling", "step": self.step, "total": self.num_samples})
