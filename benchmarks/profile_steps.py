"""Why a loop step costs what it costs: the compiled program's kernels, copies and arithmetic.

For the backward sweep of `wave.simulate`'s gradient, three ways of carrying the cotangents:
- "(a, b)": the transposed step as notebook 08 first writes it, (a, b) -> (-b, a + 2b +
  D(r2 b)) (the course's solver did this until issue 15);
- "adjoint field": the same numbers carried as two levels of the adjoint field, stepped by
  lam^n = 2 lam^{n+1} - lam^{n+2} + D(r2 lam^{n+1}) (until issue 26);
- "one array": the adjoint field scaled by r2, w = r2 lam, which obeys the forward scheme
  itself, stacked with the rebuilt u in one (2, nx) array and stepped by one stencil (what
  `wave._reversible_bwd` does now).
For the forward step, ways of writing the walls of the second difference:
- "pad": `jnp.pad(u, 1)` then two slices (`wave.second_difference`, as notebook 04 writes it);
- "concatenate": the shifted copies built by `jnp.concatenate` with one zero;
- "ghost points": the levels carried with one zero beyond each wall, shape (nx + 2,), the
  interior written in place (`.at[1:-1].set`).
For the 2D forward (`profile_2d`): the Laplacian from one padded copy, as notebook 14 writes
it, or with the rows shifted as `seismic2d.laplacian` does; one or two steps per loop
iteration; the course's loop with a sponge (the benchmark's problem has none, and the
sponge's terms then fold away when compiled); and the course's 2D gradient, timed only.
Each variant is compiled for a size, its loop body read from `compiled.as_text()` (kernels
launched, carry copies, elementwise operations inside the fused kernels, per time step) and
timed: the variants take turns, 5 rounds of 3 runs, and each keeps its best. Prints JSON;
collect.py calls it in a fresh process (`profile_steps.py nx nt`, `profile_steps.py 2d n nt`,
or `profile_steps.py 2d-cores n nt cores` for the course's 2D loops on 1 core or all).
"""

import collections
import dataclasses
import json
import re
import sys

import jax
import jax.numpy as jnp
import numpy as np

from course_utils import seismic, seismic2d, timing, wave

ARITHMETIC = ("add", "subtract", "multiply", "negate", "divide")
ROUNDS = 5


def backward_sweep(config, carry="one array"):
    """The reversible gradient's backward loop alone, as a jitted function of (c, u_bar).

    Every `carry` returns the same numbers as "(a, b)": ((u^0, u^1), (a, b), r2_bar).
    """
    difference = wave.second_difference

    def sweep(c, u_bar):
        r2 = wave.courant_squared(c, config)
        zero = jnp.zeros_like(u_bar)

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

        def body_one_array(_, carry):
            now, later, r2_bar = carry  # now = (u^n, w^{n+1}), later = (u^{n+1}, w^{n+2})
            d_now = difference(now)
            return 2 * now - later + r2[None] * d_now, now, r2_bar + now[1] * d_now[0]

        if carry == "one array":
            start = (jnp.stack([u_bar, r2 * u_bar]), jnp.stack([u_bar, zero]), zero)
            now, later, r2_bar = jax.lax.fori_loop(0, config.nt, body_one_array, start,
                                                   unroll=wave.BACKWARD_UNROLL)
            return (now[0], later[0]), (-later[1] / r2, now[1] / r2), r2_bar / r2
        body = body_lam if carry == "adjoint field" else body_ab
        (u_pair, (a, b), r2_bar) = jax.lax.fori_loop(0, config.nt, body,
                                                     ((u_bar, u_bar), (zero, u_bar), zero),
                                                     unroll=wave.BACKWARD_UNROLL)
        return u_pair, ((-a, b) if carry == "adjoint field" else (a, b)), r2_bar

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


def loop_body_counts(compiled_text, unroll=wave.UNROLL):
    """Kernels, copies and elementwise operations per time step of the program's last loop,
    whose iteration makes `unroll` steps."""
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
    split = "outer_dimension_partitions" in computations[bodies[-1]]  # a kernel on threads
    return dict(kernels=counts["kernels"] / unroll, copies=counts["copy"] / unroll,
                arithmetic=counts["arithmetic"] / unroll,
                parallel=split or "parallel_" in compiled_text)


def best_ms(fn, args, repeats):
    """Best of `repeats` blocked runs after a compiling one, in ms (course_utils.timing)."""
    return 1e3 * timing.time_function(fn, *args, repeats=repeats).best


def forward_2d(config, laplacian, unroll):
    """The 2D forward loop alone (one source, a receiver at every point of row 1), as a
    jitted function of (c, source): `seismic2d.damped_step` with this `laplacian`."""

    def run(c, source):
        r2 = (c * config.dt / config.dx) ** 2
        s = jnp.asarray(seismic2d.sponge(config) * config.dt / 2, r2.dtype)
        zero = jnp.zeros_like(r2)
        spike = zero.at[source[0], source[1]].set(config.dt**2 / config.dx**2)
        wavelet = jnp.asarray(seismic.ricker(config.t, config.peak_frequency), r2.dtype)

        def body(state, f):
            u_prev, u = state
            u_next = (2 * u - (1 - s) * u_prev + r2 * laplacian(u) + f * spike) / (1 + s)
            return (u, u_next), u_next[1]

        return jax.lax.scan(body, (zero, zero), wavelet, unroll=unroll)[1]

    return jax.jit(run)


