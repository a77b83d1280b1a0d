"""Why a loop step costs what it costs: the compiled program's kernels, copies and arithmetic.

For the backward sweep of `wave.simulate`'s gradient, two ways of carrying the cotangents:
- "(a, b)": the transposed step as notebook 08 first writes it, (a, b) -> (-b, a + 2b +
  D(r2 b)) (the course's solver did this until issue 15);
- "adjoint field": the same numbers carried as two levels of the adjoint field, stepped by
  lam^n = 2 lam^{n+1} - lam^{n+2} + D(r2 lam^{n+1}) (what `wave._reversible_bwd` does now).
For the forward step, ways of writing the walls of the second difference:
- "pad": `jnp.pad(u, 1)` then two slices (`wave.second_difference`, as notebook 04 writes it);
- "concatenate": the shifted copies built by `jnp.concatenate` with one zero;
- "ghost points": the levels carried with one zero beyond each wall, shape (nx + 2,), the
  interior written in place (`.at[1:-1].set`).
Each variant is compiled for a size, its loop body read from `compiled.as_text()` (kernels
launched, carry copies, elementwise operations inside the fused kernels, per time step) and
timed: the variants take turns, 5 rounds of 3 runs, and each keeps its best. Prints JSON;
collect.py calls it in a fresh process.
"""

import collections
import json
import re
import sys

import jax
import jax.numpy as jnp
import numpy as np

from course_utils import timing, wave

ARITHMETIC = ("add", "subtract", "multiply", "negate", "divide")
ROUNDS = 5


def backward_sweep(config, carry_adjoint_field):
    """The reversible gradient's backward loop alone, as a jitted function of (c, u_bar)."""
    difference = wave.second_difference

    def sweep(c, u_bar):
        r2 = wave.courant_squared(c, config)

        def body_ab(_, carry):
            (u_prev, u), (a, b), r2_bar = carry
            d_u_prev = difference(u_prev)
            u_before = 2 * u_prev - u + r2 * d_u_prev
            cotangents = (-b, a + 2 * b + difference(r2 * b))
            return (u_before, u_prev), cotangents, r2_bar + b * d_u_prev

        def body_lam(_, carry):
            (u_prev, u), (lam_next, lam), r2_bar = carry
            d_u_prev = difference(u_prev)
            u_before = 2 * u_prev - u + r2 * d_u_prev
            lam_before = 2 * lam - lam_next + difference(r2 * lam)
            return (u_before, u_prev), (lam, lam_before), r2_bar + lam * d_u_prev

        zero = jnp.zeros_like(u_bar)
        carry = ((u_bar, u_bar), (zero, u_bar), zero)
        body = body_lam if carry_adjoint_field else body_ab
        return jax.lax.fori_loop(0, config.nt, body, carry, unroll=wave.UNROLL)

    return jax.jit(sweep)


def forward_loop(config, walls="pad"):
    """`config.nt` leapfrog steps, the walls written one of three ways (see the top)."""

    def second_difference(u):
        if walls == "concatenate":
            zero = jnp.zeros_like(u[:1])
            return jnp.concatenate([u[1:], zero]) - 2 * u + jnp.concatenate([zero, u[:-1]])
        return wave.second_difference(u)

    def run(c, u_bar):
        r2 = wave.courant_squared(c, config)
        start = wave.initial_conditions(c, config)

        def body(_, state):
            u_prev, u = state
            return u, 2 * u - u_prev + r2 * second_difference(u)

        def body_ghost(_, state):
            u_prev, u = state  # shape (nx + 2,), zero at both ends
            inside = 2 * u[1:-1] - u_prev[1:-1] + r2 * (u[2:] - 2 * u[1:-1] + u[:-2])
            return u, u_prev.at[1:-1].set(inside)  # u_prev is dead: written in place

        if walls == "ghost points":
            start = tuple(jnp.pad(level, 1) for level in start)
            return jax.lax.fori_loop(0, config.nt, body_ghost, start,
                                     unroll=wave.UNROLL)[1][1:-1]
        return jax.lax.fori_loop(0, config.nt, body, start, unroll=wave.UNROLL)[1]

    return jax.jit(run)


