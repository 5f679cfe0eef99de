"""NUTS through blackjax with Stan window adaptation, several chains, progress and checkpoints.

The run is cut into chunks of ``chunk_size`` steps, each one compiled ``lax.scan`` over all
chains (``vmap``). Between chunks the progress bar moves and, if asked, the full sampler state
is written atomically to a checkpoint. The random key of step ``i`` is
``fold_in(phase_key, i)``, so a run resumed from a checkpoint reproduces the uninterrupted
chain exactly, whatever the chunking.
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
from blackjax.adaptation.mass_matrix import mass_matrix_adaptation
from blackjax.adaptation.step_size import dual_averaging_adaptation
from blackjax.adaptation.window_adaptation import build_schedule
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
    for name, val, lo in [
        ("num_warmup", num_warmup, 0),
        ("num_samples", num_samples, 1),
        ("num_chains", num_chains, 1),
        ("chunk_size", chunk_size, 1),
    ]:
        check_count(name, val, lo)
    check_count("max_num_doublings", max_num_doublings, 1)
    if not (np.isfinite(init_scale) and init_scale >= 0):
        raise ValueError(f"init_scale must be finite and >= 0; got {init_scale!r}")
    if not 0.0 < target_accept < 1.0:
        raise ValueError(f"target_accept must lie in (0, 1); got {target_accept}")

    init_params = float_params(init_params)
    layout = make_layout(init_params)
    x0, _ = ravel_pytree(init_params)
    check_finite_params(x0, names=layout.names)
    dim = int(x0.size)
    check_mode(mode)
    logdens_flat = lambda x: logdensity_fn(layout.unravel(x))
    if mode == "forward":
        logdens_flat = forward_gradient(logdens_flat)
    v0, g0 = jax.jit(jax.value_and_grad(logdens_flat))(x0)
    check_finite_start(v0, g0, what="log density", names=layout.names)

    key_init, key_warm, key_samp = jax.random.split(key, 3)
    if chain_inits is not None:
        positions = jax.vmap(lambda p: ravel_pytree(p)[0])(chain_inits).astype(x0.dtype)
        check_finite_params(positions, argname="chain_inits")
        if positions.shape != (num_chains, dim):
            raise ValueError(
                f"chain_inits must have a leading axis of num_chains={num_chains}; "
                f"got flat shape {positions.shape}"
            )
    else:
        noise = jax.random.normal(key_init, (num_chains, dim), dtype=x0.dtype)
        positions = x0[None, :] + init_scale * noise
    lds = jax.vmap(logdens_flat)(positions)
    if not np.all(np.isfinite(np.asarray(lds))):
        raise ValueError("log density is not finite at some chain starts; reduce init_scale")

    kernel = blackjax.nuts.build_kernel()
    da_init, da_update, da_final = dual_averaging_adaptation(target_accept)
    mm_init, mm_update, mm_final = mass_matrix_adaptation(is_diagonal_matrix=not dense_mass)

    imm0 = None
    if initial_inverse_mass_matrix is not None:
        imm0 = jnp.asarray(initial_inverse_mass_matrix, dtype=x0.dtype)
        want = (dim, dim) if dense_mass else (dim,)
        if imm0.shape != want:
            raise ValueError(
                f"initial_inverse_mass_matrix must have shape {want} "
                f"(dense_mass={dense_mass}); got {imm0.shape}"
            )
    if not initial_step_size > 0:
        raise ValueError(f"initial_step_size must be > 0; got {initial_step_size}")

    def adapt_init(_):
        mm = mm_init(dim) if imm0 is None else mm_init(dim, imm0)
        step0 = jnp.asarray(initial_step_size, dtype=x0.dtype)
        return _Adapt(da_init(step0), mm, step0, mm.inverse_mass_matrix)

    def slow_final(ad):
        mm = mm_final(ad.mm)
        ss = da_init(da_final(ad.ss))
        return _Adapt(ss, mm, jnp.exp(ss.log_step_size), mm.inverse_mass_matrix)

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
        ss = da_update(ad.ss, info.acceptance_rate)
        mm = jax.lax.cond(
            stage == 1, lambda m: mm_update(m, new_state.position), lambda m: m, ad.mm
        )
        ad = _Adapt(ss, mm, jnp.exp(ss.log_step_size), ad.inverse_mass_matrix)
        ad = jax.lax.cond(is_end, slow_final, lambda a: a, ad)
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

    states = jax.vmap(lambda x: blackjax.nuts.init(x, logdens_flat))(positions)
    adapt = jax.vmap(adapt_init)(jnp.arange(num_chains))
    int_dtype = jnp.asarray(0).dtype
    outputs = {
        "position": np.zeros((num_chains, num_samples, dim), dtype=x0.dtype),
        "logdensity": np.zeros((num_chains, num_samples), dtype=x0.dtype),
        "is_divergent": np.zeros((num_chains, num_samples), dtype=bool),
        "acceptance_rate": np.zeros((num_chains, num_samples), dtype=x0.dtype),
        "num_integration_steps": np.zeros((num_chains, num_samples), dtype=int_dtype),
        "warmup_divergent": np.zeros((num_chains,), dtype=int_dtype),
    }
    phase, step = "warmup", 0
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
    if checkpoint is not None and pathlib.Path(checkpoint).exists():
        template = {"states": states, "adapt": adapt, "outputs": outputs}
        tree, meta = load_checkpoint(checkpoint, template, expected_meta=settings)
        states, adapt, outputs = tree["states"], tree["adapt"], tree["outputs"]
        outputs = {k: np.array(v) for k, v in outputs.items()}
        phase, step = meta["phase"], int(meta["step"])

    def save(phase_, step_):
        if checkpoint is not None:
            save_checkpoint(
                checkpoint,
                {"states": states, "adapt": adapt, "outputs": outputs},
                dict(settings, phase=phase_, step=step_),
            )

    schedule = (
        np.asarray(build_schedule(num_warmup), dtype=int).reshape(-1, 2)
        if num_warmup
        else np.zeros((0, 2), dtype=int)
    )
    bar = None
    if progress_bar:
        from tqdm.auto import tqdm

        done = step if phase == "warmup" else num_warmup + step
        bar = tqdm(
            total=num_warmup + num_samples,
            initial=done,
            desc=f"NUTS {num_chains} chains",
            unit="step",
            leave=False,
        )

    t_warm0 = time.perf_counter()
    try:
        while phase == "warmup" and step < num_warmup:
            n = min(chunk_size, num_warmup - step)
            idx = jnp.arange(step, step + n)
            states, adapt, divs = warm_chunk(
                states,
                adapt,
                idx,
                jnp.asarray(schedule[step : step + n, 0]),
                jnp.asarray(schedule[step : step + n, 1], dtype=bool),
            )
            outputs["warmup_divergent"] = outputs["warmup_divergent"] + np.asarray(divs)
            step += n
            save("warmup", step)
            if bar is not None:
                bar.update(n)
                bar.set_postfix(phase="warmup", step_size=f"{float(jnp.mean(adapt.step_size)):.3g}")
            if callback is not None:
                callback({"phase": "warmup", "step": step, "total": num_warmup})
        if phase == "warmup":
            if num_warmup:
                adapt = adapt._replace(step_size=jax.vmap(da_final)(adapt.ss))
            phase, step = "sampling", 0
            save(phase, step)
        t_samp0 = time.perf_counter()
        while step < num_samples:
            n = min(chunk_size, num_samples - step)
            states, outs = sample_chunk(states, adapt, jnp.arange(step, step + n))
            for name, arr in zip(
                [
                    "position",
                    "logdensity",
                    "is_divergent",
                    "acceptance_rate",
                    "num_integration_steps",
                ],
                outs,
                strict=True,
            ):
                outputs[name][:, step : step + n] = np.asarray(arr)
            step += n
            save(phase, step)
            if bar is not None:
                bar.update(n)
                bar.set_postfix(
                    phase="sampling", divergences=int(outputs["is_divergent"][:, :step].sum())
                )
            if callback is not None:
                callback({"phase": "sampling", "step": step, "total": num_samples})
        t_end = time.perf_counter()
    finally:
        if bar is not None:
            bar.close()

    flat = jnp.asarray(outputs["position"])
    samples = jax.vmap(jax.vmap(layout.unravel))(flat)
    return NUTSResult(
        samples=samples,
        flat_samples=flat,
        logdensity=jnp.asarray(outputs["logdensity"]),
        is_divergent=jnp.asarray(outputs["is_divergent"]),
        acceptance_rate=jnp.asarray(outputs["acceptance_rate"]),
        num_integration_steps=jnp.asarray(outputs["num_integration_steps"]),
        step_size=adapt.step_size,
        inverse_mass_matrix=adapt.inverse_mass_matrix,
        num_warmup_divergent=jnp.asarray(outputs["warmup_divergent"]),
        warmup_time_s=t_samp0 - t_warm0,
        sampling_time_s=t_end - t_samp0,
        layout=layout,
    )