def gradient_2d(config, receivers):
    """The course's 2D gradient of sum(traces) (`seismic2d.traces_at_index`, its segments),
    as a jitted function of (c, source): a forward run, then the backward sweep."""
    segment = seismic2d.checkpoint_segment(config)

    def run(c, source):
        return jax.grad(lambda c: jnp.sum(seismic2d.traces_at_index(
            c, source[:, None], receivers, config, segment)))(c)

    return jax.jit(run)


def padded_laplacian(u):
    """Notebook 14's 5-point Laplacian: one padded copy, four slices of it."""
    padded = jnp.pad(u, 1)
    return padded[2:, 1:-1] + padded[:-2, 1:-1] + padded[1:-1, 2:] + padded[1:-1, :-2] - 4 * u


def measure(variants, args, nt, reference):
    """Counts, steps per loop iteration, best us per step and largest relative difference
    from the first of its kind (`reference(name)`, None for none) of each variant:
    name -> (jitted fn, unroll); unroll None: a program of several loops, not counted."""
    results, outputs = {}, {}
    for name, (fn, unroll) in variants.items():
        counts = (loop_body_counts(fn.lower(*args).compile().as_text(), unroll) if unroll
                  else dict(kernels=None, copies=None, arithmetic=None, parallel=None))
        outputs[name] = jax.tree_util.tree_leaves(fn(*args))
        results[name] = dict(counts, unroll=unroll, us_per_step=float("inf"))
    for _ in range(ROUNDS):  # interleaved, so a busy spell on a shared machine hits all
        for name, (fn, _) in variants.items():
            us = 1e3 * best_ms(fn, args, repeats=3) / nt
            results[name]["us_per_step"] = min(results[name]["us_per_step"], us)
    # each variant against the first of its kind: the same numbers (in float32, up to
    # fused multiply-adds and the rebuilt levels' round-off)
    for name in variants:
        first = reference(name)
        if first not in (None, name):
            results[name]["max_difference"] = max(
                float(np.max(np.abs(x - y)) / max(np.max(np.abs(x)), 1e-30))
                for x, y in zip(outputs[first], outputs[name]))
    return results


def profile(nx, nt):
    """The 1D loops at nx points, nt steps."""
    config = wave.WaveConfig(nx=nx, nt=nt, dt=0.5 / (nx - 1))
    c = jnp.linspace(0.9, 1.0, nx)
    u_bar = wave.simulate(c, config)
    variants = {f"backward, {carry}": (backward_sweep(config, carry), wave.BACKWARD_UNROLL)
                for carry in ("(a, b)", "adjoint field", "one array")}
    variants.update({f"forward, {walls}": (forward_loop(config, walls), wave.UNROLL)
                     for walls in ("pad", "concatenate", "ghost points")})
    return measure(variants, (c, u_bar), nt, lambda name: (
        "backward, (a, b)" if name.startswith("backward") else "forward, pad"))


def profile_2d(n, nt):
    """The 2D forward loops on the benchmark's n x n problem (sponge off): the Laplacian
    written as notebook 14 writes it ("padded copy") or as `seismic2d.laplacian` ("rows
    shifted"), one or two steps per loop iteration; the course's loop with a sponge. The
    course's gradient is timed by `profile_2d_cores`."""
    import problems

    config = problems.config_2d(n, nt)
    sponged = dataclasses.replace(config, sponge_damping=25.0)
    course = seismic2d.laplacian, seismic2d.UNROLL
    variants = {
        "2D, padded copy, 1 step per iteration": (forward_2d(config, padded_laplacian, 1), 1),
        "2D, padded copy, 2 steps": (forward_2d(config, padded_laplacian, 2), 2),
        "2D, rows shifted, 1 step": (forward_2d(config, seismic2d.laplacian, 1), 1),
        f"2D, rows shifted, {course[1]} steps (the course's)": (forward_2d(config, *course),
                                                               course[1]),
        f"2D, the course's, with a sponge": (forward_2d(sponged, *course), course[1])}
    problem = problems.problem_2d(n, nt)
    args = (jnp.asarray(problem["c"]), jnp.asarray(problem["source"]))
    return measure(variants, args, nt, lambda name: (
        None if "sponge" in name else "2D, padded copy, 1 step per iteration"))


def profile_2d_cores(n, nt, cores):
    """The course's 2D forward loop and gradient in a process allowed `cores` CPU cores
    (1: `measure.pin_to_one_core`, before JAX's CPU client starts)."""
    import problems
    from measure import pin_to_one_core  # this module's `measure` is its own

    if cores == 1:
        pin_to_one_core()
    config = problems.config_2d(n, nt)
    problem = problems.problem_2d(n, nt)
    variants = {"2D, the course's": (forward_2d(config, seismic2d.laplacian, seismic2d.UNROLL),
                                     seismic2d.UNROLL),
                "2D gradient, the course's": (gradient_2d(config, problem["receivers"]), None)}
    args = (jnp.asarray(problem["c"]), jnp.asarray(problem["source"]))
    return measure(variants, args, nt, lambda name: None)


if __name__ == "__main__":
    if sys.argv[1] == "2d":
        print(json.dumps(profile_2d(int(sys.argv[2]), int(sys.argv[3]))))
    elif sys.argv[1] == "2d-cores":
        print(json.dumps(profile_2d_cores(*map(int, sys.argv[2:5]))))
    else:
        print(json.dumps(profile(int(sys.argv[1]), int(sys.argv[2]))))