def compiled_parts(compiled_text):
    """The compiled program's computations (name -> text) and its loop bodies' names."""
    computations = {m.group(1): m.group(2) for m in re.finditer(
        r"^(%[\w.\-]+) \(.*?\{\n(.*?)\n\}", compiled_text, re.S | re.M)}
    return computations, re.findall(r"body=(%[\w.\-]+)", compiled_text)


def loop_body_counts(compiled_text):
    """Kernels, copies and elementwise operations per iteration of the program's last loop."""
    computations, bodies = compiled_parts(compiled_text)

    def operations(name, top=True):
        counts = collections.Counter()
        for line in computations[name].splitlines():
            match = re.search(r"= \S+ ([a-z\-]+)\(", line)
            if not match:
                continue
            kind = match.group(1)
            called = re.findall(r"(?:calls|to_apply)=(%[\w.\-]+)", line)
            if kind in ("fusion", "call") and called:
                counts["kernels"] += 1
                for inner in called:
                    counts += operations(inner, top=False)
            elif kind in ("pad", "copy", "concatenate") and top:
                counts["kernels"] += 1  # a stand-alone kernel, outside any fusion
                counts[kind] += 1
            elif kind in ARITHMETIC:
                counts["arithmetic"] += 1
        return counts

    counts = operations(bodies[-1])
    return dict(kernels=counts["kernels"] / wave.UNROLL, copies=counts["copy"] / wave.UNROLL,
                arithmetic=counts["arithmetic"] / wave.UNROLL,
                parallel="parallel_" in compiled_text)


def best_ms(fn, args, repeats):
    """Best of `repeats` blocked runs after a compiling one, in ms (course_utils.timing)."""
    return 1e3 * timing.time_function(fn, *args, repeats=repeats).best


def profile(nx, nt):
    config = wave.WaveConfig(nx=nx, nt=nt, dt=0.5 / (nx - 1))
    c = jnp.linspace(0.9, 1.0, nx)
    u_bar = wave.simulate(c, config)
    variants = {"backward, (a, b)": backward_sweep(config, False),
                "backward, adjoint field": backward_sweep(config, True),
                "forward, pad": forward_loop(config),
                "forward, concatenate": forward_loop(config, "concatenate"),
                "forward, ghost points": forward_loop(config, "ghost points")}
    results = {}
    outputs = {}
    for name, fn in variants.items():
        counts = loop_body_counts(fn.lower(c, u_bar).compile().as_text())
        outputs[name] = jax.tree_util.tree_leaves(fn(c, u_bar))
        results[name] = dict(counts, us_per_step=float("inf"))
    for _ in range(ROUNDS):  # interleaved, so a busy spell on a shared machine hits all
        for name, fn in variants.items():
            us = 1e3 * best_ms(fn, (c, u_bar), repeats=3) / nt
            results[name]["us_per_step"] = min(results[name]["us_per_step"], us)
    # each variant against the first of its kind: the same numbers (in float32, up to
    # fused multiply-adds and the rebuilt levels' round-off)
    for name in variants:
        reference = "backward, (a, b)" if name.startswith("backward") else "forward, pad"
        if name == reference:
            continue
        first, second = outputs[reference], outputs[name]
        if reference.startswith("backward"):
            first = first[:2] + [-first[2]] + first[3:]  # a = -lam_next
        results[name]["max_difference"] = max(
            float(np.max(np.abs(x - y)) / max(np.max(np.abs(x)), 1e-30))
            for x, y in zip(first, second))
    return results


if __name__ == "__main__":
    print(json.dumps(profile(int(sys.argv[1]), int(sys.argv[2]))))
